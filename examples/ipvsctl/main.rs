//! `ipvsctl`: an operator's tool over the library, one file per subcommand.
//!
//! Every subcommand takes `--netns NAME` (a namespace under /run/netns).
//! Exit status: 0 on success, 1 on an error (one line on stderr naming what
//! failed), 2 on bad usage. `cargo run --features serde,tokio,prometheus --example
//! ipvsctl -- --help` shows each subcommand's help.

use std::fmt::Display;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use ipvs_netlink::{Config, Handle, Netns};

mod apply;
mod conns;
mod desired;
mod drain;
mod list;
mod metrics;
mod sysctl;
mod watch;

/// A duration in seconds, fractions allowed: not negative, finite (a
/// `value_parser` of the subcommands' options).
pub fn seconds(text: &str) -> Result<Duration, String> {
    let s: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    Duration::try_from_secs_f64(s).map_err(|e| format!("{text:?} seconds: {e}"))
}

/// What failed, as the one line printed before exiting with status 1.
#[derive(Debug)]
pub struct Failure(String);

impl Failure {
    /// `what` failed because of `why`.
    pub fn new(what: impl Display, why: impl Display) -> Self {
        Self(format!("{what}: {why}"))
    }
}

/// What every subcommand is given besides its own arguments.
#[derive(Debug)]
pub struct Context {
    netns: Option<String>,
}

impl Context {
    /// The namespace `--netns` names (the current one without), and how
    /// to name it in messages.
    pub fn netns(&self) -> (Netns, String) {
        match &self.netns {
            Some(n) => (Netns::Named(n.clone()), format!("namespace {n}")),
            None => (Netns::Current, "the current namespace".to_owned()),
        }
    }

    /// A handle on the namespace `--netns` names (the current one without).
    pub fn handle(&self) -> Result<Handle, Failure> {
        let (netns, name) = self.netns();
        Handle::with_config(Config {
            netns,
            ..Default::default()
        })
        .map_err(|e| Failure::new(format!("open IPVS in {name}"), e))
    }
}

/// A subcommand: its arguments, run against a context.
pub trait Run {
    /// Runs it; the exit status on success (0, or what the subcommand
    /// documents).
    fn run(self, cx: &Context) -> Result<ExitCode, Failure>;
}

/// Declares the subcommands: one line each, `Name(module::Args)`.
macro_rules! subcommands {
    ($($(#[$doc:meta])* $name:ident($args:ty),)*) => {
        #[derive(clap::Subcommand)]
        enum Command {
            $($(#[$doc])* $name($args),)*
        }

        impl Command {
            fn run(self, cx: &Context) -> Result<ExitCode, Failure> {
                match self {
                    $(Command::$name(a) => a.run(cx),)*
                }
            }
        }
    };
}

subcommands! {
    /// Make the services a file's scope owns what the file says.
    Apply(apply::Args),
    /// Print the table: every service with its destinations and counters.
    List(list::Args),
    /// Drain a real server (weight 0, wait for its connections), then delete
    /// it; exit status 3 when deleted at the deadline with connections left.
    Drain(drain::Args),
    /// Print the connection table, optionally of one service and real server.
    Conns(conns::Args),
    /// Print or set the IPVS sysctls (net.ipv4.vs.*).
    Sysctl(sysctl::Args),
    /// Poll the table and print each change (and each counter reset) as it
    /// is seen, with a timestamp.
    Watch(watch::Args),
    /// Serve the table's metrics over HTTP for Prometheus, at /metrics.
    ///
    /// Each scrape lists the table anew (OpenMetrics text; 404 for other
    /// paths). Prints the address it serves on (port 0: one the system
    /// picks), and exits with status 0 on SIGINT or SIGTERM.
    Metrics(metrics::Args),
}

/// Control the Linux IP Virtual Server from files and the command line.
#[derive(Parser)]
#[command(name = "ipvsctl", version, about, long_about = None)]
struct Cli {
    /// Act in the network namespace NAME (/run/netns/NAME).
    #[arg(long, global = true, value_name = "NAME")]
    netns: Option<String>,
    #[command(subcommand)]
    command: Command,
}

fn main() -> ExitCode {
    // clap prints usage errors itself and exits with status 2.
    let cli = Cli::parse();
    let cx = Context { netns: cli.netns };
    match cli.command.run(&cx) {
        Ok(code) => code,
        Err(Failure(line)) => {
            eprintln!("ipvsctl: {line}");
            ExitCode::FAILURE
        }
    }
}

//! `ipvsctl drain SERVICE_KEY DEST_ADDR [--deadline SECONDS] [--poll SECONDS]`:
//! weight 0, wait for the connections to end, delete.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use ipvs_netlink::drain::DrainOptions;
use ipvs_netlink::{DrainOutcome, ServiceKey};

use crate::{seconds, Context, Failure, Run};

/// Drain a real server, then delete it: set its weight to 0 (its forwarding,
/// tunnel and thresholds kept), print its connection counts at each poll,
/// and delete it once it has no active or inactive connection and no
/// persistence template left, or at the deadline anyway. Warnings about
/// known traps go to stderr. Exit status 0 when it was deleted after its
/// connections ended (or someone else deleted it), 3 when it was deleted at
/// the deadline with connections left.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// The service, as `tcp:10.0.0.1:80`, `udp:[2001:db8::1]:53`,
    /// `fwmark:5` or `fwmark6:5`.
    service: ServiceKey,
    /// The real server's address and port, as `10.0.1.1:80` or
    /// `[2001:db8::10]:80`.
    dest: SocketAddr,
    /// Delete it anyway this many seconds after its weight was set to 0.
    #[arg(long, value_name = "SECONDS", default_value = "300", value_parser = seconds)]
    deadline: Duration,
    /// Seconds between two readings of its connection counts.
    #[arg(long, value_name = "SECONDS", default_value = "1", value_parser = seconds)]
    poll: Duration,
}

impl Run for Args {
    fn run(self, cx: &Context) -> Result<ExitCode, Failure> {
        let mut ipvs = cx.handle()?;
        let options = DrainOptions::new()
            .deadline(self.deadline)
            .poll_interval(self.poll);
        let report = ipvs
            .drain(&self.service, self.dest, &options, |s| {
                println!(
                    "{:>8.1}s weight {} active {} inactive {} persistent {}",
                    s.elapsed.as_secs_f64(),
                    s.weight,
                    s.counts.active,
                    s.counts.inactive,
                    s.counts.persistent
                );
            })
            .map_err(|e| Failure::new(format!("drain {} of {}", self.dest, self.service), e))?;
        for w in &report.warnings {
            eprintln!("ipvsctl: warning: {w}");
        }
        let took = report.duration.as_secs_f64();
        Ok(match report.outcome {
            DrainOutcome::Drained => {
                println!("drained: {} deleted after {took:.1}s", self.dest);
                ExitCode::SUCCESS
            }
            DrainOutcome::Gone => {
                println!(
                    "gone: {} was deleted by someone else after {took:.1}s",
                    self.dest
                );
                ExitCode::SUCCESS
            }
            DrainOutcome::Forced { remaining } => {
                println!(
                    "forced: {} deleted at the deadline after {took:.1}s with {remaining}",
                    self.dest
                );
                ExitCode::from(3)
            }
        })
    }
}

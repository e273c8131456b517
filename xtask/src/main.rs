//! `cargo xtask`: the test bed of ipvs-netlink.
//!
//! The build machine's kernel has no IPVS, so the crate's kernel tests run
//! inside Debian kernels booted under QEMU with software emulation. See
//! `cargo xtask help` for the commands and environment variables.
//!
//! The pieces, in the order a run uses them:
//! - [`host`]: the host programs needed, and the Debian package of each;
//! - [`cargo`]: host tests, and building the programs the guest runs;
//! - [`kernel`]: fetching Debian's kernels (cached under `target/testbed/`);
//! - [`modules`]: the IPVS, interface and tunnel modules, in load order;
//! - [`initramfs`] and [`cpio`]: the guest's root file system and `/init`;
//! - [`guest`]: QEMU, the live console, the watchdog;
//! - [`summary`]: reading markers and libtest output, the final table;
//! - [`fixtures`]: `cargo xtask capture`.

mod cargo;
mod cpio;
mod error;
mod fixtures;
mod guest;
mod host;
mod initramfs;
mod kernel;
mod modules;
mod summary;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use cargo::{Binary, Project, TargetKind};
use error::{bail, Context, Result};
use initramfs::GuestCommand;
use kernel::{Kernel, Spec};
use summary::Report;

const USAGE: &str = "\
usage: cargo xtask <command> [options]

commands:
  test [--kernel 6.1|6.12|all] [--filter SUBSTR] [--no-host]
        run `cargo test --workspace` on the host (unless --no-host), then every
        integration test named kernel* inside each kernel (default: all)
  run [--kernel K] (--example NAME | --bench NAME | --test NAME) [-- ARGS...]
        build one target and run it once inside the kernel (default 6.1)
  demo [--kernel K] [-- ARGS...]    same as: run --example demo
  bench [--kernel K] [-- ARGS...]   same as: run --bench kernel_batch -- --bench,
        with examples/ipvsadm built in release in the guest's IPVS_EXAMPLES_DIR
  capture [--kernel K]
        run tests/kernel_capture.rs in each kernel (default: all) and write its
        IPVS-FIXTURE lines to tests/fixtures/linux-<major.minor>/
  help

options for all commands: --features LIST, --all-features (passed to cargo;
        default: --all-features)

environment:
  IPVS_TESTBED_KERNEL, IPVS_TESTBED_MODULES  boot this vmlinuz with this
        /lib/modules/<release> directory instead of Debian's kernels
  IPVS_TESTBED_IDLE_TIMEOUT  seconds without console output before the guest
        is killed (default 300)
  IPVS_TESTBED_TIMEOUT       seconds per boot before the guest is killed (default 1200)
  IPVS_TESTBED_SMP, IPVS_TESTBED_MEMORY  guest CPUs (2) and MiB (2048)
  IPVS_TESTBED_APPEND        extra kernel command line parameters
  IPVS_TESTBED_ACCEL         qemu -accel value (default tcg,thread=single)
  IPVS_TESTBED_MANIFEST      Cargo.toml of the crate to test (default: this repository)
cache: target/testbed/";

/// Parsed command line.
#[derive(Debug, Default)]
struct Args {
    command: String,
    kernel: Option<String>,
    filter: Option<String>,
    no_host: bool,
    feature_args: Vec<String>,
    target: Option<(TargetKind, String)>,
    /// Examples built in release and copied into the guest beside the
    /// target (`IPVS_EXAMPLES_DIR`): the programs a bench runs.
    ship_examples: Vec<String>,
    passthrough: Vec<String>,
}

impl Args {
    fn parse(mut it: impl Iterator<Item = String>) -> Result<Self> {
        let mut a = Self {
            command: it.next().unwrap_or_else(|| "help".into()),
            ..Self::default()
        };
        while let Some(arg) = it.next() {
            if arg == "--" {
                a.passthrough.extend(it.by_ref());
                break;
            }
            let (flag, inline) = match arg.split_once('=') {
                Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
                _ => (arg.clone(), None),
            };
            let mut value = || -> Result<String> {
                inline
                    .clone()
                    .or_else(|| it.next())
                    .context(|| format!("{flag} needs a value"))
            };
            match flag.as_str() {
                "--kernel" => a.kernel = Some(value()?),
                "--filter" => a.filter = Some(value()?),
                "--no-host" => a.no_host = true,
                "--features" => a.feature_args.extend(["--features".into(), value()?]),
                "--all-features" => a.feature_args.push("--all-features".into()),
                "--example" => a.target = Some((TargetKind::Example, value()?)),
                "--bench" => a.target = Some((TargetKind::Bench, value()?)),
                "--test" => a.target = Some((TargetKind::Test, value()?)),
                "-h" | "--help" => a.command = "help".into(),
                _ => bail!("unknown argument {arg:?}\n\n{USAGE}"),
            }
        }
        Ok(a)
    }
}

/// State shared by the commands.
struct Session {
    project: Project,
    /// `target/testbed`.
    cache: PathBuf,
    opts: guest::BootOptions,
    start: Instant,
}

impl Session {
    fn new(args: &Args, start: Instant) -> Result<Self> {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("xtask lives in the repository");
        let manifest = match std::env::var_os(cargo::ENV_MANIFEST) {
            Some(m) => std::fs::canonicalize(&m)
                .context(|| format!("{}={}", cargo::ENV_MANIFEST, Path::new(&m).display()))?,
            None => repo.join("Cargo.toml"),
        };
        let target =
            std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| repo.join("target"), PathBuf::from);
        let cache = target.join("testbed");
        std::fs::create_dir_all(&cache)?;
        Ok(Self {
            project: Project {
                manifest,
                // Every feature by default, so the async handles' kernel tests run.
                feature_args: if args.feature_args.is_empty() {
                    vec!["--all-features".to_owned()]
                } else {
                    args.feature_args.clone()
                },
            },
            cache,
            opts: guest::BootOptions::from_env()?,
            start,
        })
    }

    /// Checks the host tools the kernels in `specs` need.
    fn check_prerequisites(&self, specs: &[Spec]) -> Result<()> {
        let mut tools = host::GUEST_TOOLS.to_vec();
        if kernel::needs_fetch_tools(specs) {
            tools.extend_from_slice(host::KERNEL_FETCH_TOOLS);
        }
        host::require(&tools)
    }

    /// Boots every kernel in turn with `commands` as the guest's programs.
    /// `observe` sees every console line of every kernel.
    fn boot_kernels(
        &self,
        kernels: &[Kernel],
        commands: &[GuestCommand],
        examples: &[Binary],
        expect_tests: bool,
        observe: &mut dyn FnMut(&Kernel, &str),
    ) -> Result<Vec<Report>> {
        let userland = self.cache.join("userland.cpio");
        let t = Instant::now();
        initramfs::write_userland(&self.project.dir(), commands, examples, &userland)?;
        println!(
            "userland archive: {:.1} MiB in {:.1}s",
            std::fs::metadata(&userland)?.len() as f64 / (1 << 20) as f64,
            t.elapsed().as_secs_f64()
        );
        let mut reports = Vec::new();
        for k in kernels {
            let initrd = self.cache.join(format!("initrd-{}.img", k.release));
            initramfs::write_initrd(&k.modules_cpio, &userland, &initrd)?;
            println!(
                "[{}] booting {} ({} CPUs, {} MiB)",
                k.label, k.release, self.opts.smp, self.opts.memory_mib
            );
            let mut report = Report::new(&k.label, &k.release, self.start);
            let qemu_start = Instant::now();
            let (ending, partial) = guest::boot(k, &initrd, &self.opts, |line, t| {
                report.observe(line, t);
                observe(k, line);
            })?;
            report.finish(ending, &partial, qemu_start.elapsed());
            for p in report.problems(expect_tests) {
                eprintln!("[{}] FAILED: {p}", k.label);
            }
            reports.push(report);
        }
        Ok(reports)
    }

    fn prepare_kernels(&self, specs: &[Spec]) -> Result<Vec<Kernel>> {
        specs
            .iter()
            .map(|s| kernel::prepare(s, &self.cache))
            .collect()
    }
}

/// Prints the table and the failures; returns whether all kernels passed.
fn conclude(reports: &[Report], expect_tests: bool, start: Instant) -> bool {
    summary::print_table(reports, expect_tests);
    let problems: Vec<String> = reports
        .iter()
        .flat_map(|r| r.problems(expect_tests))
        .collect();
    println!("total time: {:.1}s", start.elapsed().as_secs_f64());
    for p in &problems {
        eprintln!("FAILED: {p}");
    }
    problems.is_empty()
}

fn cmd_test(args: &Args, s: &Session) -> Result<ExitCode> {
    let specs = kernel::specs(args.kernel.as_deref().unwrap_or("all"))?;
    s.check_prerequisites(&specs)?;
    if args.no_host {
        println!("== skipping host tests (--no-host) ==");
    } else {
        println!("== host tests: cargo test --workspace ==");
        s.project.host_tests()?;
    }
    println!("== building kernel tests ==");
    let binaries = s.project.kernel_tests()?;
    let mut test_args = vec!["--test-threads=2".to_owned(), "--color=never".to_owned()];
    test_args.extend(args.filter.clone());
    let commands: Vec<GuestCommand> = binaries
        .iter()
        .map(|b| GuestCommand {
            name: b.name.clone(),
            binary: b.path.clone(),
            args: test_args.clone(),
        })
        .collect();
    let names: Vec<&str> = binaries.iter().map(|b| b.name.as_str()).collect();
    println!("kernel test binaries: {}", names.join(", "));
    // The examples go into the guest too: a kernel test runs each of them.
    let examples = s.project.examples()?;
    let kernels = s.prepare_kernels(&specs)?;
    println!("== booting {} kernel(s) ==", kernels.len());
    let reports = s.boot_kernels(&kernels, &commands, &examples, true, &mut |_, _| {})?;
    Ok(if conclude(&reports, true, s.start) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn cmd_run(args: &Args, s: &Session) -> Result<ExitCode> {
    let Some((kind, name)) = &args.target else {
        bail!("run needs --example NAME, --bench NAME or --test NAME\n\n{USAGE}");
    };
    let specs = kernel::specs(args.kernel.as_deref().unwrap_or("6.1"))?;
    s.check_prerequisites(&specs)?;
    println!("== building {} {name} ==", kind.as_str());
    let Binary { name, path } = s.project.target(*kind, name)?;
    let commands = [GuestCommand {
        name,
        binary: path,
        args: args.passthrough.clone(),
    }];
    let examples = args
        .ship_examples
        .iter()
        .map(|e| s.project.target(TargetKind::Example, e))
        .collect::<Result<Vec<_>>>()?;
    let kernels = s.prepare_kernels(&specs)?;
    let reports = s.boot_kernels(&kernels, &commands, &examples, false, &mut |_, _| {})?;
    let passed = conclude(&reports, false, s.start);
    // The program's own status, from the first kernel where it failed.
    let status = reports
        .iter()
        .flat_map(|r| r.programs.iter().filter_map(|(_, c)| *c))
        .find(|c| *c != 0);
    Ok(match (status, passed) {
        (Some(c), _) => ExitCode::from(u8::try_from(c).unwrap_or(1).max(1)),
        (None, true) => ExitCode::SUCCESS,
        (None, false) => ExitCode::FAILURE,
    })
}

fn cmd_capture(args: &Args, s: &Session) -> Result<ExitCode> {
    const CAPTURE: &str = "kernel_capture";
    let specs = kernel::specs(args.kernel.as_deref().unwrap_or("all"))?;
    s.check_prerequisites(&specs)?;
    println!("== building {CAPTURE} ==");
    let binary = s
        .project
        .kernel_tests()?
        .into_iter()
        .find(|b| b.name == CAPTURE)
        .context(|| format!("no test target {CAPTURE} (tests/{CAPTURE}.rs)"))?;
    let commands = [GuestCommand {
        name: binary.name,
        binary: binary.path,
        args: ["--nocapture", "--test-threads=1", "--color=never"]
            .map(String::from)
            .to_vec(),
    }];
    let kernels = s.prepare_kernels(&specs)?;
    let mut captures: HashMap<String, fixtures::Capture> = HashMap::new();
    let reports = s.boot_kernels(&kernels, &commands, &[], true, &mut |k, line| {
        captures.entry(k.label.clone()).or_default().observe(line);
    })?;
    let mut ok = conclude(&reports, true, s.start);
    if ok {
        for r in &reports {
            let dir = s
                .project
                .dir()
                .join(format!("tests/fixtures/linux-{}", r.label));
            let capture = captures.remove(&r.label).unwrap_or_default();
            if let Err(e) = capture.write(&dir, &r.release) {
                eprintln!("[{}] FAILED: {e}", r.label);
                ok = false;
            }
        }
    } else {
        eprintln!("no fixtures written: the capture run failed");
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn real_main(start: Instant) -> Result<ExitCode> {
    let mut args = Args::parse(std::env::args().skip(1))?;
    match args.command.as_str() {
        "test" => cmd_test(&args, &Session::new(&args, start)?),
        "run" => cmd_run(&args, &Session::new(&args, start)?),
        "demo" => {
            args.target = Some((TargetKind::Example, "demo".into()));
            cmd_run(&args, &Session::new(&args, start)?)
        }
        "bench" => {
            args.target = Some((TargetKind::Bench, "kernel_batch".into()));
            // The bench times the ipvsadm clone too, as operators run it.
            args.ship_examples.push("ipvsadm".into());
            args.passthrough.insert(0, "--bench".into());
            cmd_run(&args, &Session::new(&args, start)?)
        }
        "capture" => cmd_capture(&args, &Session::new(&args, start)?),
        "help" => {
            println!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        other => bail!("unknown command {other:?}\n\n{USAGE}"),
    }
}

fn main() -> ExitCode {
    let start = Instant::now();
    match real_main(start) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

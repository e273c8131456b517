//! Kernel benchmark, run inside the test bed (`cargo xtask bench`): the same
//! table applied and listed by this crate and by ipvsadm in the same guest,
//! reported as ratios. Needs root, an IPVS kernel and ipvsadm on PATH.
//!
//! Options: `--services N` (default 10000), `--dests N` (default 4),
//! `--rounds N` (default 5; medians are reported).
//!
//! The five ways of applying the table (the crate's batch, one request per
//! round trip, the two floors and the ipvsadm clone's `-R`) run next to
//! each other in every round, in the reverse order every other round, so
//! that the machine's drift (these are shared, emulated machines) falls on
//! each alike. Each ratio is given both as the ratio of the medians and as
//! the median of the rounds' own ratios, which compares runs that were
//! seconds apart.

mod common;
mod floor;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ipvs_netlink::{Handle, OnError, ReconcileOptions, Scope, ServiceKey};

fn time<T>(f: impl FnOnce() -> T) -> (Duration, T) {
    let t = Instant::now();
    let r = f();
    (t.elapsed(), r)
}

/// CPU time of this process and of its waited-for children, from
/// `/proc/self/stat`: user and system (the kernel's IPVS work runs in our
/// system calls, so system time is the kernel's share).
#[derive(Clone, Copy, Default)]
struct Cpu {
    user: f64,
    sys: f64,
    child_user: f64,
    child_sys: f64,
    /// Page faults (minor, own and children's): each is system time.
    faults: f64,
}

impl Cpu {
    fn now() -> Self {
        let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
        let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
        // Fields after the parenthesised command name, from field 3 on:
        // minflt is field 10, cminflt 11, utime 14, stime 15, cutime 16,
        // cstime 17.
        let f: Vec<f64> = rest
            .split_whitespace()
            .map(|v| v.parse().unwrap_or(0.0))
            .collect();
        let field = |n: usize| f.get(n - 3).copied().unwrap_or(0.0);
        let tick = rustix::param::clock_ticks_per_second() as f64;
        Self {
            user: field(14) / tick,
            sys: field(15) / tick,
            child_user: field(16) / tick,
            child_sys: field(17) / tick,
            faults: field(10) + field(11),
        }
    }

    fn since(self, start: Self) -> Self {
        Self {
            user: self.user - start.user,
            sys: self.sys - start.sys,
            child_user: self.child_user - start.child_user,
            child_sys: self.child_sys - start.child_sys,
            faults: self.faults - start.faults,
        }
    }

    /// "user / system" of this process, or of the children when they ran,
    /// and the page faults.
    fn split(self) -> String {
        let (user, sys) = if self.child_user + self.child_sys > 0.0 {
            (self.child_user, self.child_sys)
        } else {
            (self.user, self.sys)
        };
        format!("{user:.2} / {sys:.2} s, {} faults", self.faults)
    }
}

/// Busy and total jiffies of the whole guest, from the `cpu` line of
/// `/proc/stat`.
fn guest_jiffies() -> (u64, u64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let v: Vec<u64> = stat
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .skip(1)
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    let total: u64 = v.iter().sum();
    // user nice system idle iowait irq softirq ...
    let idle = v.get(3).copied().unwrap_or(0) + v.get(4).copied().unwrap_or(0);
    (total - idle, total)
}

/// Waits (up to 20 s) until the guest is idle: the kernel defers work after
/// large changes (6.12's estimator threads take on every new service and
/// destination, freed objects wait for RCU), and that work would otherwise
/// land in whichever measurement comes next.
fn settle() {
    for _ in 0..100 {
        let (busy0, total0) = guest_jiffies();
        std::thread::sleep(Duration::from_millis(200));
        let (busy1, total1) = guest_jiffies();
        if (busy1 - busy0) * 20 <= (total1 - total0).max(1) {
            return;
        }
    }
}

/// Wall time and CPU time of `f`, once the guest is idle.
fn measure<T>(f: impl FnOnce() -> T) -> (Duration, Cpu, T) {
    settle();
    let cpu = Cpu::now();
    let (wall, r) = time(f);
    (wall, Cpu::now().since(cpu), r)
}

/// Wall and CPU time, without the result.
fn strip<T>((wall, cpu, _): (Duration, Cpu, T)) -> (Duration, Cpu) {
    (wall, cpu)
}

fn ipvsadm(args: &[&str], stdin: Option<&str>) {
    run_tool(Path::new("ipvsadm"), args, stdin);
}

/// The ipvsadm clone (examples/ipvsadm): `cargo xtask bench` builds it in
/// release into the guest's `IPVS_EXAMPLES_DIR`.
fn clone(args: &[&str], stdin: Option<&str>) {
    let dir = std::env::var_os("IPVS_EXAMPLES_DIR").map_or_else(
        || {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/target/release/examples"
            ))
        },
        PathBuf::from,
    );
    run_tool(&dir.join("ipvsadm"), args, stdin);
}

/// Runs `program` with `args` and `stdin`, its output thrown away.
fn run_tool(program: &Path, args: &[&str], stdin: Option<&str>) {
    let mut child = Command::new(program)
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", program.display()));
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    let status = child.wait().unwrap();
    assert!(status.success(), "{} {args:?} failed", program.display());
}

/// Peak resident memory (VmHWM) in KiB, after resetting it.
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn peak_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Runs `f` on a thread inside a new network namespace (loopback up).
fn fresh_netns<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| {
        s.spawn(|| {
            // SAFETY: CLONE_NEWNET changes only this thread's network
            // namespace; no other state is unshared.
            unsafe { rustix::thread::unshare_unsafe(rustix::thread::UnshareFlags::NEWNET) }
                .expect("unshare(CLONE_NEWNET)");
            let up = Command::new("ip")
                .args(["link", "set", "lo", "up"])
                .status();
            assert!(up.is_ok_and(|s| s.success()), "ip link set lo up");
            f()
        })
        .join()
        .unwrap()
    })
}

/// In a fresh namespace: `prepare`s a run (not timed), times it, then
/// flushes what it applied.
fn apply<R: FnOnce(&mut Handle)>(prepare: impl FnOnce() -> R + Send) -> (Duration, Cpu) {
    fresh_netns(|| {
        let mut h = Handle::new().expect("IPVS kernel");
        let run = prepare();
        let m = strip(measure(|| run(&mut h)));
        h.flush().unwrap();
        m
    })
}

/// What a batch may use per request beyond the request itself: its result
/// (32 bytes), with room for the allocator.
const BATCH_BYTES_PER_REQUEST: usize = 64;
/// And once: the datagram being built and received, the session's records
/// of one datagram's requests, and the allocator's own growth.
const BATCH_FIXED_KIB: u64 = 4096;

fn arg(name: &str, default: u32) -> u32 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn secs(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

/// The median run of a measurement (by wall time), and the range.
struct Runs(Vec<(Duration, Cpu)>);

impl Runs {
    /// The middle run by wall time; of an even count, the slower of the two
    /// middle runs (a run that happened, with its own CPU times, where the
    /// median of the rounds' ratios averages the two middle ones).
    fn median(&self) -> (Duration, Cpu) {
        let mut v = self.0.clone();
        v.sort_by_key(|r| r.0);
        v[v.len() / 2]
    }

    fn range(&self) -> String {
        let min = self.0.iter().map(|r| r.0).min().unwrap_or_default();
        let max = self.0.iter().map(|r| r.0).max().unwrap_or_default();
        format!("{:.2}-{:.2} s", min.as_secs_f64(), max.as_secs_f64())
    }
}

/// One round in a fresh namespace: the crate's batch, then the crate's and
/// ipvsadm's listings of the same table, then a reconcile of a 1% change.
struct Round {
    batch: (Duration, Cpu),
    peak_kib: u64,
    list: (Duration, Cpu),
    list_consistent: (Duration, Cpu),
    scrape: Option<(Duration, Cpu)>,
    ipvsadm_list: (Duration, Cpu),
    clone_list: (Duration, Cpu),
    clone_start: (Duration, Cpu),
    services_only: (Duration, Cpu),
    reconcile: (Duration, Cpu),
    reconcile_scoped: (Duration, Cpu),
    floor_list: (Duration, Cpu),
}

/// The crate's Prometheus scrape of the table (its consistent listing and
/// the encoding of every series); none without the `prometheus` feature.
#[cfg(feature = "prometheus")]
fn scrape(h: &mut Handle, services: usize) -> Option<(Duration, Cpu)> {
    let s = measure(|| {
        h.scrape(&ipvs_netlink::metrics::MetricsOptions::new())
            .unwrap()
    });
    assert_eq!((s.2.services, s.2.dropped_series), (services, 0));
    Some(strip(s))
}

#[cfg(not(feature = "prometheus"))]
fn scrape(_: &mut Handle, _: usize) -> Option<(Duration, Cpu)> {
    None
}

fn round(table: &[(ipvs_netlink::Service, Vec<ipvs_netlink::Destination>)], dests: u32) -> Round {
    fresh_netns(|| {
        let mut h = Handle::new().expect("IPVS kernel");
        reset_peak();
        let base = peak_kib();
        let batch = measure(|| h.batch(common::requests(table), OnError::Continue));
        let peak_kib = peak_kib().saturating_sub(base);
        assert!(batch.2.iter().all(|r| r.is_ok()), "batch failed");

        let list = measure(|| h.list_table().unwrap());
        assert_eq!(list.2.len(), table.len());
        assert!(list.2.iter().all(|(_, d)| d.len() == dests as usize));
        let list_consistent = measure(|| h.list_table_consistent(5).unwrap());
        assert_eq!(list_consistent.2, list.2);
        let scrape = scrape(&mut h, table.len());
        let ipvsadm_list = measure(|| ipvsadm(&["-Ln"], None));
        let clone_list = measure(|| clone(&["-Ln"], None));
        let clone_start = measure(|| clone(&["-v"], None));
        let services_only = measure(|| h.list_services().unwrap());
        let keys: Vec<_> = table.iter().map(|(s, _)| s.key).collect();
        let floor_list = floor::listing(&keys, table.len() * dests as usize);
        let floor_list = measure(|| floor_list.run());

        // Reconcile a 1% change: one destination weight in every 100th service.
        let mut want = table.to_vec();
        for (i, (_, ds)) in want.iter_mut().enumerate() {
            if i % 100 == 0 {
                ds[0].weight = 7;
            }
        }
        let reconcile = measure(|| {
            h.reconcile(&want, &ReconcileOptions::new(Scope::all()))
                .unwrap()
        });
        assert!(reconcile.2.failures.is_empty());
        assert_eq!(reconcile.2.changes(), table.len().div_ceil(100));

        // The same 1% (of the whole table) within a scope that owns every
        // other service: only the owned half is read and compared.
        let owned = |k: &ServiceKey| match k {
            ServiceKey::Addr { addr, .. } => match addr.ip() {
                std::net::IpAddr::V4(ip) => ip.octets()[3] % 2 == 0,
                std::net::IpAddr::V6(_) => false,
            },
            ServiceKey::FwMark { .. } => false,
        };
        let scope = Scope::all().filter(owned);
        let mut half: Vec<_> = want.into_iter().filter(|(s, _)| owned(&s.key)).collect();
        for (i, (_, ds)) in half.iter_mut().enumerate() {
            if i % 50 == 0 {
                ds[0].weight = 9;
            }
        }
        let reconcile_scoped =
            measure(|| h.reconcile(&half, &ReconcileOptions::new(scope)).unwrap());
        assert!(reconcile_scoped.2.failures.is_empty());
        assert_eq!(reconcile_scoped.2.changes(), half.len().div_ceil(50));
        // Every namespace's services share one kernel table that each dump
        // walks: leave nothing behind for the next round.
        h.flush().unwrap();
        Round {
            batch: strip(batch),
            peak_kib,
            list: strip(list),
            list_consistent: strip(list_consistent),
            scrape,
            ipvsadm_list: strip(ipvsadm_list),
            clone_list: strip(clone_list),
            clone_start: strip(clone_start),
            services_only: strip(services_only),
            reconcile: strip(reconcile),
            reconcile_scoped: strip(reconcile_scoped),
            floor_list: strip(floor_list),
        }
    })
}

fn main() {
    let services = arg("--services", 10_000);
    let dests = arg("--dests", 4);
    let rounds = arg("--rounds", 5).max(1);
    let table = common::table(services, dests);
    let rules = common::rules(&table);
    let ops = table.len() * (1 + dests as usize);
    println!("kernel bench: {services} services x {dests} destinations = {ops} operations");
    println!(
        "kernel: {}",
        std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .unwrap_or_default()
            .trim()
    );
    // Under emulation the clock may have no vDSO fast path; then every
    // clock read is a system call, which the figures below include.
    let reads = Instant::now();
    for _ in 0..10_000 {
        std::hint::black_box(Instant::now());
    }
    println!(
        "clocksource: {}, one clock read: {:.1} us",
        std::fs::read_to_string("/sys/devices/system/clocksource/clocksource0/current_clocksource")
            .unwrap_or_default()
            .trim(),
        reads.elapsed().as_secs_f64() * 1e6 / 10_000.0
    );

    // Each apply runs in a fresh network namespace: deleting services
    // leaves their destinations in the namespace's trash for a minute, and
    // the kernel walks that list for every destination added, so applying
    // into a table just flushed measures the trash, not the client.
    // ipvsadm -R takes long and is far behind: one run.
    let ipvsadm_restore = fresh_netns(|| {
        let m = strip(measure(|| ipvsadm(&["-R"], Some(&rules))));
        ipvsadm(&["-C"], None);
        m
    });
    // One line per step: the test bed takes a silent guest for a hung one.
    println!("ipvsadm -R: {}", secs(ipvsadm_restore.0));

    let mut all: Vec<Round> = Vec::new();
    let mut single = Vec::new();
    let mut floor_batch = Vec::new();
    let mut floor_single = Vec::new();
    let mut clone_restore = Vec::new();
    let requests = common::requests(&table);
    for i in 0..rounds {
        let mut steps: [&mut dyn FnMut(); 5] = [
            &mut || all.push(round(&table, dests)),
            &mut || {
                single.push(apply(|| {
                    |h: &mut Handle| {
                        for r in common::requests(&table) {
                            h.execute(r).unwrap();
                        }
                    }
                }));
            },
            &mut || {
                floor_batch.push(apply(|| {
                    let floor = floor::batch(&requests);
                    |_: &mut Handle| floor.run()
                }));
            },
            &mut || {
                floor_single.push(apply(|| {
                    let floor = floor::one_per_round_trip(&requests);
                    |_: &mut Handle| floor.run()
                }));
            },
            &mut || clone_restore.push(apply(|| |_: &mut Handle| clone(&["-R"], Some(&rules)))),
        ];
        if i % 2 == 1 {
            steps.reverse();
        }
        let started = Instant::now();
        for step in steps {
            step();
        }
        println!(
            "round {}/{rounds} done in {}",
            i + 1,
            secs(started.elapsed())
        );
    }
    let runs = |f: fn(&Round) -> (Duration, Cpu)| Runs(all.iter().map(f).collect());
    let batch = runs(|r| r.batch);
    let list = runs(|r| r.list);
    let list_consistent = runs(|r| r.list_consistent);
    let scrape = Runs(all.iter().filter_map(|r| r.scrape).collect());
    let ipvsadm_list = runs(|r| r.ipvsadm_list);
    let clone_list = runs(|r| r.clone_list);
    let clone_start = runs(|r| r.clone_start);
    let clone_restore = Runs(clone_restore);
    let services_only = runs(|r| r.services_only);
    let reconcile = runs(|r| r.reconcile);
    let reconcile_scoped = runs(|r| r.reconcile_scoped);
    let single = Runs(single);
    let floor_batch = Runs(floor_batch);
    let floor_single = Runs(floor_single);
    let floor_list = runs(|r| r.floor_list);
    let peak = all.iter().map(|r| r.peak_kib).max().unwrap_or(0);

    let ratio = |a: &Runs, b: &Runs| a.median().0.as_secs_f64() / b.median().0.as_secs_f64();
    // The same ratio within each round (a one-run measurement against
    // every round's).
    let round_ratios = |a: &Runs, b: &Runs| -> Vec<f64> {
        b.0.iter()
            .enumerate()
            .map(|(i, r)| {
                let x =
                    a.0.get(i)
                        .or(a.0.first())
                        .map_or(0.0, |r| r.0.as_secs_f64());
                x / r.0.as_secs_f64()
            })
            .collect()
    };
    let per_round = |a: &Runs, b: &Runs| {
        round_ratios(a, b)
            .iter()
            .map(|x| format!("{x:.1}x"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let median_of_rounds = |a: &Runs, b: &Runs| {
        let mut r = round_ratios(a, b);
        r.sort_by(f64::total_cmp);
        match r.len() {
            0 => 0.0,
            n if n % 2 == 1 => r[n / 2],
            n => (r[n / 2 - 1] + r[n / 2]) / 2.0,
        }
    };
    let row = |what: &str, r: &Runs| {
        let (wall, cpu) = r.median();
        println!(
            "| {what} | {} | {} | {} |",
            secs(wall),
            r.range(),
            cpu.split()
        );
    };
    println!();
    println!("{rounds} rounds, each in fresh namespaces; median run, range of all runs:");
    println!();
    println!("| measurement | median | range | CPU user / system, page faults (median run) |");
    println!("|---|---|---|---|");
    row(
        &format!("ipvsadm -R ({ops} ops, one run)"),
        &Runs(vec![ipvsadm_restore]),
    );
    row(&format!("crate batch ({ops} ops)"), &batch);
    row(
        &format!("crate one request per round trip ({ops} ops)"),
        &single,
    );
    row(
        &format!("ipvsadm clone -R ({ops} ops, examples/ipvsadm)"),
        &clone_restore,
    );
    row("ipvsadm -Ln", &ipvsadm_list);
    row("ipvsadm clone -Ln", &clone_list);
    row(
        "ipvsadm clone -v (process start, socket, family and info)",
        &clone_start,
    );
    row("crate list_table", &list);
    row(
        "crate list_table_consistent (one more service dump)",
        &list_consistent,
    );
    if !scrape.0.is_empty() {
        row(
            "crate scrape (list_table_consistent, every series encoded)",
            &scrape,
        );
    }
    row("crate list_services (services only)", &services_only);
    row("crate reconcile of a 1% change", &reconcile);
    row(
        "crate reconcile of a 1% change, scope owning half",
        &reconcile_scoped,
    );
    row(&format!("floor: raw batch ({ops} ops)"), &floor_batch);
    row(
        &format!("floor: raw one request per round trip ({ops} ops)"),
        &floor_single,
    );
    row("floor: raw listing dumps", &floor_list);
    println!("| batch peak memory (VmHWM growth, largest) | {peak} KiB | | |");
    // The requests a caller hands over are most of that; what the batch
    // adds must stay a few words per request (its result and token) plus
    // datagram-sized buffers, however large the batch.
    let given_kib = (ops * size_of::<ipvs_netlink::Request>()) as u64 / 1024;
    let added_kib = peak.saturating_sub(given_kib);
    let bound_kib = (ops * BATCH_BYTES_PER_REQUEST) as u64 / 1024 + BATCH_FIXED_KIB;
    println!(
        "| of which the {ops} requests given ({} bytes each) | {given_kib} KiB | | |",
        size_of::<ipvs_netlink::Request>()
    );
    println!(
        "| of which the batch's own (bound: {BATCH_BYTES_PER_REQUEST} bytes per request + {BATCH_FIXED_KIB} KiB) | {added_kib} KiB | | |"
    );
    assert!(
        added_kib <= bound_kib,
        "the batch used {added_kib} KiB beyond its requests, above its bound of {bound_kib} KiB"
    );
    println!();
    let restore = Runs(vec![ipvsadm_restore]);
    let ratio_table = |last: &str, rows: &[(&str, &Runs, &Runs, &str)]| {
        println!("| ratio | of medians | median of rounds | each round | {last} |");
        println!("|---|---|---|---|---|");
        for (what, a, b, note) in rows {
            println!(
                "| {what} | {:.2}x | {:.2}x | {} | {note} |",
                ratio(a, b),
                median_of_rounds(a, b),
                per_round(a, b)
            );
        }
    };
    ratio_table(
        "target",
        &[
            ("ipvsadm -R / batch", &restore, &batch, ">= 10x"),
            ("one-per-round-trip / batch", &single, &batch, ">= 3x"),
            ("ipvsadm -Ln / list_table", &ipvsadm_list, &list, ">= 7x"),
            (
                "ipvsadm -Ln / list_table_consistent",
                &ipvsadm_list,
                &list_consistent,
                "(does more than -Ln)",
            ),
            ("reconcile 1% / list_table", &reconcile, &list, "< 1.3x"),
            ("clone -R / batch", &clone_restore, &batch, "< 1.3x"),
            ("clone -Ln / list_table", &clone_list, &list, "< 1.2x"),
            (
                "reconcile 1%, scope owning half / list_table",
                &reconcile_scoped,
                &list,
                "< 1.3x",
            ),
        ],
    );
    if !scrape.0.is_empty() {
        println!();
        ratio_table(
            "target",
            &[("scrape / list_table", &scrape, &list, "<= 1.3x")],
        );
    }
    println!();
    println!("What any client could reach (floors: bare socket, encoded in advance):");
    println!();
    ratio_table(
        "bounds",
        &[
            (
                "floor one-per-round-trip / floor batch",
                &floor_single,
                &floor_batch,
                "one-per-round-trip / batch",
            ),
            (
                "ipvsadm -Ln / floor listing",
                &ipvsadm_list,
                &floor_list,
                "ipvsadm -Ln / list_table",
            ),
            (
                "batch / floor batch",
                &batch,
                &floor_batch,
                "client overhead",
            ),
            (
                "one-per-round-trip / floor one-per-round-trip",
                &single,
                &floor_single,
                "client overhead",
            ),
            (
                "list_table / floor listing",
                &list,
                &floor_list,
                "client overhead (< 1.2x)",
            ),
            (
                "clone -v / list_table",
                &clone_start,
                &list,
                "the clone's start, in its -Ln / list_table",
            ),
        ],
    );
}

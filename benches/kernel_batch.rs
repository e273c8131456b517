//! Kernel benchmark, run inside the test bed (`cargo xtask bench`): the same
//! table applied and listed by this crate and by ipvsadm in the same guest,
//! reported as ratios. Needs root, an IPVS kernel and ipvsadm on PATH.
//!
//! Options: `--services N` (default 10000), `--dests N` (default 4),
//! `--rounds N` (default 3; medians are reported).

mod common;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ipvs_netlink::{Handle, OnError, ReconcileOptions};

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
}

impl Cpu {
    fn now() -> Cpu {
        let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
        // Fields after the parenthesised command name; utime is field 14.
        let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
        let f: Vec<f64> = rest
            .split_whitespace()
            .skip(11)
            .take(4)
            .map(|v| v.parse().unwrap_or(0.0))
            .collect();
        let tick = rustix::param::clock_ticks_per_second() as f64;
        let get = |i: usize| f.get(i).copied().unwrap_or(0.0) / tick;
        Cpu {
            user: get(0),
            sys: get(1),
            child_user: get(2),
            child_sys: get(3),
        }
    }

    fn since(self, start: Cpu) -> Cpu {
        Cpu {
            user: self.user - start.user,
            sys: self.sys - start.sys,
            child_user: self.child_user - start.child_user,
            child_sys: self.child_sys - start.child_sys,
        }
    }

    /// "user / system" of this process, or of the children when they ran.
    fn split(self) -> String {
        if self.child_user + self.child_sys > 0.0 {
            format!("{:.2} / {:.2} s", self.child_user, self.child_sys)
        } else {
            format!("{:.2} / {:.2} s", self.user, self.sys)
        }
    }
}

/// Wall time and CPU time of `f`.
fn measure<T>(f: impl FnOnce() -> T) -> (Duration, Cpu, T) {
    let cpu = Cpu::now();
    let (wall, r) = time(f);
    (wall, Cpu::now().since(cpu), r)
}

/// Wall and CPU time, without the result.
fn strip<T>((wall, cpu, _): (Duration, Cpu, T)) -> (Duration, Cpu) {
    (wall, cpu)
}

fn ipvsadm(args: &[&str], stdin: Option<&str>) {
    let mut child = Command::new("ipvsadm")
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::null())
        .spawn()
        .expect("ipvsadm on PATH");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    let status = child.wait().unwrap();
    assert!(status.success(), "ipvsadm {args:?} failed");
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
    ipvsadm_list: (Duration, Cpu),
    services_only: (Duration, Cpu),
    reconcile: (Duration, Cpu),
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
        let ipvsadm_list = measure(|| ipvsadm(&["-Ln"], None));
        let services_only = measure(|| h.list_services().unwrap());

        // Reconcile a 1% change: one destination weight in every 100th service.
        let mut want = table.to_vec();
        for (i, (_, ds)) in want.iter_mut().enumerate() {
            if i % 100 == 0 {
                ds[0].weight = 7;
            }
        }
        let reconcile = measure(|| h.reconcile(&want, ReconcileOptions::default()).unwrap());
        assert!(reconcile.2.failures.is_empty());
        assert_eq!(reconcile.2.changes(), table.len().div_ceil(100));
        // Every namespace's services share one kernel table that each dump
        // walks: leave nothing behind for the next round.
        h.flush().unwrap();
        Round {
            batch: strip(batch),
            peak_kib,
            list: strip(list),
            ipvsadm_list: strip(ipvsadm_list),
            services_only: strip(services_only),
            reconcile: strip(reconcile),
        }
    })
}

fn main() {
    let services = arg("--services", 10_000);
    let dests = arg("--dests", 4);
    let rounds = arg("--rounds", 3).max(1);
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

    let mut all: Vec<Round> = Vec::new();
    let mut single = Vec::new();
    for _ in 0..rounds {
        all.push(round(&table, dests));
        single.push(fresh_netns(|| {
            let mut h = Handle::new().expect("IPVS kernel");
            let m = strip(measure(|| {
                for r in common::requests(&table) {
                    h.execute(r).unwrap();
                }
            }));
            h.flush().unwrap();
            m
        }));
    }
    let runs = |f: fn(&Round) -> (Duration, Cpu)| Runs(all.iter().map(f).collect());
    let batch = runs(|r| r.batch);
    let list = runs(|r| r.list);
    let ipvsadm_list = runs(|r| r.ipvsadm_list);
    let services_only = runs(|r| r.services_only);
    let reconcile = runs(|r| r.reconcile);
    let single = Runs(single);
    let peak = all.iter().map(|r| r.peak_kib).max().unwrap_or(0);

    let ratio = |a: &Runs, b: &Runs| a.median().0.as_secs_f64() / b.median().0.as_secs_f64();
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
    println!("| measurement | median | range | CPU user / system (median run) |");
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
    row("ipvsadm -Ln", &ipvsadm_list);
    row("crate list_table", &list);
    row("crate list_services (services only)", &services_only);
    row("crate reconcile of a 1% change", &reconcile);
    println!("| batch peak memory (VmHWM growth, largest) | {peak} KiB | | |");
    println!();
    println!("| ratio of medians | value | target |");
    println!("|---|---|---|");
    let restore = Runs(vec![ipvsadm_restore]);
    println!(
        "| ipvsadm -R / batch | {:.1}x | >= 10x |",
        ratio(&restore, &batch)
    );
    println!(
        "| one-per-round-trip / batch | {:.1}x | >= 3x |",
        ratio(&single, &batch)
    );
    println!(
        "| ipvsadm -Ln / list_table | {:.1}x | >= 5x |",
        ratio(&ipvsadm_list, &list)
    );
    println!(
        "| reconcile 1% / list_table | {:.2}x | < 2x |",
        ratio(&reconcile, &list)
    );
}

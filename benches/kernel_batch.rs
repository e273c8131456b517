//! Kernel benchmark, run inside the test bed (`cargo xtask bench`): the same
//! table applied and listed by this crate and by ipvsadm in the same guest,
//! reported as ratios. Needs root, an IPVS kernel and ipvsadm on PATH.
//!
//! Options: `--services N` (default 10000), `--dests N` (default 4).

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

fn ipvsadm(args: &[&str], stdin: Option<&str>) -> Duration {
    let t = Instant::now();
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
    t.elapsed()
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

fn main() {
    let services = arg("--services", 10_000);
    let dests = arg("--dests", 4);
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
    let (ipvsadm_restore, ipvsadm_list) = fresh_netns(|| {
        let restore = ipvsadm(&["-R"], Some(&rules));
        let list = ipvsadm(&["-Ln"], None);
        (restore, list)
    });

    let (batch, peak, list, services_only, reconcile) = fresh_netns(|| {
        let mut h = Handle::new().expect("IPVS kernel");
        reset_peak();
        let base = peak_kib();
        let (batch, results) = time(|| h.batch(common::requests(&table), OnError::Continue));
        let peak = peak_kib().saturating_sub(base);
        assert!(results.iter().all(|r| r.is_ok()), "batch failed");
        drop(results);

        let (list, listed) = time(|| h.list_table().unwrap());
        assert_eq!(listed.len(), table.len());
        assert!(listed.iter().all(|(_, d)| d.len() == dests as usize));
        drop(listed);
        let (services_only, _) = time(|| h.list_services().unwrap());

        // Reconcile a 1% change: one destination weight in every 100th service.
        let mut want = table.clone();
        for (i, (_, ds)) in want.iter_mut().enumerate() {
            if i % 100 == 0 {
                ds[0].weight = 7;
            }
        }
        let (reconcile, report) = time(|| h.reconcile(&want, ReconcileOptions::default()).unwrap());
        assert!(report.failures.is_empty());
        assert_eq!(report.changes(), table.len().div_ceil(100));
        (batch, peak, list, services_only, reconcile)
    });

    let single = fresh_netns(|| {
        let mut h = Handle::new().expect("IPVS kernel");
        time(|| {
            for r in common::requests(&table) {
                h.execute(r).unwrap();
            }
        })
        .0
    });

    let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64();
    println!();
    println!("| measurement | time |");
    println!("|---|---|");
    println!("| ipvsadm -R ({ops} ops) | {} |", secs(ipvsadm_restore));
    println!("| crate batch ({ops} ops) | {} |", secs(batch));
    println!(
        "| crate one request per round trip ({ops} ops) | {} |",
        secs(single)
    );
    println!("| ipvsadm -Ln | {} |", secs(ipvsadm_list));
    println!("| crate list_table | {} |", secs(list));
    println!(
        "| crate list_services (services only) | {} |",
        secs(services_only)
    );
    println!("| crate reconcile of a 1% change | {} |", secs(reconcile));
    println!("| batch peak memory (VmHWM growth) | {} KiB |", peak);
    println!();
    println!("| ratio | value | target |");
    println!("|---|---|---|");
    println!(
        "| ipvsadm -R / batch | {:.1}x | >= 10x |",
        ratio(ipvsadm_restore, batch)
    );
    println!(
        "| one-per-round-trip / batch | {:.1}x | >= 3x |",
        ratio(single, batch)
    );
    println!(
        "| ipvsadm -Ln / list_table | {:.1}x | >= 5x |",
        ratio(ipvsadm_list, list)
    );
    println!(
        "| reconcile 1% / list_table | {:.2}x | < 2x |",
        ratio(reconcile, list)
    );
}

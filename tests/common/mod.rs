//! Shared by the kernel test binaries: a fresh network namespace per test,
//! and the rule that a missing IPVS kernel is a skip only when allowed.
#![allow(dead_code)]

use std::process::Command;
use std::sync::OnceLock;

use ipvs_netlink::Handle;

/// Runs `f` on a new thread inside a new network namespace (loopback up),
/// so tests run in parallel without seeing each other's tables, and without
/// touching the host's own IPVS table. Returns `None` (after printing why)
/// when no IPVS kernel is reachable and `IPVS_REQUIRE_KERNEL` is not set.
pub(crate) fn in_netns<T: Send>(name: &str, f: impl FnOnce() -> T + Send) -> Option<T> {
    in_netns_sharing(name, false, f)
}

/// The service dumps a consistent listing in a test may take. Other tests
/// add and delete thousands of services in their namespaces meanwhile (a
/// namespace's table is flushed when its test ends), and every namespace's
/// services are paged from one kernel table, so many dumps can skip or
/// repeat services before two prove a listing.
pub(crate) const SHARED_TABLE_ATTEMPTS: u32 = 30;

/// Held by every kernel test: shared by most, taken alone by those whose
/// churn in a namespace of their own changes what other namespaces' dumps
/// see (every namespace's services are paged from one kernel table).
static KERNEL: std::sync::RwLock<()> = std::sync::RwLock::new(());

/// [`in_netns`], with no other kernel test running when `alone`.
pub(crate) fn in_netns_sharing<T: Send>(
    name: &str,
    alone: bool,
    f: impl FnOnce() -> T + Send,
) -> Option<T> {
    if !kernel_available(name) {
        return None;
    }
    // A test that panicked poisons the lock; the others still run.
    let _shared;
    let _alone;
    if alone {
        _alone = KERNEL.write().unwrap_or_else(|p| p.into_inner());
    } else {
        _shared = KERNEL.read().unwrap_or_else(|p| p.into_inner());
    }
    Some(std::thread::scope(|s| {
        s.spawn(|| {
            enter_new_netns().expect("unshare(CLONE_NEWNET)");
            f()
        })
        .join()
        .unwrap_or_else(|p| std::panic::resume_unwind(p))
    }))
}

/// Moves the calling thread into a new network namespace with `lo` up.
pub(crate) fn enter_new_netns() -> std::io::Result<()> {
    // SAFETY: CLONE_NEWNET only changes this thread's network namespace; it
    // shares no memory or file table state that other threads rely on.
    unsafe { rustix::thread::unshare_unsafe(rustix::thread::UnshareFlags::NEWNET) }?;
    sh("ip link set lo up");
    Ok(())
}

/// Runs a shell command in the calling thread's namespace; panics on failure.
pub(crate) fn sh(cmd: &str) -> String {
    let out = Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .output()
        .expect("spawn sh");
    assert!(
        out.status.success(),
        "`{cmd}` failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Whether `program` is on PATH.
pub(crate) fn have(program: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {program}"))
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// Checks once whether a kernel with IPVS is reachable (as root, in a fresh
/// namespace). Without it: a failure under `IPVS_REQUIRE_KERNEL=1`, else a
/// printed skip.
pub(crate) fn kernel_available(test: &str) -> bool {
    static STATE: OnceLock<Result<(), String>> = OnceLock::new();
    let state = STATE.get_or_init(|| {
        std::thread::spawn(|| {
            enter_new_netns().map_err(|e| format!("cannot create a network namespace: {e}"))?;
            Handle::new().map(|_| ()).map_err(|e| e.to_string())
        })
        .join()
        .unwrap_or_else(|_| Err("probe thread panicked".into()))
    });
    match state {
        Ok(()) => true,
        Err(why) if std::env::var("IPVS_REQUIRE_KERNEL").is_ok_and(|v| v == "1") => {
            panic!("{test}: IPVS kernel required (IPVS_REQUIRE_KERNEL=1) but unavailable: {why}")
        }
        Err(why) => {
            eprintln!("{test}: skipped, no IPVS kernel reachable: {why}");
            false
        }
    }
}

/// Declares kernel tests: each runs in its own fresh namespace.
#[macro_export]
macro_rules! kernel_tests {
    ($($(#[$m:meta])* fn $name:ident() $body:block)*) => {
        $(
            $(#[$m])*
            #[test]
            fn $name() {
                $crate::common::in_netns(stringify!($name), || $body);
            }
        )*
    };
}

/// Runs `f` on a new thread in another new network namespace (from inside a
/// test that already has one), and returns its result.
pub(crate) fn in_other_netns<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| {
        s.spawn(|| {
            enter_new_netns().expect("unshare(CLONE_NEWNET)");
            f()
        })
        .join()
        .unwrap_or_else(|p| std::panic::resume_unwind(p))
    })
}

/// The configuration of the table as the crate reads it (without counters
/// and connection counts), sorted: what two tables must share to be "the
/// same configuration".
pub(crate) fn config_table(
    h: &mut Handle,
) -> Vec<(ipvs_netlink::Service, Vec<ipvs_netlink::Destination>)> {
    let mut t: Vec<_> = h
        .list_table_consistent(SHARED_TABLE_ATTEMPTS)
        .unwrap()
        .into_iter()
        .map(|(s, d)| {
            let mut d: Vec<_> = d.into_iter().map(|x| x.dest).collect();
            d.sort_by_key(|x| x.addr);
            (s.service, d)
        })
        .collect();
    t.sort_by_key(|e| e.0.key);
    t
}

/// Makes `n` TCP request/response exchanges to `vip`, served by a listener
/// on `server` (a local address the service forwards to), then waits for
/// the kernel's rate estimator (it runs every 2 s) so counters and rates
/// show the traffic.
pub(crate) fn tcp_exchanges(vip: std::net::SocketAddr, server: std::net::SocketAddr, n: usize) {
    use std::io::{Read, Write};
    use std::time::Duration;
    let listener = std::net::TcpListener::bind(server).unwrap();
    let served = std::thread::spawn(move || {
        for _ in 0..n {
            if let Ok((mut s, _)) = listener.accept() {
                let mut b = [0u8; 5];
                let _ = s.read_exact(&mut b);
                let _ = s.write_all(b"world");
            }
        }
    });
    for _ in 0..n {
        let mut c = std::net::TcpStream::connect_timeout(&vip, Duration::from_secs(3)).unwrap();
        c.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
        c.write_all(b"hello").unwrap();
        let mut b = [0u8; 5];
        c.read_exact(&mut b).unwrap();
        assert_eq!(&b, b"world");
    }
    served.join().unwrap();
    std::thread::sleep(Duration::from_millis(4500));
}

/// Runs every nest parser over `data` and converts whatever parses into the
/// model (no-panic checks for the fuzz replays and property tests).
pub(crate) fn parse_every_nest(data: &[u8]) {
    use ipvs_netlink::wire::{
        Command, DaemonAttr, DestAttr, IpvsMessage, ServiceAttr, Stats32Attr, Stats64Attr,
    };
    use ipvs_netlink::{DestinationEntry, Family, Info, ServiceEntry, SyncDaemon, Timeouts};
    if let Ok(a) = ServiceAttr::parse_nest(data) {
        let _ = ServiceEntry::from_attrs(&a);
    }
    if let Ok(a) = DestAttr::parse_nest(data) {
        let _ = DestinationEntry::from_attrs(&a, Family::Ipv4);
        let _ = DestinationEntry::from_attrs(&a, Family::Ipv6);
    }
    if let Ok(a) = DaemonAttr::parse_nest(data) {
        let _ = SyncDaemon::from_attrs(&a);
    }
    let _ = Stats32Attr::parse_nest(data);
    let _ = Stats64Attr::parse_nest(data);
    if let Ok(m) = IpvsMessage::parse_attrs(Command::SetInfo, data) {
        let _ = Info::from_attrs(m.attrs());
    }
    if let Ok(m) = IpvsMessage::parse_attrs(Command::SetConfig, data) {
        let _ = Timeouts::from_attrs(m.attrs());
    }
}

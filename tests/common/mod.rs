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
pub fn in_netns<T: Send>(name: &str, f: impl FnOnce() -> T + Send) -> Option<T> {
    if !kernel_available(name) {
        return None;
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
pub fn enter_new_netns() -> std::io::Result<()> {
    // SAFETY: CLONE_NEWNET only changes this thread's network namespace; it
    // shares no memory or file table state that other threads rely on.
    unsafe { rustix::thread::unshare_unsafe(rustix::thread::UnshareFlags::NEWNET) }?;
    sh("ip link set lo up");
    Ok(())
}

/// Runs a shell command in the calling thread's namespace; panics on failure.
pub fn sh(cmd: &str) -> String {
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
pub fn have(program: &str) -> bool {
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
pub fn kernel_available(test: &str) -> bool {
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
pub fn in_other_netns<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| {
        s.spawn(|| {
            enter_new_netns().expect("unshare(CLONE_NEWNET)");
            f()
        })
        .join()
        .unwrap_or_else(|p| std::panic::resume_unwind(p))
    })
}

//! Every example runs against the kernel, so none can rot. The test bed puts
//! them in `IPVS_EXAMPLES_DIR`; on a host, `cargo test` builds them into
//! target/debug/examples.

use std::path::PathBuf;
use std::process::Command;

use crate::common::sh;

pub(crate) fn example(name: &str) -> PathBuf {
    let dir = std::env::var_os("IPVS_EXAMPLES_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/debug/examples"),
        PathBuf::from,
    );
    let path = dir.join(name);
    assert!(path.exists(), "example {} not built", path.display());
    path
}

/// Runs an example in this thread's namespace and returns its stdout.
fn run(name: &str, args: &[&str]) -> String {
    let out = Command::new(example(name)).args(args).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "example {name} failed: {}\n{stdout}{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

crate::kernel_tests! {
    fn demo_example() {
        let out = run("demo", &[]);
        assert!(out.contains("IP Virtual Server version 1.2.1"), "{out}");
        // Its 12 connections went through the service, and weighted round
        // robin gave the real servers of weights 3, 2 and 1 six, four and
        // two of them (two full rounds).
        // Words of a line: service key (`tcp:ADDR`), conns, in, out, ...;
        // real server "->", address, conns, in, out, "weight", weight, ...
        let words = |l: &str| -> Vec<String> { l.split_whitespace().map(str::to_owned).collect() };
        let service = out.lines().find(|l| l.starts_with("tcp:127.0.0.2:80")).map(words);
        assert_eq!(service.as_ref().map(|w| w[1].as_str()), Some("12"), "{out}");
        let servers: Vec<Vec<String>> = out.lines().filter(|l| l.starts_with("  -> ")).map(words).collect();
        let mut weight_conns: Vec<(&str, &str)> = servers.iter().map(|w| (w[6].as_str(), w[2].as_str())).collect();
        weight_conns.sort();
        assert_eq!(weight_conns, [("1", "2"), ("2", "4"), ("3", "6")], "{out}");
        assert!(servers.iter().all(|w| w[3] != "0" && w[4] != "0"), "packets both ways: {out}");
        assert!(out.contains("0 services left"), "{out}");
    }

    fn list_example() {
        sh("ipvsadm -A -t 10.0.0.1:80 -s rr && ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1:80 -g");
        let out = run("list", &[]);
        assert!(out.contains("tcp:10.0.0.1:80"), "{out}");
        assert!(out.contains("-> 10.0.1.1:80"), "{out}");
    }

    fn reconcile_example() {
        let out = run("reconcile_file", &[]);
        assert!(out.contains("run 1: 5 changes"), "{out}");
        assert!(out.contains("run 2: 0 changes"), "{out}");
        assert_eq!(sh("ipvsadm -Sn"), "", "the example cleans up");
    }

    fn netns_example() {
        let out = run("netns", &[]);
        assert!(out.contains("tcp:192.0.2.80:80"), "{out}");
        assert!(out.contains("here: 0 services"), "{out}");
    }

    fn daemon_and_timeouts_example() {
        sh("ip link add sync1 type dummy && ip link set sync1 up multicast on");
        let out = run("daemon_timeouts", &["sync1"]);
        assert!(out.contains("udp: Some(60)"), "{out}");
        assert!(out.contains("Master on sync1 syncid 42"), "{out}");
        assert!(out.contains("daemons left: 0"), "{out}");
    }

    #[cfg(feature = "tokio")]
    fn watch_rates_example() {
        let out = run("watch_rates", &["1"]);
        assert!(out.contains("round 1: 0 conn/s"), "{out}");
    }
}

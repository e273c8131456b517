//! The `ipvsctl` example, run as an operator would, its output checked
//! against the table the kernel holds.
#![cfg(feature = "serde")]

use std::process::{Command, Output};

use crate::common::sh;
use crate::examples::example;

/// Runs `ipvsctl ARGS` in this thread's namespace.
fn ipvsctl(args: &[&str]) -> Output {
    Command::new(example("ipvsctl"))
        .args(args)
        .output()
        .unwrap()
}

/// Runs `ipvsctl ARGS`, which must exit with `code`; returns stdout and
/// stderr.
fn ipvsctl_exits(code: i32, args: &[&str]) -> (String, String) {
    let out = ipvsctl(args);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert_eq!(
        out.status.code(),
        Some(code),
        "ipvsctl {args:?}: {}\n{stdout}{stderr}",
        out.status
    );
    (stdout, stderr)
}

crate::kernel_tests! {
    fn ipvsctl_list_prints_the_table_and_its_json_form() {
        sh("ipvsadm -A -t 10.0.0.1:80 -s wrr -p 60 && ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1:80 -g -w 3 \
            && ipvsadm -A -f 7 -s rr && ipvsadm -A -u [2001:db8::1]:53 -s sh -b sh-port");
        let (out, _) = ipvsctl_exits(0, &["list"]);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 5, "{out}");
        assert!(lines[0].starts_with("SERVICE / -> DESTINATION"), "{out}");
        let line = |start: &str| lines.iter().find(|l| l.starts_with(start)).unwrap_or_else(|| panic!("no {start}: {out}"));
        assert!(line("tcp:10.0.0.1:80 ").contains("wrr persistent 60s"), "{out}");
        let dest: Vec<&str> = line("  -> 10.0.1.1:80").split_whitespace().collect();
        assert_eq!(dest[2..6], ["direct-route", "3", "0", "0"], "{out}");
        line("fwmark:7 ");
        line("udp:[2001:db8::1]:53 ");

        let (json, _) = ipvsctl_exits(0, &["list", "--json"]);
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        let listed = v.as_array().unwrap();
        assert_eq!(listed.len(), 3, "{json}");
        let tcp = listed.iter().find(|e| e["service"]["service"]["key"] == "tcp:10.0.0.1:80").unwrap();
        assert_eq!(tcp["service"]["service"]["flags"], serde_json::json!(["persistent"]));
        assert_eq!(tcp["service"]["service"]["timeout"], 60);
        assert_eq!(tcp["destinations"][0]["dest"]["forward"], "direct-route");
        assert_eq!(tcp["destinations"][0]["dest"]["weight"], 3);
        assert_eq!(tcp["destinations"][0]["active_conns"], 0);
        assert!(tcp["service"]["stats64"]["conns"].is_u64(), "{json}");
        let udp = listed.iter().find(|e| e["service"]["service"]["key"] == "udp:[2001:db8::1]:53").unwrap();
        assert_eq!(udp["service"]["service"]["flags"], serde_json::json!(["sh-port"]));
        // The JSON is the library's serde form: it reads back as entries.
        let entry: ipvs_netlink::ServiceEntry = serde_json::from_value(tcp["service"].clone()).unwrap();
        assert_eq!(entry.service.scheduler, ipvs_netlink::Scheduler::WeightedRoundRobin);
    }

    fn ipvsctl_acts_in_the_namespace_netns_names() {
        let name = format!("ipvsctl-list-{}", std::process::id());
        sh(&format!("ip netns add {name} && ip netns exec {name} ipvsadm -A -t 192.0.2.1:443 -s rr"));
        sh("ipvsadm -A -t 10.0.0.9:80 -s rr");
        let (there, _) = ipvsctl_exits(0, &["list", "--netns", &name]);
        let (here, _) = ipvsctl_exits(0, &["list"]);
        sh(&format!("ip netns del {name}"));
        assert!(there.contains("tcp:192.0.2.1:443") && !there.contains("10.0.0.9"), "{there}");
        assert!(here.contains("tcp:10.0.0.9:80") && !here.contains("192.0.2.1"), "{here}");
    }

    fn ipvsctl_exit_status_says_error_or_bad_usage() {
        let (_, err) = ipvsctl_exits(1, &["--netns", "no-such-namespace-here", "list"]);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with("ipvsctl: open IPVS in namespace no-such-namespace-here: "), "{err}");
        let (_, err) = ipvsctl_exits(2, &["list", "--no-such-flag"]);
        assert!(err.contains("--no-such-flag"), "{err}");
        ipvsctl_exits(2, &["frobnicate"]);
    }
}

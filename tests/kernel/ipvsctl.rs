//! The `ipvsctl` example, run as an operator would, its output checked
//! against the table the kernel holds.
#![cfg(all(feature = "serde", feature = "tokio", feature = "prometheus"))]

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
pub(crate) fn ipvsctl_exits(code: i32, args: &[&str]) -> (String, String) {
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

/// `ipvsadm -Sn` as a set of lines (its order is the kernel's hash order).
fn saved() -> std::collections::BTreeSet<String> {
    sh("ipvsadm -Sn").lines().map(str::to_owned).collect()
}

/// Writes `text` to a file of this test and returns its path.
fn file(name: &str, text: &str) -> String {
    let path = std::env::temp_dir().join(format!("ipvsctl-{}-{name}.toml", std::process::id()));
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

const WEB: &str = r#"
[scope]
prefixes = ["10.0.0.0/24"]
fwmarks = ["100-199"]
protocols = ["tcp"]

[[service]]
key = "tcp:10.0.0.1:80"
scheduler = "wrr"
flags = ["persistent"]
timeout = 120

[[service.destination]]
addr = "10.0.9.1:80"
weight = 3
forward = "direct-route"

[[service.destination]]
addr = "10.0.9.2:80"
upper_threshold = 50
lower_threshold = 5

[[service]]
key = "fwmark:100"
scheduler = "sh"
flags = ["sh-fallback"]

[[service.destination]]
addr = "10.0.9.3:0"
"#;

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

    fn ipvsctl_apply_dry_run_prints_the_plan_apply_then_carries_out() {
        // Someone else's service (outside the scope), and one of ours that
        // the file no longer has; UDP on our prefix is not ours either.
        sh("ipvsadm -A -t 192.0.2.1:80 -s rr && ipvsadm -a -t 192.0.2.1:80 -r 192.0.2.9:80 -g \
            && ipvsadm -A -t 10.0.0.9:80 -s rr && ipvsadm -A -u 10.0.0.1:53 -s rr");
        let before = saved();
        let web = file("web", WEB);
        let (dry, _) = ipvsctl_exits(0, &["apply", &web, "--dry-run"]);
        assert_eq!(saved(), before, "a dry run sends nothing");
        let plan: Vec<&str> = dry.lines().collect();
        assert_eq!(plan, [
            "add service tcp:10.0.0.1:80",
            "add service fwmark:100",
            "add destination 10.0.9.1:80 to tcp:10.0.0.1:80",
            "add destination 10.0.9.2:80 to tcp:10.0.0.1:80",
            "add destination 10.0.9.3:0 to fwmark:100",
            "delete service tcp:10.0.0.9:80",
            "dry run: 6 changes planned, nothing sent",
        ]);
        let (done, _) = ipvsctl_exits(0, &["apply", &web]);
        let done: Vec<&str> = done.lines().collect();
        assert_eq!(done[..6], plan[..6], "apply carries out the plan the dry run printed");
        assert_eq!(done[6..], ["6 changes made"]);
        let mut want = before.clone();
        want.remove("-A -t 10.0.0.9:80 -s rr");
        for l in [
            "-A -t 10.0.0.1:80 -s wrr -p 120",
            "-a -t 10.0.0.1:80 -r 10.0.9.1:80 -g -w 3",
            // ipvsadm -S leaves thresholds out; -Ln --thresholds shows them.
            "-a -t 10.0.0.1:80 -r 10.0.9.2:80 -m -w 1",
            "-A -f 100 -s sh -b sh-fallback",
            "-a -f 100 -r 10.0.9.3:0 -m -w 1",
        ] {
            want.insert(l.to_owned());
        }
        assert_eq!(saved(), want);
        let thresholds = sh("ipvsadm -Ln --thresholds");
        let line = thresholds.lines().find(|l| l.contains("10.0.9.2:80")).unwrap();
        let words: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(words[..4], ["->", "10.0.9.2:80", "50", "5"], "{thresholds}");
        let (again, _) = ipvsctl_exits(0, &["apply", &web]);
        assert_eq!(again, "nothing changed\n");
        let (again, _) = ipvsctl_exits(0, &["apply", &web, "--dry-run"]);
        assert_eq!(again, "nothing would change\n");

        // --json: the report.
        sh("ipvsadm -e -t 10.0.0.1:80 -r 10.0.9.1:80 -g -w 9");
        let (json, _) = ipvsctl_exits(0, &["apply", &web, "--json"]);
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["dry_run"], false);
        assert_eq!(v["done"], serde_json::json!([{"change": "update-destination", "service": "tcp:10.0.0.1:80", "destination": "10.0.9.1:80"}]));
        assert_eq!(v["failed"], serde_json::json!([]));
        assert_eq!(saved(), want);
        let (json, _) = ipvsctl_exits(0, &["apply", &web, "--json", "--dry-run"]);
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!((v["dry_run"].clone(), v["planned"].clone()), (serde_json::json!(true), serde_json::json!([])));
    }

    fn ipvsctl_apply_drain_drains_what_the_file_no_longer_has() {
        let web = file("drain-web", WEB);
        ipvsctl_exits(0, &["apply", &web]);
        // The file without one real server and without the fwmark service.
        let fewer = WEB.split("[[service]]\nkey = \"fwmark:100\"").next().unwrap().replace(
            "[[service.destination]]\naddr = \"10.0.9.2:80\"\nupper_threshold = 50\nlower_threshold = 5\n",
            "",
        );
        let fewer = file("drain-fewer", &fewer);
        let (dry, _) = ipvsctl_exits(0, &["apply", &fewer, "--drain", "5", "--dry-run"]);
        assert_eq!(dry.lines().collect::<Vec<_>>(), [
            "drain destination 10.0.9.2:80 of tcp:10.0.0.1:80",
            "drain destination 10.0.9.3:0 of fwmark:100",
            "delete service fwmark:100",
            "dry run: 3 changes planned, nothing sent",
        ]);
        let (json, _) = ipvsctl_exits(0, &["apply", &fewer, "--drain", "5", "--json"]);
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["failed"], serde_json::json!([]));
        let drains = v["drains"].as_array().unwrap();
        let ended: Vec<_> = drains.iter().map(|d| (d["destination"].as_str().unwrap(), d["outcome"].as_str().unwrap())).collect();
        assert_eq!(ended, [("10.0.9.2:80", "drained"), ("10.0.9.3:0", "drained")]);
        assert!(drains.iter().all(|d| d["seconds"].as_f64().unwrap() < 5.0), "{drains:?}");
        let left = saved();
        assert!(!left.iter().any(|l| l.contains("10.0.9.2:80") || l.contains("-f 100")), "{left:?}");
        assert!(left.contains("-a -t 10.0.0.1:80 -r 10.0.9.1:80 -g -w 3"), "{left:?}");
        let (again, _) = ipvsctl_exits(0, &["apply", &fewer, "--drain", "5"]);
        assert_eq!(again, "nothing changed\n");
        let (_, err) = ipvsctl_exits(2, &["apply", &fewer, "--drain", "soon"]);
        assert!(err.contains("\"soon\" is not a number of seconds"), "{err}");
    }

    fn ipvsctl_apply_guards_refuse_with_nothing_sent() {
        sh("ipvsadm -A -t 192.0.2.1:80 -s rr && ipvsadm -A -t 10.0.0.9:80 -s rr \
            && ipvsadm -a -t 10.0.0.9:80 -r 10.0.9.9:80 -m && ipvsadm -A -t 10.0.0.8:80 -s rr");
        let before = saved();
        let refused = |args: &[&str], why: &str| {
            let (out, err) = ipvsctl_exits(1, args);
            assert_eq!(out, "", "nothing printed as done");
            assert_eq!(err.lines().count(), 1, "{err}");
            assert!(err.starts_with(&format!("ipvsctl: apply {}: ", args[1])), "{err}");
            assert!(err.contains(why), "{err}");
            assert_eq!(saved(), before, "nothing sent for {args:?}");
        };
        let web = file("guarded", WEB);
        // The plan deletes the two services (and the destination with one).
        refused(&["apply", &web, "--max-deletes", "1"], "the plan deletes 2 services and destinations, more than the 1 allowed");
        let empty = file("empty", "[scope]\nprefixes = [\"10.0.0.0/24\"]\n");
        refused(&["apply", &empty], "the desired table is empty: it would delete all 2 services the scope owns");
        refused(&["apply", &empty, "--dry-run"], "the desired table is empty");
        let outside = file("outside", &WEB.replace("tcp:10.0.0.1:80", "tcp:192.0.2.1:80"));
        refused(&["apply", &outside], "desired service tcp:192.0.2.1:80 is outside the reconcile's scope");
        let twice = file("twice", &format!("{WEB}\n[[service]]\nkey = \"fwmark:100\"\nscheduler = \"rr\"\n"));
        refused(&["apply", &twice], "service fwmark:100 is in the desired table twice");
        let bad = file("bad", "[scope]\nall = true\n[[service]]\nkey = \"tcp:10.0.0.1\"\nscheduler = \"rr\"\n");
        refused(&["apply", &bad], "bad service key \"tcp:10.0.0.1\"");

        // Asked for, the empty file deletes what its scope owns, only that.
        let (out, _) = ipvsctl_exits(0, &["apply", &empty, "--delete-all"]);
        assert_eq!(out.lines().last(), Some("2 changes made"), "{out}");
        assert_eq!(saved(), ["-A -t 192.0.2.1:80 -s rr".to_owned()].into_iter().collect());
        ipvsctl_exits(0, &["apply", &web, "--max-deletes", "0"]);
    }
}

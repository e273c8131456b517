//! `ipvsctl conns` and `ipvsctl sysctl`, run as an operator would, checked
//! against the library's reading and against `/proc`.
#![cfg(all(feature = "serde", feature = "tokio", feature = "prometheus"))]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::Command;

use ipvs_netlink::conn::{read_conns, ConnEntry, ConnTable};
use ipvs_netlink::sysctl::Sysctls;
use ipvs_netlink::*;

use crate::common::sh;
use crate::examples::example;

/// Runs `ipvsctl ARGS`, which must exit with `code`; stdout and stderr.
fn ipvsctl(code: i32, args: &[&str]) -> (String, String) {
    let out = Command::new(example("ipvsctl"))
        .args(args)
        .output()
        .unwrap();
    let (o, e) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert_eq!(out.status.code(), Some(code), "ipvsctl {args:?}: {o}{e}");
    (o, e)
}

fn sa(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

crate::kernel_tests! {
    fn ipvsctl_conns_lists_filters_and_prints_json() {
        sh("ip addr add 10.10.0.1/32 dev lo && ip addr add 10.10.0.2/32 dev lo");
        let mut h = Handle::new().unwrap();
        let key = ServiceKey::tcp(sa("10.10.0.1:80"));
        h.add_service(&Service::new(key, Scheduler::RoundRobin)).unwrap();
        h.add_destination(&key, &Destination::new(sa("10.10.0.2:8080"))).unwrap();
        let listener = TcpListener::bind("10.10.0.2:8080").unwrap();
        let mut c = TcpStream::connect("10.10.0.1:80").unwrap();
        c.write_all(b"x").unwrap();
        let (mut s, _) = listener.accept().unwrap();
        s.read_exact(&mut [0u8; 1]).unwrap();
        let client = c.local_addr().unwrap();

        let (out, _) = ipvsctl(0, &["conns"]);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 2, "{out}");
        assert!(lines[0].starts_with("PRO  STATE"), "{out}");
        assert!(lines[1].starts_with("TCP  ESTABLISHED"), "{out}");
        assert!(lines[1].contains(&client.to_string()) && lines[1].ends_with("10.10.0.2:8080"), "{out}");
        let (out, _) = ipvsctl(0, &["conns", "tcp:10.10.0.1:80", "10.10.0.2:8080"]);
        assert_eq!(out.lines().count(), 2, "{out}");
        let (out, _) = ipvsctl(0, &["conns", "udp:10.10.0.1:80"]);
        assert_eq!(out.lines().count(), 1, "only the header: {out}");
        let (out, _) = ipvsctl(0, &["conns", "--sync"]);
        assert!(out.lines().nth(1).unwrap().ends_with("10.10.0.2:8080 LOCAL"), "{out}");
        let (out, _) = ipvsctl(0, &["conns", "--json"]);
        let parsed: Vec<ConnEntry> = serde_json::from_str(&out).unwrap();
        let read: Vec<ConnEntry> = read_conns(&Netns::Current, ConnTable::Conns).unwrap().map(Result::unwrap).collect();
        assert_eq!(parsed.iter().map(|e| e.client).collect::<Vec<_>>(), read.iter().map(|e| e.client).collect::<Vec<_>>());
        assert_eq!(parsed[0].client, client);
        let (_, err) = ipvsctl(2, &["conns", "tcp:nonsense"]);
        assert!(!err.is_empty());
        let (_, err) = ipvsctl(1, &["--netns", "no-such-ns", "conns"]);
        assert!(err.starts_with("ipvsctl: read the connections of namespace no-such-ns:"), "{err}");
    }

    fn ipvsctl_sysctl_prints_sets_presets_and_refuses() {
        let ns = format!("ctl{}", std::process::id());
        sh(&format!("ip netns add {ns}"));
        let cat = |k: &str| sh(&format!("ip netns exec {ns} cat /proc/sys/net/ipv4/vs/{k}")).trim().to_owned();
        let (all, _) = ipvsctl(0, &["--netns", &ns, "sysctl"]);
        let files = sh(&format!("ip netns exec {ns} ls /proc/sys/net/ipv4/vs")).split_whitespace().count();
        assert_eq!(all.lines().count(), files, "{all}");
        assert!(all.lines().any(|l| l == "sync_threshold = 3 50"), "{all}");
        let (out, _) = ipvsctl(0, &["--netns", &ns, "sysctl", "expire_nodest_conn=1", "sync_ports=2", "conntrack"]);
        assert_eq!(out, "conntrack = 0\nsync_ports = 2\nexpire_nodest_conn = 1\n", "{out}");
        assert_eq!((cat("expire_nodest_conn"), cat("sync_ports")), ("1".into(), "2".into()));
        let (out, _) = ipvsctl(0, &["--netns", &ns, "sysctl", "--preset", "drain", "--json"]);
        let s: Sysctls = serde_json::from_str(&out).unwrap();
        assert_eq!((s.expire_nodest_conn, s.expire_quiescent_template, s.conntrack), (Some(true), Some(true), None));
        assert_eq!(cat("expire_quiescent_template"), "1");
        let (_, err) = ipvsctl(1, &["--netns", &ns, "sysctl", "sync_ports=3"]);
        assert!(err.contains("out of range") && err.contains("power of two"), "{err}");
        assert_eq!(cat("sync_ports"), "2");
        let (_, err) = ipvsctl(1, &["--netns", &ns, "sysctl", "no_such_knob=1"]);
        assert!(err.contains("unknown IPVS sysctl"), "{err}");
        let (_, err) = ipvsctl(1, &["--netns", &ns, "sysctl", "conn_lfactor"]);
        assert!(err.contains("does not exist on this kernel"), "{err}");
        let (_, err) = ipvsctl(1, &["--netns", &ns, "sysctl", "--preset", "nope"]);
        assert!(err.contains("unknown"), "{err}");
        sh(&format!("ip netns del {ns}"));
    }
}

//! The serde forms of the model (feature `serde`): every variant survives a
//! round trip through JSON and TOML, a hand-written configuration reads as
//! meant, and bad values are refused with a message naming them.
#![cfg(feature = "serde")]

use std::fmt::Debug;
use std::net::{IpAddr, Ipv4Addr};

use ipvs_netlink::{
    DaemonRole, Destination, DestinationEntry, Family, ForwardMethod, GueChecksum, Info, Netmask,
    Protocol, Scheduler, Service, ServiceEntry, ServiceFlags, ServiceKey, Stats, SyncDaemon,
    Timeouts, Tunnel, Version,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// TOML needs a table at the top: every value goes in as `value = ...`.
#[derive(Serialize, Deserialize)]
struct Wrap<T> {
    value: T,
}

fn round_trip<T: Serialize + DeserializeOwned + PartialEq + Debug>(v: &T) {
    let json = serde_json::to_string(v).unwrap();
    assert_eq!(&serde_json::from_str::<T>(&json).unwrap(), v, "JSON {json}");
    let toml_text = toml::to_string(&Wrap { value: v }).unwrap();
    let back: Wrap<T> = toml::from_str(&toml_text).unwrap_or_else(|e| panic!("{toml_text}: {e}"));
    assert_eq!(&back.value, v, "TOML {toml_text}");
}

fn keys() -> Vec<ServiceKey> {
    vec![
        ServiceKey::tcp("10.0.0.1:80".parse().unwrap()),
        ServiceKey::udp("[2001:db8::1]:53".parse().unwrap()),
        ServiceKey::sctp("10.0.0.1:3868".parse().unwrap()),
        ServiceKey::Addr {
            protocol: Protocol::Other(47),
            addr: "10.0.0.2:0".parse().unwrap(),
        },
        ServiceKey::fwmark(Family::Ipv4, 5),
        ServiceKey::fwmark(Family::Ipv6, 6),
    ]
}

fn schedulers() -> Vec<Scheduler> {
    let names = [
        "rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh",
        "twos", "none", "mine",
    ];
    names
        .iter()
        .map(|n| Scheduler::from_name(n).unwrap())
        .collect()
}

fn forwards() -> Vec<ForwardMethod> {
    vec![
        ForwardMethod::Masquerade,
        ForwardMethod::Local,
        ForwardMethod::DirectRoute,
        ForwardMethod::Bypass,
        ForwardMethod::Other(5),
        ForwardMethod::Other(7),
        ForwardMethod::Tunnel(Tunnel::Ipip),
        ForwardMethod::Tunnel(Tunnel::Gue {
            port: 6080,
            checksum: GueChecksum::None,
        }),
        ForwardMethod::Tunnel(Tunnel::Gue {
            port: 6080,
            checksum: GueChecksum::Checksum,
        }),
        ForwardMethod::Tunnel(Tunnel::Gue {
            port: 1,
            checksum: GueChecksum::Remote,
        }),
        ForwardMethod::Tunnel(Tunnel::Gre { checksum: false }),
        ForwardMethod::Tunnel(Tunnel::Gre { checksum: true }),
        ForwardMethod::Tunnel(Tunnel::Other {
            kind: 9,
            port: 3,
            flags: 4,
        }),
    ]
}

fn stats(n: u64) -> Stats {
    Stats {
        conns: n,
        in_packets: n + 1,
        out_packets: n + 2,
        in_bytes: u64::MAX,
        out_bytes: n + 4,
        cps: n + 5,
        in_pps: n + 6,
        out_pps: n + 7,
        in_bps: n + 8,
        out_bps: n + 9,
    }
}

#[test]
fn keys_protocols_schedulers_round_trip() {
    for k in keys() {
        round_trip(&k);
        if let ServiceKey::Addr { protocol, .. } = k {
            round_trip(&protocol);
        }
    }
    for s in schedulers() {
        round_trip(&s);
    }
    round_trip(&Family::Ipv4);
    round_trip(&Family::Ipv6);
    assert_eq!(
        serde_json::to_string(&keys()[1]).unwrap(),
        r#""udp:[2001:db8::1]:53""#
    );
}

#[test]
fn services_round_trip_with_every_flag_and_netmask() {
    let single = [
        ServiceFlags::PERSISTENT,
        ServiceFlags::ONE_PACKET,
        ServiceFlags::SCHED1,
        ServiceFlags::SCHED2,
        ServiceFlags::SCHED3,
        ServiceFlags::from_bits_retain(0x40),
        ServiceFlags::from_bits_retain(0x8000_0000),
    ];
    let mut flag_sets: Vec<ServiceFlags> = single.to_vec();
    flag_sets.push(ServiceFlags::empty());
    flag_sets.push(single.iter().fold(ServiceFlags::empty(), |a, b| a | *b));
    for f in &flag_sets {
        round_trip(f);
    }
    for key in keys() {
        for sched in schedulers() {
            for f in &flag_sets {
                let mut s = Service::new(key, sched.clone());
                s.flags = *f;
                round_trip(&s);
            }
        }
        let mut s = Service::new(key, Scheduler::RoundRobin).persistent(300);
        s.persistence_engine = Some("sip".into());
        s.netmask = match key.family() {
            Family::Ipv4 => Netmask::V4(Ipv4Addr::new(255, 255, 255, 0)),
            Family::Ipv6 => Netmask::V6(64),
        };
        round_trip(&s);
        round_trip(&s.netmask);
    }
    let sh = Service {
        flags: ServiceFlags::SH_FALLBACK | ServiceFlags::SH_PORT,
        ..Service::new(keys()[0], Scheduler::SourceHashing)
    };
    let json = serde_json::to_value(&sh).unwrap();
    assert_eq!(json["flags"], serde_json::json!(["sh-fallback", "sh-port"]));
    let mh = Service {
        flags: ServiceFlags::MH_FALLBACK,
        ..Service::new(keys()[0], Scheduler::MaglevHashing)
    };
    assert_eq!(
        serde_json::to_value(&mh).unwrap()["flags"],
        serde_json::json!(["mh-fallback"])
    );
}

#[test]
fn destinations_round_trip_with_every_forwarding_and_tunnel() {
    for f in forwards() {
        round_trip(&f);
        if let ForwardMethod::Tunnel(t) = f {
            round_trip(&t);
            if let Tunnel::Gue { checksum, .. } = t {
                round_trip(&checksum);
            }
        }
        for addr in ["10.0.1.1:80", "[2001:db8::2]:8080"] {
            let d = Destination::new(addr.parse().unwrap())
                .forward(f)
                .weight(0)
                .thresholds(10, 20);
            round_trip(&d);
            round_trip(&Destination::new(addr.parse().unwrap()).forward(f));
            let entry = DestinationEntry {
                active_conns: 1,
                inactive_conns: 2,
                persist_conns: 3,
                stats: Some(stats(10)),
                stats64: Some(stats(20)),
                ..DestinationEntry::new(d.clone())
            };
            round_trip(&entry);
            round_trip(&DestinationEntry::new(d));
        }
    }
}

#[test]
fn entries_daemons_timeouts_and_info_round_trip() {
    for key in keys() {
        let s = Service::new(key, Scheduler::WeightedLeastConnection);
        round_trip(&ServiceEntry::new(s.clone()));
        round_trip(&ServiceEntry {
            stats: Some(stats(1)),
            stats64: Some(stats(2)),
            ..ServiceEntry::new(s)
        });
    }
    round_trip(&stats(0));
    for role in [DaemonRole::Master, DaemonRole::Backup] {
        round_trip(&role);
        round_trip(&SyncDaemon::new(role, "eth0", 7));
        let group: IpAddr = "ff02::81".parse().unwrap();
        round_trip(&SyncDaemon {
            max_len: Some(1400),
            group: Some(group),
            port: Some(8848),
            ttl: Some(2),
            ..SyncDaemon::new(role, "sync1", 255)
        });
    }
    round_trip(&Timeouts::default());
    round_trip(&Timeouts {
        tcp: Some(900),
        tcp_fin: Some(120),
        udp: Some(300),
    });
    round_trip(&Timeouts {
        tcp: None,
        tcp_fin: Some(1),
        udp: None,
    });
    let info = Info {
        version: Version {
            major: 1,
            minor: 2,
            patch: 255,
        },
        conn_tab_size: 4096,
    };
    round_trip(&info);
    assert_eq!(serde_json::to_value(info).unwrap()["version"], "1.2.255");
}

#[test]
fn a_hand_written_service_reads_as_meant() {
    let text = r#"
        [[service]]
        key = "udp:10.0.0.2:5060"
        scheduler = "sh"
        flags = ["sh-port", "persistent"]
        timeout = 60
        netmask = "255.255.0.0"

        [[service.destination]]
        addr = "10.0.1.1:5060"

        [[service.destination]]
        addr = "10.0.1.2:5060"
        weight = 3
        forward = "dr"
        upper_threshold = 100
        lower_threshold = 10

        [[service.destination]]
        addr = "[2001:db8::9]:5060"
        tunnel = { type = "gue", port = 6080, checksum = "remote" }
    "#;
    // A `[[service]]` table holds the service and its destinations, as in
    // ipvsctl's files: the two halves are read apart.
    #[derive(Deserialize)]
    struct Raw {
        service: Vec<toml::Table>,
    }
    let raw: Raw = toml::from_str(text).unwrap();
    let mut table = raw.service[0].clone();
    let dests = table.remove("destination").unwrap();
    let svc: Service = table.try_into().unwrap();
    let dests: Vec<Destination> = dests.try_into().unwrap();
    let key = ServiceKey::udp("10.0.0.2:5060".parse().unwrap());
    assert_eq!(
        svc,
        Service {
            flags: ServiceFlags::SH_PORT | ServiceFlags::PERSISTENT,
            timeout: 60,
            netmask: Netmask::V4(Ipv4Addr::new(255, 255, 0, 0)),
            ..Service::new(key, Scheduler::SourceHashing)
        }
    );
    assert_eq!(
        dests,
        vec![
            Destination::new("10.0.1.1:5060".parse().unwrap()),
            Destination::new("10.0.1.2:5060".parse().unwrap())
                .weight(3)
                .forward(ForwardMethod::DirectRoute)
                .thresholds(10, 100),
            Destination::new("[2001:db8::9]:5060".parse().unwrap()).forward(ForwardMethod::Tunnel(
                Tunnel::Gue {
                    port: 6080,
                    checksum: GueChecksum::Remote
                }
            )),
        ]
    );
}

#[test]
fn bad_values_are_refused_naming_them() {
    let err = |json: &str| -> String {
        match serde_json::from_str::<Service>(json) {
            Ok(s) => panic!("{json} read as {s:?}"),
            Err(e) => e.to_string(),
        }
    };
    let e = err(r#"{"key": "tcp:10.0.0.1", "scheduler": "rr"}"#);
    assert!(e.contains("tcp:10.0.0.1"), "{e}");
    let e = err(r#"{"key": "tcp:10.0.0.1:80", "scheduler": "rr", "flags": ["sticky"]}"#);
    assert!(e.contains("unknown service flag \"sticky\""), "{e}");
    let e = err(r#"{"key": "tcp:10.0.0.1:80", "scheduler": "a234567890123456"}"#);
    assert!(e.contains("a234567890123456"), "{e}");
    let e = err(r#"{"key": "tcp:10.0.0.1:80", "scheduler": "rr", "netmask": 200}"#);
    assert!(e.contains("200 outside 1..=128"), "{e}");
    let e = err(r#"{"key": "tcp:10.0.0.1:80", "scheduler": "rr", "colour": 1}"#);
    assert!(e.contains("colour"), "{e}");

    let derr = |json: &str| -> String {
        match serde_json::from_str::<Destination>(json) {
            Ok(d) => panic!("{json} read as {d:?}"),
            Err(e) => e.to_string(),
        }
    };
    let e = derr(r#"{"addr": "10.0.1.1:80", "forward": "teleport"}"#);
    assert!(e.contains("unknown forwarding method \"teleport\""), "{e}");
    let e = derr(r#"{"addr": "10.0.1.1:80", "forward": "dr", "tunnel": {"type": "gre"}}"#);
    assert!(e.contains("not \"tunnel\""), "{e}");
    let e = derr(r#"{"addr": "10.0.1.1:80", "tunnel": {"type": "ipip", "checksum": "remote"}}"#);
    assert!(e.contains("checksum \"remote\""), "{e}");
    let e = derr(r#"{"addr": "10.0.1.1:80", "tunnel": {"type": "vxlan"}}"#);
    assert!(e.contains("unknown tunnel type \"vxlan\""), "{e}");
    let e = derr(r#"{"addr": "10.0.1.1"}"#);
    assert!(e.contains("socket address"), "{e}");
    let e = serde_json::from_str::<Info>(r#"{"version": "1.2", "conn_tab_size": 1}"#).unwrap_err();
    assert!(e.to_string().contains("bad version \"1.2\""), "{e}");
}

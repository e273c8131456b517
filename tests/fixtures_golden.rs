//! Golden tests on bytes captured from real kernels (`cargo xtask capture`,
//! see tests/kernel_capture.rs): every reply kind parses to what the capture
//! set up, re-emits byte for byte, and drives the session; this crate's
//! requests match what ipvsadm sent for the same operations.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use ipvs_netlink::proto::Session;
use ipvs_netlink::wire::netlink::{frames, NlStatus, NLMSG_DONE, NLMSG_ERROR};
use ipvs_netlink::wire::{Command, IpvsAttr, IpvsMessage};
use ipvs_netlink::*;
use netlink_packet_core::Emitable;

fn sa(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// The kernel fixture folders (`tests/fixtures/linux-*`); at least two.
fn kernels() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("linux-")
        })
        .collect();
    v.sort();
    assert!(
        v.len() >= 2,
        "fixtures from both test-bed kernels expected, found {v:?}"
    );
    v
}

fn read(dir: &Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{}/{name}: {e}", dir.display()))
}

/// The IPVS messages of a reply fixture, each checked to re-emit unchanged.
fn messages(dir: &Path, name: &str) -> Vec<IpvsMessage> {
    let bytes = read(dir, name);
    let mut out = Vec::new();
    for f in frames(&bytes) {
        let f = f.unwrap();
        if f.header.kind == NLMSG_ERROR || f.header.kind == NLMSG_DONE {
            continue;
        }
        let msg = IpvsMessage::parse_genl(f.payload).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut again = Vec::new();
        msg.emit_genl(&mut again);
        // The kernel leaves the genl header's reserved field 0 and sends
        // version 1, as emit_genl does; everything after must match exactly.
        assert_eq!(
            again,
            f.payload,
            "{}/{name}: re-emitted bytes differ",
            dir.display()
        );
        // Its length, computed, is what was written.
        assert_eq!(msg.buffer_len(), again.len() - 4, "{name}: buffer_len");
        out.push(msg);
    }
    out
}

/// Feeds a fixture to a session as the answer to `request`, with the
/// sequence numbers rewritten to the session's.
fn through_session(dir: &Path, name: &str, request: &Request) -> Result<Reply, Error> {
    let mut bytes = read(dir, name);
    let family = frames(&bytes)
        .map(|f| f.unwrap().header.kind)
        .find(|k| *k > 0x10)
        .unwrap_or(0x20);
    let mut session = Session::with_family_id(family);
    let token = session.submit(request).unwrap();
    session.take_outgoing();
    // Rewrite every header's sequence number (bytes 8..12) to the token's (1).
    let mut at = 0;
    while at + 16 <= bytes.len() {
        let len = u32::from_ne_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        bytes[at + 8..at + 12].copy_from_slice(&1u32.to_ne_bytes());
        at += (len + 3) & !3;
    }
    session.receive(&bytes, 0);
    assert!(
        !session.is_pending(token),
        "{name}: request still pending after its reply"
    );
    assert_eq!(session.stats().dropped, 0, "{name}: messages dropped");
    session.take_result(token).unwrap()
}

fn services(msgs: &[IpvsMessage]) -> Vec<ServiceEntry> {
    msgs.iter()
        .flat_map(|m| m.attrs())
        .filter_map(|a| match a {
            IpvsAttr::Service(n) => Some(ServiceEntry::from_attrs(n).unwrap()),
            _ => None,
        })
        .collect()
}

fn dests(msgs: &[IpvsMessage], family: Family) -> Vec<DestinationEntry> {
    msgs.iter()
        .flat_map(|m| m.attrs())
        .filter_map(|a| match a {
            IpvsAttr::Dest(n) => Some(DestinationEntry::from_attrs(n, family).unwrap()),
            _ => None,
        })
        .collect()
}

#[test]
fn service_dump() {
    for k in kernels() {
        let msgs = messages(&k, "service_dump.bin");
        assert!(msgs.iter().all(|m| m.command() == Command::NewService));
        let mut s = services(&msgs);
        assert_eq!(s.len(), 7, "{}", k.display());
        s.sort_by_key(|s| s.service.key);
        let find = |key: ServiceKey| {
            s.iter()
                .find(|s| s.service.key == key)
                .unwrap_or_else(|| panic!("{key} missing"))
        };
        let web = find(ServiceKey::tcp(sa("10.0.0.1:80")));
        assert_eq!(
            (
                web.service.scheduler.clone(),
                web.service.flags,
                web.service.timeout
            ),
            (Scheduler::RoundRobin, ServiceFlags::empty(), 0)
        );
        assert!(
            web.stats.is_some() && web.stats64.is_some(),
            "both stats nests"
        );
        let sip = find(ServiceKey::udp(sa("10.0.0.2:5060")));
        assert_eq!(
            sip.service.flags,
            ServiceFlags::PERSISTENT | ServiceFlags::SH_PORT | ServiceFlags::SH_FALLBACK
        );
        assert_eq!(sip.service.timeout, 300);
        assert_eq!(
            sip.service.netmask,
            Netmask::V4("255.255.255.0".parse().unwrap())
        );
        assert_eq!(sip.service.persistence_engine.as_deref(), Some("sip"));
        let v6 = find(ServiceKey::tcp(sa("[2001:db8::1]:443")));
        assert_eq!(
            (
                v6.service.scheduler.clone(),
                v6.service.netmask,
                v6.service.timeout
            ),
            (Scheduler::MaglevHashing, Netmask::V6(64), 60)
        );
        assert_eq!(
            find(ServiceKey::fwmark(Family::Ipv4, 7)).service.scheduler,
            Scheduler::WeightedLeastConnection
        );
        assert_eq!(
            find(ServiceKey::fwmark(Family::Ipv6, 8)).service.scheduler,
            Scheduler::None
        );
        assert_eq!(
            find(ServiceKey::sctp(sa("10.0.0.3:9999")))
                .service
                .scheduler,
            Scheduler::LeastConnection
        );
        assert_eq!(
            find(ServiceKey::udp(sa("10.0.0.4:53"))).service.flags,
            ServiceFlags::ONE_PACKET
        );
        // The session assembles the same list from the same bytes.
        let Reply::Services(mut from_session) =
            through_session(&k, "service_dump.bin", &Request::ListServices).unwrap()
        else {
            panic!("not a service list")
        };
        from_session.sort_by_key(|s| s.service.key);
        assert_eq!(from_session, s);
    }
}

#[test]
fn service_get_and_traffic_counters() {
    for k in kernels() {
        let key = ServiceKey::udp(sa("10.0.0.2:5060"));
        let got = through_session(&k, "service_get.bin", &Request::GetService(key)).unwrap();
        let Reply::Service(s) = got else {
            panic!("not a service")
        };
        assert_eq!(s.service.key, key);
        assert_eq!(s.service.persistence_engine.as_deref(), Some("sip"));

        let s = &services(&messages(&k, "service_traffic.bin"))[0];
        let st = s.stats64.unwrap();
        assert_eq!(
            st.conns,
            3,
            "{}: three connections went through",
            k.display()
        );
        assert!(st.in_packets >= 9 && st.out_packets >= 6, "{st:?}");
        assert!(st.in_bytes > 0 && st.out_bytes > 0);
        let st32 = s.stats.unwrap();
        assert_eq!(
            (st32.conns, st32.in_packets, st32.in_bytes),
            (st.conns, st.in_packets, st.in_bytes)
        );
        let d = &dests(&messages(&k, "dest_traffic.bin"), Family::Ipv4)[0];
        assert_eq!(d.stats64.unwrap().conns, 3);
        // The kernel keeps the masquerading method it was given even though
        // the real server's address is local.
        assert_eq!(d.dest.forward, ForwardMethod::Masquerade);
    }
}

#[test]
fn destination_dumps() {
    for k in kernels() {
        let mut d = dests(&messages(&k, "dest_dump_v4.bin"), Family::Ipv4);
        d.sort_by_key(|d| d.dest.addr);
        let by = |a: &str| {
            d.iter()
                .find(|d| d.dest.addr == sa(a))
                .unwrap_or_else(|| panic!("{a} missing"))
        };
        assert_eq!(d.len(), 6, "{}", k.display());
        let m = by("10.0.1.1:8080");
        assert_eq!(
            (
                m.dest.forward,
                m.dest.weight,
                m.dest.lower_threshold,
                m.dest.upper_threshold
            ),
            (ForwardMethod::Masquerade, 5, 10, 100)
        );
        assert_eq!(
            (
                by("10.0.1.2:80").dest.forward,
                by("10.0.1.2:80").dest.weight
            ),
            (ForwardMethod::DirectRoute, 0)
        );
        assert_eq!(
            by("10.0.1.3:80").dest.forward,
            ForwardMethod::Tunnel(Tunnel::Ipip)
        );
        assert_eq!(
            by("10.0.1.4:80").dest.forward,
            ForwardMethod::Tunnel(Tunnel::Gue {
                port: 6080,
                checksum: GueChecksum::Remote
            })
        );
        assert_eq!(
            by("10.0.1.5:80").dest.forward,
            ForwardMethod::Tunnel(Tunnel::Gre { checksum: true })
        );
        let mixed = by("[2001:db8::5]:80");
        assert_eq!(
            (mixed.dest.family(), mixed.dest.forward),
            (Family::Ipv6, ForwardMethod::Tunnel(Tunnel::Ipip))
        );

        let v6 = dests(&messages(&k, "dest_dump_v6.bin"), Family::Ipv6);
        assert_eq!(v6.len(), 1);
        assert_eq!(
            (v6[0].dest.addr, v6[0].dest.weight),
            (sa("[2001:db8::10]:443"), 3)
        );
        let fw = dests(&messages(&k, "dest_dump_fwmark.bin"), Family::Ipv4);
        assert_eq!(
            (fw[0].dest.addr, fw[0].dest.forward),
            (sa("10.0.2.1:0"), ForwardMethod::DirectRoute)
        );

        let key = ServiceKey::tcp(sa("10.99.0.1:80"));
        let r = through_session(
            &k,
            "dest_dump_missing_service.bin",
            &Request::ListDestinations(key),
        )
        .unwrap();
        assert_eq!(
            r,
            Reply::Destinations(vec![]),
            "a missing service dumps nothing, without error"
        );
        let r = through_session(
            &k,
            "dest_dump_v4.bin",
            &Request::ListDestinations(ServiceKey::tcp(sa("10.0.0.1:80"))),
        )
        .unwrap();
        let Reply::Destinations(mut from_session) = r else {
            panic!()
        };
        from_session.sort_by_key(|d| d.dest.addr);
        assert_eq!(from_session, d);
    }
}

#[test]
fn daemons_config_info() {
    for k in kernels() {
        let r = through_session(&k, "daemon_dump.bin", &Request::ListDaemons).unwrap();
        let Reply::Daemons(d) = r else { panic!() };
        assert_eq!(d.len(), 2);
        assert_eq!(
            (d[0].role, d[0].interface.as_str(), d[0].sync_id),
            (DaemonRole::Master, "sync0", 5)
        );
        assert_eq!(
            (d[0].group, d[0].port, d[0].ttl),
            (Some("239.1.2.3".parse().unwrap()), Some(9000), Some(2))
        );
        assert_eq!(
            (d[1].role, d[1].group),
            (DaemonRole::Backup, Some("ff02::1:2".parse().unwrap()))
        );
        assert_eq!(d[1].port, Some(8848));
        assert!(d[0].max_len.is_some());

        let r = through_session(&k, "config.bin", &Request::GetTimeouts).unwrap();
        assert_eq!(
            r,
            Reply::Timeouts(Timeouts {
                tcp: Some(1000),
                tcp_fin: Some(100),
                udp: Some(200)
            })
        );
        let Reply::Info(info) = through_session(&k, "info.bin", &Request::GetInfo).unwrap() else {
            panic!()
        };
        assert_eq!(info.version.to_string(), "1.2.1");
        assert!(info.conn_tab_size.is_power_of_two());
        messages(&k, "config.bin");
        messages(&k, "info.bin");
        messages(&k, "daemon_dump.bin");
    }
}

#[test]
fn acks_and_errors() {
    for k in kernels() {
        assert_eq!(
            through_session(&k, "ack.bin", &Request::Zero(None)).unwrap(),
            Reply::Done
        );
        let s = Service::new(ServiceKey::tcp(sa("10.0.0.1:80")), Scheduler::RoundRobin);
        let e =
            through_session(&k, "error_service_exists.bin", &Request::AddService(s)).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::ServiceExists(_)), "{e}");
        let e = through_session(
            &k,
            "error_invalid_dest.bin",
            &Request::AddDestination(
                ServiceKey::tcp(sa("10.0.0.1:80")),
                Destination::new(sa("224.0.0.1:80")),
            ),
        )
        .unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::InvalidArgument(_)), "{e}");
        // The raw status is readable on its own too.
        let bytes = read(&k, "error_invalid_dest.bin");
        let f = frames(&bytes).next().unwrap().unwrap();
        assert_eq!(
            NlStatus::parse_error(f.payload, f.header.flags)
                .unwrap()
                .code,
            -22
        );
    }
}

/// How this crate's request compares with ipvsadm's for one operation.
enum Expect {
    /// The same attributes, byte for byte.
    Identical,
    /// ipvsadm sends the full service nest (and for destinations/daemons the
    /// unused fields) where only the identifying part counts: ours is the
    /// identifying part, every attribute of ours is in ipvsadm's unchanged.
    Subset,
}

fn ipvsadm_messages(dir: &Path, name: &str) -> Vec<Vec<u8>> {
    let raw = read(&dir.join("ipvsadm"), &format!("{name}.req"));
    let mut out = Vec::new();
    let mut rest = &raw[..];
    while rest.len() >= 4 {
        let n = u32::from_le_bytes(rest[..4].try_into().unwrap()) as usize;
        out.push(rest[4..4 + n].to_vec());
        rest = &rest[4 + n..];
    }
    out
}

/// A generic netlink payload with NLA_F_NESTED cleared on its top-level
/// attributes.
fn without_nested_flag(genl: &[u8]) -> Vec<u8> {
    let mut out = genl.to_vec();
    let mut at = 4;
    while at + 4 <= out.len() {
        let len = u16::from_ne_bytes([out[at], out[at + 1]]) as usize;
        let kind = u16::from_ne_bytes([out[at + 2], out[at + 3]]) & !0x8000;
        out[at + 2..at + 4].copy_from_slice(&kind.to_ne_bytes());
        at += ((len + 3) & !3).max(4);
    }
    out
}

fn nests(m: &IpvsMessage) -> Vec<(u16, Vec<u8>)> {
    // Each top-level attribute, re-emitted on its own, keyed by kind.
    m.attrs()
        .iter()
        .map(|a| {
            let mut b = Vec::new();
            IpvsMessage::new(m.command(), vec![a.clone()])
                .unwrap()
                .emit_attrs(&mut b);
            (u16::from_ne_bytes([b[2], b[3]]), b)
        })
        .collect()
}

#[test]
fn requests_match_ipvsadm() {
    let k6 = ServiceKey::tcp(sa("[2001:db8::1]:443"));
    let web = ServiceKey::tcp(sa("10.0.0.1:80"));
    let mut pers = Service::new(
        ServiceKey::udp(sa("10.0.0.2:53")),
        Scheduler::WeightedRoundRobin,
    )
    .persistent(300);
    pers.netmask = Netmask::V4("255.255.255.0".parse().unwrap());
    let mut v6 = Service::new(k6, Scheduler::SourceHashing);
    v6.flags = ServiceFlags::SH_PORT;
    let mut pe =
        Service::new(ServiceKey::udp(sa("10.0.0.5:5060")), Scheduler::RoundRobin).persistent(60);
    pe.persistence_engine = Some("sip".into());
    let cases: Vec<(&str, Request, Expect)> = vec![
        (
            "add_service",
            Request::AddService(Service::new(web, Scheduler::RoundRobin)),
            Expect::Identical,
        ),
        (
            "add_service_persistent",
            Request::AddService(pers),
            Expect::Identical,
        ),
        ("add_service_v6", Request::AddService(v6), Expect::Identical),
        (
            "add_service_fwmark",
            Request::AddService(Service::new(
                ServiceKey::fwmark(Family::Ipv4, 7),
                Scheduler::DestinationHashing,
            )),
            Expect::Identical,
        ),
        ("add_service_pe", Request::AddService(pe), Expect::Identical),
        (
            "edit_service",
            Request::UpdateService(ServiceUpdate::replace(&Service::new(
                web,
                Scheduler::WeightedLeastConnection,
            ))),
            Expect::Identical,
        ),
        (
            "add_dest",
            Request::AddDestination(web, Destination::new(sa("10.0.1.1:8080")).weight(5)),
            Expect::Subset,
        ),
        (
            "add_dest_gue",
            Request::AddDestination(
                web,
                Destination::new(sa("10.0.1.2:80")).forward(ForwardMethod::Tunnel(Tunnel::Gue {
                    port: 6080,
                    checksum: GueChecksum::Checksum,
                })),
            ),
            Expect::Subset,
        ),
        (
            "add_dest_gre",
            Request::AddDestination(
                web,
                Destination::new(sa("10.0.1.3:80"))
                    .forward(ForwardMethod::Tunnel(Tunnel::Gre { checksum: true })),
            ),
            Expect::Subset,
        ),
        (
            "add_dest_dr",
            Request::AddDestination(
                ServiceKey::fwmark(Family::Ipv4, 7),
                Destination::new(sa("10.0.1.4:0"))
                    .forward(ForwardMethod::DirectRoute)
                    .weight(2),
            ),
            Expect::Subset,
        ),
        (
            "edit_dest",
            Request::UpdateDestination(
                web,
                Destination::new(sa("10.0.1.1:8080"))
                    .weight(7)
                    .thresholds(10, 100),
            ),
            Expect::Subset,
        ),
        (
            "del_dest",
            Request::DeleteDestination(web, sa("10.0.1.1:8080")),
            Expect::Subset,
        ),
        (
            "del_service",
            Request::DeleteService(ServiceKey::udp(sa("10.0.0.2:53"))),
            Expect::Subset,
        ),
        ("zero_service", Request::Zero(Some(web)), Expect::Subset),
        ("zero_all", Request::Zero(None), Expect::Identical),
        (
            "set_timeouts",
            Request::SetTimeouts(Timeouts {
                tcp: Some(100),
                tcp_fin: Some(20),
                udp: Some(30),
            }),
            Expect::Identical,
        ),
        (
            "start_daemon",
            Request::StartDaemon(SyncDaemon::new(DaemonRole::Master, "sync0", 5)),
            Expect::Subset,
        ),
        (
            "stop_daemon",
            Request::StopDaemon(DaemonRole::Backup),
            Expect::Subset,
        ),
        ("flush", Request::Flush, Expect::Identical),
    ];
    for k in kernels() {
        for (name, request, expect) in &cases {
            let (command, attrs) = request.encode().unwrap();
            let ours = IpvsMessage::new(command, attrs).unwrap();
            // ipvsadm's message with the same command (it also resolves the
            // family and asks for info first).
            let theirs = ipvsadm_messages(&k, name)
                .iter()
                .flat_map(|dgram| {
                    frames(dgram)
                        .map(|f| f.unwrap())
                        .filter(|f| f.header.kind > 0x10)
                        .map(|f| f.payload.to_vec())
                        .collect::<Vec<_>>()
                })
                .find(|p| p.first() == Some(&u8::from(command)))
                .unwrap_or_else(|| {
                    panic!("{}: ipvsadm sent no {command:?} for {name}", k.display())
                });
            let mut our_bytes = Vec::new();
            ours.emit_genl(&mut our_bytes);
            // ipvsadm's libnl sets NLA_F_NESTED on its top-level nests; the
            // kernel accepts nests with or without it and sets it on none of
            // its own, and this crate leaves it off so that a parsed message
            // re-emits byte for byte. Compare with the flag masked.
            let theirs = without_nested_flag(&theirs);
            match expect {
                Expect::Identical => assert_eq!(
                    our_bytes,
                    theirs,
                    "{}: {name}: bytes differ from ipvsadm's",
                    k.display()
                ),
                Expect::Subset => {
                    let theirs = IpvsMessage::parse_genl(&theirs).unwrap();
                    assert_eq!(theirs.command(), ours.command());
                    for (ours_attr, theirs_attr) in ours.attrs().iter().zip(theirs.attrs()) {
                        match (ours_attr, theirs_attr) {
                            (IpvsAttr::Service(a), IpvsAttr::Service(b)) => {
                                for x in a {
                                    assert!(
                                        b.contains(x),
                                        "{name}: ipvsadm's service nest lacks {x:?}: {b:?}"
                                    );
                                }
                            }
                            (IpvsAttr::Dest(a), IpvsAttr::Dest(b)) => {
                                for x in a {
                                    assert!(
                                        b.contains(x),
                                        "{name}: ipvsadm's dest nest lacks {x:?}: {b:?}"
                                    );
                                }
                            }
                            (IpvsAttr::Daemon(a), IpvsAttr::Daemon(b)) => {
                                for x in a {
                                    assert!(
                                        b.contains(x),
                                        "{name}: ipvsadm's daemon nest lacks {x:?}: {b:?}"
                                    );
                                }
                            }
                            (a, b) => assert_eq!(a, b, "{name}"),
                        }
                    }
                    assert_eq!(
                        nests(&ours).len(),
                        theirs.attrs().len(),
                        "{name}: same top-level attributes"
                    );
                }
            }
        }
    }
}

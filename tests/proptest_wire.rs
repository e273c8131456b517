//! Property tests of the wire codec and the typed model (no kernel needed):
//!
//! - typed -> attributes -> bytes -> attributes -> typed is the identity for
//!   services, destinations, sync daemons, info and timeouts;
//! - no parser panics on any bytes, nor on structured garbage (valid headers
//!   with wrong lengths);
//! - a decode error names the attribute path of what was corrupted;
//! - `Service::from_nest` and `Destination::from_nest` (what the session
//!   parses replies with) give exactly what the attribute lists and
//!   `from_attrs` give, value or error, on valid and on damaged nests.

mod common;

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use ipvs_netlink::core::{Reply, Request, Session, Token};
use ipvs_netlink::wire::ctrl::{parse_family_id, GENL_ID_CTRL};
use ipvs_netlink::wire::netlink::{frames, push_message, NlStatus, NLMSG_ERROR, NLMSG_HDR_LEN};
use ipvs_netlink::wire::{
    Command, DaemonAttr, DecodeError, DecodeErrorKind, DestAttr, IpvsAttr, IpvsMessage, ServiceAttr,
};
use ipvs_netlink::{
    DaemonRole, Destination, DestinationEntry, Family, ForwardMethod, GueChecksum, Info, Netmask,
    Protocol, Scheduler, Service, ServiceEntry, ServiceFlags, ServiceKey, Stats, SyncDaemon,
    Timeouts, Tunnel, Version,
};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;

const SCHEDULERS: [&str; 15] = [
    "rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh", "twos",
    "none",
];

// ---------------------------------------------------------------------------
// Byte helpers
// ---------------------------------------------------------------------------

/// One attribute with a correct length, padded.
fn nla(kind: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&((4 + payload.len()) as u16).to_ne_bytes());
    v.extend_from_slice(&kind.to_ne_bytes());
    v.extend_from_slice(payload);
    while v.len() % 4 != 0 {
        v.push(0);
    }
    v
}

fn genl(msg: &IpvsMessage) -> Vec<u8> {
    let mut out = Vec::new();
    msg.emit_genl(&mut out);
    out
}

/// Emits `msg`, parses it back, checks the attribute lists agree.
fn reparse(msg: &IpvsMessage) -> Result<IpvsMessage, TestCaseError> {
    let back = IpvsMessage::parse_genl(&genl(msg))
        .map_err(|e| TestCaseError::fail(format!("emitted message does not parse: {e}")))?;
    prop_assert_eq!(&back, msg);
    Ok(back)
}

/// The payload of the single top-level nest of `msg`.
fn nest_payload(msg: &IpvsMessage) -> Vec<u8> {
    let g = genl(msg);
    let len = u16::from_ne_bytes([g[4], g[5]]) as usize;
    g[8..4 + len].to_vec()
}

/// `nest` with garbage attributes put in at `at` (an attribute boundary is
/// kept only when `at` falls on one).
fn damaged(nest: &[u8], at: usize, garbage: &[u8]) -> Vec<u8> {
    let at = at.min(nest.len());
    [&nest[..at], garbage, &nest[at..]].concat()
}

/// What the attribute lists give for a message holding nest `kind` with
/// payload `buf`: its only attribute, or the message's decode error (which
/// names the path from the nest down, as `from_nest`'s errors do).
fn parsed_nest(command: Command, kind: u16, buf: &[u8]) -> Result<IpvsAttr, DecodeError> {
    let bytes = [&[command.to_u8(), 1, 0, 0][..], &nla(kind, buf)].concat();
    IpvsMessage::parse_genl(&bytes).map(|m| one(m.into_attrs()))
}

fn service_both_ways(buf: &[u8]) -> Result<(), TestCaseError> {
    let via_attrs = parsed_nest(Command::NewService, 1, buf).and_then(|a| match a {
        IpvsAttr::Service(a) => ServiceEntry::from_attrs(&a),
        other => panic!("not a service nest: {other:?}"),
    });
    prop_assert_eq!(ServiceEntry::from_nest(buf), via_attrs);
    Ok(())
}

fn destination_both_ways(buf: &[u8], fam: Family) -> Result<(), TestCaseError> {
    let via_attrs = parsed_nest(Command::NewDest, 2, buf).and_then(|a| match a {
        IpvsAttr::Dest(a) => DestinationEntry::from_attrs(&a, fam),
        other => panic!("not a destination nest: {other:?}"),
    });
    prop_assert_eq!(DestinationEntry::from_nest(buf, fam), via_attrs);
    Ok(())
}

fn one<T: std::fmt::Debug>(mut v: Vec<T>) -> T {
    assert_eq!(v.len(), 1, "{v:?}");
    v.pop().unwrap()
}

// ---------------------------------------------------------------------------
// Strategies: values a round trip must give back unchanged
// ---------------------------------------------------------------------------

fn ip_of(family: Family) -> BoxedStrategy<IpAddr> {
    match family {
        Family::Ipv4 => any::<u32>()
            .prop_map(|a| IpAddr::V4(Ipv4Addr::from(a)))
            .boxed(),
        Family::Ipv6 => any::<u128>()
            .prop_map(|a| IpAddr::V6(Ipv6Addr::from(a)))
            .boxed(),
    }
}

fn family() -> impl Strategy<Value = Family> {
    prop_oneof![Just(Family::Ipv4), Just(Family::Ipv6)]
}

fn protocol() -> impl Strategy<Value = Protocol> {
    prop_oneof![
        Just(Protocol::Tcp),
        Just(Protocol::Udp),
        Just(Protocol::Sctp),
        // A number of a known protocol decodes as that protocol.
        any::<u16>()
            .prop_filter("known protocol number", |n| ![6, 17, 132].contains(n))
            .prop_map(Protocol::Other),
    ]
}

fn service_key() -> impl Strategy<Value = ServiceKey> {
    prop_oneof![
        3 => (protocol(), family().prop_flat_map(ip_of), any::<u16>())
            .prop_map(|(protocol, ip, port)| ServiceKey::Addr {
                protocol,
                addr: SocketAddr::new(ip, port),
            }),
        1 => (family(), 1..=u32::MAX).prop_map(|(family, mark)| ServiceKey::FwMark { family, mark }),
    ]
}

fn scheduler() -> impl Strategy<Value = Scheduler> {
    prop_oneof![
        proptest::sample::select(&SCHEDULERS[..]).prop_map(|n| Scheduler::from_name(n).unwrap()),
        // A custom name equal to a built-in one decodes as the built-in.
        "[a-z0-9_]{1,15}"
            .prop_filter("built-in name", |n| !SCHEDULERS.contains(&n.as_str()))
            .prop_map(Scheduler::Custom),
    ]
}

/// Counters; the 32-bit nest holds u32 counters except the byte counters.
fn stats(fits32: bool) -> impl Strategy<Value = Stats> {
    let c = move || {
        if fits32 {
            any::<u32>().prop_map(u64::from).boxed()
        } else {
            any::<u64>().boxed()
        }
    };
    (
        (c(), c(), c(), any::<u64>(), any::<u64>()),
        (c(), c(), c(), c(), c()),
    )
        .prop_map(
            |(
                (conns, in_packets, out_packets, in_bytes, out_bytes),
                (cps, in_pps, out_pps, in_bps, out_bps),
            )| Stats {
                conns,
                in_packets,
                out_packets,
                in_bytes,
                out_bytes,
                cps,
                in_pps,
                out_pps,
                in_bps,
                out_bps,
            },
        )
}

fn netmask(family: Family) -> BoxedStrategy<Netmask> {
    match family {
        Family::Ipv4 => any::<u32>()
            .prop_map(|m| Netmask::V4(Ipv4Addr::from(m)))
            .boxed(),
        Family::Ipv6 => (1u8..=128).prop_map(Netmask::V6).boxed(),
    }
}

/// A listed service, counters included.
fn service_entry() -> impl Strategy<Value = ServiceEntry> {
    service_key().prop_flat_map(|key| {
        (
            scheduler(),
            // The kernel's internal HASHED bit never comes back.
            any::<u32>().prop_map(ServiceFlags::from_kernel),
            any::<u32>(),
            netmask(key.family()),
            option::of("[a-z]{1,16}"),
            option::of(stats(true)),
            option::of(stats(false)),
        )
            .prop_map(
                move |(scheduler, flags, timeout, netmask, persistence_engine, stats, stats64)| {
                    ServiceEntry {
                        service: Service {
                            key,
                            scheduler,
                            flags,
                            timeout,
                            netmask,
                            persistence_engine,
                        },
                        stats,
                        stats64,
                    }
                },
            )
    })
}

fn tunnel() -> impl Strategy<Value = Tunnel> {
    prop_oneof![
        Just(Tunnel::Ipip),
        (
            1..=u16::MAX,
            prop_oneof![
                Just(GueChecksum::None),
                Just(GueChecksum::Checksum),
                Just(GueChecksum::Remote)
            ]
        )
            .prop_map(|(port, checksum)| Tunnel::Gue { port, checksum }),
        any::<bool>().prop_map(|checksum| Tunnel::Gre { checksum }),
        // Only combinations that do not decode as a known tunnel.
        (any::<u8>(), any::<u16>(), any::<u16>())
            .prop_filter("decodes as a known tunnel", |(k, p, f)| !matches!(
                (k, p, f),
                (0, 0, 0) | (1, _, 0..=2) | (2, 0, 0..=1)
            ))
            .prop_map(|(kind, port, flags)| Tunnel::Other { kind, port, flags }),
    ]
}

fn forward() -> impl Strategy<Value = ForwardMethod> {
    prop_oneof![
        Just(ForwardMethod::Masquerade),
        Just(ForwardMethod::Local),
        tunnel().prop_map(ForwardMethod::Tunnel),
        Just(ForwardMethod::DirectRoute),
        Just(ForwardMethod::Bypass),
        (5u8..=7).prop_map(ForwardMethod::Other),
    ]
}

/// A listed destination of a service of family `service` (another family
/// only with tunnelling, as the builder requires), counters included.
fn destination_entry(service: Family) -> impl Strategy<Value = DestinationEntry> {
    (family(), forward()).prop_flat_map(move |(fam, forward)| {
        let fam = if matches!(forward, ForwardMethod::Tunnel(_)) {
            fam
        } else {
            service
        };
        (
            ip_of(fam),
            any::<u16>(),
            0..=i32::MAX as u32,
            (0..=i32::MAX as u32).prop_flat_map(|upper| (0..=upper, Just(upper))),
            (any::<u32>(), any::<u32>(), any::<u32>()),
            option::of(stats(true)),
            option::of(stats(false)),
        )
            .prop_map(
                move |(
                    ip,
                    port,
                    weight,
                    (lower, upper),
                    (active, inactive, persist),
                    stats,
                    stats64,
                )| {
                    DestinationEntry {
                        dest: Destination {
                            addr: SocketAddr::new(ip, port),
                            forward,
                            weight,
                            upper_threshold: upper,
                            lower_threshold: lower,
                        },
                        active_conns: active,
                        inactive_conns: inactive,
                        persist_conns: persist,
                        stats,
                        stats64,
                    }
                },
            )
    })
}

fn daemon() -> impl Strategy<Value = SyncDaemon> {
    let group = prop_oneof![
        any::<u32>().prop_map(|g| IpAddr::V4(Ipv4Addr::from(0xe000_0000 | (g >> 4)))),
        any::<u128>().prop_map(|g| IpAddr::V6(Ipv6Addr::from((0xffu128 << 120) | (g >> 8)))),
    ];
    (
        prop_oneof![Just(DaemonRole::Master), Just(DaemonRole::Backup)],
        "[a-z0-9.]{1,15}",
        any::<u32>(),
        option::of(any::<u16>()),
        option::of(group),
        option::of(any::<u16>()),
        option::of(any::<u8>()),
    )
        .prop_map(
            |(role, interface, sync_id, max_len, group, port, ttl)| SyncDaemon {
                role,
                interface,
                sync_id,
                max_len,
                group,
                port,
                ttl,
            },
        )
}

fn info() -> impl Strategy<Value = Info> {
    (any::<[u8; 3]>(), any::<u32>()).prop_map(|([major, minor, patch], conn_tab_size)| Info {
        version: Version {
            major,
            minor,
            patch,
        },
        conn_tab_size,
    })
}

fn timeouts() -> impl Strategy<Value = Timeouts> {
    (
        option::of(any::<u32>()),
        option::of(any::<u32>()),
        option::of(any::<u32>()),
    )
        .prop_map(|(tcp, tcp_fin, udp)| Timeouts { tcp, tcp_fin, udp })
}

// ---------------------------------------------------------------------------
// Round trips
// ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn service_round_trip(s in service_entry()) {
        let attrs = s.to_reply_attrs().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let msg = IpvsMessage::new(Command::NewService, vec![IpvsAttr::Service(attrs)]).unwrap();
        let IpvsAttr::Service(a) = one(reparse(&msg)?.into_attrs()) else { panic!("not a service") };
        prop_assert_eq!(ServiceEntry::from_attrs(&a).unwrap(), s);
    }

    #[test]
    fn destination_round_trip((fam, d) in family().prop_flat_map(|f| (Just(f), destination_entry(f)))) {
        let attrs = d.to_reply_attrs(fam).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let msg = IpvsMessage::new(Command::NewDest, vec![IpvsAttr::Dest(attrs)]).unwrap();
        let IpvsAttr::Dest(a) = one(reparse(&msg)?.into_attrs()) else { panic!("not a dest") };
        prop_assert_eq!(DestinationEntry::from_attrs(&a, fam).unwrap(), d);
    }

    #[test]
    fn service_from_nest_agrees(
        s in service_entry(),
        at in any::<usize>(),
        garbage in prop_oneof![Just(Vec::new()), garbage_attrs()],
    ) {
        let attrs = s.to_reply_attrs().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let nest = nest_payload(&IpvsMessage::new(Command::NewService, vec![IpvsAttr::Service(attrs)]).unwrap());
        prop_assert_eq!(ServiceEntry::from_nest(&nest), Ok(s));
        service_both_ways(&damaged(&nest, at, &garbage))?;
    }

    #[test]
    fn destination_from_nest_agrees(
        (fam, d) in family().prop_flat_map(|f| (Just(f), destination_entry(f))),
        at in any::<usize>(),
        garbage in prop_oneof![Just(Vec::new()), garbage_attrs()],
    ) {
        let attrs = d.to_reply_attrs(fam).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let nest = nest_payload(&IpvsMessage::new(Command::NewDest, vec![IpvsAttr::Dest(attrs)]).unwrap());
        prop_assert_eq!(DestinationEntry::from_nest(&nest, fam), Ok(d));
        for f in [Family::Ipv4, Family::Ipv6] {
            destination_both_ways(&damaged(&nest, at, &garbage), f)?;
        }
    }

    #[test]
    fn daemon_round_trip(d in daemon()) {
        // SyncDaemon::to_attrs is crate-private; NEW_DAEMON's nest is the
        // one GET_DAEMON answers with.
        let (cmd, attrs) = Request::StartDaemon(d.clone()).encode()
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let msg = IpvsMessage::new(cmd, attrs).unwrap();
        let IpvsAttr::Daemon(a) = one(reparse(&msg)?.into_attrs()) else { panic!("not a daemon") };
        prop_assert_eq!(SyncDaemon::from_attrs(&a).unwrap(), d);
    }

    #[test]
    fn info_round_trip(i in info()) {
        let msg = IpvsMessage::new(Command::SetInfo, i.to_attrs()).unwrap();
        prop_assert_eq!(Info::from_attrs(reparse(&msg)?.attrs()).unwrap(), i);
    }

    #[test]
    fn timeouts_round_trip(t in timeouts()) {
        let (cmd, attrs) = Request::SetTimeouts(t).encode().unwrap();
        let msg = IpvsMessage::new(cmd, attrs).unwrap();
        prop_assert_eq!(Timeouts::from_attrs(reparse(&msg)?.attrs()), t);
    }

    /// A whole listing: several nests in one message, each decoding back.
    #[test]
    fn listing_round_trip(services in vec(service_entry(), 0..6)) {
        let attrs = services
            .iter()
            .map(|s| s.to_reply_attrs().map(IpvsAttr::Service))
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        let back = reparse(&IpvsMessage::new(Command::NewService, attrs).unwrap())?;
        let decoded: Vec<ServiceEntry> = back
            .attrs()
            .iter()
            .map(|a| match a {
                IpvsAttr::Service(a) => ServiceEntry::from_attrs(a).unwrap(),
                other => panic!("{other:?}"),
            })
            .collect();
        prop_assert_eq!(decoded, services);
    }
}

// ---------------------------------------------------------------------------
// No panic on any bytes
// ---------------------------------------------------------------------------

/// Every parser and conversion over `data`, plus the session.
fn parse_everything(data: &[u8]) {
    common::parse_every_nest(data);
    if let Ok(m) = IpvsMessage::parse_genl(data) {
        let _ = reparse(&m);
    }
    let _ = parse_family_id(data);
    let mut count = 0;
    for f in frames(data) {
        let Ok(f) = f else { break };
        count += 1;
        let _ = NlStatus::parse_error(f.payload, f.header.flags);
        let _ = NlStatus::parse_done(f.payload, f.header.flags);
        let _ = IpvsMessage::parse_genl(f.payload);
        let _ = parse_family_id(f.payload);
    }
    assert!(count <= data.len() / NLMSG_HDR_LEN);
}

/// A session with the family resolved (id 0x23) and one request of each
/// reply shape pending. Returns the tokens with what their replies must be.
fn busy_session() -> (Session, Vec<(Token, u8)>) {
    let mut s = Session::new();
    let t = s.resolve_family();
    let seq = frames(&s.take_outgoing())
        .next()
        .unwrap()
        .unwrap()
        .header
        .seq;
    let mut dg = Vec::new();
    let mut ctrl = vec![1u8, 2, 0, 0];
    ctrl.extend(nla(1, &0x23u16.to_ne_bytes()));
    push_message(&mut dg, GENL_ID_CTRL, 0, seq, |o| {
        o.extend_from_slice(&ctrl)
    })
    .unwrap();
    push_message(&mut dg, NLMSG_ERROR, 0, seq, |o| {
        o.extend_from_slice(&[0u8; 20]);
    })
    .unwrap();
    s.receive(&dg, 0);
    assert_eq!(s.family_id(), Some(0x23));
    assert!(matches!(s.take_result(t), Some(Ok(Reply::Done))));
    let key = ServiceKey::tcp(SocketAddr::from(([10, 0, 0, 1], 80)));
    let mut tokens = vec![
        (s.submit(&Request::ListServices).unwrap(), b's'),
        (s.submit(&Request::GetService(key)).unwrap(), b'1'),
        (s.submit(&Request::ListDestinations(key)).unwrap(), b'd'),
        (s.submit(&Request::GetInfo).unwrap(), b'i'),
        (s.submit(&Request::GetTimeouts).unwrap(), b't'),
        (s.submit(&Request::ListDaemons).unwrap(), b'm'),
        (s.submit(&Request::Flush).unwrap(), b'a'),
        (s.submit_silent(&Request::DeleteService(key)).unwrap(), b'a'),
    ];
    tokens.push((s.barrier(), b'a'));
    s.take_outgoing();
    (s, tokens)
}

fn reply_matches(kind: u8, r: &Reply) -> bool {
    match (kind, r) {
        (b's', Reply::Services(v)) => {
            v.iter()
                .map(|s| s.service.key)
                .collect::<HashSet<_>>()
                .len()
                == v.len()
        }
        (b'1', Reply::Service(_)) => true,
        (b'd', Reply::Destinations(v)) => {
            v.iter().map(|d| d.dest.addr).collect::<HashSet<_>>().len() == v.len()
        }
        (b'i', Reply::Info(_)) => true,
        (b't', Reply::Timeouts(_)) => true,
        (b'm', Reply::Daemons(_)) => true,
        (b'a', Reply::Done) => true,
        _ => false,
    }
}

/// Feeds `datagrams` to a busy session; checks results against requests.
fn session_receives(datagrams: &[Vec<u8>]) -> Result<(), TestCaseError> {
    let (mut s, tokens) = busy_session();
    let mut got = vec![0u32; tokens.len()];
    let mut drain = |s: &mut Session| -> Result<(), TestCaseError> {
        for (i, (t, kind)) in tokens.iter().enumerate() {
            if let Some(r) = s.take_result(*t) {
                got[i] += 1;
                prop_assert_eq!(got[i], 1, "token yielded twice");
                if let Ok(reply) = r {
                    prop_assert!(
                        reply_matches(*kind, &reply),
                        "{} got {:?}",
                        *kind as char,
                        reply
                    );
                }
            }
        }
        Ok(())
    };
    for dg in datagrams {
        s.receive(dg, 0);
        drain(&mut s)?;
    }
    s.fail_all(ipvs_netlink::ErrorKind::NotSent);
    prop_assert_eq!(s.pending(), 0);
    drain(&mut s)?;
    prop_assert!(got.iter().all(|n| *n == 1), "{got:?}");
    Ok(())
}

/// An attribute whose length field may lie.
fn garbage_attr() -> impl Strategy<Value = Vec<u8>> {
    (
        prop_oneof![
            Just(None),
            (0u16..8).prop_map(Some),
            any::<u16>().prop_map(Some)
        ],
        prop_oneof![1u16..16, any::<u16>()],
        vec(any::<u8>(), 0..24),
    )
        .prop_map(|(len, kind, payload)| {
            let mut a = nla(kind, &payload);
            if let Some(len) = len {
                a[..2].copy_from_slice(&len.to_ne_bytes());
            }
            a
        })
}

/// Attributes, some nested one level (the nest holding garbage attributes).
fn garbage_attrs() -> impl Strategy<Value = Vec<u8>> {
    vec(
        prop_oneof![
            3 => garbage_attr(),
            1 => (1u16..16, vec(garbage_attr(), 0..4)).prop_map(|(k, inner)| nla(k, &inner.concat())),
        ],
        0..8,
    )
    .prop_map(|v| v.concat())
}

/// A netlink message with a plausible type and a length that may lie.
fn garbage_message() -> impl Strategy<Value = Vec<u8>> {
    (
        prop_oneof![
            Just(None),
            (0u32..20).prop_map(Some),
            any::<u32>().prop_map(Some)
        ],
        prop_oneof![
            Just(2u16),
            Just(3u16),
            Just(0x10u16),
            Just(0x23u16),
            any::<u16>()
        ],
        any::<u16>(),
        0u32..12,
        prop_oneof![
            (any::<u8>(), garbage_attrs()).prop_map(|(cmd, a)| {
                let mut v = vec![cmd, 1, 0, 0];
                v.extend(a);
                v
            }),
            vec(any::<u8>(), 0..40),
        ],
    )
        .prop_map(|(len, kind, flags, seq, payload)| {
            let mut m = Vec::new();
            push_message(&mut m, kind, flags, seq, |o| o.extend_from_slice(&payload)).unwrap();
            if let Some(len) = len {
                m[..4].copy_from_slice(&len.to_ne_bytes());
            }
            m
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn no_panic_on_any_bytes(data in vec(any::<u8>(), 0..4096)) {
        parse_everything(&data);
    }

    #[test]
    fn from_nest_agrees_on_garbage(data in garbage_attrs()) {
        service_both_ways(&data)?;
        destination_both_ways(&data, Family::Ipv4)?;
        destination_both_ways(&data, Family::Ipv6)?;
    }

    #[test]
    fn no_panic_on_garbage_attributes(data in garbage_attrs()) {
        parse_everything(&data);
        let mut g = vec![1u8, 1, 0, 0];
        g.extend_from_slice(&data);
        parse_everything(&g);
    }

    #[test]
    fn no_panic_on_garbage_messages(msgs in vec(garbage_message(), 0..6)) {
        parse_everything(&msgs.concat());
    }

    #[test]
    fn session_survives_any_datagrams(
        dgs in vec(prop_oneof![
            vec(any::<u8>(), 0..512),
            vec(garbage_message(), 1..4).prop_map(|m| m.concat()),
        ], 0..8)
    ) {
        session_receives(&dgs)?;
    }
}

// ---------------------------------------------------------------------------
// Decode errors name the attribute path
// ---------------------------------------------------------------------------

/// A fixed-size attribute: its number, its name in paths, and the sizes it
/// takes.
type Field = (u16, &'static str, &'static [usize]);

const STATS32: &[Field] = &[
    (1, "conns", &[4]),
    (2, "inpkts", &[4]),
    (3, "outpkts", &[4]),
    (4, "inbytes", &[8]),
    (5, "outbytes", &[8]),
    (6, "cps", &[4]),
    (7, "inpps", &[4]),
    (8, "outpps", &[4]),
    (9, "inbps", &[4]),
    (10, "outbps", &[4]),
];
const STATS64: &[Field] = &[
    (1, "conns", &[8]),
    (2, "inpkts", &[8]),
    (3, "outpkts", &[8]),
    (4, "inbytes", &[8]),
    (5, "outbytes", &[8]),
    (6, "cps", &[8]),
    (7, "inpps", &[8]),
    (8, "outpps", &[8]),
    (9, "inbps", &[8]),
    (10, "outbps", &[8]),
];
const SERVICE: &[Field] = &[
    (1, "af", &[2]),
    (2, "protocol", &[2]),
    (4, "port", &[2]),
    (5, "fwmark", &[4]),
    (7, "flags", &[8]),
    (8, "timeout", &[4]),
    (9, "netmask", &[4]),
];
const DEST: &[Field] = &[
    (2, "port", &[2]),
    (3, "fwd_method", &[4]),
    (4, "weight", &[4]),
    (5, "u_thresh", &[4]),
    (6, "l_thresh", &[4]),
    (7, "active_conns", &[4]),
    (8, "inact_conns", &[4]),
    (9, "persist_conns", &[4]),
    (11, "addr_family", &[2]),
    (13, "tun_type", &[1]),
    (14, "tun_port", &[2]),
    (15, "tun_flags", &[2]),
];
const DAEMON: &[Field] = &[
    (1, "state", &[4]),
    (3, "sync_id", &[4]),
    (4, "sync_maxlen", &[2]),
    (5, "mcast_group", &[4]),
    (6, "mcast_group6", &[16]),
    (7, "mcast_port", &[2]),
    (8, "mcast_ttl", &[1]),
];
const TOP: &[Field] = &[
    (4, "timeout_tcp", &[4]),
    (5, "timeout_tcp_fin", &[4]),
    (6, "timeout_udp", &[4]),
];
const INFO: &[Field] = &[(1, "version", &[4]), (2, "conn_tab_size", &[4])];

/// A corrupted message: the command, the genl payload, the expected path,
/// and the payload size found (None for a UTF-8 error).
#[derive(Debug, Clone)]
struct Corrupt {
    command: Command,
    path: String,
    attrs: Vec<u8>,
    found: Option<usize>,
}

fn bad_payload(field: Field) -> impl Strategy<Value = Vec<u8>> {
    vec(any::<u8>(), 0..24).prop_filter("a size the field takes", move |p| {
        !field.2.contains(&p.len())
    })
}

fn pick(list: &'static [Field]) -> impl Strategy<Value = Field> {
    proptest::sample::select(list)
}

/// Valid attributes to put around the corrupted one inside a nest.
fn siblings(nest: u16) -> Vec<u8> {
    match nest {
        1 => [nla(1, &2u16.to_ne_bytes()), nla(6, b"rr\0"), nla(99, b"x")].concat(),
        2 => [nla(1, &[10, 0, 0, 2]), nla(99, b"")].concat(),
        3 => [nla(2, b"eth0\0"), nla(99, b"xyz")].concat(),
        _ => Vec::new(),
    }
}

/// One corrupted attribute `inner` inside nest `nest` of the message.
fn in_nest(nest: u16, before: bool, inner: Vec<u8>) -> Vec<u8> {
    let sib = siblings(nest);
    let body = if before {
        [sib, inner].concat()
    } else {
        [inner, sib].concat()
    };
    [
        nla(4, &7u32.to_ne_bytes()),
        nla(nest, &body),
        nla(98, b"after"),
    ]
    .concat()
}

fn corrupt() -> impl Strategy<Value = Corrupt> {
    let plain = |cmd: Command, nest: Option<(u16, &'static str)>, list: &'static [Field]| {
        (pick(list), any::<bool>()).prop_flat_map(move |(field, before)| {
            bad_payload(field).prop_map(move |p| {
                let a = nla(field.0, &p);
                let (attrs, path) = match nest {
                    Some((n, name)) => (in_nest(n, before, a), format!("{name}/{}", field.1)),
                    None => (a, field.1.to_string()),
                };
                Corrupt {
                    command: cmd,
                    path,
                    attrs,
                    found: Some(p.len()),
                }
            })
        })
    };
    let stats = |nest: u16,
                 nest_name: &'static str,
                 inner: u16,
                 inner_name: &'static str,
                 list: &'static [Field]| {
        (pick(list), any::<bool>()).prop_flat_map(move |(field, before)| {
            bad_payload(field).prop_map(move |p| {
                let stats_nest = [nla(11, &[]), nla(field.0, &p)].concat();
                Corrupt {
                    command: Command::NewService,
                    path: format!("{nest_name}/{inner_name}/{}", field.1),
                    attrs: in_nest(nest, before, nla(inner, &stats_nest)),
                    found: Some(p.len()),
                }
            })
        })
    };
    let long_addr = |nest: u16, kind: u16, path: &'static str| {
        vec(any::<u8>(), 17..40).prop_map(move |p| Corrupt {
            command: Command::NewService,
            path: path.to_string(),
            attrs: in_nest(nest, true, nla(kind, &p)),
            found: Some(p.len()),
        })
    };
    let bad_utf8 = |nest: u16, kind: u16, path: &'static str| {
        vec(128u8..=255, 1..8).prop_map(move |mut p| {
            // A lone continuation byte is never valid UTF-8.
            p.insert(0, 0x80);
            Corrupt {
                command: Command::NewService,
                path: path.to_string(),
                attrs: in_nest(nest, false, nla(kind, &p)),
                found: None,
            }
        })
    };
    prop_oneof![
        plain(Command::NewService, Some((1, "service")), SERVICE),
        plain(Command::NewDest, Some((2, "dest")), DEST),
        plain(Command::NewDaemon, Some((3, "daemon")), DAEMON),
        plain(Command::SetConfig, None, TOP),
        plain(Command::SetInfo, None, INFO),
        stats(1, "service", 10, "stats", STATS32),
        stats(1, "service", 12, "stats64", STATS64),
        stats(2, "dest", 10, "stats", STATS32),
        stats(2, "dest", 12, "stats64", STATS64),
        long_addr(1, 3, "service/addr"),
        long_addr(2, 1, "dest/addr"),
        bad_utf8(1, 6, "service/sched_name"),
        bad_utf8(1, 11, "service/pe_name"),
        bad_utf8(3, 2, "daemon/mcast_ifn"),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn decode_errors_name_the_path(c in corrupt()) {
        let mut g = vec![c.command.to_u8(), 1, 0, 0];
        g.extend_from_slice(&c.attrs);
        let e = IpvsMessage::parse_genl(&g).expect_err("corrupted message parsed");
        prop_assert_eq!(e.path(), c.path.clone());
        prop_assert!(e.to_string().starts_with(&c.path), "{}", e);
        match (c.found, e.kind()) {
            (Some(n), DecodeErrorKind::PayloadSize { found, .. }) => prop_assert_eq!(*found, n),
            (None, DecodeErrorKind::InvalidUtf8) => {}
            (_, k) => prop_assert!(false, "unexpected kind {:?}", k),
        }
    }
}

#[test]
fn stats64_conns_of_three_bytes_in_a_service() {
    let stats = [nla(11, &[]), nla(1, &[1, 2, 3])].concat();
    let svc = [nla(1, &2u16.to_ne_bytes()), nla(12, &stats)].concat();
    let mut g = vec![Command::NewService.to_u8(), 1, 0, 0];
    g.extend(nla(1, &svc));
    let e = IpvsMessage::parse_genl(&g).unwrap_err();
    assert_eq!(e.path(), "service/stats64/conns");
    assert_eq!(
        e.kind(),
        &DecodeErrorKind::PayloadSize {
            expected: &[8],
            found: 3
        }
    );
}

#[test]
fn model_errors_name_the_path() {
    let e = ServiceEntry::from_attrs(&[ServiceAttr::Protocol(6)]).unwrap_err();
    assert_eq!(e.path(), "service/af");
    let e = DestinationEntry::from_attrs(&[DestAttr::Address(vec![1, 2, 3, 4])], Family::Ipv4)
        .unwrap_err();
    assert_eq!(e.path(), "dest/port");
    let e = DestinationEntry::from_attrs(
        &[
            DestAttr::Address(vec![1, 2, 3, 4]),
            DestAttr::AddressFamily(10),
        ],
        Family::Ipv4,
    )
    .unwrap_err();
    assert_eq!(e.path(), "dest/addr");
    let e = SyncDaemon::from_attrs(&[DaemonAttr::State(3)]).unwrap_err();
    assert_eq!(e.path(), "daemon/state");
}

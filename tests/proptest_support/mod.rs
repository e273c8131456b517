//! Shared by the property tests: byte helpers, and strategies for values a
//! round trip must give back unchanged.

#![allow(dead_code, unused_imports)]

pub use std::collections::HashSet;
pub use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

pub use ipvs_netlink::core::{Reply, Request, Session, Token};
pub use ipvs_netlink::testing::fake_kernel;
pub use ipvs_netlink::wire::ctrl::{parse_family_id, GENL_ID_CTRL};
pub use ipvs_netlink::wire::netlink::{frames, push_message, NlStatus, NLMSG_ERROR, NLMSG_HDR_LEN};
pub use ipvs_netlink::wire::{
    Command, DaemonAttr, DecodeError, DecodeErrorKind, DestAttr, IpvsAttr, IpvsMessage, ServiceAttr,
};
pub use ipvs_netlink::{
    DaemonRole, Destination, DestinationEntry, Family, ForwardMethod, GueChecksum, Info, Netmask,
    Protocol, Scheduler, Service, ServiceEntry, ServiceFlags, ServiceKey, Stats, SyncDaemon,
    Timeouts, Tunnel, Version,
};
pub use proptest::collection::vec;
pub use proptest::option;
pub use proptest::prelude::*;

pub const SCHEDULERS: [&str; 15] = [
    "rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh", "twos",
    "none",
];

// ---------------------------------------------------------------------------
// Byte helpers
// ---------------------------------------------------------------------------

/// One attribute with a correct length, padded.
pub fn nla(kind: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&((4 + payload.len()) as u16).to_ne_bytes());
    v.extend_from_slice(&kind.to_ne_bytes());
    v.extend_from_slice(payload);
    while v.len() % 4 != 0 {
        v.push(0);
    }
    v
}

pub fn genl(msg: &IpvsMessage) -> Vec<u8> {
    let mut out = Vec::new();
    msg.emit_genl(&mut out);
    out
}

/// Emits `msg`, parses it back, checks the attribute lists agree.
pub fn reparse(msg: &IpvsMessage) -> Result<IpvsMessage, TestCaseError> {
    let back = IpvsMessage::parse_genl(&genl(msg))
        .map_err(|e| TestCaseError::fail(format!("emitted message does not parse: {e}")))?;
    prop_assert_eq!(&back, msg);
    Ok(back)
}

/// The payload of the single top-level nest of `msg`.
pub fn nest_payload(msg: &IpvsMessage) -> Vec<u8> {
    let g = genl(msg);
    let len = u16::from_ne_bytes([g[4], g[5]]) as usize;
    g[8..4 + len].to_vec()
}

/// `nest` with garbage attributes put in at `at` (an attribute boundary is
/// kept only when `at` falls on one).
pub fn damaged(nest: &[u8], at: usize, garbage: &[u8]) -> Vec<u8> {
    let at = at.min(nest.len());
    [&nest[..at], garbage, &nest[at..]].concat()
}

/// What the attribute lists give for a message holding nest `kind` with
/// payload `buf`: its only attribute, or the message's decode error (which
/// names the path from the nest down, as `from_nest`'s errors do).
pub fn parsed_nest(command: Command, kind: u16, buf: &[u8]) -> Result<IpvsAttr, DecodeError> {
    let bytes = [&[command.to_u8(), 1, 0, 0][..], &nla(kind, buf)].concat();
    IpvsMessage::parse_genl(&bytes).map(|m| one(m.into_attrs()))
}

pub fn service_both_ways(buf: &[u8]) -> Result<(), TestCaseError> {
    let via_attrs = parsed_nest(Command::NewService, 1, buf).and_then(|a| match a {
        IpvsAttr::Service(a) => ServiceEntry::from_attrs(&a),
        other => panic!("not a service nest: {other:?}"),
    });
    prop_assert_eq!(ServiceEntry::from_nest(buf), via_attrs);
    Ok(())
}

pub fn destination_both_ways(buf: &[u8], fam: Family) -> Result<(), TestCaseError> {
    let via_attrs = parsed_nest(Command::NewDest, 2, buf).and_then(|a| match a {
        IpvsAttr::Dest(a) => DestinationEntry::from_attrs(&a, fam),
        other => panic!("not a destination nest: {other:?}"),
    });
    prop_assert_eq!(DestinationEntry::from_nest(buf, fam), via_attrs);
    Ok(())
}

pub fn one<T: std::fmt::Debug>(mut v: Vec<T>) -> T {
    assert_eq!(v.len(), 1, "{v:?}");
    v.pop().unwrap()
}

// ---------------------------------------------------------------------------
// Strategies: values a round trip must give back unchanged
// ---------------------------------------------------------------------------

pub fn ip_of(family: Family) -> BoxedStrategy<IpAddr> {
    match family {
        Family::Ipv4 => any::<u32>()
            .prop_map(|a| IpAddr::V4(Ipv4Addr::from(a)))
            .boxed(),
        Family::Ipv6 => any::<u128>()
            .prop_map(|a| IpAddr::V6(Ipv6Addr::from(a)))
            .boxed(),
    }
}

pub fn family() -> impl Strategy<Value = Family> {
    prop_oneof![Just(Family::Ipv4), Just(Family::Ipv6)]
}

pub fn protocol() -> impl Strategy<Value = Protocol> {
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

pub fn service_key() -> impl Strategy<Value = ServiceKey> {
    prop_oneof![
        3 => (protocol(), family().prop_flat_map(ip_of), any::<u16>())
            .prop_map(|(protocol, ip, port)| ServiceKey::Addr {
                protocol,
                addr: SocketAddr::new(ip, port),
            }),
        1 => (family(), 1..=u32::MAX).prop_map(|(family, mark)| ServiceKey::FwMark { family, mark }),
    ]
}

pub fn scheduler() -> impl Strategy<Value = Scheduler> {
    prop_oneof![
        proptest::sample::select(&SCHEDULERS[..]).prop_map(|n| Scheduler::from_name(n).unwrap()),
        // A custom name equal to a built-in one decodes as the built-in.
        "[a-z0-9_]{1,15}"
            .prop_filter("built-in name", |n| !SCHEDULERS.contains(&n.as_str()))
            .prop_map(Scheduler::Custom),
    ]
}

/// Counters; the 32-bit nest holds u32 counters except the byte counters.
pub fn stats(fits32: bool) -> impl Strategy<Value = Stats> {
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

pub fn netmask(family: Family) -> BoxedStrategy<Netmask> {
    match family {
        Family::Ipv4 => any::<u32>()
            .prop_map(|m| Netmask::V4(Ipv4Addr::from(m)))
            .boxed(),
        Family::Ipv6 => (1u8..=128).prop_map(Netmask::V6).boxed(),
    }
}

/// A listed service, counters included.
pub fn service_entry() -> impl Strategy<Value = ServiceEntry> {
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

pub fn tunnel() -> impl Strategy<Value = Tunnel> {
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

pub fn forward() -> impl Strategy<Value = ForwardMethod> {
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
pub fn destination_entry(service: Family) -> impl Strategy<Value = DestinationEntry> {
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

pub fn daemon() -> impl Strategy<Value = SyncDaemon> {
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

pub fn info() -> impl Strategy<Value = Info> {
    (any::<[u8; 3]>(), any::<u32>()).prop_map(|([major, minor, patch], conn_tab_size)| Info {
        version: Version {
            major,
            minor,
            patch,
        },
        conn_tab_size,
    })
}

pub fn timeouts() -> impl Strategy<Value = Timeouts> {
    (
        option::of(any::<u32>()),
        option::of(any::<u32>()),
        option::of(any::<u32>()),
    )
        .prop_map(|(tcp, tcp_fin, udp)| Timeouts { tcp, tcp_fin, udp })
}

// Garbage: attributes and messages with plausible headers that may lie.

/// An attribute whose length field may lie.
pub fn garbage_attr() -> impl Strategy<Value = Vec<u8>> {
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
pub fn garbage_attrs() -> impl Strategy<Value = Vec<u8>> {
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
pub fn garbage_message() -> impl Strategy<Value = Vec<u8>> {
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
            Just(fake_kernel::FAMILY),
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

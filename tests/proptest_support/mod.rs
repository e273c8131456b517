//! Shared by the property tests: byte helpers, strategies for values a
//! round trip must give back unchanged, and garbage.

#![allow(dead_code, unused_imports)]

pub(crate) use std::collections::HashSet;
pub(crate) use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

pub(crate) use ipvs_netlink::proto::{Reply, Request, Session, Token};
pub(crate) use ipvs_netlink::testing::arbitrary::{self, Unstructured};
pub(crate) use ipvs_netlink::testing::{fake_kernel, values};
pub(crate) use ipvs_netlink::wire::ctrl::{parse_family_id, GENL_ID_CTRL};
pub(crate) use ipvs_netlink::wire::netlink::{
    frames, push_message, NlStatus, NLMSG_ERROR, NLMSG_HDR_LEN,
};
pub(crate) use ipvs_netlink::wire::{
    Command, DaemonAttr, DecodeError, DecodeErrorKind, DestAttr, IpvsAttr, IpvsMessage, ServiceAttr,
};
pub(crate) use ipvs_netlink::{
    DaemonRole, Destination, DestinationEntry, Family, ForwardMethod, GueChecksum, Info, Netmask,
    Protocol, Scheduler, Service, ServiceEntry, ServiceFlags, ServiceKey, Stats, SyncDaemon,
    Timeouts, Tunnel, Version,
};
pub(crate) use proptest::collection::vec;
pub(crate) use proptest::option;
pub(crate) use proptest::prelude::*;

// ---------------------------------------------------------------------------
// Byte helpers
// ---------------------------------------------------------------------------

/// One attribute with a correct length, padded.
pub(crate) fn nla(kind: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&((4 + payload.len()) as u16).to_ne_bytes());
    v.extend_from_slice(&kind.to_ne_bytes());
    v.extend_from_slice(payload);
    while v.len() % 4 != 0 {
        v.push(0);
    }
    v
}

pub(crate) fn genl(msg: &IpvsMessage) -> Vec<u8> {
    let mut out = Vec::new();
    msg.emit_genl(&mut out);
    out
}

/// Emits `msg`, parses it back, checks the attribute lists agree.
pub(crate) fn reparse(msg: &IpvsMessage) -> Result<IpvsMessage, TestCaseError> {
    let back = IpvsMessage::parse_genl(&genl(msg))
        .map_err(|e| TestCaseError::fail(format!("emitted message does not parse: {e}")))?;
    prop_assert_eq!(&back, msg);
    // The length the genetlink crates ask for, computed, is what is written.
    prop_assert_eq!(
        netlink_packet_core::Emitable::buffer_len(msg),
        genl(msg).len() - 4
    );
    Ok(back)
}

/// The payload of the single top-level nest of `msg`.
pub(crate) fn nest_payload(msg: &IpvsMessage) -> Vec<u8> {
    let g = genl(msg);
    let len = u16::from_ne_bytes([g[4], g[5]]) as usize;
    g[8..4 + len].to_vec()
}

/// `nest` with garbage attributes put in at `at` (an attribute boundary is
/// kept only when `at` falls on one).
pub(crate) fn damaged(nest: &[u8], at: usize, garbage: &[u8]) -> Vec<u8> {
    let at = at.min(nest.len());
    [&nest[..at], garbage, &nest[at..]].concat()
}

/// What the attribute lists give for a message holding nest `kind` with
/// payload `buf`: its only attribute, or the message's decode error (which
/// names the path from the nest down, as `from_nest`'s errors do).
pub(crate) fn parsed_nest(
    command: Command,
    kind: u16,
    buf: &[u8],
) -> Result<IpvsAttr, DecodeError> {
    let bytes = [&[u8::from(command), 1, 0, 0][..], &nla(kind, buf)].concat();
    IpvsMessage::parse_genl(&bytes).map(|m| one(m.into_attrs()))
}

pub(crate) fn service_both_ways(buf: &[u8]) -> Result<(), TestCaseError> {
    let via_attrs = parsed_nest(Command::NewService, 1, buf).and_then(|a| match a {
        IpvsAttr::Service(a) => ServiceEntry::from_attrs(&a),
        other => panic!("not a service nest: {other:?}"),
    });
    prop_assert_eq!(ServiceEntry::from_nest(buf), via_attrs);
    Ok(())
}

pub(crate) fn destination_both_ways(buf: &[u8], fam: Family) -> Result<(), TestCaseError> {
    let via_attrs = parsed_nest(Command::NewDest, 2, buf).and_then(|a| match a {
        IpvsAttr::Dest(a) => DestinationEntry::from_attrs(&a, fam),
        other => panic!("not a destination nest: {other:?}"),
    });
    prop_assert_eq!(DestinationEntry::from_nest(buf, fam), via_attrs);
    Ok(())
}

pub(crate) fn one<T: std::fmt::Debug>(mut v: Vec<T>) -> T {
    assert_eq!(v.len(), 1, "{v:?}");
    v.pop().unwrap()
}

// ---------------------------------------------------------------------------
// Strategies: the library's one generator of model values
// (`testing::values`, which the fuzz targets use too) over bytes proptest
// draws, kept when the builder accepts the value and a round trip must
// give it back unchanged
// ---------------------------------------------------------------------------

/// What `generate` makes of random bytes, when `keep` holds.
fn generated<T: std::fmt::Debug + 'static>(
    what: &'static str,
    generate: impl Fn(&mut Unstructured<'_>) -> arbitrary::Result<T> + 'static,
    keep: impl Fn(&T) -> bool + 'static,
) -> BoxedStrategy<T> {
    vec(any::<u8>(), 0..400)
        .prop_filter_map(what, move |bytes| {
            generate(&mut Unstructured::new(&bytes))
                .ok()
                .filter(|v| keep(v))
        })
        .boxed()
}

pub(crate) fn family() -> impl Strategy<Value = Family> {
    prop_oneof![Just(Family::Ipv4), Just(Family::Ipv6)]
}

/// A listed service the builder takes and decoding gives back.
pub(crate) fn service_entry() -> BoxedStrategy<ServiceEntry> {
    generated("a canonical service entry", values::service_entry, |e| {
        values::service_entry_is_canonical(e) && e.to_reply_attrs().is_ok()
    })
}

/// A listed destination of a `service`-family service, as above.
pub(crate) fn destination_entry(service: Family) -> BoxedStrategy<DestinationEntry> {
    generated(
        "a canonical destination entry",
        move |u| values::destination_entry(u, service),
        move |e| values::destination_entry_is_canonical(e) && e.to_reply_attrs(service).is_ok(),
    )
}

/// A sync daemon the builder takes.
pub(crate) fn daemon() -> BoxedStrategy<SyncDaemon> {
    generated("a valid sync daemon", values::daemon, |d| {
        Request::StartDaemon(d.clone()).encode().is_ok()
    })
}

pub(crate) fn info() -> BoxedStrategy<Info> {
    generated("info", values::info, |_| true)
}

pub(crate) fn timeouts() -> BoxedStrategy<Timeouts> {
    generated("timeouts", values::timeouts, |_| true)
}

// Garbage: attributes and messages with plausible headers that may lie.

/// An attribute whose length field may lie.
pub(crate) fn garbage_attr() -> impl Strategy<Value = Vec<u8>> {
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
pub(crate) fn garbage_attrs() -> impl Strategy<Value = Vec<u8>> {
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
pub(crate) fn garbage_message() -> impl Strategy<Value = Vec<u8>> {
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

//! Property tests (no kernel needed): a decode error names the attribute
//! path of what was corrupted, and `from_nest` agrees with the attribute
//! lists on damaged nests, value or error.

#[path = "proptest_support/mod.rs"]
mod support;

use support::*;

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
        let mut g = vec![u8::from(c.command), 1, 0, 0];
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
    let mut g = vec![u8::from(Command::NewService), 1, 0, 0];
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

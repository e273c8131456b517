//! Property tests (no kernel needed): no parser panics on any bytes, nor on
//! structured garbage (valid headers with wrong lengths), and a session fed
//! garbage stays consistent.

#[path = "proptest_support/mod.rs"]
mod support;

use support::*;

#[path = "common/mod.rs"]
mod common;

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

/// A session with the fake kernel's family resolved and one request of
/// each reply shape pending. Returns the tokens with what their replies
/// must be.
fn busy_session() -> (Session, Vec<(Token, u8)>) {
    let mut s = fake_kernel::resolved_session(fake_kernel::FAMILY);
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

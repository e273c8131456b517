//! `core::BatchRun` driven as a handle drives it, against a kernel whose
//! answers the fuzzer picks: requests that fail, replies that are dropped
//! (an overrun), datagrams never answered (a timeout), stale and foreign
//! datagrams in between. Whatever happens, every request ends with exactly
//! one result, and that result never contradicts what the kernel did:
//! success only for a request the kernel applied, a kernel error only for
//! one it refused, `NotSent` only for one it never saw.
#![no_main]

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use arbitrary::{Result, Unstructured};
use ipvs_netlink::proto::{BatchLimits, BatchRun, OnError, Request, Session};
use ipvs_netlink::testing::fake_kernel::{self, FAMILY};
use ipvs_netlink::wire::netlink::{frames, NLMSG_NOOP, NLM_F_ACK};
use ipvs_netlink::{ErrorKind, Scheduler, Service, ServiceKey};
use libfuzzer_sys::fuzz_target;

/// What the fake kernel did with a request.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Fate {
    NeverSeen,
    Applied,
    Refused,
}

fn key(i: usize) -> ServiceKey {
    ServiceKey::tcp(SocketAddr::new(
        IpAddr::from([10, 0, (i >> 8) as u8, i as u8]),
        80,
    ))
}

fn run(u: &mut Unstructured<'_>) -> Result<()> {
    let n = u.int_in_range(1..=300usize)?;
    let requests: Vec<Request> = (0..n)
        .map(|i| match i % 3 {
            0 => Request::AddService(Service::new(key(i), Scheduler::RoundRobin)),
            1 => Request::DeleteService(key(i)),
            _ => Request::Zero(Some(key(i))),
        })
        .collect();
    let on_error = if u.arbitrary()? {
        OnError::Stop
    } else {
        OnError::Continue
    };
    let limits = BatchLimits {
        max_messages: u.int_in_range(1..=64)?,
        max_bytes: u.int_in_range(256..=8192)?,
    };
    let mut fates = vec![Fate::NeverSeen; n];
    let mut seen = 0usize;
    let mut session = Session::with_family_id(FAMILY);
    let mut batch = BatchRun::new(requests, on_error, limits);
    let mut rounds = 0;
    while batch.fill(&mut session) {
        rounds += 1;
        assert!(rounds <= n + 1, "a batch of {n} ran {rounds} datagrams");
        let sent = session.take_outgoing();
        // The kernel handles the datagram in order; its answers are queued.
        let mut answers: Vec<Vec<u8>> = Vec::new();
        for f in frames(&sent) {
            let h = f.expect("the batch sends whole messages").header;
            let mut reply = Vec::new();
            if h.kind == FAMILY {
                let refuse = u.ratio(1, 4)?;
                fates[seen] = if refuse { Fate::Refused } else { Fate::Applied };
                seen += 1;
                if refuse {
                    let errno = *u.choose(&[3, 17, 22, 2])?;
                    fake_kernel::status(&mut reply, h.seq, -errno);
                } else if h.flags & NLM_F_ACK != 0 {
                    fake_kernel::status(&mut reply, h.seq, 0);
                }
            } else {
                assert_eq!(h.kind, NLMSG_NOOP, "only requests and barriers are sent");
                fake_kernel::status(&mut reply, h.seq, 0);
            }
            if !reply.is_empty() {
                answers.push(reply);
            }
        }
        // Delivery: whole, with replies dropped, or not at all; stale
        // answers and foreign senders in between; several per datagram.
        let mode = u.int_in_range(0..=3u8)?;
        let mut broken = false;
        let mut datagram = Vec::new();
        for a in answers {
            if mode == 1 && u.ratio(1, 3)? {
                // Dropped: the receive buffer overran. The kernel reports
                // ENOBUFS on the next receive, before anything queued after
                // the drop, and the handle gives up on the datagram.
                broken = true;
                break;
            }
            if mode == 2 {
                continue;
            }
            datagram.extend_from_slice(&a);
            if u.ratio(1, 3)? {
                // A sequence number no request of this run has (they count
                // up from 1): an answer to something long gone.
                let stale = u32::MAX - u.int_in_range(0..=100u32)?;
                session.receive(&datagram, 0);
                datagram.clear();
                let mut junk = Vec::new();
                fake_kernel::status(&mut junk, stale, 0);
                session.receive(&junk, if u.arbitrary()? { 0 } else { 77 });
            }
        }
        session.receive(&datagram, 0);
        if mode == 3 && u.ratio(1, 8)? {
            session.receive(&fake_kernel::overrun(0), 0);
        }
        if broken || !batch.datagram_done(&session) {
            // As a handle does when its silence timer runs out or the
            // socket reports the overrun: give up on the datagram, then go
            // on over a new socket with smaller datagrams.
            assert!(mode != 0, "a datagram answered in full is done");
            session.abandon(ErrorKind::Timeout(Duration::from_secs(1)));
            batch.settle(&mut session);
            session = Session::with_family_id(FAMILY);
            batch.halve_limits();
        } else {
            batch.settle(&mut session);
            if session.is_broken() {
                session = Session::with_family_id(FAMILY);
                batch.halve_limits();
            }
        }
    }
    let results = batch.finish();
    assert_eq!(results.len(), n, "one result per request");
    let mut failed = false;
    for (i, r) in results.iter().enumerate() {
        let fate = fates[i];
        match r {
            Ok(_) => assert_eq!(fate, Fate::Applied, "request {i}"),
            Err(e) => match e.kind() {
                ErrorKind::NotSent => {
                    assert_eq!(fate, Fate::NeverSeen, "request {i}");
                    assert!(failed && on_error == OnError::Stop, "request {i} not sent");
                }
                ErrorKind::Unconfirmed => assert_ne!(fate, Fate::NeverSeen, "request {i}"),
                _ if e.errno().is_some() => assert_eq!(fate, Fate::Refused, "request {i}: {e}"),
                _ => panic!("request {i}: {e}"),
            },
        }
        if r.is_err() {
            failed = true;
        }
    }
    if on_error == OnError::Continue {
        assert!(
            fates.iter().all(|f| *f != Fate::NeverSeen),
            "every request was sent"
        );
    }
    assert_eq!(session.pending(), 0, "nothing is left waiting");
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});

//! The protocol state machine (`proto::Session`) fed fuzzed datagrams.
//!
//! The family is resolved (usually with a well-formed nlctrl reply), a few
//! requests of every shape are queued (acknowledged, query, dump, silent
//! ones closed by a barrier), then datagrams are received: raw bytes, raw
//! bytes whose headers are re-pointed at pending requests, and well-formed
//! replies (right sequence number and type, valid or damaged bodies) mixed
//! with errors, acknowledgements, dump ends and garbage, from the kernel's
//! port id or another one.
//!
//! Invariants checked after every datagram: nothing panics; a result taken
//! for a token matches the kind of its request (a listing of services never
//! yields destinations, an acknowledged change only `Reply::Done`); a token
//! yields at most one result and is no longer pending once it has; dumps hold
//! no duplicates. At the end `fail_all` leaves nothing pending and every
//! token has had exactly one result.
//!
//! An input starting with 0xFF is a replay: the rest is a capture (a
//! concatenation of datagrams, as in tests/fixtures/linux-*/*.bin); requests
//! matching what the capture answers are queued and its messages fed with
//! their sequence numbers mapped onto them.
#![no_main]

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::time::Duration;

use arbitrary::{Result, Unstructured};
use ipvs_netlink::proto::{Reply, Request, Session, Token};
use ipvs_netlink::testing::fake_kernel;
use ipvs_netlink::wire::ctrl::{parse_family_id, GENL_ID_CTRL};
use ipvs_netlink::wire::netlink::{
    frames, NLMSG_DONE, NLMSG_ERROR, NLMSG_NOOP, NLMSG_OVERRUN, NLM_F_ACK_TLVS, NLM_F_CAPPED,
    NLM_F_DUMP_INTR, NLM_F_MULTI,
};
use ipvs_netlink::wire::{Command, IpvsAttr, IpvsMessage};
use ipvs_netlink::{DaemonRole, ErrorKind, Family, ServiceKey, ServiceUpdate, Timeouts};
use ipvs_netlink_fuzz as f;
use libfuzzer_sys::fuzz_target;

/// What a successful result of a token must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Done,
    Services,
    Service,
    Destinations(Family),
    Timeouts,
    Info,
    Daemons,
}

impl Expect {
    fn of(r: &Request) -> Self {
        match r {
            Request::ListServices => Expect::Services,
            Request::GetService(_) => Expect::Service,
            Request::ListDestinations(k) => Expect::Destinations(k.family()),
            Request::GetTimeouts => Expect::Timeouts,
            Request::GetInfo => Expect::Info,
            Request::ListDaemons => Expect::Daemons,
            _ => Expect::Done,
        }
    }

    fn matches(self, reply: &Reply) -> bool {
        match (self, reply) {
            (Expect::Done, Reply::Done) => true,
            (Expect::Services, Reply::Services(v)) => {
                v.iter()
                    .map(|s| s.service.key)
                    .collect::<HashSet<_>>()
                    .len()
                    == v.len()
            }
            (Expect::Service, Reply::Service(_)) => true,
            (Expect::Destinations(_), Reply::Destinations(v)) => {
                v.iter().map(|d| d.dest.addr).collect::<HashSet<_>>().len() == v.len()
            }
            (Expect::Timeouts, Reply::Timeouts(_)) => true,
            (Expect::Info, Reply::Info(_)) => true,
            (Expect::Daemons, Reply::Daemons(_)) => true,
            _ => false,
        }
    }
}

struct Tracked {
    token: Token,
    seq: u32,
    expect: Expect,
    results: u32,
}

struct Harness {
    session: Session,
    family: u16,
    tracked: Vec<Tracked>,
    /// No-ops the session queued itself, after a daemon stop.
    closing: Vec<u32>,
}

/// The sequence number of the one request queued, and that of the
/// acknowledged no-op the session queued after it to close it, if any.
fn seqs_of(out: &[u8]) -> (u32, Option<u32>) {
    let mut it = frames(out);
    let f = it
        .next()
        .expect("a queued message")
        .expect("a well-formed request");
    let closing = it.next().map(|c| {
        let c = c.expect("a well-formed no-op");
        assert_eq!(c.header.kind, NLMSG_NOOP, "a request closed by a no-op");
        c.header.seq
    });
    assert!(
        it.next().is_none(),
        "one request queued more than two messages"
    );
    (f.header.seq, closing)
}

fn seq_of(out: &[u8]) -> u32 {
    let (seq, closing) = seqs_of(out);
    assert_eq!(closing, None, "an unexpected closing no-op");
    seq
}

impl Harness {
    /// A session whose family resolution is queued (not yet answered).
    fn new(family: u16) -> Self {
        let mut session = Session::new();
        let token = session.resolve_family();
        let seq = seq_of(&session.take_outgoing());
        Harness {
            session,
            family,
            tracked: vec![Tracked {
                token,
                seq,
                expect: Expect::Done,
                results: 0,
            }],
            closing: Vec::new(),
        }
    }

    fn resolve_validly(&mut self) {
        let seq = self.tracked[0].seq;
        let dg = fake_kernel::family_reply(seq, self.family);
        self.receive(&dg, 0);
        assert_eq!(self.session.family_id(), Some(self.family));
        assert!(!self.session.is_pending(self.tracked[0].token));
    }

    fn submit(&mut self, r: &Request, silent: bool) {
        let res = if silent {
            self.session.submit_silent(r)
        } else {
            self.session.submit(r)
        };
        match res {
            Ok(token) => {
                let (seq, closing) = seqs_of(&self.session.take_outgoing());
                let closed = !silent && matches!(r, Request::StopDaemon(_));
                assert_eq!(closing.is_some(), closed, "{r:?} closed by a no-op");
                self.closing.extend(closing);
                assert!(self.session.is_pending(token));
                self.tracked.push(Tracked {
                    token,
                    seq,
                    expect: Expect::of(r),
                    results: 0,
                });
            }
            Err(_) => assert_eq!(
                self.session.outgoing_len(),
                0,
                "a failed submit queued bytes"
            ),
        }
    }

    fn barrier(&mut self) {
        let token = self.session.barrier();
        let seq = seq_of(&self.session.take_outgoing());
        self.tracked.push(Tracked {
            token,
            seq,
            expect: Expect::Done,
            results: 0,
        });
    }

    fn receive(&mut self, datagram: &[u8], sender: u32) {
        self.session.receive(datagram, sender);
        self.check();
    }

    fn check(&mut self) {
        for t in &mut self.tracked {
            let pending = self.session.is_pending(t.token);
            match self.session.take_result(t.token) {
                Some(r) => {
                    assert!(!pending, "token {:?} pending with a result", t.token);
                    t.results += 1;
                    assert_eq!(t.results, 1, "token {:?} yielded twice", t.token);
                    if let Ok(reply) = r {
                        assert!(
                            t.expect.matches(&reply),
                            "token {:?} expecting {:?} got {reply:?}",
                            t.token,
                            t.expect
                        );
                    }
                }
                None => assert!(
                    pending || t.results == 1,
                    "token {:?} neither pending nor finished",
                    t.token
                ),
            }
        }
    }

    fn finish(mut self) {
        self.session
            .fail_all(ErrorKind::Timeout(Duration::from_secs(1)));
        assert_eq!(self.session.pending(), 0, "fail_all left requests pending");
        self.check();
        for t in &self.tracked {
            assert_eq!(t.results, 1, "token {:?} never got a result", t.token);
        }
    }
}

fn request(u: &mut Unstructured<'_>, keys: &mut Vec<ServiceKey>) -> Result<Request> {
    let mut key = |u: &mut Unstructured<'_>| -> Result<ServiceKey> {
        if !keys.is_empty() && u.ratio(1, 2)? {
            return Ok(*u.choose(keys)?);
        }
        let k = f::service_key(u)?;
        keys.push(k);
        Ok(k)
    };
    Ok(match u.int_in_range(0..=16)? {
        0 => Request::ListServices,
        1 => Request::GetService(key(u)?),
        2 => Request::AddService(f::service(u)?),
        3 => Request::DeleteService(key(u)?),
        4 => Request::ListDestinations(key(u)?),
        5 => {
            let k = key(u)?;
            Request::AddDestination(k, f::destination(u, k.family())?)
        }
        6 => {
            let k = key(u)?;
            Request::UpdateDestination(k, f::destination(u, k.family())?)
        }
        7 => Request::DeleteDestination(key(u)?, SocketAddr::new(f::ip(u)?, u.arbitrary()?)),
        8 => Request::Flush,
        9 => Request::Zero(if u.arbitrary()? { Some(key(u)?) } else { None }),
        10 => Request::GetTimeouts,
        11 => Request::SetTimeouts(f::timeouts(u)?),
        12 => Request::GetInfo,
        13 => Request::ListDaemons,
        14 => Request::StartDaemon(f::daemon(u)?),
        15 => Request::StopDaemon(if u.arbitrary()? {
            DaemonRole::Master
        } else {
            DaemonRole::Backup
        }),
        _ => Request::UpdateService(ServiceUpdate::replace(&f::service(u)?)),
    })
}

/// The genl payload of a data reply fit for `expect` (sometimes damaged).
fn data_reply(u: &mut Unstructured<'_>, expect: Expect) -> Result<Vec<u8>> {
    let n = u.int_in_range(0..=3)?;
    let mut attrs = Vec::new();
    let cmd = match expect {
        Expect::Services | Expect::Service | Expect::Done => {
            for _ in 0..n {
                if let Ok(a) = f::service_entry(u)?.to_reply_attrs() {
                    attrs.push(IpvsAttr::Service(a));
                }
            }
            Command::NewService
        }
        Expect::Destinations(fam) => {
            for _ in 0..n {
                if let Ok(a) = f::destination_entry(u, fam)?.to_reply_attrs(fam) {
                    attrs.push(IpvsAttr::Dest(a));
                }
            }
            Command::NewDest
        }
        Expect::Daemons => {
            for _ in 0..n {
                if let Ok((_, a)) = Request::StartDaemon(f::daemon(u)?).encode() {
                    attrs.extend(a);
                }
            }
            Command::NewDaemon
        }
        Expect::Info => {
            attrs = f::info(u)?.to_attrs();
            if u.ratio(1, 8)? {
                attrs.pop();
            }
            Command::SetInfo
        }
        Expect::Timeouts => {
            let t: Timeouts = f::timeouts(u)?;
            attrs = Request::SetTimeouts(t).encode().expect("timeouts encode").1;
            Command::SetConfig
        }
    };
    if attrs.len() > 1 && u.ratio(1, 4)? {
        // A dump that repeats an entry.
        attrs.push(attrs[0].clone());
    }
    let mut genl = f::genl(&IpvsMessage::new(cmd, attrs).unwrap());
    if u.ratio(1, 8)? && genl.len() > 4 {
        // Damage one byte of the attributes.
        let i = u.int_in_range(4..=genl.len() - 1)?;
        genl[i] ^= u.int_in_range(1..=255)?;
    }
    Ok(genl)
}

fn ext_ack(u: &mut Unstructured<'_>) -> Result<Vec<u8>> {
    let mut tlvs = Vec::new();
    if u.arbitrary()? {
        let msg = f::name(u, 24)?;
        let mut b = msg.into_bytes();
        if u.ratio(7, 8)? {
            b.push(0);
        }
        tlvs.extend(f::nla(1, &b));
    }
    if u.arbitrary()? {
        tlvs.extend(f::nla(2, &u.arbitrary::<u32>()?.to_ne_bytes()));
    }
    if u.ratio(1, 8)? {
        let n = u.int_in_range(0..=7)?;
        tlvs.extend_from_slice(u.bytes(n)?);
    }
    Ok(tlvs)
}

const ERRNOS: [i32; 12] = [1, 2, 3, 12, 13, 16, 17, 19, 22, 34, 97, 105];

/// One structured message appended to `dg`.
fn message(u: &mut Unstructured<'_>, h: &Harness, dg: &mut Vec<u8>) -> Result<()> {
    let target = if h.tracked.is_empty() || u.ratio(1, 8)? {
        None
    } else {
        Some(u.choose(&h.tracked)?)
    };
    let seq = target.map_or(Ok(0), |t| Ok::<_, arbitrary::Error>(t.seq))?;
    let seq = if target.is_none() {
        u.arbitrary()?
    } else {
        seq
    };
    // Sometimes the no-op the session queued to close a stop.
    let seq = if target.is_some() && !h.closing.is_empty() && u.ratio(1, 8)? {
        *u.choose(&h.closing)?
    } else {
        seq
    };
    let expect = target.map_or(Expect::Done, |t| t.expect);
    let flag_bits = [
        0,
        NLM_F_MULTI,
        NLM_F_DUMP_INTR,
        NLM_F_CAPPED,
        NLM_F_ACK_TLVS,
    ];
    let mut flags = 0u16;
    for _ in 0..u.int_in_range(0..=2)? {
        flags |= *u.choose(&flag_bits)?;
    }
    match u.int_in_range(0..=9)? {
        0..=2 => {
            let kind = if u.ratio(15, 16)? {
                h.family
            } else {
                u.arbitrary()?
            };
            let body = data_reply(u, expect)?;
            f::push(dg, kind, flags | NLM_F_MULTI, seq, &body);
        }
        3 | 4 => {
            let tlvs = if flags & NLM_F_ACK_TLVS != 0 {
                ext_ack(u)?
            } else {
                Vec::new()
            };
            f::push(
                dg,
                NLMSG_ERROR,
                flags,
                seq,
                &fake_kernel::error_payload(0, seq, &tlvs),
            );
        }
        5 => {
            let code = if u.ratio(7, 8)? {
                -*u.choose(&ERRNOS)?
            } else {
                u.arbitrary()?
            };
            let tlvs = if flags & NLM_F_ACK_TLVS != 0 {
                ext_ack(u)?
            } else {
                Vec::new()
            };
            let mut p = fake_kernel::error_payload(code, seq, &tlvs);
            if u.ratio(1, 8)? {
                p.truncate(u.int_in_range(0..=p.len())?);
            }
            f::push(dg, NLMSG_ERROR, flags, seq, &p);
        }
        6 => {
            let mut p = Vec::new();
            if u.arbitrary()? {
                let code: i32 = if u.arbitrary()? { 0 } else { u.arbitrary()? };
                p.extend_from_slice(&code.to_ne_bytes());
                if flags & NLM_F_ACK_TLVS != 0 {
                    p.extend(ext_ack(u)?);
                }
            }
            f::push(dg, NLMSG_DONE, flags | NLM_F_MULTI, seq, &p);
        }
        7 => {
            let kind = if u.ratio(1, 8)? {
                NLMSG_OVERRUN
            } else {
                NLMSG_NOOP
            };
            f::push(dg, kind, flags, seq, &[]);
        }
        8 => {
            let other: u16 = u.arbitrary()?;
            let kind = *u.choose(&[h.family, GENL_ID_CTRL, other])?;
            let len = u.arbitrary_len::<u8>()?.min(512);
            let body = u.bytes(len)?.to_vec();
            f::push(dg, kind, flags, seq, &body);
        }
        _ => {
            let id = if u.arbitrary()? {
                h.family
            } else {
                u.arbitrary()?
            };
            f::push(
                dg,
                GENL_ID_CTRL,
                flags,
                seq,
                &fake_kernel::newfamily_payload(id),
            );
        }
    }
    Ok(())
}

/// Rewrites the sequence number of every message header in `dg` that can be
/// delimited, pointing it at a tracked request.
fn rebase(u: &mut Unstructured<'_>, h: &Harness, dg: &mut [u8]) -> Result<()> {
    let mut at = 0usize;
    while at + 16 <= dg.len() && !h.tracked.is_empty() {
        let len = u32::from_ne_bytes(dg[at..at + 4].try_into().unwrap()) as usize;
        let seq = if !h.closing.is_empty() && u.ratio(1, 8)? {
            *u.choose(&h.closing)?
        } else {
            u.choose(&h.tracked)?.seq
        };
        dg[at + 8..at + 12].copy_from_slice(&seq.to_ne_bytes());
        if len < 16 {
            break;
        }
        at += (len + 3) & !3;
    }
    Ok(())
}

fn datagram(u: &mut Unstructured<'_>, h: &Harness) -> Result<Vec<u8>> {
    Ok(match u.int_in_range(0..=7)? {
        0 => {
            let len = u.arbitrary_len::<u8>()?.min(1024);
            u.bytes(len)?.to_vec()
        }
        1 => {
            let len = u.arbitrary_len::<u8>()?.min(1024);
            let mut dg = u.bytes(len)?.to_vec();
            rebase(u, h, &mut dg)?;
            dg
        }
        _ => {
            let mut dg = Vec::new();
            for _ in 0..u.int_in_range(1..=4)? {
                message(u, h, &mut dg)?;
            }
            if u.ratio(1, 16)? && !dg.is_empty() {
                if u.arbitrary()? {
                    dg.truncate(u.int_in_range(0..=dg.len() - 1)?);
                } else {
                    let i = u.int_in_range(0..=dg.len() - 1)?;
                    dg[i] ^= u.int_in_range(1..=255)?;
                }
            }
            dg
        }
    })
}

fn run(u: &mut Unstructured<'_>) -> Result<()> {
    let family = if u.ratio(1, 16)? {
        u.arbitrary()?
    } else {
        0x11 + u16::from(u.arbitrary::<u8>()?)
    };
    let mut h = Harness::new(family);
    if u.ratio(7, 8)? {
        h.resolve_validly();
    } else {
        let dg = datagram(u, &h)?;
        h.receive(&dg, 0);
    }
    let mut keys = Vec::new();
    for _ in 0..u.int_in_range(0..=8)? {
        let r = request(u, &mut keys)?;
        let silent = u.ratio(1, 3)?;
        h.submit(&r, silent);
        if u.ratio(1, 4)? {
            h.barrier();
        }
    }
    if u.arbitrary()? {
        h.barrier();
    }
    let mut rounds = 0;
    while !u.is_empty() && rounds < 48 {
        rounds += 1;
        let sender = if u.ratio(1, 16)? { u.arbitrary()? } else { 0 };
        let dg = match datagram(u, &h) {
            Ok(dg) => dg,
            Err(_) => break,
        };
        h.receive(&dg, sender);
    }
    h.finish();
    Ok(())
}

/// Replays a capture: see the module documentation.
fn replay(per_message: bool, capture: &[u8]) {
    let msgs: Vec<_> = frames(capture).map_while(|f| f.ok()).collect();
    let family = msgs
        .iter()
        .filter(|m| m.header.kind == GENL_ID_CTRL)
        .find_map(|m| parse_family_id(m.payload).ok())
        .or_else(|| {
            msgs.iter()
                .map(|m| m.header.kind)
                .find(|k| *k > NLMSG_OVERRUN && *k != GENL_ID_CTRL)
        })
        .unwrap_or(0x20);
    let mut h = Harness::new(family);
    h.resolve_validly();
    let any_key = ServiceKey::tcp(SocketAddr::from(([10, 0, 0, 1], 80)));
    let mut map: HashMap<u32, u32> = HashMap::new();
    for m in &msgs {
        if map.contains_key(&m.header.seq) {
            continue;
        }
        if m.header.kind == GENL_ID_CTRL {
            map.insert(m.header.seq, h.tracked[0].seq);
            continue;
        }
        let multi = m.header.flags & NLM_F_MULTI != 0;
        let req = match m.header.kind {
            NLMSG_DONE => Request::ListServices,
            k if k == family => match m.payload.first().copied().map(Command::from) {
                Some(Command::NewService) if multi => Request::ListServices,
                Some(Command::NewService) => Request::GetService(any_key),
                Some(Command::NewDest) => Request::ListDestinations(any_key),
                Some(Command::NewDaemon) => Request::ListDaemons,
                Some(Command::SetInfo) => Request::GetInfo,
                Some(Command::SetConfig) => Request::GetTimeouts,
                _ => Request::ListServices,
            },
            _ => Request::Flush,
        };
        let before = h.tracked.len();
        h.submit(&req, false);
        if h.tracked.len() > before {
            map.insert(m.header.seq, h.tracked[before].seq);
        }
    }
    let mut all = Vec::new();
    for m in &msgs {
        let mut one = Vec::new();
        let seq = map.get(&m.header.seq).copied().unwrap_or(m.header.seq);
        f::push(&mut one, m.header.kind, m.header.flags, seq, m.payload);
        if per_message {
            h.receive(&one, 0);
        } else {
            all.extend(one);
        }
    }
    if !per_message {
        h.receive(&all, 0);
    }
    h.finish();
}

fuzz_target!(|data: &[u8]| {
    if let [0xff, mode, capture @ ..] = data {
        replay(mode & 1 == 0, capture);
        return;
    }
    let _ = run(&mut Unstructured::new(data));
});

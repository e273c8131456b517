//! The I/O-free protocol state machine shared by every handle.
//!
//! A front end puts requests in with [`Session::submit`], sends what
//! [`Session::take_outgoing`] gives as one datagram, feeds every received
//! datagram to [`Session::receive`], and takes finished results with
//! [`Session::take_result`]. The session never blocks and never reads a clock:
//! deadlines belong to the front end, which calls [`Session::abandon`] when
//! one passes.

use super::fast_hash::FastHash;
use std::collections::HashMap;

use super::collect::{collect, Collected, Datagram, SessionStats};
use super::dump_pages::DumpPages;
use super::reply::Reply;
use super::request::{Request, Shape};
use super::silent::SilentRequests;
use crate::error::{Error, ErrorKind, KernelError, Operation};
use crate::wire::constants::IPVS_GENL_NAME;
use crate::wire::ctrl::{self, GENL_ID_CTRL};
use crate::wire::message::push_genl_header;
use crate::wire::netlink::{
    self, NlStatus, NLMSG_DONE, NLMSG_ERROR, NLMSG_NOOP, NLMSG_OVERRUN, NLM_F_ACK, NLM_F_DUMP,
    NLM_F_DUMP_INTR, NLM_F_REQUEST,
};
use crate::wire::DecodeError;

/// Identifies a submitted request: its sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Token(pub(crate) u32);

impl Token {
    /// The sequence number of the request's netlink header.
    pub fn seq(self) -> u32 {
        self.0
    }
}

#[derive(Debug)]
enum Kind {
    /// Completes on its own acknowledgement, dump end, or error.
    Normal(Shape),
    /// An acknowledged no-op closing the silent requests before it. An
    /// internal one (queued by the session itself) has no result of its own.
    Barrier { internal: bool },
}

#[derive(Debug)]
struct Pending {
    op: Operation,
    kind: Kind,
    collected: Collected,
    /// A reply that could not be parsed; reported when the request ends.
    failure: Option<Error>,
    interrupted: bool,
}

/// The protocol state of one netlink socket.
#[derive(Debug)]
pub struct Session {
    family: Option<u16>,
    next_seq: u32,
    pending: HashMap<u32, Pending, FastHash>,
    finished: HashMap<u32, Result<Reply, Error>, FastHash>,
    /// Requests sent without NLM_F_ACK: each fails on an error, and succeeds
    /// when a barrier after it is acknowledged.
    silent: SilentRequests,
    outgoing: Vec<u8>,
    stats: SessionStats,
    broken: bool,
    /// The most entries one dump may collect.
    max_dump_entries: Option<usize>,
    /// The datagram being read: its number and length.
    datagram: Datagram,
    /// The pages of finished service dumps that recorded them.
    pages: HashMap<u32, Box<DumpPages>, FastHash>,
}

impl Default for Session {
    fn default() -> Self {
        Self::new()
    }
}

impl Session {
    /// A session that has not resolved the family yet.
    pub fn new() -> Self {
        Self {
            family: None,
            next_seq: 1,
            pending: HashMap::default(),
            finished: HashMap::default(),
            silent: SilentRequests::default(),
            outgoing: Vec::with_capacity(4096),
            stats: SessionStats::default(),
            broken: false,
            max_dump_entries: None,
            datagram: Datagram { number: 0, len: 0 },
            pages: HashMap::default(),
        }
    }

    /// A session for a family id resolved elsewhere (by another session on
    /// the same kernel, or in tests and benchmarks).
    pub fn with_family_id(id: u16) -> Self {
        let mut s = Self::new();
        s.family = Some(id);
        s
    }

    /// The resolved id of the "IPVS" family.
    pub fn family_id(&self) -> Option<u16> {
        self.family
    }

    /// What was dropped or de-duplicated so far.
    pub fn stats(&self) -> SessionStats {
        self.stats
    }

    /// Requests still waiting for the kernel.
    pub fn pending(&self) -> usize {
        self.pending.len() + self.silent.waiting()
    }

    /// Results and records the session still holds (tests check that
    /// nothing is left behind).
    #[cfg(test)]
    pub(crate) fn held(&self) -> usize {
        self.pending.len() + self.finished.len() + self.silent.held() + self.pages.len()
    }

    /// Whether `token`'s request is still waiting.
    pub fn is_pending(&self, token: Token) -> bool {
        self.pending.contains_key(&token.0) || self.silent.is_waiting(token.0)
    }

    fn seq(&mut self) -> u32 {
        let s = self.next_seq;
        // 0 is never used, so a zeroed header never matches.
        self.next_seq = self.next_seq.wrapping_add(1).max(1);
        s
    }

    fn register(&mut self, seq: u32, op: Operation, kind: Kind, collected: Collected) {
        self.pending.insert(
            seq,
            Pending {
                op,
                kind,
                collected,
                failure: None,
                interrupted: false,
            },
        );
    }

    /// Queues the nlctrl request that resolves the "IPVS" family.
    pub fn resolve_family(&mut self) -> Token {
        let seq = self.seq();
        // GETFAMILY is a do request: ask for the ack so completion is explicit.
        let written = ctrl::push_get_family(
            &mut self.outgoing,
            seq,
            IPVS_GENL_NAME,
            NLM_F_REQUEST | NLM_F_ACK,
        );
        // Cannot fail: the name is four bytes.
        debug_assert!(written.is_ok(), "{written:?}");
        self.register(
            seq,
            Operation::Connect,
            Kind::Normal(Shape::Query),
            Collected::Family(None),
        );
        Token(seq)
    }

    /// Queues a request. Fails without queueing anything when the request is
    /// invalid or the family is not resolved.
    pub fn submit(&mut self, request: &Request) -> Result<Token, Error> {
        let room = usize::MAX;
        self.queue(request, false, room)?
            .ok_or_else(|| no_room(request, room))
    }

    /// Queues a service dump ([`Request::ListServices`]) that records its
    /// pages: [`take_pages`](Self::take_pages) gives them once it ended
    /// well, for the proof that a set of dumps skipped no service.
    pub(crate) fn submit_service_pages(&mut self) -> Result<Token, Error> {
        let token = self.submit(&Request::ListServices)?;
        if let Some(p) = self.pending.get_mut(&token.0) {
            p.collected.record_pages();
        }
        Ok(token)
    }

    /// The pages of a finished [`submit_service_pages`](Self::submit_service_pages)
    /// dump that ended well (taken out).
    pub(crate) fn take_pages(&mut self, token: Token) -> Option<DumpPages> {
        self.pages.remove(&token.0).map(|p| *p)
    }

    /// Queues a request without asking for an acknowledgement: it succeeds
    /// when the next [`barrier`](Self::barrier) is acknowledged without an
    /// error for it. Only for requests that are acknowledged, not queries.
    pub fn submit_silent(&mut self, request: &Request) -> Result<Token, Error> {
        let room = usize::MAX;
        self.queue(request, true, room)?
            .ok_or_else(|| no_room(request, room))
    }

    /// Like [`submit_silent`](Self::submit_silent), but only if the queued
    /// bytes stay within `room` with this request: `Ok(None)`, with nothing
    /// queued, when it does not fit.
    pub fn submit_silent_within(
        &mut self,
        request: &Request,
        room: usize,
    ) -> Result<Option<Token>, Error> {
        self.queue(request, true, room)
    }

    /// Writes `request` into the datagram and files it as pending; `None`
    /// (nothing queued) when the datagram would then be longer than `room`.
    fn queue(
        &mut self,
        request: &Request,
        silent: bool,
        room: usize,
    ) -> Result<Option<Token>, Error> {
        let op = request.operation();
        let family = self
            .family
            .ok_or_else(|| Error::new(op.clone(), ErrorKind::IpvsUnavailable))?;
        let shape = request.shape();
        // A request the kernel may leave unacknowledged is always sent
        // silent and closed by a barrier: by an internal one right after it
        // unless the caller closes it with their own.
        let closing_barrier = !silent && request.ack_may_be_skipped();
        let silent = (silent || closing_barrier) && shape == Shape::Ack;
        let flags = match shape {
            Shape::Dump => NLM_F_REQUEST | NLM_F_DUMP,
            _ if silent => NLM_F_REQUEST,
            _ => NLM_F_REQUEST | NLM_F_ACK,
        };
        // The request is written straight into the datagram; a value the
        // kernel would refuse, or a request past `room`, takes it out again,
        // sequence number unused.
        let start = self.outgoing.len();
        let written =
            netlink::try_push_message(&mut self.outgoing, family, flags, self.next_seq, |o| {
                push_genl_header(o, request.command());
                request.emit_attrs(o)
            });
        if let Err(e) = written {
            return Err(Error::new(op, ErrorKind::Build(e)));
        }
        if self.outgoing.len() > room {
            self.outgoing.truncate(start);
            return Ok(None);
        }
        let seq = self.seq();
        if silent {
            self.silent.push(seq, op);
            if closing_barrier {
                self.push_barrier(true);
            }
            return Ok(Some(Token(seq)));
        }
        let collected = Collected::for_request(request);
        self.register(seq, op, Kind::Normal(shape), collected);
        Ok(Some(Token(seq)))
    }

    /// Queues an acknowledged no-op that closes every silent request queued
    /// since the last barrier. The kernel handles the messages of a datagram
    /// in order, so its acknowledgement comes after any error of theirs.
    pub fn barrier(&mut self) -> Token {
        self.push_barrier(false)
    }

    fn push_barrier(&mut self, internal: bool) -> Token {
        let seq = self.seq();
        let written = netlink::push_message(
            &mut self.outgoing,
            NLMSG_NOOP,
            NLM_F_REQUEST | NLM_F_ACK,
            seq,
            |_| {},
        );
        // Cannot fail: the message is a bare header.
        debug_assert!(written.is_ok(), "{written:?}");
        self.register(
            seq,
            Operation::Barrier,
            Kind::Barrier { internal },
            Collected::Nothing,
        );
        Token(seq)
    }

    /// Makes room for `bytes` more queued bytes at once (a batch reserves a
    /// datagram's worth rather than growing the buffer as it fills it).
    pub fn reserve_outgoing(&mut self, bytes: usize) {
        self.outgoing.reserve(bytes);
    }

    /// Bytes queued and not yet taken.
    pub fn outgoing_len(&self) -> usize {
        self.outgoing.len()
    }

    /// Takes the queued bytes: send them as one datagram.
    pub fn take_outgoing(&mut self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4096);
        self.take_outgoing_into(&mut out);
        out
    }

    /// Takes the queued bytes into `out` (whatever it held is dropped) and
    /// keeps `out`'s buffer for the bytes queued next: a front end that
    /// sends from the same `out` each time allocates nothing per datagram.
    pub fn take_outgoing_into(&mut self, out: &mut Vec<u8>) {
        out.clear();
        std::mem::swap(&mut self.outgoing, out);
    }

    /// Takes the result of a finished request.
    pub fn take_result(&mut self, token: Token) -> Option<Result<Reply, Error>> {
        if self.silent.take(token.0) {
            return Some(Ok(Reply::Done));
        }
        self.finished.remove(&token.0)
    }

    /// Fails every pending request with a clone of `kind`: for requests
    /// that never reached the kernel (the datagram could not be sent), so
    /// none of them was applied.
    pub fn fail_all(&mut self, kind: ErrorKind) {
        self.end_all(&kind, &kind);
    }

    /// Gives up on every pending request after the kernel's answers were
    /// lost or may still be on their way (a deadline passed, the receive
    /// buffer overran, the socket failed after sending). A request waiting
    /// for an answer of its own fails with a clone of `kind`; a silent
    /// request, which the kernel may well have applied, fails with
    /// [`ErrorKind::Unconfirmed`]: neither a false success nor a false
    /// failure.
    pub fn abandon(&mut self, kind: ErrorKind) {
        self.end_all(&kind, &ErrorKind::Unconfirmed);
    }

    fn end_all(&mut self, kind: &ErrorKind, silent: &ErrorKind) {
        let seqs: Vec<u32> = self.pending.keys().copied().collect();
        for seq in seqs {
            if let Some(p) = self.pending.remove(&seq) {
                if !matches!(p.kind, Kind::Barrier { internal: true }) {
                    self.finished
                        .insert(seq, Err(Error::new(p.op, kind.clone())));
                }
            }
        }
        let finished = &mut self.finished;
        self.silent.end_all(|seq, op| {
            finished.insert(seq, Err(Error::new(op.clone(), silent.clone())));
        });
    }

    /// Marks the socket behind this session unusable: replies were lost or
    /// are still on their way (a deadline passed, the receive buffer
    /// overran, the socket failed). Handles reconnect before the next request.
    pub fn mark_broken(&mut self) {
        self.broken = true;
    }

    /// Whether the socket behind this session must be replaced.
    pub fn is_broken(&self) -> bool {
        self.broken
    }

    /// Forgets a finished or pending request (a front end that gave up on it).
    pub fn forget(&mut self, token: Token) {
        self.pending.remove(&token.0);
        self.finished.remove(&token.0);
        self.pages.remove(&token.0);
        self.silent.forget(token.0);
    }

    /// Handles one received datagram. `sender` is the port id it came from;
    /// only the kernel's (0) are read. Returns whether any of its messages
    /// answered a request that was waiting: a front end restarts its silence
    /// timer on that alone, so stale or foreign datagrams cannot keep a call
    /// alive.
    pub fn receive(&mut self, datagram: &[u8], sender: u32) -> bool {
        if sender != 0 {
            self.stats.dropped += 1;
            return false;
        }
        self.datagram = Datagram {
            number: self.datagram.number.wrapping_add(1),
            len: datagram.len(),
        };
        let mut answered = false;
        for frame in netlink::frames(datagram) {
            match frame {
                Ok(frame) => answered |= self.handle_frame(frame),
                Err(e) => {
                    // The rest of the datagram cannot be delimited, and more
                    // of it (half a dump) may still be queued: the socket is
                    // unusable, and every request waiting fails.
                    let e = e.within("netlink");
                    self.broken = true;
                    self.abandon(ErrorKind::Decode(e.clone()));
                    return true;
                }
            }
        }
        answered
    }

    /// Sets the most entries one dump may collect (`None`: no cap). A dump
    /// that goes past it fails with [`ErrorKind::DumpTooLarge`], and the
    /// session is marked broken (the rest of the dump is still on its way).
    pub fn set_max_dump_entries(&mut self, max: Option<usize>) {
        self.max_dump_entries = max;
    }

    /// Handles one message; whether it answered a waiting request.
    fn handle_frame(&mut self, frame: netlink::Frame<'_>) -> bool {
        let h = frame.header;
        let Some(pending) = self.pending.get_mut(&h.seq) else {
            return self.handle_silent_frame(frame);
        };
        match h.kind {
            NLMSG_ERROR => match NlStatus::parse_error(frame.payload, h.flags) {
                Ok(status) => self.finish_status(h.seq, status),
                Err(e) => self.finish(h.seq, Err(ErrorKind::Decode(e.within("nlmsgerr")))),
            },
            NLMSG_DONE => {
                if !matches!(pending.kind, Kind::Normal(Shape::Dump)) {
                    self.stats.dropped += 1;
                    return false;
                }
                match NlStatus::parse_done(frame.payload, h.flags) {
                    Ok(status) => self.finish_status(h.seq, status),
                    Err(e) => self.finish(h.seq, Err(ErrorKind::Decode(e.within("nlmsg_done")))),
                }
            }
            NLMSG_OVERRUN => {
                self.broken = true;
                self.abandon(ErrorKind::Overrun);
            }
            NLMSG_NOOP => {
                self.stats.dropped += 1;
                return false;
            }
            kind => {
                let expected = match pending.collected {
                    Collected::Family(_) => Some(GENL_ID_CTRL),
                    Collected::Nothing => None,
                    _ => self.family,
                };
                if expected != Some(kind) {
                    self.stats.dropped += 1;
                    return false;
                }
                if h.flags & NLM_F_DUMP_INTR != 0 {
                    pending.interrupted = true;
                }
                if pending.failure.is_none() {
                    let collected = collect(
                        &mut pending.collected,
                        frame.payload,
                        self.datagram,
                        &mut self.stats,
                    );
                    if let Err(e) = collected {
                        pending.failure =
                            Some(Error::new(pending.op.clone(), ErrorKind::Decode(e)));
                    }
                }
                let over = self
                    .max_dump_entries
                    .filter(|&max| pending.collected.entries() > max);
                if let Some(max) = over {
                    // The rest of the dump is still coming: the socket must
                    // be replaced before the next request.
                    let e = Error::new(pending.op.clone(), ErrorKind::DumpTooLarge(max));
                    self.broken = true;
                    self.complete(h.seq, Err(e));
                }
            }
        }
        true
    }

    /// A message for no pending request: an error ends a silent request
    /// still waiting, an overrun for one fails everything, the rest is
    /// dropped. Whether it answered a waiting request.
    fn handle_silent_frame(&mut self, frame: netlink::Frame<'_>) -> bool {
        let h = frame.header;
        match h.kind {
            NLMSG_ERROR => match self.silent.end(h.seq) {
                Some(op) => {
                    let result = match NlStatus::parse_error(frame.payload, h.flags) {
                        Ok(status) => status_outcome(&op, status).map(|()| Reply::Done),
                        Err(e) => Err(Error::new(op, ErrorKind::Decode(e.within("nlmsgerr")))),
                    };
                    self.finished.insert(h.seq, result);
                    true
                }
                None => {
                    self.stats.dropped += 1;
                    false
                }
            },
            NLMSG_OVERRUN if self.silent.is_waiting(h.seq) => {
                self.broken = true;
                self.abandon(ErrorKind::Overrun);
                true
            }
            _ => {
                self.stats.dropped += 1;
                false
            }
        }
    }

    fn finish_status(&mut self, seq: u32, status: NlStatus) {
        if let Some(p) = self.pending.get(&seq) {
            let outcome = status_outcome(&p.op, status);
            self.complete(seq, outcome);
        }
    }

    fn finish(&mut self, seq: u32, outcome: Result<(), ErrorKind>) {
        let Some(p) = self.pending.get(&seq) else {
            return;
        };
        let op = p.op.clone();
        match outcome {
            Ok(()) => self.complete(seq, Ok(())),
            Err(kind) => self.complete(seq, Err(Error::new(op, kind))),
        }
    }

    /// Moves a request from pending to finished, building its reply.
    fn complete(&mut self, seq: u32, outcome: Result<(), Error>) {
        let Some(mut p) = self.pending.remove(&seq) else {
            return;
        };
        if let Some(pages) = p.collected.take_pages() {
            if outcome.is_ok() && p.failure.is_none() && !p.interrupted {
                self.pages.insert(seq, pages);
            }
        }
        let internal = matches!(p.kind, Kind::Barrier { internal: true });
        if let Kind::Barrier { .. } = p.kind {
            // A barrier that failed tells nothing about the requests before it.
            let finished = &mut self.finished;
            self.silent.end_before(seq, outcome.is_ok(), |s, op| {
                finished.insert(s, Err(Error::new(op.clone(), ErrorKind::Unconfirmed)));
            });
        }
        let result = match (outcome, p.failure) {
            (Err(e), _) => Err(e),
            (Ok(()), Some(f)) => Err(f),
            (Ok(()), None) if p.interrupted => Err(Error::new(p.op, ErrorKind::Inconsistent(1))),
            (Ok(()), None) => self.build_reply(p.op, p.collected),
        };
        if !internal {
            self.finished.insert(seq, result);
        }
    }

    fn build_reply(&mut self, op: Operation, c: Collected) -> Result<Reply, Error> {
        c.into_reply(op, &mut self.family)
    }
}

/// A request that did not fit the room left for it.
fn no_room(request: &Request, room: usize) -> Error {
    let e = crate::wire::EncodeError::MessageTooLong { len: room };
    Error::new(request.operation(), ErrorKind::Build(e.into()))
}

/// What a status message says of the request `op`.
fn status_outcome(op: &Operation, status: NlStatus) -> Result<(), Error> {
    match status.code {
        0 => Ok(()),
        code if code > 0 => {
            let e = DecodeError::new(crate::wire::DecodeErrorKind::InvalidValue(format!(
                "positive error code {code}"
            )));
            Err(Error::new(
                op.clone(),
                ErrorKind::Decode(e.within("nlmsgerr")),
            ))
        }
        code => {
            let k = KernelError {
                errno: code.checked_neg().unwrap_or(i32::MAX),
                message: status.message,
            };
            Err(Error::from_kernel(op.clone(), k))
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use super::*;
    use crate::model::{
        BuildError, DaemonRole, Destination, Family, Scheduler, Service, ServiceKey,
    };
    use crate::testing::fake_kernel::{ack, done, overrun, service_msg, FAMILY};
    use crate::wire::netlink::{push_message, NLM_F_MULTI};

    #[test]
    fn replies_from_others_or_for_nothing_are_dropped() {
        let mut s = Session::with_family_id(FAMILY);
        let t = s.submit(&Request::Flush).unwrap();
        s.receive(&ack(t.0, 0), 4242); // not the kernel
        s.receive(&ack(t.0 + 7, 0), 0); // no such request
        assert!(s.is_pending(t));
        assert_eq!(s.stats().dropped, 2);
        s.receive(&ack(t.0, 0), 0);
        assert_eq!(s.take_result(t).unwrap().unwrap(), Reply::Done);
    }

    #[test]
    fn dump_is_assembled_and_deduplicated() {
        let mut s = Session::with_family_id(FAMILY);
        let t = s.submit(&Request::ListServices).unwrap();
        let mut d = service_msg(t.0, 1, NLM_F_MULTI);
        d.extend(service_msg(t.0, 2, NLM_F_MULTI));
        s.receive(&d, 0);
        assert!(s.is_pending(t));
        let mut d = service_msg(t.0, 2, NLM_F_MULTI); // repeated across chunks
        d.extend(done(t.0));
        s.receive(&d, 0);
        let Reply::Services(v) = s.take_result(t).unwrap().unwrap() else {
            panic!()
        };
        assert_eq!(v.len(), 2);
        assert_eq!(s.stats().duplicates, 1);
    }

    #[test]
    fn long_dumps_are_deduplicated_too() {
        // Past HASH_FROM entries the keys are checked through a hash set,
        // which starts with every entry already collected.
        let mut s = Session::with_family_id(FAMILY);
        let t = s.submit(&Request::ListServices).unwrap();
        let mut d = Vec::new();
        for i in 1..=20 {
            d.extend(service_msg(t.0, i, NLM_F_MULTI));
        }
        s.receive(&d, 0);
        let mut d = Vec::new();
        for i in [3, 21, 15, 21, 1] {
            d.extend(service_msg(t.0, i, NLM_F_MULTI));
        }
        d.extend(done(t.0));
        s.receive(&d, 0);
        let Reply::Services(v) = s.take_result(t).unwrap().unwrap() else {
            panic!()
        };
        assert_eq!(v.len(), 21);
        assert_eq!(s.stats().duplicates, 4);
    }

    #[test]
    fn a_dump_that_records_its_pages_gives_them_by_datagram() {
        let mut s = Session::with_family_id(FAMILY);
        let t = s.submit_service_pages().unwrap();
        let mut first = service_msg(t.0, 1, NLM_F_MULTI);
        first.extend(service_msg(t.0, 2, NLM_F_MULTI));
        s.receive(&first, 0);
        let mut second = service_msg(t.0, 2, NLM_F_MULTI); // repeated
        second.extend(service_msg(t.0, 3, NLM_F_MULTI));
        s.receive(&second, 0);
        s.receive(&done(t.0), 0);
        let Reply::Services(v) = s.take_result(t).unwrap().unwrap() else {
            panic!()
        };
        assert_eq!(v.len(), 3);
        let keys: Vec<ServiceKey> = v.iter().map(|e| e.service.key).collect();
        let pages = s.take_pages(t).unwrap();
        let paged: Vec<(Vec<ServiceKey>, usize)> = pages
            .pages
            .iter()
            .map(|p| (p.keys.clone(), p.bytes))
            .collect();
        assert_eq!(
            paged,
            [
                (keys[..2].to_vec(), first.len()),
                (vec![keys[1], keys[2]], second.len())
            ]
        );
        assert!(s.take_pages(t).is_none());
        assert_eq!(s.held(), 0);
        // A plain dump records none, and a failed one keeps none.
        let plain = s.submit(&Request::ListServices).unwrap();
        s.receive(&done(plain.0), 0);
        assert!(s.take_result(plain).unwrap().is_ok());
        assert!(s.take_pages(plain).is_none());
        let failed = s.submit_service_pages().unwrap();
        let mut d = service_msg(failed.0, 1, NLM_F_MULTI | NLM_F_DUMP_INTR);
        d.extend(done(failed.0));
        s.receive(&d, 0);
        assert!(s.take_result(failed).unwrap().is_err());
        assert!(s.take_pages(failed).is_none());
        assert_eq!(s.held(), 0);
    }

    #[test]
    fn interrupted_dump_is_reported() {
        let mut s = Session::with_family_id(FAMILY);
        let t = s.submit(&Request::ListServices).unwrap();
        let mut d = service_msg(t.0, 1, NLM_F_MULTI | NLM_F_DUMP_INTR);
        d.extend(done(t.0));
        s.receive(&d, 0);
        let e = s.take_result(t).unwrap().unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Inconsistent(_)));
    }

    #[test]
    fn silent_requests_succeed_at_the_barrier_unless_answered_with_an_error() {
        let mut s = Session::with_family_id(FAMILY);
        let key = ServiceKey::tcp(SocketAddr::from(([10, 0, 0, 1], 80)));
        let a = s.submit_silent(&Request::DeleteService(key)).unwrap();
        let b = s.submit_silent(&Request::DeleteService(key)).unwrap();
        let c = s.submit_silent(&Request::Flush).unwrap();
        let barrier = s.barrier();
        let mut d = ack(b.0, -3);
        d.extend(ack(barrier.0, 0));
        s.receive(&d, 0);
        assert_eq!(s.take_result(a).unwrap().unwrap(), Reply::Done);
        let e = s.take_result(b).unwrap().unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::ServiceNotFound(_)));
        assert_eq!(e.operation(), &Operation::DeleteService(key));
        assert_eq!(s.take_result(c).unwrap().unwrap(), Reply::Done);
        assert_eq!(s.pending(), 0);
    }

    #[test]
    fn a_stop_left_unacknowledged_by_the_kernel_succeeds_at_its_own_barrier() {
        // Netlink sends no acknowledgement when stopping a sync thread that
        // never ran returns EINTR; only the no-op after the stop answers.
        let mut s = Session::with_family_id(FAMILY);
        let stop = s.submit(&Request::StopDaemon(DaemonRole::Backup)).unwrap();
        let sent = s.take_outgoing();
        let frames: Vec<_> = netlink::frames(&sent).map(|f| f.unwrap().header).collect();
        assert_eq!(frames.len(), 2);
        assert_eq!(frames[0].flags & NLM_F_ACK, 0);
        assert_eq!(
            (frames[1].kind, frames[1].flags & NLM_F_ACK),
            (NLMSG_NOOP, NLM_F_ACK)
        );
        s.receive(&ack(frames[1].seq, 0), 0);
        assert_eq!(s.take_result(stop).unwrap().unwrap(), Reply::Done);
        assert_eq!(s.pending(), 0);
        assert!(s.finished.is_empty(), "the internal barrier has no result");

        // An error for the stop still fails it; the barrier after it is silent.
        let stop = s.submit(&Request::StopDaemon(DaemonRole::Master)).unwrap();
        let mut d = ack(stop.0, -3); // ESRCH
        d.extend(ack(stop.0 + 1, 0));
        s.receive(&d, 0);
        let e = s.take_result(stop).unwrap().unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::DaemonNotRunning(_)), "{e}");
        assert_eq!(s.pending(), 0);
        assert!(s.finished.is_empty());

        // A deadline fails the stop, and nothing else is left behind.
        let stop = s.submit(&Request::StopDaemon(DaemonRole::Master)).unwrap();
        s.fail_all(ErrorKind::Timeout(std::time::Duration::from_secs(1)));
        assert!(s.take_result(stop).unwrap().is_err());
        assert!(s.finished.is_empty());
    }

    #[test]
    fn overrun_and_garbage_fail_everything_pending() {
        let mut s = Session::with_family_id(FAMILY);
        let a = s.submit(&Request::GetInfo).unwrap();
        let b = s.submit(&Request::ListDaemons).unwrap();
        s.receive(&overrun(a.0), 0);
        for t in [a, b] {
            let e = s.take_result(t).unwrap().unwrap_err();
            assert!(matches!(e.kind(), ErrorKind::Overrun));
        }
        let c = s.submit(&Request::GetInfo).unwrap();
        s.receive(&[0xff, 0xff, 0xff, 0x7f, 1, 2], 0);
        let e = s.take_result(c).unwrap().unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Decode(_)));
    }

    #[test]
    fn a_datagram_that_cannot_be_delimited_breaks_the_socket() {
        // Half a datagram, or half a dump, may still be queued behind it.
        let mut s = Session::with_family_id(FAMILY);
        let t = s.submit(&Request::ListServices).unwrap();
        let silent = s.submit_silent(&Request::Flush).unwrap();
        let mut d = service_msg(t.0, 1, NLM_F_MULTI);
        d.extend_from_slice(&[40, 0, 0, 0, 1, 2]);
        assert!(s.receive(&d, 0));
        assert!(s.is_broken());
        assert!(matches!(
            s.take_result(t).unwrap().unwrap_err().kind(),
            ErrorKind::Decode(_)
        ));
        // The silent request may have been applied: neither success nor failure.
        let e = s.take_result(silent).unwrap().unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Unconfirmed), "{e}");
        assert_eq!(s.pending(), 0);
    }

    #[test]
    fn only_answers_to_waiting_requests_count_as_progress() {
        let mut s = Session::with_family_id(FAMILY);
        let t = s.submit(&Request::Flush).unwrap();
        assert!(!s.receive(&ack(t.0 + 100, 0), 0), "stale");
        assert!(!s.receive(&ack(t.0, 0), 7), "foreign sender");
        assert!(s.receive(&ack(t.0, 0), 0));
        assert!(!s.receive(&ack(t.0, 0), 0), "answered already");
    }

    #[test]
    fn a_malformed_reply_fails_its_request_when_it_ends() {
        let mut s = Session::with_family_id(FAMILY);
        let t = s.submit(&Request::ListServices).unwrap();
        let mut d = Vec::new();
        // A service nest whose FLAGS payload has 3 bytes.
        push_message(&mut d, FAMILY, NLM_F_MULTI, t.0, |o| {
            o.extend_from_slice(&[1, 1, 0, 0, 11, 0, 1, 0, 7, 0, 7, 0, 1, 2, 3, 0]);
        })
        .unwrap();
        d.extend(done(t.0));
        s.receive(&d, 0);
        let e = s.take_result(t).unwrap().unwrap_err();
        let ErrorKind::Decode(de) = e.kind() else {
            panic!("{e}")
        };
        assert_eq!(de.path(), "service/flags");
    }

    #[test]
    fn requests_need_a_family_and_valid_values() {
        let mut s = Session::new();
        let e = s.submit(&Request::Flush).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::IpvsUnavailable));
        let mut s = Session::with_family_id(FAMILY);
        let bad = Service::new(ServiceKey::fwmark(Family::Ipv4, 0), Scheduler::RoundRobin);
        let e = s.submit(&Request::AddService(bad)).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Build(_)));
        assert_eq!(s.outgoing_len(), 0, "nothing queued");

        // A destination found invalid after its service nest was written
        // leaves the queue and the sequence numbers as they were.
        let first = s.submit(&Request::Flush).unwrap();
        let queued = s.outgoing_len();
        let key = ServiceKey::tcp("10.0.0.1:80".parse().unwrap());
        let heavy = Destination::new("10.0.1.1:80".parse().unwrap()).weight(u32::MAX);
        let e = s.submit(&Request::AddDestination(key, heavy)).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Build(BuildError::Weight(_))));
        assert_eq!(s.outgoing_len(), queued, "the failed request was taken out");
        let next = s.submit(&Request::Flush).unwrap();
        assert_eq!(next.seq(), first.seq() + 1);
        assert_eq!(s.outgoing_len(), 2 * queued);
        assert_eq!(s.pending(), 2);
    }
}

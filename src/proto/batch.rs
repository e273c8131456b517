//! Pipelined batches: many requests per datagram, each datagram closed by an
//! acknowledged no-op, with a result for every request.

use super::reply::Reply;
use super::request::Request;
use super::request::Shape;
use super::session::{Session, Token};
use crate::error::{ConfigError, Error, ErrorKind};
use crate::wire::netlink::NLMSG_HDR_LEN;

/// What a batch does after a failed request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnError {
    /// Send everything; report each failure.
    #[default]
    Continue,
    /// Send no datagram after the one that held the first failure. The kernel
    /// applies a datagram's requests one after the other, so requests after
    /// the failure in the same datagram were still applied; requests after
    /// that datagram report [`ErrorKind::NotSent`].
    Stop,
}

/// How much one datagram may hold. The kernel answers a failed request even
/// without an acknowledgement, so the receive buffer must hold one error per
/// request of a datagram; see [`BatchLimits::for_receive_buffer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchLimits {
    /// Requests per datagram.
    pub max_messages: usize,
    /// Bytes per datagram.
    pub max_bytes: usize,
}

/// What one queued error or acknowledgement costs in the receive buffer
/// (an skb's truesize for a small message, rounded up generously).
pub const REPLY_TRUESIZE: usize = 2048;

/// How many requests' worth of receive buffer a dump in a batch takes: its
/// first chunk is queued while it is sent. The handles' one-page receives
/// keep chunks within 8 KiB; this allows for the kernel's 32 KiB maximum
/// (a socket that once received with a larger buffer). A socket runs one
/// dump at a time: a second dump in the same datagram gets EBUSY unless the
/// first one was empty.
pub const DUMP_COST: usize = 32;

impl BatchLimits {
    /// The most requests per datagram that [`check`](Self::check) allows.
    pub const MAX_MESSAGES: usize = 1 << 16;
    /// The fewest bytes per datagram that [`check`](Self::check) allows (a
    /// request larger than the limit still goes out, alone).
    pub const MIN_BYTES: usize = 256;
    /// The most bytes per datagram that [`check`](Self::check) allows. A
    /// handle also keeps every datagram within its socket's send buffer.
    pub const MAX_BYTES: usize = 16 << 20;

    /// Limits of `max_messages` requests and `max_bytes` bytes per
    /// datagram, checked.
    pub fn new(max_messages: usize, max_bytes: usize) -> Result<Self, ConfigError> {
        let limits = Self {
            max_messages,
            max_bytes,
        };
        limits.check().map(|()| limits)
    }

    /// Whether both limits are within range: 0 would send nothing, and
    /// huge values would overflow the datagram's buffer.
    pub fn check(&self) -> Result<(), ConfigError> {
        if !(1..=Self::MAX_MESSAGES).contains(&self.max_messages) {
            return Err(ConfigError::BatchMessages(self.max_messages));
        }
        if !(Self::MIN_BYTES..=Self::MAX_BYTES).contains(&self.max_bytes) {
            return Err(ConfigError::BatchBytes(self.max_bytes));
        }
        Ok(())
    }

    /// Limits such that every request of a datagram failing still fits a
    /// receive buffer of `rcvbuf` bytes (as `SO_RCVBUF` reads it back).
    pub fn for_receive_buffer(rcvbuf: usize) -> Self {
        Self {
            max_messages: (rcvbuf / REPLY_TRUESIZE).saturating_sub(2).clamp(1, 2048),
            max_bytes: 128 * 1024,
        }
    }

    /// These limits with datagrams small enough for a send buffer of
    /// `sndbuf` bytes (as `SO_SNDBUF` reads it back): the kernel refuses a
    /// datagram longer than the send buffer less 32 bytes with EMSGSIZE.
    pub fn within_send_buffer(self, sndbuf: usize) -> Self {
        let room = sndbuf.saturating_sub(32).max(Self::MIN_BYTES);
        Self {
            max_bytes: self.max_bytes.min(room),
            ..self
        }
    }
}

/// A batch in progress. A front end loops: [`fill`](Self::fill) the session,
/// send its bytes, receive until [`datagram_done`](Self::datagram_done), then
/// [`settle`](Self::settle); at the end [`finish`](Self::finish).
#[derive(Debug)]
pub struct BatchRun {
    requests: Vec<Request>,
    /// Results so far, in the order of `requests`: every request before the
    /// current datagram has one.
    results: Vec<Result<Reply, Error>>,
    /// The current datagram's requests, in order: queued, or refused before
    /// sending.
    datagram: Vec<Result<Token, Error>>,
    /// The no-op closing the current datagram: once it is answered, every
    /// request sent silent before it has its result.
    barrier: Option<Token>,
    /// Requests of the current datagram that end on their own answer
    /// (queries and dumps, which a session never sends silent).
    answered: Vec<Token>,
    on_error: OnError,
    limits: BatchLimits,
    stopped: bool,
}

impl BatchRun {
    /// A batch of `requests`.
    pub fn new(requests: Vec<Request>, on_error: OnError, limits: BatchLimits) -> Self {
        Self {
            results: Vec::with_capacity(requests.len()),
            requests,
            datagram: Vec::new(),
            barrier: None,
            answered: Vec::new(),
            on_error,
            limits,
            stopped: false,
        }
    }

    /// Queues the next datagram's requests and its barrier into `session`.
    /// Returns false when there is nothing more to send.
    pub fn fill(&mut self, session: &mut Session) -> bool {
        session.reserve_outgoing(self.limits.max_bytes);
        // The datagram never grows past `max_bytes`, its barrier included;
        // only a first request larger than that goes out, alone.
        let room = session.outgoing_len() + self.limits.max_bytes.saturating_sub(NLMSG_HDR_LEN);
        let mut cost = 0;
        let mut next = self.results.len();
        while !self.stopped && next < self.requests.len() && cost < self.limits.max_messages {
            let request = &self.requests[next];
            // A dump's first chunk (up to 32 KiB) is queued while it is sent.
            let shape = request.shape();
            let c = match shape {
                Shape::Dump => DUMP_COST,
                _ => 1,
            };
            if cost > 0 && cost + c > self.limits.max_messages {
                break;
            }
            let room = if cost == 0 { usize::MAX } else { room };
            match session.submit_silent_within(request, room) {
                Ok(Some(t)) => {
                    cost += c;
                    if shape != Shape::Ack {
                        self.answered.push(t);
                    }
                    self.datagram.push(Ok(t));
                }
                // The datagram is full.
                Ok(None) => break,
                Err(e) => {
                    self.datagram.push(Err(e));
                    if self.on_error == OnError::Stop {
                        self.stopped = true;
                    }
                }
            }
            next += 1;
        }
        if cost == 0 {
            // Only failures before sending were left (or the batch stopped):
            // nothing to send. A request that went out always costs, so an
            // empty round means the requests are used up.
            self.settle(session);
            return false;
        }
        self.barrier = Some(session.barrier());
        true
    }

    /// Whether every request of the current datagram has its result.
    pub fn datagram_done(&self, session: &Session) -> bool {
        self.barrier.is_none_or(|b| !session.is_pending(b))
            && self.answered.iter().all(|t| !session.is_pending(*t))
    }

    /// Takes the results of the current datagram out of `session`.
    pub fn settle(&mut self, session: &mut Session) {
        if let Some(b) = self.barrier.take() {
            // A barrier of the batch's own has no result anyone wants.
            session.forget(b);
        }
        self.answered.clear();
        for queued in self.datagram.drain(..) {
            let i = self.results.len();
            // Every request of a finished datagram has its result; one
            // without would be one whose fate nobody saw.
            let r = queued.and_then(|t| {
                session.take_result(t).unwrap_or_else(|| {
                    Err(Error::new(
                        self.requests[i].operation(),
                        ErrorKind::Unconfirmed,
                    ))
                })
            });
            if r.is_err() && self.on_error == OnError::Stop {
                self.stopped = true;
            }
            self.results.push(r);
        }
    }

    /// Gives up on what is in flight (a deadline passed or the socket
    /// broke): requests of the current datagram without an answer end as
    /// [`ErrorKind::Unconfirmed`] (or `kind`, for queries and dumps), and
    /// nothing more is sent.
    pub fn abort(&mut self, session: &mut Session, kind: ErrorKind) {
        session.abandon(kind);
        self.settle(session);
        self.stopped = true;
    }

    /// Sends nothing more: the requests not sent yet end as
    /// [`ErrorKind::NotSent`]. Call between [`settle`](Self::settle) and the
    /// next [`fill`](Self::fill).
    pub fn stop(&mut self) {
        self.stopped = true;
    }

    /// Halves the requests per datagram (at least one) for the rest of the
    /// batch: after the kernel dropped answers, so that the next socket's
    /// receive buffer holds a datagram's worth.
    pub fn halve_limits(&mut self) {
        self.limits.max_messages = (self.limits.max_messages / 2).max(1);
    }

    /// The result of every request, in the order given.
    pub fn finish(mut self) -> Vec<Result<Reply, Error>> {
        let sent = self.results.len();
        self.results.extend(
            self.requests[sent..]
                .iter()
                .map(|r| Err(Error::new(r.operation(), ErrorKind::NotSent))),
        );
        self.results
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;
    use std::time::Duration;

    use super::*;
    use crate::error::Operation;
    use crate::model::{Destination, Scheduler, Service, ServiceKey};
    use crate::testing::fake_kernel::{status, Kernel, FAMILY};
    use crate::wire::netlink::frames;

    fn key(port: u16) -> ServiceKey {
        ServiceKey::tcp(SocketAddr::from(([10, 0, 0, 1], port)))
    }

    fn add(port: u16) -> Request {
        Request::AddService(Service::new(key(port), Scheduler::RoundRobin))
    }

    /// Runs `run` to the end as a handle would, answered by `kernel`.
    fn drive(mut run: BatchRun, s: &mut Session, kernel: &mut Kernel) -> Vec<Result<Reply, Error>> {
        while run.fill(s) {
            let reply = kernel.answer(&s.take_outgoing());
            s.receive(&reply, 0);
            assert!(run.datagram_done(s));
            run.settle(s);
        }
        run.finish()
    }

    fn limits(max_messages: usize) -> BatchLimits {
        BatchLimits {
            max_messages,
            max_bytes: 1 << 20,
        }
    }

    #[test]
    fn every_request_gets_its_own_result_in_order() {
        let mut s = Session::with_family_id(FAMILY);
        let requests: Vec<_> = (1..=10).map(add).collect();
        let mut kernel = Kernel::new(&[2, 7]);
        let run = BatchRun::new(requests, OnError::Continue, limits(4));
        let results = drive(run, &mut s, &mut kernel);
        assert_eq!(kernel.datagrams, 3, "4 + 4 + 2 requests");
        assert_eq!(results.len(), 10);
        for (i, r) in results.iter().enumerate() {
            match r {
                Err(e) if i == 2 || i == 7 => {
                    assert!(matches!(e.kind(), ErrorKind::ServiceExists(_)), "{e}");
                    assert_eq!(e.operation(), &Operation::AddService(key(i as u16 + 1)));
                }
                Ok(Reply::Done) if i != 2 && i != 7 => {}
                other => panic!("request {i}: {other:?}"),
            }
        }
        assert_eq!(s.pending(), 0);
        assert_eq!(s.held(), 0, "nothing left behind in the session");
    }

    #[test]
    fn stop_sends_nothing_after_the_datagram_that_failed() {
        let mut s = Session::with_family_id(FAMILY);
        let requests: Vec<_> = (1..=9).map(add).collect();
        let mut kernel = Kernel::new(&[4]);
        let run = BatchRun::new(requests, OnError::Stop, limits(3));
        let results = drive(run, &mut s, &mut kernel);
        assert_eq!(kernel.datagrams, 2);
        assert!(results[..4].iter().all(|r| r.is_ok()));
        assert!(matches!(
            results[4].as_ref().unwrap_err().kind(),
            ErrorKind::ServiceExists(_)
        ));
        // The kernel applied the rest of the failed request's datagram.
        assert!(results[5].is_ok());
        for r in &results[6..] {
            assert!(matches!(r.as_ref().unwrap_err().kind(), ErrorKind::NotSent));
        }
        assert_eq!(s.held(), 0);
    }

    #[test]
    fn a_request_refused_before_sending_fails_alone_or_stops_the_batch() {
        let heavy = Destination::new("10.0.1.1:80".parse().unwrap()).weight(u32::MAX);
        let requests = || {
            vec![
                add(1),
                Request::AddDestination(key(1), heavy.clone()),
                add(2),
            ]
        };
        for (on_error, last_sent) in [(OnError::Continue, true), (OnError::Stop, false)] {
            let mut s = Session::with_family_id(FAMILY);
            let mut kernel = Kernel::new(&[]);
            let results = drive(
                BatchRun::new(requests(), on_error, limits(8)),
                &mut s,
                &mut kernel,
            );
            assert!(results[0].is_ok());
            let e = results[1].as_ref().unwrap_err();
            assert!(matches!(e.kind(), ErrorKind::Build(_)), "{e}");
            assert_eq!(results[2].is_ok(), last_sent, "{on_error:?}");
            assert_eq!(kernel.seen, 1 + usize::from(last_sent));
        }
        // Nothing valid at all: nothing is sent.
        let mut s = Session::with_family_id(FAMILY);
        let mut kernel = Kernel::new(&[]);
        let only_bad = vec![Request::AddDestination(key(1), heavy)];
        let results = drive(
            BatchRun::new(only_bad, OnError::Continue, limits(8)),
            &mut s,
            &mut kernel,
        );
        assert!(matches!(
            results[0].as_ref().unwrap_err().kind(),
            ErrorKind::Build(_)
        ));
        assert_eq!(kernel.datagrams, 0);
    }

    /// A batch adding `n` services whose first datagram is queued; and what
    /// that datagram holds.
    fn first_datagram(n: u16, max_messages: usize) -> (Session, BatchRun, Vec<u8>) {
        let mut s = Session::with_family_id(FAMILY);
        let requests: Vec<_> = (1..=n).map(add).collect();
        let mut run = BatchRun::new(requests, OnError::Continue, limits(max_messages));
        assert!(run.fill(&mut s));
        let sent = s.take_outgoing();
        assert!(!sent.is_empty());
        (s, run, sent)
    }

    #[test]
    fn abort_fails_what_is_in_flight_and_sends_nothing_more() {
        // Sent, and no answer came.
        let (mut s, mut run, _) = first_datagram(5, 2);
        assert!(!run.datagram_done(&s));
        run.abort(&mut s, ErrorKind::Timeout(Duration::from_secs(1)));
        assert!(!run.fill(&mut s));
        let results = run.finish();
        // Sent and never answered: whether the kernel applied them is unknown.
        for r in &results[..2] {
            assert!(matches!(
                r.as_ref().unwrap_err().kind(),
                ErrorKind::Unconfirmed
            ));
        }
        for r in &results[2..] {
            assert!(matches!(r.as_ref().unwrap_err().kind(), ErrorKind::NotSent));
        }
        assert_eq!((s.pending(), s.held()), (0, 0));
    }

    #[test]
    fn a_failed_barrier_leaves_the_silent_requests_unconfirmed() {
        let (mut s, mut run, sent) = first_datagram(3, 8);
        let seqs: Vec<u32> = frames(&sent).map(|f| f.unwrap().header.seq).collect();
        let mut answer = Vec::new();
        status(&mut answer, seqs[1], -17); // EEXIST
        status(&mut answer, seqs[3], -1); // EPERM, for the barrier
        s.receive(&answer, 0);
        assert!(run.datagram_done(&s));
        run.settle(&mut s);
        let results = run.finish();
        assert!(matches!(
            results[0].as_ref().unwrap_err().kind(),
            ErrorKind::Unconfirmed
        ));
        assert!(matches!(
            results[1].as_ref().unwrap_err().kind(),
            ErrorKind::ServiceExists(_)
        ));
        assert!(matches!(
            results[2].as_ref().unwrap_err().kind(),
            ErrorKind::Unconfirmed
        ));
        assert_eq!((s.pending(), s.held()), (0, 0));
    }
}

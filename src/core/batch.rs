//! Pipelined batches: many requests per datagram, each datagram closed by an
//! acknowledged no-op, with a result for every request.

use super::reply::Reply;
use super::request::Request;
use super::request::Shape;
use super::session::{Session, Token};
use crate::error::{Error, ErrorKind};

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
    /// Limits such that every request of a datagram failing still fits a
    /// receive buffer of `rcvbuf` bytes (as `SO_RCVBUF` reads it back).
    pub fn for_receive_buffer(rcvbuf: usize) -> Self {
        BatchLimits {
            max_messages: (rcvbuf / REPLY_TRUESIZE).saturating_sub(2).clamp(1, 2048),
            max_bytes: 128 * 1024,
        }
    }
}

/// A batch in progress. A front end loops: [`fill`](Self::fill) the session,
/// send its bytes, receive until [`datagram_done`](Self::datagram_done), then
/// [`settle`](Self::settle); at the end [`finish`](Self::finish).
#[derive(Debug)]
pub struct BatchRun {
    requests: Vec<Request>,
    next: usize,
    tokens: Vec<Option<Token>>,
    results: Vec<Option<Result<Reply, Error>>>,
    in_flight: Vec<usize>,
    /// Receive-buffer budget used by the current datagram, in requests.
    cost: usize,
    on_error: OnError,
    limits: BatchLimits,
    stopped: bool,
}

impl BatchRun {
    /// A batch of `requests`.
    pub fn new(requests: Vec<Request>, on_error: OnError, limits: BatchLimits) -> Self {
        let n = requests.len();
        BatchRun {
            requests,
            next: 0,
            tokens: vec![None; n],
            results: (0..n).map(|_| None).collect(),
            in_flight: Vec::new(),
            cost: 0,
            on_error,
            limits,
            stopped: false,
        }
    }

    /// Queues the next datagram's requests and its barrier into `session`.
    /// Returns false when there is nothing more to send.
    pub fn fill(&mut self, session: &mut Session) -> bool {
        if self.stopped || self.next >= self.requests.len() {
            return false;
        }
        let start_len = session.outgoing_len();
        self.cost = 0;
        while self.next < self.requests.len()
            && self.cost < self.limits.max_messages
            && session.outgoing_len() - start_len < self.limits.max_bytes
        {
            let i = self.next;
            // A dump's first chunk (up to 32 KiB) is queued while it is sent.
            let cost = match self.requests[i].shape() {
                Shape::Dump => DUMP_COST,
                _ => 1,
            };
            if self.cost > 0 && self.cost + cost > self.limits.max_messages {
                break;
            }
            self.next += 1;
            match session.submit_silent(&self.requests[i]) {
                Ok(t) => {
                    self.cost += cost;
                    self.tokens[i] = Some(t);
                    self.in_flight.push(i);
                }
                Err(e) => {
                    self.results[i] = Some(Err(e));
                    if self.on_error == OnError::Stop {
                        self.stopped = true;
                        break;
                    }
                }
            }
        }
        if self.in_flight.is_empty() {
            // Only failures before sending were left (or the batch stopped):
            // nothing to send. A request that went out always counts, so an
            // empty round means the requests are used up.
            return false;
        }
        session.barrier();
        true
    }

    /// Whether every request of the current datagram has its result.
    pub fn datagram_done(&self, session: &Session) -> bool {
        self.in_flight
            .iter()
            .all(|i| self.tokens[*i].is_none_or(|t| !session.is_pending(t)))
    }

    /// Takes the results of the current datagram out of `session`.
    pub fn settle(&mut self, session: &mut Session) {
        for i in std::mem::take(&mut self.in_flight) {
            if let Some(t) = self.tokens[i] {
                let r = session.take_result(t).unwrap_or_else(|| {
                    Err(Error::new(self.requests[i].operation(), ErrorKind::Overrun))
                });
                if r.is_err() && self.on_error == OnError::Stop {
                    self.stopped = true;
                }
                self.results[i] = Some(r);
            }
        }
    }

    /// Gives up on what is in flight (a deadline passed or the socket broke).
    pub fn abort(&mut self, session: &mut Session, kind: impl Fn() -> ErrorKind) {
        session.fail_all(kind);
        self.settle(session);
        self.stopped = true;
    }

    /// The result of every request, in the order given.
    pub fn finish(self) -> Vec<Result<Reply, Error>> {
        self.results
            .into_iter()
            .zip(self.requests)
            .map(|(r, req)| {
                r.unwrap_or_else(|| Err(Error::new(req.operation(), ErrorKind::NotSent)))
            })
            .collect()
    }
}

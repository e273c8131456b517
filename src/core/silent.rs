//! Requests sent without an acknowledgement, kept in the order they were
//! sent. A batch sends tens of thousands of them: each costs one entry
//! pushed at the back and found again at the front, with no hashing and no
//! move between tables.

use super::reply::Reply;
use crate::error::{Error, Operation};

/// Whether sequence number `a` was used before `b` (the counter wraps; the
/// requests outstanding at once are far fewer than 2^31).
pub(crate) fn precedes(a: u32, b: u32) -> bool {
    (b.wrapping_sub(a) as i32) > 0
}

#[derive(Debug)]
enum State {
    /// No error seen; the next barrier's acknowledgement confirms it.
    Waiting,
    /// Finished (a silent request's reply is always [`Reply::Done`]); its
    /// result not taken yet.
    Finished(Result<(), Error>),
    /// Its result was taken, or the caller forgot it.
    Gone,
}

#[derive(Debug)]
struct Entry {
    seq: u32,
    op: Operation,
    state: State,
}

/// The silent requests whose results have not been taken, in the order
/// sent. Taken entries stay in place (no shifting per result) until none is
/// left or they are most of the list; then they are dropped at once.
#[derive(Debug, Default)]
pub(crate) struct SilentRequests {
    entries: Vec<Entry>,
    /// Every entry before this index is gone: where the next result to take
    /// usually is.
    head: usize,
    /// Entries before this index were all reached by a barrier's answer.
    confirmed: usize,
    /// Entries not [`State::Gone`].
    live: usize,
    /// Entries in [`State::Waiting`].
    waiting: usize,
}

/// Below this many entries, taken ones are not compacted away.
const COMPACT_FROM: usize = 64;

impl SilentRequests {
    /// Records a request just queued with sequence number `seq`, which
    /// follows every recorded one.
    pub(crate) fn push(&mut self, seq: u32, op: Operation) {
        // Only pushing grows the list: dropping the gone entries here, once
        // they are most of it, bounds it by twice the live ones.
        if self.entries.len() >= COMPACT_FROM && self.live * 2 < self.entries.len() {
            self.compact();
        }
        self.entries.push(Entry {
            seq,
            op,
            state: State::Waiting,
        });
        self.live += 1;
        self.waiting += 1;
    }

    /// Entries not yet dropped.
    #[cfg(test)]
    pub(crate) fn held(&self) -> usize {
        self.entries.len()
    }

    /// How many are still waiting.
    pub(crate) fn waiting(&self) -> usize {
        self.waiting
    }

    fn index(&self, seq: u32) -> Option<usize> {
        if self.entries.get(self.head).is_some_and(|e| e.seq == seq) {
            return Some(self.head);
        }
        let base = self.entries.first()?.seq;
        let key = seq.wrapping_sub(base);
        self.entries
            .binary_search_by_key(&key, |e| e.seq.wrapping_sub(base))
            .ok()
    }

    /// Whether `seq` is a silent request still waiting.
    pub(crate) fn is_waiting(&self, seq: u32) -> bool {
        self.index(seq)
            .is_some_and(|i| matches!(self.entries[i].state, State::Waiting))
    }

    /// Finishes `seq` with `result` if it is still waiting; the result is
    /// built from its operation only then.
    pub(crate) fn finish(
        &mut self,
        seq: u32,
        result: impl FnOnce(&Operation) -> Result<(), Error>,
    ) {
        if let Some(i) = self.index(seq) {
            let e = &mut self.entries[i];
            if matches!(e.state, State::Waiting) {
                e.state = State::Finished(result(&e.op));
                self.waiting -= 1;
            }
        }
    }

    /// Finishes every request still waiting that was sent before `barrier`
    /// with `result` (the barrier's answer came: the kernel had handled
    /// them, in order, without an error).
    pub(crate) fn finish_before(
        &mut self,
        barrier: u32,
        result: impl Fn(&Operation) -> Result<(), Error>,
    ) {
        let mut i = self.confirmed;
        while let Some(e) = self.entries.get_mut(i) {
            if !precedes(e.seq, barrier) {
                break;
            }
            if matches!(e.state, State::Waiting) {
                e.state = State::Finished(result(&e.op));
                self.waiting -= 1;
            }
            i += 1;
        }
        self.confirmed = i;
    }

    /// Finishes every request still waiting with `result`.
    pub(crate) fn finish_all(&mut self, result: impl Fn(&Operation) -> Result<(), Error>) {
        for e in self.entries.iter_mut() {
            if matches!(e.state, State::Waiting) {
                e.state = State::Finished(result(&e.op));
            }
        }
        self.waiting = 0;
        self.confirmed = self.entries.len();
    }

    /// Takes the result of `seq` if it has one; `None` if it is waiting or
    /// unknown.
    pub(crate) fn take(&mut self, seq: u32) -> Option<Result<Reply, Error>> {
        let i = self.index(seq)?;
        let e = &mut self.entries[i];
        match std::mem::replace(&mut e.state, State::Gone) {
            State::Finished(r) => {
                self.gone(i);
                Some(r.map(|()| Reply::Done))
            }
            other => {
                e.state = other;
                None
            }
        }
    }

    /// Drops `seq` whatever its state (a caller that gave up on it).
    pub(crate) fn forget(&mut self, seq: u32) {
        if let Some(i) = self.index(seq) {
            match std::mem::replace(&mut self.entries[i].state, State::Gone) {
                State::Gone => {}
                State::Waiting => {
                    self.waiting -= 1;
                    self.gone(i);
                }
                State::Finished(_) => self.gone(i),
            }
        }
    }

    /// Entry `i` just became gone.
    fn gone(&mut self, i: usize) {
        self.live -= 1;
        if self.live == 0 {
            self.entries.clear();
            self.head = 0;
            self.confirmed = 0;
            return;
        }
        if i == self.head {
            while self
                .entries
                .get(self.head)
                .is_some_and(|e| matches!(e.state, State::Gone))
            {
                self.head += 1;
            }
        }
    }

    /// Drops the gone entries (one result never taken does not keep every
    /// later entry).
    fn compact(&mut self) {
        let confirmed = self.entries[..self.confirmed]
            .iter()
            .filter(|e| !matches!(e.state, State::Gone))
            .count();
        self.entries.retain(|e| !matches!(e.state, State::Gone));
        self.confirmed = confirmed;
        self.head = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn done(_: &Operation) -> Result<(), Error> {
        Ok(())
    }

    #[test]
    fn results_come_out_in_any_order_across_a_wrapping_counter() {
        let mut s = SilentRequests::default();
        let seqs = [u32::MAX - 2, u32::MAX - 1, u32::MAX, 1, 2];
        for q in seqs {
            s.push(q, Operation::Flush);
        }
        s.finish(u32::MAX, |op| {
            Err(Error::new(op.clone(), ErrorKind::Unconfirmed))
        });
        assert_eq!(s.waiting(), 4);
        // A barrier after the third: the first two are confirmed, the
        // third keeps its error, the last two still wait.
        s.finish_before(0, done);
        assert_eq!(s.waiting(), 2);
        assert!(s.take(u32::MAX).unwrap().is_err());
        assert!(s.take(u32::MAX).is_none(), "taken once");
        assert!(s.take(1).is_none(), "still waiting");
        assert!(s.is_waiting(2));
        assert!(s.take(u32::MAX - 2).unwrap().is_ok());
        s.finish_before(3, done);
        for q in [2, 1, u32::MAX - 1] {
            assert!(s.take(q).unwrap().is_ok(), "{q}");
        }
        assert_eq!((s.held(), s.waiting()), (0, 0));
    }

    #[test]
    fn an_untaken_result_does_not_keep_every_later_entry() {
        let mut s = SilentRequests::default();
        s.push(1, Operation::Flush);
        s.finish_before(2, done); // never taken
        for q in 2..10_000 {
            s.push(q, Operation::Flush);
            s.finish_before(q + 1, done);
            assert!(s.take(q).is_some());
        }
        assert!(s.held() < 2 * COMPACT_FROM, "{} entries held", s.held());
        assert!(s.take(1).is_some());
        assert_eq!(s.held(), 0);
    }

    #[test]
    fn forgetting_ends_waiting_and_drops_results() {
        let mut s = SilentRequests::default();
        for q in 1..=3 {
            s.push(q, Operation::Flush);
        }
        s.forget(2);
        assert_eq!(s.waiting(), 2);
        assert!(!s.is_waiting(2));
        s.finish_all(|op| Err(Error::new(op.clone(), ErrorKind::Overrun)));
        assert_eq!(s.waiting(), 0);
        assert!(s.take(2).is_none());
        s.forget(1);
        assert!(s.take(1).is_none());
        assert!(s.take(3).unwrap().is_err());
        assert_eq!(s.held(), 0);
    }
}

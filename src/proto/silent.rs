//! Requests sent without an acknowledgement, kept in the order they were
//! sent. A batch sends tens of thousands of them: each costs one entry
//! pushed at the back and found again at the front, with no hashing and no
//! move between tables. Only successes are kept here; a request that fails
//! leaves the list with its operation, for the session to file its error.

use crate::error::Operation;

/// Whether sequence number `a` was used before `b` (the counter wraps; the
/// requests outstanding at once are far fewer than 2^31).
fn precedes(a: u32, b: u32) -> bool {
    (b.wrapping_sub(a) as i32) > 0
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// No error seen; the next barrier's acknowledgement confirms it.
    Waiting,
    /// Confirmed; its success not taken yet.
    Succeeded,
    /// Taken, failed (and handed over), or forgotten.
    Gone,
}

#[derive(Debug)]
struct Entry {
    seq: u32,
    op: Operation,
    state: State,
}

/// The silent requests whose results have not been taken, in the order
/// sent. Gone entries stay in place (no shifting per result) until none is
/// left, or until they are most of the list when another is pushed; then
/// they are dropped at once (entries own nothing, so that costs nothing
/// per entry).
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

/// Below this many entries, gone ones are not compacted away.
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
            .is_some_and(|i| self.entries[i].state == State::Waiting)
    }

    /// Ends `seq` if it is still waiting (an answer of its own came):
    /// it leaves the list, and its operation is returned.
    pub(crate) fn end(&mut self, seq: u32) -> Option<Operation> {
        let i = self.index(seq)?;
        if self.entries[i].state != State::Waiting {
            return None;
        }
        let op = self.entries[i].op.clone();
        self.waiting -= 1;
        self.gone(i);
        Some(op)
    }

    /// A barrier sent after the requests before it was answered. When it
    /// `succeeded`, each of them still waiting succeeded too (the kernel
    /// handles a datagram in order and had sent no error for it). When it
    /// failed, that tells nothing about them: each leaves the list and is
    /// passed to `unconfirmed`.
    pub(crate) fn end_before(
        &mut self,
        barrier: u32,
        succeeded: bool,
        mut unconfirmed: impl FnMut(u32, &Operation),
    ) {
        let mut i = self.confirmed;
        while let Some(e) = self.entries.get_mut(i) {
            if !precedes(e.seq, barrier) {
                break;
            }
            if e.state == State::Waiting {
                self.waiting -= 1;
                if succeeded {
                    e.state = State::Succeeded;
                } else {
                    unconfirmed(e.seq, &e.op);
                    self.gone(i);
                }
            }
            i += 1;
        }
        // The list may have emptied on the way.
        self.confirmed = i.min(self.entries.len());
    }

    /// Ends every request still waiting, passing each to `failed`.
    pub(crate) fn end_all(&mut self, mut failed: impl FnMut(u32, &Operation)) {
        let mut i = 0;
        while let Some(e) = self.entries.get(i) {
            if e.state == State::Waiting {
                failed(e.seq, &e.op);
                self.waiting -= 1;
                self.gone(i);
            }
            i += 1;
        }
        self.confirmed = self.entries.len();
    }

    /// Takes the success of `seq`: `false` if it has none here (it is
    /// waiting, failed, or unknown).
    pub(crate) fn take(&mut self, seq: u32) -> bool {
        match self.index(seq) {
            Some(i) if self.entries[i].state == State::Succeeded => {
                self.gone(i);
                true
            }
            _ => false,
        }
    }

    /// Drops `seq` whatever its state (a caller that gave up on it).
    pub(crate) fn forget(&mut self, seq: u32) {
        if let Some(i) = self.index(seq) {
            match self.entries[i].state {
                State::Gone => {}
                State::Waiting => {
                    self.waiting -= 1;
                    self.gone(i);
                }
                State::Succeeded => self.gone(i),
            }
        }
    }

    /// Entry `i` becomes gone; the list empties when it was the last live.
    fn gone(&mut self, i: usize) {
        self.entries[i].state = State::Gone;
        self.live -= 1;
        if self.live == 0 {
            // Entries own nothing: this only resets the length.
            self.entries.clear();
            self.head = 0;
            self.confirmed = 0;
            return;
        }
        if i == self.head {
            while self
                .entries
                .get(self.head)
                .is_some_and(|e| e.state == State::Gone)
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
            .filter(|e| e.state != State::Gone)
            .count();
        self.entries.retain(|e| e.state != State::Gone);
        self.confirmed = confirmed;
        self.head = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none(_: u32, _: &Operation) {
        panic!("nothing should fail here");
    }

    #[test]
    fn results_come_out_in_any_order_across_a_wrapping_counter() {
        let mut s = SilentRequests::default();
        let seqs = [u32::MAX - 2, u32::MAX - 1, u32::MAX, 1, 2];
        for q in seqs {
            s.push(q, Operation::Flush);
        }
        // An error for the third: it leaves with its operation.
        assert_eq!(s.end(u32::MAX), Some(Operation::Flush));
        assert_eq!(s.end(u32::MAX), None, "ended once");
        assert_eq!(s.waiting(), 4);
        // A barrier after the third: the first two succeed, the last two
        // still wait.
        s.end_before(0, true, none);
        assert_eq!(s.waiting(), 2);
        assert!(!s.take(u32::MAX), "failed, not here");
        assert!(!s.take(1), "still waiting");
        assert!(s.is_waiting(2));
        assert!(s.take(u32::MAX - 2));
        assert!(!s.take(u32::MAX - 2), "taken once");
        s.end_before(3, true, none);
        for q in [2, 1, u32::MAX - 1] {
            assert!(s.take(q), "{q}");
        }
        assert_eq!((s.held(), s.waiting()), (0, 0));
    }

    #[test]
    fn a_failed_barrier_hands_over_what_it_covered() {
        let mut s = SilentRequests::default();
        for q in 1..=4 {
            s.push(q, Operation::Flush);
        }
        s.end_before(2, true, none);
        let mut unconfirmed = Vec::new();
        s.end_before(4, false, |q, _| unconfirmed.push(q));
        assert_eq!(unconfirmed, [2, 3]);
        assert!(s.is_waiting(4));
        assert!(s.take(1));
        let mut failed = Vec::new();
        s.end_all(|q, _| failed.push(q));
        assert_eq!(failed, [4]);
        assert_eq!((s.held(), s.waiting()), (0, 0));
    }

    #[test]
    fn an_untaken_result_does_not_keep_every_later_entry() {
        let mut s = SilentRequests::default();
        s.push(1, Operation::Flush);
        s.end_before(2, true, none); // never taken
        for q in 2..10_000 {
            s.push(q, Operation::Flush);
            s.end_before(q + 1, true, none);
            assert!(s.take(q));
        }
        assert!(s.held() < 2 * COMPACT_FROM, "{} entries held", s.held());
        assert!(s.take(1));
        assert_eq!(s.held(), 0);
    }

    #[test]
    fn forgetting_ends_waiting_and_drops_successes() {
        let mut s = SilentRequests::default();
        for q in 1..=3 {
            s.push(q, Operation::Flush);
        }
        s.forget(2);
        assert_eq!(s.waiting(), 2);
        assert!(!s.is_waiting(2));
        s.end_before(4, true, none);
        assert!(!s.take(2));
        s.forget(1);
        assert!(!s.take(1));
        assert!(s.take(3));
        assert_eq!(s.held(), 0);
    }
}

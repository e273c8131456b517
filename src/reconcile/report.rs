//! What a reconcile did.

use std::collections::HashMap;

use super::{Change, Plan, Planned, ReconcileError};
use crate::drain::DrainReport;
use crate::error::Error;
use crate::proto::Reply;

/// What a reconcile did: each step that succeeded, and each that failed
/// with why.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct ReconcileReport {
    /// How many requests of each kind succeeded.
    pub applied: HashMap<Change, usize>,
    /// The steps that succeeded, in plan order.
    pub done: Vec<Planned>,
    /// The steps that failed, in plan order.
    pub failures: Vec<(Planned, Error)>,
    /// How each [drained](super::ReconcileOptions::drain) destination's
    /// drain went, in plan order (empty without drains, or when the drain
    /// failed: the failure is then that of its first step).
    pub drains: Vec<DrainReport>,
}

impl ReconcileReport {
    /// The report of `plan` whose requests gave `results`, one per step in
    /// order (as [`Handle::batch`](crate::Handle::batch) returns them for
    /// [`Plan::requests`]): for a plan the caller applied itself. Fails when
    /// the counts differ.
    pub fn from_results(
        plan: Plan,
        results: Vec<Result<Reply, Error>>,
    ) -> Result<Self, ReconcileError> {
        if plan.len() != results.len() {
            return Err(ReconcileError::ResultCount {
                steps: plan.len(),
                results: results.len(),
            });
        }
        Ok(Self::of_batch(plan, results))
    }

    /// The report of a batch of `plan`'s requests; a step without a result
    /// counts as [not sent](crate::ErrorKind::NotSent).
    pub(crate) fn of_batch(plan: Plan, results: Vec<Result<Reply, Error>>) -> Self {
        Self::of_steps(plan, results.into_iter().map(Some))
    }

    /// The report of `plan` with a result, or `None` for not sent, per
    /// step in order; missing results are not sent either.
    pub(crate) fn of_steps(
        plan: Plan,
        results: impl IntoIterator<Item = Option<Result<Reply, Error>>>,
    ) -> Self {
        let mut results = results.into_iter();
        let mut r = ReconcileReport::default();
        for p in plan.into_steps() {
            let res = results.next().flatten().unwrap_or_else(|| {
                Err(Error::new(p.request.operation(), crate::ErrorKind::NotSent))
            });
            match res {
                Ok(_) => {
                    *r.applied.entry(p.change).or_default() += 1;
                    r.done.push(p);
                }
                Err(e) => r.failures.push((p, e)),
            }
        }
        r
    }

    /// Requests that succeeded, all kinds together.
    pub fn changes(&self) -> usize {
        self.done.len()
    }

    /// How many requests of `change` succeeded.
    pub fn count(&self, change: Change) -> usize {
        self.applied.get(&change).copied().unwrap_or(0)
    }
}

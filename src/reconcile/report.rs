//! What a reconcile did.

use std::collections::HashMap;

use super::{Change, Plan, Planned, ReconcileError};
use crate::core::Reply;
use crate::error::Error;

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
        let mut results = results.into_iter();
        let mut r = ReconcileReport::default();
        for p in plan.into_steps() {
            let res = results.next().unwrap_or_else(|| {
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

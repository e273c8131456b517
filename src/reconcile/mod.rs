//! Desired-state reconcile: the fewest requests that turn the part of the
//! current table a [`Scope`] owns into the desired one, refused whole
//! (nothing sent) when a guard says no. Pure computation; handles read the
//! table, plan ([`Handle::reconcile_plan`](crate::Handle::reconcile_plan)
//! is the dry run) and apply the plan as a batch.

mod error;
mod options;
mod plan;
mod report;
mod scope;

pub use error::ReconcileError;
pub use options::ReconcileOptions;
pub(crate) use plan::{check_desired, plan_checked};
pub use plan::{plan, Change, Plan, Planned};
pub use report::ReconcileReport;
pub use scope::{Prefix, PrefixError, Scope};

#[cfg(test)]
mod tests;

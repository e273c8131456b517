//! How a reconcile may change the table.

use super::Scope;
use crate::drain::DrainOptions;

/// Options of a reconcile: what it owns and which changes it may make.
/// Made with [`ReconcileOptions::new`] and its builder methods; more
/// options may come, so the fields can be read but the struct cannot be
/// written as a literal.
///
/// ```
/// use std::time::Duration;
/// use ipvs_netlink::drain::DrainOptions;
/// use ipvs_netlink::{ReconcileOptions, Scope};
///
/// let options = ReconcileOptions::new(Scope::new().prefix("10.0.0.0/24".parse().unwrap()))
///     .max_deletes(10)
///     .drain(DrainOptions::new().deadline(Duration::from_secs(30)));
/// assert_eq!(options.max_deletes, Some(10));
/// assert!(!options.delete_all);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ReconcileOptions {
    /// The services the reconcile owns; no other is read into the plan,
    /// changed or deleted.
    pub scope: Scope,
    /// Drain destinations that are no longer desired, those of services no
    /// longer desired included, instead of deleting them at once: `reconcile`
    /// (and `apply_plan`) sends the other changes, then drains them all
    /// together as [`Handle::drain_many`](crate::Handle::drain_many) does
    /// (weight 0, one destination listing per service per poll, each
    /// deleted once its connections are gone or at the deadline), then
    /// deletes the services no longer desired. `None` (the default):
    /// delete at once.
    pub drain: Option<DrainOptions>,
    /// The most services and destinations (together) a plan may delete;
    /// a plan that deletes more is refused whole, nothing sent. `None`: no
    /// limit.
    pub max_deletes: Option<usize>,
    /// Whether an empty desired table may delete every service the scope
    /// owns. Off by default: an empty desired table is then refused
    /// ([`ReconcileError::EmptyDesired`](super::ReconcileError::EmptyDesired))
    /// while the scope owns a service, since it is more often a
    /// configuration that failed to load than a wish.
    pub delete_all: bool,
}

impl ReconcileOptions {
    /// Options for a reconcile owning `scope` ([`Scope::all`] for the whole
    /// table): delete at once, no deletion limit, an empty desired table
    /// refused.
    pub fn new(scope: Scope) -> Self {
        Self {
            scope,
            drain: None,
            max_deletes: None,
            delete_all: false,
        }
    }

    /// Sets the scope.
    pub fn scope(mut self, scope: Scope) -> Self {
        self.scope = scope;
        self
    }

    /// Drains destinations with `options` instead of deleting them at
    /// once (see the `drain` field).
    pub fn drain(mut self, options: DrainOptions) -> Self {
        self.drain = Some(options);
        self
    }

    /// Refuses plans that delete more than `max` services and
    /// destinations.
    pub fn max_deletes(mut self, max: usize) -> Self {
        self.max_deletes = Some(max);
        self
    }

    /// Lets an empty desired table delete every owned service.
    pub fn delete_all(mut self, allowed: bool) -> Self {
        self.delete_all = allowed;
        self
    }
}

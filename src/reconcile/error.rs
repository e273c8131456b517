//! Why a reconcile refused to plan: nothing was sent.

use std::net::SocketAddr;

use crate::model::ServiceKey;

/// Why a reconcile was refused before anything was sent, or why a report
/// cannot be made of a plan and results.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReconcileError {
    /// The desired table holds the same service twice.
    #[error("service {0} is in the desired table twice")]
    DuplicateService(ServiceKey),
    /// A desired service holds the same destination twice.
    #[error("destination {destination} is twice in desired service {service}")]
    DuplicateDestination {
        /// The service.
        service: ServiceKey,
        /// The destination's address.
        destination: SocketAddr,
    },
    /// A desired service is outside the reconcile's scope.
    #[error("desired service {0} is outside the reconcile's scope")]
    OutOfScope(ServiceKey),
    /// The desired table is empty while the scope owns services: deleting
    /// every owned service must be asked for
    /// ([`ReconcileOptions::delete_all()`](super::ReconcileOptions::delete_all())).
    #[error(
        "the desired table is empty: it would delete all {owned} services the scope owns \
         (ask for that with delete_all)"
    )]
    EmptyDesired {
        /// How many services the scope owns now.
        owned: usize,
    },
    /// The plan deletes more services and destinations than
    /// [`ReconcileOptions::max_deletes()`](super::ReconcileOptions::max_deletes())
    /// allows.
    #[error("the plan deletes {planned} services and destinations, more than the {max} allowed")]
    TooManyDeletions {
        /// Deletions in the plan.
        planned: usize,
        /// The maximum allowed.
        max: usize,
    },
    /// A report was asked of a plan and a different number of results.
    #[error("a plan of {steps} steps has {results} results")]
    ResultCount {
        /// Steps in the plan.
        steps: usize,
        /// Results given.
        results: usize,
    },
}

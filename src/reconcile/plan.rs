//! The plan: the fewest requests that turn the owned part of the current
//! table into the desired one.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::net::SocketAddr;

use super::{ReconcileError, ReconcileOptions, Scope};
use crate::drain::{DrainOptions, DrainTarget};
use crate::model::{
    Destination, DestinationEntry, Service, ServiceEntry, ServiceKey, ServiceUpdate,
};
use crate::proto::Request;

/// What a planned request does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
pub enum Change {
    /// A missing service is added.
    AddService,
    /// A service's configuration differs.
    UpdateService,
    /// A service is not desired.
    DeleteService,
    /// A missing destination is added.
    AddDestination,
    /// A destination's configuration differs.
    UpdateDestination,
    /// An undesired destination is drained, then deleted: its weight is
    /// set to 0, and it is deleted once its connections are gone or at the
    /// drain's deadline ([`ReconcileOptions::drain`]). Its request is the
    /// deletion; only [`Handle::apply_plan`](crate::Handle::apply_plan) (and
    /// `reconcile`) drains first.
    DrainDestination,
    /// An undesired destination is deleted.
    DeleteDestination,
}

impl Change {
    /// Whether it deletes something (a service or a destination, drained
    /// first or not).
    pub fn is_deletion(self) -> bool {
        matches!(
            self,
            Change::DeleteService | Change::DeleteDestination | Change::DrainDestination
        )
    }
}

impl fmt::Display for Change {
    /// `add service`, `drain destination`, ...
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Change::AddService => "add service",
            Change::UpdateService => "update service",
            Change::DeleteService => "delete service",
            Change::AddDestination => "add destination",
            Change::UpdateDestination => "update destination",
            Change::DrainDestination => "drain destination",
            Change::DeleteDestination => "delete destination",
        })
    }
}

/// One request of a plan, with what it does and to what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    /// What it does.
    pub change: Change,
    /// The service it acts on.
    pub service: ServiceKey,
    /// The destination it acts on, for destination changes.
    pub destination: Option<SocketAddr>,
    /// The request.
    pub request: Request,
}

impl fmt::Display for Planned {
    /// `add service tcp:10.0.0.1:80`, `delete destination 10.0.1.1:80 of
    /// tcp:10.0.0.1:80`, ...
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.destination, self.change) {
            (None, c) => write!(f, "{c} {}", self.service),
            (Some(d), Change::AddDestination) => {
                write!(f, "add destination {d} to {}", self.service)
            }
            (Some(d), c) => write!(f, "{c} {d} of {}", self.service),
        }
    }
}

/// The requests of a reconcile, in the order they are sent: service
/// changes, then destination changes, then the drains (with
/// [`ReconcileOptions::drain`]), then deletion of services no longer
/// desired.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    steps: Vec<Planned>,
    drain: Option<DrainOptions>,
}

impl Plan {
    /// The steps, in order.
    pub fn steps(&self) -> &[Planned] {
        &self.steps
    }

    /// Takes the steps.
    pub fn into_steps(self) -> Vec<Planned> {
        self.steps
    }

    /// Whether nothing needs to change.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// How many steps.
    pub fn len(&self) -> usize {
        self.steps.len()
    }

    /// How many steps make `change`.
    pub fn count(&self, change: Change) -> usize {
        self.steps.iter().filter(|p| p.change == change).count()
    }

    /// How many steps delete a service or a destination.
    pub fn deletions(&self) -> usize {
        self.steps.iter().filter(|p| p.change.is_deletion()).count()
    }

    /// The requests, in order (to send with
    /// [`Handle::batch`](crate::Handle::batch) and report on with
    /// [`ReconcileReport::from_results`](super::ReconcileReport::from_results)).
    /// A [drain step](Change::DrainDestination)'s request deletes at once:
    /// only [`Handle::apply_plan`](crate::Handle::apply_plan) drains.
    pub fn requests(&self) -> Vec<Request> {
        self.steps.iter().map(|p| p.request.clone()).collect()
    }

    /// How the plan's [drain steps](Change::DrainDestination) drain: the
    /// reconcile's [`ReconcileOptions::drain`].
    pub fn drain_options(&self) -> Option<DrainOptions> {
        self.drain
    }

    /// The destinations to drain, in plan order.
    pub fn drain_targets(&self) -> Vec<DrainTarget> {
        self.steps
            .iter()
            .filter(|p| p.change == Change::DrainDestination)
            .filter_map(|p| p.destination.map(|d| DrainTarget::new(p.service, d)))
            .collect()
    }

    /// The steps' indices by when they are sent: a plan without drain
    /// options sends every step at once; one with them sends first all
    /// but the drains and the service deletions, then drains, then
    /// deletes the services.
    pub(crate) fn stages(&self) -> Stages {
        let mut stages = Stages::default();
        for (i, p) in self.steps.iter().enumerate() {
            let stage = match (self.drain, p.change) {
                (Some(_), Change::DrainDestination) => &mut stages.drains,
                (Some(_), Change::DeleteService) => &mut stages.after,
                _ => &mut stages.before,
            };
            stage.push(i);
        }
        stages
    }
}

/// A plan's steps by when they are sent ([`Plan::stages`]): indices into
/// [`Plan::steps`].
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Stages {
    /// Sent first, as one batch.
    pub(crate) before: Vec<usize>,
    /// Drained together once `before` is answered.
    pub(crate) drains: Vec<usize>,
    /// Sent as one batch once the drains ended.
    pub(crate) after: Vec<usize>,
}

/// Checks a desired table before anything is read or sent: no service
/// twice, no destination twice in a service, every service inside `scope`.
pub(crate) fn check_desired(
    desired: &[(Service, Vec<Destination>)],
    scope: &Scope,
) -> Result<(), ReconcileError> {
    let mut keys = HashSet::with_capacity(desired.len());
    let mut addrs = HashSet::new();
    for (svc, dests) in desired {
        if !keys.insert(svc.key) {
            return Err(ReconcileError::DuplicateService(svc.key));
        }
        if !scope.contains(&svc.key) {
            return Err(ReconcileError::OutOfScope(svc.key));
        }
        addrs.clear();
        for d in dests {
            if !addrs.insert(d.addr) {
                return Err(ReconcileError::DuplicateDestination {
                    service: svc.key,
                    destination: d.addr,
                });
            }
        }
    }
    Ok(())
}

/// The plan that makes the part of `current` that `options.scope` owns
/// into `desired`; services outside the scope are left out of it. Refused,
/// with nothing planned, when the desired table holds a service or a
/// destination twice or a service outside the scope, when it is empty
/// while the scope owns services (unless `options.delete_all`), or when
/// the plan deletes more than `options.max_deletes`.
pub fn plan(
    current: &[(ServiceEntry, Vec<DestinationEntry>)],
    desired: &[(Service, Vec<Destination>)],
    options: &ReconcileOptions,
) -> Result<Plan, ReconcileError> {
    check_desired(desired, &options.scope)?;
    plan_checked(current, desired, options)
}

/// [`plan`] of a desired table [`check_desired`] accepted.
pub(crate) fn plan_checked(
    current: &[(ServiceEntry, Vec<DestinationEntry>)],
    desired: &[(Service, Vec<Destination>)],
    options: &ReconcileOptions,
) -> Result<Plan, ReconcileError> {
    let now: HashMap<ServiceKey, &(ServiceEntry, Vec<DestinationEntry>)> = current
        .iter()
        .filter(|e| options.scope.contains(&e.0.service.key))
        .map(|e| (e.0.service.key, e))
        .collect();
    if desired.is_empty() && !now.is_empty() && !options.delete_all {
        return Err(ReconcileError::EmptyDesired { owned: now.len() });
    }
    let mut services = Vec::new();
    let mut dests = Vec::new();
    // With a drain, an undesired destination is drained, then deleted.
    let delete_change = match options.drain {
        Some(_) => Change::DrainDestination,
        None => Change::DeleteDestination,
    };

    let push = |v: &mut Vec<Planned>, change, service, destination, request| {
        v.push(Planned {
            change,
            service,
            destination,
            request,
        })
    };
    for (svc, want) in desired {
        let key = svc.key;
        match now.get(&key) {
            None => {
                push(
                    &mut services,
                    Change::AddService,
                    key,
                    None,
                    Request::AddService(svc.clone()),
                );
                for d in want {
                    push(
                        &mut dests,
                        Change::AddDestination,
                        key,
                        Some(d.addr),
                        Request::AddDestination(key, d.clone()),
                    );
                }
            }
            Some((cur, have)) => {
                if cur.service != *svc {
                    push(
                        &mut services,
                        Change::UpdateService,
                        key,
                        None,
                        Request::UpdateService(ServiceUpdate::replace(svc)),
                    );
                }
                let have: HashMap<SocketAddr, &DestinationEntry> =
                    have.iter().map(|e| (e.dest.addr, e)).collect();
                for d in want {
                    let change = match have.get(&d.addr) {
                        None => Change::AddDestination,
                        Some(h) if h.dest != *d => Change::UpdateDestination,
                        Some(_) => continue,
                    };
                    let request = match change {
                        Change::AddDestination => Request::AddDestination(key, d.clone()),
                        _ => Request::UpdateDestination(key, d.clone()),
                    };
                    push(&mut dests, change, key, Some(d.addr), request);
                }
                let keep: HashSet<SocketAddr> = want.iter().map(|d| d.addr).collect();
                let mut stale: Vec<&&DestinationEntry> = have
                    .values()
                    .filter(|h| !keep.contains(&h.dest.addr))
                    .collect();
                stale.sort_by_key(|h| h.dest.addr);
                for h in stale {
                    let addr = h.dest.addr;
                    let request = Request::DeleteDestination(key, addr);
                    push(&mut dests, delete_change, key, Some(addr), request);
                }
            }
        }
    }
    let wanted: HashSet<ServiceKey> = desired.iter().map(|(s, _)| s.key).collect();
    let mut gone: Vec<ServiceKey> = now
        .keys()
        .filter(|k| !wanted.contains(k))
        .copied()
        .collect();
    gone.sort();
    services.extend(dests);
    if options.drain.is_some() {
        // Their connections end before the service goes.
        for key in &gone {
            let mut addrs: Vec<SocketAddr> = now[key].1.iter().map(|e| e.dest.addr).collect();
            addrs.sort();
            for addr in addrs {
                let request = Request::DeleteDestination(*key, addr);
                push(
                    &mut services,
                    Change::DrainDestination,
                    *key,
                    Some(addr),
                    request,
                );
            }
        }
    }
    for key in gone {
        push(
            &mut services,
            Change::DeleteService,
            key,
            None,
            Request::DeleteService(key),
        );
    }
    let plan = Plan {
        steps: services,
        drain: options.drain,
    };
    match options.max_deletes {
        Some(max) if plan.deletions() > max => Err(ReconcileError::TooManyDeletions {
            planned: plan.deletions(),
            max,
        }),
        _ => Ok(plan),
    }
}

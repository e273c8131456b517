//! Desired-state reconcile: the fewest requests that turn the current table
//! into the desired one. Pure computation; handles apply the plan as a batch.

use std::collections::HashMap;
use std::net::SocketAddr;

use crate::core::{Reply, Request};
use crate::error::Error;
use crate::model::{
    Destination, DestinationEntry, Service, ServiceEntry, ServiceKey, ServiceUpdate,
};

/// Options of a reconcile.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReconcileOptions {
    /// Drain destinations that are no longer desired instead of deleting them
    /// at once: one with a weight above 0 is set to weight 0; one already at
    /// weight 0 with no active or inactive connection is deleted.
    pub drain: bool,
}

/// What a planned request does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
    /// An undesired destination's weight is set to 0.
    DrainDestination,
    /// An undesired destination is deleted.
    DeleteDestination,
}

/// One request of a plan, with what it does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    /// What it does.
    pub change: Change,
    /// The request.
    pub request: Request,
}

/// The requests that make `current` into `desired`: service changes first,
/// then destination changes, then deletion of services no longer desired.
pub fn plan(
    current: &[(ServiceEntry, Vec<DestinationEntry>)],
    desired: &[(Service, Vec<Destination>)],
    options: ReconcileOptions,
) -> Vec<Planned> {
    let now: HashMap<ServiceKey, &(ServiceEntry, Vec<DestinationEntry>)> =
        current.iter().map(|e| (e.0.service.key, e)).collect();
    let mut services = Vec::new();
    let mut dests = Vec::new();
    let mut wanted = std::collections::HashSet::with_capacity(desired.len());
    let push = |v: &mut Vec<Planned>, change, request| v.push(Planned { change, request });
    for (svc, want) in desired {
        wanted.insert(svc.key);
        let key = svc.key;
        match now.get(&key) {
            None => {
                push(
                    &mut services,
                    Change::AddService,
                    Request::AddService(svc.clone()),
                );
                for d in want {
                    push(
                        &mut dests,
                        Change::AddDestination,
                        Request::AddDestination(key, d.clone()),
                    );
                }
            }
            Some((cur, have)) => {
                if cur.service != *svc {
                    push(
                        &mut services,
                        Change::UpdateService,
                        Request::UpdateService(ServiceUpdate::replace(svc)),
                    );
                }
                let have: HashMap<SocketAddr, &DestinationEntry> =
                    have.iter().map(|e| (e.dest.addr, e)).collect();
                for d in want {
                    match have.get(&d.addr) {
                        None => push(
                            &mut dests,
                            Change::AddDestination,
                            Request::AddDestination(key, d.clone()),
                        ),
                        Some(h) if h.dest != *d => push(
                            &mut dests,
                            Change::UpdateDestination,
                            Request::UpdateDestination(key, d.clone()),
                        ),
                        Some(_) => {}
                    }
                }
                let keep: std::collections::HashSet<SocketAddr> =
                    want.iter().map(|d| d.addr).collect();
                let mut stale: Vec<&&DestinationEntry> = have
                    .values()
                    .filter(|h| !keep.contains(&h.dest.addr))
                    .collect();
                stale.sort_by_key(|h| h.dest.addr);
                for h in stale {
                    if !options.drain {
                        push(
                            &mut dests,
                            Change::DeleteDestination,
                            Request::DeleteDestination(key, h.dest.addr),
                        );
                    } else if h.dest.weight > 0 {
                        let drained = Destination {
                            weight: 0,
                            ..h.dest.clone()
                        };
                        push(
                            &mut dests,
                            Change::DrainDestination,
                            Request::UpdateDestination(key, drained),
                        );
                    } else if h.active_conns == 0 && h.inactive_conns == 0 {
                        push(
                            &mut dests,
                            Change::DeleteDestination,
                            Request::DeleteDestination(key, h.dest.addr),
                        );
                    }
                }
            }
        }
    }
    let mut gone: Vec<ServiceKey> = now
        .keys()
        .filter(|k| !wanted.contains(k))
        .copied()
        .collect();
    gone.sort();
    services.extend(dests);
    for key in gone {
        push(
            &mut services,
            Change::DeleteService,
            Request::DeleteService(key),
        );
    }
    services
}

/// What a reconcile did.
#[derive(Debug, Default)]
pub struct ReconcileReport {
    /// How many requests of each kind succeeded.
    pub applied: HashMap<Change, usize>,
    /// The requests that failed.
    pub failures: Vec<(Planned, Error)>,
}

impl ReconcileReport {
    pub(crate) fn new(plan: Vec<Planned>, results: Vec<Result<Reply, Error>>) -> Self {
        let mut r = ReconcileReport::default();
        for (p, res) in plan.into_iter().zip(results) {
            match res {
                Ok(_) => *r.applied.entry(p.change).or_default() += 1,
                Err(e) => r.failures.push((p, e)),
            }
        }
        r
    }

    /// Requests that succeeded, all kinds together.
    pub fn changes(&self) -> usize {
        self.applied.values().sum()
    }

    /// How many requests of `change` succeeded.
    pub fn count(&self, change: Change) -> usize {
        self.applied.get(&change).copied().unwrap_or(0)
    }
}

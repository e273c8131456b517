//! Comparing listings, for the consistent listing that re-dumps until one
//! can be trusted (IPVS dumps never flag a table that changed mid-dump).
//!
//! The kernel pages service dumps by position in its table of every
//! namespace's services, so a change anywhere between two pages of a dump
//! can make it skip a service or repeat one (repeats are removed as the dump
//! is read). A skip only ever removes services: a listing that holds every
//! service of the listing before it, unchanged, skipped none of those.

use std::collections::HashMap;

use crate::model::{ServiceEntry, ServiceKey};

/// Whether `newer` holds every service of `older` with the same
/// configuration (counters are ignored: they change all the time). Services
/// only in `newer` were added, or skipped by `older`.
pub fn holds_all(newer: &[ServiceEntry], older: &[ServiceEntry]) -> bool {
    // Two dumps of an unchanged table come in the same order: compared in
    // step, no lookup is needed.
    if newer.len() == older.len() && newer.iter().zip(older).all(|(n, o)| n.service == o.service) {
        return true;
    }
    let newer: HashMap<&ServiceKey, &ServiceEntry> =
        newer.iter().map(|e| (&e.service.key, e)).collect();
    older.iter().all(|o| {
        newer
            .get(&o.service.key)
            .is_some_and(|n| n.service == o.service)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Scheduler, Service, Stats};

    fn svc(port: u16) -> ServiceEntry {
        ServiceEntry::new(Service::new(
            ServiceKey::tcp(std::net::SocketAddr::from(([10, 0, 0, 1], port))),
            Scheduler::RoundRobin,
        ))
    }

    #[test]
    fn a_listing_is_trusted_when_it_holds_every_service_of_the_one_before() {
        let all = [svc(1), svc(2), svc(3)];
        let reordered = [svc(2), svc(1)];
        assert!(holds_all(&all[..2], &reordered));
        // Added, or skipped before.
        assert!(holds_all(&all, &all[..1]));
        // Skipped now, or deleted.
        assert!(!holds_all(&all[..1], &all[..2]));
        // Changed.
        let changed = [svc(1), ServiceEntry::new(svc(2).service.persistent(60))];
        assert!(!holds_all(&changed, &all[..2]));
        let a = svc(1);
        // Counters do not count.
        let mut counted = a.clone();
        counted.stats = Some(Stats {
            conns: 5,
            ..Default::default()
        });
        assert!(holds_all(&[counted], &[a]));
        assert!(holds_all(&[], &[]));
    }
}

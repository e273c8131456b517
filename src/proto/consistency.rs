//! Comparing listings, for the consistent listing that re-dumps until one
//! can be trusted (IPVS dumps never flag a table that changed mid-dump).
//!
//! The kernel pages service dumps by position in its table of every
//! namespace's services, so a change anywhere between two pages of a dump
//! can make it skip a service or repeat one (repeats are removed as the dump
//! is read). Two dumps that hold the same services are not enough: both
//! can have skipped the same service, when the same changes fell where both
//! ended a page. The consistent listing groups its dumps by
//! [`same_services`] and trusts a group only when the places where their
//! pages ended prove that none skipped a service (see
//! [`AsyncHandle::list_services_consistent`](crate::handle::AsyncHandle::list_services_consistent)).

use std::collections::HashMap;

use crate::model::{ServiceEntry, ServiceKey};

/// Whether `a` and `b` hold the same services in the same order, each
/// with the same configuration (counters are ignored).
pub fn same_in_order(a: &[ServiceEntry], b: &[ServiceEntry]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.service == y.service)
}

/// Whether `a` and `b` hold the same services, each with the same
/// configuration, in any order (counters are ignored: they change all the
/// time). Both are listings without repeats.
pub fn same_services(a: &[ServiceEntry], b: &[ServiceEntry]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    // Two dumps of an unchanged table come in the same order: compared in
    // step, no lookup is needed.
    if same_in_order(a, b) {
        return true;
    }
    let a: HashMap<&ServiceKey, &ServiceEntry> = a.iter().map(|e| (&e.service.key, e)).collect();
    // As many services without repeats, each of `b` in `a`: the same.
    b.iter().all(|y| {
        a.get(&y.service.key)
            .is_some_and(|x| x.service == y.service)
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
    fn listings_of_the_same_services_in_any_order_are_the_same() {
        let all = [svc(1), svc(2), svc(3)];
        let reordered = [svc(2), svc(1)];
        assert!(same_services(&all[..2], &reordered));
        // One holds a service the other does not.
        assert!(!same_services(&all, &all[..1]));
        // Skipped now, or deleted.
        assert!(!same_services(&all[..1], &all[..2]));
        // As many, not the same.
        assert!(!same_services(&all[1..], &all[..2]));
        // Changed.
        let changed = [svc(1), ServiceEntry::new(svc(2).service.persistent(60))];
        assert!(!same_services(&changed, &all[..2]));
        let a = svc(1);
        // Counters do not count.
        let mut counted = a.clone();
        counted.stats = Some(Stats {
            conns: 5,
            ..Default::default()
        });
        assert!(same_services(&[counted], &[a]));
        assert!(same_services(&[], &[]));
    }
}

//! Pipelined batches, large tables and reconcile.

use std::net::{IpAddr, SocketAddr};

use ipvs_netlink::*;

fn svc(i: u32) -> Service {
    let [_, a, b, c] = (0x0a00_0000u32 + i + 1).to_be_bytes();
    Service::new(
        ServiceKey::tcp(SocketAddr::new(IpAddr::from([10, a, b, c]), 80)),
        Scheduler::RoundRobin,
    )
}

fn dst(i: u32, j: u32) -> Destination {
    let [_, a, b, c] = (0x0b00_0000u32 + i * 16 + j).to_be_bytes();
    Destination::new(SocketAddr::new(IpAddr::from([11, a, b, c]), 8080)).weight(j + 1)
}

fn table(services: u32, dests: u32) -> Vec<(Service, Vec<Destination>)> {
    (0..services)
        .map(|i| (svc(i), (0..dests).map(|j| dst(i, j)).collect()))
        .collect()
}

fn requests(t: &[(Service, Vec<Destination>)]) -> Vec<Request> {
    let mut v = Vec::new();
    for (s, ds) in t {
        v.push(Request::AddService(s.clone()));
        for d in ds {
            v.push(Request::AddDestination(s.key, d.clone()));
        }
    }
    v
}

crate::kernel_tests! {
    fn failures_in_the_middle_of_a_batch() {
        let mut h = Handle::new().unwrap();
        let missing = svc(99).key;
        let reqs = vec![
            Request::AddService(svc(0)),
            Request::AddService(svc(0)),
            Request::AddService(svc(1)),
            Request::AddDestination(missing, dst(0, 0)),
            Request::AddDestination(svc(1).key, dst(1, 0).weight(u32::MAX)),
            Request::AddService(svc(2)),
            Request::DeleteService(missing),
            Request::AddDestination(svc(2).key, dst(2, 0)),
        ];
        let r = h.batch(reqs.clone(), OnError::Continue);
        assert_eq!(r.len(), 8);
        assert!(r[0].is_ok());
        assert!(matches!(r[1].as_ref().unwrap_err().kind(), ErrorKind::ServiceExists(_)));
        assert!(r[2].is_ok());
        let e = r[3].as_ref().unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::ServiceNotFound(_)), "{e}");
        assert_eq!(e.operation(), &Operation::AddDestination(missing, dst(0, 0).addr));
        assert!(matches!(r[4].as_ref().unwrap_err().kind(), ErrorKind::Build(BuildError::Weight(_))));
        assert!(r[5].is_ok());
        assert!(matches!(r[6].as_ref().unwrap_err().kind(), ErrorKind::ServiceNotFound(_)));
        assert!(r[7].is_ok());
        assert_eq!(h.list_services().unwrap().len(), 3);
        assert_eq!(h.list_destinations(&svc(2).key).unwrap().len(), 1);

        // Stop at the first failure, one request per datagram: nothing after it is sent.
        h.flush().unwrap();
        h.set_batch_limits(BatchLimits { max_messages: 1, max_bytes: 1 << 16 }).unwrap();
        let r = h.batch(reqs, OnError::Stop);
        assert!(r[0].is_ok());
        assert!(matches!(r[1].as_ref().unwrap_err().kind(), ErrorKind::ServiceExists(_)));
        for later in &r[2..] {
            assert!(matches!(later.as_ref().unwrap_err().kind(), ErrorKind::NotSent));
        }
        assert_eq!(h.list_services().unwrap().len(), 1);
    }

    fn ten_thousand_services_with_ten_destinations_each_list_without_loss() {
        let mut h = Handle::new().unwrap();
        let t = table(10_000, 10);
        let results = h.batch(requests(&t), OnError::Continue);
        assert_eq!(results.len(), 110_000);
        let failed: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).take(3).collect();
        assert!(failed.is_empty(), "{failed:?}");
        // Other tests change the kernel's service table (shared by all
        // namespaces) meanwhile, which can make a plain dump skip an entry;
        // the consistent listing must not.
        let consistent = h.list_services_consistent(crate::common::SHARED_TABLE_ATTEMPTS).unwrap();
        assert_eq!(consistent.len(), 10_000);
        let listed = h.list_table_consistent(crate::common::SHARED_TABLE_ATTEMPTS).unwrap();
        assert_eq!(listed.len(), 10_000);
        for (s, ds) in &listed {
            assert_eq!(ds.len(), 10, "{}", s.service.key);
        }
        let total: usize = listed.iter().map(|(_, d)| d.len()).sum();
        assert_eq!(total, 100_000);
        // Dumps may repeat entries when other namespaces change the shared
        // table meanwhile (other tests do): repeats are removed, never listed.
        let mut keys: Vec<_> = listed.iter().map(|(s, _)| s.service.key).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), 10_000, "no service listed twice");
        // One service dump: whatever it lists is whole and listed once, but
        // it may have skipped a service while other tests changed the table.
        let plain = h.list_table().unwrap();
        assert!(!plain.is_empty() && plain.len() <= 10_000, "{}", plain.len());
        let mut plain_keys: Vec<_> = plain.iter().map(|(s, _)| s.service.key).collect();
        plain_keys.sort();
        plain_keys.dedup();
        assert_eq!(plain_keys.len(), plain.len(), "no service listed twice");
        assert!(plain_keys.iter().all(|k| keys.binary_search(k).is_ok()));
        assert!(plain.iter().all(|(_, ds)| ds.len() == 10));
    }

    fn reconcile_applies_the_difference_and_is_idempotent() {
        let mut h = Handle::new().unwrap();
        let mut want = table(100, 4);
        let report = h.reconcile(&want, &ReconcileOptions::new(Scope::all())).unwrap();
        assert!(report.failures.is_empty(), "{:?}", report.failures);
        assert_eq!(report.count(Change::AddService), 100);
        assert_eq!(report.count(Change::AddDestination), 400);
        let again = h.reconcile(&want, &ReconcileOptions::new(Scope::all())).unwrap();
        assert_eq!(again.changes(), 0, "second run issues no operations");
        assert!(again.failures.is_empty());

        // Change 1%: one service's scheduler, one weight, one destination gone,
        // one service gone, one new.
        want[0].0.scheduler = Scheduler::WeightedLeastConnection;
        want[1].1[0].weight = 50;
        let gone = want[2].1.pop().unwrap();
        want.remove(3);
        want.push((svc(500), vec![dst(500, 0)]));
        let report = h.reconcile(&want, &ReconcileOptions::new(Scope::all())).unwrap();
        assert!(report.failures.is_empty());
        assert_eq!(report.count(Change::UpdateService), 1);
        assert_eq!(report.count(Change::UpdateDestination), 1);
        assert_eq!(report.count(Change::DeleteDestination), 1);
        assert_eq!(report.count(Change::DeleteService), 1);
        assert_eq!(report.count(Change::AddService), 1);
        assert_eq!(report.count(Change::AddDestination), 1);
        assert_eq!(report.changes(), 6);
        assert!(h.list_destinations(&want[2].0.key).unwrap().iter().all(|d| d.dest.addr != gone.addr));
        assert_eq!(h.reconcile(&want, &ReconcileOptions::new(Scope::all())).unwrap().changes(), 0);

        // Drain: a removed destination, idle, is drained and deleted in the
        // same reconcile, and so is the one of a service no longer desired.
        let drained = want[5].1.pop().unwrap();
        let gone_service = want.remove(6);
        let options = ReconcileOptions::new(Scope::all())
            .drain(DrainOptions::new().poll_interval(std::time::Duration::from_millis(50)));
        let r = h.reconcile(&want, &options).unwrap();
        assert!(r.failures.is_empty(), "{:?}", r.failures);
        assert_eq!(r.count(Change::DrainDestination), 1 + gone_service.1.len());
        assert_eq!(r.count(Change::DeleteService), 1);
        assert_eq!(r.drains.len(), 1 + gone_service.1.len());
        assert!(r.drains.iter().all(|d| d.outcome == DrainOutcome::Drained), "{:?}", r.drains);
        let d = h.list_destinations(&want[5].0.key).unwrap();
        assert!(d.iter().all(|d| d.dest.addr != drained.addr));
        assert!(h.get_service(&gone_service.0.key).is_err());
        assert_eq!(h.reconcile(&want, &options).unwrap().changes(), 0);
    }
}

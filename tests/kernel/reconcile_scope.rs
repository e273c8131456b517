//! Reconcile inside a scope, against tables that the real `ipvsadm` made:
//! what the scope does not own survives, and each guard refuses the whole
//! plan with nothing sent.

use std::collections::BTreeSet;

use ipvs_netlink::*;

use crate::common::sh;

fn key(s: &str) -> ServiceKey {
    s.parse().unwrap()
}

fn svc(k: &str, dests: &[&str]) -> (Service, Vec<Destination>) {
    (
        Service::new(key(k), Scheduler::RoundRobin),
        dests
            .iter()
            .map(|d| Destination::new(d.parse().unwrap()))
            .collect(),
    )
}

/// The table as `ipvsadm -Sn` saves it, as a set of lines (its order is
/// the kernel's hash order): what "nothing was sent" compares.
fn saved() -> BTreeSet<String> {
    lines(&sh("ipvsadm -Sn"))
}

fn lines(text: &str) -> BTreeSet<String> {
    text.lines().map(str::to_owned).collect()
}

fn ten_net() -> Scope {
    Scope::new().prefix("10.0.0.0/24".parse().unwrap())
}

/// The reason a refused reconcile gives.
fn refusal<T>(r: Result<T>) -> ReconcileError {
    match r {
        Err(e) => match e.kind() {
            ErrorKind::Reconcile(why) => {
                assert_eq!(e.operation(), &Operation::Reconcile);
                assert!(
                    e.to_string()
                        .starts_with("reconcile: refused, nothing sent: "),
                    "{e}"
                );
                why.clone()
            }
            other => panic!("not a refusal: {other}"),
        },
        Ok(_) => panic!("not refused"),
    }
}

crate::kernel_tests! {
    fn services_outside_the_scope_survive_deleting_everything_inside() {
        sh("ipvsadm -A -t 192.0.2.1:80 -s wlc -p 60 && ipvsadm -a -t 192.0.2.1:80 -r 192.0.2.10:80 -g -w 5 \
            && ipvsadm -A -t 10.0.1.1:80 -s rr && ipvsadm -A -f 7 -s rr \
            && ipvsadm -A -t 10.0.0.1:80 -s rr && ipvsadm -a -t 10.0.0.1:80 -r 10.0.9.1:80 -m \
            && ipvsadm -A -u 10.0.0.2:53 -s rr && ipvsadm -A -f 100 -s rr");
        let outside = lines("-A -t 10.0.1.1:80 -s rr\n\
                             -A -t 192.0.2.1:80 -s wlc -p 60\n\
                             -a -t 192.0.2.1:80 -r 192.0.2.10:80 -g -w 5\n\
                             -A -f 7 -s rr\n");
        let mut h = Handle::new().unwrap();
        let options = ReconcileOptions::new(ten_net().fwmarks(100..=199)).delete_all(true);
        let report = h.reconcile(&[], &options).unwrap();
        assert!(report.failures.is_empty(), "{:?}", report.failures);
        assert_eq!(report.count(Change::DeleteService), 3);
        assert_eq!(report.changes(), 3, "nothing else is touched: {:?}", report.done);
        assert_eq!(saved(), outside);

        // A desired table inside the scope is made; the rest stays again.
        let desired = vec![svc("tcp:10.0.0.5:443", &["10.0.9.5:443"])];
        assert_eq!(h.reconcile(&desired, &options).unwrap().changes(), 2);
        let mut want = outside.clone();
        want.insert("-A -t 10.0.0.5:443 -s rr".into());
        want.insert("-a -t 10.0.0.5:443 -r 10.0.9.5:443 -m -w 1".into());
        assert_eq!(saved(), want);
        assert_eq!(h.reconcile(&desired, &options).unwrap().changes(), 0);
    }

    fn a_desired_service_outside_the_scope_or_twice_is_refused_with_nothing_sent() {
        sh("ipvsadm -A -t 10.0.0.1:80 -s rr && ipvsadm -a -t 10.0.0.1:80 -r 10.0.9.1:80 -m");
        let before = saved();
        let mut h = Handle::new().unwrap();
        let options = ReconcileOptions::new(ten_net());
        // The first service would be a change, the second is not ours.
        let desired = vec![svc("tcp:10.0.0.1:80", &[]), svc("tcp:192.0.2.1:80", &[])];
        assert_eq!(refusal(h.reconcile(&desired, &options)), ReconcileError::OutOfScope(key("tcp:192.0.2.1:80")));
        assert_eq!(refusal(h.reconcile_plan(&desired, &options)), ReconcileError::OutOfScope(key("tcp:192.0.2.1:80")));
        assert_eq!(saved(), before);
        // The same service twice, the same destination twice (issue 17).
        let twice = vec![svc("tcp:10.0.0.2:80", &[]), svc("tcp:10.0.0.2:80", &["10.0.9.2:80"])];
        assert_eq!(refusal(h.reconcile(&twice, &options)), ReconcileError::DuplicateService(key("tcp:10.0.0.2:80")));
        let dest_twice = vec![svc("tcp:10.0.0.1:80", &["10.0.9.1:80", "10.0.9.3:80", "10.0.9.1:80"])];
        let e = refusal(h.reconcile(&dest_twice, &options));
        assert_eq!(e, ReconcileError::DuplicateDestination { service: key("tcp:10.0.0.1:80"), destination: "10.0.9.1:80".parse().unwrap() });
        assert_eq!(saved(), before);
    }

    fn max_deletes_refuses_a_larger_plan_with_nothing_sent() {
        sh("ipvsadm -A -t 10.0.0.1:80 -s rr && ipvsadm -a -t 10.0.0.1:80 -r 10.0.9.1:80 -m \
            && ipvsadm -a -t 10.0.0.1:80 -r 10.0.9.2:80 -m && ipvsadm -A -t 10.0.0.2:80 -s rr");
        let before = saved();
        let mut h = Handle::new().unwrap();
        // Keep one service with one destination, add one: 2 deletions.
        let desired = vec![svc("tcp:10.0.0.1:80", &["10.0.9.1:80"]), svc("tcp:10.0.0.3:80", &[])];
        let options = ReconcileOptions::new(ten_net());
        let e = refusal(h.reconcile(&desired, &options.clone().max_deletes(1)));
        assert_eq!(e, ReconcileError::TooManyDeletions { planned: 2, max: 1 });
        assert_eq!(saved(), before, "not even the add was sent");
        let report = h.reconcile(&desired, &options.max_deletes(2)).unwrap();
        assert_eq!((report.changes(), report.count(Change::DeleteService), report.count(Change::DeleteDestination)), (3, 1, 1));
    }

    fn an_empty_desired_table_changes_nothing_unless_asked() {
        sh("ipvsadm -A -t 10.0.0.1:80 -s rr && ipvsadm -A -u 10.0.0.1:53 -s rr && ipvsadm -A -t 192.0.2.1:80 -s rr");
        let before = saved();
        let mut h = Handle::new().unwrap();
        let options = ReconcileOptions::new(ten_net());
        assert_eq!(refusal(h.reconcile(&[], &options)), ReconcileError::EmptyDesired { owned: 2 });
        assert_eq!(refusal(h.reconcile_plan(&[], &options)), ReconcileError::EmptyDesired { owned: 2 });
        assert_eq!(saved(), before);
        assert_eq!(h.reconcile(&[], &options.delete_all(true)).unwrap().changes(), 2);
        assert_eq!(saved(), lines("-A -t 192.0.2.1:80 -s rr\n"));
    }

    fn a_dry_run_sends_nothing_and_its_plan_is_what_apply_carries_out() {
        sh("ipvsadm -A -t 10.0.0.1:80 -s rr && ipvsadm -a -t 10.0.0.1:80 -r 10.0.9.1:80 -m -w 2 \
            && ipvsadm -a -t 10.0.0.1:80 -r 10.0.9.2:80 -m && ipvsadm -A -t 10.0.0.2:80 -s rr \
            && ipvsadm -A -t 192.0.2.1:80 -s rr");
        let before = saved();
        let mut h = Handle::new().unwrap();
        let desired = vec![svc("tcp:10.0.0.1:80", &["10.0.9.1:80", "10.0.9.3:80"]), svc("tcp:10.0.0.4:80", &["10.0.9.4:80"])];
        let options = ReconcileOptions::new(ten_net());
        let plan = h.reconcile_plan(&desired, &options).unwrap();
        assert_eq!(saved(), before, "a dry run sends nothing");
        let shown: Vec<String> = plan.steps().iter().map(|s| s.to_string()).collect();
        assert_eq!(shown, [
            "add service tcp:10.0.0.4:80",
            "update destination 10.0.9.1:80 of tcp:10.0.0.1:80",
            "add destination 10.0.9.3:80 to tcp:10.0.0.1:80",
            "delete destination 10.0.9.2:80 of tcp:10.0.0.1:80",
            "add destination 10.0.9.4:80 to tcp:10.0.0.4:80",
            "delete service tcp:10.0.0.2:80",
        ]);
        assert_eq!(h.reconcile_plan(&desired, &options).unwrap(), plan, "planning twice gives the same plan");
        let report = h.apply_plan(plan.clone());
        assert!(report.failures.is_empty(), "{:?}", report.failures);
        assert_eq!(report.done, plan.steps());
        assert!(h.reconcile_plan(&desired, &options).unwrap().is_empty());
        // A plan the caller sends itself reports the same.
        sh("ipvsadm -e -t 10.0.0.1:80 -r 10.0.9.1:80 -m -w 5");
        let plan = h.reconcile_plan(&desired, &options).unwrap();
        let results = h.batch(plan.requests(), OnError::Stop);
        let report = ReconcileReport::from_results(plan, results).unwrap();
        assert_eq!(report.count(Change::UpdateDestination), 1);
        assert!(sh("ipvsadm -Sn").contains("-a -t 10.0.0.1:80 -r 10.0.9.1:80 -m -w 1"));
    }

    #[cfg(feature = "tokio")]
    fn the_tokio_handle_plans_and_refuses_alike() {
        sh("ipvsadm -A -t 10.0.0.1:80 -s rr && ipvsadm -A -t 192.0.2.1:80 -s rr");
        let before = saved();
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let mut h = handle::tokio::Handle::new().await.unwrap();
            let options = ReconcileOptions::new(ten_net());
            assert_eq!(refusal(h.reconcile(&[], &options).await), ReconcileError::EmptyDesired { owned: 1 });
            let desired = vec![svc("tcp:10.0.0.7:80", &[])];
            let plan = h.reconcile_plan(&desired, &options).await.unwrap();
            assert_eq!(saved(), before);
            assert_eq!(plan.count(Change::AddService), 1);
            assert_eq!(plan.count(Change::DeleteService), 1);
            assert_eq!(h.apply_plan(plan).await.done.len(), 2);
        });
        assert_eq!(saved(), lines("-A -t 192.0.2.1:80 -s rr\n-A -t 10.0.0.7:80 -s rr\n"));
    }
}

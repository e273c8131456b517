//! The plan on tables in memory: scope filtering, guards, duplicates, and
//! that applying a plan gives the desired table.

use std::net::SocketAddr;
use std::time::Duration;

use super::*;
use crate::drain::DrainOptions;
use crate::error::{Error, ErrorKind, Operation};
use crate::model::{Destination, DestinationEntry, Scheduler, Service, ServiceEntry, ServiceKey};
use crate::proto::{Reply, Request};

type Table = Vec<(ServiceEntry, Vec<DestinationEntry>)>;

fn key(s: &str) -> ServiceKey {
    s.parse().unwrap()
}

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn svc(k: &str, dests: &[(&str, u32)]) -> (Service, Vec<Destination>) {
    (
        Service::new(key(k), Scheduler::RoundRobin),
        dests
            .iter()
            .map(|(a, w)| Destination::new(addr(a)).weight(*w))
            .collect(),
    )
}

fn table(desired: &[(Service, Vec<Destination>)]) -> Table {
    desired
        .iter()
        .map(|(s, d)| {
            (
                ServiceEntry::new(s.clone()),
                d.iter().cloned().map(DestinationEntry::new).collect(),
            )
        })
        .collect()
}

/// What the kernel would hold after `plan` (every step succeeds).
fn apply(current: &Table, plan: &Plan) -> Table {
    let mut t = current.clone();
    for p in plan.steps() {
        let pos = |t: &Table, k: &ServiceKey| t.iter().position(|(s, _)| s.service.key == *k);
        match &p.request {
            Request::AddService(s) => t.push((ServiceEntry::new(s.clone()), vec![])),
            Request::UpdateService(u) => {
                let i = pos(&t, &u.key).unwrap();
                t[i].0.service = u.apply(&t[i].0.service);
            }
            Request::DeleteService(k) => {
                let i = pos(&t, k).unwrap();
                t.remove(i);
            }
            Request::AddDestination(k, d) => {
                let i = pos(&t, k).unwrap();
                assert!(t[i].1.iter().all(|e| e.dest.addr != d.addr));
                t[i].1.push(DestinationEntry::new(d.clone()));
            }
            Request::UpdateDestination(k, d) => {
                let i = pos(&t, k).unwrap();
                let e = t[i].1.iter_mut().find(|e| e.dest.addr == d.addr).unwrap();
                e.dest = d.clone();
            }
            Request::DeleteDestination(k, a) => {
                let i = pos(&t, k).unwrap();
                t[i].1.retain(|e| e.dest.addr != *a);
            }
            other => panic!("unexpected request in a plan: {other:?}"),
        }
    }
    t
}

fn sorted(mut t: Table) -> Vec<(Service, Vec<Destination>)> {
    t.sort_by_key(|(s, _)| s.service.key);
    t.into_iter()
        .map(|(s, d)| {
            let mut d: Vec<Destination> = d.into_iter().map(|e| e.dest).collect();
            d.sort_by_key(|d| d.addr);
            (s.service, d)
        })
        .collect()
}

fn ten_net() -> Scope {
    Scope::new().prefix("10.0.0.0/8".parse().unwrap())
}

#[test]
fn services_outside_the_scope_are_never_planned() {
    let ours = svc("tcp:10.0.0.1:80", &[("10.1.0.1:80", 1), ("10.1.0.2:80", 1)]);
    let theirs = svc("tcp:192.0.2.1:80", &[("192.0.2.10:80", 5)]);
    let mark = svc("fwmark:7", &[("10.1.0.3:0", 1)]);
    let current = table(&[ours.clone(), theirs.clone(), mark.clone()]);
    // Desired: ours changed, the mark service gone (the scope owns it).
    let desired = vec![svc("tcp:10.0.0.1:80", &[("10.1.0.1:80", 2)])];
    let options = ReconcileOptions::new(ten_net().fwmarks(1..=10));
    let p = plan(&current, &desired, &options).unwrap();
    assert!(p.steps().iter().all(|s| s.service != theirs.0.key), "{p:?}");
    assert_eq!(p.count(Change::UpdateDestination), 1);
    assert_eq!(p.count(Change::DeleteDestination), 1);
    assert_eq!(p.count(Change::DeleteService), 1);
    assert_eq!(p.deletions(), 2);
    let after = sorted(apply(&current, &p));
    let mut want = desired.clone();
    want.push(theirs.clone());
    want.sort_by_key(|(s, _)| s.key);
    assert_eq!(after, want, "the service outside the scope stays as it was");
    assert!(plan(&apply(&current, &p), &desired, &options)
        .unwrap()
        .is_empty());

    // The same desired table with Scope::all deletes the other service too.
    let all = plan(&current, &desired, &ReconcileOptions::new(Scope::all())).unwrap();
    assert_eq!(all.count(Change::DeleteService), 2);
}

#[test]
fn a_desired_service_outside_the_scope_is_refused() {
    let desired = vec![svc("tcp:10.0.0.1:80", &[]), svc("udp:192.0.2.1:53", &[])];
    let e = plan(&[], &desired, &ReconcileOptions::new(ten_net())).unwrap_err();
    assert_eq!(e, ReconcileError::OutOfScope(key("udp:192.0.2.1:53")));
    assert!(e.to_string().contains("udp:192.0.2.1:53"), "{e}");
    let narrow = ReconcileOptions::new(ten_net().protocol(crate::Protocol::Udp));
    let e = plan(&[], &desired[..1], &narrow).unwrap_err();
    assert_eq!(e, ReconcileError::OutOfScope(key("tcp:10.0.0.1:80")));
    let filtered = ReconcileOptions::new(Scope::all().filter(|k| !k.is_fwmark()));
    let e = plan(&[], &[svc("fwmark6:1", &[])], &filtered).unwrap_err();
    assert_eq!(e, ReconcileError::OutOfScope(key("fwmark6:1")));
}

#[test]
fn duplicates_in_the_desired_table_are_refused_by_key() {
    let options = ReconcileOptions::new(Scope::all());
    let twice = vec![
        svc("tcp:10.0.0.1:80", &[]),
        svc("tcp:10.0.0.2:80", &[]),
        svc("tcp:10.0.0.1:80", &[]),
    ];
    let e = plan(&[], &twice, &options).unwrap_err();
    assert_eq!(e, ReconcileError::DuplicateService(key("tcp:10.0.0.1:80")));
    assert!(e.to_string().contains("tcp:10.0.0.1:80"), "{e}");
    let dest_twice = vec![
        svc("tcp:10.0.0.1:80", &[("10.1.0.1:80", 1)]),
        svc(
            "udp:10.0.0.1:53",
            &[("10.1.0.1:53", 1), ("10.1.0.2:53", 1), ("10.1.0.1:53", 3)],
        ),
    ];
    let e = plan(&[], &dest_twice, &options).unwrap_err();
    assert_eq!(
        e,
        ReconcileError::DuplicateDestination {
            service: key("udp:10.0.0.1:53"),
            destination: addr("10.1.0.1:53")
        }
    );
    assert!(
        e.to_string().contains("10.1.0.1:53") && e.to_string().contains("udp:10.0.0.1:53"),
        "{e}"
    );
    // The same address in two services is no duplicate.
    let shared = vec![
        svc("tcp:10.0.0.1:80", &[("10.1.0.1:80", 1)]),
        svc("tcp:10.0.0.2:80", &[("10.1.0.1:80", 1)]),
    ];
    assert_eq!(plan(&[], &shared, &options).unwrap().len(), 4);
}

#[test]
fn an_empty_desired_table_deletes_only_when_asked() {
    let current = table(&[
        svc("tcp:10.0.0.1:80", &[]),
        svc("tcp:10.0.0.2:80", &[]),
        svc("tcp:192.0.2.1:80", &[]),
    ]);
    let options = ReconcileOptions::new(ten_net());
    assert_eq!(
        plan(&current, &[], &options),
        Err(ReconcileError::EmptyDesired { owned: 2 })
    );
    let p = plan(&current, &[], &options.clone().delete_all(true)).unwrap();
    assert_eq!(p.count(Change::DeleteService), 2);
    assert_eq!(
        sorted(apply(&current, &p)),
        sorted(table(&[svc("tcp:192.0.2.1:80", &[])]))
    );
    // Nothing owned: nothing to refuse.
    let elsewhere = ReconcileOptions::new(Scope::new().prefix("172.16.0.0/12".parse().unwrap()));
    assert!(plan(&current, &[], &elsewhere).unwrap().is_empty());
}

#[test]
fn max_deletes_refuses_a_larger_plan() {
    let current = table(&[
        svc("tcp:10.0.0.1:80", &[("10.1.0.1:80", 1), ("10.1.0.2:80", 1)]),
        svc("tcp:10.0.0.2:80", &[("10.1.0.3:80", 1)]),
    ]);
    let desired = vec![svc("tcp:10.0.0.1:80", &[])];
    let options = ReconcileOptions::new(Scope::all());
    let p = plan(&current, &desired, &options).unwrap();
    assert_eq!(p.deletions(), 3, "two destinations and a service");
    assert_eq!(
        plan(&current, &desired, &options.clone().max_deletes(2)),
        Err(ReconcileError::TooManyDeletions { planned: 3, max: 2 })
    );
    assert_eq!(
        plan(&current, &desired, &options.clone().max_deletes(3)).unwrap(),
        p
    );
    // Adds and updates do not count.
    let grow = vec![
        svc(
            "tcp:10.0.0.1:80",
            &[("10.1.0.1:80", 9), ("10.1.0.2:80", 1), ("10.1.0.9:80", 1)],
        ),
        svc("tcp:10.0.0.2:80", &[("10.1.0.3:80", 1)]),
    ];
    assert_eq!(
        plan(&current, &grow, &options.clone().max_deletes(0))
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn drain_drains_every_undesired_destination_then_deletes_the_services() {
    let current = table(&[
        svc("tcp:10.0.0.1:80", &[("10.1.0.1:80", 3), ("10.1.0.2:80", 0)]),
        svc("tcp:10.0.0.2:80", &[("10.1.0.3:80", 1)]),
    ]);
    let desired = vec![svc("tcp:10.0.0.1:80", &[("10.1.0.2:80", 0)])];
    let drain = DrainOptions::new().deadline(Duration::from_secs(5));
    let options = ReconcileOptions::new(Scope::all()).drain(drain);
    let p = plan(&current, &desired, &options).unwrap();
    let shown: Vec<String> = p.steps().iter().map(|s| s.to_string()).collect();
    assert_eq!(
        shown,
        [
            "drain destination 10.1.0.1:80 of tcp:10.0.0.1:80",
            "drain destination 10.1.0.3:80 of tcp:10.0.0.2:80",
            "delete service tcp:10.0.0.2:80",
        ]
    );
    assert_eq!(p.drain_options(), Some(drain));
    assert_eq!(p.deletions(), 3);
    let targets: Vec<String> = p
        .drain_targets()
        .iter()
        .map(|t| format!("{} {}", t.service, t.addr))
        .collect();
    assert_eq!(
        targets,
        ["tcp:10.0.0.1:80 10.1.0.1:80", "tcp:10.0.0.2:80 10.1.0.3:80"]
    );
    let stages = p.stages();
    assert_eq!(
        (stages.before, stages.drains, stages.after),
        (vec![], vec![0, 1], vec![2])
    );
    // What a caller sends itself deletes at once.
    assert!(matches!(p.requests()[0], Request::DeleteDestination(_, _)));
    // The guard counts drains as deletions.
    let refused = plan(&current, &desired, &options.clone().max_deletes(2));
    assert!(matches!(
        refused,
        Err(ReconcileError::TooManyDeletions { planned: 3, max: 2 })
    ));
}

#[test]
fn without_drain_every_step_goes_in_one_stage() {
    let current = table(&[svc("tcp:10.0.0.1:80", &[("10.1.0.1:80", 3)])]);
    let p = plan(
        &current,
        &[svc("tcp:10.0.0.2:80", &[])],
        &ReconcileOptions::new(Scope::all()),
    )
    .unwrap();
    assert_eq!(p.count(Change::DeleteService), 1);
    let stages = p.stages();
    assert_eq!(
        (stages.before, stages.drains, stages.after),
        (vec![0, 1], vec![], vec![])
    );
}

#[test]
fn steps_say_what_they_do() {
    let current = table(&[svc("tcp:10.0.0.2:80", &[])]);
    let mut changed = svc("tcp:10.0.0.2:80", &[("10.1.0.1:80", 1)]);
    changed.0.scheduler = Scheduler::WeightedRoundRobin;
    let desired = vec![
        svc("udp:[2001:db8::1]:53", &[("[2001:db8::2]:53", 1)]),
        changed,
    ];
    let p = plan(&current, &desired, &ReconcileOptions::new(Scope::all())).unwrap();
    let shown: Vec<String> = p.steps().iter().map(|s| s.to_string()).collect();
    assert_eq!(
        shown,
        [
            "add service udp:[2001:db8::1]:53",
            "update service tcp:10.0.0.2:80",
            "add destination [2001:db8::2]:53 to udp:[2001:db8::1]:53",
            "add destination 10.1.0.1:80 to tcp:10.0.0.2:80",
        ]
    );
    assert_eq!(p.steps()[2].destination, Some(addr("[2001:db8::2]:53")));
    assert_eq!(p.requests().len(), 4);
}

#[test]
fn a_report_is_made_of_a_plan_and_its_results() {
    let desired = vec![svc("tcp:10.0.0.1:80", &[("10.1.0.1:80", 1)])];
    let p = plan(&[], &desired, &ReconcileOptions::new(Scope::all())).unwrap();
    let failed = Error::new(
        Operation::AddDestination(key("tcp:10.0.0.1:80"), addr("10.1.0.1:80")),
        ErrorKind::NotSent,
    );
    assert_eq!(
        ReconcileReport::from_results(p.clone(), vec![Ok(Reply::Done)]).unwrap_err(),
        ReconcileError::ResultCount {
            steps: 2,
            results: 1
        }
    );
    let r = ReconcileReport::from_results(p.clone(), vec![Ok(Reply::Done), Err(failed)]).unwrap();
    assert_eq!(r.changes(), 1);
    assert_eq!(r.count(Change::AddService), 1);
    assert_eq!(r.done, p.steps()[..1]);
    assert_eq!(r.failures.len(), 1);
    assert_eq!(r.failures[0].0, p.steps()[1]);
    // A batch that came back short: the rest counts as not sent.
    let short = ReconcileReport::of_batch(p, vec![Ok(Reply::Done)]);
    assert!(matches!(short.failures[0].1.kind(), ErrorKind::NotSent));
}

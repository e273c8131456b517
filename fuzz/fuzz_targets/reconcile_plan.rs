//! `reconcile::plan` over small tables whose keys overlap: applying the plan
//! to a model of the table gives the desired table inside the scope and
//! leaves the rest untouched, and a second plan over the result is empty.
//! A desired table with a service or destination twice is refused.
#![no_main]

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, SocketAddr};

use arbitrary::{Result, Unstructured};
use ipvs_netlink::proto::Request;
use ipvs_netlink::reconcile::plan;
use ipvs_netlink::{
    Destination, DestinationEntry, Family, ForwardMethod, Protocol, ReconcileError,
    ReconcileOptions, Scheduler, Scope, Service, ServiceEntry, ServiceKey,
};
use libfuzzer_sys::fuzz_target;

type Table = BTreeMap<ServiceKey, (Service, BTreeMap<SocketAddr, Destination>)>;

fn key(u: &mut Unstructured<'_>) -> Result<ServiceKey> {
    let host = IpAddr::from([10, 0, 0, u.int_in_range(0..=3)?]);
    let port = u.int_in_range(80..=81)?;
    Ok(match u.int_in_range(0..=2)? {
        0 => ServiceKey::tcp(SocketAddr::new(host, port)),
        1 => ServiceKey::udp(SocketAddr::new(host, port)),
        _ => ServiceKey::fwmark(Family::Ipv4, u.int_in_range(1..=3)?),
    })
}

fn service(u: &mut Unstructured<'_>) -> Result<Service> {
    let scheduler = u
        .choose(&[Scheduler::RoundRobin, Scheduler::WeightedRoundRobin])?
        .clone();
    let s = Service::new(key(u)?, scheduler);
    Ok(if u.arbitrary()? {
        s.persistent(u.int_in_range(1..=600)?)
    } else {
        s
    })
}

fn destination(u: &mut Unstructured<'_>) -> Result<Destination> {
    let addr = SocketAddr::new(IpAddr::from([10, 1, 0, u.int_in_range(0..=3)?]), 80);
    let forward = *u.choose(&[ForwardMethod::Masquerade, ForwardMethod::DirectRoute])?;
    Ok(Destination::new(addr)
        .weight(u.int_in_range(0..=3)?)
        .forward(forward))
}

fn table(u: &mut Unstructured<'_>, unique: bool) -> Result<Vec<(Service, Vec<Destination>)>> {
    let mut out: Vec<(Service, Vec<Destination>)> = Vec::new();
    for _ in 0..u.int_in_range(0..=6)? {
        let s = service(u)?;
        if unique && out.iter().any(|(o, _)| o.key == s.key) {
            continue;
        }
        let mut dests: Vec<Destination> = Vec::new();
        for _ in 0..u.int_in_range(0..=3)? {
            let d = destination(u)?;
            if !unique || dests.iter().all(|o| o.addr != d.addr) {
                dests.push(d);
            }
        }
        out.push((s, dests));
    }
    Ok(out)
}

fn model(t: &[(Service, Vec<Destination>)]) -> Table {
    t.iter()
        .map(|(s, ds)| {
            (
                s.key,
                (s.clone(), ds.iter().map(|d| (d.addr, d.clone())).collect()),
            )
        })
        .collect()
}

fn entries(t: &Table) -> Vec<(ServiceEntry, Vec<DestinationEntry>)> {
    t.values()
        .map(|(s, ds)| {
            let d = ds.values().cloned().map(DestinationEntry::new).collect();
            (ServiceEntry::new(s.clone()), d)
        })
        .collect()
}

/// What the kernel would do with `r`; every request of a plan must apply.
fn apply(t: &mut Table, r: &Request) {
    match r {
        Request::AddService(s) => assert!(t.insert(s.key, (s.clone(), BTreeMap::new())).is_none()),
        Request::UpdateService(up) => {
            let (s, _) = t.get_mut(&up.key).expect("update of a missing service");
            *s = up.apply(s);
        }
        Request::DeleteService(k) => assert!(t.remove(k).is_some(), "delete of missing {k}"),
        Request::AddDestination(k, d) => {
            let (_, ds) = t.get_mut(k).expect("destination of a missing service");
            assert!(
                ds.insert(d.addr, d.clone()).is_none(),
                "{} added twice",
                d.addr
            );
        }
        Request::UpdateDestination(k, d) => {
            let (_, ds) = t.get_mut(k).expect("destination of a missing service");
            assert!(
                ds.insert(d.addr, d.clone()).is_some(),
                "update of missing {}",
                d.addr
            );
        }
        Request::DeleteDestination(k, a) => {
            let (_, ds) = t.get_mut(k).expect("destination of a missing service");
            assert!(ds.remove(a).is_some(), "delete of missing {a}");
        }
        other => panic!("a plan does not send {other:?}"),
    }
}

fn run(u: &mut Unstructured<'_>) -> Result<()> {
    let current = model(&table(u, true)?);
    let scope = match u.int_in_range(0..=3)? {
        0 => Scope::all(),
        1 => Scope::new().prefix("10.0.0.0/31".parse().unwrap()),
        2 => Scope::new().protocol(Protocol::Tcp),
        _ => Scope::new().fwmarks(1..=2),
    };
    let options = ReconcileOptions::new(scope.clone()).delete_all(true);
    let unique = u.arbitrary()?;
    let mut desired = table(u, unique)?;
    desired.retain(|(s, _)| scope.contains(&s.key));
    let keys: BTreeSet<ServiceKey> = desired.iter().map(|(s, _)| s.key).collect();
    let duplicated = keys.len() < desired.len()
        || desired
            .iter()
            .any(|(_, ds)| ds.iter().map(|d| d.addr).collect::<BTreeSet<_>>().len() < ds.len());
    let planned = plan(&entries(&current), &desired, &options);
    if duplicated {
        let e = planned.expect_err("a duplicate is refused");
        assert!(
            matches!(
                e,
                ReconcileError::DuplicateService(_) | ReconcileError::DuplicateDestination { .. }
            ),
            "{e}"
        );
        return Ok(());
    }
    let planned = planned.expect("a valid desired table is planned");
    let mut after = current.clone();
    for step in planned.steps() {
        assert!(scope.contains(&step.service), "{step} is outside the scope");
        apply(&mut after, &step.request);
    }
    let (inside, outside): (Table, Table) = after.into_iter().partition(|(k, _)| scope.contains(k));
    assert_eq!(inside, model(&desired), "the scope holds the desired table");
    let untouched: Table = current
        .iter()
        .filter(|(k, _)| !scope.contains(k))
        .map(|(k, v)| (*k, v.clone()))
        .collect();
    assert_eq!(outside, untouched, "nothing outside the scope changed");
    let mut whole = inside;
    whole.extend(outside);
    let again = plan(&entries(&whole), &desired, &options).expect("planned again");
    assert!(
        again.is_empty(),
        "a second plan is empty: {:?}",
        again.steps()
    );
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});

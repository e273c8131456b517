//! The table both benchmarks work on: `services` TCP services with `dests`
//! masquerading destinations each, as ipvsadm rules and as requests.
#![allow(dead_code)]

use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};

use ipvs_netlink::{Destination, Request, Scheduler, Service, ServiceKey};

pub(crate) fn service(i: u32) -> Service {
    let [_, a, b, c] = (0x0a00_0000u32 + i + 1).to_be_bytes();
    Service::new(
        ServiceKey::tcp(SocketAddr::new(IpAddr::from([10, a, b, c]), 80)),
        Scheduler::RoundRobin,
    )
}

pub(crate) fn dest(i: u32, j: u32) -> Destination {
    let [_, a, b, c] = (0x0b00_0000u32 + i * 8 + j).to_be_bytes();
    Destination::new(SocketAddr::new(IpAddr::from([11, a, b, c]), 8080)).weight(1)
}

pub(crate) fn table(services: u32, dests: u32) -> Vec<(Service, Vec<Destination>)> {
    (0..services)
        .map(|i| (service(i), (0..dests).map(|j| dest(i, j)).collect()))
        .collect()
}

pub(crate) fn requests(table: &[(Service, Vec<Destination>)]) -> Vec<Request> {
    let mut v = Vec::with_capacity(table.len() * 5);
    for (s, ds) in table {
        v.push(Request::AddService(s.clone()));
        v.extend(ds.iter().map(|d| Request::AddDestination(s.key, d.clone())));
    }
    v
}

/// The same table in `ipvsadm -R` syntax.
pub(crate) fn rules(table: &[(Service, Vec<Destination>)]) -> String {
    let mut out = String::new();
    for (s, ds) in table {
        let ServiceKey::Addr { addr, .. } = s.key else {
            unreachable!()
        };
        writeln!(out, "-A -t {addr} -s rr").unwrap();
        for d in ds {
            writeln!(out, "-a -t {addr} -r {} -m -w {}", d.addr, d.weight).unwrap();
        }
    }
    out
}

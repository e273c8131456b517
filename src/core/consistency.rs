//! Comparing two listings, for the consistent listing that re-dumps until
//! two agree (IPVS dumps never flag a table that changed mid-dump).

use crate::model::{Destination, Service};

/// Whether two service listings hold the same services with the same
/// configuration (counters are ignored: they change all the time).
pub fn same_services(a: &[Service], b: &[Service]) -> bool {
    a.len() == b.len() && sorted_config(a) == sorted_config(b)
}

fn sorted_config(v: &[Service]) -> Vec<Service> {
    let mut out: Vec<Service> = v
        .iter()
        .map(|s| Service {
            stats: None,
            stats64: None,
            ..s.clone()
        })
        .collect();
    out.sort_by_key(|s| s.key);
    out
}

/// Whether two destination listings hold the same destinations with the same
/// configuration.
pub fn same_destinations(a: &[Destination], b: &[Destination]) -> bool {
    let config = |v: &[Destination]| {
        let mut out: Vec<_> = v
            .iter()
            .map(|d| {
                (
                    d.addr,
                    d.forward,
                    d.weight,
                    d.upper_threshold,
                    d.lower_threshold,
                )
            })
            .collect();
        out.sort_by_key(|x| x.0);
        out
    };
    a.len() == b.len() && config(a) == config(b)
}

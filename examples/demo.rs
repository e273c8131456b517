//! Creates a virtual service with three real servers, lists it with its
//! counters, and removes it. Run as root on a kernel with IPVS, or in the
//! test bed with `cargo xtask demo`.

use ipvs_netlink::{Destination, ForwardMethod, Handle, Scheduler, Service, ServiceKey};

fn main() -> Result<(), ipvs_netlink::Error> {
    let mut ipvs = Handle::new()?;
    let info = ipvs.get_info()?;
    println!(
        "IP Virtual Server version {} (size={})",
        info.version, info.conn_tab_size
    );

    let key = ServiceKey::tcp("192.0.2.10:80".parse().unwrap());
    ipvs.add_service(&Service::new(key, Scheduler::WeightedRoundRobin))?;
    let servers = [
        Destination::new("198.51.100.1:8080".parse().unwrap()).weight(3),
        Destination::new("198.51.100.2:8080".parse().unwrap()).weight(1),
        Destination::new("198.51.100.3:80".parse().unwrap()).forward(ForwardMethod::DirectRoute),
    ];
    for server in &servers {
        ipvs.add_destination(&key, server)?;
    }

    let listed = ipvs.get_service(&key)?;
    let totals = listed.counters().unwrap_or_default();
    println!(
        "{:<34} {:>8} {:>10} {:>10}",
        "Service / real server", "Conns", "InPkts", "OutPkts"
    );
    println!(
        "{:<34} {:>8} {:>10} {:>10}  {}",
        listed.service.key.to_string(),
        totals.conns,
        totals.in_packets,
        totals.out_packets,
        listed.service.scheduler
    );
    for listed in ipvs.list_destinations(&key)? {
        let s = listed.counters().unwrap_or_default();
        println!(
            "  -> {:<29} {:>8} {:>10} {:>10}  weight {} {:?}",
            listed.dest.addr.to_string(),
            s.conns,
            s.in_packets,
            s.out_packets,
            listed.dest.weight,
            listed.dest.forward
        );
    }

    ipvs.delete_service(&key)?;
    println!(
        "removed {key}; {} services left",
        ipvs.list_services()?.len()
    );
    Ok(())
}

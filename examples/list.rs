//! Lists every service with its real servers and 64-bit counters, like
//! `ipvsadm -Ln --stats`, with the blocking handle.

use ipvs_netlink::Handle;

fn main() -> Result<(), ipvs_netlink::Error> {
    let mut ipvs = Handle::new()?;
    println!(
        "{:<32} {:>10} {:>12} {:>12} {:>14} {:>14}",
        "Prot LocalAddress:Port", "Conns", "InPkts", "OutPkts", "InBytes", "OutBytes"
    );
    // One dump for the services, one per service for its destinations.
    for (listed, dests) in ipvs.list_table()? {
        let s = listed.counters().unwrap_or_default();
        println!(
            "{:<32} {:>10} {:>12} {:>12} {:>14} {:>14}",
            listed.service.key.to_string(),
            s.conns,
            s.in_packets,
            s.out_packets,
            s.in_bytes,
            s.out_bytes
        );
        for d in dests {
            let s = d.counters().unwrap_or_default();
            println!(
                "  -> {:<27} {:>10} {:>12} {:>12} {:>14} {:>14}",
                d.dest.addr.to_string(),
                s.conns,
                s.in_packets,
                s.out_packets,
                s.in_bytes,
                s.out_bytes
            );
        }
    }
    Ok(())
}

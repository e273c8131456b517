//! Starts, lists and stops a sync daemon, and reads and changes the
//! connection timeouts. Needs a multicast-capable interface: the name is the
//! first argument (default `lo` is refused by the kernel, so pass one).

use ipvs_netlink::{DaemonRole, Handle, SyncDaemon, Timeouts};

fn main() -> Result<(), ipvs_netlink::Error> {
    let ifname = std::env::args().nth(1).unwrap_or_else(|| "eth0".into());
    let mut ipvs = Handle::new()?;

    let before = ipvs.get_timeouts()?;
    println!("timeouts: {before:?}");
    ipvs.set_timeouts(Timeouts {
        udp: Some(60),
        ..Default::default()
    })?;
    println!("after setting udp=60: {:?}", ipvs.get_timeouts()?);
    ipvs.set_timeouts(before)?;

    let mut daemon = SyncDaemon::new(DaemonRole::Master, ifname, 42);
    daemon.ttl = Some(2);
    ipvs.start_daemon(&daemon)?;
    for d in ipvs.list_daemons()? {
        println!(
            "{:?} on {} syncid {} group {:?} port {:?}",
            d.role, d.interface, d.sync_id, d.group, d.port
        );
    }
    ipvs.stop_daemon(DaemonRole::Master)?;
    println!("daemons left: {}", ipvs.list_daemons()?.len());
    Ok(())
}

//! Creates a virtual service with three real servers, sends a few
//! connections through it, lists it with its counters, and removes it. Run
//! as root on a kernel with IPVS, or in the test bed with `cargo xtask demo`.
//!
//! The real servers are listeners of this process on the loopback address
//! and the virtual service is on another loopback address, so the traffic
//! is real (the kernel rewrites each connection to a real server and back)
//! without touching any interface.

use std::error::Error;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use ipvs_netlink::{Destination, Handle, Scheduler, Service, ServiceKey, Stats};

/// Connections made through the service: two rounds of weighted round robin
/// over weights 3, 2 and 1.
const CONNECTIONS: u64 = 12;

fn main() -> Result<(), Box<dyn Error>> {
    let mut ipvs = Handle::new()?;
    let info = ipvs.get_info()?;
    println!(
        "IP Virtual Server version {} (size={})",
        info.version, info.conn_tab_size
    );

    let vip: SocketAddr = "127.0.0.2:80".parse()?;
    let key = ServiceKey::tcp(vip);
    ipvs.add_service(&Service::new(key, Scheduler::WeightedRoundRobin))?;
    for weight in [3, 2, 1] {
        let server = TcpListener::bind("127.0.0.1:0")?;
        // NAT (masquerading), the default: the kernel rewrites the
        // destination to the real server and the replies' source back.
        ipvs.add_destination(&key, &Destination::new(server.local_addr()?).weight(weight))?;
        std::thread::spawn(move || serve(server));
    }

    for _ in 0..CONNECTIONS {
        exchange(vip)?;
    }
    println!("{CONNECTIONS} connections to {vip}, each one request and one reply");

    // The kernel folds its per-CPU counters into the ones it reports when
    // its estimator passes, every 2 s: wait until they show the connections.
    let deadline = Instant::now() + Duration::from_secs(6);
    let (listed, dests) = loop {
        let listed = ipvs.get_service(&key)?;
        let dests = ipvs.list_destinations(&key)?;
        let conns = |s: Option<Stats>| s.unwrap_or_default().conns;
        let shown = conns(listed.counters()) == CONNECTIONS
            && dests.iter().map(|d| conns(d.counters())).sum::<u64>() == CONNECTIONS;
        if shown || Instant::now() >= deadline {
            break (listed, dests);
        }
        std::thread::sleep(Duration::from_millis(200));
    };
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
    for listed in dests {
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

/// A real server: answers "hello" with "world", until the process ends.
fn serve(server: TcpListener) {
    for mut conn in server.incoming().flatten() {
        let _ = conn.set_read_timeout(Some(Duration::from_secs(3)));
        let mut request = [0u8; 5];
        if conn.read_exact(&mut request).is_ok() && &request == b"hello" {
            let _ = conn.write_all(b"world");
        }
    }
}

/// One connection through the virtual service.
fn exchange(vip: SocketAddr) -> Result<(), Box<dyn Error>> {
    let mut conn = TcpStream::connect_timeout(&vip, Duration::from_secs(3))?;
    conn.set_read_timeout(Some(Duration::from_secs(3)))?;
    conn.write_all(b"hello")?;
    let mut reply = [0u8; 5];
    conn.read_exact(&mut reply)?;
    if &reply != b"world" {
        return Err(format!("{vip} answered {reply:?}, not \"world\"").into());
    }
    Ok(())
}

//! With the tokio handle: adds a service and real servers, then prints the
//! kernel's rate estimates a few times, and cleans up.
//!
//! `cargo run --example watch_rates --features tokio -- [rounds]`

use std::time::Duration;

use ipvs_netlink::handle::tokio::Handle;
use ipvs_netlink::{Destination, Scheduler, Service, ServiceKey};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), ipvs_netlink::Error> {
    let rounds: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(3);
    let mut ipvs = Handle::new().await?;
    let key = ServiceKey::udp("192.0.2.53:53".parse().unwrap());
    ipvs.add_service(&Service::new(key, Scheduler::RoundRobin))
        .await?;
    for i in 1..=2u8 {
        let addr = format!("198.51.100.{i}:53").parse().unwrap();
        ipvs.add_destination(&key, &Destination::new(addr)).await?;
    }
    for round in 1..=rounds {
        // The kernel's estimator updates the rates every two seconds.
        tokio::time::sleep(Duration::from_secs(2)).await;
        let s = ipvs.get_service(&key).await?.counters().unwrap_or_default();
        println!(
            "round {round}: {} conn/s, {} pkt/s in, {} B/s in",
            s.cps, s.in_pps, s.in_bps
        );
    }
    ipvs.delete_service(&key).await?;
    Ok(())
}

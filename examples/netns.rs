//! A handle inside another network namespace: creates one with
//! `ip netns add`, adds a service there, shows that the caller's namespace
//! does not see it, and removes the namespace.

use std::process::Command;

use ipvs_netlink::{Config, Handle, Netns, Scheduler, Service, ServiceKey};

fn ip(args: &[&str]) {
    let ok = Command::new("ip")
        .args(args)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(ok, "ip {args:?} failed");
}

fn main() -> Result<(), ipvs_netlink::Error> {
    let name = format!("ipvs-example-{}", std::process::id());
    ip(&["netns", "add", &name]);
    let result = (|| {
        let mut there = Handle::with_config(Config {
            netns: Netns::Named(name.clone()),
            ..Default::default()
        })?;
        let mut here = Handle::new()?;
        let key = ServiceKey::tcp("192.0.2.80:80".parse().unwrap());
        there.add_service(&Service::new(key, Scheduler::RoundRobin))?;
        println!(
            "in {name}: {:?}",
            there
                .list_services()?
                .iter()
                .map(|s| s.service.key.to_string())
                .collect::<Vec<_>>()
        );
        println!(
            "here: {} services with that key",
            here.list_services()?
                .iter()
                .filter(|s| s.service.key == key)
                .count()
        );
        Ok(())
    })();
    ip(&["netns", "del", &name]);
    result
}

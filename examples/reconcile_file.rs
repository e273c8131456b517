//! Makes the IPVS table match a small desired-state file, then shows that a
//! second run changes nothing.
//!
//! The file has one line per real server: `tcp|udp VIP:PORT SCHED RIP:PORT WEIGHT`.
//! `cargo run --example reconcile_file -- desired.txt` (a built-in example is
//! used without an argument).

use std::collections::BTreeMap;

use std::time::Duration;

use ipvs_netlink::drain::DrainOptions;
use ipvs_netlink::{Destination, Handle, ReconcileOptions, Scheduler, Scope, Service, ServiceKey};

const EXAMPLE: &str = "\
tcp 192.0.2.1:80 wrr 198.51.100.1:80 3
tcp 192.0.2.1:80 wrr 198.51.100.2:80 1
udp 192.0.2.2:53 rr 198.51.100.3:53 1
";

fn parse(text: &str) -> Result<Vec<(Service, Vec<Destination>)>, String> {
    let mut table: BTreeMap<ServiceKey, (Service, Vec<Destination>)> = BTreeMap::new();
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let bad = |what: &str| format!("line {}: {what}: {line}", n + 1);
        let f: Vec<&str> = line.split_whitespace().collect();
        let [proto, vip, sched, rip, weight] = f[..] else {
            return Err(bad("expected 5 fields"));
        };
        let vip = vip.parse().map_err(|_| bad("bad VIP"))?;
        let key = match proto {
            "tcp" => ServiceKey::tcp(vip),
            "udp" => ServiceKey::udp(vip),
            _ => return Err(bad("protocol must be tcp or udp")),
        };
        let sched = Scheduler::from_name(sched).map_err(|e| bad(&e.to_string()))?;
        let weight = weight.parse().map_err(|_| bad("bad weight"))?;
        let dest =
            Destination::new(rip.parse().map_err(|_| bad("bad real server"))?).weight(weight);
        table
            .entry(key)
            .or_insert_with(|| (Service::new(key, sched), Vec::new()))
            .1
            .push(dest);
    }
    Ok(table.into_values().collect())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let text = match std::env::args().nth(1) {
        Some(path) => std::fs::read_to_string(path)?,
        None => EXAMPLE.to_owned(),
    };
    let desired = parse(&text)?;
    let mut ipvs = Handle::new()?;
    // The file owns the whole table here; a scope of prefixes would leave
    // every other service alone. Real servers no longer in the file are
    // drained: weight 0, deleted once their connections end (or after 30 s).
    let drain = DrainOptions::new().deadline(Duration::from_secs(30));
    let options = ReconcileOptions::new(Scope::all()).drain(drain);
    for run in 1..=2 {
        let report = ipvs.reconcile(&desired, &options)?;
        println!(
            "run {run}: {} changes {:?}",
            report.changes(),
            report.applied
        );
        for (planned, error) in &report.failures {
            println!("  failed: {:?}: {error}", planned.change);
        }
    }
    // Emptying the owned table must be asked for.
    ipvs.reconcile(&[], &options.delete_all(true))?;
    Ok(())
}

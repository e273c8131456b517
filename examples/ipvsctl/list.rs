//! `ipvsctl list [--json]`: the table with counters.

use std::process::ExitCode;

use ipvs_netlink::{DestinationEntry, ServiceEntry, ServiceFlags};
use serde::Serialize;

use crate::{Context, Failure, Run};

/// Print every service with its destinations, connection counts and
/// counters. The services come from a consistent listing (none skipped
/// while the table changes).
#[derive(clap::Args)]
pub(crate) struct Args {
    /// Print the serde form of the listed entries, as JSON: a list of
    /// `{ "service": ..., "destinations": [...] }`.
    #[arg(long)]
    json: bool,
}

/// A listed service and its destinations, as `--json` prints them.
#[derive(Serialize)]
struct Listed<'a> {
    service: &'a ServiceEntry,
    destinations: &'a [DestinationEntry],
}

impl Run for Args {
    fn run(self, cx: &Context) -> Result<ExitCode, Failure> {
        let mut ipvs = cx.handle()?;
        let table = ipvs
            .list_table_consistent(5)
            .map_err(|e| Failure::new("list the table", e))?;
        if self.json {
            let listed: Vec<Listed<'_>> = table
                .iter()
                .map(|(service, destinations)| Listed {
                    service,
                    destinations,
                })
                .collect();
            let text = serde_json::to_string_pretty(&listed)
                .map_err(|e| Failure::new("write the table as JSON", e))?;
            println!("{text}");
            return Ok(ExitCode::SUCCESS);
        }
        println!(
            "{:<34} {:<14} {:>6} {:>8} {:>8} {:>10} {:>10} {:>10} {:>12} {:>12}",
            "SERVICE / -> DESTINATION",
            "SCHED/FORWARD",
            "WEIGHT",
            "ACTIVE",
            "INACTIVE",
            "CONNS",
            "INPKTS",
            "OUTPKTS",
            "INBYTES",
            "OUTBYTES"
        );
        for (entry, dests) in &table {
            let s = entry.counters().unwrap_or_default();
            let svc = &entry.service;
            let mut sched = svc.scheduler.to_string();
            if svc.flags.contains(ServiceFlags::PERSISTENT) {
                sched = format!("{sched} persistent {}s", svc.timeout);
            }
            println!(
                "{:<34} {:<14} {:>6} {:>8} {:>8} {:>10} {:>10} {:>10} {:>12} {:>12}",
                svc.key.to_string(),
                sched,
                "",
                "",
                "",
                s.conns,
                s.in_packets,
                s.out_packets,
                s.in_bytes,
                s.out_bytes
            );
            for d in dests {
                let s = d.counters().unwrap_or_default();
                println!(
                    "  -> {:<29} {:<14} {:>6} {:>8} {:>8} {:>10} {:>10} {:>10} {:>12} {:>12}",
                    d.dest.addr.to_string(),
                    d.dest.forward.to_string(),
                    d.dest.weight,
                    d.active_conns,
                    d.inactive_conns,
                    s.conns,
                    s.in_packets,
                    s.out_packets,
                    s.in_bytes,
                    s.out_bytes
                );
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}

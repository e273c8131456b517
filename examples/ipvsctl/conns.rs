//! `ipvsctl conns [--sync] [--json] [SERVICE_KEY [DEST_ADDR]]`: the
//! connection table, streamed.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;

use ipvs_netlink::conn::{protocol_name, read_conns, ConnEntry, ConnTable};
use ipvs_netlink::ServiceKey;

use crate::{Context, Failure, Run};

/// Print the connections (and persistence templates) of the namespace, one
/// line each, as the kernel lists them; a table of any size is streamed.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// Print the serde form of each entry, as a JSON list.
    #[arg(long)]
    json: bool,
    /// Read /proc/net/ip_vs_conn_sync: each entry's origin (LOCAL, or SYNC
    /// from a sync daemon) instead of its persistence data.
    #[arg(long)]
    sync: bool,
    /// Only entries of this service: tcp:10.0.0.1:80, udp:[2001:db8::1]:53,
    /// fwmark:5 (a firewall-mark service's persistence templates).
    service: Option<ServiceKey>,
    /// Only entries to this real server (ADDRESS:PORT; port 0: any).
    dest: Option<SocketAddr>,
}

fn line(e: &ConnEntry) -> String {
    let last = match (&e.origin, &e.persistence) {
        (Some(o), _) => format!(" {o}"),
        (None, Some(p)) => format!(" {} {}", p.engine, String::from_utf8_lossy(&p.data)),
        (None, None) => String::new(),
    };
    format!(
        "{:<4} {:<11} {:>7} {:<45} {:<45} {}{last}",
        protocol_name(e.protocol),
        e.state,
        e.expires.as_secs(),
        e.client,
        e.virtual_addr,
        e.dest
    )
}

impl Run for Args {
    fn run(self, cx: &Context) -> Result<ExitCode, Failure> {
        let (netns, name) = cx.netns();
        let table = if self.sync {
            ConnTable::Sync
        } else {
            ConnTable::Conns
        };
        let mut reader = read_conns(&netns, table)
            .map_err(|e| Failure::new(format!("read the connections of {name}"), e))?;
        if let Some(k) = self.service {
            reader = reader.service(k);
        }
        if let Some(d) = self.dest {
            reader = reader.dest(d);
        }
        let out = std::io::stdout();
        let mut out = std::io::BufWriter::new(out.lock());
        let write = |e: std::io::Error| Failure::new("write the output", e);
        if self.json {
            out.write_all(b"[").map_err(write)?;
        } else {
            writeln!(
                out,
                "{:<4} {:<11} {:>7} {:<45} {:<45} DESTINATION",
                "PRO", "STATE", "EXPIRES", "CLIENT", "VIRTUAL"
            )
            .map_err(write)?;
        }
        for (i, entry) in reader.enumerate() {
            let e =
                entry.map_err(|e| Failure::new(format!("read the connections of {name}"), e))?;
            if self.json {
                let text = serde_json::to_string(&e)
                    .map_err(|e| Failure::new("write a connection as JSON", e))?;
                let sep = if i == 0 { "\n" } else { ",\n" };
                write!(out, "{sep}{text}").map_err(write)?;
            } else {
                writeln!(out, "{}", line(&e)).map_err(write)?;
            }
        }
        if self.json {
            out.write_all(b"\n]\n").map_err(write)?;
        }
        out.flush().map_err(write)?;
        Ok(ExitCode::SUCCESS)
    }
}

//! The desired-state file of `ipvsctl apply`: TOML, a `[scope]` table and
//! one `[[service]]` table per service (the schema is in `SCHEMA`).

use std::ops::RangeInclusive;

use ipvs_netlink::{Destination, Prefix, Protocol, Scope, Service};
use serde::Deserialize;

/// The schema, as `ipvsctl apply --help` prints it.
pub(crate) const SCHEMA: &str = r#"FILE (TOML):

  [scope]                        # what this file owns; required
  prefixes  = ["10.0.0.0/24", "2001:db8::/64"]  # virtual addresses owned
  fwmarks   = [5, "100-199"]     # firewall marks owned (IPv4 and IPv6)
  protocols = ["tcp", "udp"]     # narrows the prefixes; any when left out
  # all = true                   # instead: own the whole table

  [[service]]                    # one table per service
  key = "tcp:10.0.0.1:80"        # udp:[2001:db8::1]:53, sctp:..., fwmark:5, fwmark6:5
  scheduler = "wrr"              # rr wrr lc wlc lblc lblcr dh sh sed nq fo ovf mh twos none
  flags = ["persistent"]         # one-packet, sh-fallback, sh-port, mh-fallback, mh-port
  timeout = 300                  # persistence timeout, seconds (default 0)
  netmask = "255.255.255.0"      # persistence granularity; IPv6: a prefix length
  persistence_engine = "sip"     # optional

  [[service.destination]]        # one table per real server
  addr = "10.0.1.1:80"
  weight = 3                     # default 1
  forward = "direct-route"       # masquerade (default), local, tunnel, direct-route, bypass
  upper_threshold = 100          # default 0: none
  lower_threshold = 10
  tunnel = { type = "gue", port = 6080, checksum = "checksum" }  # with forward = "tunnel":
                                 # ipip (default), gue (checksum none, checksum, remote),
                                 # gre (checksum none, checksum)

Services outside the scope are never read, changed or deleted; a service
in the file outside the scope is refused. An empty file (a scope, no
service) deletes every owned service only with --delete-all."#;

/// The whole file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    scope: Option<ScopeForm>,
    #[serde(default)]
    service: Vec<toml::Table>,
}

/// The `[scope]` table.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScopeForm {
    #[serde(default)]
    all: bool,
    #[serde(default)]
    prefixes: Vec<String>,
    #[serde(default)]
    fwmarks: Vec<MarkForm>,
    #[serde(default)]
    protocols: Vec<Protocol>,
}

/// A mark (`5`) or a range of marks (`"100-199"`).
#[derive(Deserialize)]
#[serde(untagged)]
enum MarkForm {
    One(u32),
    Range(String),
}

impl MarkForm {
    fn range(&self) -> Result<RangeInclusive<u32>, String> {
        let bad = |t: &str| {
            format!("fwmarks: {t:?} is not a mark or a range FIRST-LAST of marks 1..=4294967295")
        };
        let (first, last) = match self {
            Self::One(m) => (*m, *m),
            Self::Range(t) => {
                let (a, b) = t.split_once('-').unwrap_or((t, t));
                let n = |s: &str| s.trim().parse::<u32>().map_err(|_| bad(t));
                (n(a)?, n(b)?)
            }
        };
        if first == 0 || first > last {
            return Err(bad(&format!("{first}-{last}")));
        }
        Ok(first..=last)
    }
}

/// What a file asks for: the scope it owns and its services.
pub(crate) struct Desired {
    /// What the file owns.
    pub scope: Scope,
    /// The services with their destinations, in file order.
    pub services: Vec<(Service, Vec<Destination>)>,
}

/// Reads a desired-state file's text; the error names the table at fault.
pub(crate) fn parse(text: &str) -> Result<Desired, String> {
    let file: File = toml::from_str(text).map_err(|e| e.message().to_owned())?;
    let scope = scope(file.scope.ok_or(
        "no [scope] table: name what the file owns (prefixes, fwmarks, protocols) or all = true",
    )?)?;
    let mut services = Vec::with_capacity(file.service.len());
    for (i, mut table) in file.service.into_iter().enumerate() {
        let name = match table.get("key") {
            Some(toml::Value::String(k)) => format!("service {} ({k})", i + 1),
            _ => format!("service {}", i + 1),
        };
        let dests = match table.remove("destination") {
            None => Vec::new(),
            Some(v) => v
                .try_into::<Vec<Destination>>()
                .map_err(|e| format!("{name}: {}", e.message()))?,
        };
        let service: Service = table
            .try_into()
            .map_err(|e: toml::de::Error| format!("{name}: {}", e.message()))?;
        services.push((service, dests));
    }
    Ok(Desired { scope, services })
}

fn scope(form: ScopeForm) -> Result<Scope, String> {
    if form.all {
        if !form.prefixes.is_empty() || !form.fwmarks.is_empty() || !form.protocols.is_empty() {
            return Err(
                "scope: all = true owns everything; leave out prefixes, fwmarks and protocols"
                    .into(),
            );
        }
        return Ok(Scope::all());
    }
    let mut scope = Scope::new();
    for p in &form.prefixes {
        let prefix: Prefix = p.parse().map_err(|e| format!("scope: prefixes: {e}"))?;
        scope = scope.prefix(prefix);
    }
    for m in &form.fwmarks {
        scope = scope.fwmarks(m.range().map_err(|e| format!("scope: {e}"))?);
    }
    for p in form.protocols {
        scope = scope.protocol(p);
    }
    Ok(scope)
}

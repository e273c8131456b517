//! Serialize and Deserialize for the model (feature `serde`), in the form a
//! person writes in a configuration file:
//!
//! - keys, protocols, schedulers, addresses and versions are strings:
//!   `"tcp:10.0.0.1:80"` (see [`ServiceKey`](super::ServiceKey)), `"udp"`,
//!   `"wrr"`, `"10.0.1.1:80"`, `"1.2.1"`;
//! - flags are a list of names: `persistent`, `one-packet`, `sched1`,
//!   `sched2`, `sched3` (`sh-fallback`/`mh-fallback` for `sched1`,
//!   `sh-port`/`mh-port` for `sched2`, written so for `sh` and `mh`
//!   services), and `0x..` for a bit without a name;
//! - a netmask is `"255.255.255.0"` (IPv4) or a prefix length such as `64`
//!   (IPv6);
//! - a destination's `forward` is `masquerade` (also `masq`, `nat`),
//!   `local`, `tunnel` (also `ipip`), `direct-route` (also `dr`,
//!   `droute`), `bypass` or `method5`..`method7`; a tunnel other than IPIP
//!   is a `tunnel` table: `{ type = "gue", port = 6080, checksum =
//!   "checksum" }` (checksum `none`, `checksum` or `remote`),
//!   `{ type = "gre", checksum = "checksum" }`, or
//!   `{ type = "type7", port = 1, flags = 2 }` for a type without a name;
//! - fields with a default can be left out: a service's `flags` (none),
//!   `timeout` (0), `netmask` (a single host), `persistence_engine`
//!   (none); a destination's `weight` (1), `forward` (masquerade),
//!   thresholds (0); an entry's counters.
//!
//! Bad values are refused with a message naming the value and what is
//! expected.

mod destination;
mod flags;
mod service;
mod text;

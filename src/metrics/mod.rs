//! Prometheus metrics of a table listing (feature `prometheus`), with the
//! [`prometheus-client`](prometheus_client) crate.
//!
//! [`TableMetrics`] turns a listing
//! ([`list_table`](crate::Handle::list_table),
//! [`list_table_consistent`](crate::Handle::list_table_consistent)) into a
//! prometheus-client [`Collector`](prometheus_client::collector::Collector);
//! [`encode`] writes it as a whole OpenMetrics exposition with the
//! scrape's own series. [`Handle::scrape`](crate::Handle::scrape) (and the
//! async handles' `scrape`) lists and encodes in one call. No I/O here.
//!
//! # Series
//!
//! | metric | type | per |
//! | --- | --- | --- |
//! | `ipvs_service_connections_total` | counter | service |
//! | `ipvs_service_in_packets_total`, `ipvs_service_out_packets_total` | counter | service |
//! | `ipvs_service_in_bytes_total`, `ipvs_service_out_bytes_total` | counter | service |
//! | `ipvs_destination_connections_total`, `..._in_packets_total`, `..._out_packets_total`, `..._in_bytes_total`, `..._out_bytes_total` | counter | destination |
//! | `ipvs_destination_active_connections`, `ipvs_destination_inactive_connections` | gauge | destination |
//! | `ipvs_destination_weight` | gauge | destination |
//! | `ipvs_scrape_consistent` | gauge (1 or 0) | scrape |
//! | `ipvs_scrape_series`, `ipvs_scrape_dropped_series` | gauge | scrape |
//! | `ipvs_scrape_duration_seconds` | gauge | scrape |
//!
//! The counters are the listing's 64-bit counters
//! ([`ServiceEntry::counters`](crate::ServiceEntry::counters)), counted
//! since the service or destination was added or last zeroed: a zero (or a
//! service deleted and added again) is a counter reset, as Prometheus'
//! `rate()` expects.
//!
//! # Labels
//!
//! - `netns`: the namespace, as the caller names it
//!   ([`MetricsOptions::netns`]), on every series; left out when the
//!   caller names none (to Prometheus an empty label is no label).
//! - `service`: the service key in the crate's text notation
//!   ([`ServiceKey`](crate::ServiceKey)'s `Display`): `tcp:10.0.0.1:80`,
//!   `udp:[2001:db8::1]:53`, `sctp:10.0.0.1:3868`, `fwmark:5` (IPv4),
//!   `fwmark6:5` (IPv6). One label for every kind of key: the text reads
//!   back to the key, so two services never share it (a firewall mark used
//!   for IPv4 and for IPv6 gives `fwmark:5` and `fwmark6:5`), and it does
//!   not depend on the listing's order. Split it in a query when needed:
//!   `label_replace(m, "protocol", "$1", "service", "([a-z0-9]+):.*")`.
//! - `server`: on destination series, the real server's `ADDRESS:PORT`
//!   (`10.0.1.1:8080`, `[2001:db8::2]:53`), unique within its service.
//!
//! Label values are escaped by prometheus-client, so a namespace name with
//! quotes or backslashes stays one label.
//!
//! # The cap on series
//!
//! A large table gives many series: 5 per service and 8 per destination
//! (370,000 for 10,000 services of 4 destinations). [`MetricsOptions::max_series`]
//! caps the series of services and destinations: services are taken in
//! key order, each whole with its destinations, and the first one that
//! does not fit is dropped with every one after it, so the same table
//! always keeps the same services. `ipvs_scrape_dropped_series` says how
//! many series were dropped (0 when none).
//!
//! # Example
//!
//! ```
//! use std::time::Duration;
//! use ipvs_netlink::metrics::{encode, MetricsOptions, TableMetrics};
//! use ipvs_netlink::{Destination, DestinationEntry, Scheduler, Service, ServiceEntry, Stats};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut web = ServiceEntry::new(Service::new("tcp:10.0.0.1:80".parse()?, Scheduler::RoundRobin));
//! web.stats64 = Some(Stats { conns: 3, in_bytes: 1200, ..Stats::default() });
//! let mut server = DestinationEntry::new(Destination::new("10.0.1.1:8080".parse()?).weight(2));
//! server.active_conns = 1;
//! let table = vec![(web, vec![server])];
//!
//! let metrics = TableMetrics::new(&table, &MetricsOptions::new().netns("blue"));
//! let scrape = encode(metrics, true, || Duration::from_millis(5))?;
//! let text = scrape.text;
//! assert!(text.contains("ipvs_service_connections_total{netns=\"blue\",service=\"tcp:10.0.0.1:80\"} 3\n"));
//! assert!(text.contains(
//!     "ipvs_destination_weight{netns=\"blue\",service=\"tcp:10.0.0.1:80\",server=\"10.0.1.1:8080\"} 2\n"
//! ));
//! assert!(text.contains("ipvs_scrape_duration_seconds{netns=\"blue\"} 0.005\n"));
//! assert!(text.ends_with("# EOF\n"));
//! # Ok(()) }
//! ```

mod exposition;
mod options;
mod table;
#[cfg(test)]
mod tests;

pub use exposition::{encode, Scrape, CONTENT_TYPE};
pub use options::MetricsOptions;
pub use table::TableMetrics;

//! The metrics of a table listing: a prometheus-client [`Collector`] that
//! writes each service's and destination's counters and gauges straight
//! from the listing.

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;

use super::MetricsOptions;
use crate::model::{DestinationEntry, ServiceEntry, Stats};

/// Series per service with counters: connections, packets and bytes in
/// and out.
const COUNTERS: usize = 5;
/// Series per destination besides its counters: active and inactive
/// connections, weight.
const DEST_GAUGES: usize = 3;

/// A series of each service or destination: its name after the
/// `ipvs_service_` or `ipvs_destination_` prefix, its help, and how it is
/// read from a row `R`.
struct Field<R, V> {
    name: &'static str,
    help: &'static str,
    read: fn(&R) -> V,
}

/// The counters of [`Stats`].
const COUNTER_FIELDS: [Field<Stats, u64>; COUNTERS] = [
    Field {
        name: "connections",
        help: "Connections scheduled since the last zero.",
        read: |s| s.conns,
    },
    Field {
        name: "in_packets",
        help: "Packets in since the last zero.",
        read: |s| s.in_packets,
    },
    Field {
        name: "out_packets",
        help: "Packets out since the last zero.",
        read: |s| s.out_packets,
    },
    Field {
        name: "in_bytes",
        help: "Bytes in since the last zero.",
        read: |s| s.in_bytes,
    },
    Field {
        name: "out_bytes",
        help: "Bytes out since the last zero.",
        read: |s| s.out_bytes,
    },
];

/// The gauges of a destination besides its counters.
const DEST_GAUGE_FIELDS: [Field<DestRow, u32>; DEST_GAUGES] = [
    Field {
        name: "active_connections",
        help: "Active connections (TCP: established).",
        read: |d| d.active,
    },
    Field {
        name: "inactive_connections",
        help: "Inactive connections (TCP: not established, UDP: all).",
        read: |d| d.inactive,
    },
    Field {
        name: "weight",
        help: "Weight (0: quiesced, no new connections).",
        read: |d| d.weight,
    },
];

/// The labels of a series from all it may have, `netns` first: without
/// it when the caller named no namespace (Prometheus reads an empty label
/// as none, and each label costs a fifth of the encoding).
pub(super) fn labels<'a>(all: &'a [(&'static str, &'a str)]) -> &'a [(&'static str, &'a str)] {
    match all.split_first() {
        Some((("netns", ""), rest)) => rest,
        _ => all,
    }
}

/// A service as its series need it: the `service` label's text, made once.
#[derive(Debug)]
struct ServiceRow {
    service: String,
    counters: Option<Stats>,
    dests: Vec<DestRow>,
}

/// A destination as its series need it.
#[derive(Debug)]
struct DestRow {
    server: String,
    counters: Option<Stats>,
    active: u32,
    inactive: u32,
    weight: u32,
}

impl ServiceRow {
    /// The row of a service, its destinations sorted by address.
    fn new(service: &ServiceEntry, dests: &[DestinationEntry]) -> Self {
        let mut sorted: Vec<&DestinationEntry> = dests.iter().collect();
        sorted.sort_unstable_by_key(|d| d.dest.addr);
        Self {
            service: service.service.key.to_string(),
            counters: service.counters(),
            dests: sorted
                .into_iter()
                .map(|d| DestRow {
                    server: d.dest.addr.to_string(),
                    counters: d.counters(),
                    active: d.active_conns,
                    inactive: d.inactive_conns,
                    weight: d.dest.weight,
                })
                .collect(),
        }
    }
}

/// The series a service and its destinations write.
fn series_of(service: &ServiceEntry, dests: &[DestinationEntry]) -> usize {
    let counters = |c: Option<Stats>| if c.is_some() { COUNTERS } else { 0 };
    counters(service.counters())
        + dests
            .iter()
            .map(|d| counters(d.counters()) + DEST_GAUGES)
            .sum::<usize>()
}

/// The metrics of a table listing, as a prometheus-client [`Collector`]:
/// register it in a [`Registry`](prometheus_client::registry::Registry), or
/// let [`encode`](super::encode) write a whole exposition.
///
/// The services are sorted by key and each one's destinations by
/// address, so that the series come in the same order whatever the
/// listing's order, and the cap
/// ([`MetricsOptions::max_series`]) keeps the first services in that order
/// that fit, each whole (its counters and all its destinations' series),
/// and drops the first one that does not fit and every one after it.
/// A service or destination listed without counters writes no counter
/// series (the kernel always sends them).
#[derive(Debug)]
pub struct TableMetrics {
    netns: String,
    kept: Vec<ServiceRow>,
    series: usize,
    dropped_services: usize,
    dropped_series: usize,
}

impl TableMetrics {
    /// The metrics of `table` (a [`list_table`](crate::Handle::list_table)
    /// or [`list_table_consistent`](crate::Handle::list_table_consistent)
    /// listing).
    pub fn new(table: &[(ServiceEntry, Vec<DestinationEntry>)], options: &MetricsOptions) -> Self {
        let mut order: Vec<&(ServiceEntry, Vec<DestinationEntry>)> = table.iter().collect();
        order.sort_unstable_by_key(|(s, _)| s.service.key);
        // The first service that does not fit, and the series before it.
        let mut series = 0usize;
        let fit = order
            .iter()
            .position(|(s, d)| {
                let more = series_of(s, d);
                let over = more > options.max_series - series;
                if !over {
                    series += more;
                }
                over
            })
            .unwrap_or(order.len());
        let (kept, dropped) = order.split_at(fit);
        Self {
            netns: options.netns.clone(),
            kept: kept.iter().map(|(s, d)| ServiceRow::new(s, d)).collect(),
            series,
            dropped_services: dropped.len(),
            dropped_series: dropped.iter().map(|(s, d)| series_of(s, d)).sum(),
        }
    }

    /// The value of its `netns` label.
    pub fn netns(&self) -> &str {
        &self.netns
    }

    /// The series of services and destinations it writes.
    pub fn series(&self) -> usize {
        self.series
    }

    /// The services it writes.
    pub fn services(&self) -> usize {
        self.kept.len()
    }

    /// The series the cap dropped.
    pub fn dropped_series(&self) -> usize {
        self.dropped_series
    }

    /// The services the cap dropped (with all their destinations).
    pub fn dropped_services(&self) -> usize {
        self.dropped_services
    }
}

impl Collector for TableMetrics {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let netns = self.netns.as_str();
        for field in &COUNTER_FIELDS {
            let name = format!("ipvs_service_{}", field.name);
            let mut metric =
                encoder.encode_descriptor(&name, field.help, None, MetricType::Counter)?;
            for row in &self.kept {
                if let Some(stats) = &row.counters {
                    let all = [("netns", netns), ("service", row.service.as_str())];
                    metric
                        .encode_family(&labels(&all))?
                        .encode_counter::<NoLabelSet, u64, u64>(&(field.read)(stats), None)?;
                }
            }
        }
        for field in &COUNTER_FIELDS {
            let name = format!("ipvs_destination_{}", field.name);
            let mut metric =
                encoder.encode_descriptor(&name, field.help, None, MetricType::Counter)?;
            for row in &self.kept {
                for dest in &row.dests {
                    if let Some(stats) = &dest.counters {
                        let all = [
                            ("netns", netns),
                            ("service", row.service.as_str()),
                            ("server", dest.server.as_str()),
                        ];
                        metric
                            .encode_family(&labels(&all))?
                            .encode_counter::<NoLabelSet, u64, u64>(&(field.read)(stats), None)?;
                    }
                }
            }
        }
        for field in &DEST_GAUGE_FIELDS {
            let name = format!("ipvs_destination_{}", field.name);
            let mut metric =
                encoder.encode_descriptor(&name, field.help, None, MetricType::Gauge)?;
            for row in &self.kept {
                for dest in &row.dests {
                    let all = [
                        ("netns", netns),
                        ("service", row.service.as_str()),
                        ("server", dest.server.as_str()),
                    ];
                    metric
                        .encode_family(&labels(&all))?
                        .encode_gauge(&(field.read)(dest))?;
                }
            }
        }
        Ok(())
    }
}

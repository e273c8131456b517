//! The encoder against tables built here: exact text, unique labels, the
//! cap.

use std::collections::BTreeSet;
use std::time::Duration;

use super::*;
use crate::model::{
    Destination, DestinationEntry, Family, Protocol, Scheduler, Service, ServiceEntry, ServiceKey,
    Stats,
};

type Table = Vec<(ServiceEntry, Vec<DestinationEntry>)>;

fn stats(n: u64) -> Stats {
    Stats {
        conns: n,
        in_packets: 10 * n,
        out_packets: 20 * n,
        in_bytes: 1000 * n,
        out_bytes: 2000 * n,
        cps: 7,
        ..Stats::default()
    }
}

fn entry(key: &str, n: u64) -> ServiceEntry {
    let mut e = ServiceEntry::new(Service::new(key.parse().unwrap(), Scheduler::RoundRobin));
    e.stats64 = Some(stats(n));
    e
}

fn dest(addr: &str, n: u64) -> DestinationEntry {
    let mut d = DestinationEntry::new(Destination::new(addr.parse().unwrap()).weight(n as u32));
    d.active_conns = n as u32;
    d.inactive_conns = 2 * n as u32;
    d.stats64 = Some(stats(n));
    d
}

/// The series lines of an exposition: name and labels, without the value.
fn series(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.rsplit_once(' ').unwrap().0)
        .collect()
}

fn text(table: &Table, options: &MetricsOptions) -> String {
    encode(TableMetrics::new(table, options), true, || Duration::ZERO)
        .unwrap()
        .text
}

#[test]
fn a_small_table_gives_exactly_this_text() {
    let mut fwmark = entry("fwmark6:7", 0);
    fwmark.stats64 = None;
    fwmark.stats = Some(stats(1));
    let table = vec![
        (entry("tcp:10.0.0.1:80", 3), vec![dest("10.0.1.1:8080", 1)]),
        (fwmark, vec![]),
    ];
    let options = MetricsOptions::new().netns("a\"b");
    let scrape = encode(TableMetrics::new(&table, &options), false, || {
        Duration::from_millis(1500)
    })
    .unwrap();
    let svc = r#"netns="a\"b",service="tcp:10.0.0.1:80""#;
    let fw = r#"netns="a\"b",service="fwmark6:7""#;
    let dst = r#"netns="a\"b",service="tcp:10.0.0.1:80",server="10.0.1.1:8080""#;
    let expected = format!(
        "# HELP ipvs_service_connections Connections scheduled since the last zero.
# TYPE ipvs_service_connections counter
ipvs_service_connections_total{{{svc}}} 3
ipvs_service_connections_total{{{fw}}} 1
# HELP ipvs_service_in_packets Packets in since the last zero.
# TYPE ipvs_service_in_packets counter
ipvs_service_in_packets_total{{{svc}}} 30
ipvs_service_in_packets_total{{{fw}}} 10
# HELP ipvs_service_out_packets Packets out since the last zero.
# TYPE ipvs_service_out_packets counter
ipvs_service_out_packets_total{{{svc}}} 60
ipvs_service_out_packets_total{{{fw}}} 20
# HELP ipvs_service_in_bytes Bytes in since the last zero.
# TYPE ipvs_service_in_bytes counter
ipvs_service_in_bytes_total{{{svc}}} 3000
ipvs_service_in_bytes_total{{{fw}}} 1000
# HELP ipvs_service_out_bytes Bytes out since the last zero.
# TYPE ipvs_service_out_bytes counter
ipvs_service_out_bytes_total{{{svc}}} 6000
ipvs_service_out_bytes_total{{{fw}}} 2000
# HELP ipvs_destination_connections Connections scheduled since the last zero.
# TYPE ipvs_destination_connections counter
ipvs_destination_connections_total{{{dst}}} 1
# HELP ipvs_destination_in_packets Packets in since the last zero.
# TYPE ipvs_destination_in_packets counter
ipvs_destination_in_packets_total{{{dst}}} 10
# HELP ipvs_destination_out_packets Packets out since the last zero.
# TYPE ipvs_destination_out_packets counter
ipvs_destination_out_packets_total{{{dst}}} 20
# HELP ipvs_destination_in_bytes Bytes in since the last zero.
# TYPE ipvs_destination_in_bytes counter
ipvs_destination_in_bytes_total{{{dst}}} 1000
# HELP ipvs_destination_out_bytes Bytes out since the last zero.
# TYPE ipvs_destination_out_bytes counter
ipvs_destination_out_bytes_total{{{dst}}} 2000
# HELP ipvs_destination_active_connections Active connections (TCP: established).
# TYPE ipvs_destination_active_connections gauge
ipvs_destination_active_connections{{{dst}}} 1
# HELP ipvs_destination_inactive_connections Inactive connections (TCP: not established, UDP: all).
# TYPE ipvs_destination_inactive_connections gauge
ipvs_destination_inactive_connections{{{dst}}} 2
# HELP ipvs_destination_weight Weight (0: quiesced, no new connections).
# TYPE ipvs_destination_weight gauge
ipvs_destination_weight{{{dst}}} 1
# HELP ipvs_scrape_consistent Whether the listing was consistent: 1, or 0 when the table kept changing and a plain listing (which may skip services) was used.
# TYPE ipvs_scrape_consistent gauge
ipvs_scrape_consistent{{netns=\"a\\\"b\"}} 0
# HELP ipvs_scrape_series Series of services and destinations written.
# TYPE ipvs_scrape_series gauge
ipvs_scrape_series{{netns=\"a\\\"b\"}} 18
# HELP ipvs_scrape_dropped_series Series of services and destinations dropped by the cap on series.
# TYPE ipvs_scrape_dropped_series gauge
ipvs_scrape_dropped_series{{netns=\"a\\\"b\"}} 0
# HELP ipvs_scrape_duration_seconds Time taken by the scrape: the listing and the encoding of the table's metrics.
# TYPE ipvs_scrape_duration_seconds gauge
ipvs_scrape_duration_seconds{{netns=\"a\\\"b\"}} 1.5
# EOF
"
    );
    assert_eq!(scrape.text, expected);
    assert_eq!(
        (scrape.services, scrape.series, scrape.dropped_series),
        (2, 18, 0)
    );
    assert!(!scrape.consistent);
    assert_eq!(scrape.duration, Duration::from_millis(1500));
}

/// A service of every kind of key, with keys that differ in one part only
/// (the family of a mark, the protocol, the port), and the same real
/// servers behind several services.
fn every_kind() -> Table {
    let keys = [
        "tcp:10.0.0.1:80",
        "tcp:10.0.0.1:81",
        "udp:10.0.0.1:80",
        "sctp:10.0.0.1:80",
        "tcp:[2001:db8::1]:80",
        "udp:[2001:db8::1]:80",
        "sctp:[2001:db8::1]:80",
        "proto47:10.0.0.1:0",
        "fwmark:5",
        "fwmark6:5",
        "fwmark:4294967295",
    ];
    keys.iter()
        .zip(1..)
        .map(|(key, n)| {
            let six = key.contains('[') || key.starts_with("fwmark6");
            let dests = if six {
                vec![dest("[2001:db8::2]:80", n), dest("[2001:db8::2]:81", n)]
            } else {
                vec![dest("10.0.1.1:80", n), dest("10.0.1.1:81", n)]
            };
            (entry(key, n), dests)
        })
        .collect()
}

#[test]
fn every_series_has_its_own_labels_and_they_read_back_to_the_key() {
    let table = every_kind();
    let kinds: BTreeSet<(bool, Family, Option<Protocol>)> = table
        .iter()
        .map(|(s, _)| {
            let k = s.service.key;
            let protocol = match k {
                ServiceKey::Addr { protocol, .. } => Some(protocol),
                ServiceKey::FwMark { .. } => None,
            };
            (k.is_fwmark(), k.family(), protocol)
        })
        .collect();
    assert_eq!(kinds.len(), 9, "{kinds:?}");
    let text = text(&table, &MetricsOptions::new().netns("blue"));
    let lines = series(&text);
    let unique: BTreeSet<&str> = lines.iter().copied().collect();
    assert_eq!(unique.len(), lines.len(), "a label set twice:\n{text}");
    // 11 services, 22 destinations, and the scrape's own 4.
    assert_eq!(lines.len(), 11 * 5 + 22 * 8 + 4);
    // Each service's label is its key, read back.
    let services: BTreeSet<ServiceKey> = lines
        .iter()
        .filter(|l| l.starts_with("ipvs_service_connections_total{"))
        .map(|l| {
            let label = l.split("service=\"").nth(1).unwrap();
            label.split('"').next().unwrap().parse().unwrap()
        })
        .collect();
    let listed: BTreeSet<ServiceKey> = table.iter().map(|(s, _)| s.service.key).collect();
    assert_eq!(services, listed);
}

#[test]
fn the_cap_keeps_whole_services_in_key_order_and_counts_the_rest() {
    let table = every_kind();
    let per_service = 5 + 2 * 8;
    let all = TableMetrics::new(&table, &MetricsOptions::new());
    assert_eq!(all.series(), 11 * per_service);
    assert_eq!((all.dropped_series(), all.dropped_services()), (0, 0));
    let mut keys: Vec<ServiceKey> = table.iter().map(|(s, _)| s.service.key).collect();
    keys.sort();
    for cap in [0, 1, per_service - 1, per_service, 3 * per_service + 5] {
        let kept = cap / per_service;
        let options = MetricsOptions::new().max_series(cap);
        let m = TableMetrics::new(&table, &options);
        assert_eq!(m.series(), kept * per_service, "cap {cap}");
        assert_eq!(m.services(), kept);
        assert_eq!(m.dropped_services(), 11 - kept);
        assert_eq!(m.dropped_series(), (11 - kept) * per_service);
        // The same text whatever the listing's order.
        let mut reversed = table.clone();
        reversed.reverse();
        reversed.iter_mut().for_each(|(_, d)| d.reverse());
        let text = text(&table, &options);
        assert_eq!(text, self::text(&reversed, &options));
        let written: BTreeSet<&str> = series(&text)
            .into_iter()
            .filter_map(|l| l.split("service=\"").nth(1))
            .map(|l| l.split('"').next().unwrap())
            .collect();
        let first: BTreeSet<String> = keys[..kept].iter().map(|k| k.to_string()).collect();
        assert_eq!(
            written,
            first.iter().map(String::as_str).collect(),
            "cap {cap}"
        );
        let dropped = (11 - kept) * per_service;
        assert!(
            text.contains(&format!("ipvs_scrape_dropped_series {dropped}\n")),
            "{text}"
        );
    }
}

#[test]
fn entries_without_counters_write_only_their_gauges() {
    let mut s = entry("udp:10.0.0.1:53", 1);
    s.stats64 = None;
    let mut d = dest("10.0.1.1:53", 4);
    d.stats64 = None;
    let table = vec![(s, vec![d])];
    let m = TableMetrics::new(&table, &MetricsOptions::new());
    assert_eq!(m.series(), 3);
    let text = text(&table, &MetricsOptions::new());
    assert_eq!(series(&text).len(), 3 + 4, "{text}");
    assert!(text.contains(
        "ipvs_destination_weight{service=\"udp:10.0.0.1:53\",server=\"10.0.1.1:53\"} 4\n"
    ));
}

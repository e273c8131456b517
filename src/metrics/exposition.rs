//! A whole exposition: the table's metrics, then the scrape's own, then
//! `# EOF`.

use std::time::Duration;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::text::{encode_eof, encode_registry};
use prometheus_client::encoding::DescriptorEncoder;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;

use super::table::labels;
use super::TableMetrics;

/// The `Content-Type` of an exposition ([`Scrape::text`]): the OpenMetrics
/// text format, which Prometheus reads.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The result of a scrape: the exposition and what it holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Scrape {
    /// The OpenMetrics text, ending in `# EOF`.
    pub text: String,
    /// Whether the listing was consistent (`ipvs_scrape_consistent`).
    pub consistent: bool,
    /// The services written.
    pub services: usize,
    /// The series of services and destinations written
    /// (`ipvs_scrape_series`).
    pub series: usize,
    /// The series the cap dropped (`ipvs_scrape_dropped_series`).
    pub dropped_series: usize,
    /// The scrape's duration (`ipvs_scrape_duration_seconds`).
    pub duration: Duration,
}

/// What the scrape says about itself, as gauges.
#[derive(Debug)]
struct ScrapeSelf {
    netns: String,
    consistent: bool,
    series: usize,
    dropped_series: usize,
    duration: Duration,
}

impl Collector for ScrapeSelf {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let all = [("netns", self.netns.as_str())];
        let labels = labels(&all);
        let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        let gauges: [(&str, &str, i64); 3] = [
            (
                "ipvs_scrape_consistent",
                "Whether the listing was consistent: 1, or 0 when the table kept changing and a plain listing (which may skip services) was used.",
                i64::from(self.consistent),
            ),
            (
                "ipvs_scrape_series",
                "Series of services and destinations written.",
                count(self.series),
            ),
            (
                "ipvs_scrape_dropped_series",
                "Series of services and destinations dropped by the cap on series.",
                count(self.dropped_series),
            ),
        ];
        for (name, help, value) in gauges {
            encoder
                .encode_descriptor(name, help, None, MetricType::Gauge)?
                .encode_family(&labels)?
                .encode_gauge(&value)?;
        }
        encoder
            .encode_descriptor(
                "ipvs_scrape_duration_seconds",
                "Time taken by the scrape: the listing and the encoding of the table's metrics.",
                None,
                MetricType::Gauge,
            )?
            .encode_family(&labels)?
            .encode_gauge(&self.duration.as_secs_f64())
    }
}

/// Writes `table` as one exposition, its own series after the table's:
/// `ipvs_scrape_consistent` (from `consistent`), `ipvs_scrape_series`,
/// `ipvs_scrape_dropped_series` and `ipvs_scrape_duration_seconds`, the
/// value `elapsed` returns once the table's metrics are written (so that a
/// scrape can count its encoding), then `# EOF`. Fails only when a metric
/// cannot be written, which writing to a `String` never causes.
pub fn encode(
    table: TableMetrics,
    consistent: bool,
    elapsed: impl FnOnce() -> Duration,
) -> Result<Scrape, std::fmt::Error> {
    let netns = table.netns().to_owned();
    let (services, series, dropped_series) =
        (table.services(), table.series(), table.dropped_series());
    // About 110 bytes a series with IPv4 keys.
    let mut text = String::with_capacity(series.saturating_mul(110).saturating_add(2048));
    let mut registry = Registry::default();
    registry.register_collector(Box::new(table));
    encode_registry(&mut text, &registry)?;
    let duration = elapsed();
    let mut own = Registry::default();
    own.register_collector(Box::new(ScrapeSelf {
        netns,
        consistent,
        series,
        dropped_series,
        duration,
    }));
    encode_registry(&mut text, &own)?;
    encode_eof(&mut text)?;
    Ok(Scrape {
        text,
        consistent,
        services,
        series,
        dropped_series,
        duration,
    })
}

//! The handles' scrape: a table listing encoded as Prometheus metrics
//! ([`crate::metrics`], feature `prometheus`).

use std::time::Instant;

use super::async_handle::AsyncHandle;
use super::block_on::block_on;
use super::{Handle, Transport};
use crate::error::{Error, ErrorKind, Operation, Result};
use crate::metrics::{encode, MetricsOptions, Scrape, TableMetrics};
use crate::model::{DestinationEntry, ServiceEntry};

/// Service dumps a scrape's consistent listing may take before it falls
/// back to a plain listing.
const LISTING_ATTEMPTS: u32 = 3;

/// Whether a consistent listing failed only because the table kept changing.
fn kept_changing(e: &Error) -> bool {
    matches!(e.kind(), ErrorKind::Inconsistent(_))
}

/// Encodes a listing that started at `started`, counting the encoding of
/// the table's metrics in the scrape's duration.
fn finish(
    table: &[(ServiceEntry, Vec<DestinationEntry>)],
    consistent: bool,
    options: &MetricsOptions,
    started: Instant,
) -> Result<Scrape> {
    encode(TableMetrics::new(table, options), consistent, || {
        started.elapsed()
    })
    .map_err(|_| Error::new(Operation::Scrape, ErrorKind::MetricsText))
}

impl Handle {
    /// Lists the table and encodes it as Prometheus metrics (see
    /// [`crate::metrics`]): a [consistent
    /// listing](Self::list_table_consistent) of at most 3 service dumps;
    /// when the table kept changing through all of them, a plain
    /// [`list_table`](Self::list_table) instead (which may have skipped a
    /// service), with `ipvs_scrape_consistent` 0 and
    /// [`Scrape::consistent`] false. Any other listing error is returned.
    /// The duration (`ipvs_scrape_duration_seconds`) runs from the start
    /// of the listing to the end of the table's metrics.
    pub fn scrape(&mut self, options: &MetricsOptions) -> Result<Scrape> {
        block_on(self.inner.scrape(options))
    }
}

#[cfg_attr(not(any(feature = "tokio", feature = "smol")), allow(unreachable_pub))]
impl<T: Transport> AsyncHandle<T> {
    /// Lists the table and encodes it as Prometheus metrics, as the
    /// blocking [`Handle::scrape`] does.
    pub async fn scrape(&mut self, options: &MetricsOptions) -> Result<Scrape> {
        let started = Instant::now();
        let (table, consistent) = match self.list_table_consistent(LISTING_ATTEMPTS).await {
            Ok(table) => (table, true),
            Err(e) if kept_changing(&e) => (self.list_table().await?, false),
            Err(e) => return Err(e),
        };
        finish(&table, consistent, options, started)
    }
}

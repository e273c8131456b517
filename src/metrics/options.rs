//! What the caller decides about a table's metrics: the namespace label and
//! the cap on series.

/// Settings of a table's metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricsOptions {
    /// The value of the `netns` label on every series (the namespace's
    /// name, as the caller wants it shown). Empty by default, and then no
    /// series has the label (an empty label is no label to Prometheus).
    pub netns: String,
    /// The most series of services and destinations to write (no cap by
    /// default). Services go in key order, each whole with its
    /// destinations; the first service that does not fit and every one
    /// after it are dropped, and `ipvs_scrape_dropped_series` says how
    /// many series that was. The scrape's own series are not counted.
    pub max_series: usize,
}

impl Default for MetricsOptions {
    fn default() -> Self {
        Self {
            netns: String::new(),
            max_series: usize::MAX,
        }
    }
}

impl MetricsOptions {
    /// No cap, an empty `netns` label.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the value of the `netns` label.
    pub fn netns(mut self, netns: impl Into<String>) -> Self {
        self.netns = netns.into();
        self
    }

    /// Caps the series of services and destinations at `max_series`.
    pub fn max_series(mut self, max_series: usize) -> Self {
        self.max_series = max_series;
        self
    }
}

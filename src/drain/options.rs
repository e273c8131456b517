//! How long a drain may take and how often it looks.

use std::time::Duration;

/// Settings of a drain: a deadline after which the destination is deleted
/// anyway, and how often the connection counts are read.
///
/// ```
/// use std::time::Duration;
/// use ipvs_netlink::drain::DrainOptions;
///
/// let options = DrainOptions::new()
///     .deadline(Duration::from_secs(60))
///     .poll_interval(Duration::from_millis(500));
/// assert_eq!(options.deadline, Duration::from_secs(60));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct DrainOptions {
    /// How long after the weight was set to 0 the destination is deleted
    /// even with connections left (default 300 s, the default UDP timeout).
    pub deadline: Duration,
    /// Pause between two readings of the connection counts (default 1 s);
    /// must be above 0.
    pub poll_interval: Duration,
}

impl Default for DrainOptions {
    fn default() -> Self {
        Self {
            deadline: Duration::from_secs(300),
            poll_interval: Duration::from_secs(1),
        }
    }
}

impl DrainOptions {
    /// The defaults: a 300 s deadline, a reading every second.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the deadline ([`Duration::MAX`] for none).
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// Sets the pause between readings.
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }
}

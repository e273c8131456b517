//! What a drain saw and how it ended.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use super::DrainWarning;
use crate::model::{DestinationEntry, ServiceKey};

/// A destination to drain: its service and its address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DrainTarget {
    /// The service.
    pub service: ServiceKey,
    /// The destination's address and port.
    pub addr: SocketAddr,
}

impl DrainTarget {
    /// The destination `addr` of `service`.
    pub fn new(service: ServiceKey, addr: SocketAddr) -> Self {
        Self { service, addr }
    }
}

impl fmt::Display for DrainTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} of {}", self.addr, self.service)
    }
}

/// The connections the kernel counts for a destination.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct ConnectionCounts {
    /// Active connections (established TCP and SCTP).
    pub active: u32,
    /// Inactive connections (opening or closing TCP and SCTP, every UDP
    /// entry).
    pub inactive: u32,
    /// Persistence templates (persistent services).
    pub persistent: u32,
}

impl ConnectionCounts {
    /// The counts of a listed destination.
    pub fn of(entry: &DestinationEntry) -> Self {
        Self {
            active: entry.active_conns,
            inactive: entry.inactive_conns,
            persistent: entry.persist_conns,
        }
    }

    /// Whether nothing is left: no connection and no template.
    pub fn is_zero(&self) -> bool {
        *self == Self::default()
    }
}

impl fmt::Display for ConnectionCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "active {} inactive {} persistent {}",
            self.active, self.inactive, self.persistent
        )
    }
}

/// One reading of a destination's connections during a drain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DrainSample {
    /// The destination.
    pub target: DrainTarget,
    /// Time since its weight was set to 0.
    pub elapsed: Duration,
    /// Its weight as listed (0 unless someone raised it meanwhile).
    pub weight: u32,
    /// Its connections.
    pub counts: ConnectionCounts,
}

/// How a drain ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DrainOutcome {
    /// Its connections ended, then it was deleted.
    Drained,
    /// The deadline passed with connections left (the last reading's), and
    /// it was deleted anyway.
    Forced {
        /// What the last reading counted.
        remaining: ConnectionCounts,
    },
    /// It disappeared before the drain deleted it (deleted by someone else,
    /// or its service was).
    Gone,
}

/// What a drain did for one destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrainReport {
    /// The destination.
    pub target: DrainTarget,
    /// How it ended.
    pub outcome: DrainOutcome,
    /// From its weight set to 0 to its deletion.
    pub duration: Duration,
    /// Every reading of its connections, in order.
    pub samples: Vec<DrainSample>,
    /// The traps that apply to it (read before the drain began).
    pub warnings: Vec<DrainWarning>,
}

impl DrainReport {
    /// Whether it was deleted at the deadline with connections left.
    pub fn is_forced(&self) -> bool {
        matches!(self.outcome, DrainOutcome::Forced { .. })
    }
}

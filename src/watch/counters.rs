//! Counter deltas and rates between two listings, and counter resets.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use super::diff::{by_key, Index, Table};
use super::error::WatchError;
use crate::model::{ServiceKey, Stats};

/// The five cumulative counters of a service or destination (the
/// estimator's rates left out), or how much each grew.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Counters {
    /// Connections scheduled.
    pub conns: u64,
    /// Packets in.
    pub in_packets: u64,
    /// Packets out.
    pub out_packets: u64,
    /// Bytes in.
    pub in_bytes: u64,
    /// Bytes out.
    pub out_bytes: u64,
}

impl Counters {
    /// The cumulative counters of a listing's [`Stats`].
    pub fn of(stats: &Stats) -> Self {
        Self {
            conns: stats.conns,
            in_packets: stats.in_packets,
            out_packets: stats.out_packets,
            in_bytes: stats.in_bytes,
            out_bytes: stats.out_bytes,
        }
    }

    /// How much each counter grew from `self` to `later`, or `None` when
    /// any went down (the counters were reset meanwhile).
    pub fn growth_to(&self, later: &Self) -> Option<Self> {
        Some(Self {
            conns: later.conns.checked_sub(self.conns)?,
            in_packets: later.in_packets.checked_sub(self.in_packets)?,
            out_packets: later.out_packets.checked_sub(self.out_packets)?,
            in_bytes: later.in_bytes.checked_sub(self.in_bytes)?,
            out_bytes: later.out_bytes.checked_sub(self.out_bytes)?,
        })
    }
}

/// Counter growth per second over an interval.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Rates {
    /// Connections per second.
    pub conns: f64,
    /// Packets in per second.
    pub in_packets: f64,
    /// Packets out per second.
    pub out_packets: f64,
    /// Bytes in per second.
    pub in_bytes: f64,
    /// Bytes out per second.
    pub out_bytes: f64,
}

impl Rates {
    /// `growth` over `elapsed`; `None` when `elapsed` is 0.
    pub fn over(growth: &Counters, elapsed: Duration) -> Option<Self> {
        if elapsed.is_zero() {
            return None;
        }
        let secs = elapsed.as_secs_f64();
        let per = |n: u64| n as f64 / secs;
        Some(Self {
            conns: per(growth.conns),
            in_packets: per(growth.in_packets),
            out_packets: per(growth.out_packets),
            in_bytes: per(growth.in_bytes),
            out_bytes: per(growth.out_bytes),
        })
    }
}

/// How a service's or destination's counters moved between two listings.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(
    feature = "serde",
    serde(
        tag = "event",
        rename_all = "kebab-case",
        rename_all_fields = "snake_case"
    )
)]
pub enum CounterChange {
    /// No counter went down: each grew by `growth`, at `rates`.
    #[cfg_attr(feature = "serde", serde(rename = "counters"))]
    Counted {
        /// How much each counter grew.
        growth: Counters,
        /// The growth per second over the interval.
        rates: Rates,
    },
    /// A counter went down: the counters were zeroed meanwhile
    /// ([`Handle::zero`](crate::Handle::zero), `ipvsadm -Z`), or the object
    /// was deleted and added again. The interval has no rate.
    #[cfg_attr(feature = "serde", serde(rename = "counters-reset"))]
    Reset {
        /// The counters at the earlier listing.
        before: Counters,
        /// The counters at the later listing: what was counted since the
        /// reset.
        after: Counters,
    },
}

impl CounterChange {
    /// The change from `before` to `after` over `elapsed` (not 0).
    fn between(before: &Stats, after: &Stats, elapsed: Duration) -> Option<Self> {
        let (before, after) = (Counters::of(before), Counters::of(after));
        Some(match before.growth_to(&after) {
            Some(growth) => Self::Counted {
                growth,
                rates: Rates::over(&growth, elapsed)?,
            },
            None => Self::Reset { before, after },
        })
    }
}

/// How the counters of one service, or of one of its destinations, moved
/// between two listings.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Traffic {
    /// The service.
    pub service: ServiceKey,
    /// The destination, or `None` for the service's own counters.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub destination: Option<SocketAddr>,
    /// How its counters moved.
    #[cfg_attr(feature = "serde", serde(flatten))]
    pub change: CounterChange,
}

impl Traffic {
    /// Whether the counters were reset in the interval.
    pub fn is_reset(&self) -> bool {
        matches!(self.change, CounterChange::Reset { .. })
    }
}

/// The counter changes of every service and destination listed in both
/// `before` and `after`, `elapsed` apart: by service key, each service's
/// own first, then its destinations' by address. An object with no
/// counters in either listing has none (every kernel from 2.6.35 sends
/// them).
///
/// The 64-bit counters (kernels from 4.1) do not wrap, so a counter lower
/// than before was reset: that is a [`CounterChange::Reset`], never a rate.
/// With only the 32-bit counters of older kernels, a connection or packet
/// counter that wrapped shows as a reset too.
///
/// The counters a listing shows are the kernel estimator's sums of its
/// per-CPU counters, taken every 2 s (6.1 and 6.12 alike): over shorter
/// intervals the growth comes in steps (0, then 2 s worth), so rates are
/// exact over intervals of several seconds. With `run_estimation=0` the
/// estimator does not run, so the listed counters stand still as well as
/// its rates: every growth is 0 until it runs again, and then the growth
/// of the whole time shows at once (the kernel tests check both).
///
/// Fails with [`WatchError::TimeNotAdvancing`] when `elapsed` is 0.
pub fn traffic(
    before: &Table,
    after: &Table,
    elapsed: Duration,
) -> Result<Vec<Traffic>, WatchError> {
    if elapsed.is_zero() {
        return Err(WatchError::TimeNotAdvancing {
            behind: Duration::ZERO,
        });
    }
    Ok(traffic_between(&by_key(before), &by_key(after), elapsed))
}

/// [`traffic`] of two indexed tables, `elapsed` (not 0) apart.
pub(super) fn traffic_between(
    before: &Index<'_>,
    after: &Index<'_>,
    elapsed: Duration,
) -> Vec<Traffic> {
    let mut out = Vec::new();
    for (&key, (new, new_dests)) in after {
        let Some((old, old_dests)) = before.get(&key) else {
            continue;
        };
        let mut push = |destination, old: Option<Stats>, new: Option<Stats>| {
            if let Some(change) = old
                .zip(new)
                .and_then(|(old, new)| CounterChange::between(&old, &new, elapsed))
            {
                out.push(Traffic {
                    service: key,
                    destination,
                    change,
                });
            }
        };
        push(None, old.counters(), new.counters());
        for (&addr, d) in new_dests {
            if let Some(o) = old_dests.get(&addr) {
                push(Some(addr), o.counters(), d.counters());
            }
        }
    }
    out
}

impl fmt::Display for Rates {
    /// `2.5 conn/s, 30.0 pkt/s in, 28.0 pkt/s out, 2400 B/s in, 19000 B/s out`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:.1} conn/s, {:.1} pkt/s in, {:.1} pkt/s out, {:.0} B/s in, {:.0} B/s out",
            self.conns, self.in_packets, self.out_packets, self.in_bytes, self.out_bytes
        )
    }
}

impl fmt::Display for Counters {
    /// `conns 3, packets 30 in 28 out, bytes 2400 in 19000 out`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "conns {}, packets {} in {} out, bytes {} in {} out",
            self.conns, self.in_packets, self.out_packets, self.in_bytes, self.out_bytes
        )
    }
}

impl fmt::Display for Traffic {
    /// `tcp:10.0.0.1:80: 2.5 conn/s, ...` or `destination 10.0.1.1:80 of
    /// tcp:10.0.0.1:80: counters reset (now conns 0, ...)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.destination {
            Some(d) => write!(f, "destination {d} of {}: ", self.service)?,
            None => write!(f, "service {}: ", self.service)?,
        }
        match &self.change {
            CounterChange::Counted { rates, .. } => write!(f, "{rates}"),
            CounterChange::Reset { after, .. } => write!(f, "counters reset (now {after})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Destination, DestinationEntry, Scheduler, Service, ServiceEntry};

    fn stats(conns: u64, in_bytes: u64) -> Stats {
        Stats {
            conns,
            in_packets: conns * 10,
            out_packets: conns * 9,
            in_bytes,
            out_bytes: in_bytes * 8,
            // The estimator's figures play no part.
            cps: 12345,
            ..Default::default()
        }
    }

    fn key(port: u16) -> ServiceKey {
        ServiceKey::tcp(SocketAddr::from(([10, 0, 0, 1], port)))
    }

    fn addr(last: u8) -> SocketAddr {
        SocketAddr::from(([10, 0, 1, last], 80))
    }

    /// A service's port and counters, and its destinations' last octets
    /// and counters.
    type Row<'a> = (u16, Stats, &'a [(u8, Stats)]);

    /// A table of one service per row.
    fn table(rows: &[Row<'_>]) -> Vec<(ServiceEntry, Vec<DestinationEntry>)> {
        rows.iter()
            .map(|(port, s, dests)| {
                let mut e = ServiceEntry::new(Service::new(key(*port), Scheduler::RoundRobin));
                e.stats64 = Some(*s);
                let d = dests
                    .iter()
                    .map(|(last, s)| {
                        let mut d = DestinationEntry::new(Destination::new(addr(*last)));
                        d.stats64 = Some(*s);
                        d
                    })
                    .collect();
                (e, d)
            })
            .collect()
    }

    #[test]
    fn growth_over_the_interval_gives_the_rates() {
        let a = table(&[(80, stats(10, 1000), &[(1, stats(4, 400))])]);
        let b = table(&[(80, stats(30, 5000), &[(1, stats(4, 400))])]);
        let t = traffic(&a, &b, Duration::from_secs(4)).unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!((t[0].service, t[0].destination), (key(80), None));
        let CounterChange::Counted { growth, rates } = t[0].change else {
            panic!("{t:?}")
        };
        assert_eq!(
            growth,
            Counters {
                conns: 20,
                in_packets: 200,
                out_packets: 180,
                in_bytes: 4000,
                out_bytes: 32000
            }
        );
        assert_eq!(
            rates,
            Rates {
                conns: 5.0,
                in_packets: 50.0,
                out_packets: 45.0,
                in_bytes: 1000.0,
                out_bytes: 8000.0
            }
        );
        assert_eq!(
            t[0].to_string(),
            "service tcp:10.0.0.1:80: 5.0 conn/s, 50.0 pkt/s in, 45.0 pkt/s out, 1000 B/s in, 8000 B/s out"
        );
        // The destination's counters stood still: a rate of 0, not a reset.
        assert_eq!(t[1].destination, Some(addr(1)));
        assert_eq!(
            t[1].change,
            CounterChange::Counted {
                growth: Counters::default(),
                rates: Rates::default()
            }
        );
        assert!(!t[1].is_reset());
    }

    #[test]
    fn a_counter_lower_than_before_is_a_reset_never_a_rate() {
        let a = table(&[(
            80,
            stats(10, 1000),
            &[(1, stats(4, 400)), (2, stats(6, 600))],
        )]);
        // Zeroed, then a little traffic again on one destination.
        let b = table(&[(80, stats(1, 50), &[(1, stats(0, 0)), (2, stats(1, 50))])]);
        let t = traffic(&a, &b, Duration::from_millis(200)).unwrap();
        assert_eq!(t.len(), 3);
        assert!(t.iter().all(Traffic::is_reset), "{t:?}");
        assert_eq!(
            t[2].change,
            CounterChange::Reset {
                before: Counters::of(&stats(6, 600)),
                after: Counters::of(&stats(1, 50))
            }
        );
        assert_eq!(
            t[1].to_string(),
            "destination 10.0.1.1:80 of tcp:10.0.0.1:80: counters reset \
             (now conns 0, packets 0 in 0 out, bytes 0 in 0 out)"
        );
        // One counter down is enough, even with the others up.
        let mut s = stats(10, 1000);
        s.out_bytes -= 1;
        s.conns += 100;
        let c = table(&[(80, s, &[])]);
        let t = traffic(&a, &c, Duration::from_secs(1)).unwrap();
        assert!(t[0].is_reset(), "{t:?}");
    }

    #[test]
    fn only_objects_in_both_listings_count() {
        let a = table(&[
            (80, stats(1, 1), &[(1, stats(1, 1))]),
            (81, stats(1, 1), &[]),
        ]);
        let b = table(&[
            (80, stats(2, 2), &[(2, stats(1, 1))]),
            (82, stats(1, 1), &[]),
        ]);
        let t = traffic(&a, &b, Duration::from_secs(1)).unwrap();
        assert_eq!(t.len(), 1, "{t:?}");
        assert_eq!((t[0].service, t[0].destination), (key(80), None));
        // No counters at all: no entry.
        let mut bare = a.clone();
        bare[0].0.stats64 = None;
        let t = traffic(&bare, &a, Duration::from_secs(1)).unwrap();
        assert_eq!(t.len(), 2, "{t:?}");
        assert_eq!(t[0].destination, Some(addr(1)));
        // The 32-bit counters serve when there are no 64-bit ones.
        bare[0].0.stats = Some(stats(0, 0));
        assert_eq!(traffic(&bare, &a, Duration::from_secs(1)).unwrap().len(), 3);
    }

    #[test]
    fn no_time_between_listings_is_refused() {
        let a = table(&[(80, stats(1, 1), &[])]);
        assert_eq!(
            traffic(&a, &a, Duration::ZERO),
            Err(WatchError::TimeNotAdvancing {
                behind: Duration::ZERO
            })
        );
        assert_eq!(Rates::over(&Counters::default(), Duration::ZERO), None);
    }

    #[test]
    fn counters_grow_by_the_difference_or_not_at_all() {
        let a = Counters::of(&stats(5, 500));
        assert_eq!(a.growth_to(&a), Some(Counters::default()));
        assert_eq!(
            Counters::of(&stats(4, 500)).growth_to(&a).map(|g| g.conns),
            Some(1)
        );
        assert_eq!(a.growth_to(&Counters::of(&stats(4, 500))), None);
        let max = Counters {
            conns: u64::MAX,
            ..a
        };
        assert_eq!(a.growth_to(&max).map(|g| g.conns), Some(u64::MAX - 5));
    }
}

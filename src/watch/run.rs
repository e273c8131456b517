//! The state of a watch between polls: the last listing, when it was made,
//! and when the next one is due.

use std::time::{Duration, Instant};

use super::counters::{traffic_between, Traffic};
use super::diff::{by_key, events_between, Table};
use super::error::WatchError;
use super::event::TableEvent;
use crate::model::{DestinationEntry, ServiceEntry};

/// What one poll of a watch saw.
#[derive(Debug, Clone, PartialEq)]
pub struct PollReport {
    /// 0 for the first listing (the baseline), then 1, 2, ...
    pub number: u64,
    /// Time since the listing before (`None` for the baseline).
    pub elapsed: Option<Duration>,
    /// How many services the listing held.
    pub services: usize,
    /// How many destinations the listing held, of all services.
    pub destinations: usize,
    /// The configuration changes since the listing before, in
    /// [`diff`](super::diff)'s order (none for the baseline).
    pub events: Vec<TableEvent>,
    /// How the counters of every service and destination listed both times
    /// moved, resets included, in [`traffic`](super::traffic)'s order (none
    /// for the baseline).
    pub traffic: Vec<Traffic>,
}

impl PollReport {
    /// Whether this is the first listing, which changes are measured from.
    pub fn is_baseline(&self) -> bool {
        self.number == 0
    }

    /// The counter resets seen in this poll.
    pub fn resets(&self) -> impl Iterator<Item = &Traffic> {
        self.traffic.iter().filter(|t| t.is_reset())
    }
}

/// A watch without I/O: it takes each listing with the time it was made,
/// returns the [`PollReport`] it makes against the one before, and says
/// when the next listing is due. The handles' watches
/// ([`Handle::watch`](crate::Handle::watch)) drive it; with listings of
/// your own, drive it the same way.
///
/// ```
/// use std::time::{Duration, Instant};
/// use ipvs_netlink::watch::{TableEvent, WatchRun};
/// use ipvs_netlink::{Scheduler, Service, ServiceEntry, ServiceKey};
///
/// let mut run = WatchRun::new(Duration::from_secs(1)).unwrap();
/// let t0 = Instant::now();
/// assert_eq!(run.pause(t0), Duration::ZERO); // the baseline is due at once
/// let baseline = run.observe(t0, Vec::new()).unwrap();
/// assert!(baseline.is_baseline() && baseline.events.is_empty());
/// assert_eq!(run.pause(t0 + Duration::from_millis(300)), Duration::from_millis(700));
///
/// let key = ServiceKey::tcp("10.0.0.1:80".parse().unwrap());
/// let svc = Service::new(key, Scheduler::RoundRobin);
/// let poll = run.observe(t0 + Duration::from_secs(1), vec![(ServiceEntry::new(svc.clone()), vec![])]).unwrap();
/// assert_eq!(poll.events, [TableEvent::ServiceAdded { service: svc, destinations: vec![] }]);
/// assert_eq!(run.table().len(), 1);
/// ```
#[derive(Debug, Clone)]
pub struct WatchRun {
    interval: Duration,
    last: Option<Listing>,
    polls: u64,
}

#[derive(Debug, Clone)]
struct Listing {
    at: Instant,
    table: Vec<(ServiceEntry, Vec<DestinationEntry>)>,
}

impl WatchRun {
    /// A watch that lists every `interval` ([`WatchError::ZeroInterval`]
    /// for 0).
    pub fn new(interval: Duration) -> Result<Self, WatchError> {
        if interval.is_zero() {
            return Err(WatchError::ZeroInterval);
        }
        Ok(Self {
            interval,
            last: None,
            polls: 0,
        })
    }

    /// The interval between listings.
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// How long to wait at `now` before the next listing: none before the
    /// baseline, then until one interval after the start of the last
    /// listing (none when that has passed, as after a slow listing), so
    /// that listings start at a steady pace.
    pub fn pause(&self, now: Instant) -> Duration {
        match &self.last {
            None => Duration::ZERO,
            Some(l) => (l.at + self.interval).saturating_duration_since(now),
        }
    }

    /// Takes a listing made at `at` (when it started: the services' counters
    /// are read first) and returns what changed since the one before. The
    /// first is the baseline: a poll with no events and no traffic.
    ///
    /// A time no later than the last listing's is refused
    /// ([`WatchError::TimeNotAdvancing`]), and the watch stays as it was.
    pub fn observe(
        &mut self,
        at: Instant,
        table: Vec<(ServiceEntry, Vec<DestinationEntry>)>,
    ) -> Result<PollReport, WatchError> {
        let (elapsed, events, traffic) = match &self.last {
            None => (None, Vec::new(), Vec::new()),
            Some(last) => {
                let elapsed = at.checked_duration_since(last.at).filter(|e| !e.is_zero());
                let Some(elapsed) = elapsed else {
                    return Err(WatchError::TimeNotAdvancing {
                        behind: last.at.saturating_duration_since(at),
                    });
                };
                let (before, after) = (by_key(&last.table), by_key(&table));
                (
                    Some(elapsed),
                    events_between(&before, &after),
                    traffic_between(&before, &after, elapsed),
                )
            }
        };
        let poll = PollReport {
            number: self.polls,
            elapsed,
            services: table.len(),
            destinations: table.iter().map(|(_, d)| d.len()).sum(),
            events,
            traffic,
        };
        self.polls += 1;
        self.last = Some(Listing { at, table });
        Ok(poll)
    }

    /// The last listing taken (empty before the baseline).
    pub fn table(&self) -> &Table {
        self.last.as_ref().map_or(&[], |l| &l.table)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Destination, Scheduler, Service, ServiceKey, Stats};
    use crate::watch::CounterChange;

    const S: Duration = Duration::from_secs(1);

    fn listing(conns: u64, weight: u32) -> Vec<(ServiceEntry, Vec<DestinationEntry>)> {
        let key = ServiceKey::tcp("10.0.0.1:80".parse().unwrap());
        let mut s = ServiceEntry::new(Service::new(key, Scheduler::RoundRobin));
        s.stats64 = Some(Stats {
            conns,
            ..Default::default()
        });
        let d =
            DestinationEntry::new(Destination::new("10.0.1.1:80".parse().unwrap()).weight(weight));
        vec![(s, vec![d])]
    }

    #[test]
    fn a_zero_interval_is_refused() {
        assert_eq!(
            WatchRun::new(Duration::ZERO).unwrap_err(),
            WatchError::ZeroInterval
        );
        assert_eq!(
            WatchRun::new(Duration::from_nanos(1)).unwrap().interval(),
            Duration::from_nanos(1)
        );
    }

    #[test]
    fn the_baseline_then_events_and_traffic_against_the_listing_before() {
        let mut run = WatchRun::new(S).unwrap();
        let t0 = Instant::now();
        let base = run.observe(t0, listing(5, 1)).unwrap();
        assert_eq!(
            (base.number, base.elapsed, base.services, base.destinations),
            (0, None, 1, 1)
        );
        assert!(base.is_baseline() && base.events.is_empty() && base.traffic.is_empty());

        let p = run.observe(t0 + 2 * S, listing(9, 3)).unwrap();
        assert_eq!((p.number, p.elapsed), (1, Some(2 * S)));
        assert!(!p.is_baseline());
        assert_eq!(p.events.len(), 1, "{:?}", p.events);
        assert!(p.events[0].to_string().ends_with("changed: weight 1 -> 3"));
        let CounterChange::Counted { growth, rates } = p.traffic[0].change else {
            panic!("{p:?}")
        };
        assert_eq!((growth.conns, rates.conns), (4, 2.0));
        assert_eq!(p.resets().count(), 0);

        // Zeroed: a reset, measured against the listing just before.
        let p = run.observe(t0 + 3 * S, listing(0, 3)).unwrap();
        assert!(p.events.is_empty());
        assert_eq!(p.resets().count(), 1, "{p:?}");
        let p = run.observe(t0 + 4 * S, listing(2, 3)).unwrap();
        assert_eq!(p.resets().count(), 0);
        assert_eq!(p.number, 3);
        assert_eq!(run.table(), &listing(2, 3)[..]);
    }

    #[test]
    fn a_time_that_does_not_advance_is_refused_and_changes_nothing() {
        let mut run = WatchRun::new(S).unwrap();
        let t0 = Instant::now() + 10 * S;
        run.observe(t0, listing(5, 1)).unwrap();
        assert_eq!(
            run.observe(t0, listing(6, 2)).unwrap_err(),
            WatchError::TimeNotAdvancing {
                behind: Duration::ZERO
            }
        );
        assert_eq!(
            run.observe(t0 - S, listing(6, 2)).unwrap_err(),
            WatchError::TimeNotAdvancing { behind: S }
        );
        assert_eq!(run.table(), &listing(5, 1)[..]);
        assert_eq!(run.observe(t0 + S, listing(6, 2)).unwrap().number, 1);
    }

    #[test]
    fn listings_start_at_a_steady_pace() {
        let mut run = WatchRun::new(S).unwrap();
        let t0 = Instant::now();
        assert_eq!(run.pause(t0), Duration::ZERO);
        assert!(run.table().is_empty());
        run.observe(t0, listing(0, 1)).unwrap();
        assert_eq!(run.pause(t0), S);
        assert_eq!(run.pause(t0 + S / 4), S * 3 / 4);
        // A slow listing: the next is due at once.
        assert_eq!(run.pause(t0 + 3 * S), Duration::ZERO);
        run.observe(t0 + S, listing(0, 1)).unwrap();
        assert_eq!(run.pause(t0 + S + S / 2), S / 2);
    }
}

//! The drain as a state machine: given the listings and the time, what to
//! send next. No I/O and no clock: the caller lists, sleeps, sends and says
//! how long it has been.

use std::time::Duration;

use super::{
    ConnectionCounts, DrainOptions, DrainOutcome, DrainReport, DrainSample, DrainTarget,
    DrainWarning, VsSysctls,
};
use crate::model::{
    BuildError, Destination, DestinationEntry, DestinationUpdate, Service, ServiceKey,
};

/// Where one destination's drain is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Weight 0, connections left, deadline not reached.
    Waiting,
    /// To be deleted now: its connections ended (`None`), or the deadline
    /// passed with these left.
    Deleting(Option<ConnectionCounts>),
    /// Finished.
    Done(DrainOutcome, Duration),
}

#[derive(Debug)]
struct Target {
    target: DrainTarget,
    phase: Phase,
    samples: Vec<DrainSample>,
    warnings: Vec<DrainWarning>,
}

/// The drain of one or more destinations, possibly of several services.
///
/// A handle drives it: [`quiesce`](Self::quiesce) gives the weight-0
/// updates; then each poll lists the [`services`](Self::services) (one
/// destination listing per service, whatever the number of its targets),
/// hands the listings to [`observe`](Self::observe), deletes what
/// [`to_delete`](Self::to_delete) names and reports each with
/// [`deleted`](Self::deleted), and sleeps for
/// [`next_poll`](Self::next_poll) until that is `None`.
///
/// ```
/// use std::time::Duration;
/// use ipvs_netlink::drain::{DrainOptions, DrainOutcome, DrainRun, DrainTarget};
/// use ipvs_netlink::{Destination, DestinationEntry, ServiceKey};
///
/// let key = ServiceKey::tcp("10.0.0.1:80".parse().unwrap());
/// let dest = Destination::new("10.0.1.1:80".parse().unwrap()).weight(5);
/// let target = DrainTarget::new(key, dest.addr);
/// let options = DrainOptions::new().deadline(Duration::from_secs(10));
/// let mut run = DrainRun::new(&[target], options).unwrap();
///
/// let mut busy = DestinationEntry::new(dest.clone());
/// busy.active_conns = 1;
/// let quiesce = run.quiesce(&[(key, vec![busy.clone()])]).unwrap();
/// assert_eq!(quiesce, [(key, dest.clone().weight(0))]);
///
/// busy.dest.weight = 0;
/// run.observe(Duration::ZERO, &[(key, vec![busy])]);
/// assert!(run.to_delete().is_empty());
/// assert_eq!(run.next_poll(Duration::ZERO), Some(Duration::from_secs(1)));
///
/// let idle = DestinationEntry::new(dest.weight(0));
/// run.observe(Duration::from_secs(1), &[(key, vec![idle])]);
/// assert_eq!(run.to_delete(), [target]);
/// run.deleted(target, true, Duration::from_secs(1));
/// assert_eq!(run.next_poll(Duration::from_secs(1)), None);
/// assert_eq!(run.finish()[0].outcome, DrainOutcome::Drained);
/// ```
#[derive(Debug)]
pub struct DrainRun {
    options: DrainOptions,
    targets: Vec<Target>,
}

impl DrainRun {
    /// A drain of `targets` (each once, in their order). Fails on a poll
    /// interval of 0.
    pub fn new(targets: &[DrainTarget], options: DrainOptions) -> Result<Self, BuildError> {
        if options.poll_interval.is_zero() {
            return Err(BuildError::DrainPollInterval);
        }
        let mut seen = std::collections::HashSet::new();
        let targets = targets
            .iter()
            .filter(|t| seen.insert(**t))
            .map(|&target| Target {
                target,
                phase: Phase::Waiting,
                samples: Vec::new(),
                warnings: Vec::new(),
            })
            .collect();
        Ok(Self { options, targets })
    }

    /// The distinct services of the destinations still waiting, in order:
    /// what the next poll lists.
    pub fn services(&self) -> Vec<ServiceKey> {
        let mut out: Vec<ServiceKey> = Vec::new();
        for t in self.targets.iter().filter(|t| t.phase == Phase::Waiting) {
            if !out.contains(&t.target.service) {
                out.push(t.target.service);
            }
        }
        out
    }

    /// Records the traps that apply: those of the namespace's `sysctls` for
    /// every target, and those of each of `services` (as read before the
    /// drain) for its targets. `udp_timeout` is the namespace's, in seconds,
    /// when read.
    pub fn set_warnings(
        &mut self,
        services: &[Service],
        sysctls: &VsSysctls,
        udp_timeout: Option<u32>,
    ) {
        let shared = DrainWarning::for_sysctls(sysctls);
        for t in &mut self.targets {
            t.warnings = shared.clone();
            if let Some(s) = services.iter().find(|s| s.key == t.target.service) {
                t.warnings.extend(DrainWarning::for_service(
                    s,
                    sysctls,
                    udp_timeout,
                    self.options.deadline,
                ));
            }
        }
    }

    /// The SET_DEST requests that set each target's weight to 0, all else
    /// kept as `listings` show it (none for a target already at 0). Fails,
    /// naming it, on the first target its service's listing lacks.
    pub fn quiesce(
        &self,
        listings: &[(ServiceKey, Vec<DestinationEntry>)],
    ) -> Result<Vec<(ServiceKey, Destination)>, DrainTarget> {
        let mut out = Vec::new();
        for t in &self.targets {
            let entry = find(listings, &t.target).ok_or(t.target)?;
            if entry.dest.weight != 0 {
                let zero = DestinationUpdate::new(t.target.addr).weight(0);
                out.push((t.target.service, zero.apply(&entry.dest)));
            }
        }
        Ok(out)
    }

    /// Takes one poll's listings, `elapsed` after the weights were set to 0:
    /// records a sample of each waiting target whose service was listed, and
    /// decides its fate (delete now when its connections are gone or the
    /// deadline passed; done when it is no longer listed). Returns the new
    /// samples.
    pub fn observe(
        &mut self,
        elapsed: Duration,
        listings: &[(ServiceKey, Vec<DestinationEntry>)],
    ) -> Vec<DrainSample> {
        let deadline = self.options.deadline;
        let mut new = Vec::new();
        for t in self
            .targets
            .iter_mut()
            .filter(|t| t.phase == Phase::Waiting)
        {
            if !listings.iter().any(|(k, _)| *k == t.target.service) {
                continue;
            }
            let Some(entry) = find(listings, &t.target) else {
                t.phase = Phase::Done(DrainOutcome::Gone, elapsed);
                continue;
            };
            let counts = ConnectionCounts::of(entry);
            let sample = DrainSample {
                target: t.target,
                elapsed,
                weight: entry.dest.weight,
                counts,
            };
            t.samples.push(sample);
            new.push(sample);
            if counts.is_zero() {
                t.phase = Phase::Deleting(None);
            } else if elapsed >= deadline {
                t.phase = Phase::Deleting(Some(counts));
            }
        }
        new
    }

    /// The targets to delete now.
    pub fn to_delete(&self) -> Vec<DrainTarget> {
        self.targets
            .iter()
            .filter(|t| matches!(t.phase, Phase::Deleting(_)))
            .map(|t| t.target)
            .collect()
    }

    /// Records the deletion of `target`, `elapsed` after the weights were
    /// set to 0; `existed` is false when the kernel no longer had it
    /// (ENOENT: someone else deleted it meanwhile).
    pub fn deleted(&mut self, target: DrainTarget, existed: bool, elapsed: Duration) {
        for t in self.targets.iter_mut().filter(|t| t.target == target) {
            if let Phase::Deleting(left) = t.phase {
                let outcome = match (existed, left) {
                    (false, _) => DrainOutcome::Gone,
                    (true, None) => DrainOutcome::Drained,
                    (true, Some(remaining)) => DrainOutcome::Forced { remaining },
                };
                t.phase = Phase::Done(outcome, elapsed);
            }
        }
    }

    /// How long to wait, `elapsed` after the weights were set to 0, before
    /// the next poll: the poll interval, cut short by the deadline. `None`
    /// once every target is done.
    pub fn next_poll(&self, elapsed: Duration) -> Option<Duration> {
        if self
            .targets
            .iter()
            .all(|t| matches!(t.phase, Phase::Done(..)))
        {
            return None;
        }
        if !self.to_delete().is_empty() {
            return Some(Duration::ZERO);
        }
        let to_deadline = self.options.deadline.saturating_sub(elapsed);
        Some(self.options.poll_interval.min(to_deadline))
    }

    /// The report of each target, in order. A target not done yet (the
    /// caller stopped early) is reported as [`DrainOutcome::Gone`] after
    /// its last sample.
    pub fn finish(self) -> Vec<DrainReport> {
        self.targets
            .into_iter()
            .map(|t| {
                let (outcome, duration) = match t.phase {
                    Phase::Done(o, d) => (o, d),
                    _ => (
                        DrainOutcome::Gone,
                        t.samples.last().map_or(Duration::ZERO, |s| s.elapsed),
                    ),
                };
                DrainReport {
                    target: t.target,
                    outcome,
                    duration,
                    samples: t.samples,
                    warnings: t.warnings,
                }
            })
            .collect()
    }
}

fn find<'a>(
    listings: &'a [(ServiceKey, Vec<DestinationEntry>)],
    target: &DrainTarget,
) -> Option<&'a DestinationEntry> {
    listings
        .iter()
        .filter(|(k, _)| *k == target.service)
        .flat_map(|(_, d)| d)
        .find(|e| e.dest.addr == target.addr)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ForwardMethod, Scheduler};
    use std::net::SocketAddr;

    const S: Duration = Duration::from_secs(1);

    fn key(port: u16) -> ServiceKey {
        ServiceKey::tcp(SocketAddr::from(([10, 0, 0, 1], port)))
    }

    fn entry(
        addr: SocketAddr,
        weight: u32,
        active: u32,
        inactive: u32,
        persist: u32,
    ) -> DestinationEntry {
        let mut e = DestinationEntry::new(
            Destination::new(addr)
                .forward(ForwardMethod::DirectRoute)
                .weight(weight)
                .thresholds(2, 20),
        );
        e.active_conns = active;
        e.inactive_conns = inactive;
        e.persist_conns = persist;
        e
    }

    fn options(deadline: u64) -> DrainOptions {
        DrainOptions::new()
            .deadline(Duration::from_secs(deadline))
            .poll_interval(S)
    }

    fn a(n: u8) -> SocketAddr {
        SocketAddr::from(([10, 0, 1, n], 80))
    }

    #[test]
    fn a_poll_interval_of_zero_is_refused() {
        let o = DrainOptions::new().poll_interval(Duration::ZERO);
        assert_eq!(
            DrainRun::new(&[], o).unwrap_err(),
            BuildError::DrainPollInterval
        );
    }

    #[test]
    fn quiesce_sets_weight_zero_and_keeps_the_rest() {
        let t = [
            DrainTarget::new(key(80), a(1)),
            DrainTarget::new(key(80), a(2)),
        ];
        let run = DrainRun::new(&t, options(10)).unwrap();
        let listed = [(
            key(80),
            vec![entry(a(1), 5, 1, 0, 0), entry(a(2), 0, 0, 0, 0)],
        )];
        let q = run.quiesce(&listed).unwrap();
        // The one already at 0 needs no request; the other keeps DR and
        // its thresholds.
        assert_eq!(q, [(key(80), entry(a(1), 0, 0, 0, 0).dest)]);
        assert_eq!(q[0].1.forward, ForwardMethod::DirectRoute);
        // A target its service does not list is named.
        let missing = DrainRun::new(&[DrainTarget::new(key(80), a(9))], options(10)).unwrap();
        assert_eq!(
            missing.quiesce(&listed),
            Err(DrainTarget::new(key(80), a(9)))
        );
    }

    #[test]
    fn waits_while_any_count_is_left_then_deletes() {
        let t = DrainTarget::new(key(80), a(1));
        let mut run = DrainRun::new(&[t], options(10)).unwrap();
        // Active, then inactive only, then templates only: each keeps it.
        for (i, (act, inact, pers)) in [(2, 0, 0), (0, 1, 0), (0, 0, 1)].into_iter().enumerate() {
            let elapsed = S * i as u32;
            let s = run.observe(
                elapsed,
                &[(key(80), vec![entry(a(1), 0, act, inact, pers)])],
            );
            assert_eq!(s.len(), 1);
            assert_eq!(
                s[0].counts,
                ConnectionCounts {
                    active: act,
                    inactive: inact,
                    persistent: pers
                }
            );
            assert!(run.to_delete().is_empty());
            assert_eq!(run.next_poll(elapsed), Some(S));
        }
        run.observe(3 * S, &[(key(80), vec![entry(a(1), 0, 0, 0, 0)])]);
        assert_eq!(run.to_delete(), [t]);
        assert_eq!(
            run.next_poll(3 * S),
            Some(Duration::ZERO),
            "delete before sleeping"
        );
        run.deleted(t, true, 3 * S);
        assert_eq!(run.services(), []);
        assert_eq!(run.next_poll(3 * S), None);
        let r = run.finish();
        assert_eq!(r[0].outcome, DrainOutcome::Drained);
        assert_eq!(r[0].duration, 3 * S);
        assert_eq!(r[0].samples.len(), 4);
        assert!(!r[0].is_forced());
    }

    #[test]
    fn the_deadline_forces_the_deletion_and_cuts_the_last_pause() {
        let t = DrainTarget::new(key(80), a(1));
        let o = options(2).poll_interval(Duration::from_millis(1500));
        let mut run = DrainRun::new(&[t], o).unwrap();
        let busy = [(key(80), vec![entry(a(1), 0, 1, 3, 0)])];
        run.observe(Duration::ZERO, &busy);
        assert_eq!(
            run.next_poll(Duration::ZERO),
            Some(Duration::from_millis(1500))
        );
        run.observe(Duration::from_millis(1500), &busy);
        // The pause ends at the deadline, not a full interval later.
        assert_eq!(
            run.next_poll(Duration::from_millis(1500)),
            Some(Duration::from_millis(500))
        );
        run.observe(2 * S, &busy);
        assert_eq!(run.to_delete(), [t]);
        run.deleted(t, true, 2 * S);
        let r = run.finish();
        assert_eq!(
            r[0].outcome,
            DrainOutcome::Forced {
                remaining: ConnectionCounts {
                    active: 1,
                    inactive: 3,
                    persistent: 0
                }
            }
        );
        assert!(r[0].is_forced());
    }

    #[test]
    fn idle_at_the_deadline_is_drained_not_forced() {
        let t = DrainTarget::new(key(80), a(1));
        let mut run = DrainRun::new(&[t], options(0)).unwrap();
        run.observe(S, &[(key(80), vec![entry(a(1), 0, 0, 0, 0)])]);
        run.deleted(t, true, S);
        assert_eq!(run.finish()[0].outcome, DrainOutcome::Drained);
    }

    #[test]
    fn many_targets_one_listing_per_service_each_on_its_own() {
        let t = [
            DrainTarget::new(key(80), a(1)),
            DrainTarget::new(key(80), a(2)),
            DrainTarget::new(key(443), a(1)),
            DrainTarget::new(key(80), a(1)), // twice: drained once
        ];
        let mut run = DrainRun::new(&t, options(10)).unwrap();
        assert_eq!(run.services(), [key(80), key(443)]);
        let listed = [
            (
                key(80),
                vec![entry(a(1), 0, 0, 0, 0), entry(a(2), 0, 1, 0, 0)],
            ),
            (key(443), vec![entry(a(1), 0, 0, 0, 4)]),
        ];
        assert_eq!(run.observe(Duration::ZERO, &listed).len(), 3);
        assert_eq!(run.to_delete(), [t[0]]);
        run.deleted(t[0], true, Duration::ZERO);
        assert_eq!(run.services(), [key(80), key(443)]);
        // a(2) of :80 was deleted by someone else; :443's went away with
        // its service (an empty listing).
        let listed = [(key(80), vec![]), (key(443), vec![])];
        run.observe(S, &listed);
        assert_eq!(run.next_poll(S), None);
        let r = run.finish();
        assert_eq!(r.len(), 3);
        assert_eq!(r[0].outcome, DrainOutcome::Drained);
        assert_eq!((r[1].outcome, r[1].duration), (DrainOutcome::Gone, S));
        assert_eq!(r[2].outcome, DrainOutcome::Gone);
        assert_eq!(r[2].samples[0].counts.persistent, 4);
    }

    #[test]
    fn a_service_not_listed_this_poll_keeps_its_targets_waiting() {
        let t = [
            DrainTarget::new(key(80), a(1)),
            DrainTarget::new(key(443), a(1)),
        ];
        let mut run = DrainRun::new(&t, options(10)).unwrap();
        run.observe(S, &[(key(80), vec![entry(a(1), 0, 1, 0, 0)])]);
        assert_eq!(run.services(), [key(80), key(443)]);
        assert_eq!(run.next_poll(S), Some(S));
    }

    #[test]
    fn a_deletion_the_kernel_no_longer_needed_is_gone() {
        let t = DrainTarget::new(key(80), a(1));
        let mut run = DrainRun::new(&[t], options(10)).unwrap();
        run.observe(S, &[(key(80), vec![entry(a(1), 0, 0, 0, 0)])]);
        run.deleted(t, false, S);
        assert_eq!(run.finish()[0].outcome, DrainOutcome::Gone);
    }

    #[test]
    fn warnings_go_to_the_targets_of_their_service() {
        let t = [
            DrainTarget::new(key(80), a(1)),
            DrainTarget::new(key(443), a(1)),
        ];
        let mut run = DrainRun::new(&t, options(10)).unwrap();
        let services = [
            Service::new(key(80), Scheduler::MaglevHashing),
            Service::new(key(443), Scheduler::RoundRobin),
        ];
        let sysctls = VsSysctls {
            expire_nodest_conn: Ok(1),
            expire_quiescent_template: Ok(0),
        };
        run.set_warnings(&services, &sysctls, None);
        for t in &t {
            run.observe(S, &[(t.service, vec![entry(t.addr, 0, 0, 0, 0)])]);
            run.deleted(*t, true, S);
        }
        let r = run.finish();
        assert_eq!(
            r[0].warnings,
            [
                DrainWarning::DeleteResetsConnections,
                DrainWarning::SchedulerWithoutFallback {
                    service: key(80),
                    scheduler: Scheduler::MaglevHashing
                }
            ]
        );
        assert_eq!(r[1].warnings, [DrainWarning::DeleteResetsConnections]);
    }
}

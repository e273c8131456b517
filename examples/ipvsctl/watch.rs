//! `ipvsctl watch [--interval SECONDS] [--json] [--rates] [--polls N]`:
//! each change of the table as it is seen.

use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ipvs_netlink::watch::{CounterChange, PollReport};
use serde::Serialize;

use crate::{seconds, Context, Failure, Run};

/// Poll the table every interval and print one line per change seen since
/// the poll before (a service or destination added, removed or changed,
/// with the fields that changed) and per counter reset (`ipvsadm -Z`, or a
/// service deleted and added again), each with its time in RFC 3339 (UTC).
/// The first line says what the first listing, the baseline, held. Each
/// listing is consistent: a service the kernel's dump skipped is not shown
/// as removed and added. Runs until killed, or for `--polls` polls.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// Seconds between two listings (fractions allowed; above 0).
    #[arg(long, value_name = "SECONDS", default_value = "1", value_parser = seconds)]
    interval: Duration,
    /// Print one JSON object per line: `time`, `event` (`baseline`,
    /// `service-added`, `service-removed`, `service-changed`,
    /// `destination-added`, `destination-removed`, `destination-changed`,
    /// `counters-reset`, `counters`) and the event's fields in the
    /// library's serde form.
    #[arg(long)]
    json: bool,
    /// Also print, at each poll, every service's and destination's counter
    /// rates over the interval (computed from the counters, not the
    /// kernel's estimates).
    #[arg(long)]
    rates: bool,
    /// Stop after N polls after the baseline.
    #[arg(long, value_name = "N")]
    polls: Option<usize>,
}

/// A line of `--json`: the time, then the item's fields.
#[derive(Serialize)]
struct Line<'a, T> {
    time: &'a str,
    #[serde(flatten)]
    item: T,
}

/// What the baseline held, as `--json` prints it.
#[derive(Serialize)]
struct Baseline {
    event: &'static str,
    services: usize,
    destinations: usize,
    interval_seconds: f64,
}

impl Args {
    /// Prints one line: the item's text, or its JSON object.
    fn print<T: Serialize + std::fmt::Display>(&self, time: &str, item: T) -> Result<(), Failure> {
        if self.json {
            let line = serde_json::to_string(&Line { time, item })
                .map_err(|e| Failure::new("write an event as JSON", e))?;
            println!("{line}");
        } else {
            println!("{time} {item}");
        }
        Ok(())
    }

    /// Prints what one poll saw.
    fn show(&self, poll: &PollReport) -> Result<(), Failure> {
        let time = rfc3339(SystemTime::now());
        if poll.is_baseline() {
            return self.print(
                &time,
                Baseline {
                    event: "baseline",
                    services: poll.services,
                    destinations: poll.destinations,
                    interval_seconds: self.interval.as_secs_f64(),
                },
            );
        }
        for event in &poll.events {
            self.print(&time, event)?;
        }
        for t in &poll.traffic {
            if self.rates || matches!(t.change, CounterChange::Reset { .. }) {
                self.print(&time, t)?;
            }
        }
        Ok(())
    }
}

impl std::fmt::Display for Baseline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let plural = |n: usize| if n == 1 { "" } else { "s" };
        write!(
            f,
            "watching {} service{}, {} destination{}, every {}s",
            self.services,
            plural(self.services),
            self.destinations,
            plural(self.destinations),
            self.interval_seconds
        )
    }
}

impl Run for Args {
    fn run(self, cx: &Context) -> Result<ExitCode, Failure> {
        let (_, name) = cx.netns();
        let mut ipvs = cx.handle()?;
        let watch = ipvs
            .watch(self.interval)
            .map_err(|e| Failure::new(format!("watch {name}"), e))?;
        let polls = self.polls.map_or(usize::MAX, |n| n.saturating_add(1));
        for poll in watch.take(polls) {
            let poll = poll.map_err(|e| Failure::new(format!("watch {name}"), e))?;
            self.show(&poll)?;
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// `t` as RFC 3339 in UTC with milliseconds: `2026-12-03T09:30:00.123Z`.
fn rfc3339(t: SystemTime) -> String {
    let since = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (year, month, day) = civil_date(secs / 86_400);
    let of_day = secs % 86_400;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        of_day / 3600,
        of_day / 60 % 60,
        of_day % 60,
        since.subsec_millis()
    )
}

/// The proleptic Gregorian date `days` days after 1970-01-01 (the
/// days-to-civil conversion of Howard Hinnant's date algorithms).
fn civil_date(days: u64) -> (u64, u64, u64) {
    // Days since 0000-03-01, in 400-year eras of 146,097 days.
    let z = days + 719_468;
    let (era, day_of_era) = (z / 146_097, z % 146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    // Months from March: 0 is March, 11 is February.
    let m = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * m + 2) / 5 + 1;
    let month = if m < 10 { m + 3 } else { m - 9 };
    let year = era * 400 + year_of_era + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_rfc3339_utc() {
        let at = |secs: u64, millis: u64| {
            rfc3339(UNIX_EPOCH + Duration::from_secs(secs) + Duration::from_millis(millis))
        };
        assert_eq!(at(0, 0), "1970-01-01T00:00:00.000Z");
        // `date -u -d @951782400`: the leap day of a year divisible by 400.
        assert_eq!(at(951_782_400, 7), "2000-02-29T00:00:00.007Z");
        assert_eq!(at(1_709_251_199, 999), "2024-02-29T23:59:59.999Z");
        assert_eq!(at(4_102_444_800, 0), "2100-01-01T00:00:00.000Z");
        assert_eq!(at(1_796_290_496, 0), "2026-12-03T09:34:56.000Z");
    }
}

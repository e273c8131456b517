//! Reading a guest's console: `/init`'s markers and libtest's output, the
//! verdict per kernel, and the summary table across kernels.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::{Duration, Instant};

use crate::guest::Ending;
use crate::initramfs::marker;

/// What happened to one test, per libtest's `test NAME ... STATUS` line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Outcome {
    Ok,
    Failed,
    Ignored,
}

/// Counts from libtest's `test result:` lines.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    pub passed: u64,
    pub failed: u64,
    pub ignored: u64,
    pub measured: u64,
    pub filtered_out: u64,
}

/// Everything learned from one boot of one kernel.
#[derive(Debug)]
pub(crate) struct Report {
    /// Kernel label, e.g. `6.1`.
    pub label: String,
    /// Release expected from the package; replaced by the guest's `uname -r`.
    pub release: String,
    /// Time from QEMU's start to `/init`'s "booted" marker.
    pub boot: Option<Duration>,
    /// Time from the command's start to the first program starting in the guest.
    pub first_program: Option<Duration>,
    /// Time from QEMU's start to its end.
    pub wall: Duration,
    /// Programs in start order, with their exit status once known.
    pub programs: Vec<(String, Option<i32>)>,
    /// Sum of the `test result:` lines.
    pub counts: Counts,
    /// Number of `test result:` lines seen.
    pub result_lines: usize,
    /// `program::test` -> outcome.
    pub outcomes: BTreeMap<String, Outcome>,
    /// Modules `insmod` refused.
    pub module_failures: Vec<String>,
    /// Tests libtest reported as running for over 60 seconds.
    pub slow_tests: BTreeSet<String>,
    /// Whether `/init` reached its end.
    pub done: bool,
    /// The console's "Kernel panic - not syncing: ..." line.
    pub panic_line: Option<String>,
    /// How QEMU ended.
    pub ending: Option<Ending>,
    /// The last console lines, for reports about a killed guest.
    recent: VecDeque<String>,
    command_start: Instant,
}

/// Parses `ok. 3 passed; 1 failed; 0 ignored; 0 measured; 2 filtered out; finished in 0.1s`.
fn parse_counts(rest: &str) -> Counts {
    let mut c = Counts::default();
    for part in rest.split(';') {
        let mut words = part
            .split_whitespace()
            .skip_while(|w| w.parse::<u64>().is_err());
        let (Some(n), Some(what)) = (words.next(), words.next()) else {
            continue;
        };
        let n: u64 = n.parse().unwrap_or(0);
        match what {
            "passed" => c.passed += n,
            "failed" => c.failed += n,
            "ignored" => c.ignored += n,
            "measured" => c.measured += n,
            "filtered" => c.filtered_out += n,
            _ => {}
        }
    }
    c
}

impl Report {
    /// A report for the boot of `label` (`release`), for a command that
    /// started at `command_start`.
    pub(crate) fn new(label: &str, release: &str, command_start: Instant) -> Self {
        Self {
            label: label.to_owned(),
            release: release.to_owned(),
            boot: None,
            first_program: None,
            wall: Duration::ZERO,
            programs: Vec::new(),
            counts: Counts::default(),
            result_lines: 0,
            outcomes: BTreeMap::new(),
            module_failures: Vec::new(),
            slow_tests: BTreeSet::new(),
            done: false,
            panic_line: None,
            ending: None,
            recent: VecDeque::new(),
            command_start,
        }
    }

    /// The program running now (started, not ended).
    pub(crate) fn current(&self) -> Option<&str> {
        match self.programs.last() {
            Some((name, None)) => Some(name),
            _ => None,
        }
    }

    /// Takes one console line (without escape sequences); `since_start` is the time since QEMU started.
    pub(crate) fn observe(&mut self, line: &str, since_start: Duration) {
        let line = line.to_owned();
        if self.recent.len() == 8 {
            self.recent.pop_front();
        }
        self.recent.push_back(line.clone());

        if line.contains("Kernel panic") && self.panic_line.is_none() {
            self.panic_line = Some(line.trim().to_owned());
        }
        if let Some(i) = line.find(marker::UNAME) {
            self.release = line[i + marker::UNAME.len()..].trim().to_owned();
        } else if let Some(i) = line.find(marker::MODFAIL) {
            self.module_failures
                .push(line[i + marker::MODFAIL.len()..].trim().to_owned());
        } else if line.contains(marker::BOOTED) {
            self.boot = Some(since_start);
        } else if let Some(i) = line.find(marker::RUN) {
            let name = line[i + marker::RUN.len()..].trim().to_owned();
            self.first_program
                .get_or_insert_with(|| self.command_start.elapsed());
            self.programs.push((name, None));
        } else if let Some(i) = line.find(marker::EXIT) {
            let rest = &line[i + marker::EXIT.len()..];
            if let Some((name, code)) = rest.trim().rsplit_once(" exit=") {
                let code = code.trim().parse().unwrap_or(-1);
                match self
                    .programs
                    .iter_mut()
                    .rev()
                    .find(|(n, c)| n == name && c.is_none())
                {
                    Some(entry) => entry.1 = Some(code),
                    None => self.programs.push((name.to_owned(), Some(code))),
                }
            }
        } else if line.contains(marker::DONE) {
            self.done = true;
        } else if let Some(rest) = line.strip_prefix("test result: ") {
            let c = parse_counts(rest);
            self.result_lines += 1;
            self.counts.passed += c.passed;
            self.counts.failed += c.failed;
            self.counts.ignored += c.ignored;
            self.counts.measured += c.measured;
            self.counts.filtered_out += c.filtered_out;
        } else if let Some(rest) = line.strip_prefix("test ") {
            self.observe_test_line(rest);
        }
    }

    /// `NAME ... ok`, `NAME ... FAILED`, `NAME ... ignored[, reason]`,
    /// `NAME has been running for over 60 seconds`.
    fn observe_test_line(&mut self, rest: &str) {
        let program = self.current().unwrap_or("?").to_owned();
        if let Some((name, status)) = rest.split_once(" ... ") {
            let outcome = match status.trim() {
                "ok" => Outcome::Ok,
                "FAILED" => Outcome::Failed,
                s if s.starts_with("ignored") => Outcome::Ignored,
                _ => return,
            };
            let key = format!("{program}::{}", name.trim());
            self.slow_tests.remove(&key);
            self.outcomes.insert(key, outcome);
        } else if let Some(name) = rest.strip_suffix(" has been running for over 60 seconds") {
            self.slow_tests
                .insert(format!("{program}::{}", name.trim()));
        }
    }

    /// Records how the boot ended.
    pub(crate) fn finish(&mut self, ending: Ending, partial: &str, wall: Duration) {
        if !partial.is_empty() {
            self.recent.push_back(format!("{partial} (no newline)"));
        }
        self.ending = Some(ending);
        self.wall = wall;
    }

    /// Describes what the guest was doing, for a killed or crashed guest.
    fn activity(&self) -> String {
        let mut s = match self.current() {
            Some(p) => format!("while running `{p}`"),
            None if self.boot.is_none() => {
                "while booting (before /init loaded the modules)".to_owned()
            }
            None => "between programs".to_owned(),
        };
        if !self.slow_tests.is_empty() {
            let names: Vec<&str> = self.slow_tests.iter().map(String::as_str).collect();
            s += &format!("; tests running for over 60 s: {}", names.join(", "));
        }
        if let Some(panic) = &self.panic_line {
            s += &format!("; {panic:?}");
        } else if let Some(last) = self.recent.iter().rev().find(|l| !l.trim().is_empty()) {
            s += &format!("; last console line: {last:?}");
        }
        s
    }

    /// Every reason this boot counts as failed. With `expect_tests`, a run
    /// in which no test executed is a failure too.
    pub(crate) fn problems(&self, expect_tests: bool) -> Vec<String> {
        let k = format!("kernel {} ({})", self.label, self.release);
        let mut p = Vec::new();
        match &self.ending {
            Some(Ending::PoweredOff) | None => {}
            Some(Ending::Panicked) => p.push(format!("{k}: kernel panic {}", self.activity())),
            Some(Ending::Silent(d)) => p.push(format!(
                "{k}: watchdog killed the guest after {} s without console output {} \
                 (IPVS_TESTBED_IDLE_TIMEOUT)",
                d.as_secs(),
                self.activity()
            )),
            Some(Ending::Overtime(d)) => p.push(format!(
                "{k}: watchdog killed the guest after {} s in total {} (IPVS_TESTBED_TIMEOUT)",
                d.as_secs(),
                self.activity()
            )),
            Some(Ending::QemuFailed(e)) => p.push(format!("{k}: qemu failed: {e}")),
        }
        if self.ending == Some(Ending::PoweredOff) && !self.done {
            p.push(format!(
                "{k}: guest stopped before /init finished {}",
                self.activity()
            ));
        }
        for m in &self.module_failures {
            p.push(format!("{k}: insmod {m} failed"));
        }
        for (name, code) in &self.programs {
            match code {
                Some(0) => {}
                Some(c) => p.push(format!("{k}: `{name}` exited with status {c}")),
                None if self.ending == Some(Ending::PoweredOff) => {
                    p.push(format!("{k}: `{name}` never reported its exit status"));
                }
                None => {}
            }
        }
        if self.counts.failed > 0 {
            let failed: Vec<&str> = self
                .outcomes
                .iter()
                .filter(|(_, o)| **o == Outcome::Failed)
                .map(|(n, _)| n.as_str())
                .collect();
            p.push(format!(
                "{k}: {} test(s) failed: {}",
                self.counts.failed,
                failed.join(", ")
            ));
        }
        if expect_tests
            && self.ending == Some(Ending::PoweredOff)
            && self.counts.passed + self.counts.failed == 0
        {
            p.push(format!(
                "{k}: no kernel test ran ({} test result lines, {} filtered out)",
                self.result_lines, self.counts.filtered_out
            ));
        }
        p
    }
}

fn secs(d: Option<Duration>) -> String {
    d.map_or_else(|| "-".to_owned(), |d| format!("{:.1}s", d.as_secs_f64()))
}

/// Prints the per-kernel table and, for several kernels, whether the same
/// tests passed on each.
pub(crate) fn print_table(reports: &[Report], expect_tests: bool) {
    let header = [
        "kernel",
        "release",
        "result",
        "programs",
        "run",
        "passed",
        "failed",
        "ignored",
        "boot",
        "1st program",
        "wall",
    ];
    let rows: Vec<[String; 11]> = reports
        .iter()
        .map(|r| {
            let ok_programs = r.programs.iter().filter(|(_, c)| *c == Some(0)).count();
            [
                r.label.clone(),
                r.release.clone(),
                if r.problems(expect_tests).is_empty() {
                    "ok"
                } else {
                    "FAILED"
                }
                .to_owned(),
                format!("{ok_programs}/{} ok", r.programs.len()),
                (r.counts.passed + r.counts.failed).to_string(),
                r.counts.passed.to_string(),
                r.counts.failed.to_string(),
                r.counts.ignored.to_string(),
                secs(r.boot),
                secs(r.first_program),
                secs(Some(r.wall)),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.len());
        }
    }
    println!();
    println!("== ipvs-netlink test bed summary ==");
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        println!("{}", padded.join("  ").trim_end());
    };
    line(header.to_vec());
    for row in &rows {
        line(row.iter().map(String::as_str).collect());
    }
    println!("(boot: qemu start to modules loaded; 1st program: command start to first program in the guest)");
    if reports.len() > 1 {
        print_comparison(reports);
    }
}

/// Lists the tests whose outcome differs between kernels.
fn print_comparison(reports: &[Report]) {
    let names: BTreeSet<&String> = reports.iter().flat_map(|r| r.outcomes.keys()).collect();
    let mut differing = Vec::new();
    for name in &names {
        let per: Vec<Option<Outcome>> = reports
            .iter()
            .map(|r| r.outcomes.get(*name).copied())
            .collect();
        if per.iter().any(|o| *o != per[0]) {
            let cells: Vec<String> = reports
                .iter()
                .zip(&per)
                .map(|(r, o)| {
                    let o = o.map_or("missing", |o| match o {
                        Outcome::Ok => "ok",
                        Outcome::Failed => "FAILED",
                        Outcome::Ignored => "ignored",
                    });
                    format!("{}={o}", r.label)
                })
                .collect();
            differing.push(format!("  {name}: {}", cells.join(" ")));
        }
    }
    let labels: Vec<&str> = reports.iter().map(|r| r.label.as_str()).collect();
    if names.is_empty() {
        println!("(no per-test result lines to compare between kernels)");
    } else if differing.is_empty() {
        let passing = names.len();
        println!(
            "same results on {}: yes ({passing} tests, identical outcome on every kernel)",
            labels.join(" and ")
        );
    } else {
        println!(
            "same results on {}: NO; tests that differ:",
            labels.join(" and ")
        );
        for d in differing {
            println!("{d}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(lines: &[&str]) -> Report {
        let mut r = Report::new("6.1", "6.1.0-1", Instant::now());
        for l in lines {
            r.observe(&crate::guest::strip_ansi(l), Duration::from_secs(1));
        }
        r.finish(Ending::PoweredOff, "", Duration::from_secs(2));
        r
    }

    #[test]
    fn passing_run() {
        let r = feed(&[
            "IPVS-TESTBED-UNAME 6.1.0-56-cloud-amd64",
            "IPVS-TESTBED-BOOTED",
            "IPVS-TESTBED-RUN kernel",
            "test a ... ok",
            "test b ... \x1b[33mignored\x1b[0m, needs x",
            "test result: \x1b[32mok\x1b[0m. 1 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s",
            "IPVS-TESTBED: kernel exit=0",
            "IPVS-TESTBED-DONE",
        ]);
        assert_eq!(r.release, "6.1.0-56-cloud-amd64");
        assert_eq!(r.counts.passed, 1);
        assert_eq!(r.counts.ignored, 1);
        assert_eq!(r.outcomes["kernel::b"], Outcome::Ignored);
        assert!(r.problems(true).is_empty(), "{:?}", r.problems(true));
    }

    #[test]
    fn failures_and_empty_runs() {
        let r = feed(&[
            "IPVS-TESTBED-BOOTED",
            "IPVS-TESTBED-RUN kernel",
            "test a ... FAILED",
            "test result: FAILED. 0 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s",
            "IPVS-TESTBED: kernel exit=101",
            "IPVS-TESTBED-DONE",
        ]);
        assert_eq!(r.problems(true).len(), 2);
        let r = feed(&[
            "IPVS-TESTBED-RUN kernel",
            "test result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 3 filtered out; finished in 0.00s",
            "IPVS-TESTBED: kernel exit=0",
            "IPVS-TESTBED-DONE",
        ]);
        assert_eq!(r.problems(true).len(), 1);
        assert!(r.problems(false).is_empty());
        let r = feed(&["IPVS-TESTBED-RUN kernel"]);
        assert!(!r.problems(true).is_empty());
    }
}

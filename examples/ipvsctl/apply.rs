//! `ipvsctl apply FILE [--dry-run] [--max-deletes N] [--delete-all] [--drain SECONDS] [--json]`:
//! makes the part of the table the file's scope owns what the file says.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use ipvs_netlink::drain::{DrainOptions, DrainReport};
use ipvs_netlink::reconcile::Planned;
use ipvs_netlink::{Change, DrainOutcome, ReconcileOptions};
use serde::Serialize;

use crate::desired::{self, SCHEMA};
use crate::{Context, Failure, Run};

/// Make the services the file's scope owns what the file says: print each
/// change made (or, with --dry-run, each change that would be made).
/// Services outside the scope are left alone.
#[derive(clap::Args)]
#[command(after_help = SCHEMA)]
pub(crate) struct Args {
    /// The desired-state file (TOML; schema below).
    file: PathBuf,
    /// Print the plan, send nothing.
    #[arg(long)]
    dry_run: bool,
    /// Refuse the whole plan (nothing sent) when it deletes more than N
    /// services and destinations.
    #[arg(long, value_name = "N")]
    max_deletes: Option<usize>,
    /// Let a file without services delete every service its scope owns.
    #[arg(long)]
    delete_all: bool,
    /// Drain the real servers the file no longer has (those of services it
    /// no longer has too): weight 0, each deleted once its connections are
    /// gone, or after SECONDS anyway; services go once theirs are drained.
    #[arg(long, value_name = "SECONDS", value_parser = crate::seconds)]
    drain: Option<Duration>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

/// One step, as `--json` prints it.
#[derive(Serialize)]
struct Step {
    change: Change,
    service: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    destination: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

impl Step {
    fn of(p: &Planned, error: Option<String>) -> Self {
        Self {
            change: p.change,
            service: p.service.to_string(),
            destination: p.destination.map(|d| d.to_string()),
            error,
        }
    }
}

/// The report, as `--json` prints it.
#[derive(Serialize)]
struct Report {
    dry_run: bool,
    /// The plan's steps (with --dry-run), else empty.
    planned: Vec<Step>,
    /// The steps carried out.
    done: Vec<Step>,
    /// The steps that failed, with why.
    failed: Vec<Step>,
    /// How each drain ended (with --drain).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    drains: Vec<Drained>,
}

/// One drain, as `--json` prints it.
#[derive(Serialize)]
struct Drained {
    service: String,
    destination: String,
    /// `drained`, `forced` or `gone`.
    outcome: &'static str,
    seconds: f64,
}

impl Drained {
    fn of(d: &DrainReport) -> Self {
        Self {
            service: d.target.service.to_string(),
            destination: d.target.addr.to_string(),
            outcome: match d.outcome {
                DrainOutcome::Drained => "drained",
                DrainOutcome::Forced { .. } => "forced",
                DrainOutcome::Gone => "gone",
            },
            seconds: d.duration.as_secs_f64(),
        }
    }
}

impl Run for Args {
    fn run(self, cx: &Context) -> Result<ExitCode, Failure> {
        let what = format!("apply {}", self.file.display());
        let text = std::fs::read_to_string(&self.file).map_err(|e| Failure::new(&what, e))?;
        let desired = desired::parse(&text).map_err(|e| Failure::new(&what, e))?;
        let mut options = ReconcileOptions::new(desired.scope).delete_all(self.delete_all);
        if let Some(max) = self.max_deletes {
            options = options.max_deletes(max);
        }
        if let Some(deadline) = self.drain {
            options = options.drain(DrainOptions::new().deadline(deadline));
        }
        let mut ipvs = cx.handle()?;
        let plan = ipvs
            .reconcile_plan(&desired.services, &options)
            .map_err(|e| Failure::new(&what, e))?;
        let mut report = Report {
            dry_run: self.dry_run,
            planned: Vec::new(),
            done: Vec::new(),
            failed: Vec::new(),
            drains: Vec::new(),
        };
        let mut lines = Vec::new();
        if self.dry_run {
            report.planned = plan.steps().iter().map(|p| Step::of(p, None)).collect();
            lines.extend(plan.steps().iter().map(|p| p.to_string()));
            lines.push(match plan.len() {
                0 => "nothing would change".to_owned(),
                n => format!("dry run: {n} changes planned, nothing sent"),
            });
        } else {
            let steps = plan.len();
            let applied = ipvs.apply_plan(plan);
            report.done = applied.done.iter().map(|p| Step::of(p, None)).collect();
            report.failed = applied
                .failures
                .iter()
                .map(|(p, e)| Step::of(p, Some(e.to_string())))
                .collect();
            lines.extend(applied.done.iter().map(|p| p.to_string()));
            lines.extend(
                applied
                    .failures
                    .iter()
                    .map(|(p, e)| format!("failed: {p}: {e}")),
            );
            report.drains = applied.drains.iter().map(Drained::of).collect();
            lines.extend(report.drains.iter().map(|d| {
                format!(
                    "{} {} of {} after {:.1} s",
                    d.outcome, d.destination, d.service, d.seconds
                )
            }));
            lines.push(match (steps, applied.failures.len()) {
                (0, _) => "nothing changed".to_owned(),
                (n, 0) => format!("{n} changes made"),
                (n, f) => format!("{} of {n} changes made, {f} failed", n - f),
            });
        }
        if self.json {
            let text = serde_json::to_string_pretty(&report)
                .map_err(|e| Failure::new("write the report as JSON", e))?;
            println!("{text}");
        } else {
            for l in &lines {
                println!("{l}");
            }
        }
        match report.failed.len() {
            0 => Ok(ExitCode::SUCCESS),
            f => Err(Failure::new(
                what,
                format!("{f} changes failed (see the report)"),
            )),
        }
    }
}

//! Building the programs the guest runs, with cargo, and the host test run.
//!
//! Executables are found through cargo's JSON messages
//! (`--message-format=json-render-diagnostics`): every `compiler-artifact`
//! with an `executable` is a candidate.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use crate::error::{bail, Context, Result};

/// Environment variable pointing the test bed at another crate's
/// `Cargo.toml` (used to test the test bed itself).
pub(crate) const ENV_MANIFEST: &str = "IPVS_TESTBED_MANIFEST";

/// The crate whose tests run in the guest.
pub(crate) struct Project {
    /// Its `Cargo.toml`.
    pub manifest: PathBuf,
    /// Extra cargo arguments selecting features (`--features X`, `--all-features`).
    pub feature_args: Vec<String>,
}

/// A built executable to copy into the guest.
#[derive(Clone, Debug)]
pub(crate) struct Binary {
    /// Cargo target name (`kernel` for `tests/kernel.rs`).
    pub name: String,
    /// Where cargo wrote it.
    pub path: PathBuf,
}

/// Which kind of target `cargo xtask run` builds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TargetKind {
    Example,
    Bench,
    Test,
}

impl TargetKind {
    /// The cargo target kind (and command-line flag) name.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Example => "example",
            Self::Bench => "bench",
            Self::Test => "test",
        }
    }
}

impl Project {
    /// The directory holding the manifest: the package root in the guest too.
    pub(crate) fn dir(&self) -> PathBuf {
        self.manifest
            .parent()
            .map(PathBuf::from)
            .unwrap_or_default()
    }

    fn cargo(&self, subcommand: &str) -> Command {
        let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
        cmd.arg(subcommand)
            .arg("--manifest-path")
            .arg(&self.manifest)
            .args(&self.feature_args);
        cmd
    }

    /// `cargo test --workspace` on the host: unit, doc and host-only
    /// integration tests (kernel tests report themselves skipped here).
    pub(crate) fn host_tests(&self) -> Result<()> {
        let status = self
            .cargo("test")
            .arg("--workspace")
            .stdin(Stdio::null())
            .status()?;
        if !status.success() {
            bail!("host tests failed (`cargo test --workspace`: {status}); use --no-host to skip them");
        }
        Ok(())
    }

    /// Builds the integration tests and returns those named `kernel*`.
    pub(crate) fn kernel_tests(&self) -> Result<Vec<Binary>> {
        let mut cmd = self.cargo("test");
        cmd.args(["--no-run", "--tests"]);
        let bins: Vec<Binary> = artifacts(cmd)?
            .into_iter()
            .filter(|(kinds, b)| kinds.iter().any(|k| k == "test") && b.name.starts_with("kernel"))
            .map(|(_, b)| b)
            .collect();
        if bins.is_empty() {
            bail!(
                "no integration test target named kernel* in {} (expected e.g. tests/kernel.rs)",
                self.manifest.display()
            );
        }
        Ok(bins)
    }

    /// Builds every example (debug) and returns their executables.
    pub(crate) fn examples(&self) -> Result<Vec<Binary>> {
        let mut cmd = self.cargo("build");
        cmd.arg("--examples").stdin(Stdio::null());
        Ok(artifacts(cmd)?
            .into_iter()
            .filter(|(kinds, _)| kinds.iter().any(|k| k == "example"))
            .map(|(_, b)| b)
            .collect())
    }

    /// Builds one example (release), bench or test target.
    pub(crate) fn target(&self, kind: TargetKind, name: &str) -> Result<Binary> {
        let mut cmd = match kind {
            TargetKind::Example => {
                let mut c = self.cargo("build");
                c.args(["--release", "--example", name]);
                c
            }
            TargetKind::Bench => {
                let mut c = self.cargo("bench");
                c.args(["--no-run", "--bench", name]);
                c
            }
            TargetKind::Test => {
                let mut c = self.cargo("test");
                c.args(["--no-run", "--test", name]);
                c
            }
        };
        cmd.stdin(Stdio::null());
        artifacts(cmd)?
            .into_iter()
            .find(|(kinds, b)| b.name == name && kinds.iter().any(|k| k == kind.as_str()))
            .map(|(_, b)| b)
            .context(|| format!("cargo built no {} executable named {name}", kind.as_str()))
    }
}

/// Runs a cargo build command and collects the executables it reports,
/// with their target kinds. Diagnostics are rendered to stderr as usual.
fn artifacts(mut cmd: Command) -> Result<Vec<(Vec<String>, Binary)>> {
    cmd.arg("--message-format=json-render-diagnostics")
        .stdout(Stdio::piped());
    let mut child = cmd.spawn().context(|| format!("running {cmd:?}"))?;
    let mut found = Vec::new();
    for line in BufReader::new(child.stdout.take().expect("piped stdout")).lines() {
        let line = line?;
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        if msg["reason"] != "compiler-artifact" {
            continue;
        }
        let Some(exe) = msg["executable"].as_str() else {
            continue;
        };
        let target = &msg["target"];
        let kinds = target["kind"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|k| k.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        let name = target["name"].as_str().unwrap_or_default().to_owned();
        found.push((
            kinds,
            Binary {
                name,
                path: exe.into(),
            },
        ));
    }
    let status = child.wait()?;
    if !status.success() {
        bail!("build failed: {cmd:?} ({status})");
    }
    Ok(found)
}

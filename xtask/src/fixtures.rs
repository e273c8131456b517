//! `cargo xtask capture`: collecting `IPVS-FIXTURE <name> <hex>` lines that
//! `tests/kernel_capture.rs` prints in the guest, and writing them to
//! `tests/fixtures/linux-<major.minor>/<name>`.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Component, Path};

use crate::error::{bail, Context, Result};

/// Prefix of a fixture line. It may appear after other text on the same
/// console line (libtest prints `test NAME ... ` before a test's output).
pub(crate) const MARKER: &str = "IPVS-FIXTURE ";

/// Fixtures seen on one kernel's console.
#[derive(Debug, Default)]
pub(crate) struct Capture {
    /// Relative name -> bytes.
    pub files: BTreeMap<String, Vec<u8>>,
    /// Malformed fixture lines.
    pub errors: Vec<String>,
}

fn decode_hex(hex: &str) -> Result<Vec<u8>, String> {
    if hex.len() % 2 == 1 {
        return Err(format!("odd number of hex digits ({})", hex.len()));
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| {
            u8::from_str_radix(&hex[i..i + 2], 16)
                .map_err(|_| format!("invalid hex {:?} at offset {i}", &hex[i..i + 2]))
        })
        .collect()
}

/// A relative path with plain components only.
fn valid_name(name: &str) -> bool {
    let p = Path::new(name);
    !name.is_empty() && p.components().all(|c| matches!(c, Component::Normal(_)))
}

impl Capture {
    /// Takes one console line.
    pub(crate) fn observe(&mut self, line: &str) {
        let Some(i) = line.find(MARKER) else { return };
        let mut words = line[i + MARKER.len()..].split_whitespace();
        let (Some(name), hex) = (words.next(), words.next().unwrap_or("")) else {
            self.errors
                .push(format!("fixture line without a name: {line:?}"));
            return;
        };
        if !valid_name(name) {
            self.errors.push(format!(
                "fixture name {name:?} is not a plain relative path"
            ));
            return;
        }
        match decode_hex(hex) {
            Ok(bytes) => {
                if self.files.insert(name.to_owned(), bytes).is_some() {
                    self.errors.push(format!("fixture {name} printed twice"));
                }
            }
            Err(e) => self.errors.push(format!(
                "fixture {name}: {e} (line wrapped or interleaved?)"
            )),
        }
    }

    /// Writes the fixtures and a `KERNEL` file holding `release` to `dir`.
    /// Files already in `dir` that this capture did not produce are reported.
    pub(crate) fn write(&self, dir: &Path, release: &str) -> Result<()> {
        if !self.errors.is_empty() {
            bail!(
                "malformed fixture output, nothing written:\n  {}",
                self.errors.join("\n  ")
            );
        }
        if self.files.is_empty() {
            bail!("the capture printed no `{}` line", MARKER.trim());
        }
        for (name, bytes) in &self.files {
            let path = dir.join(name);
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent)?;
            }
            fs::write(&path, bytes).context(|| format!("writing {}", path.display()))?;
        }
        fs::write(dir.join("KERNEL"), format!("{release}\n"))?;
        println!("wrote {} fixtures to {}", self.files.len(), dir.display());
        let mut stale = Vec::new();
        let mut stack = vec![dir.to_owned()];
        while let Some(d) = stack.pop() {
            for entry in fs::read_dir(&d)? {
                let path = entry?.path();
                if path.is_dir() {
                    stack.push(path);
                } else if let Ok(rel) = path.strip_prefix(dir) {
                    let rel = rel.to_string_lossy();
                    if rel != "KERNEL" && !self.files.contains_key(rel.as_ref()) {
                        stale.push(rel.into_owned());
                    }
                }
            }
        }
        if !stale.is_empty() {
            stale.sort();
            println!(
                "note: not produced by this capture (left in place): {}",
                stale.join(", ")
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lines() {
        let mut c = Capture::default();
        c.observe("IPVS-FIXTURE service_dump.bin 0a0bff");
        c.observe("test capture ... IPVS-FIXTURE dir/x.bin 00");
        c.observe("IPVS-FIXTURE bad.bin 0a0");
        c.observe("IPVS-FIXTURE ../escape 00");
        assert_eq!(c.files["service_dump.bin"], vec![0x0a, 0x0b, 0xff]);
        assert_eq!(c.files["dir/x.bin"], vec![0]);
        assert_eq!(c.errors.len(), 2);
    }
}

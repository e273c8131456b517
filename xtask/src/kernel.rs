//! Guest kernels: which ones to boot, fetching Debian's cloud kernels with
//! `apt-get download`, and the cache under `target/testbed/kernels/`.
//!
//! A cached kernel directory holds `vmlinuz`, `modules.cpio` (see
//! [`crate::modules`]), the downloaded `.deb` and a `stamp` naming the
//! package version and module selection it was built from. The directory is
//! reused as long as apt's candidate version and the selection are unchanged.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::{bail, Context, Result};
use crate::host;
use crate::modules;

/// Debian kernel series the test bed knows: label and apt meta package.
const SERIES: &[(&str, &str)] = &[
    ("6.1", "linux-image-cloud-amd64"),
    ("6.12", "linux-image-6.12-cloud-amd64"),
];

/// Environment variable naming a kernel image to boot instead of Debian's.
pub(crate) const ENV_KERNEL: &str = "IPVS_TESTBED_KERNEL";
/// Environment variable naming that kernel's `/lib/modules/<release>`.
pub(crate) const ENV_MODULES: &str = "IPVS_TESTBED_MODULES";

/// A kernel requested on the command line, not yet fetched.
#[derive(Clone, Debug)]
pub(crate) enum Spec {
    /// A Debian cloud kernel series (label, apt meta package).
    Debian(&'static str, &'static str),
    /// A user-provided kernel image and module directory.
    Custom { vmlinuz: PathBuf, modules: PathBuf },
}

/// A kernel ready to boot.
#[derive(Clone, Debug)]
pub(crate) struct Kernel {
    /// Short name used in output and fixture paths, e.g. `6.1`.
    pub label: String,
    /// Full release (`uname -r`), e.g. `6.1.0-56-cloud-amd64`.
    pub release: String,
    /// The bzImage.
    pub vmlinuz: PathBuf,
    /// Cpio archive with the modules and their load order.
    pub modules_cpio: PathBuf,
}

/// Parses `--kernel` (`6.1`, `6.12`, `all` or a comma-separated list).
/// `IPVS_TESTBED_KERNEL` overrides it: then only that kernel is booted.
pub(crate) fn specs(arg: &str) -> Result<Vec<Spec>> {
    if let Some(vmlinuz) = std::env::var_os(ENV_KERNEL) {
        let Some(modules) = std::env::var_os(ENV_MODULES) else {
            bail!("{ENV_KERNEL} is set, so {ENV_MODULES} must name its /lib/modules/<release> directory");
        };
        if arg != "all" {
            eprintln!("note: {ENV_KERNEL} is set; ignoring --kernel {arg}");
        }
        return Ok(vec![Spec::Custom {
            vmlinuz: vmlinuz.into(),
            modules: modules.into(),
        }]);
    }
    if arg == "all" {
        return Ok(SERIES.iter().map(|&(l, p)| Spec::Debian(l, p)).collect());
    }
    arg.split(',')
        .map(
            |want| match SERIES.iter().find(|(l, _)| *l == want.trim()) {
                Some(&(l, p)) => Ok(Spec::Debian(l, p)),
                None => {
                    let known: Vec<&str> = SERIES.iter().map(|(l, _)| *l).collect();
                    bail!(
                        "unknown kernel {want:?}; choose one of {} or all",
                        known.join(", ")
                    )
                }
            },
        )
        .collect()
}

/// Whether preparing `specs` needs apt, dpkg and depmod.
pub(crate) fn needs_fetch_tools(specs: &[Spec]) -> bool {
    specs.iter().any(|s| matches!(s, Spec::Debian(..)))
}

/// Fetches (or reuses from `cache`) the kernel and its module archive.
pub(crate) fn prepare(spec: &Spec, cache: &Path) -> Result<Kernel> {
    match spec {
        Spec::Debian(label, meta) => prepare_debian(label, meta, &cache.join("kernels")),
        Spec::Custom { vmlinuz, modules } => {
            prepare_custom(vmlinuz, modules, &cache.join("kernels"))
        }
    }
}

/// `6.1.0-56-cloud-amd64` -> `6.1`.
fn major_minor(release: &str) -> String {
    release
        .split(|c: char| !c.is_ascii_digit())
        .take(2)
        .collect::<Vec<_>>()
        .join(".")
}

fn prepare_debian(label: &str, meta: &str, kernels: &Path) -> Result<Kernel> {
    let (package, version) = resolve(meta, kernels)?;
    let release = package.trim_start_matches("linux-image-").to_owned();
    let dir = kernels.join(&release);
    let stamp = format!(
        "package={package}\nversion={version}\nmodules={}\nunsigned\n",
        modules::selection_id()
    );
    let kernel = Kernel {
        label: label.to_owned(),
        release: release.clone(),
        vmlinuz: dir.join("vmlinuz"),
        modules_cpio: dir.join("modules.cpio"),
    };
    let stamp_path = dir.join("stamp");
    if fs::read_to_string(&stamp_path).ok().as_deref() == Some(&stamp)
        && kernel.vmlinuz.is_file()
        && kernel.modules_cpio.is_file()
    {
        return Ok(kernel);
    }

    fs::create_dir_all(&dir)?;
    let _ = fs::remove_file(&stamp_path);
    let deb = dir.join(format!(
        "{package}_{}_amd64.deb",
        version.replace(':', "%3a")
    ));
    if !deb.is_file() {
        println!("[{label}] downloading {package} {version}");
        // Drop packages of older versions of this kernel ABI.
        for entry in fs::read_dir(&dir)? {
            let p = entry?.path();
            if p.extension().is_some_and(|e| e == "deb") {
                fs::remove_file(p)?;
            }
        }
        host::run(
            Command::new(host::tool(host::APT_GET)?)
                .args(["download", "-q", &format!("{package}={version}")])
                .current_dir(&dir),
        )?;
        if !deb.is_file() {
            bail!("apt-get download did not produce {}", deb.display());
        }
    }

    println!(
        "[{label}] unpacking {} and selecting modules",
        deb.display()
    );
    let root = dir.join("root");
    let _ = fs::remove_dir_all(&root);
    host::run(
        Command::new(host::tool(host::DPKG)?)
            .arg("-x")
            .arg(&deb)
            .arg(&root),
    )?;
    // Newer packages install to /usr/lib/modules; depmod -b looks in /lib.
    if !root.join("lib/modules").exists() && root.join("usr/lib/modules").exists() {
        std::os::unix::fs::symlink("usr/lib", root.join("lib"))?;
    }
    host::output(
        Command::new(host::tool(host::DEPMOD)?)
            .arg("-b")
            .arg(&root)
            .arg(&release),
    )?;
    fs::copy(
        root.join(format!("boot/vmlinuz-{release}")),
        &kernel.vmlinuz,
    )
    .context(|| format!("copying the kernel image out of {}", deb.display()))?;
    let moddir = root.join("lib/modules").join(&release);
    let config =
        fs::read_to_string(root.join(format!("boot/config-{release}"))).unwrap_or_default();
    let strip = config.contains("# CONFIG_MODULE_SIG_FORCE is not set");
    report_selection(
        label,
        &modules::write_archive(&moddir, &release, &kernel.modules_cpio, strip)?,
    );
    fs::remove_dir_all(&root)?;
    fs::write(&stamp_path, stamp)?;
    Ok(kernel)
}

fn prepare_custom(vmlinuz: &Path, moddir: &Path, kernels: &Path) -> Result<Kernel> {
    let release = moddir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| !n.is_empty())
        .context(|| format!("{ENV_MODULES}={} has no release name", moddir.display()))?;
    if !vmlinuz.is_file() {
        bail!("{ENV_KERNEL}={} is not a readable file", vmlinuz.display());
    }
    let label = major_minor(&release);
    let dir = kernels.join(format!("custom-{release}"));
    fs::create_dir_all(&dir)?;
    let modules_cpio = dir.join("modules.cpio");
    // Without the kernel's configuration, keep signatures: the kernel might
    // refuse unsigned modules.
    report_selection(
        &label,
        &modules::write_archive(moddir, &release, &modules_cpio, false)?,
    );
    Ok(Kernel {
        label,
        release,
        vmlinuz: vmlinuz.to_owned(),
        modules_cpio,
    })
}

fn report_selection(label: &str, sel: &modules::Selection) {
    println!("[{label}] {} modules to load", sel.loaded.len());
    if !sel.builtin.is_empty() {
        println!("[{label}] built in: {}", sel.builtin.join(" "));
    }
    if !sel.missing.is_empty() {
        println!(
            "[{label}] not in this kernel (skipped): {}",
            sel.missing.join(" ")
        );
    }
}

/// The versioned image package `meta` depends on and its candidate version.
///
/// Each `apt-cache` call takes about a second where apt keeps no binary
/// cache (Debian container images), so the answer is remembered until apt's
/// package lists change (`apt-get update` replaces files in the lists
/// directory, which updates its modification time).
fn resolve(meta: &str, kernels: &Path) -> Result<(String, String)> {
    let lists_stamp = lists_modified();
    let memo = kernels.join(format!("{meta}.resolved"));
    if let (Some(stamp), Ok(text)) = (&lists_stamp, fs::read_to_string(&memo)) {
        let fields: Vec<&str> = text.split_whitespace().collect();
        if let [s, package, version] = fields[..] {
            if s == stamp {
                return Ok((package.to_owned(), version.to_owned()));
            }
        }
    }
    let lookup = || -> Result<(String, String)> {
        let package = resolve_package(meta)?;
        let version = candidate_version(&package)?;
        Ok((package, version))
    };
    // A fresh machine may have no package lists yet: refresh them once
    // where this process may (root, apt-get), then ask again.
    let (package, version) = match lookup() {
        Ok(found) => found,
        Err(e) if host::can_install() => {
            println!("{e}");
            host::apt_update()?;
            lookup()?
        }
        Err(e) => return Err(e),
    };
    let lists_stamp = lists_modified();
    if let Some(stamp) = lists_stamp {
        fs::create_dir_all(kernels)?;
        fs::write(&memo, format!("{stamp} {package} {version}\n"))?;
    }
    Ok((package, version))
}

/// When apt's package lists last changed, as nanoseconds since the epoch.
fn lists_modified() -> Option<String> {
    fs::metadata("/var/lib/apt/lists")
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_nanos().to_string())
}

/// The versioned image package a meta package depends on, e.g.
/// `linux-image-cloud-amd64` -> `linux-image-6.1.0-56-cloud-amd64`.
fn resolve_package(meta: &str) -> Result<String> {
    let out = host::output(Command::new(host::tool(host::APT_CACHE)?).args(["depends", meta]))
        .context(|| format!("resolving {meta} (run `apt-get update` first?)"))?;
    out.lines()
        .filter_map(|l| l.trim().strip_prefix("Depends:"))
        .map(|p| p.trim().trim_matches(|c| c == '<' || c == '>').to_owned())
        .find(|p| p.starts_with("linux-image-"))
        .context(|| format!("apt-cache depends {meta} names no linux-image package"))
}

/// apt's candidate version of `package`.
fn candidate_version(package: &str) -> Result<String> {
    let out = host::output(Command::new(host::tool(host::APT_CACHE)?).args(["policy", package]))?;
    match out
        .lines()
        .find_map(|l| l.trim().strip_prefix("Candidate:"))
        .map(str::trim)
    {
        Some(v) if v != "(none)" => Ok(v.to_owned()),
        _ => bail!("apt has no candidate version of {package} (run `apt-get update`?)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        assert_eq!(major_minor("6.1.0-56-cloud-amd64"), "6.1");
        assert_eq!(major_minor("6.12.117+deb12-cloud-amd64"), "6.12");
    }
}

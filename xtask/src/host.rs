//! The build machine: locating the programs the test bed needs, installing
//! the Debian packages of missing ones (as root, where apt-get exists) or
//! naming them, and running commands.

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::error::{bail, Context, Error, Result};

/// A program the test bed runs on the host, and the Debian package with it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tool {
    /// File name looked up in `PATH` (and the sbin directories).
    pub name: &'static str,
    /// Debian package that installs it.
    pub package: &'static str,
    /// What the test bed uses it for (said when installing it).
    pub purpose: &'static str,
}

pub(crate) const QEMU: Tool = Tool {
    name: "qemu-system-x86_64",
    package: "qemu-system-x86",
    purpose: "boots the test kernels",
};
pub(crate) const BUSYBOX: Tool = Tool {
    name: "busybox",
    package: "busybox-static",
    purpose: "the guest's basic commands",
};
pub(crate) const IPVSADM: Tool = Tool {
    name: "ipvsadm",
    package: "ipvsadm",
    purpose: "the kernel tests compare the crate with it",
};
pub(crate) const IP: Tool = Tool {
    name: "ip",
    package: "iproute2",
    purpose: "sets up the guest's interfaces",
};
pub(crate) const DASH: Tool = Tool {
    name: "dash",
    package: "dash",
    purpose: "the guest's shell",
};
pub(crate) const UNSHARE: Tool = Tool {
    name: "unshare",
    package: "util-linux",
    purpose: "runs commands in the guest's tests",
};
pub(crate) const NSENTER: Tool = Tool {
    name: "nsenter",
    package: "util-linux",
    purpose: "runs commands in the guest's tests",
};
pub(crate) const SETSID: Tool = Tool {
    name: "setsid",
    package: "util-linux",
    purpose: "runs commands in the guest's tests",
};
pub(crate) const TIMEOUT: Tool = Tool {
    name: "timeout",
    package: "coreutils",
    purpose: "runs commands in the guest's tests",
};
pub(crate) const ENV: Tool = Tool {
    name: "env",
    package: "coreutils",
    purpose: "runs commands in the guest's tests",
};
pub(crate) const STRACE: Tool = Tool {
    name: "strace",
    package: "strace",
    purpose: "records ipvsadm's requests for the fixtures",
};
pub(crate) const LDD: Tool = Tool {
    name: "ldd",
    package: "libc-bin",
    purpose: "finds the libraries the guest's programs need",
};
pub(crate) const DEPMOD: Tool = Tool {
    name: "depmod",
    package: "kmod",
    purpose: "orders the kernel modules",
};
pub(crate) const XZ: Tool = Tool {
    name: "xz",
    package: "xz-utils",
    purpose: "unpacks the kernel modules",
};
pub(crate) const DPKG: Tool = Tool {
    name: "dpkg",
    package: "dpkg",
    purpose: "unpacks the kernel packages",
};
pub(crate) const APT_GET: Tool = Tool {
    name: "apt-get",
    package: "apt",
    purpose: "downloads the kernel packages",
};
pub(crate) const APT_CACHE: Tool = Tool {
    name: "apt-cache",
    package: "apt",
    purpose: "finds the kernel packages",
};

/// Tools needed to boot a guest with userland and test binaries (every
/// program the guest's userland copies from the host is among them).
pub(crate) const GUEST_TOOLS: &[Tool] = &[
    QEMU, BUSYBOX, DASH, IPVSADM, IP, UNSHARE, NSENTER, SETSID, TIMEOUT, ENV, STRACE, LDD,
];
/// Additional tools needed to fetch and unpack Debian kernels.
pub(crate) const KERNEL_FETCH_TOOLS: &[Tool] = &[APT_GET, APT_CACHE, DPKG, DEPMOD, XZ];

/// Finds `name` in `PATH`, falling back to the sbin directories that are
/// often missing from a non-root `PATH`.
pub(crate) fn find(name: &str) -> Option<PathBuf> {
    let path = env::var_os("PATH").unwrap_or_default();
    env::split_paths(&path)
        .chain(["/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/bin", "/bin"].map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// Finds a tool or fails naming the package to install.
pub(crate) fn tool(t: Tool) -> Result<PathBuf> {
    find(t.name).ok_or_else(|| {
        Error(format!(
            "`{}` not found; install it with: apt-get install {}",
            t.name, t.package
        ))
    })
}

/// Checks that all `tools` exist (and that busybox is statically linked).
/// Run as root where `apt-get` exists, installs the Debian packages of the
/// missing ones (saying which and why); otherwise fails naming every missing
/// one at once with the packages to install.
pub(crate) fn require(tools: &[Tool]) -> Result<()> {
    let missing = missing(tools)?;
    if missing.is_empty() {
        return Ok(());
    }
    if !can_install() {
        return Err(missing_error(&missing));
    }
    println!("{}", install_announcement(&missing));
    apt_update()?;
    let mut install = Command::new(tool(APT_GET)?);
    install
        .args(["install", "-y", "-q", "--no-install-recommends"])
        .args(packages(&missing))
        .env("DEBIAN_FRONTEND", "noninteractive");
    run(&mut install)?;
    let still = self::missing(tools)?;
    if still.is_empty() {
        Ok(())
    } else {
        Err(missing_error(&still))
    }
}

/// The tools among `tools` that are not found, or (busybox) not static.
fn missing(tools: &[Tool]) -> Result<Vec<Tool>> {
    let mut missing: Vec<Tool> = tools
        .iter()
        .copied()
        .filter(|t| find(t.name).is_none())
        .collect();
    if tools.iter().any(|t| t.name == BUSYBOX.name) {
        if let Some(bb) = find(BUSYBOX.name) {
            if !is_static(&bb)? {
                eprintln!(
                    "{} is dynamically linked; the guest needs a static busybox",
                    bb.display()
                );
                missing.push(BUSYBOX);
            }
        }
    }
    Ok(missing)
}

/// The Debian packages of `tools`, each once, in order.
fn packages(tools: &[Tool]) -> Vec<&'static str> {
    let mut packages: Vec<&str> = Vec::new();
    for t in tools {
        if !packages.contains(&t.package) {
            packages.push(t.package);
        }
    }
    packages
}

/// The failure when `missing` cannot be installed here.
fn missing_error(missing: &[Tool]) -> Error {
    let names: Vec<&str> = missing.iter().map(|t| t.name).collect();
    Error(format!(
        "missing prerequisites: {}\ninstall them with: apt-get install --no-install-recommends {}",
        names.join(", "),
        packages(missing).join(" ")
    ))
}

/// What is about to be installed, and why: one line per package.
fn install_announcement(missing: &[Tool]) -> String {
    let mut s = String::from("installing the Debian packages the test bed needs:");
    for package in packages(missing) {
        let of_package: Vec<Tool> = missing
            .iter()
            .copied()
            .filter(|t| t.package == package)
            .collect();
        let names: Vec<&str> = of_package.iter().map(|t| t.name).collect();
        let mut purposes: Vec<&str> = of_package.iter().map(|t| t.purpose).collect();
        purposes.dedup();
        s.push_str(&format!(
            "\n  {package} ({}): {}",
            names.join(", "),
            purposes.join("; ")
        ));
    }
    s
}

/// Whether this process may install Debian packages: it runs as root and
/// `apt-get` exists.
pub(crate) fn can_install() -> bool {
    is_root() && find(APT_GET.name).is_some()
}

/// Whether the effective user is root (the `Uid:` line of
/// `/proc/self/status`: real, effective, saved, file system).
fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|status| {
        status
            .lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|ids| ids.split_whitespace().nth(1))
            == Some("0")
    })
}

/// Refreshes apt's package lists (`apt-get update`), which a fresh machine
/// may not have yet.
pub(crate) fn apt_update() -> Result<()> {
    println!("refreshing apt's package lists: apt-get update");
    run(Command::new(tool(APT_GET)?)
        .args(["update", "-q"])
        .env("DEBIAN_FRONTEND", "noninteractive"))
}

/// The static busybox binary that becomes the guest's `/bin/busybox`.
pub(crate) fn busybox() -> Result<PathBuf> {
    let bb = tool(BUSYBOX)?;
    if !is_static(&bb)? {
        bail!(
            "{} is dynamically linked; install busybox-static",
            bb.display()
        );
    }
    Ok(bb)
}

/// Whether an ELF executable has no program interpreter (`PT_INTERP`),
/// i.e. runs without a dynamic loader.
fn is_static(path: &Path) -> Result<bool> {
    let elf = std::fs::read(path).context(|| format!("reading {}", path.display()))?;
    let u16_at = |o: usize| {
        elf.get(o..o + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]) as usize)
    };
    let u64_at = |o: usize| {
        elf.get(o..o + 8)
            .map(|b| u64::from_le_bytes(b.try_into().unwrap()) as usize)
    };
    if elf.get(..5) != Some(b"\x7fELF\x02") {
        bail!("{} is not a 64-bit ELF file", path.display());
    }
    let (Some(phoff), Some(phentsize), Some(phnum)) = (u64_at(0x20), u16_at(0x36), u16_at(0x38))
    else {
        bail!("{}: truncated ELF header", path.display());
    };
    const PT_INTERP: u32 = 3;
    Ok((0..phnum).all(|i| {
        let o = phoff + i * phentsize;
        elf.get(o..o + 4)
            .map(|b| u32::from_le_bytes(b.try_into().unwrap()))
            != Some(PT_INTERP)
    }))
}

/// Runs `cmd`, returning its standard output; fails with its standard error.
pub(crate) fn output(cmd: &mut Command) -> Result<String> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .context(|| format!("running {cmd:?}"))?;
    if !out.status.success() {
        bail!(
            "{cmd:?} failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim_end()
        );
    }
    String::from_utf8(out.stdout).context(|| format!("{cmd:?} printed invalid UTF-8"))
}

/// Runs `cmd` with inherited output and fails unless it succeeds.
pub(crate) fn run(cmd: &mut Command) -> Result<()> {
    let status = cmd
        .stdin(Stdio::null())
        .status()
        .context(|| format!("running {cmd:?}"))?;
    if !status.success() {
        bail!("{cmd:?} failed ({status})");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAKE: Tool = Tool {
        name: "no-such-tool-for-the-test-bed",
        package: "some-package",
        purpose: "stands for a missing tool",
    };

    #[test]
    fn missing_tools_name_their_packages() {
        let missing = missing(&[FAKE, LDD]).unwrap();
        assert_eq!(missing.len(), 1, "{missing:?}");
        let err = missing_error(&missing).0;
        assert!(err.contains("no-such-tool-for-the-test-bed"), "{err}");
        assert!(
            err.contains("apt-get install --no-install-recommends some-package"),
            "{err}"
        );
    }

    #[test]
    fn installing_says_what_and_why() {
        let text = install_announcement(&[QEMU, UNSHARE, NSENTER, FAKE]);
        assert_eq!(
            text,
            "installing the Debian packages the test bed needs:\n  \
             qemu-system-x86 (qemu-system-x86_64): boots the test kernels\n  \
             util-linux (unshare, nsenter): runs commands in the guest's tests\n  \
             some-package (no-such-tool-for-the-test-bed): stands for a missing tool"
        );
    }

    #[test]
    fn dynamic_executables_are_not_static() {
        // This test binary is linked against glibc's dynamic loader.
        assert!(!is_static(Path::new("/proc/self/exe")).unwrap());
    }
}

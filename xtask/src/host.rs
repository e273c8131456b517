//! The build machine: locating the programs the test bed needs, naming the
//! Debian package that provides each missing one, and running commands.

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::error::{bail, Context, Error, Result};

/// A program the test bed runs on the host, and the Debian package with it.
#[derive(Clone, Copy, Debug)]
pub struct Tool {
    /// File name looked up in `PATH` (and the sbin directories).
    pub name: &'static str,
    /// Debian package that installs it.
    pub package: &'static str,
}

pub const QEMU: Tool = Tool {
    name: "qemu-system-x86_64",
    package: "qemu-system-x86",
};
pub const BUSYBOX: Tool = Tool {
    name: "busybox",
    package: "busybox-static",
};
pub const IPVSADM: Tool = Tool {
    name: "ipvsadm",
    package: "ipvsadm",
};
pub const IP: Tool = Tool {
    name: "ip",
    package: "iproute2",
};
pub const DASH: Tool = Tool {
    name: "dash",
    package: "dash",
};
pub const UNSHARE: Tool = Tool {
    name: "unshare",
    package: "util-linux",
};
pub const NSENTER: Tool = Tool {
    name: "nsenter",
    package: "util-linux",
};
pub const SETSID: Tool = Tool {
    name: "setsid",
    package: "util-linux",
};
pub const TIMEOUT: Tool = Tool {
    name: "timeout",
    package: "coreutils",
};
pub const ENV: Tool = Tool {
    name: "env",
    package: "coreutils",
};
pub const STRACE: Tool = Tool {
    name: "strace",
    package: "strace",
};
pub const LDD: Tool = Tool {
    name: "ldd",
    package: "libc-bin",
};
pub const DEPMOD: Tool = Tool {
    name: "depmod",
    package: "kmod",
};
pub const XZ: Tool = Tool {
    name: "xz",
    package: "xz-utils",
};
pub const DPKG: Tool = Tool {
    name: "dpkg",
    package: "dpkg",
};
pub const APT_GET: Tool = Tool {
    name: "apt-get",
    package: "apt",
};
pub const APT_CACHE: Tool = Tool {
    name: "apt-cache",
    package: "apt",
};

/// Tools needed to boot a guest with userland and test binaries.
pub const GUEST_TOOLS: &[Tool] = &[
    QEMU, BUSYBOX, DASH, IPVSADM, IP, UNSHARE, NSENTER, SETSID, TIMEOUT, ENV, LDD,
];
/// Additional tools needed to fetch and unpack Debian kernels.
pub const KERNEL_FETCH_TOOLS: &[Tool] = &[APT_GET, APT_CACHE, DPKG, DEPMOD, XZ];

/// Finds `name` in `PATH`, falling back to the sbin directories that are
/// often missing from a non-root `PATH`.
pub fn find(name: &str) -> Option<PathBuf> {
    let path = env::var_os("PATH").unwrap_or_default();
    env::split_paths(&path)
        .chain(["/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/bin", "/bin"].map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// Finds a tool or fails naming the package to install.
pub fn tool(t: Tool) -> Result<PathBuf> {
    find(t.name).ok_or_else(|| {
        Error(format!(
            "`{}` not found; install it with: apt-get install {}",
            t.name, t.package
        ))
    })
}

/// Checks that all `tools` exist (and that busybox is statically linked),
/// reporting every missing one at once with the packages to install.
pub fn require(tools: &[Tool]) -> Result<()> {
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
    if missing.is_empty() {
        return Ok(());
    }
    let mut packages: Vec<&str> = missing.iter().map(|t| t.package).collect();
    packages.dedup();
    let names: Vec<&str> = missing.iter().map(|t| t.name).collect();
    bail!(
        "missing prerequisites: {}\ninstall them with: apt-get install --no-install-recommends {}",
        names.join(", "),
        packages.join(" ")
    )
}

/// The static busybox binary that becomes the guest's `/bin/busybox`.
pub fn busybox() -> Result<PathBuf> {
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
pub fn output(cmd: &mut Command) -> Result<String> {
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
pub fn run(cmd: &mut Command) -> Result<()> {
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

    #[test]
    fn missing_tools_name_their_packages() {
        let fake = Tool {
            name: "no-such-tool-for-the-test-bed",
            package: "some-package",
        };
        let err = require(&[fake, LDD]).unwrap_err().0;
        assert!(err.contains("no-such-tool-for-the-test-bed"), "{err}");
        assert!(
            err.contains("apt-get install --no-install-recommends some-package"),
            "{err}"
        );
    }

    #[test]
    fn dynamic_executables_are_not_static() {
        // This test binary is linked against glibc's dynamic loader.
        assert!(!is_static(Path::new("/proc/self/exe")).unwrap());
    }
}

//! The guest's root file system: a userland archive (busybox, dash as
//! `/bin/sh`, ipvsadm, iproute2, the programs to run, their shared libraries, `/init`) that is
//! appended to the cached per-kernel module archive.
//!
//! The initrd is left uncompressed: under software emulation the kernel
//! unpacks a plain cpio archive much faster than it inflates a gzip one, and
//! QEMU loads the file into guest memory at host speed.

use std::collections::BTreeSet;
use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cargo::Binary;
use crate::cpio;
use crate::error::{bail, Context, Result};
use crate::host;
use crate::modules;

/// Console markers printed by `/init`, read by [`crate::summary`].
pub(crate) mod marker {
    /// `IPVS-TESTBED-UNAME <uname -r>`.
    pub(crate) const UNAME: &str = "IPVS-TESTBED-UNAME ";
    /// `IPVS-TESTBED-MODFAIL <module path>`: insmod failed.
    pub(crate) const MODFAIL: &str = "IPVS-TESTBED-MODFAIL ";
    /// Modules are loaded; programs start now. Followed by guest uptimes.
    pub(crate) const BOOTED: &str = "IPVS-TESTBED-BOOTED";
    /// `IPVS-TESTBED-RUN <name>`: a program starts.
    pub(crate) const RUN: &str = "IPVS-TESTBED-RUN ";
    /// `IPVS-TESTBED: <name> exit=<code>`: a program ended.
    pub(crate) const EXIT: &str = "IPVS-TESTBED: ";
    /// All programs ended; the guest powers off.
    pub(crate) const DONE: &str = "IPVS-TESTBED-DONE";
}

/// A program `/init` runs, in order.
#[derive(Clone, Debug)]
pub(crate) struct GuestCommand {
    /// Name printed in the markers.
    pub name: String,
    /// Host executable, copied to `/testbed/bin/<name>`.
    pub binary: PathBuf,
    /// Arguments.
    pub args: Vec<String>,
}

/// Host programs copied into the guest, at their host path unless another
/// is given. Debian's static busybox runs its own applets in preference to
/// anything in `PATH`, both in its shell and when one of its applets executes
/// a command (`unshare -n sh -c "ip ..."` would get busybox's `ip`). So the
/// shell is dash, and the applets that execute other programs come from
/// util-linux and coreutils; busybox provides the rest.
const HOST_PROGRAMS: &[(host::Tool, Option<&str>)] = &[
    (host::IPVSADM, None),
    (host::IP, None),
    (host::DASH, Some("bin/sh")),
    (host::UNSHARE, None),
    (host::NSENTER, None),
    (host::SETSID, None),
    (host::TIMEOUT, None),
    (host::ENV, None),
    // tests/kernel_capture.rs records ipvsadm's requests with strace.
    (host::STRACE, None),
];

/// Where the examples are in the guest.
const EXAMPLES_DIR: &str = "/testbed/examples";

/// Fixtures larger than this are not copied into the guest.
const MAX_FIXTURE_BYTES: u64 = 32 << 20;

/// Writes the userland archive to `out`. `workdir` is the package root of
/// the crate under test: it exists in the guest at the same path (with its
/// `tests/fixtures`), and the programs run there, as under `cargo test`.
/// `examples` are copied to `/testbed/examples/<name>` (`IPVS_EXAMPLES_DIR`).
pub(crate) fn write_userland(
    workdir: &Path,
    commands: &[GuestCommand],
    examples: &[Binary],
    out: &Path,
) -> Result<()> {
    let mut w = cpio::Writer::new(BufWriter::new(fs::File::create(out)?), 1);
    for dir in [
        "proc", "sys", "dev", "tmp", "run", "root", "etc", "usr/bin", "usr/sbin", "sbin",
    ] {
        w.dir(dir)?;
    }
    w.symlink("var/run", "../run")?;
    w.file("etc/passwd", 0o644, b"root:x:0:0:root:/root:/bin/sh\n")?;
    w.file("etc/group", 0o644, b"root:x:0:\n")?;
    w.file("etc/hosts", 0o644, b"127.0.0.1 localhost\n::1 localhost\n")?;

    // Host programs at their host paths (dash as /bin/sh), with libraries.
    let mut programs: Vec<(String, PathBuf)> = Vec::new();
    for &(tool, guest) in HOST_PROGRAMS {
        let path = host::tool(tool)?;
        let guest = guest.map_or_else(
            || path.to_string_lossy().trim_start_matches('/').to_owned(),
            String::from,
        );
        programs.push((guest, path));
    }
    let host_programs = programs.clone();
    for c in commands {
        programs.push((format!("testbed/bin/{}", c.name), c.binary.clone()));
    }
    for e in examples {
        programs.push((
            format!("{EXAMPLES_DIR}/{}", e.name).split_off(1),
            e.path.clone(),
        ));
    }
    let mut libs = BTreeSet::new();
    for (guest, path) in &programs {
        libs.extend(shared_libraries(path)?);
        w.file(guest, 0o755, &read(path)?)?;
    }
    for lib in &libs {
        w.file(&lib.to_string_lossy(), 0o755, &read(lib)?)?;
    }

    // Busybox and its applets; an applet that a host program replaces links
    // to that program instead (e.g. /sbin/ip -> /usr/sbin/ip).
    let busybox = host::busybox()?;
    w.file("bin/busybox", 0o755, &read(&busybox)?)?;
    let applets = host::output(Command::new(&busybox).arg("--list-full"))?;
    for applet in applets.lines().map(str::trim).filter(|a| !a.is_empty()) {
        if applet == "bin/busybox" || programs.iter().any(|(g, _)| g == applet) {
            continue;
        }
        let base = applet.rsplit('/').next().unwrap_or(applet);
        let target = host_programs
            .iter()
            .find(|(g, _)| g.rsplit('/').next() == Some(base))
            .map_or_else(|| "/bin/busybox".to_owned(), |(g, _)| format!("/{g}"));
        w.symlink(applet, &target)?;
    }

    add_workdir(&mut w, workdir)?;
    w.file("init", 0o755, init_script(workdir, commands).as_bytes())?;
    w.finish()?.flush()?;
    Ok(())
}

/// Concatenates the module archive and the userland archive into `out`.
pub(crate) fn write_initrd(modules_cpio: &Path, userland: &Path, out: &Path) -> Result<()> {
    let mut f = BufWriter::new(fs::File::create(out)?);
    for part in [modules_cpio, userland] {
        std::io::copy(
            &mut fs::File::open(part).context(|| format!("opening {}", part.display()))?,
            &mut f,
        )?;
    }
    f.flush()?;
    Ok(())
}

/// Creates `workdir` in the guest and copies its `tests/fixtures` tree.
fn add_workdir<W: Write>(w: &mut cpio::Writer<W>, workdir: &Path) -> Result<()> {
    w.dir(&workdir.to_string_lossy())?;
    let mut budget = MAX_FIXTURE_BYTES;
    let mut stack = vec![workdir.join("tests/fixtures")];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let entry = entry?;
            let path = entry.path();
            let meta = entry.metadata()?;
            if meta.is_dir() {
                stack.push(path);
            } else if meta.is_file() && meta.len() <= budget {
                budget -= meta.len();
                w.file(&path.to_string_lossy(), 0o644, &read(&path)?)?;
            }
        }
    }
    Ok(())
}

fn read(path: &Path) -> Result<Vec<u8>> {
    fs::read(path).context(|| format!("reading {}", path.display()))
}

/// The libraries (and dynamic loader) `ldd` lists for `program`, at the
/// paths the loader will look for them.
fn shared_libraries(program: &Path) -> Result<Vec<PathBuf>> {
    let out = Command::new(host::tool(host::LDD)?)
        .arg(program)
        .output()
        .context(|| format!("running ldd {}", program.display()))?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        if text.contains("not a dynamic executable") || text.contains("statically linked") {
            return Ok(Vec::new());
        }
        bail!(
            "ldd {} failed: {}",
            program.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mut libs = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.contains("not found") {
            bail!("{}: shared library {line}", program.display());
        }
        let path = match line.split_once("=>") {
            Some((_, rest)) => rest.trim(),
            None => line,
        };
        let path = path.split(" (").next().unwrap_or_default().trim();
        if path.starts_with('/') {
            libs.push(PathBuf::from(path));
        }
    }
    Ok(libs)
}

/// Quotes `s` for a POSIX shell.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The guest's `/init`: mounts, module loading, the commands, power-off.
/// `/tmp` and `/run` get a tmpfs unless `workdir` (copied into the root file
/// system, itself a tmpfs) lies below them.
fn init_script(workdir: &Path, commands: &[GuestCommand]) -> String {
    let mut s = format!(
        r#"#!/bin/sh
# Generated by `cargo xtask`; PID 1 of the ipvs-netlink test bed guest.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
read -r init_uptime _ < /proc/uptime
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
{tmpfs}echo "{uname}$(uname -r)"
while read -r m; do
    insmod "$m" || echo "{modfail}$m"
done < /{list}
ip link set lo up
export IPVS_REQUIRE_KERNEL=1 RUST_BACKTRACE=1 HOME=/root TMPDIR=/tmp
export CARGO_MANIFEST_DIR={workdir} IPVS_EXAMPLES_DIR={examples}
cd {workdir}
read -r booted_uptime _ < /proc/uptime
echo "{booted} (guest uptime: /init started at ${{init_uptime}}s, modules loaded at ${{booted_uptime}}s)"
run() {{
    name=$1
    shift
    echo "{run}$name"
    "$@"
    rc=$?
    echo
    echo "{exit}$name exit=$rc"
}}
"#,
        tmpfs = ["/tmp", "/run"]
            .iter()
            .filter(|d| !workdir.starts_with(d))
            .map(|d| format!("mount -t tmpfs tmpfs {d}\n"))
            .collect::<String>(),
        uname = marker::UNAME,
        modfail = marker::MODFAIL,
        list = modules::LOAD_LIST,
        workdir = quote(&workdir.to_string_lossy()),
        examples = EXAMPLES_DIR,
        booted = marker::BOOTED,
        run = marker::RUN,
        exit = marker::EXIT,
    );
    for c in commands {
        s.push_str(&format!(
            "run {} /testbed/bin/{}",
            quote(&c.name),
            quote(&c.name)
        ));
        for a in &c.args {
            s.push(' ');
            s.push_str(&quote(a));
        }
        s.push('\n');
    }
    s.push_str(&format!("echo {}\npoweroff -f\n", marker::DONE));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("it's"), r"'it'\''s'");
    }

    #[test]
    fn init_runs_commands_in_order() {
        let cmds = ["kernel", "kernel_x"].map(|n| GuestCommand {
            name: n.into(),
            binary: "/x".into(),
            args: vec!["--test-threads=2".into()],
        });
        let s = init_script(Path::new("/src"), &cmds);
        let a = s
            .find("run 'kernel' /testbed/bin/'kernel' '--test-threads=2'")
            .unwrap();
        let b = s.find("run 'kernel_x'").unwrap();
        assert!(a < b && b < s.find("poweroff -f").unwrap());
    }

    /// The prerequisite check (which installs what is missing) covers every
    /// program the userland copies, so none is found missing only later.
    #[test]
    fn prerequisites_cover_the_host_programs() {
        for (tool, _) in HOST_PROGRAMS {
            assert!(
                host::GUEST_TOOLS.iter().any(|t| t.name == tool.name),
                "{} is copied into the guest but not in host::GUEST_TOOLS",
                tool.name
            );
        }
    }
}

//! Kernel modules for the guest: which ones the tests need, their
//! dependencies per `modules.dep`, the order to load them in, and the cpio
//! archive that carries them (decompressed, since busybox `insmod` cannot
//! read `.ko.xz`).

use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::Path;
use std::process::Command;

use crate::cpio;
use crate::error::{bail, Context, Result};
use crate::host;

/// Modules the tests need, loaded with all their dependencies. Names absent
/// from a kernel (e.g. `ip_vs_twos` before 6.10) are skipped with a note.
pub(crate) const WANTED: &[&str] = &[
    "ip_vs",
    // Schedulers.
    "ip_vs_rr",
    "ip_vs_wrr",
    "ip_vs_lc",
    "ip_vs_wlc",
    "ip_vs_lblc",
    "ip_vs_lblcr",
    "ip_vs_dh",
    "ip_vs_sh",
    "ip_vs_sed",
    "ip_vs_nq",
    "ip_vs_fo",
    "ip_vs_ovf",
    "ip_vs_mh",
    "ip_vs_twos",
    // Persistence engine.
    "ip_vs_pe_sip",
    // Interfaces for sync daemons and data-plane tests.
    "dummy",
    "veth",
    "bridge",
    // Tunnels (IPIP, GRE, GUE) for tunnel destinations, IPv4 and IPv6.
    "ipip",
    "ip_gre",
    "fou",
    "tunnel6",
    "ip6_tunnel",
    "ip6_gre",
    "fou6",
    "sit",
    // SCTP sockets, for the drains of SCTP services with real associations.
    "sctp",
];

/// Modules without which the test bed is pointless.
const REQUIRED: &[&str] = &["ip_vs"];

/// Guest path of the file listing module paths in load order.
pub(crate) const LOAD_LIST: &str = "etc/testbed/modules";

/// Identifies the module selection, so caches built for another list are
/// rebuilt.
pub(crate) fn selection_id() -> String {
    WANTED.join(",")
}

/// What [`write_archive`] put into the archive.
pub(crate) struct Selection {
    /// Module names in load order.
    pub loaded: Vec<String>,
    /// Wanted modules built into the kernel (nothing to load).
    pub builtin: Vec<&'static str>,
    /// Wanted modules this kernel does not have.
    pub missing: Vec<&'static str>,
}

/// Normalized module name of a `modules.dep` path: `kernel/a/ip_vs-x.ko.xz`
/// becomes `ip_vs_x`.
fn module_name(path: &str) -> String {
    let file = path.rsplit('/').next().unwrap_or(path);
    let stem = file.split(".ko").next().unwrap_or(file);
    stem.replace('-', "_")
}

/// The path a module has inside the guest: compression suffix removed.
fn decompressed(path: &str) -> &str {
    [".xz", ".zst", ".gz"]
        .iter()
        .find_map(|s| path.strip_suffix(s))
        .unwrap_or(path)
}

/// Reads a module file, decompressing `.ko.xz`, `.ko.zst` and `.ko.gz`.
fn read_module(path: &Path) -> Result<Vec<u8>> {
    let name = path.to_string_lossy();
    let tool = if name.ends_with(".xz") {
        host::tool(host::XZ)?
    } else if name.ends_with(".zst") {
        host::tool(host::Tool {
            name: "zstd",
            package: "zstd",
            purpose: "unpacks the kernel modules",
        })?
    } else if name.ends_with(".gz") {
        host::tool(host::Tool {
            name: "gzip",
            package: "gzip",
            purpose: "unpacks the kernel modules",
        })?
    } else {
        return fs::read(path).context(|| format!("reading {}", path.display()));
    };
    let out = Command::new(tool)
        .arg("-dc")
        .arg(path)
        .output()
        .context(|| format!("decompressing {}", path.display()))?;
    if !out.status.success() {
        bail!(
            "decompressing {} failed: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(out.stdout)
}

/// Trailer of a signed module: `[signature][struct module_signature][MAGIC]`.
const SIG_MAGIC: &[u8] = b"~Module signature appended~\n";
/// `struct module_signature`; its last 4 bytes are the big-endian signature length.
const SIG_INFO_LEN: usize = 12;

/// Removes the appended signature of a module, if any.
///
/// Checking the signature (SHA-256 and RSA under emulation) is most of the
/// cost of `insmod`: dropping it cuts loading all modules from about 1.8 s to
/// 0.6 s on 6.12. The kernel then loads the module as unsigned (allowed
/// unless `CONFIG_MODULE_SIG_FORCE`; it taints the kernel with `E`).
fn strip_signature(mut module: Vec<u8>) -> Vec<u8> {
    let Some(body) = module.len().checked_sub(SIG_MAGIC.len() + SIG_INFO_LEN) else {
        return module;
    };
    if !module.ends_with(SIG_MAGIC) {
        return module;
    }
    let len = &module[body + SIG_INFO_LEN - 4..body + SIG_INFO_LEN];
    let sig_len = u32::from_be_bytes(len.try_into().expect("4 bytes")) as usize;
    if let Some(end) = body.checked_sub(sig_len) {
        module.truncate(end);
    }
    module
}

/// Writes the cpio archive with the wanted modules of the kernel whose
/// module tree is `moddir` (`.../lib/modules/<release>`, with `modules.dep`),
/// plus the load-order list at [`LOAD_LIST`]. With `strip_signatures`,
/// module signatures are removed to make loading faster.
pub(crate) fn write_archive(
    moddir: &Path,
    release: &str,
    out: &Path,
    strip_signatures: bool,
) -> Result<Selection> {
    let dep_file = moddir.join("modules.dep");
    let deps = fs::read_to_string(&dep_file).context(|| {
        format!(
            "reading {} (run `depmod` for this kernel first)",
            dep_file.display()
        )
    })?;
    let builtin_names: HashSet<String> = fs::read_to_string(moddir.join("modules.builtin"))
        .unwrap_or_default()
        .lines()
        .map(module_name)
        .collect();

    // name -> (path relative to moddir, dependency names in modules.dep order).
    let mut table: HashMap<String, (String, Vec<String>)> = HashMap::new();
    for line in deps.lines() {
        let Some((path, rest)) = line.split_once(':') else {
            continue;
        };
        let needs = rest.split_whitespace().map(module_name).collect();
        table.insert(module_name(path), (path.to_owned(), needs));
    }

    let mut sel = Selection {
        loaded: Vec::new(),
        builtin: Vec::new(),
        missing: Vec::new(),
    };
    let mut order: Vec<String> = Vec::new();
    let mut seen = HashSet::new();
    for &name in WANTED {
        if table.contains_key(name) {
            visit(name, &table, &mut seen, &mut order)?;
        } else if builtin_names.contains(name) {
            sel.builtin.push(name);
        } else if REQUIRED.contains(&name) {
            bail!("kernel {release} has no module {name} (not in modules.dep nor modules.builtin)");
        } else {
            sel.missing.push(name);
        }
    }

    let mut w = cpio::Writer::new(std::io::BufWriter::new(fs::File::create(out)?), 1_000_000);
    let mut list = String::new();
    for name in &order {
        let rel = &table[name].0;
        let guest = format!("lib/modules/{release}/{}", decompressed(rel));
        let mut module = read_module(&moddir.join(rel))?;
        if strip_signatures {
            module = strip_signature(module);
        }
        w.file(&guest, 0o644, &module)?;
        list.push('/');
        list.push_str(&guest);
        list.push('\n');
    }
    w.file(LOAD_LIST, 0o644, list.as_bytes())?;
    std::io::Write::flush(&mut w.finish()?)?;
    sel.loaded = order;
    Ok(sel)
}

/// Depth-first: appends the dependencies of `name`, then `name`.
fn visit(
    name: &str,
    table: &HashMap<String, (String, Vec<String>)>,
    seen: &mut HashSet<String>,
    order: &mut Vec<String>,
) -> Result<()> {
    if !seen.insert(name.to_owned()) {
        return Ok(());
    }
    let Some((_, needs)) = table.get(name) else {
        bail!("modules.dep names dependency {name} but has no entry for it");
    };
    // modules.dep lists the closest dependency first; load the farthest first.
    for dep in needs.iter().rev() {
        visit(dep, table, seen, order)?;
    }
    order.push(name.to_owned());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_paths() {
        assert_eq!(
            module_name("kernel/net/netfilter/ipvs/ip_vs_rr.ko.xz"),
            "ip_vs_rr"
        );
        assert_eq!(module_name("kernel/drivers/net/dummy.ko"), "dummy");
        assert_eq!(decompressed("kernel/a/b.ko.xz"), "kernel/a/b.ko");
        assert_eq!(decompressed("kernel/a/b.ko"), "kernel/a/b.ko");
    }

    #[test]
    fn signatures() {
        let mut signed = b"ELF...".to_vec();
        signed.extend_from_slice(b"SIG");
        signed.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3]);
        signed.extend_from_slice(SIG_MAGIC);
        assert_eq!(strip_signature(signed), b"ELF...");
        assert_eq!(strip_signature(b"ELF".to_vec()), b"ELF");
    }
}

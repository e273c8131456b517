//! Reading and writing the IPVS sysctls of a network namespace.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

use super::error::SysctlError;
use super::knobs::{Knob, Sysctls};
use crate::handle::Netns;
use crate::procfs::{in_netns, PROC_NET};

/// The directory of the IPVS sysctls.
pub const SYSCTL_DIR: &str = "/proc/sys/net/ipv4/vs";

/// Why the directory shows no knob: IPVS not loaded, or hidden.
fn absent() -> SysctlError {
    if Path::new(PROC_NET).join("ip_vs").exists() {
        SysctlError::Hidden
    } else {
        SysctlError::NotLoaded
    }
}

fn knob_error(knob: Knob, source: io::Error) -> SysctlError {
    match source.raw_os_error() {
        Some(1 | 13) => SysctlError::PermissionDenied { knob, source },
        _ if source.kind() == io::ErrorKind::NotFound => SysctlError::Missing(knob),
        _ => SysctlError::Io {
            knob: Some(knob),
            source,
        },
    }
}

fn read_here() -> Result<Sysctls, SysctlError> {
    let entries = match fs::read_dir(SYSCTL_DIR) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(absent()),
        Err(source) => return Err(SysctlError::Io { knob: None, source }),
    };
    let mut out = Sysctls::default();
    let mut any = false;
    for entry in entries {
        let entry = entry.map_err(|source| SysctlError::Io { knob: None, source })?;
        let name = entry.file_name().to_string_lossy().into_owned();
        any = true;
        let knob = Knob::from_name(&name);
        let text = match fs::read_to_string(entry.path()) {
            Ok(t) => t,
            Err(source) => {
                return Err(match knob {
                    Some(k) => knob_error(k, source),
                    None => SysctlError::Io { knob: None, source },
                })
            }
        };
        let text = text.strip_suffix('\n').unwrap_or(&text);
        match knob {
            Some(k) => out.set_text(k, text).map_err(|_| SysctlError::Unreadable {
                knob: k,
                text: text.to_owned(),
            })?,
            None => {
                out.others.insert(name, text.to_owned());
            }
        }
    }
    if !any {
        return Err(absent());
    }
    Ok(out)
}

/// Reads every IPVS sysctl of `netns` (`/proc/sys/net/ipv4/vs/*`, looked
/// up from inside the namespace; the calling thread never moves). A knob
/// this kernel lacks is `None`.
///
/// ```no_run
/// use ipvs_netlink::sysctl::read_sysctls;
/// use ipvs_netlink::Netns;
///
/// # fn main() -> Result<(), ipvs_netlink::sysctl::SysctlError> {
/// let s = read_sysctls(&Netns::Current)?;
/// println!("expire_nodest_conn: {:?}, est_nice: {:?}", s.expire_nodest_conn, s.est_nice);
/// # Ok(()) }
/// ```
pub fn read_sysctls(netns: &Netns) -> Result<Sysctls, SysctlError> {
    in_netns(netns, read_here).map_err(SysctlError::Netns)?
}

fn write_here(settings: &[(Knob, String)]) -> Result<(), SysctlError> {
    for (knob, value) in settings {
        let path = Path::new(SYSCTL_DIR).join(knob.name());
        let mut file = match OpenOptions::new().write(true).open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                // No such file: this kernel lacks the knob, unless the
                // whole directory is missing or hidden.
                let empty = fs::read_dir(SYSCTL_DIR).map_or(true, |mut d| d.next().is_none());
                return Err(if empty {
                    absent()
                } else {
                    SysctlError::Missing(*knob)
                });
            }
            Err(e) => return Err(knob_error(*knob, e)),
        };
        match file.write_all(value.as_bytes()) {
            Ok(()) => {}
            Err(e) if matches!(e.raw_os_error(), Some(22 | 34)) => {
                return Err(SysctlError::Refused {
                    knob: *knob,
                    value: value.clone(),
                })
            }
            Err(e) => return Err(knob_error(*knob, e)),
        }
    }
    Ok(())
}

/// Writes every knob `values` sets to `netns`, in the kernel's order, after
/// checking all of them against their ranges (nothing is written if one is
/// out of range). Stops at the first failure; the knobs before it stay
/// written. `values.others` is ignored.
///
/// ```no_run
/// use ipvs_netlink::sysctl::{write_sysctls, Sysctls};
/// use ipvs_netlink::Netns;
///
/// # fn main() -> Result<(), ipvs_netlink::sysctl::SysctlError> {
/// let drain = Sysctls { expire_nodest_conn: Some(true), ..Default::default() };
/// write_sysctls(&Netns::Named("blue".into()), &drain)?;
/// # Ok(()) }
/// ```
pub fn write_sysctls(netns: &Netns, values: &Sysctls) -> Result<(), SysctlError> {
    values.check()?;
    let settings: Vec<(Knob, String)> = values.iter().collect();
    in_netns(netns, || write_here(&settings)).map_err(SysctlError::Netns)?
}

//! What the handles' drain needs besides requests: the namespace's IPVS
//! sysctls that decide its traps.

use super::netns::PinnedNetns;
use super::Netns;
use crate::drain::VsSysctls;
use crate::sysctl::{read_sysctls, Sysctls};

/// Reads `expire_nodest_conn` and `expire_quiescent_template` of `netns`
/// with the sysctl reader ([`crate::sysctl::read_sysctls`]); a knob that
/// cannot be read says why.
pub(crate) fn read_vs_sysctls(netns: &PinnedNetns) -> VsSysctls {
    let read = netns
        .try_clone_fd()
        .map_err(|e| e.to_string())
        .and_then(|fd| read_sysctls(&Netns::Fd(fd)).map_err(|e| e.to_string()));
    let knob = |pick: fn(&Sysctls) -> Option<bool>, name: &str| match &read {
        Ok(s) => pick(s)
            .map(i64::from)
            .ok_or_else(|| format!("this kernel has no {name}")),
        Err(e) => Err(e.clone()),
    };
    VsSysctls {
        expire_nodest_conn: knob(|s| s.expire_nodest_conn, "expire_nodest_conn"),
        expire_quiescent_template: knob(
            |s| s.expire_quiescent_template,
            "expire_quiescent_template",
        ),
    }
}

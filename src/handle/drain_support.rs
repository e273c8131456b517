//! What the handles' drain needs besides requests: the namespace's IPVS
//! sysctls that decide its traps, and a pause between polls that suits each
//! handle.

use std::time::Duration;

use super::netns::PinnedNetns;
use crate::drain::VsSysctls;

/// Reads `expire_nodest_conn` and `expire_quiescent_template` from
/// `/proc/sys/net/ipv4/vs/` of `netns`: the files of `/proc/sys/net` are
/// those of the namespace of the thread that opens them, so for another
/// namespace a short-lived thread enters it to read them.
pub(crate) fn read_vs_sysctls(netns: &PinnedNetns) -> VsSysctls {
    let read = || {
        Ok(VsSysctls {
            expire_nodest_conn: read_one("expire_nodest_conn"),
            expire_quiescent_template: read_one("expire_quiescent_template"),
        })
    };
    netns.run(read).unwrap_or_else(|e| VsSysctls {
        expire_nodest_conn: Err(format!("cannot enter the namespace: {e}")),
        expire_quiescent_template: Err(format!("cannot enter the namespace: {e}")),
    })
}

fn read_one(name: &str) -> Result<i64, String> {
    let path = format!("/proc/sys/net/ipv4/vs/{name}");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
    text.trim()
        .parse()
        .map_err(|_| format!("{path}: not an integer: {:?}", text.trim()))
}

impl super::Handle {
    /// Waits between two polls of a drain.
    pub(super) fn pause(duration: Duration) {
        std::thread::sleep(duration);
    }
}

#[cfg(any(feature = "tokio", feature = "smol"))]
impl<T: super::Transport> super::AsyncHandle<T> {
    /// Waits between two polls of a drain, on the runtime's timer.
    pub(super) async fn pause(duration: Duration) {
        T::sleep(duration).await;
    }
}

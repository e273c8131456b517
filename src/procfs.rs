//! Files of `/proc` as another network namespace sees them, without moving
//! the calling thread: the connection table and the IPVS sysctls share it.
//!
//! `/proc/net` is the namespace of the process's main thread, not of the
//! calling thread, so files are opened under `/proc/thread-self/net`; and
//! `/proc/sys/net` is looked up in the namespace of the thread that opens
//! it. For another namespace a short-lived thread enters it, does the work
//! (open a file, read a directory) and ends. An open file keeps referring
//! to the namespace it was opened in, so it can be read from any thread.

use crate::error::NetnsError;
use crate::handle::netns::PinnedNetns;
use crate::handle::Netns;

/// `/proc/net` of the calling thread's namespace.
pub(crate) const PROC_NET: &str = "/proc/thread-self/net";

/// Runs `f` inside `netns`: on the calling thread when it is there already,
/// else on a scoped thread that enters the namespace first (the handles'
/// own way of making sockets in a namespace).
pub(crate) fn in_netns<T: Send>(
    netns: &Netns,
    f: impl FnOnce() -> T + Send,
) -> Result<T, NetnsError> {
    PinnedNetns::pin(netns)?.run(|| Ok(f()))
}

//! Files of `/proc` as another network namespace sees them, without moving
//! the calling thread: the connection table and the IPVS sysctls share it.
//!
//! `/proc/net` is the namespace of the process's main thread, not of the
//! calling thread, so files are opened under `/proc/thread-self/net`; and
//! `/proc/sys/net` is looked up in the namespace of the thread that opens
//! it. For another namespace a short-lived thread enters it, does the work
//! (open a file, read a directory) and ends. An open file keeps referring
//! to the namespace it was opened in, so it can be read from any thread.

use std::fs::File;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::path::PathBuf;

use rustix::thread::{move_into_link_name_space, LinkNameSpaceType};

use crate::handle::Netns;

/// `/proc/net` of the calling thread's namespace.
pub(crate) const PROC_NET: &str = "/proc/thread-self/net";

/// An open descriptor of `netns`, or `None` for the calling thread's own.
fn netns_fd(netns: &Netns) -> io::Result<Option<OwnedFd>> {
    Ok(match netns {
        Netns::Current => None,
        Netns::Named(n) => {
            if n.is_empty() || n.contains('/') || n == "." || n == ".." {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("invalid network namespace name {n:?}"),
                ));
            }
            Some(File::open(PathBuf::from("/var/run/netns").join(n))?.into())
        }
        Netns::Path(p) => Some(File::open(p)?.into()),
        Netns::Fd(fd) => Some(fd.try_clone()?),
    })
}

/// Runs `f` inside `netns`: on the calling thread for [`Netns::Current`],
/// else on a scoped thread that enters the namespace first. Errors opening
/// or entering the namespace are returned as [`NetnsError`]s.
pub(crate) fn in_netns<T: Send>(
    netns: &Netns,
    f: impl FnOnce() -> T + Send,
) -> Result<T, NetnsError> {
    let Some(fd) = netns_fd(netns).map_err(NetnsError)? else {
        return Ok(f());
    };
    std::thread::scope(|s| {
        s.spawn(move || {
            move_into_link_name_space(fd.as_fd(), Some(LinkNameSpaceType::Network))
                .map_err(|e| NetnsError(e.into()))?;
            Ok(f())
        })
        .join()
        .unwrap_or_else(|_| Err(NetnsError(io::Error::other("namespace thread panicked"))))
    })
}

/// The namespace could not be opened or entered.
#[derive(Debug)]
pub(crate) struct NetnsError(pub(crate) io::Error);

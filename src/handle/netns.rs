//! Opening a netlink socket inside another network namespace without
//! leaving the calling thread there.

use std::fs::File;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::path::PathBuf;

use netlink_sys::{protocols::NETLINK_GENERIC, Socket};
use rustix::thread::{move_into_link_name_space, LinkNameSpaceType};

/// Where a handle's socket lives. IPVS state is per network namespace: the
/// socket acts on the namespace it was created in, for its whole life.
#[derive(Debug)]
pub enum Netns {
    /// The namespace of the calling thread.
    Current,
    /// A namespace named as by `ip netns add NAME` (`/var/run/netns/NAME`).
    Named(String),
    /// A namespace file, such as `/proc/<pid>/ns/net` or a bind mount of one.
    Path(PathBuf),
    /// An open namespace file descriptor.
    Fd(OwnedFd),
}

impl Netns {
    /// A copy that refers to the same namespace (for reconnecting).
    pub fn try_clone(&self) -> io::Result<Self> {
        Ok(match self {
            Netns::Current => Netns::Current,
            Netns::Named(n) => Netns::Named(n.clone()),
            Netns::Path(p) => Netns::Path(p.clone()),
            Netns::Fd(fd) => Netns::Fd(fd.try_clone()?),
        })
    }

    fn open(&self) -> io::Result<Option<OwnedFd>> {
        Ok(match self {
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
}

/// A generic netlink socket in `netns`. For another namespace a short-lived
/// thread enters it, creates the socket and ends; the caller's thread never
/// changes namespace.
pub(crate) fn socket_in(netns: &Netns) -> io::Result<Socket> {
    run_in(netns, || Socket::new(NETLINK_GENERIC))
}

/// Runs `f` inside `netns`: on the calling thread for the current
/// namespace, else on a short-lived thread that enters it first.
pub(crate) fn run_in<T: Send>(
    netns: &Netns,
    f: impl FnOnce() -> io::Result<T> + Send,
) -> io::Result<T> {
    let Some(fd) = netns.open()? else {
        return f();
    };
    std::thread::scope(|s| {
        s.spawn(move || {
            move_into_link_name_space(fd.as_fd(), Some(LinkNameSpaceType::Network))?;
            f()
        })
        .join()
        .unwrap_or_else(|_| Err(io::Error::other("namespace thread panicked")))
    })
}

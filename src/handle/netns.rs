//! Network namespaces: which one a handle acts on, pinned when the handle is
//! made, and sockets opened inside it without leaving the calling thread
//! there.

use std::fs::File;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};

use netlink_sys::{protocols::NETLINK_GENERIC, Socket};
use rustix::fs::{fstat, stat};
use rustix::thread::{move_into_link_name_space, LinkNameSpaceType};

use crate::error::NetnsError;

/// Where a handle's socket lives. IPVS state is per network namespace: the
/// socket acts on the namespace it was created in, for its whole life.
#[derive(Debug)]
pub enum Netns {
    /// The namespace of the thread that makes the handle.
    Current,
    /// A namespace named as by `ip netns add NAME` (`/var/run/netns/NAME`).
    Named(String),
    /// A namespace file, such as `/proc/<pid>/ns/net` or a bind mount of one.
    Path(PathBuf),
    /// An open namespace file descriptor.
    Fd(OwnedFd),
}

/// The calling thread's own namespace file.
const THREAD_SELF: &str = "/proc/thread-self/ns/net";

impl Netns {
    /// A copy that refers to the same namespace. For `Named` and `Path`
    /// that is the name, which may point at another namespace later: a
    /// handle's [`netns`](crate::Handle::netns) gives the namespace it
    /// acts on as an open file instead.
    pub fn try_clone(&self) -> io::Result<Self> {
        Ok(match self {
            Self::Current => Self::Current,
            Self::Named(n) => Self::Named(n.clone()),
            Self::Path(p) => Self::Path(p.clone()),
            Self::Fd(fd) => Self::Fd(fd.try_clone()?),
        })
    }

    /// How errors name this namespace.
    fn describe(&self) -> String {
        match self {
            Self::Current => format!("of the calling thread ({THREAD_SELF})"),
            Self::Named(n) => format!("{n:?} (/var/run/netns/{n})"),
            Self::Path(p) => p.display().to_string(),
            Self::Fd(fd) => format!("open as file descriptor {fd:?}"),
        }
    }

    /// Opens the namespace file.
    fn open(&self) -> io::Result<OwnedFd> {
        let open = |p: &Path| File::open(p).map(OwnedFd::from);
        match self {
            Self::Current => open(Path::new(THREAD_SELF)).or_else(|_| {
                // Kernels before 3.17 have no /proc/thread-self.
                let tid = rustix::thread::gettid().as_raw_nonzero();
                open(&PathBuf::from(format!("/proc/self/task/{tid}/ns/net")))
            }),
            Self::Named(n) => {
                if n.is_empty() || n.contains('/') || n == "." || n == ".." {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        "invalid namespace name (it names a file in /var/run/netns)",
                    ));
                }
                open(&PathBuf::from("/var/run/netns").join(n))
            }
            Self::Path(p) => open(p),
            Self::Fd(fd) => fd.try_clone(),
        }
    }
}

/// A network namespace held open: every socket of a handle is made in it,
/// so a reconnect cannot land in another namespace.
#[derive(Debug)]
pub(crate) struct PinnedNetns {
    fd: OwnedFd,
    /// How errors name it, as the caller gave it.
    label: String,
}

impl PinnedNetns {
    /// Opens `netns`. Whether it is a network namespace shows when the
    /// first socket is made in it ([`socket`](Self::socket)).
    pub(crate) fn pin(netns: &Netns) -> Result<Self, NetnsError> {
        let label = netns.describe();
        match netns.open() {
            Ok(fd) => Ok(Self { fd, label }),
            Err(source) => Err(NetnsError {
                netns: label,
                source: source.into(),
            }),
        }
    }

    /// A copy of the namespace file.
    pub(crate) fn try_clone_fd(&self) -> io::Result<OwnedFd> {
        self.fd.try_clone()
    }

    /// A generic netlink socket in this namespace.
    pub(crate) fn socket(&self) -> Result<Socket, NetnsError> {
        self.run(|| Socket::new(NETLINK_GENERIC))
    }

    /// Runs `f` inside this namespace: on the calling thread when it is
    /// there already, else on a short-lived thread that enters it first; the
    /// calling thread never changes namespace. Files of `/proc/sys/net` and
    /// `/proc/net` opened by `f` are this namespace's.
    pub(crate) fn run<T: Send>(
        &self,
        f: impl FnOnce() -> io::Result<T> + Send,
    ) -> Result<T, NetnsError> {
        let fail = |source: io::Error| NetnsError {
            netns: self.label.clone(),
            source: source.into(),
        };
        if self.is_current_thread_namespace() {
            return f().map_err(fail);
        }
        let fd = self.fd.as_fd();
        std::thread::scope(|s| {
            let thread = std::thread::Builder::new()
                .name("ipvs-netns".into())
                .spawn_scoped(s, move || {
                    move_into_link_name_space(fd, Some(LinkNameSpaceType::Network))?;
                    f()
                })?;
            thread
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("namespace thread panicked")))
        })
        .map_err(fail)
    }

    /// Whether the calling thread is in this namespace (same inode on the
    /// same namespace file system).
    fn is_current_thread_namespace(&self) -> bool {
        match (fstat(&self.fd), stat(THREAD_SELF)) {
            (Ok(a), Ok(b)) => a.st_dev == b.st_dev && a.st_ino == b.st_ino,
            _ => false,
        }
    }
}

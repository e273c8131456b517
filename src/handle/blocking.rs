//! The blocking handle: the one driver over a socket that blocks in `poll`.

use std::io;
use std::net::SocketAddr;
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use netlink_sys::Socket;
use rustix::event::{poll, PollFd, PollFlags, Timespec};

use super::block_on::block_on;
use super::config::Config;
use super::driver::Driver;
use super::methods::ipvs_methods;
use super::socket;
use super::transport::{Sealed, Transport};
use crate::core::{BatchLimits, OnError, Reply, Request, SessionStats};
use crate::error::{Error, ErrorKind, Operation, Result};
use crate::model::{
    DaemonRole, Destination, DestinationEntry, Info, Service, ServiceEntry, ServiceKey,
    ServiceUpdate, SyncDaemon, Timeouts,
};
use crate::reconcile::{ReconcileOptions, ReconcileReport};

/// A blocking handle on the IPVS table of one network namespace.
///
/// It is `Send`: move it to another thread, or share it behind a `Mutex`.
/// Requests on one handle run one after the other; for parallel work open
/// one handle per thread (each has its own socket, so replies never cross).
/// Every wait ends by the configured timeout. The first service listing
/// opens a second socket, kept for service dumps (see `list_services`).
#[derive(Debug)]
pub struct Handle {
    driver: Driver<BlockingSocket>,
}

impl Handle {
    /// Opens a handle in the calling thread's network namespace and resolves
    /// the "IPVS" family ([`ErrorKind::IpvsUnavailable`] when the kernel has
    /// none). Resolving needs no privilege; every IPVS command does
    /// (CAP_NET_ADMIN in the initial user namespace), so a missing
    /// permission shows on the first request as
    /// [`ErrorKind::PermissionDenied`] — call [`get_info`](Self::get_info)
    /// to check early.
    pub fn new() -> Result<Self> {
        Self::with_config(Config::default())
    }

    /// Opens a handle with explicit settings (namespace, timeouts, buffers).
    /// The namespace is opened once, here: the handle acts on it for its
    /// whole life, reconnects included.
    pub fn with_config(config: Config) -> Result<Self> {
        block_on(Driver::open(config)).map(|driver| Handle { driver })
    }

    /// Replaces the sockets with new ones in the same namespace (after an
    /// overrun or a broken socket). Requests in flight are lost.
    pub fn reconnect(&mut self) -> Result<()> {
        block_on(self.driver.reconnect())
    }

    /// Sends one request and waits for its answer. A handle whose socket
    /// broke (a timeout, an overrun, an I/O error) reconnects first.
    pub fn execute(&mut self, request: Request) -> Result<Reply> {
        block_on(self.driver.execute(request))
    }

    fn run_batch(&mut self, requests: Vec<Request>, on_error: OnError) -> Vec<Result<Reply>> {
        block_on(self.driver.run_batch(requests, on_error))
    }

    ipvs_methods!({} {});
}

/// A netlink socket that blocks in `poll` until it is ready or a deadline
/// passes: the blocking handle's transport. Its futures are ready when
/// first polled.
#[derive(Debug)]
pub(crate) struct BlockingSocket(Socket);

impl Sealed for BlockingSocket {}

impl Transport for BlockingSocket {
    fn register(socket: Socket) -> io::Result<Self> {
        Ok(BlockingSocket(socket))
    }

    async fn send(&self, datagram: &[u8], deadline: Option<Instant>) -> io::Result<()> {
        loop {
            match self.0.send(datagram, 0) {
                Ok(_) => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    wait_ready(&self.0, PollFlags::OUT, deadline)?
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    async fn yield_now() {}

    async fn sleep(duration: Duration) {
        std::thread::sleep(duration);
    }

    async fn recv(
        &self,
        buf: &mut Vec<u8>,
        room: usize,
        deadline: Option<Instant>,
    ) -> io::Result<(usize, u32)> {
        loop {
            match socket::recv_into(&self.0, buf, room) {
                Ok(d) => return Ok((d.len, d.sender)),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    wait_ready(&self.0, PollFlags::IN, deadline)?
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

/// Waits until the socket is ready for `flags` or the deadline (if any)
/// passes (`TimedOut`).
fn wait_ready(socket: &Socket, flags: PollFlags, deadline: Option<Instant>) -> io::Result<()> {
    loop {
        let ts = match deadline {
            Some(d) => {
                let left = d.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(io::Error::from(io::ErrorKind::TimedOut));
                }
                Some(timespec(left))
            }
            None => None,
        };
        let fd = socket.as_fd();
        let mut fds = [PollFd::new(&fd, flags)];
        match poll(&mut fds, ts.as_ref()) {
            Ok(0) => continue,
            Ok(_) => return Ok(()),
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(e.into()),
        }
    }
}

fn timespec(d: Duration) -> Timespec {
    Timespec {
        tv_sec: d.as_secs().min(i64::MAX as u64) as i64,
        tv_nsec: i64::from(d.subsec_nanos()),
    }
}

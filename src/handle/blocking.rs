//! The blocking handle.

use std::io;
use std::net::SocketAddr;
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use netlink_sys::Socket;
use rustix::event::{poll, PollFd, PollFlags, Timespec};

use super::methods::ipvs_methods;
use super::socket::{self, failed_batch, Config, Receives};
use crate::core::{BatchLimits, BatchRun, OnError, Reply, Request, Session, SessionStats, Token};
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
    socket: Socket,
    /// The socket for [`Receives::Wide`] answers, opened when first needed.
    /// Both carry the one session's requests, one request at a time.
    wide: Option<Socket>,
    session: Session,
    limits: BatchLimits,
    config: Config,
    /// Received datagrams.
    buf: Vec<u8>,
    /// The datagram being sent; its buffer goes back to the session.
    out: Vec<u8>,
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

    /// Opens a handle with explicit settings (namespace, timeout).
    pub fn with_config(config: Config) -> Result<Self> {
        let (socket, limits) = open(&config)?;
        let mut handle = Handle {
            socket,
            wide: None,
            session: Session::new(),
            limits,
            config,
            buf: Vec::new(),
            out: Vec::new(),
        };
        handle.resolve()?;
        Ok(handle)
    }

    /// Replaces the socket with a new one in the same namespace (after an
    /// overrun or a broken socket). Requests in flight are lost.
    pub fn reconnect(&mut self) -> Result<()> {
        let (socket, limits) = open(&self.config)?;
        self.socket = socket;
        self.wide = None;
        self.limits = limits;
        self.session = Session::new();
        self.resolve()
    }

    fn resolve(&mut self) -> Result<()> {
        let token = self.session.resolve_family();
        self.wait(token, Receives::Page)
            .map(|_| ())
            .map_err(|e| Error::new(Operation::Connect, e.into_kind()))
    }

    /// Sends one request and waits for its answer. A handle whose socket
    /// broke (a timeout, an overrun, an I/O error) reconnects first.
    pub fn execute(&mut self, request: Request) -> Result<Reply> {
        let receives = Receives::for_request(&request);
        self.heal(receives)
            .map_err(|e| Error::new(request.operation(), e.into_kind()))?;
        let token = self.session.submit(&request)?;
        self.wait(token, receives)
    }

    /// Reconnects a broken handle, and opens the socket for `receives`.
    fn heal(&mut self, receives: Receives) -> Result<()> {
        if self.session.is_broken() {
            self.reconnect()?;
        }
        if receives == Receives::Wide && self.wide.is_none() {
            self.wide = Some(open(&self.config)?.0);
        }
        Ok(())
    }

    fn wait(&mut self, token: Token, receives: Receives) -> Result<Reply> {
        self.send_outgoing(receives);
        self.pump_until(receives, |s| !s.is_pending(token));
        self.session.take_result(token).unwrap_or_else(|| {
            Err(Error::new(
                Operation::Connect,
                ErrorKind::Timeout(self.config.timeout),
            ))
        })
    }

    fn run_batch(&mut self, requests: Vec<Request>, on_error: OnError) -> Vec<Result<Reply>> {
        if let Err(e) = self.heal(Receives::Page) {
            return failed_batch(requests, &e);
        }
        let mut run = BatchRun::new(requests, on_error, self.limits);
        while run.fill(&mut self.session) {
            self.send_outgoing(Receives::Page);
            self.pump_until(Receives::Page, |s| run.datagram_done(s));
            run.settle(&mut self.session);
        }
        run.finish()
    }

    /// Sends what the session queued; a failure fails every pending request.
    fn send_outgoing(&mut self, receives: Receives) {
        self.session.take_outgoing_into(&mut self.out);
        if self.out.is_empty() {
            return;
        }
        let deadline = Instant::now() + self.config.timeout;
        loop {
            let socket = socket::pick(&self.socket, &self.wide, receives);
            match socket.send(&self.out, 0) {
                Ok(_) => return,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if let Err(e) = wait_ready(socket, PollFlags::OUT, deadline) {
                        return self.fail(e);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return self.fail(e),
            }
        }
    }

    fn fail(&mut self, e: io::Error) {
        socket::fail_session(&mut self.session, &e, self.config.timeout);
    }

    /// Receives until `done` holds or the kernel stays silent for the
    /// timeout (then every pending request fails with a timeout, which also
    /// makes `done` hold). Each datagram from the kernel restarts the clock,
    /// so a large dump that keeps coming is not cut, and a lost reply ends.
    fn pump_until(&mut self, receives: Receives, done: impl Fn(&Session) -> bool) {
        let mut deadline = Instant::now() + self.config.timeout;
        while !done(&self.session) {
            // Checked before each receive too: a dump whose chunks are always
            // ready would otherwise never look at the clock.
            if Instant::now() >= deadline {
                self.fail(io::ErrorKind::TimedOut.into());
                continue;
            }
            let socket = socket::pick(&self.socket, &self.wide, receives);
            match socket::recv_into(socket, &mut self.buf, receives.len()) {
                Ok(d) => {
                    self.session.receive(&self.buf[..d.len], d.sender);
                    if d.sender == 0 {
                        deadline = Instant::now() + self.config.timeout;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if let Err(e) = wait_ready(socket, PollFlags::IN, deadline) {
                        self.fail(e);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => self.fail(e),
            }
        }
    }

    ipvs_methods!({} {});
}

fn open(config: &Config) -> Result<(Socket, BatchLimits)> {
    let (socket, limits) =
        socket::open(config).map_err(|e| Error::new(Operation::Connect, e.into()))?;
    socket
        .set_non_blocking(true)
        .map_err(|e| Error::new(Operation::Connect, e.into()))?;
    Ok((socket, limits))
}

/// Waits until the socket is ready for `flags` or the deadline passes.
fn wait_ready(socket: &Socket, flags: PollFlags, deadline: Instant) -> io::Result<()> {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::Error::from(io::ErrorKind::TimedOut));
        }
        let ts = timespec(left);
        let fd = socket.as_fd();
        let mut fds = [PollFd::new(&fd, flags)];
        match poll(&mut fds, Some(&ts)) {
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

//! The async handle, generic over the runtime's socket wrapper: tokio's and
//! smol's handles are this type with their own [`Transport`].

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::Instant;

use netlink_sys::Socket;

use super::methods::ipvs_methods;
use super::socket::{self, Config, Receives};
use crate::core::{BatchLimits, BatchRun, OnError, Reply, Request, Session, SessionStats, Token};
use crate::error::{Error, ErrorKind, Operation, Result};
use crate::model::{
    DaemonRole, Destination, DestinationEntry, Info, Service, ServiceEntry, ServiceKey,
    ServiceUpdate, SyncDaemon, Timeouts,
};
use crate::reconcile::{ReconcileOptions, ReconcileReport};

mod sealed {
    pub trait Sealed {}
}

/// A runtime's non-blocking netlink socket: sends a datagram and receives
/// one, each before a deadline (`TimedOut` after it). Implemented by the
/// tokio and smol transports of this crate only.
pub trait Transport: sealed::Sealed + Sized {
    /// Registers a configured, non-blocking socket with the runtime.
    #[doc(hidden)]
    fn register(socket: Socket) -> io::Result<Self>;
    /// Sends one datagram.
    #[doc(hidden)]
    fn send(&self, datagram: &[u8], deadline: Instant) -> impl Future<Output = io::Result<()>>;
    /// Receives one datagram of at most `room` bytes into `buf`: its length
    /// and its sender's port id.
    #[doc(hidden)]
    fn recv(
        &self,
        buf: &mut Vec<u8>,
        room: usize,
        deadline: Instant,
    ) -> impl Future<Output = io::Result<(usize, u32)>>;
    /// Waits for `duration` on the runtime's timer.
    #[doc(hidden)]
    fn sleep(duration: std::time::Duration) -> impl Future<Output = ()>;
}

pub(crate) use sealed::Sealed;

/// An async handle on the IPVS table of one network namespace, with the same
/// methods as the blocking [`Handle`](crate::Handle) as `async fn`. Use it as
/// `handle::tokio::Handle` or `handle::smol::Handle`.
#[derive(Debug)]
pub struct AsyncHandle<T> {
    socket: T,
    /// The socket for wide answers (service dumps), opened when first
    /// needed. Both carry the one session's requests, one request at a time.
    wide: Option<T>,
    session: Session,
    limits: BatchLimits,
    config: Config,
    /// Received datagrams.
    buf: Vec<u8>,
    /// The datagram being sent; its buffer goes back to the session.
    out: Vec<u8>,
}

fn open<T: Transport>(config: &Config) -> Result<(T, BatchLimits)> {
    let connect = |e: io::Error| Error::new(Operation::Connect, e.into());
    let (socket, limits) = socket::open(config).map_err(connect)?;
    socket.set_non_blocking(true).map_err(connect)?;
    Ok((T::register(socket).map_err(connect)?, limits))
}

impl<T: Transport> AsyncHandle<T> {
    /// Opens a handle in the calling thread's network namespace and resolves
    /// the "IPVS" family. As with the blocking handle, a missing permission
    /// shows on the first request, not here.
    pub async fn new() -> Result<Self> {
        Self::with_config(Config::default()).await
    }

    /// Opens a handle with explicit settings (namespace, timeout).
    pub async fn with_config(config: Config) -> Result<Self> {
        let (socket, limits) = open(&config)?;
        let mut handle = AsyncHandle {
            socket,
            wide: None,
            session: Session::new(),
            limits,
            config,
            buf: Vec::new(),
            out: Vec::new(),
        };
        handle.resolve().await?;
        Ok(handle)
    }

    /// Replaces the socket with a new one in the same namespace (after an
    /// overrun or a broken socket). Requests in flight are lost.
    pub async fn reconnect(&mut self) -> Result<()> {
        let (socket, limits) = open(&self.config)?;
        self.socket = socket;
        self.wide = None;
        self.limits = limits;
        self.session = Session::new();
        self.resolve().await
    }

    async fn resolve(&mut self) -> Result<()> {
        let token = self.session.resolve_family();
        self.wait(token, Receives::Page)
            .await
            .map(|_| ())
            .map_err(|e| Error::new(Operation::Connect, e.into_kind()))
    }

    /// Sends one request and waits for its answer. A handle whose socket
    /// broke (a timeout, an overrun, an I/O error) reconnects first.
    pub async fn execute(&mut self, request: Request) -> Result<Reply> {
        let receives = Receives::for_request(&request);
        self.heal(receives)
            .await
            .map_err(|e| Error::new(request.operation(), e.into_kind()))?;
        let token = self.session.submit(&request)?;
        self.wait(token, receives).await
    }

    /// Reconnects a broken handle, and opens the socket for `receives`.
    async fn heal(&mut self, receives: Receives) -> Result<()> {
        if self.session.is_broken() {
            self.reconnect().await?;
        }
        if receives == Receives::Wide && self.wide.is_none() {
            self.wide = Some(open(&self.config)?.0);
        }
        Ok(())
    }

    async fn wait(&mut self, token: Token, receives: Receives) -> Result<Reply> {
        self.send_outgoing(receives).await;
        self.pump_until(receives, |s| !s.is_pending(token)).await;
        self.session.take_result(token).unwrap_or_else(|| {
            Err(Error::new(
                Operation::Connect,
                ErrorKind::Timeout(self.config.timeout),
            ))
        })
    }

    async fn run_batch(&mut self, requests: Vec<Request>, on_error: OnError) -> Vec<Result<Reply>> {
        if let Err(e) = self.heal(Receives::Page).await {
            return socket::failed_batch(requests, &e);
        }
        let mut run = BatchRun::new(requests, on_error, self.limits);
        while run.fill(&mut self.session) {
            self.send_outgoing(Receives::Page).await;
            self.pump_until(Receives::Page, |s| run.datagram_done(s))
                .await;
            run.settle(&mut self.session);
        }
        run.finish()
    }

    /// Sends what the session queued; a failure fails every pending request.
    async fn send_outgoing(&mut self, receives: Receives) {
        self.session.take_outgoing_into(&mut self.out);
        if self.out.is_empty() {
            return;
        }
        let deadline = Instant::now() + self.config.timeout;
        let socket = socket::pick(&self.socket, &self.wide, receives);
        if let Err(e) = socket.send(&self.out, deadline).await {
            socket::fail_session(&mut self.session, &e, self.config.timeout);
        }
    }

    /// Receives until `done` holds or the kernel stays silent for the
    /// timeout (then every pending request fails with a timeout, which also
    /// makes `done` hold). Each datagram from the kernel restarts the clock,
    /// so a large dump that keeps coming is not cut, and a lost reply ends.
    async fn pump_until(&mut self, receives: Receives, done: impl Fn(&Session) -> bool) {
        let mut deadline = Instant::now() + self.config.timeout;
        while !done(&self.session) {
            // Checked before each receive too: a dump whose chunks are always
            // ready would otherwise never look at the clock.
            if Instant::now() >= deadline {
                let e = io::ErrorKind::TimedOut.into();
                socket::fail_session(&mut self.session, &e, self.config.timeout);
                continue;
            }
            let socket = socket::pick(&self.socket, &self.wide, receives);
            match socket.recv(&mut self.buf, receives.len(), deadline).await {
                Ok((len, sender)) => {
                    self.session.receive(&self.buf[..len], sender);
                    if sender == 0 {
                        deadline = Instant::now() + self.config.timeout;
                    }
                }
                Err(e) => socket::fail_session(&mut self.session, &e, self.config.timeout),
            }
        }
    }

    ipvs_methods!({async} {.await});
}

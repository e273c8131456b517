//! The async handle for smol and other async-io executors (feature `smol`).

use std::io;
use std::net::SocketAddr;
use std::time::Instant;

use async_io::{Async, Timer};
use futures_lite::future;
use netlink_sys::Socket;

use super::methods::ipvs_methods;
use super::socket::{self, Config};
use crate::core::{BatchLimits, BatchRun, OnError, Reply, Request, Session, SessionStats, Token};
use crate::error::{Error, ErrorKind, Operation, Result};
use crate::model::{
    DaemonRole, Destination, Info, Service, ServiceKey, ServiceUpdate, SyncDaemon, Timeouts,
};
use crate::reconcile::{ReconcileOptions, ReconcileReport};

/// An async handle on the IPVS table of one network namespace, for smol.
/// The same methods as the blocking [`Handle`](crate::Handle), as `async fn`.
#[derive(Debug)]
pub struct Handle {
    socket: Async<Socket>,
    session: Session,
    limits: BatchLimits,
    config: Config,
    buf: Vec<u8>,
}

/// Runs `fut` until `deadline`; a `TimedOut` error after it.
async fn until<T>(
    deadline: Instant,
    fut: impl std::future::Future<Output = io::Result<T>>,
) -> io::Result<T> {
    future::or(fut, async {
        Timer::at(deadline).await;
        Err(io::ErrorKind::TimedOut.into())
    })
    .await
}

impl Handle {
    /// Opens a handle in the calling thread's network namespace.
    pub async fn new() -> Result<Self> {
        Self::with_config(Config::default()).await
    }

    /// Opens a handle with explicit settings.
    pub async fn with_config(config: Config) -> Result<Self> {
        let (socket, limits) = open(&config)?;
        let mut handle = Handle {
            socket,
            session: Session::new(),
            limits,
            config,
            buf: Vec::new(),
        };
        handle.resolve().await?;
        Ok(handle)
    }

    /// Replaces the socket with a new one in the same namespace.
    pub async fn reconnect(&mut self) -> Result<()> {
        let (socket, limits) = open(&self.config)?;
        self.socket = socket;
        self.limits = limits;
        self.session = Session::new();
        self.resolve().await
    }

    async fn resolve(&mut self) -> Result<()> {
        let token = self.session.resolve_family();
        self.wait(token)
            .await
            .map(|_| ())
            .map_err(|e| Error::new(Operation::Connect, e.into_kind()))
    }

    /// Sends one request and waits for its answer.
    pub async fn execute(&mut self, request: Request) -> Result<Reply> {
        let token = self.session.submit(&request)?;
        self.wait(token).await
    }

    async fn wait(&mut self, token: Token) -> Result<Reply> {
        self.send_outgoing().await;
        self.pump_until(|s| !s.is_pending(token)).await;
        self.session.take_result(token).unwrap_or_else(|| {
            Err(Error::new(
                Operation::Connect,
                ErrorKind::Timeout(self.config.timeout),
            ))
        })
    }

    async fn run_batch(&mut self, requests: Vec<Request>, on_error: OnError) -> Vec<Result<Reply>> {
        let mut run = BatchRun::new(requests, on_error, self.limits);
        while run.fill(&mut self.session) {
            self.send_outgoing().await;
            self.pump_until(|s| run.datagram_done(s)).await;
            run.settle(&mut self.session);
        }
        run.finish()
    }

    async fn send_outgoing(&mut self) {
        let out = self.session.take_outgoing();
        if out.is_empty() {
            return;
        }
        let deadline = Instant::now() + self.config.timeout;
        let r = until(deadline, self.socket.write_with(|s| s.send(&out, 0))).await;
        if let Err(e) = r {
            socket::fail_session(&mut self.session, &e, self.config.timeout);
        }
    }

    async fn pump_until(&mut self, done: impl Fn(&Session) -> bool) {
        let deadline = Instant::now() + self.config.timeout;
        while !done(&self.session) {
            let buf = &mut self.buf;
            let r = until(
                deadline,
                self.socket.read_with(|s| socket::recv_into(s, buf)),
            )
            .await;
            match r {
                Ok(d) => self.session.receive(&self.buf[..d.len], d.sender),
                Err(e) => socket::fail_session(&mut self.session, &e, self.config.timeout),
            }
        }
    }

    ipvs_methods!({async} {.await});
}

fn open(config: &Config) -> Result<(Async<Socket>, BatchLimits)> {
    let connect = |e: io::Error| Error::new(Operation::Connect, e.into());
    let (socket, limits) = socket::open(&config.netns).map_err(connect)?;
    Ok((Async::new(socket).map_err(connect)?, limits))
}

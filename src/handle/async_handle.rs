//! The async handle, generic over the runtime's socket wrapper: tokio's and
//! smol's handles are this type with their own [`Transport`].

use std::net::SocketAddr;

use super::config::Config;
use super::driver::Driver;
use super::methods::ipvs_methods;
use super::transport::Transport;
use crate::core::{BatchLimits, OnError, Reply, Request, SessionStats};
use crate::error::{Error, ErrorKind, Operation, Result};
use crate::model::{
    DaemonRole, Destination, DestinationEntry, Info, Service, ServiceEntry, ServiceKey,
    ServiceUpdate, SyncDaemon, Timeouts,
};
use crate::reconcile::{ReconcileOptions, ReconcileReport};

/// An async handle on the IPVS table of one network namespace, with the same
/// methods as the blocking [`Handle`](crate::Handle) as `async fn`. Use it as
/// `handle::tokio::Handle` or `handle::smol::Handle`.
///
/// A call may be cancelled (its future dropped, as `tokio::time::timeout`
/// or `select!` do): what it had sent is then forgotten, and the next call
/// reconnects first, so its results are exact. Whether the cancelled
/// call's changes were applied is unknown; read the table back.
#[derive(Debug)]
pub struct AsyncHandle<T> {
    driver: Driver<T>,
}

impl<T: Transport> AsyncHandle<T> {
    /// Opens a handle in the calling thread's network namespace and resolves
    /// the "IPVS" family. As with the blocking handle, a missing permission
    /// shows on the first request, not here.
    pub async fn new() -> Result<Self> {
        Self::with_config(Config::default()).await
    }

    /// Opens a handle with explicit settings (namespace, timeouts, buffers).
    /// The namespace is opened once, here: the handle acts on it for its
    /// whole life, reconnects included, whichever thread runs it.
    pub async fn with_config(config: Config) -> Result<Self> {
        Driver::open(config)
            .await
            .map(|driver| AsyncHandle { driver })
    }

    /// Replaces the sockets with new ones in the same namespace (after an
    /// overrun or a broken socket). Requests in flight are lost.
    pub async fn reconnect(&mut self) -> Result<()> {
        self.driver.reconnect().await
    }

    /// Sends one request and waits for its answer. A handle whose socket
    /// broke (a timeout, an overrun, an I/O error, a cancelled call)
    /// reconnects first.
    pub async fn execute(&mut self, request: Request) -> Result<Reply> {
        self.driver.execute(request).await
    }

    async fn run_batch(&mut self, requests: Vec<Request>, on_error: OnError) -> Vec<Result<Reply>> {
        self.driver.run_batch(requests, on_error).await
    }

    ipvs_methods!({async} {.await});
}

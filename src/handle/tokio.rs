//! The async handle for tokio (feature `tokio`).

use std::io;
use std::time::Instant;

use netlink_sys::Socket;
use tokio::io::unix::AsyncFd;

use super::socket;
use super::transport::{Sealed, Transport};

/// The tokio handle: [`AsyncHandle`](super::AsyncHandle) on tokio's reactor.
pub type Handle = super::AsyncHandle<TokioSocket>;

/// A netlink socket registered with tokio's reactor.
#[derive(Debug)]
pub struct TokioSocket(AsyncFd<Socket>);

impl Sealed for TokioSocket {}

/// Runs `f` until `deadline` (if any): `TimedOut` after it.
async fn until<T>(
    deadline: Option<Instant>,
    f: impl std::future::Future<Output = io::Result<T>>,
) -> io::Result<T> {
    match deadline {
        Some(d) => tokio::time::timeout_at(d.into(), f)
            .await
            .unwrap_or_else(|_| Err(io::ErrorKind::TimedOut.into())),
        None => f.await,
    }
}

impl Transport for TokioSocket {
    async fn yield_now() {
        tokio::task::yield_now().await;
    }

    fn register(socket: Socket) -> io::Result<Self> {
        // `AsyncFd::new` is deprecated because a `T` that does not own its fd
        // could close it while registered. `Socket` owns its fd and is moved
        // into the `AsyncFd`, which deregisters before dropping it; the
        // replacement, `register`, is `unsafe`, which this crate forbids.
        #[allow(deprecated)]
        AsyncFd::new(socket).map(TokioSocket)
    }

    async fn send(&self, datagram: &[u8], deadline: Option<Instant>) -> io::Result<()> {
        until(deadline, async {
            loop {
                let mut guard = self.0.writable().await?;
                if let Ok(r) = guard.try_io(|s| s.get_ref().send(datagram, 0)) {
                    return r.map(|_| ());
                }
            }
        })
        .await
    }

    async fn recv(
        &self,
        buf: &mut Vec<u8>,
        room: usize,
        deadline: Option<Instant>,
    ) -> io::Result<(usize, u32)> {
        until(deadline, async {
            loop {
                let mut guard = self.0.readable().await?;
                if let Ok(r) = guard.try_io(|s| socket::recv_into(s.get_ref(), buf, room)) {
                    return r.map(|d| (d.len, d.sender));
                }
            }
        })
        .await
    }

    async fn sleep(duration: std::time::Duration) {
        tokio::time::sleep(duration).await;
    }
}

//! The async handle for smol and other async-io executors (feature `smol`).

use std::io;
use std::time::Instant;

use async_io::{Async, Timer};
use futures_lite::future;
use netlink_sys::Socket;

use super::socket;
use super::transport::{Sealed, Transport};

/// The smol handle: [`AsyncHandle`](super::AsyncHandle) on async-io's reactor.
pub type Handle = super::AsyncHandle<SmolSocket>;

/// A netlink socket registered with async-io's reactor.
#[derive(Debug)]
pub struct SmolSocket(Async<Socket>);

impl Sealed for SmolSocket {}

/// Runs `f` until `deadline` (if any): `TimedOut` after it.
async fn until<T>(
    deadline: Option<Instant>,
    f: impl std::future::Future<Output = io::Result<T>>,
) -> io::Result<T> {
    match deadline {
        Some(d) => {
            future::or(f, async {
                Timer::at(d).await;
                Err(io::ErrorKind::TimedOut.into())
            })
            .await
        }
        None => f.await,
    }
}

impl Transport for SmolSocket {
    async fn yield_now() {
        future::yield_now().await;
    }

    fn register(socket: Socket) -> io::Result<Self> {
        Async::new(socket).map(SmolSocket)
    }

    async fn send(&self, datagram: &[u8], deadline: Option<Instant>) -> io::Result<()> {
        until(
            deadline,
            self.0.write_with(|s| s.send(datagram, 0).map(|_| ())),
        )
        .await
    }

    async fn recv(
        &self,
        buf: &mut Vec<u8>,
        room: usize,
        deadline: Option<Instant>,
    ) -> io::Result<(usize, u32)> {
        until(
            deadline,
            self.0.read_with(|s| socket::recv_into(s, buf, room)),
        )
        .await
        .map(|d| (d.len, d.sender))
    }

    async fn sleep(duration: std::time::Duration) {
        Timer::after(duration).await;
    }
}

//! What a front end gives the one driver: a non-blocking netlink socket that
//! sends and receives datagrams, each before a deadline.

use std::future::Future;
use std::io;
use std::time::{Duration, Instant};

use netlink_sys::Socket;

mod sealed {
    pub trait Sealed {}
}

pub(crate) use sealed::Sealed;

/// A netlink socket as one kind of handle drives it: blocking (the futures
/// are ready when first polled), or registered with an async runtime.
/// Implemented by this crate's blocking, tokio and smol transports only.
pub trait Transport: Sealed + Sized {
    /// Takes a configured, non-blocking socket (registering it with the
    /// runtime, for an async one).
    #[doc(hidden)]
    fn register(socket: Socket) -> io::Result<Self>;
    /// Sends one datagram; `TimedOut` once `deadline` (if any) passes first.
    #[doc(hidden)]
    fn send(
        &self,
        datagram: &[u8],
        deadline: Option<Instant>,
    ) -> impl Future<Output = io::Result<()>>;
    /// Receives one datagram of at most `room` bytes into `buf`: its length
    /// and its sender's port id; `TimedOut` once `deadline` (if any) passes
    /// first.
    #[doc(hidden)]
    fn recv(
        &self,
        buf: &mut Vec<u8>,
        room: usize,
        deadline: Option<Instant>,
    ) -> impl Future<Output = io::Result<(usize, u32)>>;
    /// Lets the runtime run other tasks (and notice a cancellation) before
    /// going on: a call whose socket is always ready would otherwise never
    /// give the runtime back. Ready at once for the blocking transport.
    #[doc(hidden)]
    fn yield_now() -> impl Future<Output = ()>;
    /// Waits for `duration` (between the polls of a drain): on the runtime's
    /// timer, or blocking the thread for the blocking transport.
    #[doc(hidden)]
    fn sleep(duration: Duration) -> impl Future<Output = ()>;
}

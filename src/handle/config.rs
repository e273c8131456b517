//! The settings of a handle.

use std::time::Duration;

use super::Netns;

/// Receive buffer asked for by default (the kernel doubles it); batches size
/// their datagrams so that one datagram's worth of error replies fits.
pub const DEFAULT_RECEIVE_BUFFER: usize = 4 << 20;

/// Settings of a handle.
///
/// Three limits bound every call:
/// - [`timeout`](Self::timeout), the silence timer: how long the kernel may
///   say nothing that answers a waiting request. Only such answers restart
///   it, so a stale or foreign datagram cannot keep a call alive, and a
///   large dump that keeps arriving is never cut.
/// - [`deadline`](Self::deadline), optional: how long one call (a request,
///   a listing, a whole batch) may take in all, however busy the kernel is.
/// - [`max_dump_entries`](Self::max_dump_entries), optional: how many
///   entries one dump may collect before it fails, so that a huge table
///   cannot take all of the caller's memory.
#[derive(Debug)]
pub struct Config {
    /// Network namespace of the socket. The handle opens the namespace once,
    /// when it is made, and keeps it: a reconnect makes its socket in that
    /// same namespace, whatever thread it runs on and whatever the name
    /// points at by then.
    pub netns: Netns,
    /// How long a request (or a batch datagram) may wait with no answer from
    /// the kernel; a lost reply ends in
    /// [`ErrorKind::Timeout`](crate::ErrorKind::Timeout). A duration too
    /// large to add to the clock (such as `Duration::MAX`) means no limit.
    pub timeout: Duration,
    /// How long one call may take in all, answers or not; `None`, the
    /// default, for no limit. When it passes the call ends in
    /// [`ErrorKind::DeadlineExceeded`](crate::ErrorKind::DeadlineExceeded)
    /// (a batch: the requests without an answer as
    /// [`Unconfirmed`](crate::ErrorKind::Unconfirmed), those not sent as
    /// [`NotSent`](crate::ErrorKind::NotSent)).
    pub deadline: Option<Duration>,
    /// The most entries one dump (a service, destination or daemon listing)
    /// may collect; `None`, the default, for no cap. A longer dump fails
    /// with [`ErrorKind::DumpTooLarge`](crate::ErrorKind::DumpTooLarge).
    pub max_dump_entries: Option<usize>,
    /// Receive buffer to ask for (`SO_RCVBUFFORCE`, else `SO_RCVBUF` capped
    /// by `net.core.rmem_max`). Batch limits follow from what the kernel
    /// grants.
    pub receive_buffer: usize,
    /// Send buffer to ask for (`SO_SNDBUFFORCE`, else `SO_SNDBUF` capped by
    /// `net.core.wmem_max`); `None`, the default, keeps the kernel's
    /// (`net.core.wmem_default`). A batch's datagrams always fit the send
    /// buffer the socket has.
    pub send_buffer: Option<usize>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            netns: Netns::Current,
            timeout: Duration::from_secs(10),
            deadline: None,
            max_dump_entries: None,
            receive_buffer: DEFAULT_RECEIVE_BUFFER,
            send_buffer: None,
        }
    }
}

//! Socket set-up and the receive side shared by every handle.

use std::io;
use std::time::Duration;

use netlink_sys::Socket;

use super::Netns;
use crate::core::{BatchLimits, Reply, Request, Session};
use crate::error::{Error, ErrorKind};

/// Default receive buffer asked for (the kernel doubles it); batches size
/// their datagrams so that one datagram's worth of error replies fits.
pub const DEFAULT_RECEIVE_BUFFER: usize = 4 << 20;
/// How many bytes each receive on a socket offers the kernel.
///
/// The kernel sizes every later dump chunk by the largest receive the
/// socket has made: up to 32 KiB after a large one, else one page minus
/// overhead (`NLMSG_GOODSIZE`, never more than 8 KiB). The two dumps that
/// make up a table listing want opposite sizes, so a handle keeps a socket
/// for each and sends a request on the one [`Receives::for_request`] names.
/// Either way a datagram larger than the receive fails as truncated, never
/// silently cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Receives {
    /// The kernel's `NLMSG_GOODSIZE`: one page (at least 4 KiB, at most
    /// 8 KiB) less the `skb_shared_info` at the end of every buffer. Every
    /// request but a service dump. A destination dump (one per service) is
    /// one chunk either way, and building two 32 KiB buffers for each (the
    /// data, then `NLMSG_DONE`) made listing a table a third slower
    /// (10,000 services in the test bed, 6.1).
    ///
    /// Why not the whole page: a receive larger than `NLMSG_GOODSIZE` makes
    /// the kernel build dump chunks of the receive's size, and a page plus
    /// the shared info no longer fits a page-sized allocation: each chunk
    /// then takes (and, with `init_on_alloc`, as Debian kernels have, zeroes)
    /// twice the memory. Not below it either: a chunk is up to
    /// `NLMSG_GOODSIZE` bytes, and a larger datagram would fail as
    /// truncated.
    Page,
    /// 32 KiB, the kernel's largest dump chunk: service dumps. Each chunk of
    /// a service dump walks the service table from its start up to where
    /// the last chunk ended, so the walking grows with the square of the
    /// table divided by the chunk size; 32 KiB chunks hold about 100
    /// services against about 12 in a page.
    Wide,
}

impl Receives {
    /// The receives that suit the answer to `request`.
    pub(crate) fn for_request(request: &Request) -> Self {
        match request {
            Request::ListServices => Receives::Wide,
            _ => Receives::Page,
        }
    }

    /// Bytes offered per receive.
    pub(crate) fn len(self) -> usize {
        match self {
            Receives::Page => page_receive(),
            Receives::Wide => 32 * 1024,
        }
    }
}

/// `NLMSG_GOODSIZE` of a kernel for this machine: a page of at most 8 KiB
/// less the cache-aligned `skb_shared_info`. That is at least 320 bytes on
/// 64-bit kernels (17 fragments of 16 bytes and its header, aligned to 64
/// bytes or more): if it is larger, the receive is merely larger than
/// needed. On 32-bit kernels it can be smaller, so there the whole page is
/// offered, as before.
pub(crate) fn page_receive() -> usize {
    let page = rustix::param::page_size().clamp(4096, 8192);
    if cfg!(target_pointer_width = "64") {
        page - 320
    } else {
        page
    }
}

/// The socket for `receives`: the wide one once it is open, else the main
/// one.
pub(crate) fn pick<'a, T>(main: &'a T, wide: &'a Option<T>, receives: Receives) -> &'a T {
    match (receives, wide) {
        (Receives::Wide, Some(wide)) => wide,
        _ => main,
    }
}

/// Settings of a handle.
#[derive(Debug)]
pub struct Config {
    /// Network namespace of the socket.
    pub netns: Netns,
    /// How long a request (or a batch datagram) may wait with no answer from
    /// the kernel. Each reply restarts the clock, so a large dump that keeps
    /// arriving is not cut short; a lost reply ends in
    /// [`ErrorKind::Timeout`](crate::ErrorKind::Timeout).
    pub timeout: Duration,
    /// Receive buffer to ask for (`SO_RCVBUFFORCE`, else `SO_RCVBUF` capped
    /// by `net.core.rmem_max`). Batch limits follow from what the kernel
    /// grants.
    pub receive_buffer: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            netns: Netns::Current,
            timeout: Duration::from_secs(10),
            receive_buffer: DEFAULT_RECEIVE_BUFFER,
        }
    }
}

/// Opens and configures the socket, and derives the batch limits from the
/// receive buffer it got.
pub(crate) fn open(config: &Config) -> io::Result<(Socket, BatchLimits)> {
    let mut socket = super::netns::socket_in(&config.netns)?;
    socket.bind_auto()?;
    // Extended acks carry the kernel's text; capped acks do not echo our
    // request back (smaller replies, more of them fit).
    socket.set_ext_ack(true)?;
    socket.set_cap_ack(true)?;
    // SO_RCVBUFFORCE needs CAP_NET_ADMIN, which IPVS needs anyway; fall back
    // to the rmem_max-capped SO_RCVBUF.
    let wanted = config.receive_buffer.min(i32::MAX as usize);
    if rustix::net::sockopt::set_socket_recv_buffer_size_force(&socket, wanted).is_err() {
        socket.set_rx_buf_sz(wanted as i32)?;
    }
    let rcvbuf = socket.get_rx_buf_sz()?;
    Ok((socket, BatchLimits::for_receive_buffer(rcvbuf)))
}

/// What one receive gave.
pub(crate) struct Datagram {
    pub len: usize,
    pub sender: u32,
}

/// Reads one datagram into `buf[..len]` without blocking, offering the
/// kernel exactly `room` bytes (a [`Receives::len`]); `WouldBlock` when none
/// is waiting. A datagram larger than that is an error, never a silent cut.
pub(crate) fn recv_into(socket: &Socket, buf: &mut Vec<u8>, room: usize) -> io::Result<Datagram> {
    use rustix::net::RecvFlags;
    buf.resize(room, 0);
    let flags = (RecvFlags::DONTWAIT | RecvFlags::TRUNC).bits() as i32;
    let (len, addr) = socket.recv_from(&mut &mut buf[..room], flags)?;
    if len > room {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("datagram of {len} bytes truncated to {room}"),
        ));
    }
    Ok(Datagram {
        len,
        sender: addr.port_number(),
    })
}

/// Fails every pending request of `session` after a socket error: a timeout
/// (`TimedOut`), an overrun (ENOBUFS: the kernel dropped replies), or another
/// I/O error.
pub(crate) fn fail_session(session: &mut Session, e: &io::Error, timeout: Duration) {
    session.mark_broken();
    if e.kind() == io::ErrorKind::TimedOut {
        session.fail_all(|| ErrorKind::Timeout(timeout));
    } else if e.raw_os_error() == Some(rustix::io::Errno::NOBUFS.raw_os_error()) {
        session.fail_all(|| ErrorKind::Overrun);
    } else {
        let (kind, text) = (e.kind(), e.to_string());
        session.fail_all(|| ErrorKind::Io(io::Error::new(kind, text.clone())));
    }
}

/// The results of a batch that could not start: every request fails with
/// the reconnect error.
pub(crate) fn failed_batch(requests: Vec<Request>, e: &Error) -> Vec<Result<Reply, Error>> {
    requests
        .into_iter()
        .map(|r| {
            let kind = match e.kind() {
                ErrorKind::Io(io) => ErrorKind::Io(io::Error::new(io.kind(), io.to_string())),
                ErrorKind::Timeout(d) => ErrorKind::Timeout(*d),
                _ => ErrorKind::Io(io::Error::other(e.to_string())),
            };
            Err(Error::new(r.operation(), kind))
        })
        .collect()
}

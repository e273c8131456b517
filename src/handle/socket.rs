//! Socket set-up and the receive side shared by every handle.

use std::io;

use netlink_sys::Socket;
use rustix::net::sockopt;

use super::config::Config;
use super::netns::PinnedNetns;
use crate::error::ErrorKind;
pub(crate) use crate::proto::consistent_listing::WIDE;
use crate::proto::{BatchLimits, Request};
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
    /// [`WIDE`]`[i]` bytes, near the kernel's largest dump chunk (32 KiB):
    /// service dumps. Each chunk of a service dump walks the service table
    /// from its start up to where the last chunk ended, so the walking
    /// grows with the square of the table divided by the chunk size; 32 KiB
    /// chunks hold about 100 services against about 12 in a page.
    Wide(usize),
}

impl Receives {
    /// The receives that suit the answer to `request`.
    pub(crate) fn for_request(request: &Request) -> Self {
        match request {
            Request::ListServices => Self::Wide(0),
            _ => Self::Page,
        }
    }

    /// Bytes offered per receive.
    pub(crate) fn len(self) -> usize {
        match self {
            Self::Page => page_receive(),
            Self::Wide(i) => WIDE[i],
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

/// The socket for `receives`: its wide one once it is open, else the main
/// one.
pub(crate) fn pick<'a, T>(main: &'a T, wide: &'a [Option<T>], receives: Receives) -> &'a T {
    match receives {
        Receives::Wide(i) => wide.get(i).and_then(Option::as_ref).unwrap_or(main),
        Receives::Page => main,
    }
}

/// A socket opened and configured, with what the kernel granted it.
pub(crate) struct Opened {
    pub socket: Socket,
    /// Batch limits for its receive buffer.
    pub limits: BatchLimits,
    /// Its send buffer (`SO_SNDBUF` read back): no datagram may be longer
    /// than this less 32 bytes.
    pub send_buffer: usize,
}

/// Opens a non-blocking socket in `netns`, connected to the kernel, and
/// derives the batch limits from the buffers it got.
pub(crate) fn open(netns: &PinnedNetns, config: &Config) -> Result<Opened, ErrorKind> {
    let mut socket = netns.socket()?;
    configure(&mut socket, config).map_err(ErrorKind::from)?;
    let rcvbuf = socket.get_rx_buf_sz().map_err(ErrorKind::from)?;
    let send_buffer = sockopt::socket_send_buffer_size(&socket)
        .map_err(|e| ErrorKind::from(io::Error::from(e)))?;
    Ok(Opened {
        limits: BatchLimits::for_receive_buffer(rcvbuf),
        send_buffer,
        socket,
    })
}

fn configure(socket: &mut Socket, config: &Config) -> io::Result<()> {
    socket.bind_auto()?;
    // Connected to the kernel (port 0): the kernel itself then refuses
    // datagrams from any other socket. The session still checks the
    // sender of each one.
    socket.connect(&netlink_sys::SocketAddr::new(0, 0))?;
    // Extended acks carry the kernel's text; capped acks do not echo our
    // request back (smaller replies, more of them fit).
    socket.set_ext_ack(true)?;
    socket.set_cap_ack(true)?;
    // SO_RCVBUFFORCE needs CAP_NET_ADMIN, which IPVS needs anyway; fall back
    // to the rmem_max-capped SO_RCVBUF.
    let wanted = config.receive_buffer.min(i32::MAX as usize);
    if sockopt::set_socket_recv_buffer_size_force(&*socket, wanted).is_err() {
        socket.set_rx_buf_sz(wanted as i32)?;
    }
    if let Some(wanted) = config.send_buffer {
        let wanted = wanted.min(i32::MAX as usize);
        if sockopt::set_socket_send_buffer_size_force(&*socket, wanted).is_err() {
            sockopt::set_socket_send_buffer_size(&*socket, wanted)?;
        }
    }
    socket.set_non_blocking(true)
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

#[cfg(test)]
mod tests {
    use netlink_sys::{protocols::NETLINK_GENERIC, SocketAddr};

    use super::*;
    use crate::handle::Netns;

    #[test]
    fn the_socket_takes_datagrams_from_the_kernel_only() {
        let netns = PinnedNetns::pin(&Netns::Current).unwrap();
        let opened = open(&netns, &Config::default()).unwrap();
        let mut ours = SocketAddr::new(0, 0);
        opened.socket.get_address(&mut ours).unwrap();
        assert_ne!(ours.port_number(), 0);
        let mut other = Socket::new(NETLINK_GENERIC).unwrap();
        other.bind_auto().unwrap();
        let mut message = Vec::new();
        crate::wire::netlink::push_message(&mut message, 0x24, 0, 1, |_| {}).unwrap();
        let e = other.send_to(&message, &ours, 0).unwrap_err();
        assert_eq!(
            e.raw_os_error(),
            Some(rustix::io::Errno::CONNREFUSED.raw_os_error()),
            "{e}"
        );
    }
}

//! Lower bounds, measured in the same guest as the rest of the kernel bench:
//! the same requests over a bare netlink socket, encoded before the clock
//! starts, with no per-request bookkeeping and no parsing beyond message
//! types and status codes. No client does the same kernel work in less
//! time, so the ratio between two floors bounds the ratio any client can
//! show between the same two ways of working: adding the same client cost
//! per request to both sides only brings a ratio closer to 1.

use std::time::Duration;

use ipvs_netlink::proto::{BatchLimits, Session};
use ipvs_netlink::wire::netlink::{
    frames, push_message, NlStatus, NLMSG_DONE, NLMSG_ERROR, NLMSG_NOOP, NLM_F_ACK, NLM_F_DUMP,
    NLM_F_REQUEST,
};
use ipvs_netlink::wire::IpvsMessage;
use ipvs_netlink::{Config, Request, ServiceKey};
use netlink_sys::{protocols::NETLINK_GENERIC, Socket, SocketAddr};

/// How a datagram's answer ends.
#[derive(Clone, Copy, PartialEq, Eq)]
enum End {
    /// The acknowledgement of this sequence number.
    Ack(u32),
    /// The `NLMSG_DONE` of the dump with this sequence number.
    Done(u32),
}

/// Datagrams encoded in advance on a socket of the current namespace.
pub(crate) struct Floor {
    socket: Socket,
    /// A second socket with 32 KiB receives for the service dump, as the
    /// handles keep (page-sized receives make long service dumps slower).
    wide: Option<Socket>,
    /// Each datagram, how its answer ends, and whether it goes on `wide`.
    datagrams: Vec<(Vec<u8>, End, bool)>,
    /// IPVS messages the answers must hold in all (dump replies).
    expect_messages: usize,
}

impl Floor {
    /// Sends every datagram and receives its answer, one datagram at a time.
    /// Panics on any error status or a wrong count: a floor that did less
    /// work than the client it bounds would prove nothing.
    pub(crate) fn run(self) {
        let mut buf = vec![0u8; WIDE];
        let mut messages = 0;
        for (datagram, end, wide) in &self.datagrams {
            let (socket, room) = match (&self.wide, wide) {
                (Some(s), true) => (s, WIDE),
                _ => (&self.socket, page()),
            };
            socket.send(datagram, 0).expect("send");
            'answer: loop {
                let n = socket
                    .recv(&mut &mut buf[..room], msg_trunc())
                    .expect("an answer within 10 s");
                assert!(n <= room, "datagram of {n} bytes truncated");
                for frame in frames(&buf[..n]) {
                    let frame = frame.expect("a well-formed reply");
                    let seq = frame.header.seq;
                    match frame.header.kind {
                        NLMSG_ERROR => {
                            let status = NlStatus::parse_error(frame.payload, frame.header.flags)
                                .expect("a well-formed status");
                            assert_eq!(status.code, 0, "request {seq} failed: {status:?}");
                            if *end == End::Ack(seq) {
                                break 'answer;
                            }
                        }
                        NLMSG_DONE if *end == End::Done(seq) => break 'answer,
                        _ => messages += 1,
                    }
                }
            }
        }
        assert_eq!(messages, self.expect_messages, "dump messages received");
    }
}

/// Receives of the socket for service dumps.
const WIDE: usize = 32 * 1024;

/// The receive size of the handles for everything but service dumps (the
/// kernel's `NLMSG_GOODSIZE`, see `handle::socket`): the kernel sizes dump
/// chunks by the largest receive a socket ever made, and larger chunks cost
/// more.
fn page() -> usize {
    let page = rustix::param::page_size().clamp(4096, 8192);
    if cfg!(target_pointer_width = "64") {
        page - 320
    } else {
        page
    }
}

/// `MSG_TRUNC`: a receive returns the datagram's full length, so a cut one
/// is seen.
fn msg_trunc() -> i32 {
    rustix::net::RecvFlags::TRUNC.bits() as i32
}

/// A socket in the current namespace, with the IPVS family resolved and a
/// receive buffer as large as the handles ask for.
fn open() -> (Socket, u16) {
    let mut socket = Socket::new(NETLINK_GENERIC).expect("netlink socket");
    socket.bind_auto().expect("bind");
    socket.connect(&SocketAddr::new(0, 0)).expect("connect");
    socket.set_cap_ack(true).expect("NETLINK_CAP_ACK");
    rustix::net::sockopt::set_socket_recv_buffer_size_force(
        &socket,
        Config::default().receive_buffer,
    )
    .expect("SO_RCVBUFFORCE");
    let timeout = Some(Duration::from_secs(10));
    rustix::net::sockopt::set_socket_timeout(&socket, rustix::net::sockopt::Timeout::Recv, timeout)
        .expect("SO_RCVTIMEO");
    let mut session = Session::new();
    let token = session.resolve_family();
    socket.send(&session.take_outgoing(), 0).expect("send");
    let mut buf = vec![0u8; page()];
    while session.take_result(token).is_none() {
        let (n, from) = socket
            .recv_from(&mut &mut buf[..], 0)
            .expect("family reply");
        session.receive(&buf[..n], from.port_number());
    }
    let family = session.family_id().expect("the IPVS family");
    (socket, family)
}

fn push(out: &mut Vec<u8>, family: u16, flags: u16, seq: u32, request: &Request) {
    let (command, attrs) = request.encode().expect("a valid request");
    let msg = IpvsMessage::new(command, attrs).expect("a request fits its length fields");
    push_message(out, family, flags, seq, |o| msg.emit_genl(o)).unwrap();
}

/// `requests` without acknowledgements, as many per datagram as the
/// handles' batch puts there, each datagram closed by an acknowledged no-op.
pub(crate) fn batch(requests: &[Request]) -> Floor {
    let (socket, family) = open();
    let rcvbuf = socket.get_rx_buf_sz().expect("SO_RCVBUF");
    let limits = BatchLimits::for_receive_buffer(rcvbuf);
    let mut datagrams = Vec::new();
    let mut seq = 0;
    let mut rest = requests.iter().peekable();
    while rest.peek().is_some() {
        let mut out = Vec::new();
        for r in rest.by_ref().take(limits.max_messages) {
            seq += 1;
            push(&mut out, family, NLM_F_REQUEST, seq, r);
            if out.len() >= limits.max_bytes {
                break;
            }
        }
        seq += 1;
        push_message(&mut out, NLMSG_NOOP, NLM_F_REQUEST | NLM_F_ACK, seq, |_| {}).unwrap();
        datagrams.push((out, End::Ack(seq), false));
    }
    assert_eq!(
        seq as usize,
        requests.len() + datagrams.len(),
        "every request encoded"
    );
    Floor {
        socket,
        wide: None,
        datagrams,
        expect_messages: 0,
    }
}

/// Each of `requests` in a datagram of its own, acknowledged.
pub(crate) fn one_per_round_trip(requests: &[Request]) -> Floor {
    let (socket, family) = open();
    let datagrams = (1..)
        .zip(requests)
        .map(|(seq, r)| {
            let mut out = Vec::new();
            push(&mut out, family, NLM_F_REQUEST | NLM_F_ACK, seq, r);
            (out, End::Ack(seq), false)
        })
        .collect();
    Floor {
        socket,
        wide: None,
        datagrams,
        expect_messages: 0,
    }
}

/// What a full listing needs at least: one service dump, then one
/// destination dump per service (the keys are known in advance here; a
/// real listing takes them from the service dump).
pub(crate) fn listing(keys: &[ServiceKey], destinations: usize) -> Floor {
    let (socket, family) = open();
    let (wide, _) = open();
    let dump = |seq: u32, r: &Request| {
        let mut out = Vec::new();
        push(&mut out, family, NLM_F_REQUEST | NLM_F_DUMP, seq, r);
        (out, End::Done(seq), matches!(r, Request::ListServices))
    };
    let mut datagrams = vec![dump(1, &Request::ListServices)];
    datagrams.extend(
        (2..)
            .zip(keys)
            .map(|(seq, k)| dump(seq, &Request::ListDestinations(*k))),
    );
    Floor {
        socket,
        wide: Some(wide),
        datagrams,
        expect_messages: keys.len() + destinations,
    }
}

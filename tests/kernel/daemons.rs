use ipvs_netlink::*;

use ipvs_netlink::proto::Session;
use netlink_sys::Socket;

use crate::common::sh;

crate::kernel_tests! {
    fn start_list_stop_sync_daemons() {
        sh("ip link add sync0 type dummy && ip link set sync0 up multicast on");
        let mut h = Handle::new().unwrap();
        assert!(h.list_daemons().unwrap().is_empty());
        let mut master = SyncDaemon::new(DaemonRole::Master, "sync0", 7);
        master.port = Some(9000);
        master.ttl = Some(3);
        master.max_len = Some(1400);
        master.group = Some("239.1.2.3".parse().unwrap());
        h.start_daemon(&master).unwrap();
        let backup = SyncDaemon::new(DaemonRole::Backup, "sync0", 7);
        h.start_daemon(&backup).unwrap();

        let list = h.list_daemons().unwrap();
        assert_eq!(list.len(), 2);
        let m = &list[0];
        assert_eq!((m.role, m.interface.as_str(), m.sync_id), (DaemonRole::Master, "sync0", 7));
        assert_eq!(m.port, Some(9000));
        assert_eq!(m.ttl, Some(3));
        assert_eq!(m.max_len, Some(1400));
        assert_eq!(m.group, Some("239.1.2.3".parse().unwrap()));
        let b = &list[1];
        assert_eq!(b.role, DaemonRole::Backup);
        assert_eq!(b.port, Some(8848), "kernel default port");
        assert_eq!(b.group, Some("224.0.0.81".parse().unwrap()), "kernel default group");

        let e = h.start_daemon(&master).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::DaemonRunning(_)), "{e}");
        h.stop_daemon(DaemonRole::Master).unwrap();
        let e = h.stop_daemon(DaemonRole::Master).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::DaemonNotRunning(_)), "{e}");
        h.stop_daemon(DaemonRole::Backup).unwrap();
        assert!(h.list_daemons().unwrap().is_empty());
    }

    fn daemon_on_missing_interface() {
        let mut h = Handle::new().unwrap();
        let e = h.start_daemon(&SyncDaemon::new(DaemonRole::Master, "nosuch0", 1)).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::NoSuchInterface(_)), "{e}");
        let e = h.start_daemon(&SyncDaemon::new(DaemonRole::Master, "an-interface-name-too-long", 1)).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Build(BuildError::InterfaceName { .. })), "{e}");
    }
}

/// The kernel's answers to one datagram holding `start`, `stop` (both
/// acknowledged) and an acknowledged no-op: whether the stop was answered.
/// Netlink skips the acknowledgement of a request that returned EINTR, which
/// stopping a sync thread does when the thread never ran.
fn stop_acknowledged_right_after_start(socket: &Socket, family: u16, seq: u32) -> bool {
    use ipvs_netlink::wire::netlink::*;
    let start = Request::StartDaemon(SyncDaemon::new(DaemonRole::Backup, "sync1", 1));
    let stop = Request::StopDaemon(DaemonRole::Backup);
    let mut out = Vec::new();
    for (i, r) in [start, stop].iter().enumerate() {
        let (cmd, attrs) = r.encode().unwrap();
        let msg = wire::IpvsMessage::new(cmd, attrs).unwrap();
        push_message(
            &mut out,
            family,
            NLM_F_REQUEST | NLM_F_ACK,
            seq + i as u32,
            |o| msg.emit_genl(o),
        )
        .unwrap();
    }
    push_message(
        &mut out,
        NLMSG_NOOP,
        NLM_F_REQUEST | NLM_F_ACK,
        seq + 2,
        |_| {},
    )
    .unwrap();
    socket.send(&out, 0).unwrap();
    let mut acked = Vec::new();
    let mut buf = Vec::with_capacity(1 << 16);
    while !acked.contains(&(seq + 2)) {
        buf.clear();
        socket.recv(&mut buf, 0).expect("an answer within 10 s");
        for frame in frames(&buf) {
            let frame = frame.unwrap();
            assert_eq!(frame.header.kind, NLMSG_ERROR);
            let status = NlStatus::parse_error(frame.payload, frame.header.flags).unwrap();
            assert_eq!(status.code, 0, "seq {}: {status:?}", frame.header.seq - seq);
            acked.push(frame.header.seq);
        }
    }
    assert!(acked.contains(&seq), "the start is always acknowledged");
    acked.contains(&(seq + 1))
}

fn raw_socket() -> Socket {
    let mut socket = Socket::new(netlink_sys::protocols::NETLINK_GENERIC).unwrap();
    socket.bind_auto().unwrap();
    socket.connect(&netlink_sys::SocketAddr::new(0, 0)).unwrap();
    let ten = std::time::Duration::from_secs(10);
    rustix::net::sockopt::set_socket_timeout(
        &socket,
        rustix::net::sockopt::Timeout::Recv,
        Some(ten),
    )
    .unwrap();
    socket
}

crate::kernel_tests! {
    /// A stop that follows its start at once: the kernel may stop the sync
    /// thread before it ever ran, and then sends no acknowledgement at all
    /// (6.1 did so for every such stop here; 6.12 for some, depending on when
    /// the new thread is scheduled). Whatever the kernel does, the library's
    /// stop completes and the daemon is gone.
    fn stop_right_after_start() {
        sh("ip link add sync1 type dummy && ip link set sync1 up multicast on");
        let mut h = Handle::new().unwrap();
        let socket = raw_socket();
        let mut session = Session::new();
        let t = session.resolve_family();
        socket.send(&session.take_outgoing(), 0).unwrap();
        let mut buf = Vec::with_capacity(1 << 16);
        while session.take_result(t).is_none() {
            buf.clear();
            let (_, addr) = socket.recv_from(&mut buf, 0).unwrap();
            session.receive(&buf, addr.port_number());
        }
        let family = session.family_id().unwrap();

        // What the kernel does: count the stops it left unanswered.
        let rounds = 20;
        let unanswered = (0..rounds)
            .filter(|i| !stop_acknowledged_right_after_start(&socket, family, 1000 + 3 * i))
            .count();
        println!("stop right after start: {unanswered} of {rounds} stops unacknowledged");
        assert!(h.list_daemons().unwrap().is_empty(), "each stop did stop its daemon");

        // What the library does with the same pairs, sent as one datagram.
        for _ in 0..rounds {
            let start = session
                .submit(&Request::StartDaemon(SyncDaemon::new(DaemonRole::Backup, "sync1", 1)))
                .unwrap();
            let stop = session.submit(&Request::StopDaemon(DaemonRole::Backup)).unwrap();
            socket.send(&session.take_outgoing(), 0).unwrap();
            while session.is_pending(stop) || session.is_pending(start) {
                buf.clear();
                let (_, addr) = socket.recv_from(&mut buf, 0).expect("an answer within 10 s");
                session.receive(&buf, addr.port_number());
            }
            session.take_result(start).unwrap().unwrap();
            session.take_result(stop).unwrap().unwrap();
            assert_eq!(session.pending(), 0);
        }
        assert!(h.list_daemons().unwrap().is_empty());
        // Through the handle, back to back.
        for _ in 0..5 {
            h.start_daemon(&SyncDaemon::new(DaemonRole::Backup, "sync1", 1)).unwrap();
            h.stop_daemon(DaemonRole::Backup).unwrap();
        }
        assert!(h.list_daemons().unwrap().is_empty());
    }
}

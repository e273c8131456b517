//! Draining UDP and SCTP real servers with real traffic through the
//! service: what "gone" means for each (the `drain` module's docs), seen in
//! the kernel. UDP entries end when they expire, the UDP timeout after the
//! flow's last datagram; SCTP associations count as active while
//! established, as TCP connections do.

use std::net::{SocketAddr, UdpSocket};
use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ipvs_netlink::drain::{DrainOptions, DrainWarning};
use ipvs_netlink::*;
use rustix::net::{ipproto, AddressFamily, SocketFlags, SocketType};

use crate::common::sh;

fn sa(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

const A: &str = "10.20.0.2:8080";
const B: &str = "10.20.0.3:8080";

fn addresses() {
    sh("ip addr add 10.20.0.1/32 dev lo && ip addr add 10.20.0.2/32 dev lo && ip addr add 10.20.0.3/32 dev lo");
}

/// The real server a reply names: each server answers with the last octet
/// of its address.
fn server_of(octet: u8) -> SocketAddr {
    SocketAddr::from(([10, 20, 0, octet], 8080))
}

fn last_octet(addr: SocketAddr) -> u8 {
    match addr.ip() {
        std::net::IpAddr::V4(ip) => ip.octets()[3],
        std::net::IpAddr::V6(_) => unreachable!(),
    }
}

/// Threads serving until dropped.
struct Servers {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl Drop for Servers {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// UDP servers answering each datagram with their last octet.
fn udp_servers(addrs: &[SocketAddr]) -> Servers {
    let stop = Arc::new(AtomicBool::new(false));
    let threads = addrs
        .iter()
        .map(|&addr| {
            let socket = UdpSocket::bind(addr).unwrap();
            socket
                .set_read_timeout(Some(Duration::from_millis(100)))
                .unwrap();
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut b = [0u8; 16];
                while !stop.load(Ordering::Relaxed) {
                    if let Ok((_, peer)) = socket.recv_from(&mut b) {
                        let _ = socket.send_to(&[last_octet(addr)], peer);
                    }
                }
            })
        })
        .collect();
    Servers { stop, threads }
}

/// A UDP flow to `vip` (its own source port): the server that answered.
fn udp_exchange(flow: &UdpSocket) -> SocketAddr {
    flow.send(b"?").unwrap();
    let mut b = [0u8; 1];
    flow.recv(&mut b).expect("an answer through the service");
    server_of(b[0])
}

fn udp_flow(vip: SocketAddr) -> UdpSocket {
    let s = UdpSocket::bind("10.20.0.1:0").unwrap();
    s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    s.connect(vip).unwrap();
    s
}

fn sctp_socket() -> OwnedFd {
    rustix::net::socket_with(
        AddressFamily::INET,
        SocketType::STREAM,
        SocketFlags::CLOEXEC,
        Some(ipproto::SCTP),
    )
    .expect("an SCTP socket (the sctp module)")
}

/// SCTP servers: each association gets the server's last octet in answer
/// to its first byte, then is held until the client ends it.
fn sctp_servers(addrs: &[SocketAddr]) -> Servers {
    let stop = Arc::new(AtomicBool::new(false));
    let threads = addrs
        .iter()
        .map(|&addr| {
            let listener = sctp_socket();
            rustix::net::bind(&listener, &addr).unwrap();
            rustix::net::listen(&listener, 16).unwrap();
            rustix::net::sockopt::set_socket_timeout(
                &listener,
                rustix::net::sockopt::Timeout::Recv,
                Some(Duration::from_millis(100)),
            )
            .unwrap();
            let stop = stop.clone();
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let Ok(assoc) = rustix::net::accept(&listener) else {
                        continue;
                    };
                    std::thread::spawn(move || {
                        // Accepted sockets inherit the listener's timeout.
                        rustix::net::sockopt::set_socket_timeout(
                            &assoc,
                            rustix::net::sockopt::Timeout::Recv,
                            None,
                        )
                        .unwrap();
                        let mut b = [0u8; 1];
                        if rustix::io::read(&assoc, &mut b) == Ok(1)
                            && rustix::io::write(&assoc, &[last_octet(addr)]) == Ok(1)
                        {
                            // Held until the client ends it.
                            let _ = rustix::io::read(&assoc, &mut b);
                        }
                    });
                }
            })
        })
        .collect();
    Servers { stop, threads }
}

/// An SCTP association through `vip`, and the server that took it.
fn sctp_connect(vip: SocketAddr) -> (OwnedFd, SocketAddr) {
    let c = sctp_socket();
    rustix::net::sockopt::set_socket_timeout(
        &c,
        rustix::net::sockopt::Timeout::Recv,
        Some(Duration::from_secs(3)),
    )
    .unwrap();
    rustix::net::connect(&c, &vip).expect("an association through the service");
    assert_eq!(rustix::io::write(&c, b"?"), Ok(1));
    let mut b = [0u8; 1];
    assert_eq!(
        rustix::io::read(&c, &mut b),
        Ok(1),
        "an answer through the service"
    );
    (c, server_of(b[0]))
}

/// Adds a round-robin service of the two real servers A and B.
fn service(h: &mut Handle, key: ServiceKey) {
    h.add_service(&Service::new(key, Scheduler::RoundRobin))
        .unwrap();
    for addr in [A, B] {
        h.add_destination(&key, &Destination::new(sa(addr)))
            .unwrap();
    }
}

/// Waits until `addr` is at weight 0 (the drain began).
fn wait_quiesced(h: &mut Handle, key: &ServiceKey, addr: SocketAddr) {
    let t0 = Instant::now();
    while h.get_destination(key, addr).unwrap().dest.weight != 0 {
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "weight never became 0"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn other(addr: SocketAddr) -> SocketAddr {
    if addr == sa(A) {
        sa(B)
    } else {
        sa(A)
    }
}

crate::kernel_tests! {
    fn udp_drain_ends_when_the_flows_entry_expires() {
        addresses();
        let mut h = Handle::new().unwrap();
        // A short UDP timeout, so the flow's entry expires within the test.
        h.set_timeouts(Timeouts { tcp: None, tcp_fin: None, udp: Some(2) }).unwrap();
        let vip = sa("10.20.0.1:53");
        let key = ServiceKey::udp(vip);
        service(&mut h, key);
        let _servers = udp_servers(&[sa(A), sa(B)]);
        let flow = udp_flow(vip);
        let busy = udp_exchange(&flow);
        let options = DrainOptions::new().deadline(Duration::from_secs(30)).poll_interval(Duration::from_millis(200));
        let drainer = std::thread::spawn(move || {
            let mut h = Handle::new().unwrap();
            h.drain(&key, busy, &options, |_| {})
        });
        wait_quiesced(&mut h, &key, busy);
        // The flow keeps its server while it sends; new flows go elsewhere.
        let t0 = Instant::now();
        let mut last_datagram = t0;
        while t0.elapsed() < Duration::from_millis(1500) {
            last_datagram = Instant::now();
            assert_eq!(udp_exchange(&flow), busy, "the flow moved off its drained server");
            assert_eq!(udp_exchange(&udp_flow(vip)), other(busy), "a new flow went to the weight-0 server");
            let d = h.get_destination(&key, busy).unwrap();
            assert!(d.active_conns + d.inactive_conns >= 1, "the flow's entry is counted: {d:?}");
            std::thread::sleep(Duration::from_millis(300));
        }
        let report = drainer.join().unwrap().unwrap();
        let ended = Instant::now();
        assert_eq!(report.outcome, DrainOutcome::Drained, "{:?}", report.outcome);
        // Deleted once the entry expired: the UDP timeout after the last
        // datagram, not before.
        let after = ended.duration_since(last_datagram);
        assert!(after >= Duration::from_secs(2) && after < Duration::from_secs(6), "{after:?}");
        let first = report.samples[0].counts;
        assert!(first.active + first.inactive >= 1, "{first:?}");
        assert!(report.samples.last().unwrap().counts.is_zero());
        assert!(report.warnings.is_empty(), "a 2 s UDP timeout is within the deadline: {:?}", report.warnings);
        let left: Vec<_> = h.list_destinations(&key).unwrap().into_iter().map(|d| d.dest.addr).collect();
        assert_eq!(left, [other(busy)]);
    }

    fn udp_drain_past_its_deadline_is_forced_and_warned_of() {
        addresses();
        let mut h = Handle::new().unwrap();
        let vip = sa("10.20.0.1:53");
        let key = ServiceKey::udp(vip);
        service(&mut h, key);
        let _servers = udp_servers(&[sa(A), sa(B)]);
        let busy = udp_exchange(&udp_flow(vip));
        // The namespace's default UDP timeout (300 s) outlives the deadline.
        let options = DrainOptions::new().deadline(Duration::from_secs(1)).poll_interval(Duration::from_millis(200));
        let report = h.drain(&key, busy, &options, |_| {}).unwrap();
        let DrainOutcome::Forced { remaining } = report.outcome else {
            panic!("not forced: {report:?}");
        };
        assert!(remaining.active + remaining.inactive >= 1, "{remaining:?}");
        assert_eq!(report.warnings, [DrainWarning::UdpTimeoutBeyondDeadline {
            service: key,
            udp_timeout: Duration::from_secs(300),
            deadline: Duration::from_secs(1),
        }]);
        assert!(h.get_destination(&key, busy).is_err());
    }

    fn sctp_drain_counts_an_association_until_its_entry_expires() {
        addresses();
        let mut h = Handle::new().unwrap();
        let vip = sa("10.20.0.1:9899");
        let key = ServiceKey::sctp(vip);
        service(&mut h, key);
        let _servers = sctp_servers(&[sa(A), sa(B)]);
        let (held, busy) = sctp_connect(vip);
        let options = DrainOptions::new().deadline(Duration::from_secs(5)).poll_interval(Duration::from_millis(200));
        let drainer = std::thread::spawn(move || {
            let mut h = Handle::new().unwrap();
            h.drain(&key, busy, &options, |_| {})
        });
        wait_quiesced(&mut h, &key, busy);
        let d = h.get_destination(&key, busy).unwrap();
        assert!(d.active_conns >= 1, "an established association is active: {d:?}");
        for _ in 0..2 {
            let (c, server) = sctp_connect(vip);
            assert_eq!(server, other(busy), "a new association went to the weight-0 server");
            drop(c);
        }
        std::thread::sleep(Duration::from_secs(1));
        assert!(h.get_destination(&key, busy).is_ok(), "deleted while its association was up");
        // Shut down: its entry goes to CLOSED, counted inactive until it
        // expires, which is after the deadline here.
        drop(held);
        let report = drainer.join().unwrap().unwrap();
        let DrainOutcome::Forced { remaining } = report.outcome else {
            panic!("not forced: {:?}\n{}", report.outcome, sh("ipvsadm -Lnc"));
        };
        assert_eq!((remaining.active, remaining.persistent), (0, 0), "{remaining:?}");
        assert!(remaining.inactive >= 1, "{remaining:?}");
        assert!(report.samples[0].counts.active >= 1, "{:?}", report.samples[0]);
        let closed = sh("ipvsadm -Lnc");
        assert!(
            closed.lines().any(|l| l.starts_with("SCTP") && l.contains("CLOSED") && l.contains(&busy.to_string())),
            "{closed}"
        );
        let left: Vec<_> = h.list_destinations(&key).unwrap().into_iter().map(|d| d.dest.addr).collect();
        assert_eq!(left, [other(busy)]);
    }
}

//! The connection table read through the library: real TCP and UDP
//! connections, IPv4 and IPv6, through NAT and DR services, made between
//! network namespaces joined by veth pairs and a bridge; and connections
//! synced from a master to a backup sync daemon.
//!
//! Topology (the test's own namespace is the director):
//!
//! ```text
//!  client ns (eth0 192.168.1.10, fd00:1::10) ─┐
//!                                            br0 192.168.1.1, fd00:1::1  ── director
//!  DR server ns (eth0 192.168.1.20, fd00:1::20, VIPs on lo) ─┘            VIPs 10.99.0.1, fd00:99::1 on lo
//!  NAT server ns (eth0 192.168.2.2, fd00:2::2) ── n0 192.168.2.1, fd00:2::1
//! ```

use std::fs::File;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::os::fd::{AsFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use ipvs_netlink::conn::{read_conns, ConnEntry, ConnOrigin, ConnState, ConnTable};
use ipvs_netlink::*;

use crate::common::sh;

fn sa(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// Runs `f` on a thread inside the named namespace `ns`.
fn in_named<T: Send>(ns: &str, f: impl FnOnce() -> T + Send) -> T {
    let fd: OwnedFd = File::open(format!("/var/run/netns/{ns}")).unwrap().into();
    std::thread::scope(|s| {
        s.spawn(|| {
            rustix::thread::move_into_link_name_space(
                fd.as_fd(),
                Some(rustix::thread::LinkNameSpaceType::Network),
            )
            .unwrap();
            f()
        })
        .join()
        .unwrap_or_else(|p| std::panic::resume_unwind(p))
    })
}

/// Named namespaces, deleted when dropped.
struct Named(Vec<String>);

impl Drop for Named {
    fn drop(&mut self) {
        for n in &self.0 {
            let _ = std::process::Command::new("ip")
                .args(["netns", "del", n])
                .status();
        }
    }
}

/// The three namespaces around the director (this thread's namespace).
fn lab(id: &str) -> (Named, String, String, String) {
    let (c, d, n) = (format!("{id}-c"), format!("{id}-d"), format!("{id}-n"));
    let named = Named(vec![c.clone(), d.clone(), n.clone()]);
    for ns in &named.0 {
        sh(&format!("ip netns add {ns}"));
    }
    sh(&format!(
        "ip link add br0 type bridge && ip link set br0 up \
         && ip addr add 192.168.1.1/24 dev br0 && ip -6 addr add fd00:1::1/64 dev br0 nodad \
         && ip link add c0 type veth peer name eth0 netns {c} && ip link set c0 master br0 up \
         && ip link add d0 type veth peer name eth0 netns {d} && ip link set d0 master br0 up \
         && ip link add n0 type veth peer name eth0 netns {n} && ip link set n0 up \
         && ip addr add 192.168.2.1/24 dev n0 && ip -6 addr add fd00:2::1/64 dev n0 nodad \
         && ip addr add 10.99.0.1/32 dev lo && ip -6 addr add fd00:99::1/128 dev lo \
         && echo 1 > /proc/sys/net/ipv4/ip_forward && echo 1 > /proc/sys/net/ipv6/conf/all/forwarding"
    ));
    let host = |ns: &str, v4: &str, v6: &str, extra: &str| {
        sh(&format!(
            "ip netns exec {ns} sh -c 'ip link set lo up && ip link set eth0 up \
             && ip addr add {v4} dev eth0 && ip -6 addr add {v6} dev eth0 nodad {extra}'"
        ))
    };
    host(
        &c,
        "192.168.1.10/24",
        "fd00:1::10/64",
        "&& ip route add default via 192.168.1.1 && ip -6 route add default via fd00:1::1",
    );
    host(
        &d,
        "192.168.1.20/24",
        "fd00:1::20/64",
        "&& ip addr add 10.99.0.1/32 dev lo && ip -6 addr add fd00:99::1/128 dev lo",
    );
    host(
        &n,
        "192.168.2.2/24",
        "fd00:2::2/64",
        "&& ip route add default via 192.168.2.1 && ip -6 route add default via fd00:2::1",
    );
    (named, c, d, n)
}

/// Echo servers on `tcp` and `udp` addresses (`[::]` ones take IPv4 too)
/// until `stop` or a deadline (polling, so the thread ends by itself).
fn serve(tcp: Vec<SocketAddr>, udp: Vec<SocketAddr>, stop: &AtomicBool) {
    let tcp: Vec<TcpListener> = tcp
        .iter()
        .map(|a| {
            let l = TcpListener::bind(a).unwrap();
            l.set_nonblocking(true).unwrap();
            l
        })
        .collect();
    let udp: Vec<UdpSocket> = udp
        .iter()
        .map(|a| {
            let s = UdpSocket::bind(a).unwrap();
            s.set_nonblocking(true).unwrap();
            s
        })
        .collect();
    let mut open = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
        for l in &tcp {
            if let Ok((mut s, _)) = l.accept() {
                s.set_nonblocking(false).unwrap();
                s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
                let mut b = [0u8; 5];
                if s.read_exact(&mut b).is_ok() {
                    let _ = s.write_all(&b);
                }
                open.push(s); // Kept open: the connection stays ESTABLISHED.
            }
        }
        for u in &udp {
            let mut b = [0u8; 64];
            if let Ok((n, from)) = u.recv_from(&mut b) {
                let _ = u.send_to(&b[..n], from);
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A TCP exchange through `vip`, left open; its local address.
fn tcp_open(vip: SocketAddr) -> (TcpStream, SocketAddr) {
    let mut c = TcpStream::connect_timeout(&vip, Duration::from_secs(5))
        .unwrap_or_else(|e| panic!("connect {vip}: {e}"));
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    c.write_all(b"hello").unwrap();
    let mut b = [0u8; 5];
    c.read_exact(&mut b)
        .unwrap_or_else(|e| panic!("reply from {vip}: {e}"));
    assert_eq!(&b, b"hello");
    let local = c.local_addr().unwrap();
    (c, local)
}

/// A UDP exchange through `vip`; the local address.
fn udp_once(vip: SocketAddr) -> SocketAddr {
    let bind = if vip.is_ipv4() { "0.0.0.0:0" } else { "[::]:0" };
    let s = UdpSocket::bind(bind).unwrap();
    s.set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    s.connect(vip).unwrap();
    let mut b = [0u8; 16];
    for _ in 0..10 {
        s.send(b"ping").unwrap();
        if let Ok(n) = s.recv(&mut b) {
            assert_eq!(&b[..n], b"ping");
            return s.local_addr().unwrap();
        }
    }
    panic!("no UDP answer through {vip}");
}

fn add(h: &mut Handle, key: ServiceKey, dest: Destination) {
    h.add_service(&Service::new(key, Scheduler::RoundRobin))
        .unwrap();
    h.add_destination(&key, &dest).unwrap();
}

fn all(netns: &Netns, table: ConnTable) -> Vec<ConnEntry> {
    read_conns(netns, table)
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

crate::kernel_tests! {
    fn conns_nat_and_dr_tcp_udp_ipv4_ipv6() {
        let id = format!("cn{}", std::process::id());
        let (_named, client, dr, nat) = lab(&id);
        let mut h = Handle::new().unwrap();
        let masq = |a: &str| Destination::new(sa(a));
        let route = |a: &str| Destination::new(sa(a)).forward(ForwardMethod::DirectRoute);
        // (service, real server, protocol, client side)
        let cases = [
            (ServiceKey::tcp(sa("10.99.0.1:80")), masq("192.168.2.2:8080")),
            (ServiceKey::udp(sa("10.99.0.1:53")), masq("192.168.2.2:5353")),
            (ServiceKey::tcp(sa("10.99.0.1:81")), route("192.168.1.20:81")),
            (ServiceKey::tcp(sa("[fd00:99::1]:80")), masq("[fd00:2::2]:8080")),
            (ServiceKey::udp(sa("[fd00:99::1]:54")), route("[fd00:1::20]:54")),
            (ServiceKey::tcp(sa("[fd00:99::1]:81")), route("[fd00:1::20]:81")),
        ];
        for (k, d) in &cases {
            add(&mut h, *k, d.clone());
        }
        let stop = AtomicBool::new(false);
        let conns = std::thread::scope(|s| {
            s.spawn(|| in_named(&nat, || serve(
                vec![sa("[::]:8080")], vec![sa("[::]:5353")], &stop)));
            // UDP replies leave from the address the socket is bound to, so
            // the DR server binds the VIP (TCP sockets answer from it anyway).
            s.spawn(|| in_named(&dr, || serve(
                vec![sa("[::]:81")], vec![sa("[fd00:99::1]:54")], &stop)));
            std::thread::sleep(Duration::from_millis(300));
            let (streams, locals) = in_named(&client, || {
                let mut streams = Vec::new();
                let mut locals = Vec::new();
                for (k, _) in &cases {
                    let ServiceKey::Addr { protocol, addr } = *k else { unreachable!() };
                    if protocol == Protocol::Tcp {
                        let (st, local) = tcp_open(addr);
                        streams.push(st);
                        locals.push(local);
                    } else {
                        locals.push(udp_once(addr));
                    }
                }
                (streams, locals)
            });
            // The director's table, read here and from the client's namespace
            // by a descriptor of this one.
            let here = all(&Netns::Current, ConnTable::Conns);
            let me: OwnedFd = File::open("/proc/thread-self/ns/net").unwrap().into();
            let (there, clients_own) = in_named(&client, || {
                (all(&Netns::Fd(me), ConnTable::Conns), all(&Netns::Current, ConnTable::Conns))
            });
            stop.store(true, Ordering::Relaxed);
            drop(streams);
            assert!(clients_own.is_empty(), "the client's namespace has no IPVS connections");
            // Read through the descriptor: the same connections.
            for l in &locals {
                assert!(there.iter().any(|e| e.client == *l), "{l} not read from the client's namespace: {there:#?}");
            }
            (here, locals)
        });
        let (table, locals) = conns;
        // One entry per connection made (6.12 once listed two more, which
        // were gone a moment later: they are printed, not counted).
        assert!(table.len() >= cases.len(), "{table:#?}");
        for e in table.iter().filter(|e| !locals.contains(&e.client)) {
            eprintln!("an entry no test connection made: {e:?}");
        }
        for ((key, dest), local) in cases.iter().zip(&locals) {
            let ServiceKey::Addr { protocol, addr } = *key else { unreachable!() };
            let e = table
                .iter()
                .find(|e| e.client == *local)
                .unwrap_or_else(|| panic!("no entry from {local} in {table:#?}"));
            assert_eq!((e.protocol, e.virtual_addr, e.dest), (protocol, addr, dest.addr), "{e:?}");
            let (state, timeout) = if protocol == Protocol::Tcp {
                (ConnState::Established, 900)
            } else {
                (ConnState::Udp, 300)
            };
            assert_eq!(e.state, state, "{e:?}");
            assert!(e.expires <= Duration::from_secs(timeout) && e.expires >= Duration::from_secs(timeout - 60), "{e:?}");
            assert_eq!((&e.persistence, e.origin), (&None, None));
            // Filters: by its service, by its real server. (The clients have
            // closed by now, so the state moved on: compare the addresses.)
            let ends = |e: &ConnEntry| (e.protocol, e.client, e.virtual_addr, e.dest);
            let by_service: Vec<_> = read_conns(&Netns::Current, ConnTable::Conns).unwrap().service(*key).map(|e| ends(&e.unwrap())).collect();
            assert!(by_service.contains(&ends(e)), "service {key}: {by_service:?}");
            assert!(by_service.iter().all(|b| b.0 == protocol && b.2 == addr), "service {key}: {by_service:?}");
            let by_dest: Vec<_> = read_conns(&Netns::Current, ConnTable::Conns).unwrap().dest(dest.addr).map(|e| ends(&e.unwrap())).collect();
            assert!(by_dest.contains(&ends(e)), "destination {}: {by_dest:?}", dest.addr);
            assert!(by_dest.iter().all(|b| b.3 == dest.addr), "destination {}: {by_dest:?}", dest.addr);
        }
        let none: Vec<_> = read_conns(&Netns::Current, ConnTable::Conns).unwrap()
            .service(ServiceKey::tcp(sa("10.99.0.1:80"))).dest(sa("192.168.1.20:81")).collect();
        assert!(none.is_empty());
        // The sync table lists the same entries, all made here.
        let sync = all(&Netns::Current, ConnTable::Sync);
        assert!(sync.len() >= cases.len());
        assert!(sync.iter().all(|e| e.origin == Some(ConnOrigin::Local) && e.persistence.is_none()));
        // What ipvsadm shows is the same table.
        let ipvsadm = sh("ipvsadm -Lnc");
        for e in &table {
            assert!(ipvsadm.contains(&e.client.to_string()), "{e:?} not in {ipvsadm}");
        }
    }

    fn conns_synced_to_a_backup_are_marked_sync() {
        let id = format!("sy{}", std::process::id());
        let backup = format!("{id}-b");
        let _named = Named(vec![backup.clone()]);
        sh(&format!(
            "ip netns add {backup} && ip link add s0 type veth peer name eth0 netns {backup} \
             && ip link set s0 up multicast on && ip addr add 192.168.3.1/24 dev s0 \
             && ip netns exec {backup} sh -c 'ip link set lo up && ip link set eth0 up multicast on \
                && ip addr add 192.168.3.2/24 dev eth0' \
             && ip addr add 10.10.0.1/32 dev lo && ip addr add 10.10.0.2/32 dev lo"
        ));
        let mut master = Handle::new().unwrap();
        let mut bk = Handle::with_config(Config { netns: Netns::Named(backup.clone()), ..Default::default() }).unwrap();
        bk.start_daemon(&SyncDaemon::new(DaemonRole::Backup, "eth0", 9)).unwrap();
        master.start_daemon(&SyncDaemon::new(DaemonRole::Master, "s0", 9)).unwrap();
        let key = ServiceKey::tcp(sa("10.10.0.1:80"));
        add(&mut master, key, Destination::new(sa("10.10.0.2:8080")));
        crate::common::tcp_exchanges(sa("10.10.0.1:80"), sa("10.10.0.2:8080"), 3);

        let here = all(&Netns::Current, ConnTable::Sync);
        assert_eq!(here.len(), 3, "{here:#?}");
        assert!(here.iter().all(|e| e.origin == Some(ConnOrigin::Local)), "{here:#?}");
        let deadline = Instant::now() + Duration::from_secs(10);
        let synced = loop {
            let there = all(&Netns::Named(backup.clone()), ConnTable::Sync);
            if there.len() >= here.len() || Instant::now() > deadline {
                break there;
            }
            std::thread::sleep(Duration::from_millis(200));
        };
        for e in &here {
            let s = synced
                .iter()
                .find(|s| s.client == e.client)
                .unwrap_or_else(|| panic!("{e:?} not synced: {synced:#?}"));
            assert_eq!(s.origin, Some(ConnOrigin::Sync), "{s:?}");
            assert_eq!((s.protocol, s.virtual_addr, s.dest), (e.protocol, e.virtual_addr, e.dest));
        }
        // The backup's plain table has them too, without an origin column.
        let plain = all(&Netns::Named(backup.clone()), ConnTable::Conns);
        assert_eq!(plain.len(), synced.len());
        assert!(plain.iter().all(|e| e.origin.is_none()));
        master.stop_daemon(DaemonRole::Master).unwrap();
        bk.stop_daemon(DaemonRole::Backup).unwrap();
    }

    fn conns_of_a_namespace_without_ipvs_entries_and_bad_namespace() {
        assert!(all(&Netns::Current, ConnTable::Conns).is_empty());
        assert!(all(&Netns::Current, ConnTable::Sync).is_empty());
        let e = read_conns(&Netns::Named("no-such-ns".into()), ConnTable::Conns).unwrap_err();
        assert!(matches!(e, conn::ConnError::Netns(_)), "{e}");
    }
}

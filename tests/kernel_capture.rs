//! Records fixtures from a real kernel: `cargo xtask capture` runs this
//! inside each test-bed kernel and writes every `IPVS-FIXTURE <name> <hex>`
//! line it prints to `tests/fixtures/linux-<version>/<name>`.
//!
//! Replies are what this crate's handle received (whole datagrams,
//! concatenated). Requests are what ipvsadm sent for the same operations,
//! read with `strace -e write=` (hex dumps of its sendmsg data).

mod common;

use std::fmt::Write as _;
use std::io::Write;
use std::net::SocketAddr;
use std::process::Command;

use common::{have, sh};
use ipvs_netlink::*;

fn sa(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn emit(name: &str, bytes: &[u8]) {
    let mut hex = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        write!(hex, "{b:02x}").unwrap();
    }
    // One line per fixture, flushed at once, so the console keeps it whole.
    let line = format!("\nIPVS-FIXTURE {name} {hex}\n");
    let mut out = std::io::stdout().lock();
    out.write_all(line.as_bytes()).unwrap();
    out.flush().unwrap();
}

fn capture(h: &mut Handle, name: &str, f: impl FnOnce(&mut Handle)) {
    h.capture(true);
    f(h);
    let bytes: Vec<u8> = h.take_captured().concat();
    h.capture(false);
    assert!(!bytes.is_empty(), "{name}: nothing received");
    emit(name, &bytes);
}

/// The table every reply fixture is taken from.
fn build_table(h: &mut Handle) {
    sh("ip link add sync0 type dummy && ip link set sync0 up multicast on");
    sh("ip addr add 10.10.0.1/32 dev lo && ip addr add 10.10.0.2/32 dev lo");
    let web = ServiceKey::tcp(sa("10.0.0.1:80"));
    h.add_service(&Service::new(web, Scheduler::RoundRobin))
        .unwrap();
    let mut sip = Service::new(
        ServiceKey::udp(sa("10.0.0.2:5060")),
        Scheduler::SourceHashing,
    )
    .persistent(300);
    sip.netmask = Netmask::V4("255.255.255.0".parse().unwrap());
    sip.flags |= ServiceFlags::SH_PORT | ServiceFlags::SH_FALLBACK;
    sip.persistence_engine = Some("sip".into());
    h.add_service(&sip).unwrap();
    let mut v6 = Service::new(
        ServiceKey::tcp(sa("[2001:db8::1]:443")),
        Scheduler::MaglevHashing,
    )
    .persistent(60);
    v6.netmask = Netmask::V6(64);
    h.add_service(&v6).unwrap();
    h.add_service(&Service::new(
        ServiceKey::fwmark(Family::Ipv4, 7),
        Scheduler::WeightedLeastConnection,
    ))
    .unwrap();
    h.add_service(&Service::new(
        ServiceKey::fwmark(Family::Ipv6, 8),
        Scheduler::None,
    ))
    .unwrap();
    h.add_service(&Service::new(
        ServiceKey::sctp(sa("10.0.0.3:9999")),
        Scheduler::LeastConnection,
    ))
    .unwrap();
    let mut ops = Service::new(ServiceKey::udp(sa("10.0.0.4:53")), Scheduler::RoundRobin);
    ops.flags = ServiceFlags::ONE_PACKET;
    h.add_service(&ops).unwrap();

    for d in [
        Destination::new(sa("10.0.1.1:8080"))
            .weight(5)
            .thresholds(10, 100),
        Destination::new(sa("10.0.1.2:80"))
            .forward(ForwardMethod::DirectRoute)
            .weight(0),
        Destination::new(sa("10.0.1.3:80")).forward(ForwardMethod::Tunnel(Tunnel::Ipip)),
        Destination::new(sa("10.0.1.4:80")).forward(ForwardMethod::Tunnel(Tunnel::Gue {
            port: 6080,
            checksum: GueChecksum::Remote,
        })),
        Destination::new(sa("10.0.1.5:80"))
            .forward(ForwardMethod::Tunnel(Tunnel::Gre { checksum: true })),
    ] {
        h.add_destination(&web, &d).unwrap();
    }
    h.add_destination(
        &v6.key,
        &Destination::new(sa("[2001:db8::10]:443")).weight(3),
    )
    .unwrap();
    h.add_destination(
        &ServiceKey::fwmark(Family::Ipv4, 7),
        &Destination::new(sa("10.0.2.1:0")).forward(ForwardMethod::DirectRoute),
    )
    .unwrap();
    h.set_timeouts(Timeouts {
        tcp: Some(1000),
        tcp_fin: Some(100),
        udp: Some(200),
    })
    .unwrap();
}

/// Master and backup sync daemons (none may run while a destination of the
/// other family than its service exists, so they are recorded on their own).
fn capture_daemons(h: &mut Handle) {
    let mut master = SyncDaemon::new(DaemonRole::Master, "sync0", 5);
    master.group = Some("239.1.2.3".parse().unwrap());
    master.port = Some(9000);
    master.ttl = Some(2);
    h.start_daemon(&master).unwrap();
    let mut backup = SyncDaemon::new(DaemonRole::Backup, "sync0", 5);
    backup.group = Some("ff02::1:2".parse().unwrap());
    h.start_daemon(&backup).unwrap();
    capture(h, "daemon_dump.bin", |h| {
        h.list_daemons().unwrap();
    });
    h.stop_daemon(DaemonRole::Master).unwrap();
    h.stop_daemon(DaemonRole::Backup).unwrap();
}

/// Sends a few connections through a service whose real server is a local
/// listener, so the counters are not all zero.
fn make_traffic(h: &mut Handle) -> ServiceKey {
    let key = ServiceKey::tcp(sa("10.10.0.1:80"));
    h.add_service(&Service::new(key, Scheduler::RoundRobin))
        .unwrap();
    h.add_destination(&key, &Destination::new(sa("10.10.0.2:8080")))
        .unwrap();
    common::tcp_exchanges(sa("10.10.0.1:80"), sa("10.10.0.2:8080"), 3);
    key
}

/// The data of every sendmsg ipvsadm made, from `strace -e write=` dumps.
fn ipvsadm_requests(args: &str) -> Vec<Vec<u8>> {
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("strace -qq -f -e trace=sendmsg -e write=3,4,5,6 -o /tmp/strace.out ipvsadm {args}; cat /tmp/strace.out"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let mut msgs = Vec::new();
    let mut cur: Option<Vec<u8>> = None;
    for line in text.lines() {
        if let Some(pos) = line.find(" | ") {
            // " | 00000  68 00 00 00 24 00 05 00  01 00 ...  ascii |"
            let rest = &line[pos + 3..];
            let Some((offset, hex)) = rest.split_once("  ") else {
                continue;
            };
            if offset.len() != 5 || !offset.bytes().all(|b| b.is_ascii_hexdigit()) {
                continue;
            }
            let area: String = hex.chars().take(49).collect();
            let buf = cur.get_or_insert_with(Vec::new);
            for tok in area.split_whitespace() {
                if tok.len() == 2 {
                    if let Ok(b) = u8::from_str_radix(tok, 16) {
                        buf.push(b);
                    }
                }
            }
        } else if let Some(done) = cur.take() {
            msgs.push(done);
        }
    }
    msgs.extend(cur);
    msgs
}

#[test]
fn capture_fixtures() {
    common::in_netns("capture_fixtures", || {
        let mut h = Handle::new().unwrap();
        build_table(&mut h);
        capture_daemons(&mut h);
        let mixed =
            Destination::new(sa("[2001:db8::5]:80")).forward(ForwardMethod::Tunnel(Tunnel::Ipip));
        h.add_destination(&ServiceKey::tcp(sa("10.0.0.1:80")), &mixed)
            .unwrap();
        capture(&mut h, "service_dump.bin", |h| {
            h.list_services().unwrap();
        });
        capture(&mut h, "service_get.bin", |h| {
            h.get_service(&ServiceKey::udp(sa("10.0.0.2:5060")))
                .unwrap();
        });
        capture(&mut h, "dest_dump_v4.bin", |h| {
            h.list_destinations(&ServiceKey::tcp(sa("10.0.0.1:80")))
                .unwrap();
        });
        capture(&mut h, "dest_dump_v6.bin", |h| {
            h.list_destinations(&ServiceKey::tcp(sa("[2001:db8::1]:443")))
                .unwrap();
        });
        capture(&mut h, "dest_dump_fwmark.bin", |h| {
            h.list_destinations(&ServiceKey::fwmark(Family::Ipv4, 7))
                .unwrap();
        });
        capture(&mut h, "dest_dump_missing_service.bin", |h| {
            h.list_destinations(&ServiceKey::tcp(sa("10.99.0.1:80")))
                .unwrap();
        });
        capture(&mut h, "config.bin", |h| {
            h.get_timeouts().unwrap();
        });
        capture(&mut h, "info.bin", |h| {
            h.get_info().unwrap();
        });
        capture(&mut h, "ack.bin", |h| {
            h.zero(None).unwrap();
        });
        capture(&mut h, "error_service_exists.bin", |h| {
            h.add_service(&Service::new(
                ServiceKey::tcp(sa("10.0.0.1:80")),
                Scheduler::RoundRobin,
            ))
            .unwrap_err();
        });
        capture(&mut h, "error_invalid_dest.bin", |h| {
            h.add_destination(
                &ServiceKey::tcp(sa("10.0.0.1:80")),
                &Destination::new(sa("224.0.0.1:80")),
            )
            .unwrap_err();
        });
        let traffic = make_traffic(&mut h);
        capture(&mut h, "service_traffic.bin", |h| {
            h.get_service(&traffic).unwrap();
        });
        capture(&mut h, "dest_traffic.bin", |h| {
            h.list_destinations(&traffic).unwrap();
        });

        if !have("strace") || !have("ipvsadm") {
            panic!("strace and ipvsadm are needed to record ipvsadm's requests");
        }
        sh("ipvsadm -C");
        for (name, args) in [
            ("add_service", "-A -t 10.0.0.1:80 -s rr"),
            (
                "add_service_persistent",
                "-A -u 10.0.0.2:53 -s wrr -p 300 -M 255.255.255.0",
            ),
            ("add_service_v6", "-A -t [2001:db8::1]:443 -s sh -b sh-port"),
            ("add_service_fwmark", "-A -f 7 -s dh"),
            ("add_service_pe", "-A -u 10.0.0.5:5060 -s rr -p 60 --pe sip"),
            ("edit_service", "-E -t 10.0.0.1:80 -s wlc"),
            ("add_dest", "-a -t 10.0.0.1:80 -r 10.0.1.1:8080 -m -w 5"),
            (
                "add_dest_gue",
                "-a -t 10.0.0.1:80 -r 10.0.1.2:80 -i --tun-type gue --tun-port 6080 --tun-csum",
            ),
            (
                "add_dest_gre",
                "-a -t 10.0.0.1:80 -r 10.0.1.3:80 -i --tun-type gre --tun-csum",
            ),
            ("add_dest_dr", "-a -f 7 -r 10.0.1.4:0 -g -w 2"),
            (
                "edit_dest",
                "-e -t 10.0.0.1:80 -r 10.0.1.1:8080 -m -w 7 -x 100 -y 10",
            ),
            ("del_dest", "-d -t 10.0.0.1:80 -r 10.0.1.1:8080"),
            ("del_service", "-D -u 10.0.0.2:53"),
            ("zero_service", "-Z -t 10.0.0.1:80"),
            ("zero_all", "-Z"),
            ("set_timeouts", "--set 100 20 30"),
            (
                "start_daemon",
                "--start-daemon master --mcast-interface sync0 --syncid 5",
            ),
            ("stop_daemon", "--stop-daemon backup"),
            ("flush", "-C"),
        ] {
            let msgs = ipvsadm_requests(args);
            assert!(!msgs.is_empty(), "no sendmsg captured for ipvsadm {args}");
            // All of ipvsadm's messages, each prefixed by its u32 length, so the
            // golden test can pick the IPVS command among them.
            let mut file = Vec::new();
            for m in &msgs {
                file.extend_from_slice(&(m.len() as u32).to_le_bytes());
                file.extend_from_slice(m);
            }
            emit(&format!("ipvsadm/{name}.req"), &file);
        }
        sh("ipvsadm -C");
    });
}

/// Opens a TCP connection through `vip` to a listener on `server` and
/// keeps both ends open (so the entry stays ESTABLISHED).
fn tcp_open(vip: SocketAddr, server: SocketAddr) -> (std::net::TcpStream, std::net::TcpStream) {
    use std::io::Read;
    let listener = std::net::TcpListener::bind(server).unwrap();
    let mut c =
        std::net::TcpStream::connect_timeout(&vip, std::time::Duration::from_secs(3)).unwrap();
    c.write_all(b"hello").unwrap();
    let (mut s, _) = listener.accept().unwrap();
    let mut b = [0u8; 5];
    s.read_exact(&mut b).unwrap();
    (c, s)
}

/// Sends one UDP datagram `payload` through `vip` to a socket on `server`,
/// and waits for it to arrive.
fn udp_send(vip: SocketAddr, server: SocketAddr, payload: &[u8]) {
    let rx = std::net::UdpSocket::bind(server).unwrap();
    rx.set_read_timeout(Some(std::time::Duration::from_secs(3)))
        .unwrap();
    let bind = if vip.is_ipv4() { "0.0.0.0:0" } else { "[::]:0" };
    let tx = std::net::UdpSocket::bind(bind).unwrap();
    tx.send_to(payload, vip).unwrap();
    let mut b = [0u8; 512];
    rx.recv_from(&mut b).unwrap();
}

fn proc_net(name: &str) -> Vec<u8> {
    std::fs::read(format!("/proc/thread-self/net/{name}")).unwrap()
}

/// The connection tables (`/proc/net/ip_vs_conn` and `ip_vs_conn_sync`)
/// with TCP and UDP connections, IPv4 and IPv6, persistence templates (of
/// a port service, a port-zero service and a SIP service with its Call-ID
/// as persistence data), and the sync table of a backup that received them
/// from a master sync daemon.
#[test]
fn capture_conn_tables() {
    common::in_netns("capture_conn_tables", || {
        sh("ip addr add 10.20.0.1/32 dev lo && ip addr add 10.20.0.2/32 dev lo \
            && ip addr add 10.20.0.3/32 dev lo \
            && ip -6 addr add 2001:db8:20::1/128 dev lo && ip -6 addr add 2001:db8:20::2/128 dev lo");
        let backup = format!("capture-backup-{}", std::process::id());
        sh(&format!(
            "ip netns add {backup} && ip link add s0 type veth peer name eth0 netns {backup} \
             && ip link set s0 up multicast on && ip addr add 192.168.3.1/24 dev s0 \
             && ip netns exec {backup} sh -c 'ip link set lo up && ip link set eth0 up multicast on \
                && ip addr add 192.168.3.2/24 dev eth0'"
        ));
        let mut h = Handle::new().unwrap();
        let mut bk = Handle::with_config(Config {
            netns: Netns::Named(backup.clone()),
            ..Default::default()
        })
        .unwrap();
        bk.start_daemon(&SyncDaemon::new(DaemonRole::Backup, "eth0", 4))
            .unwrap();
        h.start_daemon(&SyncDaemon::new(DaemonRole::Master, "s0", 4))
            .unwrap();
        let svc = |h: &mut Handle, s: Service, d: &str| {
            let key = s.key;
            h.add_service(&s).unwrap();
            h.add_destination(&key, &Destination::new(sa(d))).unwrap();
        };
        svc(
            &mut h,
            Service::new(ServiceKey::tcp(sa("10.20.0.1:80")), Scheduler::RoundRobin)
                .persistent(300),
            "10.20.0.2:8080",
        );
        let mut sip = Service::new(ServiceKey::udp(sa("10.20.0.1:5060")), Scheduler::RoundRobin)
            .persistent(120);
        sip.persistence_engine = Some("sip".into());
        svc(&mut h, sip, "10.20.0.2:5062");
        svc(
            &mut h,
            Service::new(ServiceKey::tcp(sa("10.20.0.3:0")), Scheduler::RoundRobin).persistent(60),
            "10.20.0.2:0",
        );
        svc(
            &mut h,
            Service::new(
                ServiceKey::tcp(sa("[2001:db8:20::1]:443")),
                Scheduler::RoundRobin,
            ),
            "[2001:db8:20::2]:8443",
        );
        svc(
            &mut h,
            Service::new(
                ServiceKey::udp(sa("[2001:db8:20::1]:53")),
                Scheduler::RoundRobin,
            ),
            "[2001:db8:20::2]:5353",
        );
        let _open = [
            tcp_open(sa("10.20.0.1:80"), sa("10.20.0.2:8080")),
            tcp_open(sa("10.20.0.3:9000"), sa("10.20.0.2:9000")),
            tcp_open(sa("[2001:db8:20::1]:443"), sa("[2001:db8:20::2]:8443")),
        ];
        udp_send(
            sa("10.20.0.1:5060"),
            sa("10.20.0.2:5062"),
            b"OPTIONS sip:capture@example.org SIP/2.0\r\nCall-ID: fixture-call-1@example.org\r\n\r\n",
        );
        udp_send(
            sa("[2001:db8:20::1]:53"),
            sa("[2001:db8:20::2]:5353"),
            b"dns?",
        );
        // A closed connection too (FIN_WAIT or TIME_WAIT).
        common::tcp_exchanges(sa("[2001:db8:20::1]:443"), sa("[2001:db8:20::2]:8443"), 1);
        emit("ip_vs_conn.txt", &proc_net("ip_vs_conn"));
        emit("ip_vs_conn_sync.txt", &proc_net("ip_vs_conn_sync"));
        // What the backup received (synced entries are marked SYNC).
        let synced = std::thread::scope(|s| {
            s.spawn(|| {
                let fd = std::fs::File::open(format!("/var/run/netns/{backup}")).unwrap();
                rustix::thread::move_into_link_name_space(
                    std::os::fd::AsFd::as_fd(&fd),
                    Some(rustix::thread::LinkNameSpaceType::Network),
                )
                .unwrap();
                proc_net("ip_vs_conn_sync")
            })
            .join()
            .unwrap()
        });
        assert!(
            String::from_utf8_lossy(&synced).contains(" SYNC "),
            "nothing synced: {}",
            String::from_utf8_lossy(&synced)
        );
        emit("ip_vs_conn_sync_backup.txt", &synced);
        h.stop_daemon(DaemonRole::Master).unwrap();
        bk.stop_daemon(DaemonRole::Backup).unwrap();
        drop(bk);
        sh(&format!("ip netns del {backup}"));
    });
}

//! Draining real servers with real TCP traffic through the service, the
//! partial destination update it rests on, and the traps it reports.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ipvs_netlink::drain::{DrainOptions, DrainSample, DrainWarning};
use ipvs_netlink::*;

use crate::common::sh;

fn sa(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

const VIP: &str = "10.10.0.1:80";
const A: &str = "10.10.0.2:8080";
const B: &str = "10.10.0.3:8080";

/// Local listeners for the real servers: each answers a connection's first
/// byte with its own address's last octet, then holds the connection until
/// the client closes it.
struct Servers {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl Servers {
    fn start(addrs: &[SocketAddr]) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let threads = addrs
            .iter()
            .map(|&addr| {
                let listener = TcpListener::bind(addr).unwrap();
                listener.set_nonblocking(true).unwrap();
                let stop = stop.clone();
                std::thread::spawn(move || {
                    let std::net::IpAddr::V4(ip) = addr.ip() else {
                        unreachable!()
                    };
                    let name = ip.octets()[3];
                    while !stop.load(Ordering::Relaxed) {
                        match listener.accept() {
                            Ok((mut s, _)) => {
                                std::thread::spawn(move || {
                                    s.set_nonblocking(false).unwrap();
                                    let mut b = [0u8; 1];
                                    if s.read_exact(&mut b).is_ok() && s.write_all(&[name]).is_ok()
                                    {
                                        // Hold it until the client closes.
                                        let _ = s.read(&mut b);
                                    }
                                });
                            }
                            Err(_) => std::thread::sleep(Duration::from_millis(20)),
                        }
                    }
                })
            })
            .collect();
        Self { stop, threads }
    }
}

impl Drop for Servers {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// A connection through the service, and the real server that took it.
fn connect() -> std::io::Result<(TcpStream, SocketAddr)> {
    let mut c = TcpStream::connect_timeout(&sa(VIP), Duration::from_secs(2))?;
    c.set_read_timeout(Some(Duration::from_secs(3)))?;
    c.write_all(b"?")?;
    let mut b = [0u8; 1];
    c.read_exact(&mut b)?;
    Ok((c, SocketAddr::from(([10, 10, 0, b[0]], 8080))))
}

/// Closes with a reset: IPVS keeps a reset connection's entry 10 s (a
/// closed one's `TIME_WAIT` entry 2 minutes).
fn reset(c: TcpStream) {
    rustix::net::sockopt::set_socket_linger(&c, Some(Duration::ZERO)).unwrap();
    drop(c);
}

/// A round-robin service of two local real servers, and a connection held
/// open through it: the server it went to and the other one.
struct Held {
    key: ServiceKey,
    conn: TcpStream,
    busy: SocketAddr,
    idle: SocketAddr,
    _servers: Servers,
}

fn service_with_held_connection(h: &mut Handle) -> Held {
    sh("ip addr add 10.10.0.1/32 dev lo && ip addr add 10.10.0.2/32 dev lo && ip addr add 10.10.0.3/32 dev lo");
    let key = ServiceKey::tcp(sa(VIP));
    h.add_service(&Service::new(key, Scheduler::RoundRobin))
        .unwrap();
    for addr in [A, B] {
        h.add_destination(&key, &Destination::new(sa(addr)).thresholds(0, 1000))
            .unwrap();
    }
    let servers = Servers::start(&[sa(A), sa(B)]);
    let (conn, busy) = connect().unwrap();
    let idle = if busy == sa(A) { sa(B) } else { sa(A) };
    Held {
        key,
        conn,
        busy,
        idle,
        _servers: servers,
    }
}

/// While the drain of `busy` runs (on another handle), checks that it is at
/// weight 0 with its forwarding and thresholds kept, that the connection
/// held on it stays counted, and that new connections go to `idle`; then
/// resets the held connection after `hold`. Returns when it was reset.
fn meanwhile(
    key: ServiceKey,
    busy: SocketAddr,
    idle: SocketAddr,
    held: TcpStream,
    hold: Duration,
) -> Instant {
    let mut h = Handle::new().unwrap();
    let t0 = Instant::now();
    let d = loop {
        let d = h.get_destination(&key, busy).unwrap();
        if d.dest.weight == 0 {
            break d;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "weight never became 0"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(d.dest.forward, ForwardMethod::Masquerade);
    assert_eq!(d.dest.upper_threshold, 1000, "thresholds kept");
    assert!(d.active_conns >= 1, "the held connection is counted: {d:?}");
    for _ in 0..4 {
        let (c, server) = connect().unwrap();
        assert_eq!(server, idle, "a new connection went to the weight-0 server");
        reset(c);
    }
    std::thread::sleep(hold.saturating_sub(t0.elapsed()));
    assert!(
        h.get_destination(&key, busy).is_ok(),
        "deleted while its connection was open"
    );
    reset(held);
    Instant::now()
}

fn check_drained(report: &DrainReport, seen: &[DrainSample], busy: SocketAddr) {
    assert_eq!(report.outcome, DrainOutcome::Drained, "{report:?}");
    assert_eq!(report.target.addr, busy);
    assert_eq!(report.samples, seen, "the callback saw every sample");
    assert!(report.samples.iter().all(|s| s.weight == 0));
    assert!(
        report.samples[0].counts.active >= 1,
        "{:?}",
        report.samples[0]
    );
    assert!(report.samples.last().unwrap().counts.is_zero());
    // Readings are a poll interval apart (never a busy loop).
    assert!(report
        .samples
        .windows(2)
        .all(|w| w[1].elapsed - w[0].elapsed >= Duration::from_millis(150)));
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
}

crate::kernel_tests! {
    fn drain_waits_for_the_open_connection_then_deletes() {
        let mut h = Handle::new().unwrap();
        let held = service_with_held_connection(&mut h);
        let (key, busy, idle) = (held.key, held.busy, held.idle);
        let options = DrainOptions::new().deadline(Duration::from_secs(40)).poll_interval(Duration::from_millis(150));
        let drainer = std::thread::spawn(move || {
            let mut h = Handle::new().unwrap();
            let mut seen = Vec::new();
            let r = h.drain(&key, busy, &options, |s| seen.push(*s));
            (r, seen, Instant::now())
        });
        let closed = meanwhile(key, busy, idle, held.conn, Duration::from_secs(2));
        let (report, seen, ended) = drainer.join().unwrap();
        let report = report.unwrap();
        check_drained(&report, &seen, busy);
        assert!(ended >= closed);
        assert!(report.duration >= Duration::from_secs(2), "{:?}", report.duration);
        let left: Vec<_> = h.list_destinations(&key).unwrap().into_iter().map(|d| d.dest.addr).collect();
        assert_eq!(left, [idle], "only the drained destination is gone");
    }

    fn reconcile_drains_the_server_it_no_longer_wants_while_its_connection_is_open() {
        let mut h = Handle::new().unwrap();
        let held = service_with_held_connection(&mut h);
        let (key, busy, idle) = (held.key, held.busy, held.idle);
        let desired = vec![(
            Service::new(key, Scheduler::RoundRobin),
            vec![Destination::new(idle).thresholds(0, 1000)],
        )];
        let drain = DrainOptions::new().deadline(Duration::from_secs(40)).poll_interval(Duration::from_millis(150));
        let options = ReconcileOptions::new(Scope::all()).drain(drain);
        let plan = h.reconcile_plan(&desired, &options).unwrap();
        let shown: Vec<String> = plan.steps().iter().map(|s| s.to_string()).collect();
        assert_eq!(shown, [format!("drain destination {busy} of {key}")]);
        let reconciler = std::thread::spawn(move || {
            let mut h = Handle::new().unwrap();
            (h.reconcile(&desired, &options), Instant::now())
        });
        let closed = meanwhile(key, busy, idle, held.conn, Duration::from_millis(1500));
        let (report, ended) = reconciler.join().unwrap();
        let report = report.unwrap();
        assert!(report.failures.is_empty(), "{:?}", report.failures);
        assert_eq!(report.count(Change::DrainDestination), 1);
        assert!(ended >= closed);
        let [d] = &report.drains[..] else { panic!("{:?}", report.drains) };
        assert_eq!((d.target.service, d.target.addr, d.outcome), (key, busy, DrainOutcome::Drained));
        assert!(d.samples[0].counts.active >= 1, "{:?}", d.samples);
        assert!(d.duration >= Duration::from_millis(1500), "{:?}", d.duration);
        let left: Vec<_> = h.list_destinations(&key).unwrap().into_iter().map(|d| d.dest.addr).collect();
        assert_eq!(left, [idle]);
    }

    fn drain_deletes_at_the_deadline_and_says_forced() {
        let mut h = Handle::new().unwrap();
        let held = service_with_held_connection(&mut h);
        let (key, busy, idle) = (held.key, held.busy, held.idle);
        let options = DrainOptions::new().deadline(Duration::from_millis(1500)).poll_interval(Duration::from_millis(200));
        let t0 = Instant::now();
        let mut polls = 0;
        let report = h.drain(&key, busy, &options, |_| polls += 1).unwrap();
        let took = t0.elapsed();
        let DrainOutcome::Forced { remaining } = report.outcome else {
            panic!("not forced: {report:?}");
        };
        assert!(report.is_forced());
        assert!(remaining.active >= 1, "{remaining:?}");
        assert!(report.duration >= Duration::from_millis(1500) && took < Duration::from_secs(6), "{took:?}");
        assert_eq!(polls, report.samples.len());
        assert!(polls >= 5, "{polls} polls in 1.5 s at 200 ms");
        let left: Vec<_> = h.list_destinations(&key).unwrap().into_iter().map(|d| d.dest.addr).collect();
        assert_eq!(left, [idle]);
    }

    #[cfg(feature = "tokio")]
    fn tokio_drain_waits_for_the_open_connection_then_deletes() {
        let mut h = Handle::new().unwrap();
        let held = service_with_held_connection(&mut h);
        let (key, busy, idle) = (held.key, held.busy, held.idle);
        let conn = held.conn;
        let checker = std::thread::spawn(move || meanwhile(key, busy, idle, conn, Duration::from_secs(1)));
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let (report, seen) = rt.block_on(async {
            let mut h = handle::tokio::Handle::new().await.unwrap();
            let options = DrainOptions::new().deadline(Duration::from_secs(40)).poll_interval(Duration::from_millis(150));
            let mut seen = Vec::new();
            let r = h.drain(&key, busy, &options, |s| seen.push(*s)).await;
            (r.unwrap(), seen)
        });
        checker.join().unwrap();
        check_drained(&report, &seen, busy);
        assert!(report.duration >= Duration::from_secs(1), "{:?}", report.duration);
        let left: Vec<_> = h.list_destinations(&key).unwrap().into_iter().map(|d| d.dest.addr).collect();
        assert_eq!(left, [idle]);
    }

    fn drain_many_drains_destinations_of_several_services() {
        let mut h = Handle::new().unwrap();
        let keys = [ServiceKey::tcp(sa("10.0.0.1:80")), ServiceKey::udp(sa("10.0.0.1:53"))];
        let addrs = [sa("10.0.1.1:80"), sa("10.0.1.2:80"), sa("10.0.1.3:80")];
        for key in keys {
            h.add_service(&Service::new(key, Scheduler::WeightedRoundRobin)).unwrap();
            for a in addrs {
                h.add_destination(&key, &Destination::new(a).forward(ForwardMethod::DirectRoute).weight(3)).unwrap();
            }
        }
        let targets: Vec<_> = keys.iter().flat_map(|&k| addrs[..2].iter().map(move |&a| DrainTarget::new(k, a))).collect();
        let options = DrainOptions::new().deadline(Duration::from_secs(5)).poll_interval(Duration::from_millis(100));
        let reports = h.drain_many(&targets, &options, |_| {}).unwrap();
        assert_eq!(reports.iter().map(|r| r.target).collect::<Vec<_>>(), targets);
        assert!(reports.iter().all(|r| r.outcome == DrainOutcome::Drained), "{reports:?}");
        for key in keys {
            let left = h.list_destinations(&key).unwrap();
            assert_eq!(left.len(), 1);
            assert_eq!((left[0].dest.addr, left[0].dest.weight, left[0].dest.forward), (addrs[2], 3, ForwardMethod::DirectRoute));
        }
        // A missing target is refused before any weight changes.
        let missing = [DrainTarget::new(keys[0], addrs[2]), DrainTarget::new(keys[0], sa("10.0.9.9:80"))];
        let e = h.drain_many(&missing, &options, |_| {}).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::NoSuchDestination), "{e}");
        assert_eq!(e.operation(), &Operation::Drain(keys[0], sa("10.0.9.9:80")));
        assert_eq!(h.get_destination(&keys[0], addrs[2]).unwrap().dest.weight, 3);
    }

    fn drain_reports_the_traps_of_the_handles_namespace() {
        let mut h = Handle::new().unwrap();
        let plain = ServiceKey::tcp(sa("10.0.0.1:80"));
        let trapped = ServiceKey::tcp(sa("10.0.0.1:443"));
        h.add_service(&Service::new(plain, Scheduler::MaglevHashing)).unwrap();
        h.update_service(&ServiceUpdate::new(plain).flags(FlagsChange::set(ServiceFlags::MH_FALLBACK))).unwrap();
        h.add_service(&Service::new(trapped, Scheduler::MaglevHashing).persistent(300)).unwrap();
        let d = sa("10.0.1.1:80");
        for key in [plain, trapped] {
            h.add_destination(&key, &Destination::new(d)).unwrap();
        }
        let options = DrainOptions::new().deadline(Duration::from_secs(5)).poll_interval(Duration::from_millis(100));
        // The namespace's defaults: expire_nodest_conn 0, expire_quiescent_template 0.
        let r = h.drain(&trapped, d, &options, |_| {}).unwrap();
        assert_eq!(r.outcome, DrainOutcome::Drained);
        assert_eq!(r.warnings, [
            DrainWarning::SchedulerWithoutFallback { service: trapped, scheduler: Scheduler::MaglevHashing },
            DrainWarning::QuiescentTemplatesKept { service: trapped, timeout: 300 },
        ]);
        sh("echo 1 > /proc/sys/net/ipv4/vs/expire_nodest_conn");
        // Read from the handle's namespace, not the calling thread's: this
        // namespace's file, through a handle used from another namespace
        // whose sysctls are the defaults.
        let here = std::fs::File::open("/proc/thread-self/ns/net").unwrap();
        let r = crate::common::in_other_netns(|| {
            let mut h = Handle::with_config(Config { netns: Netns::Fd(here.into()), ..Default::default() }).unwrap();
            h.drain(&plain, d, &options, |_| {}).unwrap()
        });
        assert_eq!(r.outcome, DrainOutcome::Drained);
        assert_eq!(r.warnings, [DrainWarning::DeleteResetsConnections]);
        assert!(h.list_destinations(&plain).unwrap().is_empty());
    }

    fn mh_without_fallback_refuses_clients_hashed_to_a_weight_0_server() {
        // What SchedulerWithoutFallback says, seen in the kernel.
        let mut h = Handle::new().unwrap();
        sh("ip addr add 10.10.0.1/32 dev lo && ip addr add 10.10.0.2/32 dev lo && ip addr add 10.10.0.3/32 dev lo");
        let key = ServiceKey::tcp(sa(VIP));
        h.add_service(&Service::new(key, Scheduler::MaglevHashing)).unwrap();
        for addr in [A, B] {
            h.add_destination(&key, &Destination::new(sa(addr))).unwrap();
        }
        let _servers = Servers::start(&[sa(A), sa(B)]);
        let (c, mine) = connect().unwrap();
        reset(c);
        let other = if mine == sa(A) { sa(B) } else { sa(A) };
        h.update_destination_partial(&key, &DestinationUpdate::new(mine).weight(0)).unwrap();
        assert!(connect().is_err(), "a client hashed to the weight-0 server found another");
        h.update_service(&ServiceUpdate::new(key).flags(FlagsChange::set(ServiceFlags::MH_FALLBACK))).unwrap();
        let (c, server) = connect().unwrap();
        reset(c);
        assert_eq!(server, other, "with mh-fallback the client goes to the other server");
    }

    fn partial_update_keeps_forwarding_tunnel_and_thresholds() {
        let mut h = Handle::new().unwrap();
        let key = ServiceKey::tcp(sa("10.0.0.1:80"));
        h.add_service(&Service::new(key, Scheduler::WeightedRoundRobin)).unwrap();
        let dr = Destination::new(sa("10.0.1.1:80")).forward(ForwardMethod::DirectRoute).weight(5).thresholds(10, 100);
        let gue = Destination::new(sa("10.0.1.2:80"))
            .forward(ForwardMethod::Tunnel(Tunnel::Gue { port: 6080, checksum: GueChecksum::Checksum }))
            .weight(2);
        for d in [&dr, &gue] {
            h.add_destination(&key, d).unwrap();
            h.update_destination_partial(&key, &DestinationUpdate::new(d.addr).weight(0)).unwrap();
            let got = h.get_destination(&key, d.addr).unwrap();
            assert_eq!(got.dest, d.clone().weight(0), "only the weight changed");
        }
        h.update_destination_partial(&key, &DestinationUpdate::new(dr.addr).thresholds(1, 2).weight(7)).unwrap();
        let got = h.get_destination(&key, dr.addr).unwrap().dest;
        assert_eq!((got.forward, got.weight, got.lower_threshold, got.upper_threshold), (ForwardMethod::DirectRoute, 7, 1, 2));
        // The trap the partial update avoids: a full update replaces all.
        h.update_destination(&key, &Destination::new(dr.addr).weight(0)).unwrap();
        assert_eq!(h.get_destination(&key, dr.addr).unwrap().dest.forward, ForwardMethod::Masquerade);

        let missing = sa("10.0.9.9:80");
        let e = h.get_destination(&key, missing).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::NoSuchDestination), "{e}");
        assert_eq!(e.operation(), &Operation::GetDestination(key, missing));
        let e = h.update_destination_partial(&key, &DestinationUpdate::new(missing).weight(1)).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::NoSuchDestination), "{e}");
        assert_eq!(e.operation(), &Operation::UpdateDestination(key, missing));
        let nokey = ServiceKey::tcp(sa("10.0.0.9:80"));
        let e = h.get_destination(&nokey, dr.addr).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::ServiceNotFound(_)), "{e}");
        // Thresholds above i32::MAX never reach the kernel.
        let e = h.update_destination_partial(&key, &DestinationUpdate::new(dr.addr).thresholds(0, 1 << 31)).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Build(BuildError::UpperThreshold(_))), "{e}");
    }
}

#[cfg(all(feature = "serde", feature = "tokio", feature = "prometheus"))]
crate::kernel_tests! {
    fn ipvsctl_drain_prints_each_poll_and_exits_by_how_it_ended() {
        use crate::ipvsctl::ipvsctl_exits;
        let mut h = Handle::new().unwrap();
        let held = service_with_held_connection(&mut h);
        let (busy, idle) = (held.busy.to_string(), held.idle.to_string());
        // Connections left at the deadline: deleted anyway, status 3.
        let (out, err) = ipvsctl_exits(3, &["drain", "tcp:10.10.0.1:80", &busy, "--deadline", "1.5", "--poll", "0.25"]);
        let lines: Vec<&str> = out.lines().collect();
        let polls = &lines[..lines.len() - 1];
        assert!(polls.len() >= 5, "{out}");
        assert!(polls.iter().all(|l| l.contains("weight 0 active 1 ")), "{out}");
        assert!(lines.last().unwrap().starts_with(&format!("forced: {busy} deleted at the deadline")), "{out}");
        assert!(err.is_empty(), "{err}");
        // No connections: deleted at the first poll, status 0.
        let (out, _) = ipvsctl_exits(0, &["drain", "tcp:10.10.0.1:80", &idle, "--poll", "0.1"]);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 2, "{out}");
        assert!(lines[0].ends_with("weight 0 active 0 inactive 0 persistent 0"), "{out}");
        assert!(lines[1].starts_with(&format!("drained: {idle} deleted after")), "{out}");
        assert!(h.list_destinations(&held.key).unwrap().is_empty());
        // A trap goes to stderr.
        let mh = ServiceKey::tcp(sa("10.10.0.1:81"));
        h.add_service(&Service::new(mh, Scheduler::MaglevHashing)).unwrap();
        h.add_destination(&mh, &Destination::new(sa(A))).unwrap();
        let (_, err) = ipvsctl_exits(0, &["drain", "tcp:10.10.0.1:81", A, "--poll", "0.1"]);
        assert!(err.starts_with(&format!("ipvsctl: warning: {mh}: scheduler mh without its fallback flag")), "{err}");
        // A missing destination is an error naming it; bad seconds are bad usage.
        let (_, err) = ipvsctl_exits(1, &["drain", "tcp:10.10.0.1:81", A]);
        assert!(err.starts_with(&format!("ipvsctl: drain {A} of {mh}: ")) && err.contains("no such destination"), "{err}");
        ipvsctl_exits(2, &["drain", "tcp:10.10.0.1:81", A, "--poll", "-1"]);
        ipvsctl_exits(2, &["drain", "tcp:10.10.0.1:81", "10.10.0.2"]);
    }
}

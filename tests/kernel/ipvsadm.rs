//! Cross-checks with the real ipvsadm in the same namespace, both ways.

use std::net::SocketAddr;

use ipvs_netlink::*;

use crate::common::{in_other_netns, sh};

fn sa(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// The same table as ipvsadm rules and as the crate's model.
const RULES: &str = "\
-A -t 10.0.0.1:80 -s rr
-a -t 10.0.0.1:80 -r 10.0.1.1:8080 -m -w 5
-a -t 10.0.0.1:80 -r 10.0.1.2:80 -g -w 0
-a -t 10.0.0.1:80 -r 10.0.1.3:80 -i -w 1 -x 100 -y 10
-a -t 10.0.0.1:80 -r 10.0.1.4:80 -i -w 1 --tun-type gue --tun-port 6080 --tun-csum
-a -t 10.0.0.1:80 -r 10.0.1.5:80 -i -w 1 --tun-type gre --tun-csum
-A -u 10.0.0.2:53 -s wrr -p 300 -M 255.255.255.0
-a -u 10.0.0.2:53 -r 10.0.2.1:53 -m -w 2
-A -t [2001:db8::1]:443 -s sh -b sh-port,sh-fallback
-a -t [2001:db8::1]:443 -r [2001:db8::10]:443 -m -w 3
-A -f 7 -s dh
-a -f 7 -r 10.0.3.1:0 -g -w 1
-A -u 10.0.0.5:5060 -s rr -p 60 --pe sip
-A -u 10.0.0.6:53 -s rr -o
-A --sctp-service 10.0.0.7:9999 -s lc
";

fn model() -> Vec<(Service, Vec<Destination>)> {
    let tun = |t| ForwardMethod::Tunnel(t);
    let web = Service::new(ServiceKey::tcp(sa("10.0.0.1:80")), Scheduler::RoundRobin);
    let mut dns = Service::new(
        ServiceKey::udp(sa("10.0.0.2:53")),
        Scheduler::WeightedRoundRobin,
    )
    .persistent(300);
    dns.netmask = Netmask::V4("255.255.255.0".parse().unwrap());
    let mut v6 = Service::new(
        ServiceKey::tcp(sa("[2001:db8::1]:443")),
        Scheduler::SourceHashing,
    );
    v6.flags = ServiceFlags::SH_PORT | ServiceFlags::SH_FALLBACK;
    let fw = Service::new(
        ServiceKey::fwmark(Family::Ipv4, 7),
        Scheduler::DestinationHashing,
    );
    let mut sip =
        Service::new(ServiceKey::udp(sa("10.0.0.5:5060")), Scheduler::RoundRobin).persistent(60);
    sip.persistence_engine = Some("sip".into());
    let mut ops = Service::new(ServiceKey::udp(sa("10.0.0.6:53")), Scheduler::RoundRobin);
    ops.flags = ServiceFlags::ONE_PACKET;
    let sctp = Service::new(
        ServiceKey::sctp(sa("10.0.0.7:9999")),
        Scheduler::LeastConnection,
    );
    vec![
        (
            web,
            vec![
                Destination::new(sa("10.0.1.1:8080")).weight(5),
                Destination::new(sa("10.0.1.2:80"))
                    .forward(ForwardMethod::DirectRoute)
                    .weight(0),
                Destination::new(sa("10.0.1.3:80"))
                    .forward(tun(Tunnel::Ipip))
                    .thresholds(10, 100),
                Destination::new(sa("10.0.1.4:80")).forward(tun(Tunnel::Gue {
                    port: 6080,
                    checksum: GueChecksum::Checksum,
                })),
                Destination::new(sa("10.0.1.5:80")).forward(tun(Tunnel::Gre { checksum: true })),
            ],
        ),
        (dns, vec![Destination::new(sa("10.0.2.1:53")).weight(2)]),
        (
            v6,
            vec![Destination::new(sa("[2001:db8::10]:443")).weight(3)],
        ),
        (
            fw,
            vec![Destination::new(sa("10.0.3.1:0")).forward(ForwardMethod::DirectRoute)],
        ),
        (sip, vec![]),
        (ops, vec![]),
        (sctp, vec![]),
    ]
}

fn sorted_lines(s: &str) -> Vec<String> {
    let mut v: Vec<String> = s.lines().map(str::to_owned).collect();
    v.sort();
    v
}

/// The table as the crate reads it, without counters, sorted.
fn read_back(h: &mut Handle) -> Vec<(Service, Vec<Destination>)> {
    crate::common::config_table(h)
}

crate::kernel_tests! {
    fn crate_and_ipvsadm_agree_both_ways() {
        // Here the crate builds the table.
        let mut h = Handle::new().unwrap();
        let table = model();
        for (s, dests) in &table {
            h.add_service(s).unwrap();
            for d in dests {
                h.add_destination(&s.key, d).unwrap();
            }
        }
        let by_crate = sh("ipvsadm -Sn");
        let crate_view = read_back(&mut h);

        // In another namespace ipvsadm builds it from rules.
        let (by_ipvsadm, ipvsadm_view) = in_other_netns(|| {
            sh(&format!("printf '%s' '{RULES}' | ipvsadm -R"));
            let mut h = Handle::new().unwrap();
            (sh("ipvsadm -Sn"), read_back(&mut h))
        });

        // ipvsadm lists what the crate made exactly as what it made itself.
        assert_eq!(sorted_lines(&by_crate), sorted_lines(&by_ipvsadm), "ipvsadm -Sn differs");
        assert_eq!(by_crate.lines().count(), RULES.lines().count());

        // The crate reads what ipvsadm made field for field as its own.
        assert_eq!(ipvsadm_view, crate_view);
        let mut want = table;
        want.sort_by_key(|e| e.0.key);
        for ((got_s, got_d), (want_s, want_d)) in ipvsadm_view.iter().zip(&want) {
            assert_eq!(got_s.key, want_s.key);
            assert_eq!(got_s.scheduler, want_s.scheduler, "{}", want_s.key);
            assert_eq!(got_s.flags, want_s.flags, "{}", want_s.key);
            assert_eq!(got_s.timeout, want_s.timeout, "{}", want_s.key);
            assert_eq!(got_s.netmask, want_s.netmask, "{}", want_s.key);
            assert_eq!(got_s.persistence_engine, want_s.persistence_engine, "{}", want_s.key);
            let mut want_d = want_d.clone();
            want_d.sort_by_key(|x| x.addr);
            assert_eq!(got_d.len(), want_d.len(), "{}", want_s.key);
            for (g, w) in got_d.iter().zip(&want_d) {
                assert_eq!((g.addr, g.forward, g.weight), (w.addr, w.forward, w.weight), "{}", want_s.key);
                assert_eq!((g.lower_threshold, g.upper_threshold), (w.lower_threshold, w.upper_threshold));
            }
        }
    }

    fn ipvsadm_sees_timeouts_and_daemons_set_by_the_crate() {
        sh("ip link add sync0 type dummy && ip link set sync0 up multicast on");
        let mut h = Handle::new().unwrap();
        h.set_timeouts(Timeouts { tcp: Some(1000), tcp_fin: Some(100), udp: Some(200) }).unwrap();
        assert_eq!(sh("ipvsadm -L --timeout").trim(), "Timeout (tcp tcpfin udp): 1000 100 200");
        h.start_daemon(&SyncDaemon::new(DaemonRole::Master, "sync0", 9)).unwrap();
        let out = sh("ipvsadm -L --daemon");
        assert!(out.contains("master sync daemon (mcast=sync0, syncid=9"), "{out}");
        sh("ipvsadm --stop-daemon master");
        assert!(h.list_daemons().unwrap().is_empty());
    }
}

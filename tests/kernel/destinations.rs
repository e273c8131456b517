use std::net::SocketAddr;

use ipvs_netlink::*;

fn sa(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

crate::kernel_tests! {
    fn add_list_update_delete_destinations() {
        let mut h = Handle::new().unwrap();
        let key = ServiceKey::tcp(sa("10.0.0.1:80"));
        h.add_service(&Service::new(key, Scheduler::WeightedRoundRobin)).unwrap();
        let dests = [
            Destination::new(sa("10.0.1.1:8080")).weight(5),
            Destination::new(sa("10.0.1.2:8080")).forward(ForwardMethod::DirectRoute).weight(0),
            Destination::new(sa("10.0.1.3:80")).forward(ForwardMethod::Tunnel(Tunnel::Ipip)).thresholds(10, 100),
            Destination::new(sa("10.0.1.4:80")).forward(ForwardMethod::Local),
        ];
        for d in &dests {
            h.add_destination(&key, d).unwrap();
        }
        let mut got = h.list_destinations(&key).unwrap();
        got.sort_by_key(|d| d.dest.addr);
        assert_eq!(got.len(), dests.len());
        for (g, w) in got.iter().zip(&dests) {
            assert_eq!(g.dest.addr, w.addr);
            assert_eq!(g.dest.forward, w.forward, "{}", w.addr);
            assert_eq!(g.dest.weight, w.weight);
            assert_eq!((g.dest.lower_threshold, g.dest.upper_threshold), (w.lower_threshold, w.upper_threshold));
            assert_eq!((g.active_conns, g.inactive_conns, g.persist_conns), (0, 0, 0));
            assert!(g.stats.is_some() && g.stats64.is_some());
        }
        let changed = dests[0].clone().weight(9).thresholds(1, 2);
        h.update_destination(&key, &changed).unwrap();
        let got = h.list_destinations(&key).unwrap();
        let d = got.iter().find(|d| d.dest.addr == changed.addr).unwrap();
        assert_eq!((d.dest.weight, d.dest.lower_threshold, d.dest.upper_threshold), (9, 1, 2));

        h.delete_destination(&key, dests[1].addr).unwrap();
        let got = h.list_destinations(&key).unwrap();
        assert_eq!(got.len(), 3);
        assert!(got.iter().all(|d| d.dest.addr != dests[1].addr));
    }

    fn tunnels_and_mixed_families() {
        let mut h = Handle::new().unwrap();
        let key = ServiceKey::tcp(sa("10.0.0.1:80"));
        h.add_service(&Service::new(key, Scheduler::RoundRobin)).unwrap();
        let dests = [
            Destination::new(sa("10.0.2.1:80")).forward(ForwardMethod::Tunnel(Tunnel::Gue { port: 6080, checksum: GueChecksum::None })),
            Destination::new(sa("10.0.2.2:80")).forward(ForwardMethod::Tunnel(Tunnel::Gue { port: 6081, checksum: GueChecksum::Checksum })),
            Destination::new(sa("10.0.2.3:80")).forward(ForwardMethod::Tunnel(Tunnel::Gue { port: 6082, checksum: GueChecksum::Remote })),
            Destination::new(sa("10.0.2.4:80")).forward(ForwardMethod::Tunnel(Tunnel::Gre { checksum: true })),
            Destination::new(sa("10.0.2.5:80")).forward(ForwardMethod::Tunnel(Tunnel::Gre { checksum: false })),
            // An IPv6 real server behind an IPv4 service: tunnel only.
            Destination::new(sa("[2001:db8::5]:80")).forward(ForwardMethod::Tunnel(Tunnel::Ipip)),
        ];
        for d in &dests {
            h.add_destination(&key, d).unwrap_or_else(|e| panic!("{}: {e}", d.addr));
        }
        let got = h.list_destinations(&key).unwrap();
        for w in &dests {
            let g = got.iter().find(|g| g.dest.addr == w.addr).unwrap_or_else(|| panic!("{} missing", w.addr));
            assert_eq!(g.dest.forward, w.forward, "{}", w.addr);
        }
        assert!(got.iter().any(|g| g.dest.family() == Family::Ipv6), "IPv6 backend read as IPv6");
    }

    fn ipv6_and_fwmark_services_take_destinations() {
        let mut h = Handle::new().unwrap();
        let v6 = ServiceKey::tcp(sa("[2001:db8::1]:443"));
        let fw = ServiceKey::fwmark(Family::Ipv4, 42);
        h.add_service(&Service::new(v6, Scheduler::RoundRobin)).unwrap();
        h.add_service(&Service::new(fw, Scheduler::RoundRobin)).unwrap();
        h.add_destination(&v6, &Destination::new(sa("[2001:db8::10]:443")).weight(3)).unwrap();
        h.add_destination(&fw, &Destination::new(sa("10.9.0.1:0")).forward(ForwardMethod::DirectRoute)).unwrap();
        let d6 = h.list_destinations(&v6).unwrap();
        assert_eq!(d6.len(), 1);
        assert_eq!(d6[0].dest.addr, sa("[2001:db8::10]:443"));
        assert_eq!(d6[0].dest.weight, 3);
        let dfw = h.list_destinations(&fw).unwrap();
        assert_eq!(dfw.len(), 1);
        assert_eq!(dfw[0].dest.forward, ForwardMethod::DirectRoute);
    }

    fn destinations_of_a_missing_service_is_an_empty_list() {
        let mut h = Handle::new().unwrap();
        let list = h.list_destinations(&ServiceKey::tcp(sa("10.99.0.1:80"))).unwrap();
        assert!(list.is_empty());
    }
}

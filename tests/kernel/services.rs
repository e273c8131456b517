use std::net::SocketAddr;

use ipvs_netlink::*;

fn sa(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

crate::kernel_tests! {
    fn add_list_get_update_delete_ipv4_tcp() {
        let mut h = Handle::new().unwrap();
        assert!(h.list_services().unwrap().is_empty());
        let key = ServiceKey::tcp(sa("10.0.0.1:80"));
        h.add_service(&Service::new(key, Scheduler::RoundRobin)).unwrap();
        let list = h.list_services().unwrap();
        assert_eq!(list.len(), 1);
        let s = &list[0];
        assert_eq!(s.service.key, key);
        assert_eq!(s.service.scheduler, Scheduler::RoundRobin);
        assert_eq!(s.service.flags, ServiceFlags::empty());
        assert_eq!(s.service.netmask, Netmask::V4("255.255.255.255".parse().unwrap()));
        assert!(s.stats.is_some() && s.stats64.is_some());
        assert_eq!(h.get_service(&key).unwrap().service.key, key);

        h.update_service(&ServiceUpdate::new(key).scheduler(Scheduler::WeightedLeastConnection)).unwrap();
        assert_eq!(h.get_service(&key).unwrap().service.scheduler, Scheduler::WeightedLeastConnection);

        h.delete_service(&key).unwrap();
        assert!(h.list_services().unwrap().is_empty());
    }

    fn every_key_kind_round_trips_through_the_kernel() {
        let mut h = Handle::new().unwrap();
        let wanted = vec![
            Service::new(ServiceKey::tcp(sa("10.1.0.1:443")), Scheduler::WeightedRoundRobin),
            Service::new(ServiceKey::udp(sa("10.1.0.1:53")), Scheduler::SourceHashing),
            Service::new(ServiceKey::sctp(sa("10.1.0.2:9999")), Scheduler::LeastConnection),
            Service::new(ServiceKey::tcp(sa("[2001:db8::1]:80")), Scheduler::MaglevHashing),
            Service::new(ServiceKey::fwmark(Family::Ipv4, 7), Scheduler::DestinationHashing),
            Service::new(ServiceKey::fwmark(Family::Ipv6, 8), Scheduler::None),
            Service::new(
                ServiceKey::Addr { protocol: Protocol::Other(47), addr: sa("10.1.0.3:0") },
                Scheduler::NeverQueue,
            ),
        ];
        for s in &wanted {
            h.add_service(s).unwrap();
        }
        let mut got = h.list_services().unwrap();
        got.sort_by_key(|s| s.service.key);
        let mut want = wanted.clone();
        want.sort_by_key(|s| s.key);
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(g.service.key, w.key);
            assert_eq!(g.service.scheduler, w.scheduler, "{}", w.key);
            assert_eq!(g.service.flags, w.flags);
            assert_eq!(g.service.netmask, w.netmask);
            assert_eq!(g.service.timeout, 0);
            assert_eq!(g.service.persistence_engine, None);
        }
    }

    fn persistence_netmask_and_engine() {
        let mut h = Handle::new().unwrap();
        let mut s = Service::new(ServiceKey::udp(sa("10.2.0.1:5060")), Scheduler::RoundRobin).persistent(300);
        s.netmask = Netmask::V4("255.255.255.0".parse().unwrap());
        s.persistence_engine = Some("sip".into());
        h.add_service(&s).unwrap();
        let got = h.get_service(&s.key).unwrap();
        assert_eq!(got.service.flags, ServiceFlags::PERSISTENT);
        assert_eq!(got.service.timeout, 300);
        assert_eq!(got.service.netmask, s.netmask);
        assert_eq!(got.service.persistence_engine.as_deref(), Some("sip"));

        let mut v6 = Service::new(ServiceKey::tcp(sa("[2001:db8::2]:80")), Scheduler::RoundRobin).persistent(60);
        v6.netmask = Netmask::V6(64);
        h.add_service(&v6).unwrap();
        assert_eq!(h.get_service(&v6.key).unwrap().service.netmask, Netmask::V6(64));
    }

    fn update_keeps_engine_and_untouched_flags() {
        let mut h = Handle::new().unwrap();
        let mut s = Service::new(ServiceKey::udp(sa("10.3.0.1:5060")), Scheduler::SourceHashing).persistent(120);
        s.flags |= ServiceFlags::SH_PORT;
        s.persistence_engine = Some("sip".into());
        h.add_service(&s).unwrap();

        // Change one flag and the timeout only.
        h.update_service(
            &ServiceUpdate::new(s.key)
                .flags(FlagsChange::set(ServiceFlags::SH_FALLBACK))
                .timeout(240),
        )
        .unwrap();
        let got = h.get_service(&s.key).unwrap();
        assert_eq!(got.service.flags, ServiceFlags::PERSISTENT | ServiceFlags::SH_PORT | ServiceFlags::SH_FALLBACK);
        assert_eq!(got.service.timeout, 240);
        assert_eq!(got.service.scheduler, Scheduler::SourceHashing);
        assert_eq!(got.service.persistence_engine.as_deref(), Some("sip"), "engine kept");

        h.update_service(&ServiceUpdate::new(s.key).flags(FlagsChange::clear(ServiceFlags::SH_PORT)).persistence_engine(PeChange::Remove)).unwrap();
        let got = h.get_service(&s.key).unwrap();
        assert_eq!(got.service.flags, ServiceFlags::PERSISTENT | ServiceFlags::SH_FALLBACK);
        assert_eq!(got.service.persistence_engine, None);

        // A full replace.
        let replaced = Service::new(s.key, Scheduler::RoundRobin);
        h.update_service(&ServiceUpdate::replace(&replaced)).unwrap();
        let got = h.get_service(&s.key).unwrap();
        assert_eq!((got.service.scheduler, got.service.flags, got.service.timeout), (Scheduler::RoundRobin, ServiceFlags::empty(), 0));
    }

    fn all_built_in_schedulers_load() {
        let mut h = Handle::new().unwrap();
        let names = ["rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh", "none"];
        for (i, n) in names.iter().enumerate() {
            let key = ServiceKey::tcp(SocketAddr::new([10, 4, 0, 1].into(), 1000 + i as u16));
            h.add_service(&Service::new(key, Scheduler::from_name(n).unwrap())).unwrap_or_else(|e| panic!("{n}: {e}"));
            assert_eq!(h.get_service(&key).unwrap().service.scheduler.name(), *n);
        }
    }
}

use std::net::SocketAddr;

use ipvs_netlink::*;

fn sa(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

crate::kernel_tests! {
    fn service_exists_and_not_found() {
        let mut h = Handle::new().unwrap();
        let key = ServiceKey::tcp(sa("10.0.0.1:80"));
        let s = Service::new(key, Scheduler::RoundRobin);
        h.add_service(&s).unwrap();
        let e = h.add_service(&s).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::ServiceExists(_)), "{e}");
        assert_eq!(e.errno(), Some(17));
        assert_eq!(e.operation(), &Operation::AddService(key));
        assert!(e.to_string().contains("add service TCP 10.0.0.1:80"), "{e}");

        let other = ServiceKey::udp(sa("10.0.0.9:80"));
        for e in [
            h.delete_service(&other).unwrap_err(),
            h.get_service(&other).unwrap_err(),
            h.update_service(&ServiceUpdate::replace(&Service::new(other, Scheduler::RoundRobin))).unwrap_err(),
            h.zero(Some(&other)).unwrap_err(),
            h.add_destination(&other, &Destination::new(sa("10.0.1.1:80"))).unwrap_err(),
        ] {
            assert!(matches!(e.kind(), ErrorKind::ServiceNotFound(_)), "{e}");
            assert_eq!(e.errno(), Some(3));
        }
    }

    fn destination_exists_and_not_found() {
        let mut h = Handle::new().unwrap();
        let key = ServiceKey::tcp(sa("10.0.0.1:80"));
        h.add_service(&Service::new(key, Scheduler::RoundRobin)).unwrap();
        let d = Destination::new(sa("10.0.1.1:80"));
        h.add_destination(&key, &d).unwrap();
        let e = h.add_destination(&key, &d).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::DestinationExists(_)), "{e}");
        let missing = Destination::new(sa("10.0.1.2:80"));
        let e = h.update_destination(&key, &missing).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::DestinationNotFound(_)), "{e}");
        assert_eq!(e.errno(), Some(2));
        let e = h.delete_destination(&key, missing.addr).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::DestinationNotFound(_)), "{e}");
    }

    fn unknown_scheduler_and_engine() {
        let mut h = Handle::new().unwrap();
        let key = ServiceKey::tcp(sa("10.0.0.1:80"));
        let e = h.add_service(&Service::new(key, Scheduler::from_name("nosuchsched").unwrap())).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::SchedulerNotFound(_)), "{e}");
        let mut s = Service::new(key, Scheduler::RoundRobin);
        s.persistence_engine = Some("nosuchpe".into());
        let e = h.add_service(&s).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::SchedulerNotFound(_)), "{e}");
        assert!(h.list_services().unwrap().is_empty());
    }

    fn invalid_arguments_from_the_kernel() {
        let mut h = Handle::new().unwrap();
        let key = ServiceKey::tcp(sa("10.0.0.1:80"));
        h.add_service(&Service::new(key, Scheduler::RoundRobin)).unwrap();
        // A multicast real server is refused by the kernel (EINVAL).
        let e = h.add_destination(&key, &Destination::new(sa("224.0.0.1:80"))).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::InvalidArgument(_)), "{e}");
        assert_eq!(e.errno(), Some(22));
        // A timeout above INT_MAX/HZ is EINVAL too.
        let e = h.set_timeouts(Timeouts { tcp: Some(u32::MAX / 2), ..Default::default() }).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::InvalidArgument(_)), "{e}");
    }

    fn builder_errors_are_caught_before_sending() {
        let mut h = Handle::new().unwrap();
        let key = ServiceKey::tcp(sa("10.0.0.1:80"));
        h.add_service(&Service::new(key, Scheduler::RoundRobin)).unwrap();
        type Check = fn(&BuildError) -> bool;
        let cases: Vec<(Destination, Check)> = vec![
            (Destination::new(sa("10.0.1.1:80")).weight(u32::MAX), |e| matches!(e, BuildError::Weight(_))),
            (Destination::new(sa("10.0.1.1:80")).thresholds(5, 1), |e| matches!(e, BuildError::Thresholds { .. })),
            (Destination::new(sa("[::2]:80")), |e| matches!(e, BuildError::FamilyMismatch { .. })),
            (
                Destination::new(sa("10.0.1.1:80")).forward(ForwardMethod::Tunnel(Tunnel::Gue { port: 0, checksum: GueChecksum::None })),
                |e| matches!(e, BuildError::GueWithoutPort),
            ),
        ];
        for (d, check) in cases {
            let e = h.add_destination(&key, &d).unwrap_err();
            match e.kind() {
                ErrorKind::Build(b) => assert!(check(b), "{e}"),
                _ => panic!("expected a build error, got {e}"),
            }
        }
        assert!(h.list_destinations(&key).unwrap().is_empty(), "nothing was sent");
    }
}

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
        assert!(e.to_string().contains("add service tcp:10.0.0.1:80"), "{e}");

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

crate::kernel_tests! {
    fn deadline_ends_a_wait_and_the_handle_recovers() {
        let mut h = Handle::new().unwrap();
        let reqs: Vec<Request> = (1..=2000u16)
            .map(|i| Request::AddService(Service::new(ServiceKey::tcp(SocketAddr::new([10, 78, 0, 1].into(), i)), Scheduler::RoundRobin)))
            .collect();
        assert!(h.batch(reqs, OnError::Continue).iter().all(|r| r.is_ok()));
        h.set_timeout(std::time::Duration::from_nanos(1));
        let e = h.list_services().unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Timeout(_)), "{e}");
        assert_eq!(e.operation(), &Operation::ListServices);
        // The abandoned dump is still on the old socket; the handle reconnects.
        h.set_timeout(std::time::Duration::from_secs(30));
        // Consistent: other tests change the kernel's shared service table,
        // which can make a multi-chunk dump skip an entry.
        assert_eq!(h.list_services_consistent(crate::common::SHARED_TABLE_ATTEMPTS).unwrap().len(), 2000);
    }

    fn permission_denied_outside_the_initial_user_namespace() {
        if !crate::common::have("unshare") {
            panic!("unshare (util-linux) is needed");
        }
        // Root in a new user namespace has CAP_NET_ADMIN there, but IPVS wants
        // it in the initial one.
        let dir = std::env::var("IPVS_EXAMPLES_DIR").unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/target/debug/examples").into());
        let out = std::process::Command::new("unshare")
            .args(["--user", "--map-root-user", &format!("{dir}/list")])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success());
        assert!(stderr.contains("PermissionDenied"), "{stderr}");
        assert!(stderr.contains("errno: 1"), "{stderr}");
    }
}

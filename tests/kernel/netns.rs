//! Handles inside other network namespaces, and their isolation.

use std::net::SocketAddr;
use std::os::fd::OwnedFd;

use ipvs_netlink::*;

use crate::common::{enter_new_netns, sh};

crate::kernel_tests! {
    fn namespaces_stay_isolated_by_fd_path_and_name() {
        let mut here = Handle::new().unwrap();
        // A second namespace, kept alive by an open fd to it.
        let other: OwnedFd = std::thread::scope(|s| {
            s.spawn(|| {
                enter_new_netns().unwrap();
                std::fs::File::open("/proc/thread-self/ns/net").unwrap().into()
            })
            .join()
            .unwrap()
        });
        let key = ServiceKey::tcp("10.0.0.1:80".parse::<SocketAddr>().unwrap());
        let mut there = Handle::with_config(Config { netns: Netns::Fd(other.try_clone().unwrap()), ..Default::default() }).unwrap();
        there.add_service(&Service::new(key, Scheduler::RoundRobin)).unwrap();
        assert_eq!(there.list_services().unwrap().len(), 1);
        assert!(here.list_services().unwrap().is_empty(), "the service stays in its namespace");

        // The same namespace by path: this thread's fd table holds it.
        use std::os::fd::AsRawFd;
        let path = format!("/proc/self/fd/{}", other.as_raw_fd());
        let mut by_path = Handle::with_config(Config { netns: Netns::Path(path.into()), ..Default::default() }).unwrap();
        assert_eq!(by_path.list_services().unwrap()[0].service.key, key);

        // And by name, as `ip netns add` makes them.
        let name = format!("ipvs-test-{}", std::process::id());
        sh(&format!("ip netns add {name}"));
        let mut named = Handle::with_config(Config { netns: Netns::Named(name.clone()), ..Default::default() }).unwrap();
        assert!(named.list_services().unwrap().is_empty());
        named.add_service(&Service::new(key, Scheduler::WeightedRoundRobin)).unwrap();
        assert_eq!(there.get_service(&key).unwrap().service.scheduler, Scheduler::RoundRobin);
        assert!(sh(&format!("ip netns exec {name} ipvsadm -Sn")).contains("-A -t 10.0.0.1:80 -s wrr"));
        drop(named);
        sh(&format!("ip netns del {name}"));

        // The calling thread never left its namespace.
        assert!(here.list_services().unwrap().is_empty());
        here.reconnect().unwrap();
        assert!(here.list_services().unwrap().is_empty());
        there.reconnect().unwrap();
        assert_eq!(there.list_services().unwrap().len(), 1, "reconnect stays in the namespace");
    }

    fn missing_namespace_is_a_namespace_error() {
        let e = Handle::with_config(Config { netns: Netns::Named("no-such-ns".into()), ..Default::default() }).unwrap_err();
        let ErrorKind::Netns(n) = e.kind() else { panic!("{e}") };
        assert!(n.netns.contains("/var/run/netns/no-such-ns"), "{e}");
        assert!(e.to_string().contains("ip netns add"), "{e}");
        assert_eq!(e.operation(), &Operation::Connect);
    }
}

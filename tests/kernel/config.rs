use std::net::SocketAddr;

use ipvs_netlink::*;

fn sa(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

crate::kernel_tests! {
    fn timeouts_default_and_partial_update() {
        let mut h = Handle::new().unwrap();
        let t = h.get_timeouts().unwrap();
        assert_eq!(t, Timeouts { tcp: Some(900), tcp_fin: Some(120), udp: Some(300) });
        h.set_timeouts(Timeouts { udp: Some(45), ..Default::default() }).unwrap();
        assert_eq!(h.get_timeouts().unwrap(), Timeouts { tcp: Some(900), tcp_fin: Some(120), udp: Some(45) });
        h.set_timeouts(Timeouts { tcp: Some(1000), tcp_fin: Some(0), udp: None }).unwrap();
        assert_eq!(h.get_timeouts().unwrap(), Timeouts { tcp: Some(1000), tcp_fin: Some(120), udp: Some(45) });
    }

    fn info_version_and_table_size() {
        let mut h = Handle::new().unwrap();
        let info = h.get_info().unwrap();
        assert_eq!(info.version.to_string(), "1.2.1");
        assert!(info.conn_tab_size.is_power_of_two() && info.conn_tab_size >= 256, "{info:?}");
    }

    fn flush_and_zero() {
        let mut h = Handle::new().unwrap();
        for port in 1..=5 {
            let key = ServiceKey::tcp(SocketAddr::new([10, 0, 0, 1].into(), port));
            h.add_service(&Service::new(key, Scheduler::RoundRobin)).unwrap();
        }
        h.zero(None).unwrap();
        h.zero(Some(&ServiceKey::tcp(sa("10.0.0.1:1")))).unwrap();
        assert_eq!(h.list_services().unwrap().len(), 5);
        h.flush().unwrap();
        assert!(h.list_services().unwrap().is_empty());
        h.flush().unwrap();
    }
}

use ipvs_netlink::*;

use crate::common::sh;

crate::kernel_tests! {
    fn start_list_stop_sync_daemons() {
        sh("ip link add sync0 type dummy && ip link set sync0 up multicast on");
        // Stopping a sync thread waits for the kernel thread to exit, which
        // took over 10 s once in the emulated guest under a loaded CI run.
        let config = Config { timeout: std::time::Duration::from_secs(60), ..Default::default() };
        let mut h = Handle::with_config(config).unwrap();
        assert!(h.list_daemons().unwrap().is_empty());
        let mut master = SyncDaemon::new(DaemonRole::Master, "sync0", 7);
        master.port = Some(9000);
        master.ttl = Some(3);
        master.max_len = Some(1400);
        master.group = Some("239.1.2.3".parse().unwrap());
        h.start_daemon(&master).unwrap();
        let backup = SyncDaemon::new(DaemonRole::Backup, "sync0", 7);
        h.start_daemon(&backup).unwrap();

        let list = h.list_daemons().unwrap();
        assert_eq!(list.len(), 2);
        let m = &list[0];
        assert_eq!((m.role, m.interface.as_str(), m.sync_id), (DaemonRole::Master, "sync0", 7));
        assert_eq!(m.port, Some(9000));
        assert_eq!(m.ttl, Some(3));
        assert_eq!(m.max_len, Some(1400));
        assert_eq!(m.group, Some("239.1.2.3".parse().unwrap()));
        let b = &list[1];
        assert_eq!(b.role, DaemonRole::Backup);
        assert_eq!(b.port, Some(8848), "kernel default port");
        assert_eq!(b.group, Some("224.0.0.81".parse().unwrap()), "kernel default group");

        let e = h.start_daemon(&master).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::DaemonRunning(_)), "{e}");
        h.stop_daemon(DaemonRole::Master).unwrap();
        let e = h.stop_daemon(DaemonRole::Master).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::DaemonNotRunning(_)), "{e}");
        h.stop_daemon(DaemonRole::Backup).unwrap();
        assert!(h.list_daemons().unwrap().is_empty());
    }

    fn daemon_on_missing_interface() {
        let mut h = Handle::new().unwrap();
        let e = h.start_daemon(&SyncDaemon::new(DaemonRole::Master, "nosuch0", 1)).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::NoSuchInterface(_)), "{e}");
        let e = h.start_daemon(&SyncDaemon::new(DaemonRole::Master, "an-interface-name-too-long", 1)).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Build(BuildError::InterfaceName { .. })), "{e}");
    }
}

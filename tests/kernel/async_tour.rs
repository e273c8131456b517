//! Every method of the async handle, on tokio and on smol: the same tour the
//! blocking handle's tests take, through `AsyncHandle<T>` for each runtime.

#![cfg(any(feature = "tokio", feature = "smol"))]

use std::net::SocketAddr;

use ipvs_netlink::handle::{AsyncHandle, Transport};
use ipvs_netlink::*;

use crate::common::sh;

fn sa(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

async fn tour<T: Transport>() {
    sh("ip link add tour0 type dummy && ip link set tour0 up multicast on");
    let mut h = AsyncHandle::<T>::new().await.unwrap();
    let key = ServiceKey::tcp(sa("10.0.0.1:80"));
    let mut svc = Service::new(key, Scheduler::SourceHashing).persistent(100);
    svc.persistence_engine = Some("sip".into());
    h.add_service(&svc).await.unwrap();
    let e = h.add_service(&svc).await.unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::ServiceExists(_)), "{e}");
    assert_eq!(h.get_service(&key).await.unwrap().service.timeout, 100);
    h.update_service(&ServiceUpdate::new(key).flags(FlagsChange::set(ServiceFlags::SH_PORT)))
        .await
        .unwrap();
    let got = h.get_service(&key).await.unwrap();
    assert_eq!(
        got.service.flags,
        ServiceFlags::PERSISTENT | ServiceFlags::SH_PORT
    );
    assert_eq!(got.service.persistence_engine.as_deref(), Some("sip"));

    let d = Destination::new(sa("10.0.1.1:80")).weight(4);
    h.add_destination(&key, &d).await.unwrap();
    h.update_destination(&key, &d.clone().weight(8))
        .await
        .unwrap();
    assert_eq!(h.list_destinations(&key).await.unwrap()[0].dest.weight, 8);
    h.delete_destination(&key, d.addr).await.unwrap();
    assert!(h.list_destinations(&key).await.unwrap().is_empty());
    let e = h.delete_destination(&key, d.addr).await.unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::DestinationNotFound(_)), "{e}");

    assert_eq!(h.list_services().await.unwrap().len(), 1);
    assert_eq!(h.list_services_consistent(3).await.unwrap().len(), 1);
    h.zero(Some(&key)).await.unwrap();
    h.zero(None).await.unwrap();
    h.delete_service(&key).await.unwrap();
    let e = h.delete_service(&key).await.unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::ServiceNotFound(_)), "{e}");

    h.set_timeouts(Timeouts {
        tcp: Some(700),
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(h.get_timeouts().await.unwrap().tcp, Some(700));
    assert_eq!(h.get_info().await.unwrap().version.to_string(), "1.2.1");

    h.start_daemon(&SyncDaemon::new(DaemonRole::Backup, "tour0", 3))
        .await
        .unwrap();
    assert_eq!(h.list_daemons().await.unwrap()[0].role, DaemonRole::Backup);
    h.stop_daemon(DaemonRole::Backup).await.unwrap();
    assert!(h.list_daemons().await.unwrap().is_empty());

    let want = vec![(
        Service::new(key, Scheduler::RoundRobin),
        vec![Destination::new(sa("10.0.1.2:80"))],
    )];
    let r = h
        .reconcile(&want, &ReconcileOptions::new(Scope::all()))
        .await
        .unwrap();
    assert_eq!(r.changes(), 2);
    assert_eq!(
        h.reconcile(&want, &ReconcileOptions::new(Scope::all()))
            .await
            .unwrap()
            .changes(),
        0
    );
    // One service, one dump chunk: nothing to skip, both listings agree.
    assert_eq!(
        h.list_table().await.unwrap(),
        h.list_table_consistent(3).await.unwrap()
    );
    let results = h
        .batch(
            vec![Request::Flush, Request::DeleteService(key)],
            OnError::Continue,
        )
        .await;
    assert!(results[0].is_ok());
    assert!(matches!(
        results[1].as_ref().unwrap_err().kind(),
        ErrorKind::ServiceNotFound(_)
    ));

    // A deadline ends a wait; the handle reconnects on its own afterwards.
    h.set_timeout(std::time::Duration::from_nanos(1));
    let e = h.get_info().await.unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Timeout(_)), "{e}");
    h.set_timeout(std::time::Duration::from_secs(10));
    assert!(h.list_services().await.unwrap().is_empty());
    h.reconnect().await.unwrap();
    assert!(h.list_services().await.unwrap().is_empty());
}

crate::kernel_tests! {
    #[cfg(feature = "tokio")]
    fn tokio_handle_every_method() {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(tour::<handle::tokio::TokioSocket>());
    }

    #[cfg(feature = "smol")]
    fn smol_handle_every_method() {
        smol::block_on(tour::<handle::smol::SmolSocket>());
    }
}

//! Several threads and many async tasks at once: no lost or crossed replies.
//! Counts are read with consistent listings: the kernel's service table is
//! shared by all namespaces, so other tests running meanwhile can make a
//! plain multi-chunk dump skip an entry.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use ipvs_netlink::*;

fn key(thread: u8, i: u16) -> ServiceKey {
    ServiceKey::tcp(SocketAddr::new(IpAddr::from([10, thread, 0, 1]), 1000 + i))
}

fn dest(thread: u8, i: u16) -> Destination {
    Destination::new(SocketAddr::new(
        IpAddr::from([10, 200, thread, 1]),
        2000 + i,
    ))
    .weight(u32::from(i))
}

/// Adds, reads back and deletes services; each read must show exactly what
/// this worker wrote.
fn work(h: &mut Handle, thread: u8, n: u16) {
    for i in 0..n {
        h.add_service(&Service::new(key(thread, i), Scheduler::RoundRobin))
            .unwrap();
        h.add_destination(&key(thread, i), &dest(thread, i))
            .unwrap();
    }
    for i in 0..n {
        let d = h.list_destinations(&key(thread, i)).unwrap();
        assert_eq!(d.len(), 1);
        assert_eq!(
            d[0].dest.addr,
            dest(thread, i).addr,
            "reply for another request"
        );
        assert_eq!(d[0].dest.weight, u32::from(i));
        assert_eq!(
            h.get_service(&key(thread, i)).unwrap().service.key,
            key(thread, i)
        );
    }
    for i in (0..n).step_by(2) {
        h.delete_service(&key(thread, i)).unwrap();
    }
}

/// `n` services on `net.x.0.1`-style addresses of their own.
fn services(net: u8, n: u16) -> Vec<Request> {
    (0..n)
        .map(|i| {
            let addr = SocketAddr::new(IpAddr::from([10, net, (i / 250) as u8, 1]), 1000 + i);
            Request::AddService(Service::new(ServiceKey::tcp(addr), Scheduler::RoundRobin))
        })
        .collect()
}

/// Runs alone: its churn makes other namespaces' plain dumps skip services.
#[test]
fn consistent_listings_skip_nothing_while_another_namespace_churns() {
    let name = "consistent_listings_skip_nothing_while_another_namespace_churns";
    crate::common::in_netns_sharing(name, true, || {
        use std::sync::atomic::{AtomicBool, Ordering};
        // Services are paged by their place in the kernel's table of every
        // namespace's services: another namespace that keeps adding and
        // deleting hundreds of them makes plain dumps skip some of ours.
        let mut h = Handle::new().unwrap();
        let ours = services(77, 2000);
        let mut want: Vec<ServiceKey> = ours
            .iter()
            .filter_map(|r| match r {
                Request::AddService(s) => Some(s.key),
                _ => None,
            })
            .collect();
        want.sort();
        assert!(h.batch(ours, OnError::Stop).iter().all(Result::is_ok));
        let stop = AtomicBool::new(false);
        let (listings, plain_short, cycles) = std::thread::scope(|s| {
            let churn = s.spawn(|| {
                crate::common::enter_new_netns().unwrap();
                let mut other = Handle::new().unwrap();
                let mut cycles = 0u32;
                while !stop.load(Ordering::Relaxed) {
                    assert!(other
                        .batch(services(78, 300), OnError::Stop)
                        .iter()
                        .all(Result::is_ok));
                    other.flush().unwrap();
                    cycles += 1;
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
                cycles
            });
            let mut listings = Vec::new();
            let mut plain_short = 0;
            for _ in 0..8 {
                let mut got: Vec<ServiceKey> = h
                    .list_services_consistent(10)
                    .unwrap()
                    .iter()
                    .map(|e| e.service.key)
                    .collect();
                got.sort();
                listings.push(got);
                if h.list_services().unwrap().len() < want.len() {
                    plain_short += 1;
                }
            }
            stop.store(true, Ordering::Relaxed);
            (listings, plain_short, churn.join().unwrap())
        });
        assert!(
            cycles > 1,
            "the other namespace changed its table {cycles} times"
        );
        eprintln!(
            "churn cycles: {cycles}, plain listings that skipped services: {plain_short} of 8"
        );
        for (i, got) in listings.iter().enumerate() {
            assert_eq!(
                got.len(),
                want.len(),
                "consistent listing {i} skipped services"
            );
            assert_eq!(*got, want, "consistent listing {i}");
        }
    });
}

crate::kernel_tests! {
    fn threads_with_their_own_handles() {
        let threads: u8 = 6;
        let n: u16 = 40;
        std::thread::scope(|s| {
            for t in 0..threads {
                s.spawn(move || work(&mut Handle::new().unwrap(), t + 1, n));
            }
        });
        let mut h = Handle::new().unwrap();
        let services = h.list_services_consistent(crate::common::SHARED_TABLE_ATTEMPTS).unwrap();
        assert_eq!(services.len(), usize::from(threads) * usize::from(n / 2));
        assert_eq!(h.session_stats().dropped, 0);
    }

    fn threads_sharing_one_handle_behind_a_mutex() {
        let shared = Arc::new(Mutex::new(Handle::new().unwrap()));
        std::thread::scope(|s| {
            for t in 0..4u8 {
                let shared = Arc::clone(&shared);
                s.spawn(move || {
                    for i in 0..25u16 {
                        let mut h = shared.lock().unwrap();
                        h.add_service(&Service::new(key(t + 50, i), Scheduler::RoundRobin)).unwrap();
                        assert_eq!(h.get_service(&key(t + 50, i)).unwrap().service.key, key(t + 50, i));
                    }
                });
            }
        });
        assert_eq!(shared.lock().unwrap().list_services_consistent(crate::common::SHARED_TABLE_ATTEMPTS).unwrap().len(), 100);
    }

    #[cfg(feature = "tokio")]
    fn tokio_tasks_and_a_pipelined_batch() {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        rt.block_on(async {
            let mut tasks = Vec::new();
            for t in 0..8u8 {
                tasks.push(tokio::spawn(async move {
                    let mut h = handle::tokio::Handle::new().await.unwrap();
                    for i in 0..20u16 {
                        h.add_service(&Service::new(key(t + 100, i), Scheduler::RoundRobin)).await.unwrap();
                        h.add_destination(&key(t + 100, i), &dest(t, i)).await.unwrap();
                    }
                    for i in 0..20u16 {
                        let d = h.list_destinations(&key(t + 100, i)).await.unwrap();
                        assert_eq!(d.len(), 1);
                        assert_eq!(d[0].dest.addr, dest(t, i).addr);
                    }
                }));
            }
            for t in tasks {
                t.await.unwrap();
            }
            let mut h = handle::tokio::Handle::new().await.unwrap();
            assert_eq!(h.list_services_consistent(crate::common::SHARED_TABLE_ATTEMPTS).await.unwrap().len(), 160);
            // Hundreds of requests in flight on one socket.
            let reqs: Vec<Request> = (0..500u16)
                .map(|i| Request::AddService(Service::new(key(250, i), Scheduler::WeightedRoundRobin)))
                .collect();
            let results = h.batch(reqs, OnError::Continue).await;
            assert!(results.iter().all(|r| matches!(r, Ok(Reply::Done))));
            assert_eq!(h.list_services_consistent(crate::common::SHARED_TABLE_ATTEMPTS).await.unwrap().len(), 660);
        });
    }

    #[cfg(feature = "smol")]
    fn smol_handle_full_cycle() {
        smol::block_on(async {
            let mut h = handle::smol::Handle::new().await.unwrap();
            let k = key(9, 9);
            h.add_service(&Service::new(k, Scheduler::LeastConnection)).await.unwrap();
            h.add_destination(&k, &dest(9, 9)).await.unwrap();
            assert_eq!(h.list_destinations(&k).await.unwrap()[0].dest.weight, 9);
            h.update_service(&ServiceUpdate::new(k).scheduler(Scheduler::RoundRobin)).await.unwrap();
            assert_eq!(h.get_service(&k).await.unwrap().service.scheduler, Scheduler::RoundRobin);
            let e = h.add_service(&Service::new(k, Scheduler::RoundRobin)).await.unwrap_err();
            assert!(matches!(e.kind(), ErrorKind::ServiceExists(_)));
            assert_eq!(h.get_info().await.unwrap().version.to_string(), "1.2.1");
            h.flush().await.unwrap();
            assert!(h.list_services().await.unwrap().is_empty());
        });
    }
}

//! The faults that used to cost data, a hang or a panic: the namespace a
//! handle acts on, cancelled async calls, batches after an overrun, datagrams
//! within the send buffer, and the limits on a call.

use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use ipvs_netlink::*;

use crate::common::{in_other_netns, sh};

fn key(i: u32) -> ServiceKey {
    let [_, a, b, c] = (0x0a00_0000u32 + i + 1).to_be_bytes();
    ServiceKey::tcp(SocketAddr::new(IpAddr::from([10, a, b, c]), 80))
}

fn adds(n: u32) -> Vec<Request> {
    (0..n)
        .map(|i| Request::AddService(Service::new(key(i), Scheduler::RoundRobin)))
        .collect()
}

/// Which of `key(0..n)` the table holds, asked one service at a time
/// (pipelined): exact whatever other namespaces do meanwhile, unlike a
/// dump, which pages through the kernel's table of every namespace's
/// services by position.
#[cfg(any(feature = "tokio", feature = "smol"))]
async fn present<T: handle::Transport>(
    h: &mut handle::AsyncHandle<T>,
    n: u32,
) -> HashSet<ServiceKey> {
    let asks = (0..n).map(|i| Request::GetService(key(i))).collect();
    let results = h.batch(asks, OnError::Continue).await;
    (0..n)
        .zip(results)
        .filter_map(|(i, r)| match r {
            Ok(_) => Some(key(i)),
            Err(e) if matches!(e.kind(), ErrorKind::ServiceNotFound(_)) => None,
            Err(e) => panic!("{e}"),
        })
        .collect()
}

fn listed_keys(services: &[ServiceEntry]) -> HashSet<ServiceKey> {
    services.iter().map(|s| s.service.key).collect()
}

/// Checks a batch of `AddService(key(i))` against the table read before
/// it: each request succeeded exactly when its service was not there yet.
#[cfg(any(feature = "tokio", feature = "smol"))]
fn check_adds_against(before: &HashSet<ServiceKey>, results: &[Result<Reply>]) {
    for (i, r) in results.iter().enumerate() {
        let k = key(i as u32);
        match r {
            Ok(_) => assert!(!before.contains(&k), "{k} was there, yet added"),
            Err(e) if matches!(e.kind(), ErrorKind::ServiceExists(_)) => {
                assert!(before.contains(&k), "{k} was not there: {e}");
            }
            Err(e) => panic!("request {i}: {e}"),
        }
    }
}

crate::kernel_tests! {
    fn a_reconnect_stays_in_the_namespace_the_handle_was_made_in() {
        let name = format!("ipvs-pin-{}", std::process::id());
        sh(&format!("ip netns add {name}"));
        let mut h = Handle::with_config(Config { netns: Netns::Named(name.clone()), ..Default::default() }).unwrap();
        let first = key(1);
        h.add_service(&Service::new(first, Scheduler::RoundRobin)).unwrap();
        // The name now points at another namespace.
        sh(&format!("ip netns del {name} && ip netns add {name}"));
        h.reconnect().unwrap();
        assert_eq!(listed_keys(&h.list_services().unwrap()), HashSet::from([first]), "still the first namespace");
        h.add_service(&Service::new(key(2), Scheduler::RoundRobin)).unwrap();
        let mut fresh = Handle::with_config(Config { netns: Netns::Named(name.clone()), ..Default::default() }).unwrap();
        assert!(fresh.list_services().unwrap().is_empty(), "the new namespace was never touched");
        // The handle names its namespace as an open file.
        let mut same = Handle::with_config(Config { netns: h.netns().unwrap(), ..Default::default() }).unwrap();
        assert_eq!(same.list_services().unwrap().len(), 2);
        drop(fresh);
        sh(&format!("ip netns del {name}"));

        // The calling thread's namespace, pinned: a handle moved to a thread
        // in another namespace reconnects into its own.
        let mut here = Handle::new().unwrap();
        here.add_service(&Service::new(key(3), Scheduler::RoundRobin)).unwrap();
        let mut here = in_other_netns(move || {
            here.reconnect().unwrap();
            assert_eq!(listed_keys(&here.list_services().unwrap()), HashSet::from([key(3)]));
            let mut local = Handle::new().unwrap();
            assert!(local.list_services().unwrap().is_empty());
            here
        });
        here.delete_service(&key(3)).unwrap();
    }

    fn a_batch_after_an_overrun_gives_every_request_its_true_outcome() {
        // A receive buffer far too small for the limits set: the kernel drops
        // error replies. Even services exist; the batch deletes them all and
        // as many odd ones, which do not exist.
        let config = Config { receive_buffer: 4 << 10, ..Default::default() };
        let mut h = Handle::with_config(config).unwrap();
        let n = 3000u32;
        let made = h.batch((0..n).filter(|i| i % 2 == 0).map(|i| Request::AddService(Service::new(key(i), Scheduler::RoundRobin))).collect(), OnError::Continue);
        assert!(made.iter().all(|r| r.is_ok()));
        h.set_batch_limits(BatchLimits { max_messages: 1000, max_bytes: 1 << 20 }).unwrap();
        let results = h.batch((0..n).map(|i| Request::DeleteService(key(i))).collect(), OnError::Continue);
        let mut unconfirmed = 0;
        let mut confirmed_errors = 0;
        for (i, r) in results.iter().enumerate() {
            let exists = i % 2 == 0;
            match r {
                Ok(_) => assert!(exists, "deleting missing {} succeeded", key(i as u32)),
                Err(e) => match e.kind() {
                    ErrorKind::ServiceNotFound(_) => {
                        assert!(!exists, "{e}");
                        confirmed_errors += 1;
                    }
                    ErrorKind::Unconfirmed => unconfirmed += 1,
                    _ => panic!("request {i}: {e}"),
                },
            }
        }
        assert!(unconfirmed > 0, "the overrun happened and was reported");
        assert!(confirmed_errors > 0, "after it the batch went on over a new socket with true answers");
        // Every request was sent and applied: nothing is left.
        assert!(h.list_services().unwrap().is_empty());
    }

    fn datagrams_fit_a_small_send_buffer() {
        let config = Config { send_buffer: Some(4096), ..Default::default() };
        let mut h = Handle::with_config(config).unwrap();
        let limits = h.batch_limits();
        assert!(limits.max_bytes < 16 << 10, "{limits:?}");
        let results = h.batch(adds(3000), OnError::Continue);
        let failed: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).take(3).collect();
        assert!(failed.is_empty(), "{failed:?}");
        // Consistent: other tests change the kernel's shared service table,
        // which can make a multi-chunk dump skip entries.
        assert_eq!(h.list_services_consistent(crate::common::SHARED_TABLE_ATTEMPTS).unwrap().len(), 3000);
    }

    fn a_dump_past_its_cap_fails_and_the_handle_recovers() {
        let config = Config { max_dump_entries: Some(10), ..Default::default() };
        let mut h = Handle::with_config(config).unwrap();
        assert!(h.batch(adds(200), OnError::Continue).iter().all(|r| r.is_ok()));
        let e = h.list_services().unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::DumpTooLarge(10)), "{e}");
        assert_eq!(e.operation(), &Operation::ListServices);
        assert!(h.list_destinations(&key(0)).unwrap().is_empty());
        assert_eq!(h.get_service(&key(199)).unwrap().service.key, key(199));
    }

    fn a_call_deadline_ends_a_dump_that_keeps_coming() {
        let mut h = Handle::new().unwrap();
        assert!(h.batch(adds(3000), OnError::Continue).iter().all(|r| r.is_ok()));
        h.set_deadline(Some(Duration::from_millis(1)));
        let e = h.list_services().unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::DeadlineExceeded(_)), "{e}");
        h.set_deadline(None);
        // No deadline at all, and a silence timer too long for the clock.
        h.set_timeout(Duration::MAX);
        assert_eq!(h.list_services_consistent(crate::common::SHARED_TABLE_ATTEMPTS).unwrap().len(), 3000);
    }
}

#[cfg(any(feature = "tokio", feature = "smol"))]
mod cancel {
    use std::future::Future;

    use ipvs_netlink::handle::{AsyncHandle, Transport};

    use super::*;

    /// Runs `f` until `sleep` ends: `None` when it was cancelled.
    async fn race<F: Future>(f: F, sleep: impl Future<Output = ()>) -> Option<F::Output> {
        smol::future::or(async { Some(f.await) }, async {
            sleep.await;
            None
        })
        .await
    }

    /// Cancels a listing and a batch part way; the calls after each are
    /// exact.
    pub(super) async fn cancelled_calls<T: Transport, S: Future<Output = ()>>(
        sleep: impl Fn(Duration) -> S,
    ) {
        let mut h = AsyncHandle::<T>::new().await.unwrap();
        let n = 10_000;
        let made = h.batch(adds(n), OnError::Continue).await;
        assert!(made.iter().all(|r| r.is_ok()));
        let cut = race(h.list_services(), sleep(Duration::from_millis(30))).await;
        assert!(cut.is_none(), "the listing was cancelled part way");
        let all = h
            .list_services_consistent(crate::common::SHARED_TABLE_ATTEMPTS)
            .await
            .unwrap();
        assert_eq!(all.len(), n as usize);

        h.flush().await.unwrap();
        let cut = race(
            h.batch(adds(n), OnError::Continue),
            sleep(Duration::from_millis(30)),
        )
        .await;
        assert!(cut.is_none(), "the batch was cancelled part way");
        let before = present(&mut h, n).await;
        assert!(before.len() < n as usize, "part of the batch was left out");
        let results = h.batch(adds(n), OnError::Continue).await;
        check_adds_against(&before, &results);
        assert_eq!(present(&mut h, n).await.len(), n as usize);
    }
}

crate::kernel_tests! {
    #[cfg(feature = "tokio")]
    fn tokio_calls_cancelled_part_way_leave_the_handle_exact() {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(cancel::cancelled_calls::<handle::tokio::TokioSocket, _>(tokio::time::sleep));
    }

    #[cfg(feature = "smol")]
    fn smol_calls_cancelled_part_way_leave_the_handle_exact() {
        smol::block_on(cancel::cancelled_calls::<handle::smol::SmolSocket, _>(|d| async move {
            smol::Timer::after(d).await;
        }));
    }
}

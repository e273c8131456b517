//! Watching the table: changes made with the real `ipvsadm` are seen by the
//! blocking and tokio watches at the next poll with the right event;
//! counters zeroed after real traffic are a reset, not a rate; the
//! `ipvsctl watch` example prints the events as JSON lines.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use ipvs_netlink::watch::{
    CounterChange, DestinationChange, PollReport, ServiceChange, TableEvent,
};
use ipvs_netlink::*;

use crate::common::sh;

const INTERVAL: Duration = Duration::from_millis(200);

/// How long a poll may take beyond the interval in a busy guest (the
/// listing itself, and the scheduler).
const SLACK: Duration = Duration::from_secs(2);

fn sa(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// The changes to make with `ipvsadm` (none: a quiet interval), each with
/// the events the next poll must show.
fn steps() -> Vec<(Option<&'static str>, Vec<TableEvent>)> {
    let key = ServiceKey::tcp(sa("10.20.0.1:80"));
    let addr = sa("10.20.1.1:80");
    let routed = Destination::new(addr)
        .forward(ForwardMethod::DirectRoute)
        .weight(5)
        .thresholds(10, 100);
    vec![
        (
            Some("ipvsadm -A -t 10.20.0.1:80 -s rr"),
            vec![TableEvent::ServiceAdded {
                service: Service::new(key, Scheduler::RoundRobin),
                destinations: vec![],
            }],
        ),
        (None, vec![]),
        (
            Some("ipvsadm -a -t 10.20.0.1:80 -r 10.20.1.1:80 -m -w 2"),
            vec![TableEvent::DestinationAdded {
                service: key,
                destination: Destination::new(addr).weight(2),
            }],
        ),
        (
            Some("ipvsadm -e -t 10.20.0.1:80 -r 10.20.1.1:80 -g -w 5 -x 100 -y 10"),
            vec![TableEvent::DestinationChanged {
                service: key,
                addr,
                changes: vec![
                    DestinationChange::Forward {
                        from: ForwardMethod::Masquerade,
                        to: ForwardMethod::DirectRoute,
                    },
                    DestinationChange::Weight { from: 2, to: 5 },
                    DestinationChange::UpperThreshold { from: 0, to: 100 },
                    DestinationChange::LowerThreshold { from: 0, to: 10 },
                ],
            }],
        ),
        (
            Some("ipvsadm -E -t 10.20.0.1:80 -s wrr -p 60"),
            vec![TableEvent::ServiceChanged {
                key,
                changes: vec![
                    ServiceChange::Scheduler {
                        from: Scheduler::RoundRobin,
                        to: Scheduler::WeightedRoundRobin,
                    },
                    ServiceChange::Flags {
                        from: ServiceFlags::empty(),
                        to: ServiceFlags::PERSISTENT,
                    },
                    ServiceChange::Timeout { from: 0, to: 60 },
                ],
            }],
        ),
        (
            Some("ipvsadm -d -t 10.20.0.1:80 -r 10.20.1.1:80"),
            vec![TableEvent::DestinationRemoved {
                service: key,
                destination: routed.clone(),
            }],
        ),
        (
            Some("ipvsadm -a -t 10.20.0.1:80 -r 10.20.1.1:80 -g -w 5 -x 100 -y 10"),
            vec![TableEvent::DestinationAdded {
                service: key,
                destination: routed.clone(),
            }],
        ),
        (
            Some("ipvsadm -D -t 10.20.0.1:80"),
            vec![TableEvent::ServiceRemoved {
                service: Service::new(key, Scheduler::WeightedRoundRobin).persistent(60),
                destinations: vec![routed],
            }],
        ),
    ]
}

/// Checks the poll that followed a step: exactly its events, seen within
/// one interval (and the listing's time) of the change.
fn check(step: &(Option<&str>, Vec<TableEvent>), poll: &PollReport, took: Duration, number: u64) {
    let (cmd, want) = step;
    assert_eq!(&poll.events, want, "after {cmd:?}");
    assert_eq!(poll.number, number);
    assert!(took < INTERVAL + SLACK, "after {cmd:?}: {took:?}");
    assert_eq!(poll.resets().count(), 0, "{poll:?}");
}

/// Runs a step's command; the time the watch has from then on.
fn make(step: &(Option<&str>, Vec<TableEvent>)) -> Instant {
    if let Some(cmd) = step.0 {
        sh(cmd);
    }
    Instant::now()
}

/// The steps, seen by the watch of an async handle on `T`'s runtime:
/// through its `into_stream`, or through a stream unfolded from its `next`.
#[cfg(any(feature = "tokio", feature = "smol"))]
async fn async_steps<T: handle::Transport>(into_stream: bool) {
    use smol::stream::{Stream, StreamExt};
    use std::pin::Pin;

    let mut h = handle::AsyncHandle::<T>::new().await.unwrap();
    let Err(e) = h.watch(Duration::ZERO) else {
        panic!("a zero interval accepted")
    };
    assert!(matches!(e.kind(), ErrorKind::Watch(_)), "{e:?}");
    let watch = h.watch(INTERVAL).unwrap();
    let mut polls: Pin<Box<dyn Stream<Item = Result<PollReport>> + '_>> = if into_stream {
        Box::pin(watch.into_stream())
    } else {
        Box::pin(smol::stream::unfold(watch, |mut w| async move {
            Some((w.next().await, w))
        }))
    };
    assert!(polls.next().await.unwrap().unwrap().is_baseline());
    for (n, step) in steps().iter().enumerate() {
        let t = make(step);
        let poll = polls.next().await.unwrap().unwrap();
        check(step, &poll, t.elapsed(), n as u64 + 1);
    }
}

crate::kernel_tests! {
    fn watch_reports_each_ipvsadm_change_at_the_next_poll() {
        sh("ipvsadm -A -f 7 -s rr");
        let mut h = Handle::new().unwrap();
        let mut watch = h.watch(INTERVAL).unwrap();
        let base = watch.next().unwrap().unwrap();
        assert!(base.is_baseline() && base.events.is_empty() && base.traffic.is_empty());
        assert_eq!((base.services, base.destinations), (1, 0));
        for (n, step) in steps().iter().enumerate() {
            let t = make(step);
            let poll = watch.next().unwrap().unwrap();
            check(step, &poll, t.elapsed(), n as u64 + 1);
            let elapsed = poll.elapsed.unwrap();
            assert!(elapsed >= INTERVAL && elapsed < INTERVAL + SLACK, "{elapsed:?}");
        }
        assert_eq!(watch.run().table().len(), 1, "the firewall-mark service stayed");
    }

    fn watch_refuses_a_zero_interval() {
        let mut h = Handle::new().unwrap();
        let e = h.watch(Duration::ZERO).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Watch(watch::WatchError::ZeroInterval)), "{e:?}");
        assert_eq!(e.to_string(), "watch the table: a watch's interval must be above 0");
    }

    #[cfg(feature = "tokio")]
    fn tokio_watch_stream_reports_each_ipvsadm_change_at_the_next_poll() {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async_steps::<handle::tokio::TokioSocket>(true));
    }

    #[cfg(feature = "smol")]
    fn smol_watch_reports_each_ipvsadm_change_at_the_next_poll() {
        smol::block_on(async_steps::<handle::smol::SmolSocket>(false));
    }

    fn watch_reports_zeroed_counters_as_a_reset_not_a_rate() {
        sh("ip addr add 10.10.0.1/32 dev lo && ip addr add 10.10.0.2/32 dev lo \
            && ipvsadm -A -t 10.10.0.1:80 -s rr && ipvsadm -a -t 10.10.0.1:80 -r 10.10.0.2:8080 -m");
        let mut h = Handle::new().unwrap();
        let mut watch = h.watch(INTERVAL).unwrap();
        assert!(watch.next().unwrap().unwrap().is_baseline());
        // Three connections, and the estimator's pass that counts them.
        crate::common::tcp_exchanges(sa("10.10.0.1:80"), sa("10.10.0.2:8080"), 3);
        let poll = watch.next().unwrap().unwrap();
        assert!(poll.events.is_empty(), "{poll:?}");
        assert_eq!(poll.traffic.len(), 2, "the service and its destination: {poll:?}");
        let secs = poll.elapsed.unwrap().as_secs_f64();
        for t in &poll.traffic {
            let CounterChange::Counted { growth, rates } = t.change else {
                panic!("not counted: {t:?}");
            };
            assert_eq!(growth.conns, 3, "{t:?}");
            assert!(growth.in_packets >= 3 * 3 && growth.out_packets >= 3 * 2, "{t:?}");
            assert!(growth.in_bytes > growth.in_packets * 20, "{t:?}");
            assert!((rates.conns - 3.0 / secs).abs() < 1e-9, "{t:?} over {secs} s");
        }
        let kernel = sh("ipvsadm -Ln --stats --exact");
        let totals: Vec<&str> = kernel.lines().find(|l| l.contains("10.10.0.1:80")).unwrap().split_whitespace().collect();
        assert_eq!(totals[2], "3", "{kernel}");

        sh("ipvsadm -Z");
        let poll = watch.next().unwrap().unwrap();
        assert!(poll.events.is_empty(), "{poll:?}");
        assert_eq!(poll.resets().count(), 2, "{poll:?}");
        for t in &poll.traffic {
            let CounterChange::Reset { before, after } = t.change else {
                panic!("a zeroed counter shown as {t:?}");
            };
            assert_eq!((before.conns, after.conns), (3, 0), "{t:?}");
            assert!(before.in_bytes > 0, "{t:?}");
        }
        // From the zeroed counters on, rates again.
        let poll = watch.next().unwrap().unwrap();
        assert_eq!(poll.resets().count(), 0, "{poll:?}");
        assert!(poll.traffic.iter().all(|t| matches!(t.change, CounterChange::Counted { growth, .. } if growth.conns == 0)), "{poll:?}");
    }

    fn watch_sees_counters_frozen_while_run_estimation_is_off() {
        // The counters a listing shows are the estimator's sums of the
        // per-CPU counters: with it off they stand still, and catch up once
        // it runs again.
        sh("sysctl -qw net.ipv4.vs.run_estimation=0 \
            && ip addr add 10.10.0.1/32 dev lo && ip addr add 10.10.0.2/32 dev lo \
            && ipvsadm -A -t 10.10.0.1:80 -s rr && ipvsadm -a -t 10.10.0.1:80 -r 10.10.0.2:8080 -m");
        let mut h = Handle::new().unwrap();
        let mut watch = h.watch(INTERVAL).unwrap();
        assert!(watch.next().unwrap().unwrap().is_baseline());
        crate::common::tcp_exchanges(sa("10.10.0.1:80"), sa("10.10.0.2:8080"), 3);
        let growth = |poll: &PollReport| -> Vec<u64> {
            poll.traffic.iter().map(|t| match t.change {
                CounterChange::Counted { growth, .. } => growth.conns,
                CounterChange::Reset { .. } => panic!("{t:?}"),
            }).collect()
        };
        let frozen = watch.next().unwrap().unwrap();
        assert_eq!(growth(&frozen), [0, 0], "{frozen:?}");
        sh("sysctl -qw net.ipv4.vs.run_estimation=1");
        // The estimator passes every 2 s.
        std::thread::sleep(Duration::from_millis(4500));
        let caught_up = watch.next().unwrap().unwrap();
        assert_eq!(growth(&caught_up), [3, 3], "{caught_up:?}");
    }
}

#[cfg(all(feature = "serde", feature = "tokio", feature = "prometheus"))]
mod ipvsctl_watch {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    use std::sync::mpsc;
    use std::time::{Duration, Instant};

    use crate::common::sh;
    use crate::examples::example;
    use crate::ipvsctl::ipvsctl_exits;

    /// The time now as `date -u` writes it in RFC 3339, to the second.
    fn now() -> String {
        sh("date -u +%Y-%m-%dT%H:%M:%S").trim().to_owned()
    }

    /// The next JSON line of the watch, within `wait`.
    fn line(rx: &mpsc::Receiver<String>, wait: Duration) -> serde_json::Value {
        let l = rx
            .recv_timeout(wait)
            .expect("a line from ipvsctl watch in time");
        serde_json::from_str(&l).unwrap_or_else(|e| panic!("{l:?}: {e}"))
    }

    crate::kernel_tests! {
        fn ipvsctl_watch_json_prints_each_change_with_its_time() {
            sh("ipvsadm -A -u 10.30.0.1:53 -s rr");
            let start = now();
            let mut child = Command::new(example("ipvsctl"))
                .args(["watch", "--json", "--interval", "0.2", "--polls", "25"])
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            let stdout = child.stdout.take().unwrap();
            let (tx, rx) = mpsc::channel();
            let reader = std::thread::spawn(move || {
                for l in BufReader::new(stdout).lines() {
                    if tx.send(l.unwrap()).is_err() {
                        break;
                    }
                }
            });
            let wait = Duration::from_secs(3);
            let base = line(&rx, Duration::from_secs(10));
            assert_eq!(base["event"], "baseline", "{base}");
            assert_eq!((base["services"].as_u64(), base["destinations"].as_u64()), (Some(1), Some(0)));
            assert_eq!(base["interval_seconds"], 0.2);

            sh("ipvsadm -A -t 10.30.0.1:80 -s rr");
            let added = line(&rx, wait);
            assert_eq!(added["event"], "service-added", "{added}");
            assert_eq!(added["service"]["key"], "tcp:10.30.0.1:80");
            assert_eq!(added["service"]["scheduler"], "rr");
            assert_eq!(added["destinations"], serde_json::json!([]));

            sh("ipvsadm -a -u 10.30.0.1:53 -r 10.30.1.1:53 -g -w 4");
            let dest = line(&rx, wait);
            assert_eq!(dest["event"], "destination-added", "{dest}");
            assert_eq!(dest["service"], "udp:10.30.0.1:53");
            assert_eq!(dest["destination"], serde_json::json!({"addr": "10.30.1.1:53", "weight": 4, "forward": "direct-route"}));

            sh("ipvsadm -E -u 10.30.0.1:53 -s sh -b sh-port");
            let changed = line(&rx, wait);
            assert_eq!(changed["event"], "service-changed", "{changed}");
            assert_eq!(changed["key"], "udp:10.30.0.1:53");
            assert_eq!(changed["changes"], serde_json::json!([
                {"field": "scheduler", "from": "rr", "to": "sh"},
                {"field": "flags", "from": [], "to": ["sched2"]},
            ]));

            // --polls 25 at 0.2 s: it ends by itself, with status 0, and
            // nothing else happened.
            let deadline = Instant::now() + Duration::from_secs(15);
            let status = loop {
                if let Some(s) = child.try_wait().unwrap() {
                    break s;
                }
                assert!(Instant::now() < deadline, "ipvsctl watch --polls 25 did not end");
                std::thread::sleep(Duration::from_millis(100));
            };
            assert!(status.success(), "{status}");
            reader.join().unwrap();
            let rest: Vec<String> = rx.try_iter().collect();
            assert!(rest.is_empty(), "{rest:?}");
            let end = now();
            for v in [&base, &added, &dest, &changed] {
                let time = v["time"].as_str().unwrap();
                assert!(time.len() == 24 && time.ends_with('Z') && &time[19..20] == ".", "{time}");
                assert!(start.as_str() <= &time[..19] && &time[..19] <= end.as_str(), "{start} <= {time} <= {end}");
            }
        }

        fn ipvsctl_watch_prints_lines_and_refuses_a_zero_interval() {
            sh("ipvsadm -A -t 10.30.0.1:80 -s rr && ipvsadm -a -t 10.30.0.1:80 -r 10.30.1.1:80 -m");
            let (out, _) = ipvsctl_exits(0, &["watch", "--interval", "0.1", "--polls", "2", "--rates"]);
            let lines: Vec<&str> = out.lines().collect();
            assert_eq!(lines.len(), 5, "baseline, then the service's and destination's rates twice: {out}");
            assert!(lines[0].ends_with("Z watching 1 service, 1 destination, every 0.1s"), "{out}");
            assert!(lines[1].ends_with("Z service tcp:10.30.0.1:80: 0.0 conn/s, 0.0 pkt/s in, 0.0 pkt/s out, 0 B/s in, 0 B/s out"), "{out}");
            assert!(lines[2].contains("Z destination 10.30.1.1:80 of tcp:10.30.0.1:80: 0.0 conn/s"), "{out}");
            let (_, err) = ipvsctl_exits(1, &["watch", "--interval", "0"]);
            assert_eq!(err, "ipvsctl: watch the current namespace: watch the table: a watch's interval must be above 0\n");
            let (_, err) = ipvsctl_exits(2, &["watch", "--interval=-1"]);
            assert!(err.contains("--interval"), "{err}");
        }
    }
}

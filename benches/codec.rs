//! Host benchmarks, no kernel: encoding a 50,000-request batch and parsing
//! dumps of 10,000 services and of 40,000 destinations, through the same
//! session code the handles run.

mod common;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use ipvs_netlink::proto::{BatchLimits, BatchRun, OnError, Session};
use ipvs_netlink::testing::fake_kernel::{self, ack_of_last, FAMILY};
use ipvs_netlink::wire::{Command, IpvsAttr, IpvsMessage};
use ipvs_netlink::{DestinationEntry, Family, Reply, Request, ServiceEntry};

fn encode_batch(c: &mut Criterion) {
    let reqs = common::requests(&common::table(10_000, 4));
    let mut g = c.benchmark_group("encode");
    g.throughput(Throughput::Elements(reqs.len() as u64));
    g.bench_function("batch_50k_requests", |b| {
        b.iter_batched(
            || reqs.clone(),
            |reqs| {
                let mut session = Session::with_family_id(FAMILY);
                let limits = BatchLimits {
                    max_messages: 512,
                    max_bytes: 128 << 10,
                };
                let mut run = BatchRun::new(reqs, OnError::Continue, limits);
                let mut bytes = 0;
                while run.fill(&mut session) {
                    let out = session.take_outgoing();
                    bytes += out.len();
                    // Answer as the kernel does when all went well: only the
                    // barrier (the last message) is acknowledged.
                    session.receive(&ack_of_last(&out), 0);
                    assert!(run.datagram_done(&session));
                    run.settle(&mut session);
                }
                assert!(run.finish().iter().all(|r| r.is_ok()));
                bytes
            },
            BatchSize::LargeInput,
        );
    });
    g.finish();
}

/// Kernel-like dump datagrams (at most 32 KiB each, then NLMSG_DONE) for
/// the messages `msgs`, answering sequence number `seq`.
fn dump(msgs: &[IpvsMessage], seq: u32) -> Vec<Vec<u8>> {
    fake_kernel::dump(seq, msgs, 32 * 1024)
}

fn with_stats<T>(mut x: T, set: impl FnOnce(&mut T, ipvs_netlink::Stats)) -> T {
    let s = ipvs_netlink::Stats {
        conns: 12,
        in_packets: 3400,
        out_packets: 3300,
        in_bytes: 1 << 20,
        out_bytes: 1 << 22,
        cps: 1,
        in_pps: 20,
        out_pps: 19,
        in_bps: 9000,
        out_bps: 12000,
    };
    set(&mut x, s);
    x
}

/// The kernel's reply for destination `j` of service `i`, with counters.
fn dest_reply(i: u32, j: u32) -> IpvsMessage {
    let d = with_stats(DestinationEntry::new(common::dest(i, j)), |d, st| {
        d.stats = Some(st);
        d.stats64 = Some(st);
    });
    IpvsMessage::new(
        Command::NewDest,
        vec![IpvsAttr::Dest(d.to_reply_attrs(Family::Ipv4).unwrap())],
    )
    .unwrap()
}

fn parse_dumps(c: &mut Criterion) {
    let services: Vec<IpvsMessage> = (0..10_000)
        .map(|i| {
            let s = with_stats(ServiceEntry::new(common::service(i)), |s, st| {
                s.stats = Some(st);
                s.stats64 = Some(st);
            });
            IpvsMessage::new(
                Command::NewService,
                vec![IpvsAttr::Service(s.to_reply_attrs().unwrap())],
            )
            .unwrap()
        })
        .collect();
    let dests: Vec<IpvsMessage> = (0..40_000).map(|i| dest_reply(i, 0)).collect();
    let mut g = c.benchmark_group("parse");
    for (name, msgs, req) in [
        ("dump_10k_services", &services, Request::ListServices),
        (
            "dump_40k_destinations",
            &dests,
            Request::ListDestinations(common::service(0).key),
        ),
    ] {
        // The first request of a fresh session gets sequence number 1.
        let datagrams = dump(msgs, 1);
        g.throughput(Throughput::Elements(msgs.len() as u64));
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut session = Session::with_family_id(FAMILY);
                let token = session.submit(&req).unwrap();
                session.take_outgoing();
                for d in &datagrams {
                    session.receive(d, 0);
                }
                session.take_result(token).unwrap().unwrap()
            });
        });
    }
    g.finish();
}

/// What `list_table` does on the client for 10,000 services after the
/// service dump: one destination dump per service (4 destinations, one
/// datagram each with its `NLMSG_DONE`), request to result.
fn destination_dumps(c: &mut Criterion) {
    let services = 10_000u32;
    // The requests of a fresh session get sequence numbers 1, 2, ...
    let datagrams: Vec<Vec<u8>> = (0..services)
        .map(|i| {
            let msgs: Vec<IpvsMessage> = (0..4).map(|j| dest_reply(i, j)).collect();
            let mut d = dump(&msgs, i + 1);
            assert_eq!(d.len(), 1);
            d.remove(0)
        })
        .collect();
    let keys: Vec<_> = (0..services).map(|i| common::service(i).key).collect();
    let mut g = c.benchmark_group("parse");
    g.throughput(Throughput::Elements(u64::from(services)));
    g.bench_function("destination_dumps_10k_services_x4", |b| {
        b.iter(|| {
            let mut session = Session::with_family_id(FAMILY);
            let mut n = 0;
            for (key, datagram) in keys.iter().zip(&datagrams) {
                let token = session.submit(&Request::ListDestinations(*key)).unwrap();
                session.take_outgoing();
                session.receive(datagram, 0);
                let Ok(Reply::Destinations(d)) = session.take_result(token).unwrap() else {
                    panic!("destinations")
                };
                n += d.len();
            }
            assert_eq!(n, 4 * services as usize);
        });
    });
    g.finish();
}

/// A listing of 10,000 services x 4 destinations whose counters grew by
/// `grown` connections (and 100 bytes each), every 25th service's first
/// destination at `weight`.
fn listing(grown: u64, weight: u32) -> Vec<(ServiceEntry, Vec<DestinationEntry>)> {
    let grow = |mut st: ipvs_netlink::Stats| {
        st.conns += grown;
        st.in_bytes += grown * 100;
        Some(st)
    };
    common::table(10_000, 4)
        .into_iter()
        .enumerate()
        .map(|(i, (s, ds))| {
            let s = with_stats(ServiceEntry::new(s), |e, st| e.stats64 = grow(st));
            let ds = ds
                .into_iter()
                .enumerate()
                .map(|(j, mut d)| {
                    if i % 25 == 0 && j == 0 {
                        d.weight = weight;
                    }
                    with_stats(DestinationEntry::new(d), |e, st| e.stats64 = grow(st))
                })
                .collect();
            (s, ds)
        })
        .collect()
}

/// What a scrape computes of a listing of 10,000 services x 4
/// destinations (given): the metrics, and the whole exposition's text.
#[cfg(feature = "prometheus")]
fn scrape_encode(c: &mut Criterion) {
    use ipvs_netlink::metrics::{encode, MetricsOptions, TableMetrics};
    use std::time::Duration;
    let table = listing(5, 1);
    let mut g = c.benchmark_group("metrics");
    g.sample_size(10);
    g.throughput(Throughput::Elements(10_000));
    g.bench_function("encode_10k_services_x4", |b| {
        b.iter(|| {
            let metrics = TableMetrics::new(&table, &MetricsOptions::new());
            let scrape = encode(metrics, true, || Duration::ZERO).unwrap();
            assert_eq!(scrape.series, 10_000 * 5 + 40_000 * 8);
            scrape.text.len()
        });
    });
    g.finish();
}

#[cfg(not(feature = "prometheus"))]
fn scrape_encode(_: &mut Criterion) {}

/// What a watch computes per poll of 10,000 services x 4 destinations
/// whose counters all grew and where 1% of the destinations changed
/// weight: the events and every service's and destination's counter
/// change (`WatchRun::observe`, the listings given).
fn watch_poll(c: &mut Criterion) {
    use ipvs_netlink::watch::WatchRun;
    use std::time::{Duration, Instant};
    let (before, after) = (listing(0, 1), listing(5, 2));
    let t0 = Instant::now();
    let mut g = c.benchmark_group("watch");
    g.throughput(Throughput::Elements(10_000));
    g.bench_function("observe_10k_services_x4", |b| {
        b.iter_batched(
            || {
                let mut run = WatchRun::new(Duration::from_secs(1)).unwrap();
                run.observe(t0, before.clone()).unwrap();
                (run, after.clone())
            },
            |(mut run, after)| {
                let poll = run.observe(t0 + Duration::from_secs(1), after).unwrap();
                assert_eq!((poll.events.len(), poll.traffic.len()), (400, 50_000));
                poll
            },
            BatchSize::LargeInput,
        );
    });
    g.finish();
}

/// A `/proc/net/ip_vs_conn` of `n` entries in the kernel's format: TCP and
/// UDP over IPv4, every eighth TCP over IPv6, one in 16 with SIP data.
fn conn_table_text(n: u32) -> Vec<u8> {
    use std::io::Write;
    let mut t = Vec::with_capacity(n as usize * 120);
    t.extend_from_slice(
        b"Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData\n",
    );
    let v6 = |x: u32| {
        format!(
            "2001:0db8:0000:0000:0000:0000:{:04x}:{:04x}",
            x >> 16,
            x & 0xffff
        )
    };
    for i in 0..n {
        let port = 1024 + (i % 60000);
        if i % 8 == 7 {
            writeln!(
                t,
                "TCP {} {port:04X} {} 01BB {} 01BB ESTABLISHED     {:7}",
                v6(i),
                v6(1),
                v6(0x10 + i % 4),
                1 + i % 900
            )
            .unwrap();
        } else if i % 16 == 1 {
            writeln!(t, "UDP {:08X} {port:04X} 0A000001 13C4 0A0001{:02X} 13C4 UDP         {:7} sip call-{i}@example.org", 0xC0A8_0000 | (i & 0xffff), i % 4, 1 + i % 300).unwrap();
        } else {
            writeln!(
                t,
                "TCP {:08X} {port:04X} 0A000001 0050 0A0001{:02X} 1F90 TIME_WAIT   {:7}",
                0xC0A8_0000 | (i & 0xffff),
                i % 4,
                1 + i % 120
            )
            .unwrap();
        }
    }
    t
}

/// Parsing a 1,000,000-entry connection table from memory, as the reader
/// streams it from `/proc` (one line at a time).
fn conn_table(c: &mut Criterion) {
    use ipvs_netlink::conn::{ConnReader, ConnTable};
    const N: u32 = 1_000_000;
    let text = conn_table_text(N);
    let mut g = c.benchmark_group("conn_table");
    g.sample_size(10);
    g.throughput(Throughput::Elements(u64::from(N)));
    g.bench_function("parse_1m_lines", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for e in ConnReader::new(&text[..], ConnTable::Conns) {
                e.unwrap();
                n += 1;
            }
            assert_eq!(n, N as usize);
        });
    });
    g.finish();
}

criterion_group!(
    benches,
    encode_batch,
    parse_dumps,
    destination_dumps,
    watch_poll,
    scrape_encode,
    conn_table
);
criterion_main!(benches);

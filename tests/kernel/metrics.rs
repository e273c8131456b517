//! Prometheus metrics of real tables: a scrape's values against the real
//! `ipvsadm`'s, labels over every kind of key, the cap on series, and
//! `ipvsctl metrics` served over HTTP.
#![cfg(feature = "prometheus")]

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;

use ipvs_netlink::metrics::MetricsOptions;
use ipvs_netlink::*;

use crate::common::sh;

fn sa(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// The samples of an exposition: each series (name and labels) and its
/// value as written; a series twice fails.
fn samples(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let (series, value) = line.rsplit_once(' ').unwrap();
        let old = out.insert(series.to_owned(), value.to_owned());
        assert!(old.is_none(), "{series} twice in:\n{text}");
    }
    out
}

/// The samples of services and destinations only (not the scrape's own).
fn table_samples(text: &str) -> BTreeMap<String, String> {
    let mut s = samples(text);
    s.retain(|k, _| !k.starts_with("ipvs_scrape_"));
    s
}

fn add(h: &mut Handle, key: ServiceKey, dests: &[&str]) {
    h.add_service(&Service::new(key, Scheduler::RoundRobin))
        .unwrap();
    for d in dests {
        h.add_destination(&key, &Destination::new(sa(d))).unwrap();
    }
}

/// The service and destination samples the real `ipvsadm` shows, under
/// the names and labels of the crate's metrics, for a table of TCP
/// services on IPv4 (what its two listings below can show).
fn ipvsadm_samples() -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let label = |service: &str, server: Option<&str>| match server {
        Some(d) => format!("{{service=\"tcp:{service}\",server=\"{d}\"}}"),
        None => format!("{{service=\"tcp:{service}\"}}"),
    };
    let counters = [
        "connections_total",
        "in_packets_total",
        "out_packets_total",
        "in_bytes_total",
        "out_bytes_total",
    ];
    // Prot LocalAddress:Port Conns InPkts OutPkts InBytes OutBytes, then
    // "  -> RemoteAddress:Port" with the same five.
    let mut service = String::new();
    for line in sh("ipvsadm -Ln --stats --exact").lines().skip(3) {
        let words: Vec<&str> = line.split_whitespace().collect();
        let (kind, labels, values) = match words[..] {
            ["TCP", addr, ref rest @ ..] => {
                service = addr.to_owned();
                ("service", label(addr, None), rest)
            }
            ["->", addr, ref rest @ ..] => ("destination", label(&service, Some(addr)), rest),
            _ => panic!("unexpected line {line:?}"),
        };
        assert_eq!(values.len(), 5, "{line:?}");
        for (name, value) in counters.iter().zip(values) {
            out.insert(format!("ipvs_{kind}_{name}{labels}"), (*value).to_owned());
        }
    }
    // Prot LocalAddress:Port Scheduler, then "  -> RemoteAddress:Port
    // Forward Weight ActiveConn InActConn".
    for line in sh("ipvsadm -Ln").lines().skip(3) {
        match line.split_whitespace().collect::<Vec<_>>()[..] {
            ["TCP", addr, ..] => service = addr.to_owned(),
            ["->", addr, _, weight, active, inactive] => {
                let labels = label(&service, Some(addr));
                for (name, value) in [
                    ("weight", weight),
                    ("active_connections", active),
                    ("inactive_connections", inactive),
                ] {
                    out.insert(format!("ipvs_destination_{name}{labels}"), value.to_owned());
                }
            }
            _ => panic!("unexpected line {line:?}"),
        }
    }
    out
}

/// The real `ipvsadm`'s samples and a scrape's, read ipvsadm, scrape,
/// ipvsadm until both ipvsadm readings agree (the kernel's estimator moves
/// counters every 2 s), at most five times.
fn scrape_between_ipvsadm(
    scrape: &mut dyn FnMut() -> String,
) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
    for _ in 0..5 {
        let before = ipvsadm_samples();
        let scraped = table_samples(&scrape());
        if ipvsadm_samples() == before {
            return (before, scraped);
        }
    }
    panic!("the counters kept moving through five readings");
}

crate::kernel_tests! {
    fn a_scrape_after_real_traffic_shows_the_counters_ipvsadm_shows() {
        sh("ip addr add 10.10.0.1/32 dev lo && ip addr add 10.10.0.2/32 dev lo && ip addr add 10.10.0.3/32 dev lo");
        let mut h = Handle::new().unwrap();
        // NAT services (the default forwarding) to local listeners, and a
        // destination that takes no traffic (weight 0).
        add(&mut h, ServiceKey::tcp(sa("10.10.0.1:80")), &["10.10.0.2:8080"]);
        add(&mut h, ServiceKey::tcp(sa("10.10.0.1:81")), &["10.10.0.3:8081"]);
        let idle = Destination::new(sa("10.10.0.3:9000")).weight(0);
        h.add_destination(&ServiceKey::tcp(sa("10.10.0.1:81")), &idle).unwrap();
        crate::common::tcp_exchanges(sa("10.10.0.1:80"), sa("10.10.0.2:8080"), 3);
        crate::common::tcp_exchanges(sa("10.10.0.1:81"), sa("10.10.0.3:8081"), 5);

        let options = MetricsOptions::new();
        let (real, scraped) = scrape_between_ipvsadm(&mut || h.scrape(&options).unwrap().text);
        // 2 services, 3 destinations.
        assert_eq!(real.len(), 2 * 5 + 3 * 8, "{real:#?}");
        assert_eq!(scraped, real);
        let conns = |service: &str| real[&format!("ipvs_service_connections_total{{service=\"tcp:10.10.0.1:{service}\"}}")].clone();
        assert_eq!((conns("80").as_str(), conns("81").as_str()), ("3", "5"));
        assert_ne!(real["ipvs_service_in_bytes_total{service=\"tcp:10.10.0.1:81\"}"], "0");

        // The async handle's scrape shows the same.
        #[cfg(feature = "tokio")]
        {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            let mut scrape = || rt.block_on(async {
                let mut a = handle::tokio::Handle::new().await.unwrap();
                a.scrape(&options).await.unwrap().text
            });
            let (real, scraped) = scrape_between_ipvsadm(&mut scrape);
            assert_eq!(scraped, real);
        }

        let s = h.scrape(&options).unwrap();
        assert!(s.consistent);
        assert_eq!((s.services, s.series, s.dropped_series), (2, 34, 0));
        let own = samples(&s.text);
        assert_eq!(own["ipvs_scrape_consistent"], "1");
        assert_eq!(own["ipvs_scrape_series"], "34");
        let secs: f64 = own["ipvs_scrape_duration_seconds"].parse().unwrap();
        assert!(secs > 0.0 && secs == s.duration.as_secs_f64(), "{secs} {:?}", s.duration);
    }

    fn labels_are_unique_over_a_real_table_with_every_kind_of_key() {
        let mut h = Handle::new().unwrap();
        let keys = [
            "tcp:10.0.0.1:80",
            "tcp:10.0.0.1:81",
            "udp:10.0.0.1:80",
            "sctp:10.0.0.1:80",
            "tcp:[2001:db8::1]:80",
            "udp:[2001:db8::1]:80",
            "sctp:[2001:db8::1]:80",
            "fwmark:5",
            "fwmark6:5",
        ];
        for key in keys {
            let key: ServiceKey = key.parse().unwrap();
            let dests: &[&str] = match key.family() {
                Family::Ipv4 => &["10.0.1.1:80", "10.0.1.1:81"],
                Family::Ipv6 => &["[2001:db8::2]:80", "[2001:db8::2]:81"],
            };
            add(&mut h, key, dests);
        }
        let s = h.scrape(&MetricsOptions::new().netns("blue")).unwrap();
        let all = samples(&s.text); // fails on a series twice
        assert_eq!(all.len(), 9 * 5 + 18 * 8 + 4, "{}", s.text);
        // The service labels read back to the kernel's keys, each with its
        // two real servers.
        let mut servers: BTreeMap<ServiceKey, BTreeSet<SocketAddr>> = BTreeMap::new();
        for series in all.keys().filter(|k| k.starts_with("ipvs_destination_weight{")) {
            let value = |name: &str| series.split(&format!("{name}=\"")).nth(1).unwrap().split('"').next().unwrap().to_owned();
            assert_eq!(value("netns"), "blue");
            servers.entry(value("service").parse().unwrap()).or_default().insert(value("server").parse().unwrap());
        }
        let listed: BTreeMap<ServiceKey, BTreeSet<SocketAddr>> = h
            .list_table()
            .unwrap()
            .into_iter()
            .map(|(s, d)| (s.service.key, d.into_iter().map(|d| d.dest.addr).collect()))
            .collect();
        assert_eq!(servers, listed);
        assert_eq!(listed.len(), keys.len());
    }

    fn a_table_that_keeps_changing_is_scraped_plainly_and_marked_inconsistent() {
        use std::sync::atomic::{AtomicBool, Ordering};
        let mut h = Handle::new().unwrap();
        for port in 1..=300u16 {
            add(&mut h, ServiceKey::tcp(SocketAddr::from(([10, 0, 0, 1], port))), &[]);
        }
        // One service changes all the time (its persistence timeout), so
        // each service dump differs from the one before.
        let churned = ServiceKey::tcp(sa("10.0.0.2:80"));
        add(&mut h, churned, &["10.0.1.1:80"]);
        let stop = AtomicBool::new(false);
        let scrapes = std::thread::scope(|s| {
            let churn = s.spawn(|| {
                let mut other = Handle::new().unwrap();
                let mut updates = 0u32;
                while !stop.load(Ordering::Relaxed) {
                    let service = Service::new(churned, Scheduler::RoundRobin).persistent(updates % 1000 + 1);
                    other.update_service(&ServiceUpdate::replace(&service)).unwrap();
                    updates += 1;
                }
                updates
            });
            // Let the churn start, then scrape until one is inconsistent.
            while churn.is_finished() || h.get_service(&churned).unwrap().service.timeout == 0 {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            let mut scrapes = Vec::new();
            while scrapes.len() < 10 {
                let s = h.scrape(&MetricsOptions::new()).unwrap();
                let done = !s.consistent;
                scrapes.push(s);
                if done {
                    break;
                }
            }
            stop.store(true, Ordering::Relaxed);
            assert!(churn.join().unwrap() > 0);
            scrapes
        });
        let inconsistent: Vec<_> = scrapes.iter().filter(|s| !s.consistent).collect();
        assert!(!inconsistent.is_empty(), "{} scrapes, all consistent", scrapes.len());
        for s in inconsistent {
            // The plain listing's table, marked.
            let all = samples(&s.text);
            assert_eq!(all["ipvs_scrape_consistent"], "0");
            assert_eq!(s.services, 301, "the plain listing skipped a service");
            assert_eq!(all["ipvs_destination_weight{service=\"tcp:10.0.0.2:80\",server=\"10.0.1.1:80\"}"], "1");
        }
    }

    fn the_cap_drops_whole_services_in_key_order() {
        let mut h = Handle::new().unwrap();
        // Listed in the kernel's hash order; kept in key order.
        for port in [84u16, 80, 83, 81, 82] {
            let key = ServiceKey::tcp(SocketAddr::from(([10, 0, 0, 1], port)));
            add(&mut h, key, &["10.0.1.1:80", "10.0.1.2:80"]);
        }
        let per_service = 5 + 2 * 8;
        let s = h.scrape(&MetricsOptions::new().max_series(3 * per_service - 1)).unwrap();
        assert_eq!((s.services, s.series, s.dropped_series), (2, 2 * per_service, 3 * per_service));
        let all = samples(&s.text);
        assert_eq!(all["ipvs_scrape_dropped_series"], (3 * per_service).to_string());
        let services: BTreeSet<&str> = all
            .keys()
            .filter_map(|k| k.split("service=\"").nth(1))
            .map(|v| v.split('"').next().unwrap())
            .collect();
        assert_eq!(services, BTreeSet::from(["tcp:10.0.0.1:80", "tcp:10.0.0.1:81"]));
        // Exactly at a service's end, and none.
        let s = h.scrape(&MetricsOptions::new().max_series(3 * per_service)).unwrap();
        assert_eq!((s.services, s.dropped_series), (3, 2 * per_service));
        let s = h.scrape(&MetricsOptions::new().max_series(0)).unwrap();
        assert_eq!((s.services, s.series, s.dropped_series), (0, 0, 5 * per_service));
    }
}

#[cfg(all(feature = "serde", feature = "tokio"))]
mod served {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::{SocketAddr, TcpStream};
    use std::process::{Child, ChildStdout, Command, Stdio};
    use std::time::{Duration, Instant};

    use ipvs_netlink::metrics::{MetricsOptions, CONTENT_TYPE};
    use ipvs_netlink::*;

    use super::{add, sa, table_samples};
    use crate::common::sh;
    use crate::examples::example;

    /// An `ipvsctl metrics` process, killed when dropped if still running.
    struct Exporter {
        child: Child,
        addr: SocketAddr,
        _stdout: BufReader<ChildStdout>,
    }

    impl Exporter {
        /// Starts it in this thread's namespace and reads the address it
        /// serves on from its first line.
        fn start(args: &[&str]) -> Self {
            let mut child = Command::new(example("ipvsctl"))
                .args(["metrics", "--listen", "127.0.0.1:0"])
                .args(args)
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            let mut stdout = BufReader::new(child.stdout.take().unwrap());
            let mut line = String::new();
            stdout.read_line(&mut line).unwrap();
            let addr = line
                .strip_prefix("serving http://")
                .and_then(|l| l.strip_suffix("/metrics\n"))
                .unwrap_or_else(|| panic!("first line {line:?}"))
                .parse()
                .unwrap();
            Self {
                child,
                addr,
                _stdout: stdout,
            }
        }

        /// `GET path`: the status line, the headers and the body.
        fn get(&self, path: &str) -> (String, String, String) {
            let mut c = TcpStream::connect_timeout(&self.addr, Duration::from_secs(3)).unwrap();
            c.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
            write!(
                c,
                "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
                self.addr
            )
            .unwrap();
            let mut reply = String::new();
            c.read_to_string(&mut reply).unwrap();
            let (head, body) = reply.split_once("\r\n\r\n").unwrap();
            let (status, headers) = head.split_once("\r\n").unwrap();
            (
                status.to_owned(),
                headers.to_ascii_lowercase(),
                body.to_owned(),
            )
        }
    }

    impl Drop for Exporter {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    crate::kernel_tests! {
        fn ipvsctl_metrics_serves_each_scrape_anew_over_http() {
            sh("ip addr add 10.10.0.1/32 dev lo && ip addr add 10.10.0.2/32 dev lo");
            let mut h = Handle::new().unwrap();
            add(&mut h, ServiceKey::tcp(sa("10.10.0.1:80")), &["10.10.0.2:8080"]);
            add(&mut h, ServiceKey::udp(sa("10.10.0.1:81")), &["10.10.0.2:8081"]);
            crate::common::tcp_exchanges(sa("10.10.0.1:80"), sa("10.10.0.2:8080"), 2);
            // 13 series a service: two fit.
            let exporter = Exporter::start(&["--max-series", "26"]);

            let (status, headers, body) = exporter.get("/metrics");
            assert_eq!(status, "HTTP/1.1 200 OK", "{body}");
            assert!(headers.contains(&format!("content-type: {CONTENT_TYPE}")), "{headers}");
            assert!(body.ends_with("# EOF\n"), "{body}");
            let options = MetricsOptions::new().max_series(26);
            assert_eq!(table_samples(&body), table_samples(&h.scrape(&options).unwrap().text));
            assert!(body.contains("ipvs_service_connections_total{service=\"tcp:10.10.0.1:80\"} 2\n"), "{body}");
            assert!(body.contains("ipvs_scrape_dropped_series 0\n"), "{body}");

            // Each scrape lists anew: a service that sorts first pushes the
            // last one past the cap.
            add(&mut h, ServiceKey::tcp(sa("10.10.0.1:79")), &["10.10.0.2:8079"]);
            let (status, _, body) = exporter.get("/metrics");
            assert_eq!(status, "HTTP/1.1 200 OK", "{body}");
            assert!(body.contains("service=\"tcp:10.10.0.1:79\""), "{body}");
            assert!(!body.contains("service=\"udp:10.10.0.1:81\""), "{body}");
            assert!(body.contains("ipvs_scrape_dropped_series 13\n"), "{body}");
            assert!(body.contains("ipvs_scrape_consistent 1\n"), "{body}");

            let (status, _, _) = exporter.get("/");
            assert_eq!(status, "HTTP/1.1 404 Not Found");
            let (status, _, _) = exporter.get("/metrics/x");
            assert_eq!(status, "HTTP/1.1 404 Not Found");

            // SIGTERM ends it with status 0.
            let mut exporter = exporter;
            sh(&format!("kill -TERM {}", exporter.child.id()));
            let deadline = Instant::now() + Duration::from_secs(10);
            let status = loop {
                if let Some(status) = exporter.child.try_wait().unwrap() {
                    break status;
                }
                assert!(Instant::now() < deadline, "still running 10 s after SIGTERM");
                std::thread::sleep(Duration::from_millis(50));
            };
            assert_eq!(status.code(), Some(0));
        }

        fn ipvsctl_metrics_labels_the_namespace_it_is_given() {
            let name = format!("metrics-{}", std::process::id());
            sh(&format!("ip netns add {name}"));
            let exporter = std::panic::catch_unwind(|| {
                let mut there = Handle::with_config(Config { netns: Netns::Named(name.clone()), ..Default::default() }).unwrap();
                add(&mut there, "fwmark6:9".parse().unwrap(), &["[2001:db8::2]:0"]);
                let exporter = Exporter::start(&["--netns", &name]);
                let (status, _, body) = exporter.get("/metrics");
                assert_eq!(status, "HTTP/1.1 200 OK", "{body}");
                let weight = format!("ipvs_destination_weight{{netns=\"{name}\",service=\"fwmark6:9\",server=\"[2001:db8::2]:0\"}} 1\n");
                assert!(body.contains(&weight), "{body}");
            });
            sh(&format!("ip netns delete {name}"));
            if let Err(p) = exporter {
                std::panic::resume_unwind(p);
            }
        }
    }
}

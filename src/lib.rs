//! Control the Linux IP Virtual Server (IPVS) over generic netlink.
//!
//! IPVS is the kernel's layer-4 load balancer (behind kube-proxy's IPVS mode,
//! keepalived and Docker's routing mesh). This crate speaks its generic
//! netlink family, "IPVS", with every command and attribute: services
//! (IPv4, IPv6, firewall mark), destinations (with tunnels), schedulers,
//! timeouts, sync daemons, info, zero and flush, with 32- and 64-bit
//! counters.
//!
//! # Layers
//!
//! - [`wire`]: the bytes. Lossless attribute lists for every attribute set,
//!   netlink framing, no I/O, no panics: bad input is a [`wire::DecodeError`]
//!   naming the attribute path (`service/stats64/conns`), and a length that
//!   its field cannot hold is a [`wire::EncodeError`], never cut short.
//! - [`model`] (re-exported at the root): the typed values users work with
//!   ([`Service`], [`Destination`], [`SyncDaemon`], ...), checked against the
//!   kernel's limits before sending ([`BuildError`]) and written straight
//!   into the datagram; [`Request::encode`] reads those bytes back as
//!   attribute lists. Listings return entries ([`ServiceEntry`],
//!   [`DestinationEntry`]): the same configuration types plus what exists
//!   only in replies (counters, connection counts), so a request never
//!   carries fields the kernel ignores.
//! - [`proto`]: the protocol state machine ([`proto::Session`]): family
//!   resolution, sequence numbers, reply matching, dumps, acks, batches. No
//!   I/O: every handle drives the same session.
//! - [`handle`]: thin I/O front ends. [`Handle`] blocks;
//!   `handle::tokio::Handle` and `handle::smol::Handle` (features `tokio`,
//!   `smol`) have the same methods as `async fn`.
//!
//! # Guide
//!
//! Every IPVS command needs `CAP_NET_ADMIN` in the initial user namespace and
//! a kernel with the `ip_vs` module loaded. A handle acts on the network
//! namespace its socket was opened in.
//!
//! ## Services and real servers
//!
//! ```no_run
//! use ipvs_netlink::{Destination, ForwardMethod, Handle, Scheduler, Service, ServiceKey};
//!
//! # fn main() -> Result<(), ipvs_netlink::Error> {
//! let mut ipvs = Handle::new()?;
//! let key = ServiceKey::tcp("10.0.0.1:80".parse().unwrap());
//! ipvs.add_service(&Service::new(key, Scheduler::WeightedRoundRobin))?;
//! ipvs.add_destination(&key, &Destination::new("10.0.1.1:8080".parse().unwrap()).weight(3))?;
//! ipvs.add_destination(
//!     &key,
//!     &Destination::new("10.0.1.2:80".parse().unwrap()).forward(ForwardMethod::DirectRoute),
//! )?;
//! for listed in ipvs.list_destinations(&key)? {
//!     let stats = listed.counters().unwrap_or_default();
//!     let dest = &listed.dest; // the configuration, a `Destination`
//!     println!("{} weight {} conns {} active {}", dest.addr, dest.weight, stats.conns, listed.active_conns);
//! }
//! ipvs.delete_service(&key)?;
//! # Ok(()) }
//! ```
//!
//! ## Errors say what failed and why
//!
//! ```no_run
//! use ipvs_netlink::{ErrorKind, Handle, Scheduler, Service, ServiceKey};
//!
//! # fn main() -> Result<(), ipvs_netlink::Error> {
//! let mut ipvs = Handle::new()?;
//! let svc = Service::new(ServiceKey::udp("10.0.0.2:53".parse().unwrap()), Scheduler::RoundRobin);
//! match ipvs.add_service(&svc) {
//!     Ok(()) => {}
//!     Err(e) if matches!(e.kind(), ErrorKind::ServiceExists(_)) => println!("already there"),
//!     // e.g. "add service udp:10.0.0.2:53: permission denied: ..."
//!     Err(e) => return Err(e),
//! }
//! # Ok(()) }
//! ```
//!
//! ## Changing a service without clobbering it
//!
//! [`ServiceUpdate`] changes only what it names: the kernel would drop a bound
//! persistence engine and replace every flag on a plain SET, so the handle
//! reads the service first and sends a flag mask of just the changed bits.
//!
//! ```no_run
//! use ipvs_netlink::{FlagsChange, Handle, ServiceFlags, ServiceKey, ServiceUpdate};
//!
//! # fn main() -> Result<(), ipvs_netlink::Error> {
//! let mut ipvs = Handle::new()?;
//! let key = ServiceKey::udp("10.0.0.2:5060".parse().unwrap());
//! ipvs.update_service(&ServiceUpdate::new(key).flags(FlagsChange::set(ServiceFlags::SH_PORT)))?;
//! # Ok(()) }
//! ```
//!
//! ## Draining a real server
//!
//! SET_DEST replaces every field of a destination, so
//! `update_destination(&key, &Destination::new(addr).weight(0))` would also
//! make a direct-routing server masquerading. A [`DestinationUpdate`]
//! changes only what it names ([`Handle::update_destination_partial`] reads
//! the rest first), and [`Handle::drain`] builds on it: weight 0, then a
//! reading of the connection counts every poll interval, and the deletion
//! once no active or inactive connection and no persistence template is
//! left, or at the deadline anyway (reported as forced). The report carries
//! every reading and the known traps as [`drain::DrainWarning`] values
//! (`sh`/`mh` without their fallback flag, persistence with
//! `expire_quiescent_template=0`, `expire_nodest_conn=1`). For UDP a flow's
//! entry lives the UDP timeout after its last datagram: see [`drain`] for
//! what "no connections" means per protocol. [`Handle::drain_many`] drains
//! several destinations, of several services, with one listing per service
//! per poll.
//!
//! ```no_run
//! use std::time::Duration;
//! use ipvs_netlink::{DestinationUpdate, DrainOptions, DrainOutcome, Handle, ServiceKey};
//!
//! # fn main() -> Result<(), ipvs_netlink::Error> {
//! let mut ipvs = Handle::new()?;
//! let key = ServiceKey::tcp("10.0.0.1:80".parse().unwrap());
//! let server = "10.0.1.2:80".parse().unwrap();
//! // Halve its share, keeping forwarding, tunnel and thresholds.
//! ipvs.update_destination_partial(&key, &DestinationUpdate::new(server).weight(1))?;
//!
//! let options = DrainOptions::new().deadline(Duration::from_secs(120)).poll_interval(Duration::from_secs(2));
//! let report = ipvs.drain(&key, server, &options, |s| println!("{:?}: {}", s.elapsed, s.counts))?;
//! for w in &report.warnings {
//!     eprintln!("warning: {w}");
//! }
//! match report.outcome {
//!     DrainOutcome::Drained => println!("drained in {:?}", report.duration),
//!     DrainOutcome::Forced { remaining } => println!("deleted at the deadline with {remaining}"),
//!     DrainOutcome::Gone => println!("someone else deleted it"),
//! }
//! # Ok(()) }
//! ```
//!
//! ## Large updates: batches and reconcile
//!
//! [`Handle::batch`] sends many requests per system call (sized so the kernel
//! never drops a reply) and returns one result per request.
//! [`Handle::reconcile`] computes the fewest requests that turn the part of
//! the table a [`Scope`] owns into a desired one and applies them as a
//! batch.
//!
//! ```no_run
//! use std::time::Duration;
//! use ipvs_netlink::drain::DrainOptions;
//! use ipvs_netlink::{Destination, Handle, OnError, ReconcileOptions, Request, Scheduler, Scope, Service, ServiceKey};
//!
//! # fn main() -> Result<(), ipvs_netlink::Error> {
//! let mut ipvs = Handle::new()?;
//! let desired: Vec<(Service, Vec<Destination>)> = (1..=100u16)
//!     .map(|port| {
//!         let key = ServiceKey::tcp(format!("10.0.0.1:{port}").parse().unwrap());
//!         let dest = Destination::new(format!("10.0.1.1:{port}").parse().unwrap());
//!         (Service::new(key, Scheduler::RoundRobin), vec![dest])
//!     })
//!     .collect();
//! // Real servers no longer desired are drained: weight 0, then deleted once
//! // their connections end, or after 30 s.
//! let drain = DrainOptions::new().deadline(Duration::from_secs(30));
//! let report = ipvs.reconcile(&desired, &ReconcileOptions::new(Scope::all()).drain(drain))?;
//! println!("{} changes, {} failures", report.changes(), report.failures.len());
//! for d in &report.drains {
//!     println!("{} of {}: {:?} after {:?}", d.target.addr, d.target.service, d.outcome, d.duration);
//! }
//!
//! let results = ipvs.batch(vec![Request::Zero(None), Request::Flush], OnError::Stop);
//! assert!(results.iter().all(|r| r.is_ok()));
//! # Ok(()) }
//! ```
//!
//! ## A batch of thousands of requests built from a table
//!
//! A table from a file, a database or an orchestrator becomes one
//! [`Request`] per row (and one per new service), handed to
//! [`Handle::batch`] in one `Vec`: the handle packs as many per datagram as
//! the kernel can answer without dropping a reply ([`BatchLimits`]), and the
//! results come back one per request, in order, so each maps to its row.
//! The kernel applies the requests in order, so a service goes before its
//! destinations. 50,000 requests take about a second in the test bed's
//! guest and about 112 bytes each while queued. With
//! [`OnError::Continue`] every request is sent and each failure reported;
//! [`OnError::Stop`] sends no datagram after a failure (later requests
//! report [`ErrorKind::NotSent`]). To reach a desired table whatever it
//! holds now, [`Handle::reconcile`] computes the requests instead.
//!
//! ```no_run
//! use std::collections::BTreeSet;
//! use ipvs_netlink::{Destination, Handle, OnError, Request, Scheduler, Service, ServiceKey};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // One row per real server: virtual service, real server, weight.
//! let table = "10.0.0.1:80 10.0.1.1:8080 3\n10.0.0.1:80 10.0.1.2:8080 1\n10.0.0.2:443 10.0.1.3:8443 1\n";
//! let mut requests = Vec::new();
//! let mut rows = Vec::new(); // the line each request comes from
//! let mut services = BTreeSet::new();
//! for (n, line) in table.lines().enumerate() {
//!     let [vip, real, weight] = line.split_whitespace().collect::<Vec<_>>()[..] else {
//!         return Err(format!("line {}: want three fields", n + 1).into());
//!     };
//!     let key = ServiceKey::tcp(vip.parse()?);
//!     if services.insert(key) {
//!         requests.push(Request::AddService(Service::new(key, Scheduler::WeightedRoundRobin)));
//!         rows.push(n + 1);
//!     }
//!     let dest = Destination::new(real.parse()?).weight(weight.parse()?);
//!     requests.push(Request::AddDestination(key, dest));
//!     rows.push(n + 1);
//! }
//! let mut ipvs = Handle::new()?;
//! let results = ipvs.batch(requests, OnError::Continue);
//! for (line, result) in rows.iter().zip(&results) {
//!     if let Err(e) = result {
//!         eprintln!("line {line}: {e}"); // e.g. "add service tcp:10.0.0.1:80: service already exists (...)"
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! ## Rates from counters
//!
//! Listings carry each service's and destination's counters since the last
//! zero ([`Stats`]: connections, packets, bytes) and the kernel's rate
//! estimates (`cps`, `in_pps`, `in_bps`, ...). Both come from the kernel's
//! estimator, which passes every 2 s: it adds up the per-CPU counters into
//! the ones a listing shows (so they can be up to 2 s old) and moves each
//! estimate a quarter of the way to the last 2 s's rate (so the estimates
//! lag behind a change by several seconds). For the rate over an interval
//! of your own, read the counters twice and divide the change by the time
//! between the reads; with intervals well above 2 s the estimator's steps
//! matter little. [`ServiceEntry::counters`] gives the 64-bit counters
//! (kernels from 4.1), which do not wrap; a counter that went down was
//! reset ([`Handle::zero`], `ipvsadm -Z`, or the service was deleted and
//! added again), so the interval has no rate.
//!
//! ```no_run
//! use std::time::{Duration, Instant};
//! use ipvs_netlink::{Handle, ServiceKey, Stats};
//!
//! # fn main() -> Result<(), ipvs_netlink::Error> {
//! let mut ipvs = Handle::new()?;
//! let key = ServiceKey::tcp("10.0.0.1:80".parse().unwrap());
//! let mut read = || -> Result<(Instant, Stats), ipvs_netlink::Error> {
//!     let counters = ipvs.get_service(&key)?.counters().unwrap_or_default();
//!     Ok((Instant::now(), counters))
//! };
//! let (t0, before) = read()?;
//! std::thread::sleep(Duration::from_secs(10));
//! let (t1, after) = read()?;
//! let secs = (t1 - t0).as_secs_f64();
//! match (
//!     after.conns.checked_sub(before.conns),
//!     after.in_bytes.checked_sub(before.in_bytes),
//! ) {
//!     (Some(conns), Some(bytes)) => {
//!         println!("{:.1} conn/s, {:.0} bytes/s in", conns as f64 / secs, bytes as f64 / secs)
//!     }
//!     _ => println!("the counters were reset meanwhile"),
//! }
//! println!("the kernel's estimate: {} conn/s, {} bytes/s in", after.cps, after.in_bps);
//! # Ok(()) }
//! ```
//!
//! For a whole table, [`Handle::watch`] does this at every interval: it
//! lists the table, and each [`watch::PollReport`] has the configuration changes
//! since the listing before ([`watch::TableEvent`]) and every service's and
//! destination's counter growth and rates, or its reset
//! ([`watch::CounterChange`]); see [`watch`].
//!
//! ## Watching for changes
//!
//! IPVS sends no change notifications; [`Handle::watch`] polls. The first
//! poll is the baseline; each later one reports what changed, made by
//! anyone (`ipvsadm`, keepalived, kube-proxy), at most one interval late.
//!
//! ```no_run
//! use std::time::Duration;
//! use ipvs_netlink::Handle;
//!
//! # fn main() -> Result<(), ipvs_netlink::Error> {
//! let mut ipvs = Handle::new()?;
//! for poll in ipvs.watch(Duration::from_secs(2))?.take(30) {
//!     for event in poll?.events {
//!         println!("{event}"); // "destination 10.0.1.1:80 of tcp:10.0.0.1:80 changed: weight 3 -> 0"
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! ## Prometheus metrics
//!
//! With the feature `prometheus`, `Handle::scrape` lists the table and
//! writes it as an OpenMetrics exposition (prometheus-client): per service
//! and real server the 64-bit counters and the connection gauges, one
//! `service` label that never collides across kinds of keys, a cap on
//! series, and the scrape's own duration and consistency. See the
//! `metrics` module; `ipvsctl metrics` serves it over HTTP.
//!
//! ```no_run
//! # #[cfg(feature = "prometheus")]
//! # fn demo() -> Result<(), ipvs_netlink::Error> {
//! use ipvs_netlink::metrics::MetricsOptions;
//!
//! let mut ipvs = ipvs_netlink::Handle::new()?;
//! let scrape = ipvs.scrape(&MetricsOptions::new().netns("blue").max_series(100_000))?;
//! if !scrape.consistent {
//!     eprintln!("the table kept changing: a service may be missing");
//! }
//! print!("{}", scrape.text); // served as ipvs_netlink::metrics::CONTENT_TYPE
//! # Ok(()) }
//! ```
//!
//! ## Reconcile only what you own
//!
//! Other programs (keepalived, kube-proxy, Docker, a second controller)
//! often share the table. A [`Scope`] names what this caller owns: services
//! outside it are never read into the plan, changed or deleted, and a
//! desired service outside it is refused. Guards refuse the whole plan,
//! sending nothing: more deletions than `max_deletes`, or an empty desired
//! table (a configuration that failed to load, more often than a wish)
//! unless `delete_all` is asked for. [`Handle::reconcile_plan`] is the dry
//! run: the plan, sent nowhere, that [`Handle::apply_plan`] (or
//! [`Handle::batch`] and [`ReconcileReport::from_results`]) carries out.
//!
//! ```no_run
//! use ipvs_netlink::{Destination, ErrorKind, Handle, Protocol, ReconcileError, ReconcileOptions};
//! use ipvs_netlink::{Scheduler, Scope, Service};
//!
//! # fn main() -> Result<(), ipvs_netlink::Error> {
//! let mut ipvs = Handle::new()?;
//! // This controller owns TCP services on 10.0.0.0/24 and marks 100..=199.
//! let scope = Scope::new()
//!     .prefix("10.0.0.0/24".parse().unwrap())
//!     .protocol(Protocol::Tcp)
//!     .fwmarks(100..=199);
//! let options = ReconcileOptions::new(scope).max_deletes(20);
//! let web = Service::new("tcp:10.0.0.1:80".parse().unwrap(), Scheduler::WeightedRoundRobin);
//! let desired = vec![(web, vec![Destination::new("10.0.1.1:80".parse().unwrap()).weight(3)])];
//!
//! let plan = ipvs.reconcile_plan(&desired, &options)?;
//! for step in plan.steps() {
//!     println!("would {step}"); // e.g. "would add service tcp:10.0.0.1:80"
//! }
//! let report = ipvs.apply_plan(plan);
//! assert!(report.failures.is_empty());
//!
//! // An empty table is refused, nothing sent, unless asked for.
//! match ipvs.reconcile(&[], &options) {
//!     Err(e) if matches!(e.kind(), ErrorKind::Reconcile(ReconcileError::EmptyDesired { .. })) => {}
//!     other => panic!("{other:?}"),
//! }
//! ipvs.reconcile(&[], &options.delete_all(true))?;
//! # Ok(()) }
//! ```
//!
//! ## Async
//!
//! ```no_run
//! # #[cfg(feature = "tokio")]
//! # async fn demo() -> Result<(), ipvs_netlink::Error> {
//! use ipvs_netlink::handle::tokio::Handle;
//!
//! let mut ipvs = Handle::new().await?;
//! for listed in ipvs.list_services().await? {
//!     println!("{} {}", listed.service.key, listed.service.scheduler);
//! }
//! # Ok(()) }
//! ```
//!
//! ## Another network namespace
//!
//! ```no_run
//! use ipvs_netlink::{Config, Handle, Netns};
//!
//! # fn main() -> Result<(), ipvs_netlink::Error> {
//! // The socket is made inside "blue"; the calling thread never moves.
//! let mut blue = Handle::with_config(Config { netns: Netns::Named("blue".into()), ..Default::default() })?;
//! println!("{} services in blue", blue.list_services()?.len());
//! # Ok(()) }
//! ```
//!
//! ## The wire layer on its own
//!
//! Requests and replies are plain values; no socket is needed to build or
//! read them.
//!
//! ```
//! use ipvs_netlink::wire::{Command, IpvsAttr, IpvsMessage};
//! use ipvs_netlink::{Request, Scheduler, Service, ServiceEntry, ServiceKey};
//!
//! let svc = Service::new(ServiceKey::tcp("10.0.0.1:80".parse().unwrap()), Scheduler::RoundRobin);
//! let (command, attrs) = Request::AddService(svc.clone()).encode().unwrap();
//! let mut bytes = Vec::new();
//! IpvsMessage::new(command, attrs).unwrap().emit_genl(&mut bytes);
//!
//! let parsed = IpvsMessage::parse_genl(&bytes).unwrap();
//! assert_eq!(parsed.command(), Command::NewService);
//! let IpvsAttr::Service(nest) = &parsed.attrs()[0] else { unreachable!() };
//! // Read as a reply nest: the configuration, and no counters in a request.
//! assert_eq!(ServiceEntry::from_attrs(nest).unwrap(), ServiceEntry::new(svc));
//! ```
//!
//! ## Deadlines and limits on a call
//!
//! Three settings bound what a call may cost ([`Config`]):
//! - [`Config::timeout`], the silence timer (10 s by default): how long the
//!   kernel may say nothing that answers a waiting request. Only such answers
//!   restart it, so stale or foreign datagrams cannot keep a call alive, and
//!   a dump that keeps arriving is not cut. A duration too large for the
//!   clock means no limit.
//! - [`Config::deadline`] (off by default): how long one call may take in
//!   all, a whole listing or batch included, however busy the kernel is
//!   ([`ErrorKind::DeadlineExceeded`]).
//! - [`Config::max_dump_entries`] (off by default): how many entries one dump
//!   may collect ([`ErrorKind::DumpTooLarge`]), so that a huge table cannot
//!   take the caller's memory.
//!
//! ```no_run
//! use std::time::Duration;
//! use ipvs_netlink::{Config, ErrorKind, Handle};
//!
//! # fn main() -> Result<(), ipvs_netlink::Error> {
//! let mut ipvs = Handle::with_config(Config {
//!     timeout: Duration::from_secs(2),
//!     deadline: Some(Duration::from_secs(30)),
//!     max_dump_entries: Some(100_000),
//!     ..Default::default()
//! })?;
//! match ipvs.list_table() {
//!     Ok(table) => println!("{} services", table.len()),
//!     Err(e) if matches!(e.kind(), ErrorKind::DumpTooLarge(_)) => println!("too large: {e}"),
//!     Err(e) => return Err(e),
//! }
//! # Ok(()) }
//! ```
//!
//! ## Connections and sysctls
//!
//! Two things have no netlink command: the connection table and the IPVS
//! sysctls. [`conn::read_conns`] streams a namespace's connection table as
//! typed entries (a line at a time, so a million connections are never
//! held unless collected); [`sysctl::read_sysctls`] and
//! [`sysctl::write_sysctls`] read and set its sysctls, each value checked
//! against the kernel's range first. Both take a [`Netns`]; the calling
//! thread never changes namespace.
//!
//! ```no_run
//! use ipvs_netlink::conn::{read_conns, ConnTable};
//! use ipvs_netlink::sysctl::{read_sysctls, write_sysctls, KernelVersion, Preset};
//! use ipvs_netlink::{Netns, ServiceKey};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let blue = Netns::Named("blue".into());
//! let web = ServiceKey::tcp("10.0.0.1:80".parse().unwrap());
//! for entry in read_conns(&blue, ConnTable::Sync)?.service(web) {
//!     let e = entry?;
//!     println!("{} -> {} {} {:?} {:?}", e.client, e.dest, e.state, e.expires, e.origin);
//! }
//! write_sysctls(&blue, &Preset::KubeProxy.sysctls(KernelVersion::running()?))?;
//! println!("conn_reuse_mode {:?}", read_sysctls(&blue)?.conn_reuse_mode);
//! # Ok(()) }
//! ```
//!
//! # Guarantees
//!
//! - Every wait for the kernel ends: by the silence timer with
//!   [`ErrorKind::Timeout`], or by the call's deadline with
//!   [`ErrorKind::DeadlineExceeded`]. A handle whose socket broke reconnects
//!   before its next call, in the namespace it was made in (pinned as an open
//!   file when the handle was made).
//! - Replies are taken only from the kernel: the socket is connected to it,
//!   and the session also checks the sender (port 0) and the sequence number
//!   of a pending request; anything else is dropped and counted
//!   ([`proto::SessionStats`]).
//! - A request that was sent and whose answer was lost (a receive buffer
//!   overrun, a deadline, a broken socket) ends as [`ErrorKind::Unconfirmed`]
//!   (a query or dump: [`ErrorKind::Overrun`], `Timeout`...), never as a
//!   false success or failure; a batch then goes on over a new socket, or
//!   stops with [`OnError::Stop`].
//! - An async call may be cancelled (its future dropped): the next call
//!   reconnects first, so its results are exact.
//! - Dumps are de-duplicated. IPVS dumps page by index and never flag a
//!   table that changed mid-dump, so an entry can still be skipped; use
//!   [`Handle::list_services_consistent`] or
//!   [`Handle::list_table_consistent`] when that matters
//!   ([`Handle::reconcile`] does).
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod conn;
pub mod drain;
mod error;
pub mod handle;
#[cfg(feature = "prometheus")]
#[cfg_attr(docsrs, doc(cfg(feature = "prometheus")))]
pub mod metrics;
pub mod model;
mod procfs;
pub mod proto;
pub mod reconcile;
pub mod sysctl;
#[cfg(any(test, feature = "test-support"))]
#[doc(hidden)]
pub mod testing;
pub mod watch;
pub mod wire;

pub use crate::proto::{BatchLimits, OnError, Reply, Request};
pub use drain::{DrainOptions, DrainOutcome, DrainReport, DrainTarget};
pub use error::{ConfigError, Error, ErrorKind, KernelError, NetnsError, Operation, Result};
pub use handle::{Config, Handle, Netns};
pub use model::*;
pub use reconcile::{
    Change, Plan, Prefix, ReconcileError, ReconcileOptions, ReconcileReport, Scope,
};

/// The README's examples, compiled and run as doc tests so that they cannot
/// fall behind the crate.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

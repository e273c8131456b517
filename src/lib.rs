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
//! - [`core`]: the protocol state machine ([`core::Session`]): family
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
//! ## Large updates: batches and reconcile
//!
//! [`Handle::batch`] sends many requests per system call (sized so the kernel
//! never drops a reply) and returns one result per request.
//! [`Handle::reconcile`] computes the fewest requests that turn the current
//! table into a desired one and applies them as a batch.
//!
//! ```no_run
//! use ipvs_netlink::{Destination, Handle, OnError, ReconcileOptions, Request, Scheduler, Service, ServiceKey};
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
//! let report = ipvs.reconcile(&desired, ReconcileOptions { drain: true })?;
//! println!("{} changes, {} failures", report.changes(), report.failures.len());
//!
//! let results = ipvs.batch(vec![Request::Zero(None), Request::Flush], OnError::Stop);
//! assert!(results.iter().all(|r| r.is_ok()));
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
//! - Every wait for the kernel ends by [`Config::timeout`] with
//!   [`ErrorKind::Timeout`]; a handle can [`Handle::reconnect`].
//! - Replies are taken only from the kernel (sender port 0) with the sequence
//!   number of a pending request; anything else is dropped and counted
//!   ([`core::SessionStats`]).
//! - A receive buffer overrun (ENOBUFS) fails the affected requests with
//!   [`ErrorKind::Overrun`] instead of returning a short result.
//! - Dumps are de-duplicated. IPVS dumps page by index and never flag a
//!   table that changed mid-dump, so an entry can still be skipped; use
//!   [`Handle::list_services_consistent`] or
//!   [`Handle::list_table_consistent`] when that matters
//!   ([`Handle::reconcile`] does).
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod conn;
pub mod core;
mod error;
pub mod handle;
pub mod model;
mod procfs;
pub mod reconcile;
pub mod sysctl;
pub mod wire;

pub use crate::core::{BatchLimits, OnError, Reply, Request};
pub use error::{Error, ErrorKind, KernelError, Operation, Result};
pub use handle::{Config, Handle, Netns};
pub use model::*;
pub use reconcile::{ReconcileOptions, ReconcileReport};

//! Tests against a real IPVS kernel. `cargo xtask test` runs them inside
//! Debian kernels booted under QEMU; as root on a host with IPVS they run
//! directly (each in its own network namespace).

#[path = "../common/mod.rs"]
mod common;

mod async_tour;
mod batch;
mod concurrency;
mod config;
mod conns;
mod daemons;
mod destinations;
mod drain;
mod drain_protocols;
mod errors;
mod examples;
mod hardening;
mod ipvsadm;
mod ipvsadm_compat;
mod ipvsctl;
mod ipvsctl_conns_sysctl;
mod metrics;
mod netns;
mod reconcile_scope;
mod services;
mod sysctl;
mod watch;

//! Control the Linux IP Virtual Server (IPVS) over generic netlink.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_auto_cfg))]

pub mod model;
pub mod wire;

pub use model::*;
pub mod core;
mod error;

pub use crate::core::{Reply, Request};
pub use error::{Error, ErrorKind, KernelError, Operation, Result};
pub mod handle;
pub mod reconcile;

pub use crate::core::{BatchLimits, OnError};
pub use handle::{Config, Handle, Netns};
pub use reconcile::{ReconcileOptions, ReconcileReport};

//! The protocol core: requests, replies and the session state machine, with
//! no I/O. Every handle drives the same [`Session`].

mod batch;
mod collect;
pub mod consistency;
pub(crate) mod consistent_listing;
pub(crate) mod dump_pages;
mod fast_hash;
mod reply;
mod request;
mod session;
mod silent;

pub use batch::{BatchLimits, BatchRun, OnError, DUMP_COST, REPLY_TRUESIZE};
pub use collect::SessionStats;
pub use reply::Reply;
pub use request::Request;
pub use session::{Session, Token};

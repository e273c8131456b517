//! The protocol core: requests, replies and the session state machine, with
//! no I/O. Every handle drives the same [`Session`].

mod batch;
pub mod consistency;
mod request;
mod reply;
mod session;

pub use batch::{BatchLimits, BatchRun, OnError, REPLY_TRUESIZE};
pub use request::Request;
pub use reply::Reply;
pub use session::{Session, SessionStats, Token};

//! Handles: the thin I/O layers over the protocol core. One driver runs the
//! session for every handle over a [`Transport`]: the blocking [`Handle`]
//! (always there) blocks in `poll`, the async handles (features `tokio` and
//! `smol`) await their runtime's reactor.

// The blocking handle is made of the async one, which is exported only
// with an async runtime's feature.
#[cfg_attr(not(any(feature = "tokio", feature = "smol")), allow(unreachable_pub))]
mod async_handle;
mod block_on;
mod blocking;
mod config;
mod drain_support;
mod driver;
#[cfg(feature = "prometheus")]
mod metrics;
pub(crate) mod netns;
#[cfg(feature = "smol")]
pub mod smol;
mod socket;
#[cfg(feature = "tokio")]
pub mod tokio;
mod transport;
#[cfg(any(feature = "tokio", feature = "smol"))]
mod unfold;
mod watch;

#[cfg(any(feature = "tokio", feature = "smol"))]
pub use async_handle::AsyncHandle;
pub use blocking::Handle;
pub use config::{Config, DEFAULT_RECEIVE_BUFFER};
pub use netns::Netns;
pub use transport::Transport;
#[cfg(any(feature = "tokio", feature = "smol"))]
pub use watch::AsyncWatch;
pub use watch::Watch;

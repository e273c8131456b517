//! Handles: the thin I/O layers over the protocol core. The blocking
//! [`Handle`] is always there; async handles come with the `tokio` and `smol`
//! features.

#[cfg(any(feature = "tokio", feature = "smol"))]
mod async_handle;
mod blocking;
mod drain_support;
mod methods;
mod netns;
#[cfg(feature = "smol")]
pub mod smol;
mod socket;
#[cfg(feature = "tokio")]
pub mod tokio;

#[cfg(any(feature = "tokio", feature = "smol"))]
pub use async_handle::{AsyncHandle, Transport};
pub use blocking::Handle;
pub use netns::Netns;
pub use socket::Config;

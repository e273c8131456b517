//! What a watch refuses.

use std::time::Duration;

/// A watch's input that cannot give a meaningful poll; nothing is listed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WatchError {
    /// The interval between polls is 0: the kernel would be listed without
    /// pause.
    #[error("a watch's interval must be above 0")]
    ZeroInterval,
    /// A listing was given a time no later than the one before it, so no
    /// rate can be computed over the interval between them.
    #[error("a listing's time must be later than the previous one's (it was {behind:?} behind)")]
    TimeNotAdvancing {
        /// How far the time given is before (or 0: at) the previous one.
        behind: Duration,
    },
}

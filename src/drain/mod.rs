//! Draining real servers: weight 0, wait until their connections are gone,
//! then delete them. This module is the plan and its bookkeeping, with no
//! I/O; the handles' [`drain`](crate::Handle::drain) and
//! [`drain_many`](crate::Handle::drain_many) list, sleep and send.
//!
//! # What "gone" means
//!
//! A destination is drained when the kernel counts no active connection, no
//! inactive connection and no persistence template for it (the
//! [`DestinationEntry`](crate::DestinationEntry)'s `active_conns`,
//! `inactive_conns` and `persist_conns` are all 0). The kernel counts every
//! new connection entry as inactive first; per protocol:
//!
//! - **TCP**: an established connection is active; one being opened or
//!   closed is inactive until its entry expires (`TIME_WAIT` and `FIN_WAIT`
//!   entries live 2 minutes by default, the FIN timeout of
//!   [`Timeouts`](crate::Timeouts); a reset connection 10 s).
//! - **SCTP**: as TCP, by the SCTP states: an established association is
//!   active; once shut down (or aborted) its entry is `CLOSED`, counted
//!   inactive, until it expires. On Debian's 6.1 kernel that took about a
//!   minute in this crate's tests (`ipvsadm -Lnc` still showed 20 s to go
//!   40 s after the shutdown), so an SCTP drain usually ends by its
//!   deadline unless that is over a minute.
//! - **UDP**: has no states, so every entry is inactive, and it ends only
//!   when it expires: the UDP timeout (default 300 s, [`Timeouts::udp`](crate::Timeouts))
//!   after the last datagram of that flow. A UDP destination is drained once
//!   its clients stopped sending for that long; a deadline shorter than the
//!   UDP timeout is reported ([`DrainWarning::UdpTimeoutBeyondDeadline`]).
//!   Services with one-packet scheduling (`ONE_PACKET`) keep no entries, so
//!   they drain at the first poll.
//! - **Persistence**: a persistent service keeps a template per client for
//!   its persistence timeout after the client's last connection ended; they
//!   count as `persist_conns`, and the drain waits for them too.
//!
//! Past the [deadline](DrainOptions::deadline) the destination is deleted
//! anyway, and its report says [`DrainOutcome::Forced`] with what was left.

mod options;
mod report;
mod run;
mod warning;

pub use options::DrainOptions;
pub use report::{ConnectionCounts, DrainOutcome, DrainReport, DrainSample, DrainTarget};
pub use run::DrainRun;
pub use warning::{DrainWarning, VsSysctls};

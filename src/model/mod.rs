//! The typed model: services, destinations, schedulers, flags, daemons,
//! timeouts and info, with the kernel's limits checked before sending.

mod build_error;
#[cfg(test)]
mod captured_nests;
mod daemon;
mod destination;
mod destination_entry;
mod destination_update;
mod family;
mod flags;
mod info;
mod key_notation;
mod parse_back;
mod scheduler;
#[cfg(feature = "serde")]
mod serde_forms;
mod service;
mod service_entry;
mod service_key;
mod stats;
mod timeouts;

pub use build_error::BuildError;
pub use daemon::{DaemonRole, SyncDaemon, IFNAME_MAX};
pub use destination::{Destination, ForwardMethod, GueChecksum, RawForward, RawTunnel, Tunnel};
pub use destination_entry::DestinationEntry;
pub use destination_update::DestinationUpdate;
pub use family::{inet_addr_bytes, Family};
pub use flags::{FlagsChange, ServiceFlags};
pub use info::{Info, Version};
pub use key_notation::{KeyTextError, ParseKeyError};
pub use scheduler::{Scheduler, SCHEDULER_NAME_MAX};
pub use service::{Netmask, PeChange, Service, ServiceUpdate, PE_NAME_MAX};
pub use service_entry::ServiceEntry;
pub use service_key::{Protocol, ServiceKey};
pub use stats::Stats;
pub use timeouts::Timeouts;

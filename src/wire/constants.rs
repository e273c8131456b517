//! Numbers from the kernel's `include/uapi/linux/ip_vs.h`, as they appear on
//! the wire.

/// Name of the generic netlink family.
pub const IPVS_GENL_NAME: &str = "IPVS";
/// Version of the generic netlink family.
pub const IPVS_GENL_VERSION: u8 = 1;

// The attribute numbers are described once, with their sets: each module
// is made with its set's enum, parser and writer.
pub use super::daemon::daemon_attr;
pub use super::dest::dest_attr;
pub use super::message::{cmd_attr, info_attr};
pub use super::service::svc_attr;
pub use super::stats::stats_attr;

/// Address families.
pub mod af {
    /// IPv4.
    pub const INET: u16 = 2;
    /// IPv6.
    pub const INET6: u16 = 10;
}

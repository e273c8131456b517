//! Errors of building a request from the typed model: what the kernel would
//! otherwise answer with a bare EINVAL or ERANGE.

use std::net::IpAddr;

use super::Family;

use crate::wire::EncodeError;

/// A value the kernel would refuse, caught before anything is sent. Each
/// variant names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// `scheduler`: empty, longer than 15 bytes, or with a NUL byte.
    #[error("scheduler name {name:?} is invalid: must be 1 to 15 bytes without NUL")]
    SchedulerName {
        /// The name given.
        name: String,
    },
    /// `persistence_engine`: empty, longer than 16 bytes, or with a NUL byte.
    #[error("persistence engine name {name:?} is invalid: must be 1 to 16 bytes without NUL")]
    PersistenceEngineName {
        /// The name given.
        name: String,
    },
    /// `interface`: empty, longer than 15 bytes, or with a NUL byte.
    #[error("interface name {name:?} is invalid: must be 1 to 15 bytes without NUL")]
    InterfaceName {
        /// The name given.
        name: String,
    },
    /// `key.mark`: a firewall mark of 0 would select a TCP service at 0.0.0.0:0.
    #[error("firewall mark 0 is not a valid service key")]
    ZeroFwMark,
    /// `netmask`: an IPv6 prefix length outside 1..=128.
    #[error("IPv6 prefix length {0} is outside 1..=128")]
    Ipv6Prefix(u8),
    /// `netmask`: of the other address family than the service.
    #[error("netmask of family {netmask} on a service of family {service}")]
    NetmaskFamily {
        /// The service's family.
        service: Family,
        /// The netmask's family.
        netmask: Family,
    },
    /// `weight`: above `i32::MAX` (the kernel reads it as a signed int).
    #[error("weight {0} is above {max}", max = i32::MAX)]
    Weight(u32),
    /// `upper_threshold` above `i32::MAX` (kernels from mid-2026 read it as a
    /// signed int and answer EINVAL).
    #[error("upper threshold {0} is above {max}", max = i32::MAX)]
    UpperThreshold(u32),
    /// `lower_threshold` above `i32::MAX` (kernels from mid-2026 read it as a
    /// signed int and answer EINVAL).
    #[error("lower threshold {0} is above {max}", max = i32::MAX)]
    LowerThreshold(u32),
    /// `lower_threshold` above `upper_threshold` (0 upper means no limit, but
    /// the kernel still refuses a lower threshold above it).
    #[error("lower threshold {lower} is above upper threshold {upper}")]
    Thresholds {
        /// Lower threshold.
        lower: u32,
        /// Upper threshold.
        upper: u32,
    },
    /// `forward`: a GUE tunnel needs a port other than 0.
    #[error("a GUE tunnel needs a non-zero port")]
    GueWithoutPort,
    /// `addr`: a destination of another family than its service needs tunnel
    /// forwarding.
    #[error(
        "destination {dest} is {dest_family} but the service is {service}: \
         mixed families need tunnel forwarding"
    )]
    FamilyMismatch {
        /// The destination address.
        dest: IpAddr,
        /// Its family.
        dest_family: Family,
        /// The service's family.
        service: Family,
    },
    /// `group`: a sync daemon group that is not a multicast address.
    #[error("sync daemon group {0} is not a multicast address")]
    DaemonGroup(IpAddr),
    /// A value with two encodings where only the canonical one round-trips
    /// (for example `Tunnel::Other` holding a known tunnel).
    #[error("non-canonical value: {0}")]
    NonCanonical(String),
    /// `stats`: a counter of the 32-bit `STATS` nest above `u32::MAX`.
    #[error("counter {0} does not fit the 32-bit STATS nest")]
    Stats32(u64),
    /// A partial service update where the batch cannot read the current
    /// service first.
    #[error(
        "service update for {0} leaves fields to read from the kernel; \
         a batch needs a complete update (ServiceUpdate::replace)"
    )]
    IncompleteUpdate(String),
    /// `poll_interval` of a drain: 0 would poll the kernel without pause.
    #[error("a drain's poll interval must be above 0")]
    DrainPollInterval,
    /// A length that its netlink length field cannot hold.
    #[error(transparent)]
    Encode(#[from] EncodeError),
}

//! Why reading or setting an IPVS sysctl failed.

use std::io;

use super::knobs::Knob;
use super::value::Range;

/// An error reading or setting IPVS sysctls. Each case says what to do:
/// a knob this kernel lacks, a value out of the knob's range (nothing was
/// written), missing permission, a namespace whose sysctls are hidden, and
/// a value the kernel refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SysctlError {
    /// The network namespace could not be opened or entered.
    #[error(transparent)]
    Netns(#[from] crate::NetnsError),
    /// Neither the sysctls nor `/proc/net/ip_vs` exist in the namespace:
    /// IPVS is not loaded (`modprobe ip_vs`).
    #[error("IPVS is not loaded: /proc/sys/net/ipv4/vs does not exist")]
    NotLoaded,
    /// IPVS is loaded but the namespace shows none of its sysctls: kernels
    /// before 6.10 hide them in a network namespace owned by a user
    /// namespace other than the initial one (an unprivileged container).
    /// From 6.10 on they are shown there, `sync_qlen_max`,
    /// `sync_sock_size`, `run_estimation`, `est_cpulist` and `est_nice`
    /// read-only ([`SysctlError::PermissionDenied`] on write).
    #[error("the IPVS sysctls are hidden in this network namespace (it is owned by an unprivileged user namespace; kernels from 6.10 on show them)")]
    Hidden,
    /// A name that is not an IPVS sysctl this crate knows.
    #[error("unknown IPVS sysctl {0:?}")]
    UnknownKnob(String),
    /// The knob does not exist on this kernel (too old or too new, or its
    /// scheduler module is not loaded).
    #[error("net.ipv4.vs.{0} does not exist on this kernel")]
    Missing(Knob),
    /// The text is not a value of the knob's type.
    #[error("{text:?} is not a value of net.ipv4.vs.{knob} ({})", .knob.range())]
    InvalidValue {
        /// The knob.
        knob: Knob,
        /// The text given.
        text: String,
    },
    /// The value is outside what the kernel takes; nothing was written.
    #[error("net.ipv4.vs.{knob} = {value} is out of range: the kernel takes {range}")]
    OutOfRange {
        /// The knob.
        knob: Knob,
        /// The value, as it would have been written.
        value: String,
        /// What the knob takes.
        range: Range,
    },
    /// EACCES or EPERM: writing needs root (CAP_NET_ADMIN over the
    /// namespace), and some knobs are read-only in some namespaces.
    #[error("permission denied on net.ipv4.vs.{knob}: {source}")]
    PermissionDenied {
        /// The knob.
        knob: Knob,
        /// The error.
        #[source]
        source: io::Error,
    },
    /// EINVAL or ERANGE on write: the kernel refused the value (one this
    /// crate's range check passed, such as a CPU that does not exist).
    #[error("the kernel refused net.ipv4.vs.{knob} = {value}")]
    Refused {
        /// The knob.
        knob: Knob,
        /// The value written.
        value: String,
    },
    /// The kernel printed a value this crate cannot read.
    #[error("cannot read net.ipv4.vs.{knob}: unexpected text {text:?}")]
    Unreadable {
        /// The knob.
        knob: Knob,
        /// The text.
        text: String,
    },
    /// Another I/O error on a knob's file (`None`: on the directory).
    #[error("I/O error on net.ipv4.vs.{}: {source}", .knob.map_or("*", |k| k.name()))]
    Io {
        /// The knob, if one.
        knob: Option<Knob>,
        /// The error.
        #[source]
        source: io::Error,
    },
}

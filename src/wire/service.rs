//! Attributes of the service nest (`IPVS_SVC_ATTR_*`).

use super::attr_set::{attr_nest, attr_set, Addr, Be16, FlagsMask, NestOf, Raw4, Str, U16, U32};
use super::stats::{Stats32Attr, Stats64Attr};

attr_set! {
    /// One attribute inside a `SERVICE` nest, decoded with the byte order the
    /// kernel uses for it.
    pub enum ServiceAttr [] [];
    /// A [`ServiceAttr`] borrowed from a payload or from the enum.
    ref ServiceRef;
    /// Attributes inside a service nest (`IPVS_SVC_ATTR_*`).
    pub mod svc_attr {
        /// Address family, u16 host order.
        AF = 1, "af" =>
            /// Address family (2 or 10).
            AddressFamily(u16): U16,
        /// IP protocol, u16 host order.
        PROTOCOL = 2, "protocol" =>
            /// IP protocol number.
            Protocol(u16): U16,
        /// Virtual address, up to 16 raw bytes.
        ADDR = 3, "addr" =>
            /// Virtual address, network order, as many bytes as sent (the kernel
            /// sends 16).
            Address(Vec<u8>): Addr,
        /// Virtual port, big-endian u16.
        PORT = 4, "port" =>
            /// Virtual port (big-endian on the wire).
            Port(u16): Be16,
        /// Firewall mark, u32 host order.
        FWMARK = 5, "fwmark" =>
            /// Firewall mark.
            FwMark(u32): U32,
        /// Scheduler name, NUL-terminated.
        SCHED_NAME = 6, "sched_name" =>
            /// Scheduler name.
            SchedName(String): Str,
        /// `struct ip_vs_flags { flags, mask }`, host order.
        FLAGS = 7, "flags" =>
            /// Service flags and the mask of the bits to change.
            Flags {
                /// Flag bits.
                flags: u32,
                /// Which bits of `flags` apply.
                mask: u32,
            }: FlagsMask,
        /// Persistence timeout, seconds.
        TIMEOUT = 8, "timeout" =>
            /// Persistence timeout in seconds.
            Timeout(u32): U32,
        /// IPv4 netmask (raw) or IPv6 prefix length (host order).
        NETMASK = 9, "netmask" =>
            /// The four raw netmask bytes: an IPv4 mask, or an IPv6 prefix length in
            /// host order.
            Netmask([u8; 4]): Raw4,
        /// 32-bit statistics nest.
        STATS = 10, "stats" =>
            /// 32-bit statistics.
            Stats(Vec<Stats32Attr>): NestOf<Stats32Attr>,
        /// Persistence engine name.
        PE_NAME = 11, "pe_name" =>
            /// Persistence engine name.
            PeName(String): Str,
        /// 64-bit statistics nest.
        STATS64 = 12, "stats64" =>
            /// 64-bit statistics.
            Stats64(Vec<Stats64Attr>): NestOf<Stats64Attr>,
    }
}

attr_nest!([] [] ServiceAttr, ServiceRef, svc_attr, "`SERVICE`");

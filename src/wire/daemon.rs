//! Attributes of the sync daemon nest (`IPVS_DAEMON_ATTR_*`).

use super::attr_set::{attr_nest, attr_set, Raw16, Raw4, Str, U16, U32, U8};

attr_set! {
    /// One attribute inside a `DAEMON` nest.
    pub enum DaemonAttr [] [];
    /// A [`DaemonAttr`] borrowed from a payload or from the enum.
    ref DaemonRef;
    /// Attributes inside a sync daemon nest (`IPVS_DAEMON_ATTR_*`).
    pub mod daemon_attr {
        /// 1 master, 2 backup.
        STATE = 1, "state" =>
            /// 1 master, 2 backup.
            State(u32): U32,
        /// Multicast interface name.
        MCAST_IFN = 2, "mcast_ifn" =>
            /// Multicast interface name.
            McastIfn(String): Str,
        /// Sync id.
        SYNC_ID = 3, "sync_id" =>
            /// Sync id.
            SyncId(u32): U32,
        /// Maximum sync message length, u16.
        SYNC_MAXLEN = 4, "sync_maxlen" =>
            /// Maximum sync message length.
            SyncMaxLen(u16): U16,
        /// IPv4 multicast group, network order.
        MCAST_GROUP = 5, "mcast_group" =>
            /// IPv4 multicast group (network order bytes).
            McastGroup([u8; 4]): Raw4,
        /// IPv6 multicast group, 16 bytes.
        MCAST_GROUP6 = 6, "mcast_group6" =>
            /// IPv6 multicast group.
            McastGroup6([u8; 16]): Raw16,
        /// Multicast port, u16 **host** order.
        MCAST_PORT = 7, "mcast_port" =>
            /// Multicast port (host order on the wire).
            McastPort(u16): U16,
        /// Multicast TTL, u8.
        MCAST_TTL = 8, "mcast_ttl" =>
            /// Multicast TTL.
            McastTtl(u8): U8,
    }
}

attr_nest!([] [] DaemonAttr, DaemonRef, daemon_attr, "`DAEMON`");

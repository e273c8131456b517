//! Numbers from the kernel's `include/uapi/linux/ip_vs.h`, as they appear on
//! the wire.

/// Name of the generic netlink family.
pub const IPVS_GENL_NAME: &str = "IPVS";
/// Version of the generic netlink family.
pub const IPVS_GENL_VERSION: u8 = 1;

/// Top-level attributes (`IPVS_CMD_ATTR_*`).
pub mod cmd_attr {
    /// Nest of service attributes.
    pub const SERVICE: u16 = 1;
    /// Nest of destination attributes.
    pub const DEST: u16 = 2;
    /// Nest of sync daemon attributes.
    pub const DAEMON: u16 = 3;
    /// TCP established timeout, seconds.
    pub const TIMEOUT_TCP: u16 = 4;
    /// TCP FIN_WAIT timeout, seconds.
    pub const TIMEOUT_TCP_FIN: u16 = 5;
    /// UDP timeout, seconds.
    pub const TIMEOUT_UDP: u16 = 6;
}

/// Top-level attributes of a GET_INFO reply (`IPVS_INFO_ATTR_*`).
pub mod info_attr {
    /// `IP_VS_VERSION_CODE`.
    pub const VERSION: u16 = 1;
    /// Size of the connection hash table.
    pub const CONN_TAB_SIZE: u16 = 2;
}

/// Attributes inside a service nest (`IPVS_SVC_ATTR_*`).
pub mod svc_attr {
    /// Address family, u16 host order.
    pub const AF: u16 = 1;
    /// IP protocol, u16 host order.
    pub const PROTOCOL: u16 = 2;
    /// Virtual address, up to 16 raw bytes.
    pub const ADDR: u16 = 3;
    /// Virtual port, big-endian u16.
    pub const PORT: u16 = 4;
    /// Firewall mark, u32 host order.
    pub const FWMARK: u16 = 5;
    /// Scheduler name, NUL-terminated.
    pub const SCHED_NAME: u16 = 6;
    /// `struct ip_vs_flags { flags, mask }`, host order.
    pub const FLAGS: u16 = 7;
    /// Persistence timeout, seconds.
    pub const TIMEOUT: u16 = 8;
    /// IPv4 netmask (raw) or IPv6 prefix length (host order).
    pub const NETMASK: u16 = 9;
    /// 32-bit statistics nest.
    pub const STATS: u16 = 10;
    /// Persistence engine name.
    pub const PE_NAME: u16 = 11;
    /// 64-bit statistics nest.
    pub const STATS64: u16 = 12;
}

/// Attributes inside a destination nest (`IPVS_DEST_ATTR_*`).
pub mod dest_attr {
    /// Real server address, up to 16 raw bytes.
    pub const ADDR: u16 = 1;
    /// Real server port, big-endian u16.
    pub const PORT: u16 = 2;
    /// Forwarding method, u32.
    pub const FWD_METHOD: u16 = 3;
    /// Weight, u32 read as a signed int.
    pub const WEIGHT: u16 = 4;
    /// Upper connection threshold.
    pub const U_THRESH: u16 = 5;
    /// Lower connection threshold.
    pub const L_THRESH: u16 = 6;
    /// Active connections (output).
    pub const ACTIVE_CONNS: u16 = 7;
    /// Inactive connections (output).
    pub const INACT_CONNS: u16 = 8;
    /// Persistence templates (output).
    pub const PERSIST_CONNS: u16 = 9;
    /// 32-bit statistics nest (output).
    pub const STATS: u16 = 10;
    /// Address family of the destination, u16.
    pub const ADDR_FAMILY: u16 = 11;
    /// 64-bit statistics nest (output).
    pub const STATS64: u16 = 12;
    /// Tunnel type, u8.
    pub const TUN_TYPE: u16 = 13;
    /// Tunnel (GUE) port, big-endian u16.
    pub const TUN_PORT: u16 = 14;
    /// Tunnel encapsulation flags, u16 host order.
    pub const TUN_FLAGS: u16 = 15;
}

/// Attributes inside a sync daemon nest (`IPVS_DAEMON_ATTR_*`).
pub mod daemon_attr {
    /// 1 master, 2 backup.
    pub const STATE: u16 = 1;
    /// Multicast interface name.
    pub const MCAST_IFN: u16 = 2;
    /// Sync id.
    pub const SYNC_ID: u16 = 3;
    /// Maximum sync message length, u16.
    pub const SYNC_MAXLEN: u16 = 4;
    /// IPv4 multicast group, network order.
    pub const MCAST_GROUP: u16 = 5;
    /// IPv6 multicast group, 16 bytes.
    pub const MCAST_GROUP6: u16 = 6;
    /// Multicast port, u16 **host** order.
    pub const MCAST_PORT: u16 = 7;
    /// Multicast TTL, u8.
    pub const MCAST_TTL: u16 = 8;
}

/// Attributes inside a statistics nest (`IPVS_STATS_ATTR_*`).
pub mod stats_attr {
    /// Connections.
    pub const CONNS: u16 = 1;
    /// Incoming packets.
    pub const INPKTS: u16 = 2;
    /// Outgoing packets.
    pub const OUTPKTS: u16 = 3;
    /// Incoming bytes (u64 in both nests).
    pub const INBYTES: u16 = 4;
    /// Outgoing bytes (u64 in both nests).
    pub const OUTBYTES: u16 = 5;
    /// Connections per second.
    pub const CPS: u16 = 6;
    /// Incoming packets per second.
    pub const INPPS: u16 = 7;
    /// Outgoing packets per second.
    pub const OUTPPS: u16 = 8;
    /// Incoming bytes per second.
    pub const INBPS: u16 = 9;
    /// Outgoing bytes per second.
    pub const OUTBPS: u16 = 10;
    /// Zero-length padding before u64 values.
    pub const PAD: u16 = 11;
}

/// Address families.
pub mod af {
    /// IPv4.
    pub const INET: u16 = 2;
    /// IPv6.
    pub const INET6: u16 = 10;
}

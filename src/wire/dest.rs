//! Attributes of the destination nest (`IPVS_DEST_ATTR_*`).

use super::attr_set::{attr_nest, attr_set, Addr, Be16, NestOf, U16, U32, U8};
use super::stats::{Stats32Attr, Stats64Attr};

attr_set! {
    /// One attribute inside a `DEST` nest.
    pub enum DestAttr [] [];
    /// A [`DestAttr`] borrowed from a payload or from the enum.
    ref DestRef;
    /// Attributes inside a destination nest (`IPVS_DEST_ATTR_*`).
    pub mod dest_attr {
        /// Real server address, up to 16 raw bytes.
        ADDR = 1, "addr" =>
            /// Real server address, network order (the kernel sends 16 bytes).
            Address(Vec<u8>): Addr,
        /// Real server port, big-endian u16.
        PORT = 2, "port" =>
            /// Real server port (big-endian on the wire).
            Port(u16): Be16,
        /// Forwarding method, u32.
        FWD_METHOD = 3, "fwd_method" =>
            /// Forwarding method (`IP_VS_CONN_F_*` & 7).
            FwdMethod(u32): U32,
        /// Weight, u32 read as a signed int.
        WEIGHT = 4, "weight" =>
            /// Weight (the kernel reads it as a signed int).
            Weight(u32): U32,
        /// Upper connection threshold.
        U_THRESH = 5, "u_thresh" =>
            /// Upper connection threshold (0: none).
            UpperThreshold(u32): U32,
        /// Lower connection threshold.
        L_THRESH = 6, "l_thresh" =>
            /// Lower connection threshold.
            LowerThreshold(u32): U32,
        /// Active connections (output).
        ACTIVE_CONNS = 7, "active_conns" =>
            /// Active connections.
            ActiveConns(u32): U32,
        /// Inactive connections (output).
        INACT_CONNS = 8, "inact_conns" =>
            /// Inactive connections.
            InactiveConns(u32): U32,
        /// Persistence templates (output).
        PERSIST_CONNS = 9, "persist_conns" =>
            /// Persistence templates.
            PersistConns(u32): U32,
        /// 32-bit statistics nest (output).
        STATS = 10, "stats" =>
            /// 32-bit statistics.
            Stats(Vec<Stats32Attr>): NestOf<Stats32Attr>,
        /// Address family of the destination, u16.
        ADDR_FAMILY = 11, "addr_family" =>
            /// Address family of the destination.
            AddressFamily(u16): U16,
        /// 64-bit statistics nest (output).
        STATS64 = 12, "stats64" =>
            /// 64-bit statistics.
            Stats64(Vec<Stats64Attr>): NestOf<Stats64Attr>,
        /// Tunnel type, u8.
        TUN_TYPE = 13, "tun_type" =>
            /// Tunnel type (0 IPIP, 1 GUE, 2 GRE).
            TunType(u8): U8,
        /// Tunnel (GUE) port, big-endian u16.
        TUN_PORT = 14, "tun_port" =>
            /// Tunnel port (big-endian on the wire).
            TunPort(u16): Be16,
        /// Tunnel encapsulation flags, u16 host order.
        TUN_FLAGS = 15, "tun_flags" =>
            /// Tunnel encapsulation flags.
            TunFlags(u16): U16,
    }
}

attr_nest!([] [] DestAttr, DestRef, dest_attr, "`DEST`");

//! Attributes of the statistics nests (`STATS` with 32-bit counters and
//! `STATS64`).

use super::attr_set::{attr_nest, attr_set, Bytes, CounterOf, U64};
use super::{nla, DecodeError};

/// Width of the counters of a statistics nest: `u32` in `STATS`, `u64` in
/// `STATS64`. Byte counters are `u64` in both. Implemented for `u32` and
/// `u64` only.
pub trait Counter:
    Copy + std::fmt::Debug + PartialEq + Eq + Into<u64> + 'static + sealed::Width
{
}

impl Counter for u32 {}
impl Counter for u64 {}

pub(crate) mod sealed {
    use super::{nla, DecodeError};

    pub trait Width: Sized {
        fn get(v: &[u8]) -> Result<Self, DecodeError>;
        /// The host-order bytes in an 8-byte buffer, and how many are used.
        fn bytes(self) -> ([u8; 8], usize);
    }

    impl Width for u32 {
        #[inline]
        fn get(v: &[u8]) -> Result<Self, DecodeError> {
            nla::get_u32(v)
        }
        #[inline]
        fn bytes(self) -> ([u8; 8], usize) {
            let mut b = [0u8; 8];
            b[..4].copy_from_slice(&self.to_ne_bytes());
            (b, 4)
        }
    }

    impl Width for u64 {
        #[inline]
        fn get(v: &[u8]) -> Result<Self, DecodeError> {
            nla::get_u64(v)
        }
        #[inline]
        fn bytes(self) -> ([u8; 8], usize) {
            (self.to_ne_bytes(), 8)
        }
    }
}

attr_set! {
    /// One attribute of a statistics nest, with counters of width `C`.
    pub enum StatsAttr [C: Counter] [C];
    /// A [`StatsAttr`] borrowed from a payload or from the enum.
    ref StatsRef;
    /// Attributes inside a statistics nest (`IPVS_STATS_ATTR_*`).
    pub mod stats_attr {
        /// Connections.
        CONNS = 1, "conns" =>
            /// Connections scheduled.
            Conns(C): CounterOf<C>,
        /// Incoming packets.
        INPKTS = 2, "inpkts" =>
            /// Incoming packets.
            InPkts(C): CounterOf<C>,
        /// Outgoing packets.
        OUTPKTS = 3, "outpkts" =>
            /// Outgoing packets.
            OutPkts(C): CounterOf<C>,
        /// Incoming bytes (u64 in both nests).
        INBYTES = 4, "inbytes" =>
            /// Incoming bytes.
            InBytes(u64): U64,
        /// Outgoing bytes (u64 in both nests).
        OUTBYTES = 5, "outbytes" =>
            /// Outgoing bytes.
            OutBytes(u64): U64,
        /// Connections per second.
        CPS = 6, "cps" =>
            /// Connections per second (estimator).
            Cps(C): CounterOf<C>,
        /// Incoming packets per second.
        INPPS = 7, "inpps" =>
            /// Incoming packets per second.
            InPps(C): CounterOf<C>,
        /// Outgoing packets per second.
        OUTPPS = 8, "outpps" =>
            /// Outgoing packets per second.
            OutPps(C): CounterOf<C>,
        /// Incoming bytes per second.
        INBPS = 9, "inbps" =>
            /// Incoming bytes per second.
            InBps(C): CounterOf<C>,
        /// Outgoing bytes per second.
        OUTBPS = 10, "outbps" =>
            /// Outgoing bytes per second.
            OutBps(C): CounterOf<C>,
        /// Zero-length padding before u64 values.
        PAD = 11, "pad" =>
            /// The padding attribute the kernel may put before a u64.
            Pad(Vec<u8>): Bytes,
    }
}

attr_nest!([C: Counter] [C] StatsAttr, StatsRef, stats_attr, "statistics");

/// An attribute of the 32-bit `STATS` nest.
pub type Stats32Attr = StatsAttr<u32>;
/// An attribute of the `STATS64` nest.
pub type Stats64Attr = StatsAttr<u64>;

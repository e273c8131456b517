//! Attributes of the statistics nests (`STATS` with 32-bit counters and
//! `STATS64`).

use super::constants::stats_attr as a;
use super::nla::{self, attrs, RawAttr, Writer};
use super::DecodeError;

/// Width of the counters of a statistics nest: `u32` in `STATS`, `u64` in
/// `STATS64`. Byte counters are `u64` in both. Implemented for `u32` and
/// `u64` only.
pub trait Counter: Copy + std::fmt::Debug + PartialEq + Eq + Into<u64> + sealed::Width {}

impl Counter for u32 {}
impl Counter for u64 {}

mod sealed {
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
        fn bytes(self) -> ([u8; 8], usize) {
            (self.to_ne_bytes(), 8)
        }
    }
}

/// Bytes of the value of counter attribute `kind` in a nest of width `C`:
/// byte counters are `u64` in both nests.
pub(crate) fn value_width<C: Counter>(kind: u16) -> usize {
    match kind {
        a::INBYTES | a::OUTBYTES => 8,
        _ => std::mem::size_of::<C>(),
    }
}

/// Reads the value of counter attribute `kind`, widened; an error names the
/// attribute.
#[inline]
pub(crate) fn read_counter<C: Counter>(kind: u16, v: &[u8]) -> Result<u64, DecodeError> {
    let r = match value_width::<C>(kind) {
        8 => nla::get_u64(v),
        _ => C::get(v).map(Into::into),
    };
    r.map_err(|e| e.within(stat_name(kind)))
}

fn put<C: Counter>(w: &mut Writer<'_>, kind: u16, c: C) {
    let (b, n) = c.bytes();
    w.put(kind, &b[..n]);
}

/// One attribute of a statistics nest, with counters of width `C`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatsAttr<C: Counter> {
    /// Connections scheduled.
    Conns(C),
    /// Incoming packets.
    InPkts(C),
    /// Outgoing packets.
    OutPkts(C),
    /// Incoming bytes.
    InBytes(u64),
    /// Outgoing bytes.
    OutBytes(u64),
    /// Connections per second (estimator).
    Cps(C),
    /// Incoming packets per second.
    InPps(C),
    /// Outgoing packets per second.
    OutPps(C),
    /// Incoming bytes per second.
    InBps(C),
    /// Outgoing bytes per second.
    OutBps(C),
    /// The padding attribute the kernel may put before a u64.
    Pad(Vec<u8>),
    /// An attribute this crate does not know.
    Other(RawAttr),
}

/// An attribute of the 32-bit `STATS` nest.
pub type Stats32Attr = StatsAttr<u32>;
/// An attribute of the `STATS64` nest.
pub type Stats64Attr = StatsAttr<u64>;

impl<C: Counter> StatsAttr<C> {
    /// Parses one attribute of a statistics nest; an error names it.
    pub(crate) fn parse_one(raw: &nla::AttrView<'_>) -> Result<Self, DecodeError> {
        let (kind, v) = (raw.kind, raw.value);
        let r = match kind {
            a::CONNS => C::get(v).map(Self::Conns),
            a::INPKTS => C::get(v).map(Self::InPkts),
            a::OUTPKTS => C::get(v).map(Self::OutPkts),
            a::INBYTES => nla::get_u64(v).map(Self::InBytes),
            a::OUTBYTES => nla::get_u64(v).map(Self::OutBytes),
            a::CPS => C::get(v).map(Self::Cps),
            a::INPPS => C::get(v).map(Self::InPps),
            a::OUTPPS => C::get(v).map(Self::OutPps),
            a::INBPS => C::get(v).map(Self::InBps),
            a::OUTBPS => C::get(v).map(Self::OutBps),
            a::PAD => Ok(Self::Pad(v.to_vec())),
            _ => return Ok(Self::Other(RawAttr::from_view(raw))),
        };
        r.map_err(|e| e.within(stat_name(kind)))
    }

    /// Parses the payload of a statistics nest.
    pub fn parse_nest(buf: &[u8]) -> Result<Vec<Self>, DecodeError> {
        let mut out = Vec::with_capacity(11);
        for attr in attrs(buf) {
            out.push(Self::parse_one(&attr?)?);
        }
        Ok(out)
    }

    pub(crate) fn emit(&self, w: &mut Writer<'_>) {
        match self {
            Self::Conns(c) => put(w, a::CONNS, *c),
            Self::InPkts(c) => put(w, a::INPKTS, *c),
            Self::OutPkts(c) => put(w, a::OUTPKTS, *c),
            Self::InBytes(c) => w.put_u64(a::INBYTES, *c),
            Self::OutBytes(c) => w.put_u64(a::OUTBYTES, *c),
            Self::Cps(c) => put(w, a::CPS, *c),
            Self::InPps(c) => put(w, a::INPPS, *c),
            Self::OutPps(c) => put(w, a::OUTPPS, *c),
            Self::InBps(c) => put(w, a::INBPS, *c),
            Self::OutBps(c) => put(w, a::OUTBPS, *c),
            Self::Pad(v) => w.put(a::PAD, v),
            Self::Other(raw) => raw.emit(w),
        }
    }
}

fn stat_name(kind: u16) -> &'static str {
    match kind {
        a::CONNS => "conns",
        a::INPKTS => "inpkts",
        a::OUTPKTS => "outpkts",
        a::INBYTES => "inbytes",
        a::OUTBYTES => "outbytes",
        a::CPS => "cps",
        a::INPPS => "inpps",
        a::OUTPPS => "outpps",
        a::INBPS => "inbps",
        a::OUTBPS => "outbps",
        _ => "pad",
    }
}

pub(crate) fn emit_nest<C: Counter>(w: &mut Writer<'_>, kind: u16, list: &[StatsAttr<C>]) {
    w.nest(kind, |w| list.iter().for_each(|s| s.emit(w)));
}

//! Attributes of the destination nest (`IPVS_DEST_ATTR_*`).

use super::constants::dest_attr as a;
use super::nla::{self, attrs, AttrView, RawAttr, Writer};
use super::stats::{emit_nest, Stats32Attr, Stats64Attr};
use super::DecodeError;

/// One attribute inside a `DEST` nest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DestAttr {
    /// Real server address, network order (the kernel sends 16 bytes).
    Address(Vec<u8>),
    /// Real server port (big-endian on the wire).
    Port(u16),
    /// Forwarding method (`IP_VS_CONN_F_*` & 7).
    FwdMethod(u32),
    /// Weight (the kernel reads it as a signed int).
    Weight(u32),
    /// Upper connection threshold (0: none).
    UpperThreshold(u32),
    /// Lower connection threshold.
    LowerThreshold(u32),
    /// Active connections.
    ActiveConns(u32),
    /// Inactive connections.
    InactiveConns(u32),
    /// Persistence templates.
    PersistConns(u32),
    /// 32-bit statistics.
    Stats(Vec<Stats32Attr>),
    /// Address family of the destination.
    AddressFamily(u16),
    /// 64-bit statistics.
    Stats64(Vec<Stats64Attr>),
    /// Tunnel type (0 IPIP, 1 GUE, 2 GRE).
    TunType(u8),
    /// Tunnel port (big-endian on the wire).
    TunPort(u16),
    /// Tunnel encapsulation flags.
    TunFlags(u16),
    /// An attribute this crate does not know.
    Other(RawAttr),
}

impl DestAttr {
    /// Parses the payload of a `DEST` nest.
    pub fn parse_nest(buf: &[u8]) -> Result<Vec<Self>, DecodeError> {
        let mut out = Vec::with_capacity(15);
        for attr in attrs(buf) {
            out.push(Self::parse_one(&attr?)?);
        }
        Ok(out)
    }

    /// Parses one attribute of a `DEST` nest; an error names it.
    pub(crate) fn parse_one(attr: &AttrView<'_>) -> Result<Self, DecodeError> {
        let v = attr.value;
        let parsed = match attr.kind {
            a::ADDR => nla::get_addr(v).map(|_| Self::Address(v.to_vec())),
            a::PORT => nla::get_be16(v).map(Self::Port),
            a::FWD_METHOD => nla::get_u32(v).map(Self::FwdMethod),
            a::WEIGHT => nla::get_u32(v).map(Self::Weight),
            a::U_THRESH => nla::get_u32(v).map(Self::UpperThreshold),
            a::L_THRESH => nla::get_u32(v).map(Self::LowerThreshold),
            a::ACTIVE_CONNS => nla::get_u32(v).map(Self::ActiveConns),
            a::INACT_CONNS => nla::get_u32(v).map(Self::InactiveConns),
            a::PERSIST_CONNS => nla::get_u32(v).map(Self::PersistConns),
            a::STATS => Stats32Attr::parse_nest(v).map(Self::Stats),
            a::ADDR_FAMILY => nla::get_u16(v).map(Self::AddressFamily),
            a::STATS64 => Stats64Attr::parse_nest(v).map(Self::Stats64),
            a::TUN_TYPE => nla::get_u8(v).map(Self::TunType),
            a::TUN_PORT => nla::get_be16(v).map(Self::TunPort),
            a::TUN_FLAGS => nla::get_u16(v).map(Self::TunFlags),
            _ => Ok(Self::Other(RawAttr::from_view(attr))),
        };
        parsed.map_err(|e| e.within(name(attr.kind)))
    }

    pub(crate) fn emit(&self, w: &mut Writer<'_>) {
        match self {
            Self::Address(v) => w.put(a::ADDR, v),
            Self::Port(v) => w.put_be16(a::PORT, *v),
            Self::FwdMethod(v) => w.put_u32(a::FWD_METHOD, *v),
            Self::Weight(v) => w.put_u32(a::WEIGHT, *v),
            Self::UpperThreshold(v) => w.put_u32(a::U_THRESH, *v),
            Self::LowerThreshold(v) => w.put_u32(a::L_THRESH, *v),
            Self::ActiveConns(v) => w.put_u32(a::ACTIVE_CONNS, *v),
            Self::InactiveConns(v) => w.put_u32(a::INACT_CONNS, *v),
            Self::PersistConns(v) => w.put_u32(a::PERSIST_CONNS, *v),
            Self::Stats(s) => emit_nest(w, a::STATS, s),
            Self::AddressFamily(v) => w.put_u16(a::ADDR_FAMILY, *v),
            Self::Stats64(s) => emit_nest(w, a::STATS64, s),
            Self::TunType(v) => w.put_u8(a::TUN_TYPE, *v),
            Self::TunPort(v) => w.put_be16(a::TUN_PORT, *v),
            Self::TunFlags(v) => w.put_u16(a::TUN_FLAGS, *v),
            Self::Other(raw) => raw.emit(w),
        }
    }
}

/// The attribute's name in error paths.
pub(crate) fn name(kind: u16) -> &'static str {
    match kind {
        a::ADDR => "addr",
        a::PORT => "port",
        a::FWD_METHOD => "fwd_method",
        a::WEIGHT => "weight",
        a::U_THRESH => "u_thresh",
        a::L_THRESH => "l_thresh",
        a::ACTIVE_CONNS => "active_conns",
        a::INACT_CONNS => "inact_conns",
        a::PERSIST_CONNS => "persist_conns",
        a::STATS => "stats",
        a::ADDR_FAMILY => "addr_family",
        a::STATS64 => "stats64",
        a::TUN_TYPE => "tun_type",
        a::TUN_PORT => "tun_port",
        a::TUN_FLAGS => "tun_flags",
        _ => "unknown",
    }
}

//! Attributes of the service nest (`IPVS_SVC_ATTR_*`).

use super::constants::svc_attr as a;
use super::nla::{self, attrs, AttrView, RawAttr, Writer};
use super::stats::{emit_nest, Stats32Attr, Stats64Attr};
use super::DecodeError;

/// One attribute inside a `SERVICE` nest, decoded with the byte order the
/// kernel uses for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceAttr {
    /// Address family (2 or 10).
    AddressFamily(u16),
    /// IP protocol number.
    Protocol(u16),
    /// Virtual address, network order, as many bytes as sent (the kernel
    /// sends 16).
    Address(Vec<u8>),
    /// Virtual port (big-endian on the wire).
    Port(u16),
    /// Firewall mark.
    FwMark(u32),
    /// Scheduler name.
    SchedName(String),
    /// Service flags and the mask of the bits to change.
    Flags {
        /// Flag bits.
        flags: u32,
        /// Which bits of `flags` apply.
        mask: u32,
    },
    /// Persistence timeout in seconds.
    Timeout(u32),
    /// The four raw netmask bytes: an IPv4 mask, or an IPv6 prefix length in
    /// host order.
    Netmask([u8; 4]),
    /// 32-bit statistics.
    Stats(Vec<Stats32Attr>),
    /// Persistence engine name.
    PeName(String),
    /// 64-bit statistics.
    Stats64(Vec<Stats64Attr>),
    /// An attribute this crate does not know.
    Other(RawAttr),
}

impl ServiceAttr {
    /// Parses the payload of a `SERVICE` nest.
    pub fn parse_nest(buf: &[u8]) -> Result<Vec<Self>, DecodeError> {
        let mut out = Vec::with_capacity(10);
        for attr in attrs(buf) {
            out.push(Self::parse_one(&attr?)?);
        }
        Ok(out)
    }

    /// Parses one attribute of a `SERVICE` nest; an error names it.
    pub(crate) fn parse_one(attr: &AttrView<'_>) -> Result<Self, DecodeError> {
        let v = attr.value;
        let parsed = match attr.kind {
            a::AF => nla::get_u16(v).map(Self::AddressFamily),
            a::PROTOCOL => nla::get_u16(v).map(Self::Protocol),
            a::ADDR => nla::get_addr(v).map(|_| Self::Address(v.to_vec())),
            a::PORT => nla::get_be16(v).map(Self::Port),
            a::FWMARK => nla::get_u32(v).map(Self::FwMark),
            a::SCHED_NAME => nla::get_str(v).map(Self::SchedName),
            a::FLAGS => parse_flags(v),
            a::TIMEOUT => nla::get_u32(v).map(Self::Timeout),
            a::NETMASK => nla::get_4(v).map(Self::Netmask),
            a::STATS => Stats32Attr::parse_nest(v).map(Self::Stats),
            a::PE_NAME => nla::get_str(v).map(Self::PeName),
            a::STATS64 => Stats64Attr::parse_nest(v).map(Self::Stats64),
            _ => Ok(Self::Other(RawAttr::from_view(attr))),
        };
        parsed.map_err(|e| e.within(name(attr.kind)))
    }

    pub(crate) fn emit(&self, w: &mut Writer<'_>) {
        match self {
            Self::AddressFamily(v) => w.put_u16(a::AF, *v),
            Self::Protocol(v) => w.put_u16(a::PROTOCOL, *v),
            Self::Address(v) => w.put(a::ADDR, v),
            Self::Port(v) => w.put_be16(a::PORT, *v),
            Self::FwMark(v) => w.put_u32(a::FWMARK, *v),
            Self::SchedName(s) => w.put_str(a::SCHED_NAME, s),
            Self::Flags { flags, mask } => w.put_array(a::FLAGS, flags_payload(*flags, *mask)),
            Self::Timeout(v) => w.put_u32(a::TIMEOUT, *v),
            Self::Netmask(b) => w.put(a::NETMASK, b),
            Self::Stats(s) => emit_nest(w, a::STATS, s),
            Self::PeName(s) => w.put_str(a::PE_NAME, s),
            Self::Stats64(s) => emit_nest(w, a::STATS64, s),
            Self::Other(raw) => raw.emit(w),
        }
    }
}

fn parse_flags(v: &[u8]) -> Result<ServiceAttr, DecodeError> {
    get_flags(v).map(|(flags, mask)| ServiceAttr::Flags { flags, mask })
}

/// The `FLAGS` payload: the flags, then the mask.
pub(crate) fn flags_payload(flags: u32, mask: u32) -> [u8; 8] {
    let mut b = [0u8; 8];
    b[..4].copy_from_slice(&flags.to_ne_bytes());
    b[4..].copy_from_slice(&mask.to_ne_bytes());
    b
}

/// Reads a `FLAGS` payload: the flags, then the mask.
pub(crate) fn get_flags(v: &[u8]) -> Result<(u32, u32), DecodeError> {
    let b: [u8; 8] = v.try_into().map_err(|_| {
        DecodeError::new(super::DecodeErrorKind::PayloadSize {
            expected: &[8],
            found: v.len(),
        })
    })?;
    Ok((
        u32::from_ne_bytes([b[0], b[1], b[2], b[3]]),
        u32::from_ne_bytes([b[4], b[5], b[6], b[7]]),
    ))
}

/// The attribute's name in error paths.
pub(crate) fn name(kind: u16) -> &'static str {
    match kind {
        a::AF => "af",
        a::PROTOCOL => "protocol",
        a::ADDR => "addr",
        a::PORT => "port",
        a::FWMARK => "fwmark",
        a::SCHED_NAME => "sched_name",
        a::FLAGS => "flags",
        a::TIMEOUT => "timeout",
        a::NETMASK => "netmask",
        a::STATS => "stats",
        a::PE_NAME => "pe_name",
        a::STATS64 => "stats64",
        _ => "unknown",
    }
}

//! Attributes of the sync daemon nest (`IPVS_DAEMON_ATTR_*`).

use super::constants::daemon_attr as a;
use super::nla::{self, attrs, RawAttr, Writer};
use super::DecodeError;

/// One attribute inside a `DAEMON` nest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DaemonAttr {
    /// 1 master, 2 backup.
    State(u32),
    /// Multicast interface name.
    McastIfn(String),
    /// Sync id.
    SyncId(u32),
    /// Maximum sync message length.
    SyncMaxLen(u16),
    /// IPv4 multicast group (network order bytes).
    McastGroup([u8; 4]),
    /// IPv6 multicast group.
    McastGroup6([u8; 16]),
    /// Multicast port (host order on the wire).
    McastPort(u16),
    /// Multicast TTL.
    McastTtl(u8),
    /// An attribute this crate does not know.
    Other(RawAttr),
}

impl DaemonAttr {
    /// Parses the payload of a `DAEMON` nest.
    pub fn parse_nest(buf: &[u8]) -> Result<Vec<Self>, DecodeError> {
        let mut out = Vec::with_capacity(8);
        for attr in attrs(buf) {
            let attr = attr?;
            let v = attr.value;
            let parsed = match attr.kind {
                a::STATE => nla::get_u32(v).map(Self::State),
                a::MCAST_IFN => nla::get_str(v).map(Self::McastIfn),
                a::SYNC_ID => nla::get_u32(v).map(Self::SyncId),
                a::SYNC_MAXLEN => nla::get_u16(v).map(Self::SyncMaxLen),
                a::MCAST_GROUP => nla::get_4(v).map(Self::McastGroup),
                a::MCAST_GROUP6 => <[u8; 16]>::try_from(v).map(Self::McastGroup6).map_err(|_| {
                    DecodeError::new(super::DecodeErrorKind::PayloadSize {
                        expected: &[16],
                        found: v.len(),
                    })
                }),
                a::MCAST_PORT => nla::get_u16(v).map(Self::McastPort),
                a::MCAST_TTL => nla::get_u8(v).map(Self::McastTtl),
                _ => Ok(Self::Other(RawAttr::from_view(&attr))),
            };
            out.push(parsed.map_err(|e| e.within(name(attr.kind)))?);
        }
        Ok(out)
    }

    pub(crate) fn emit(&self, w: &mut Writer<'_>) {
        match self {
            Self::State(v) => w.put_u32(a::STATE, *v),
            Self::McastIfn(s) => w.put_str(a::MCAST_IFN, s),
            Self::SyncId(v) => w.put_u32(a::SYNC_ID, *v),
            Self::SyncMaxLen(v) => w.put_u16(a::SYNC_MAXLEN, *v),
            Self::McastGroup(b) => w.put(a::MCAST_GROUP, b),
            Self::McastGroup6(b) => w.put(a::MCAST_GROUP6, b),
            Self::McastPort(v) => w.put_u16(a::MCAST_PORT, *v),
            Self::McastTtl(v) => w.put_u8(a::MCAST_TTL, *v),
            Self::Other(raw) => raw.emit(w),
        }
    }
}

fn name(kind: u16) -> &'static str {
    match kind {
        a::STATE => "state",
        a::MCAST_IFN => "mcast_ifn",
        a::SYNC_ID => "sync_id",
        a::SYNC_MAXLEN => "sync_maxlen",
        a::MCAST_GROUP => "mcast_group",
        a::MCAST_GROUP6 => "mcast_group6",
        a::MCAST_PORT => "mcast_port",
        a::MCAST_TTL => "mcast_ttl",
        _ => "unknown",
    }
}

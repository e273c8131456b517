//! A destination as a listing shows it: its configuration, its connection
//! counts and its traffic counters.

use std::net::SocketAddr;

use super::parse_back::parse_back;
use super::{BuildError, Destination, Family, ForwardMethod, RawForward, RawTunnel, Stats};
use crate::wire::attr_set::Nest;
use crate::wire::dest::DestRef;
use crate::wire::{DecodeError, DestAttr};

/// A destination listed by the kernel. The configuration is a
/// [`Destination`], the same type a request takes; the rest exists only in
/// replies.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct DestinationEntry {
    /// Address, forwarding, weight and thresholds.
    pub dest: Destination,
    /// Active connections.
    pub active_conns: u32,
    /// Inactive connections.
    pub inactive_conns: u32,
    /// Persistence templates.
    pub persist_conns: u32,
    /// Counters from the 32-bit `STATS` nest.
    pub stats: Option<Stats>,
    /// Counters from the `STATS64` nest.
    pub stats64: Option<Stats>,
}

impl DestinationEntry {
    /// An entry for `dest` with no connections and no counters.
    pub fn new(dest: Destination) -> Self {
        Self {
            dest,
            active_conns: 0,
            inactive_conns: 0,
            persist_conns: 0,
            stats: None,
            stats64: None,
        }
    }

    /// The most precise counters available.
    pub fn counters(&self) -> Option<Stats> {
        self.stats64.or(self.stats)
    }

    /// The nest as the kernel sends it in a reply, for a service of family
    /// `service` (for round trips and fixtures).
    pub fn to_reply_attrs(&self, service: Family) -> Result<Vec<DestAttr>, BuildError> {
        let mut v = parse_back(|w| self.dest.emit_nest(service, w), DestAttr::parse_nest)?;
        v.push(DestAttr::ActiveConns(self.active_conns));
        v.push(DestAttr::InactiveConns(self.inactive_conns));
        v.push(DestAttr::PersistConns(self.persist_conns));
        if let Some(s) = self.stats {
            v.push(DestAttr::Stats(s.to_attrs32()?));
        }
        if let Some(s) = self.stats64 {
            v.push(DestAttr::Stats64(s.to_attrs64()));
        }
        Ok(v)
    }

    /// The entry a reply nest describes. `service` is the family of the
    /// service it was listed for (used when the kernel sends no
    /// `ADDR_FAMILY`, as kernels before 3.18 do).
    pub fn from_attrs(attrs: &[DestAttr], service: Family) -> Result<Self, DecodeError> {
        Self::read(Nest::List(attrs), service).map_err(|e| e.within("dest"))
    }

    /// Parses the payload of a reply's `DEST` nest straight into an entry:
    /// the result of [`DestAttr::parse_nest`] then
    /// [`from_attrs`](Self::from_attrs), errors under `dest`, without
    /// building the attribute lists (a table listing parses tens of
    /// thousands).
    #[inline]
    pub fn from_nest(buf: &[u8], service: Family) -> Result<Self, DecodeError> {
        Self::read(Nest::Wire(buf), service).map_err(|e| e.within("dest"))
    }

    /// Reads each attribute of the nest, borrowed, into its field as it
    /// comes: bytes and attribute lists alike go through the set's one
    /// decoder, so no attribute value is built and dropped.
    #[inline(always)]
    fn read(nest: Nest<'_, DestAttr>, service: Family) -> Result<Self, DecodeError> {
        let mut r = DestReply::default();
        nest.read(|a| r.take(a))?;
        r.finish(service)
    }
}

/// What a reply's `DEST` nest said, gathered attribute by attribute; a
/// later attribute of a kind replaces an earlier one.
#[derive(Default)]
struct DestReply<'a> {
    addr: Option<&'a [u8]>,
    port: Option<u16>,
    af: Option<u16>,
    fwd: Option<u32>,
    weight: Option<u32>,
    upper_threshold: u32,
    lower_threshold: u32,
    active_conns: u32,
    inactive_conns: u32,
    persist_conns: u32,
    stats: Option<Stats>,
    stats64: Option<Stats>,
    tun_type: u8,
    tun_port: u16,
    tun_flags: u16,
}

impl<'a> DestReply<'a> {
    #[inline(always)]
    fn take(&mut self, a: DestRef<'a>) -> Result<(), DecodeError> {
        match a {
            DestRef::Address(v) => self.addr = Some(v),
            DestRef::Port(v) => self.port = Some(v),
            DestRef::FwdMethod(v) => self.fwd = Some(v),
            DestRef::Weight(v) => self.weight = Some(v),
            DestRef::UpperThreshold(v) => self.upper_threshold = v,
            DestRef::LowerThreshold(v) => self.lower_threshold = v,
            DestRef::ActiveConns(v) => self.active_conns = v,
            DestRef::InactiveConns(v) => self.inactive_conns = v,
            DestRef::PersistConns(v) => self.persist_conns = v,
            DestRef::Stats(n) => self.stats = Some(Stats::from_nest(n)?),
            DestRef::AddressFamily(v) => self.af = Some(v),
            DestRef::Stats64(n) => self.stats64 = Some(Stats::from_nest(n)?),
            DestRef::TunType(v) => self.tun_type = v,
            DestRef::TunPort(v) => self.tun_port = v,
            DestRef::TunFlags(v) => self.tun_flags = v,
            DestRef::Other(_) => {}
        }
        Ok(())
    }

    #[inline(always)]
    fn finish(self, service: Family) -> Result<DestinationEntry, DecodeError> {
        let family = match self.af {
            None | Some(0) => service,
            Some(n) => Family::try_from(n).map_err(|e| e.within("addr_family"))?,
        };
        let raw = self.addr.ok_or_else(|| DecodeError::missing("addr"))?;
        let ip = family.addr(raw).map_err(|e| e.within("addr"))?;
        let port = self.port.ok_or_else(|| DecodeError::missing("port"))?;
        let weight = self.weight.ok_or_else(|| DecodeError::missing("weight"))?;
        let fwd = self.fwd.ok_or_else(|| DecodeError::missing("fwd_method"))?;
        let tunnel = RawTunnel {
            kind: self.tun_type,
            port: self.tun_port,
            flags: self.tun_flags,
        };
        let forward = ForwardMethod::try_from(RawForward {
            method: fwd,
            tunnel,
        })
        .map_err(|e| e.within("fwd_method"))?;
        Ok(DestinationEntry {
            dest: Destination {
                addr: SocketAddr::new(ip, port),
                forward,
                weight,
                upper_threshold: self.upper_threshold,
                lower_threshold: self.lower_threshold,
            },
            active_conns: self.active_conns,
            inactive_conns: self.inactive_conns,
            persist_conns: self.persist_conns,
            stats: self.stats,
            stats64: self.stats64,
        })
    }
}

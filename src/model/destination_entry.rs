//! A destination as a listing shows it: its configuration, its connection
//! counts and its traffic counters.

use std::borrow::Cow;
use std::net::SocketAddr;

use super::parse_back::parse_back;
use super::{BuildError, Destination, Family, ForwardMethod, RawForward, RawTunnel, Stats};
use crate::wire::constants::dest_attr;
use crate::wire::nla::{self, attrs};
use crate::wire::{dest, DecodeError, DestAttr};

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
        DestinationEntry {
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
        let mut reply = DestReply::default();
        attrs.iter().for_each(|a| reply.take(a.clone()));
        reply.finish(service).map_err(|e| e.within("dest"))
    }

    /// Parses the payload of a reply's `DEST` nest straight into an entry:
    /// the result of [`DestAttr::parse_nest`] then
    /// [`from_attrs`](Self::from_attrs), errors under `dest`, without
    /// building the attribute lists (a table listing parses tens of
    /// thousands).
    pub fn from_nest(buf: &[u8], service: Family) -> Result<Self, DecodeError> {
        Self::from_nest_inner(buf, service).map_err(|e| e.within("dest"))
    }

    /// Reads each attribute into its field as it comes, with the wire
    /// layer's value readers and names, so that no attribute value is built
    /// and dropped: the property tests hold it to `parse_nest` then
    /// `from_attrs`, value and error alike.
    fn from_nest_inner(buf: &[u8], service: Family) -> Result<Self, DecodeError> {
        use dest_attr as a;
        let mut r = DestReply::default();
        for attr in attrs(buf) {
            let attr = attr?;
            let v = attr.value;
            let named = |e: DecodeError| e.within(dest::name(attr.kind));
            match attr.kind {
                a::ADDR => {
                    nla::get_addr(v).map_err(named)?;
                    r.addr = Some(Cow::Borrowed(v));
                }
                a::PORT => r.port = Some(nla::get_be16(v).map_err(named)?),
                a::FWD_METHOD => r.fwd = Some(nla::get_u32(v).map_err(named)?),
                a::WEIGHT => r.weight = Some(nla::get_u32(v).map_err(named)?),
                a::U_THRESH => r.upper_threshold = nla::get_u32(v).map_err(named)?,
                a::L_THRESH => r.lower_threshold = nla::get_u32(v).map_err(named)?,
                a::ACTIVE_CONNS => r.active_conns = nla::get_u32(v).map_err(named)?,
                a::INACT_CONNS => r.inactive_conns = nla::get_u32(v).map_err(named)?,
                a::PERSIST_CONNS => r.persist_conns = nla::get_u32(v).map_err(named)?,
                a::STATS => r.stats = Some(Stats::from_nest::<u32>(v).map_err(named)?),
                a::ADDR_FAMILY => r.af = Some(nla::get_u16(v).map_err(named)?),
                a::STATS64 => r.stats64 = Some(Stats::from_nest::<u64>(v).map_err(named)?),
                a::TUN_TYPE => r.tun_type = nla::get_u8(v).map_err(named)?,
                a::TUN_PORT => r.tun_port = nla::get_be16(v).map_err(named)?,
                a::TUN_FLAGS => r.tun_flags = nla::get_u16(v).map_err(named)?,
                // Unknown attributes: `DestAttr::Other`, which carries nothing.
                _ => {}
            }
        }
        r.finish(service)
    }
}

/// What a reply's `DEST` nest said, gathered attribute by attribute; a
/// later attribute of a kind replaces an earlier one.
#[derive(Default)]
struct DestReply<'a> {
    addr: Option<Cow<'a, [u8]>>,
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

impl DestReply<'_> {
    fn take(&mut self, a: DestAttr) {
        match a {
            DestAttr::Address(v) => self.addr = Some(Cow::Owned(v)),
            DestAttr::Port(v) => self.port = Some(v),
            DestAttr::FwdMethod(v) => self.fwd = Some(v),
            DestAttr::Weight(v) => self.weight = Some(v),
            DestAttr::UpperThreshold(v) => self.upper_threshold = v,
            DestAttr::LowerThreshold(v) => self.lower_threshold = v,
            DestAttr::ActiveConns(v) => self.active_conns = v,
            DestAttr::InactiveConns(v) => self.inactive_conns = v,
            DestAttr::PersistConns(v) => self.persist_conns = v,
            DestAttr::Stats(s) => self.stats = Some(Stats::from_attrs(&s)),
            DestAttr::AddressFamily(v) => self.af = Some(v),
            DestAttr::Stats64(s) => self.stats64 = Some(Stats::from_attrs(&s)),
            DestAttr::TunType(v) => self.tun_type = v,
            DestAttr::TunPort(v) => self.tun_port = v,
            DestAttr::TunFlags(v) => self.tun_flags = v,
            DestAttr::Other(_) => {}
        }
    }

    fn finish(self, service: Family) -> Result<DestinationEntry, DecodeError> {
        let family = match self.af {
            None | Some(0) => service,
            Some(n) => Family::try_from(n).map_err(|e| e.within("addr_family"))?,
        };
        let raw = self.addr.ok_or_else(|| DecodeError::missing("addr"))?;
        let ip = family.addr(&raw).map_err(|e| e.within("addr"))?;
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

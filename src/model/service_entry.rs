//! A service as a listing shows it: its configuration and its counters.

use std::net::{IpAddr, SocketAddr};

use super::parse_back::parse_back;
use super::{
    BuildError, Family, Netmask, Protocol, Scheduler, Service, ServiceFlags, ServiceKey, Stats,
};
use crate::wire::attr_set::Nest;
use crate::wire::service::ServiceRef;
use crate::wire::{DecodeError, DecodeErrorKind, ServiceAttr};

/// A service listed by the kernel. The configuration is a [`Service`], the
/// same type a request takes; the counters exist only in replies.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ServiceEntry {
    /// Key, scheduler, flags and persistence.
    pub service: Service,
    /// Counters from the 32-bit `STATS` nest.
    pub stats: Option<Stats>,
    /// Counters from the `STATS64` nest (kernels >= 4.1).
    pub stats64: Option<Stats>,
}

impl ServiceEntry {
    /// An entry for `service` with no counters.
    pub fn new(service: Service) -> Self {
        Self {
            service,
            stats: None,
            stats64: None,
        }
    }

    /// The most precise counters available (64-bit when the kernel sent them).
    pub fn counters(&self) -> Option<Stats> {
        self.stats64.or(self.stats)
    }

    /// The nest as the kernel sends it in a reply, counters included (for
    /// round trips and fixtures).
    pub fn to_reply_attrs(&self) -> Result<Vec<ServiceAttr>, BuildError> {
        let mut v = parse_back(|w| self.service.emit_nest(w), ServiceAttr::parse_nest)?;
        if let Some(s) = self.stats {
            v.push(ServiceAttr::Stats(s.to_attrs32()?));
        }
        if let Some(s) = self.stats64 {
            v.push(ServiceAttr::Stats64(s.to_attrs64()));
        }
        Ok(v)
    }

    /// The entry a reply nest describes.
    pub fn from_attrs(attrs: &[ServiceAttr]) -> Result<Self, DecodeError> {
        Self::read(Nest::List(attrs)).map_err(|e| e.within("service"))
    }

    /// Parses the payload of a reply's `SERVICE` nest straight into an
    /// entry: the result of [`ServiceAttr::parse_nest`] then
    /// [`from_attrs`](Self::from_attrs), errors under `service`, without
    /// building the attribute lists.
    #[inline]
    pub fn from_nest(buf: &[u8]) -> Result<Self, DecodeError> {
        Self::read(Nest::Wire(buf)).map_err(|e| e.within("service"))
    }

    /// Reads each attribute of the nest, borrowed, into its field as it
    /// comes: bytes and attribute lists alike go through the set's one
    /// decoder, so no attribute value is built and dropped.
    #[inline(always)]
    fn read(nest: Nest<'_, ServiceAttr>) -> Result<Self, DecodeError> {
        let mut r = ServiceReply::default();
        nest.read(|a| r.take(a))?;
        r.finish()
    }
}

/// What a reply's `SERVICE` nest said, gathered attribute by attribute; a
/// later attribute of a kind replaces an earlier one (an empty persistence
/// engine name leaves an earlier one).
#[derive(Default)]
struct ServiceReply<'a> {
    af: Option<u16>,
    proto: Option<u16>,
    addr: Option<&'a [u8]>,
    port: Option<u16>,
    mark: Option<u32>,
    sched: Option<&'a str>,
    flags: Option<u32>,
    timeout: Option<u32>,
    netmask: Option<[u8; 4]>,
    pe: Option<&'a str>,
    stats: Option<Stats>,
    stats64: Option<Stats>,
}

impl<'a> ServiceReply<'a> {
    #[inline(always)]
    fn take(&mut self, a: ServiceRef<'a>) -> Result<(), DecodeError> {
        match a {
            ServiceRef::AddressFamily(v) => self.af = Some(v),
            ServiceRef::Protocol(v) => self.proto = Some(v),
            ServiceRef::Address(v) => self.addr = Some(v),
            ServiceRef::Port(v) => self.port = Some(v),
            ServiceRef::FwMark(v) => self.mark = Some(v),
            ServiceRef::SchedName(v) => self.sched = Some(v),
            ServiceRef::Flags((flags, mask)) => self.flags = Some(flags & mask),
            ServiceRef::Timeout(v) => self.timeout = Some(v),
            ServiceRef::Netmask(v) => self.netmask = Some(v),
            ServiceRef::Stats(n) => self.stats = Some(Stats::from_nest(n)?),
            ServiceRef::PeName(v) if !v.is_empty() => self.pe = Some(v),
            ServiceRef::Stats64(n) => self.stats64 = Some(Stats::from_nest(n)?),
            ServiceRef::PeName(_) | ServiceRef::Other(_) => {}
        }
        Ok(())
    }

    #[inline(always)]
    fn finish(self) -> Result<ServiceEntry, DecodeError> {
        let af = self.af.ok_or_else(|| DecodeError::missing("af"))?;
        let family = Family::try_from(af).map_err(|e| e.within("af"))?;
        let key = match self.mark {
            Some(mark) if mark != 0 => ServiceKey::FwMark { family, mark },
            _ => {
                let proto = self.proto.ok_or_else(|| DecodeError::missing("protocol"))?;
                let raw = self.addr.ok_or_else(|| DecodeError::missing("addr"))?;
                let ip: IpAddr = family.addr(raw).map_err(|e| e.within("addr"))?;
                let port = self.port.ok_or_else(|| DecodeError::missing("port"))?;
                ServiceKey::Addr {
                    protocol: Protocol::from(proto),
                    addr: SocketAddr::new(ip, port),
                }
            }
        };
        let sched = self
            .sched
            .ok_or_else(|| DecodeError::missing("sched_name"))?;
        let scheduler = Scheduler::from_name(sched).map_err(|e| {
            DecodeError::new(DecodeErrorKind::InvalidValue(e.to_string())).within("sched_name")
        })?;
        let netmask = match self.netmask {
            Some(raw) => Netmask::try_from((family, raw)).map_err(|e| e.within("netmask"))?,
            None => Netmask::host(family),
        };
        let flags = self.flags.ok_or_else(|| DecodeError::missing("flags"))?;
        Ok(ServiceEntry {
            service: Service {
                key,
                scheduler,
                flags: ServiceFlags::from(flags),
                timeout: self.timeout.unwrap_or(0),
                netmask,
                persistence_engine: self.pe.map(str::to_owned),
            },
            stats: self.stats,
            stats64: self.stats64,
        })
    }
}

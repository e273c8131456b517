//! A service as a listing shows it: its configuration and its counters.

use std::borrow::Cow;
use std::net::{IpAddr, SocketAddr};

use super::parse_back::parse_back;
use super::{
    BuildError, Family, Netmask, Protocol, Scheduler, Service, ServiceFlags, ServiceKey, Stats,
};
use crate::wire::constants::svc_attr;
use crate::wire::nla::{self, attrs};
use crate::wire::{service, DecodeError, DecodeErrorKind, ServiceAttr};

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
        ServiceEntry {
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
        let mut reply = ServiceReply::default();
        attrs.iter().for_each(|a| reply.take(a.clone()));
        reply.finish().map_err(|e| e.within("service"))
    }

    /// Parses the payload of a reply's `SERVICE` nest straight into an
    /// entry: the result of [`ServiceAttr::parse_nest`] then
    /// [`from_attrs`](Self::from_attrs), errors under `service`, without
    /// building the attribute lists.
    pub fn from_nest(buf: &[u8]) -> Result<Self, DecodeError> {
        Self::from_nest_inner(buf).map_err(|e| e.within("service"))
    }

    /// Reads each attribute into its field as it comes, with the wire
    /// layer's value readers and names, so that no attribute value is built
    /// and dropped: the property tests hold it to `parse_nest` then
    /// `from_attrs`, value and error alike.
    fn from_nest_inner(buf: &[u8]) -> Result<Self, DecodeError> {
        use svc_attr as a;
        let mut r = ServiceReply::default();
        for attr in attrs(buf) {
            let attr = attr?;
            let v = attr.value;
            let named = |e: DecodeError| e.within(service::name(attr.kind));
            match attr.kind {
                a::AF => r.af = Some(nla::get_u16(v).map_err(named)?),
                a::PROTOCOL => r.proto = Some(nla::get_u16(v).map_err(named)?),
                a::ADDR => {
                    nla::get_addr(v).map_err(named)?;
                    r.addr = Some(Cow::Borrowed(v));
                }
                a::PORT => r.port = Some(nla::get_be16(v).map_err(named)?),
                a::FWMARK => r.mark = Some(nla::get_u32(v).map_err(named)?),
                a::SCHED_NAME => r.sched = Some(nla::get_str(v).map_err(named)?),
                a::FLAGS => {
                    let (flags, mask) = service::get_flags(v).map_err(named)?;
                    r.flags = Some(flags & mask);
                }
                a::TIMEOUT => r.timeout = Some(nla::get_u32(v).map_err(named)?),
                a::NETMASK => r.netmask = Some(nla::get_4(v).map_err(named)?),
                a::STATS => r.stats = Some(Stats::from_nest::<u32>(v).map_err(named)?),
                a::PE_NAME => {
                    let pe = nla::get_str(v).map_err(named)?;
                    if !pe.is_empty() {
                        r.pe = Some(pe);
                    }
                }
                a::STATS64 => r.stats64 = Some(Stats::from_nest::<u64>(v).map_err(named)?),
                // Unknown attributes: `ServiceAttr::Other`, which carries nothing.
                _ => {}
            }
        }
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
    addr: Option<Cow<'a, [u8]>>,
    port: Option<u16>,
    mark: Option<u32>,
    sched: Option<String>,
    flags: Option<u32>,
    timeout: Option<u32>,
    netmask: Option<[u8; 4]>,
    pe: Option<String>,
    stats: Option<Stats>,
    stats64: Option<Stats>,
}

impl ServiceReply<'_> {
    fn take(&mut self, a: ServiceAttr) {
        match a {
            ServiceAttr::AddressFamily(v) => self.af = Some(v),
            ServiceAttr::Protocol(v) => self.proto = Some(v),
            ServiceAttr::Address(v) => self.addr = Some(Cow::Owned(v)),
            ServiceAttr::Port(v) => self.port = Some(v),
            ServiceAttr::FwMark(v) => self.mark = Some(v),
            ServiceAttr::SchedName(v) => self.sched = Some(v),
            ServiceAttr::Flags { flags, mask } => self.flags = Some(flags & mask),
            ServiceAttr::Timeout(v) => self.timeout = Some(v),
            ServiceAttr::Netmask(v) => self.netmask = Some(v),
            ServiceAttr::Stats(s) => self.stats = Some(Stats::from_attrs(&s)),
            ServiceAttr::PeName(v) if !v.is_empty() => self.pe = Some(v),
            ServiceAttr::Stats64(s) => self.stats64 = Some(Stats::from_attrs(&s)),
            ServiceAttr::PeName(_) | ServiceAttr::Other(_) => {}
        }
    }

    fn finish(self) -> Result<ServiceEntry, DecodeError> {
        let af = self.af.ok_or_else(|| DecodeError::missing("af"))?;
        let family = Family::try_from(af).map_err(|e| e.within("af"))?;
        let key = match self.mark {
            Some(mark) if mark != 0 => ServiceKey::FwMark { family, mark },
            _ => {
                let proto = self.proto.ok_or_else(|| DecodeError::missing("protocol"))?;
                let raw = self.addr.ok_or_else(|| DecodeError::missing("addr"))?;
                let ip: IpAddr = family.addr(&raw).map_err(|e| e.within("addr"))?;
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
        let scheduler = Scheduler::from_name(&sched).map_err(|e| {
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
                persistence_engine: self.pe,
            },
            stats: self.stats,
            stats64: self.stats64,
        })
    }
}

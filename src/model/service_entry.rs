//! A service as a listing shows it: its configuration and its counters.

use std::net::{IpAddr, SocketAddr};

use super::parse_back::parse_back;
use super::{
    BuildError, Family, Netmask, Protocol, Scheduler, Service, ServiceFlags, ServiceKey, Stats,
};
use crate::wire::attr_set::{Addr, Be16, Codec, FlagsMask, Nest, Raw4, Str, U16, U32};
use crate::wire::constants::svc_attr;
use crate::wire::nla::FixedAttrs;
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
        if let Nest::Wire(buf) = nest {
            if let Some(r) = ServiceReply::from_kernel_layout(buf) {
                return r.finish();
            }
        }
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
    /// The fast path of [`ServiceEntry::from_nest`], for a nest laid out
    /// as the kernel writes it (`ip_vs_genl_fill_service`): the family,
    /// then the firewall mark or the protocol, address and port, the
    /// scheduler, the persistence engine if there is one, the flags,
    /// timeout and netmask, then the `STATS` and `STATS64` nests, nothing
    /// else, every value one its codec accepts. Anything else gives `None`
    /// and is read attribute by attribute from the start (which reports
    /// what is wrong); on this layout both give the same entry (tested on
    /// the captured replies, and fuzzed).
    #[inline(always)]
    fn from_kernel_layout(buf: &'a [u8]) -> Option<Self> {
        use svc_attr::*;
        let mut f = FixedAttrs::new(buf);
        let mut r = Self::default();
        // Each found in the kernel's order, decoded by its set's codec and
        // taken as the walk takes it.
        r.take(ServiceRef::AddressFamily(f.fixed::<U16, 2>(AF)?))
            .ok()?;
        // Not there (nothing read) unless the service is a firewall mark's.
        match f.fixed::<U32, 4>(FWMARK) {
            Some(mark) => r.take(ServiceRef::FwMark(mark)).ok()?,
            None => {
                r.take(ServiceRef::Protocol(f.fixed::<U16, 2>(PROTOCOL)?))
                    .ok()?;
                r.take(ServiceRef::Address(f.fixed::<Addr, 16>(ADDR)?))
                    .ok()?;
                r.take(ServiceRef::Port(f.fixed::<Be16, 2>(PORT)?)).ok()?;
            }
        }
        let sched = Str::decode(f.payload(SCHED_NAME)?).ok()?;
        r.take(ServiceRef::SchedName(sched)).ok()?;
        if let Some(name) = f.payload(PE_NAME) {
            r.take(ServiceRef::PeName(Str::decode(name).ok()?)).ok()?;
        }
        r.take(ServiceRef::Flags(f.fixed::<FlagsMask, 8>(FLAGS)?))
            .ok()?;
        r.take(ServiceRef::Timeout(f.fixed::<U32, 4>(TIMEOUT)?))
            .ok()?;
        r.take(ServiceRef::Netmask(f.fixed::<Raw4, 4>(NETMASK)?))
            .ok()?;
        r.take(ServiceRef::Stats(Nest::Wire(f.payload(STATS)?)))
            .ok()?;
        r.take(ServiceRef::Stats64(Nest::Wire(f.payload(STATS64)?)))
            .ok()?;
        f.at_end().then_some(r)
    }

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::captured_nests::{nests_in, payload_of as emit};
    use crate::wire::constants::cmd_attr;
    use crate::wire::nla::attrs;
    use crate::wire::RawAttr;

    /// Every `SERVICE` nest in the kernels' captured replies.
    fn captured_nests() -> Vec<Vec<u8>> {
        let files: [&[u8]; 6] = [
            include_bytes!("../../tests/fixtures/linux-6.1/service_dump.bin"),
            include_bytes!("../../tests/fixtures/linux-6.1/service_get.bin"),
            include_bytes!("../../tests/fixtures/linux-6.1/service_traffic.bin"),
            include_bytes!("../../tests/fixtures/linux-6.12/service_dump.bin"),
            include_bytes!("../../tests/fixtures/linux-6.12/service_get.bin"),
            include_bytes!("../../tests/fixtures/linux-6.12/service_traffic.bin"),
        ];
        files
            .into_iter()
            .flat_map(|f| nests_in(f, cmd_attr::SERVICE))
            .collect()
    }

    /// The entry read attribute by attribute, as any layout is.
    fn general(nest: &[u8]) -> Result<ServiceEntry, DecodeError> {
        let mut r = ServiceReply::default();
        svc_attr::read(nest, |a| r.take(a))?;
        r.finish()
    }

    #[test]
    fn kernel_nests_are_read_at_fixed_places_into_the_same_entries() {
        let nests = captured_nests();
        assert!(nests.len() >= 18, "{} nests", nests.len());
        let (mut marks, mut engines) = (0, 0);
        for nest in &nests {
            let fast = ServiceReply::from_kernel_layout(nest)
                .unwrap_or_else(|| panic!("not in the kernel's layout: {nest:?}"))
                .finish();
            let entry = general(nest).unwrap();
            assert_eq!(fast, Ok(entry.clone()));
            assert_eq!(ServiceEntry::from_nest(nest), Ok(entry.clone()));
            marks += usize::from(matches!(entry.service.key, ServiceKey::FwMark { .. }));
            engines += usize::from(entry.service.persistence_engine.is_some());
            // The crate writes a reply nest in the same layout.
            let written = emit(&entry.to_reply_attrs().unwrap());
            assert!(ServiceReply::from_kernel_layout(&written).is_some());
        }
        // Both kinds of key, and services with a persistence engine.
        assert!(
            marks >= 4 && engines >= 4,
            "{marks} marks, {engines} engines"
        );
    }

    #[test]
    fn other_layouts_and_refused_values_are_left_to_the_attribute_walk() {
        let nest = captured_nests().swap_remove(0);
        let kernel = ServiceAttr::parse_nest(&nest).unwrap();
        let entry = general(&nest).unwrap();
        // Without the 64-bit counters (kernels before 4.1): an entry with
        // only the 32-bit ones.
        let old: Vec<ServiceAttr> = kernel
            .iter()
            .filter(|a| !matches!(a, ServiceAttr::Stats64(_)))
            .cloned()
            .collect();
        let buf = emit(&old);
        assert!(ServiceReply::from_kernel_layout(&buf).is_none());
        let mut older = entry.clone();
        older.stats64 = None;
        assert_eq!(ServiceEntry::from_nest(&buf), Ok(older));
        // Reordered, and with one attribute more: the same entry.
        let mut reordered = kernel.clone();
        reordered.swap(0, 1);
        let mut longer = kernel.clone();
        longer.push(ServiceAttr::Other(
            RawAttr::new(99, vec![1, 2, 3, 4]).unwrap(),
        ));
        for list in [reordered, longer] {
            let buf = emit(&list);
            assert!(ServiceReply::from_kernel_layout(&buf).is_none(), "{list:?}");
            assert_eq!(ServiceEntry::from_nest(&buf), Ok(entry.clone()));
        }
        // Cut anywhere, the fixed reading never claims the nest.
        for cut in 0..nest.len() {
            assert!(
                ServiceReply::from_kernel_layout(&nest[..cut]).is_none(),
                "cut at {cut}"
            );
        }
        // A scheduler name that is not UTF-8: the walk's error.
        let sched = attrs(&nest)
            .map(|a| a.unwrap())
            .find(|a| a.kind == svc_attr::SCHED_NAME)
            .map(|a| a.value.as_ptr() as usize - nest.as_ptr() as usize)
            .unwrap();
        let mut bad = nest.clone();
        bad[sched] = 0xff;
        let err = general(&bad).unwrap_err();
        assert!(err.to_string().contains("sched_name"), "{err}");
        assert_eq!(ServiceEntry::from_nest(&bad), Err(err.within("service")));
    }
}

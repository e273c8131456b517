//! A destination as a listing shows it: its configuration, its connection
//! counts and its traffic counters.

use std::net::SocketAddr;

use super::{
    inet_addr_bytes, BuildError, Destination, Family, ForwardMethod, RawForward, RawTunnel, Stats,
};
use crate::wire::attr_set::Nest;
use crate::wire::attr_set::{Addr, Be16, U16, U32, U8};
use crate::wire::constants::dest_attr;
use crate::wire::dest::DestRef;
use crate::wire::nla::FixedAttrs;
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
    /// `service`: its attributes in the kernel's order, the tunnel ones
    /// (zero unless tunnelling) included (for round trips and fixtures).
    pub fn to_reply_attrs(&self, service: Family) -> Result<Vec<DestAttr>, BuildError> {
        let d = &self.dest;
        d.validate(service)?;
        let RawForward { method, tunnel } = RawForward::from(d.forward);
        let mut v = vec![
            DestAttr::Address(inet_addr_bytes(d.addr.ip()).to_vec()),
            DestAttr::Port(d.addr.port()),
            DestAttr::FwdMethod(method),
            DestAttr::Weight(d.weight),
            DestAttr::TunType(tunnel.kind),
            DestAttr::TunPort(tunnel.port),
            DestAttr::TunFlags(tunnel.flags),
            DestAttr::UpperThreshold(d.upper_threshold),
            DestAttr::LowerThreshold(d.lower_threshold),
            DestAttr::ActiveConns(self.active_conns),
            DestAttr::InactiveConns(self.inactive_conns),
            DestAttr::PersistConns(self.persist_conns),
            DestAttr::AddressFamily(u16::from(d.family())),
        ];
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
        if let Nest::Wire(buf) = nest {
            if let Some(r) = DestReply::from_kernel_layout(buf) {
                return r.finish(service);
            }
        }
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
    /// The fast path of [`DestinationEntry::from_nest`], for a nest laid
    /// out as the kernel writes it (`ip_vs_genl_fill_dest`, the tunnel
    /// attributes included since Linux 5.2): each attribute of the set but
    /// the counters in that order, at fixed places, then the `STATS` and
    /// `STATS64` nests, nothing else, every value one its codec accepts.
    /// Anything else gives `None` and is read attribute by attribute from
    /// the start (which reports what is wrong); on this layout both give
    /// the same entry (tested on the captured replies, and fuzzed). Every
    /// destination of a table listing comes this way: read at fixed
    /// places, a destination costs the client a third of the instructions
    /// of the attribute walk.
    #[inline(always)]
    fn from_kernel_layout(buf: &'a [u8]) -> Option<Self> {
        use dest_attr::*;
        let mut f = FixedAttrs::new(buf);
        let mut r = Self::default();
        // Each found in the kernel's order, decoded by its set's codec and
        // taken as the walk takes it.
        r.take(DestRef::Address(f.fixed::<Addr, 16>(ADDR)?)).ok()?;
        r.take(DestRef::Port(f.fixed::<Be16, 2>(PORT)?)).ok()?;
        r.take(DestRef::FwdMethod(f.fixed::<U32, 4>(FWD_METHOD)?))
            .ok()?;
        r.take(DestRef::Weight(f.fixed::<U32, 4>(WEIGHT)?)).ok()?;
        r.take(DestRef::TunType(f.fixed::<U8, 1>(TUN_TYPE)?)).ok()?;
        r.take(DestRef::TunPort(f.fixed::<Be16, 2>(TUN_PORT)?))
            .ok()?;
        r.take(DestRef::TunFlags(f.fixed::<U16, 2>(TUN_FLAGS)?))
            .ok()?;
        r.take(DestRef::UpperThreshold(f.fixed::<U32, 4>(U_THRESH)?))
            .ok()?;
        r.take(DestRef::LowerThreshold(f.fixed::<U32, 4>(L_THRESH)?))
            .ok()?;
        r.take(DestRef::ActiveConns(f.fixed::<U32, 4>(ACTIVE_CONNS)?))
            .ok()?;
        r.take(DestRef::InactiveConns(f.fixed::<U32, 4>(INACT_CONNS)?))
            .ok()?;
        r.take(DestRef::PersistConns(f.fixed::<U32, 4>(PERSIST_CONNS)?))
            .ok()?;
        r.take(DestRef::AddressFamily(f.fixed::<U16, 2>(ADDR_FAMILY)?))
            .ok()?;
        r.take(DestRef::Stats(Nest::Wire(f.payload(STATS)?))).ok()?;
        r.take(DestRef::Stats64(Nest::Wire(f.payload(STATS64)?)))
            .ok()?;
        f.at_end().then_some(r)
    }

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::captured_nests::{nests_in, payload_of as emit};
    use crate::wire::constants::cmd_attr;
    use crate::wire::nla::attrs;
    use crate::wire::RawAttr;

    /// Every `DEST` nest in the kernels' captured destination dumps, with
    /// the family of the service it was listed for.
    fn captured_nests() -> Vec<(Family, Vec<u8>)> {
        let files: [(Family, &[u8]); 8] = [
            (
                Family::Ipv4,
                include_bytes!("../../tests/fixtures/linux-6.1/dest_dump_v4.bin"),
            ),
            (
                Family::Ipv6,
                include_bytes!("../../tests/fixtures/linux-6.1/dest_dump_v6.bin"),
            ),
            (
                Family::Ipv4,
                include_bytes!("../../tests/fixtures/linux-6.1/dest_dump_fwmark.bin"),
            ),
            (
                Family::Ipv4,
                include_bytes!("../../tests/fixtures/linux-6.1/dest_traffic.bin"),
            ),
            (
                Family::Ipv4,
                include_bytes!("../../tests/fixtures/linux-6.12/dest_dump_v4.bin"),
            ),
            (
                Family::Ipv6,
                include_bytes!("../../tests/fixtures/linux-6.12/dest_dump_v6.bin"),
            ),
            (
                Family::Ipv4,
                include_bytes!("../../tests/fixtures/linux-6.12/dest_dump_fwmark.bin"),
            ),
            (
                Family::Ipv4,
                include_bytes!("../../tests/fixtures/linux-6.12/dest_traffic.bin"),
            ),
        ];
        files
            .into_iter()
            .flat_map(|(family, file)| {
                nests_in(file, cmd_attr::DEST)
                    .into_iter()
                    .map(move |n| (family, n))
            })
            .collect()
    }

    /// The entry read attribute by attribute, as any layout is.
    fn general(nest: &[u8], family: Family) -> Result<DestinationEntry, DecodeError> {
        let mut r = DestReply::default();
        dest_attr::read(nest, |a| r.take(a))?;
        r.finish(family)
    }

    #[test]
    fn kernel_nests_are_read_at_fixed_places_into_the_same_entries() {
        let nests = captured_nests();
        // The IPv4 dump alone holds six destinations, tunnels among them.
        assert!(nests.len() >= 16, "{} nests", nests.len());
        let mut tunnels = 0;
        for (family, nest) in &nests {
            let fast = DestReply::from_kernel_layout(nest)
                .unwrap_or_else(|| panic!("not in the kernel's layout: {nest:?}"))
                .finish(*family);
            let entry = general(nest, *family).unwrap();
            assert_eq!(fast, Ok(entry.clone()));
            assert_eq!(
                DestinationEntry::from_nest(nest, *family),
                Ok(entry.clone())
            );
            tunnels += usize::from(matches!(entry.dest.forward, ForwardMethod::Tunnel(_)));
            // The crate writes a reply nest in the same layout.
            let written = emit(&entry.to_reply_attrs(*family).unwrap());
            assert!(DestReply::from_kernel_layout(&written).is_some());
        }
        assert!(tunnels >= 6, "{tunnels} tunnelled destinations");
    }

    #[test]
    fn other_layouts_are_left_to_the_attribute_walk() {
        let (family, nest) = captured_nests().swap_remove(0);
        let kernel = DestAttr::parse_nest(&nest).unwrap();
        let entry = general(&nest, family).unwrap();
        // A destination whose tunnel attributes are all zero: the same
        // entry with or without them.
        assert!(kernel.iter().all(|a| !matches!(
            a,
            DestAttr::TunType(1..) | DestAttr::TunPort(1..) | DestAttr::TunFlags(1..)
        )));
        // Without the tunnel attributes (kernels before 5.2), reordered,
        // with one attribute more, and with the nest flag on a nest.
        let old: Vec<DestAttr> = kernel
            .iter()
            .filter(|a| {
                !matches!(
                    a,
                    DestAttr::TunType(_) | DestAttr::TunPort(_) | DestAttr::TunFlags(_)
                )
            })
            .cloned()
            .collect();
        let mut reordered = kernel.clone();
        reordered.swap(0, 1);
        let mut longer = kernel.clone();
        longer.push(DestAttr::Other(RawAttr::new(99, vec![1, 2, 3, 4]).unwrap()));
        let flagged = {
            let mut v = kernel.clone();
            let stats = v
                .iter()
                .position(|a| matches!(a, DestAttr::Stats(_)))
                .unwrap();
            let DestAttr::Stats(list) = v.remove(stats) else {
                unreachable!()
            };
            let flagged = dest_attr::STATS | crate::wire::nla::NLA_F_NESTED;
            let raw = RawAttr::new(flagged, emit(&list)).unwrap();
            v.insert(stats, DestAttr::Other(raw));
            v
        };
        for list in [old, reordered, longer, flagged] {
            let buf = emit(&list);
            assert!(DestReply::from_kernel_layout(&buf).is_none(), "{list:?}");
            assert_eq!(DestinationEntry::from_nest(&buf, family), Ok(entry.clone()));
        }
        // Cut anywhere, the fixed reading never claims the nest.
        for cut in 0..nest.len() {
            let fast = DestReply::from_kernel_layout(&nest[..cut]);
            assert!(fast.is_none(), "cut at {cut}");
        }
        assert_eq!(DestinationEntry::from_nest(&nest, family), Ok(entry));
    }

    #[test]
    fn a_value_its_codec_refuses_is_left_to_the_attribute_walk() {
        let (family, nest) = captured_nests().swap_remove(0);
        let offset = |kind| {
            attrs(&nest)
                .map(|a| a.unwrap())
                .find(|a| a.kind == kind)
                .map(|a| a.value.as_ptr() as usize - nest.as_ptr() as usize)
                .unwrap()
        };
        // The first counter of the 64-bit nest said to be 7 bytes long, and
        // an address family that is none.
        let mut bad_counter = nest.clone();
        bad_counter[offset(dest_attr::STATS64)] = 7;
        let mut bad_family = nest.clone();
        bad_family[offset(dest_attr::ADDR_FAMILY)] = 99;
        for (buf, names) in [(bad_counter, "stats64"), (bad_family, "addr_family")] {
            let err = general(&buf, family).unwrap_err();
            assert!(err.to_string().contains(names), "{err}");
            let read = DestinationEntry::from_nest(&buf, family);
            assert_eq!(read, Err(err.within("dest")));
        }
    }
}

//! Traffic counters and rates of a service or destination.

use super::BuildError;
use crate::wire::attr_set::{CounterOf, Nest, U64};
use crate::wire::constants::stats_attr;
use crate::wire::nla::FixedAttrs;
use crate::wire::stats::StatsRef;
use crate::wire::{Counter, DecodeError, StatsAttr};

/// Counters since the last zero, and the estimator's rates.
///
/// From a `STATS` nest the packet and connection counters are 32-bit (they
/// wrap); from `STATS64` everything is 64-bit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default))]
pub struct Stats {
    /// Connections scheduled.
    pub conns: u64,
    /// Packets in.
    pub in_packets: u64,
    /// Packets out.
    pub out_packets: u64,
    /// Bytes in.
    pub in_bytes: u64,
    /// Bytes out.
    pub out_bytes: u64,
    /// Connections per second.
    pub cps: u64,
    /// Packets in per second.
    pub in_pps: u64,
    /// Packets out per second.
    pub out_pps: u64,
    /// Bytes in per second.
    pub in_bps: u64,
    /// Bytes out per second.
    pub out_bps: u64,
}

impl Stats {
    /// Reads a statistics nest, borrowed: its payload as received or a
    /// list of attributes. A payload in the kernel's own layout is read at
    /// fixed places ([`from_kernel_layout`](Self::from_kernel_layout));
    /// anything else goes through the set's decoder, attribute by attribute.
    pub(crate) fn from_nest<C: Counter>(nest: Nest<'_, StatsAttr<C>>) -> Result<Self, DecodeError> {
        if let Nest::Wire(buf) = nest {
            if let Some(s) = Self::from_kernel_layout::<C>(buf) {
                return Ok(s);
            }
        }
        let mut s = Self::default();
        nest.read(|a| {
            s.take(a);
            Ok(())
        })?;
        Ok(s)
    }

    /// The fast path of [`from_nest`](Self::from_nest), for a nest laid out
    /// as the kernel writes it where 64-bit values need no padding (x86-64
    /// among others): the ten counters in attribute order, nothing else.
    /// Any other layout gives `None` and is read attribute by attribute; on
    /// this one both ways give the same counters (tested on the captured
    /// replies). A table listing reads two such nests per service and
    /// destination, and reading them at fixed places instead of dispatching
    /// on each attribute's type made that a quarter cheaper in the client.
    #[inline(always)]
    fn from_kernel_layout<C: Counter>(buf: &[u8]) -> Option<Self> {
        use stats_attr::*;
        let mut f = FixedAttrs::new(buf);
        let mut s = Self::default();
        // Each found in the kernel's order, decoded by its set's codec (the
        // byte counters are u64 in both nests) and taken as the walk takes
        // it.
        s.take(StatsRef::Conns(counter::<C>(&mut f, CONNS)?));
        s.take(StatsRef::<C>::InPkts(counter(&mut f, INPKTS)?));
        s.take(StatsRef::<C>::OutPkts(counter(&mut f, OUTPKTS)?));
        s.take(StatsRef::<C>::InBytes(f.fixed::<U64, 8>(INBYTES)?));
        s.take(StatsRef::<C>::OutBytes(f.fixed::<U64, 8>(OUTBYTES)?));
        s.take(StatsRef::<C>::Cps(counter(&mut f, CPS)?));
        s.take(StatsRef::<C>::InPps(counter(&mut f, INPPS)?));
        s.take(StatsRef::<C>::OutPps(counter(&mut f, OUTPPS)?));
        s.take(StatsRef::<C>::InBps(counter(&mut f, INBPS)?));
        s.take(StatsRef::<C>::OutBps(counter(&mut f, OUTBPS)?));
        f.at_end().then_some(s)
    }

    #[inline(always)]
    fn take<C: Counter>(&mut self, a: StatsRef<'_, C>) {
        match a {
            StatsRef::Conns(v) => self.conns = v.into(),
            StatsRef::InPkts(v) => self.in_packets = v.into(),
            StatsRef::OutPkts(v) => self.out_packets = v.into(),
            StatsRef::InBytes(v) => self.in_bytes = v,
            StatsRef::OutBytes(v) => self.out_bytes = v,
            StatsRef::Cps(v) => self.cps = v.into(),
            StatsRef::InPps(v) => self.in_pps = v.into(),
            StatsRef::OutPps(v) => self.out_pps = v.into(),
            StatsRef::InBps(v) => self.in_bps = v.into(),
            StatsRef::OutBps(v) => self.out_bps = v.into(),
            StatsRef::Pad(_) | StatsRef::Other(_) => {}
        }
    }

    pub(crate) fn to_attrs64(self) -> Vec<StatsAttr<u64>> {
        vec![
            StatsAttr::Conns(self.conns),
            StatsAttr::InPkts(self.in_packets),
            StatsAttr::OutPkts(self.out_packets),
            StatsAttr::InBytes(self.in_bytes),
            StatsAttr::OutBytes(self.out_bytes),
            StatsAttr::Cps(self.cps),
            StatsAttr::InPps(self.in_pps),
            StatsAttr::OutPps(self.out_pps),
            StatsAttr::InBps(self.in_bps),
            StatsAttr::OutBps(self.out_bps),
        ]
    }

    /// The 32-bit nest; fails when a 32-bit counter does not fit.
    pub(crate) fn to_attrs32(self) -> Result<Vec<StatsAttr<u32>>, BuildError> {
        let c = |v: u64| u32::try_from(v).map_err(|_| BuildError::Stats32(v));
        Ok(vec![
            StatsAttr::Conns(c(self.conns)?),
            StatsAttr::InPkts(c(self.in_packets)?),
            StatsAttr::OutPkts(c(self.out_packets)?),
            StatsAttr::InBytes(self.in_bytes),
            StatsAttr::OutBytes(self.out_bytes),
            StatsAttr::Cps(c(self.cps)?),
            StatsAttr::InPps(c(self.in_pps)?),
            StatsAttr::OutPps(c(self.out_pps)?),
            StatsAttr::InBps(c(self.in_bps)?),
            StatsAttr::OutBps(c(self.out_bps)?),
        ])
    }
}

/// The next attribute of `fixed` as a counter of width `C`, if it has type
/// `kind` (see [`Stats::from_kernel_layout`]).
#[inline(always)]
fn counter<C: Counter>(fixed: &mut FixedAttrs<'_>, kind: u16) -> Option<C> {
    if size_of::<C>() == 8 {
        fixed.fixed::<CounterOf<C>, 8>(kind)
    } else {
        fixed.fixed::<CounterOf<C>, 4>(kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::captured_nests::{nests_in, payload_of};
    use crate::wire::constants::{cmd_attr, dest_attr, svc_attr};
    use crate::wire::nla::attrs;

    fn from_list<C: Counter>(list: &[StatsAttr<C>]) -> Stats {
        Stats::from_nest(Nest::List(list)).unwrap()
    }

    /// Every statistics nest in the kernels' captured replies: the nests of
    /// the services and destinations of each IPVS message.
    fn captured_nests() -> Vec<(u16, Vec<u8>)> {
        let files: [&[u8]; 6] = [
            include_bytes!("../../tests/fixtures/linux-6.1/service_traffic.bin"),
            include_bytes!("../../tests/fixtures/linux-6.1/dest_traffic.bin"),
            include_bytes!("../../tests/fixtures/linux-6.1/dest_dump_v6.bin"),
            include_bytes!("../../tests/fixtures/linux-6.12/service_traffic.bin"),
            include_bytes!("../../tests/fixtures/linux-6.12/dest_traffic.bin"),
            include_bytes!("../../tests/fixtures/linux-6.12/dest_dump_v6.bin"),
        ];
        // The same numbers in service and destination nests.
        assert_eq!(svc_attr::STATS, dest_attr::STATS);
        assert_eq!(svc_attr::STATS64, dest_attr::STATS64);
        let mut out = Vec::new();
        for file in files {
            let tops = [cmd_attr::SERVICE, cmd_attr::DEST].map(|k| nests_in(file, k));
            for top in tops.iter().flatten() {
                for a in attrs(top) {
                    let a = a.unwrap();
                    if a.kind == svc_attr::STATS || a.kind == svc_attr::STATS64 {
                        out.push((a.kind, a.value.to_vec()));
                    }
                }
            }
        }
        out
    }

    #[test]
    fn kernel_nests_are_read_at_fixed_places_with_the_same_counters() {
        let nests = captured_nests();
        assert!(nests.len() >= 12, "{} nests", nests.len());
        let mut counted = 0;
        for (kind, nest) in &nests {
            let (fast, general) = if *kind == svc_attr::STATS {
                let general = from_list(&StatsAttr::<u32>::parse_nest(nest).unwrap());
                (Stats::from_kernel_layout::<u32>(nest), general)
            } else {
                let general = from_list(&StatsAttr::<u64>::parse_nest(nest).unwrap());
                (Stats::from_kernel_layout::<u64>(nest), general)
            };
            assert_eq!(fast, Some(general), "nest {kind}: {nest:?}");
            counted += usize::from(general.conns > 0);
        }
        // The traffic captures carry real counters, not only zeros.
        assert!(counted >= 4, "{counted} nests with connections");
    }

    #[test]
    fn other_layouts_are_left_to_the_attribute_parser() {
        let s = Stats {
            conns: 1,
            in_packets: 2,
            out_packets: 3,
            in_bytes: 4,
            out_bytes: 5,
            cps: 6,
            in_pps: 7,
            out_pps: 8,
            in_bps: 9,
            out_bps: 10,
        };
        let emit = payload_of::<StatsAttr<u64>>;
        let canonical = emit(&s.to_attrs64());
        assert_eq!(Stats::from_kernel_layout::<u64>(&canonical), Some(s));
        // Read as the 32-bit nest, the lengths do not match.
        assert_eq!(Stats::from_kernel_layout::<u32>(&canonical), None);
        // Reordered, padded, cut short, or with one more attribute.
        let mut reordered = s.to_attrs64();
        reordered.swap(0, 1);
        let mut padded = s.to_attrs64();
        padded.insert(3, StatsAttr::Pad(vec![]));
        let mut longer = s.to_attrs64();
        longer.push(StatsAttr::Other(
            crate::wire::RawAttr::new(11, vec![0; 8]).unwrap(),
        ));
        for list in [reordered, padded, s.to_attrs64()[..9].to_vec(), longer] {
            let buf = emit(&list);
            assert_eq!(Stats::from_kernel_layout::<u64>(&buf), None);
            assert_eq!(
                Stats::from_nest(Nest::<StatsAttr<u64>>::Wire(&buf)),
                Ok(from_list(&list))
            );
        }
    }
}

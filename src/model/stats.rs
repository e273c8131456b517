//! Traffic counters and rates of a service or destination.

use super::BuildError;
use crate::wire::nla::{attrs, get_u64};
use crate::wire::stats::{counter, stat_name};
use crate::wire::{Counter, DecodeError, StatsAttr};

/// Counters since the last zero, and the estimator's rates.
///
/// From a `STATS` nest the packet and connection counters are 32-bit (they
/// wrap); from `STATS64` everything is 64-bit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
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
    pub(crate) fn from_attrs<C: Counter>(list: &[StatsAttr<C>]) -> Self {
        let mut s = Stats::default();
        list.iter().for_each(|a| s.take(a));
        s
    }

    /// Reads the payload of a statistics nest straight into counters: the
    /// values of [`StatsAttr::parse_nest`] then `from_attrs`, without the
    /// attribute list. Each attribute goes to its field as it comes, with
    /// the wire layer's value readers and names (the property tests hold
    /// the two paths to the same values and errors).
    pub(crate) fn from_nest<C: Counter>(buf: &[u8]) -> Result<Self, DecodeError> {
        use crate::wire::constants::stats_attr as a;
        let mut s = Stats::default();
        for attr in attrs(buf) {
            let attr = attr?;
            let field = match attr.kind {
                a::CONNS => &mut s.conns,
                a::INPKTS => &mut s.in_packets,
                a::OUTPKTS => &mut s.out_packets,
                a::CPS => &mut s.cps,
                a::INPPS => &mut s.in_pps,
                a::OUTPPS => &mut s.out_pps,
                a::INBPS => &mut s.in_bps,
                a::OUTBPS => &mut s.out_bps,
                a::INBYTES => &mut s.in_bytes,
                a::OUTBYTES => &mut s.out_bytes,
                // Padding and unknown attributes carry no counter.
                _ => continue,
            };
            let value = match attr.kind {
                // Byte counters are 64-bit in both nests.
                a::INBYTES | a::OUTBYTES => get_u64(attr.value),
                _ => counter::<C>(attr.value),
            };
            *field = value.map_err(|e| e.within(stat_name(attr.kind)))?;
        }
        Ok(s)
    }

    fn take<C: Counter>(&mut self, a: &StatsAttr<C>) {
        match a {
            StatsAttr::Conns(v) => self.conns = (*v).into(),
            StatsAttr::InPkts(v) => self.in_packets = (*v).into(),
            StatsAttr::OutPkts(v) => self.out_packets = (*v).into(),
            StatsAttr::InBytes(v) => self.in_bytes = *v,
            StatsAttr::OutBytes(v) => self.out_bytes = *v,
            StatsAttr::Cps(v) => self.cps = (*v).into(),
            StatsAttr::InPps(v) => self.in_pps = (*v).into(),
            StatsAttr::OutPps(v) => self.out_pps = (*v).into(),
            StatsAttr::InBps(v) => self.in_bps = (*v).into(),
            StatsAttr::OutBps(v) => self.out_bps = (*v).into(),
            StatsAttr::Pad(_) | StatsAttr::Other(_) => {}
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

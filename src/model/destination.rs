//! A destination (real server) of a service, and how packets reach it.

use std::borrow::Cow;
use std::net::SocketAddr;

use super::build_error::parse_back;
use super::family::addr16;
use super::{BuildError, Family, Stats};
use crate::wire::constants::{cmd_attr, dest_attr};
use crate::wire::nla::{self, attrs, Writer};
use crate::wire::{dest, DecodeError, DecodeErrorKind, DestAttr};

const FWD_MASQ: u32 = 0;
const FWD_LOCAL: u32 = 1;
const FWD_TUNNEL: u32 = 2;
const FWD_DROUTE: u32 = 3;
const FWD_BYPASS: u32 = 4;
const TUN_IPIP: u8 = 0;
const TUN_GUE: u8 = 1;
const TUN_GRE: u8 = 2;
const TUN_F_CSUM: u16 = 1;
const TUN_F_REMCSUM: u16 = 2;

/// Checksum option of a GUE tunnel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum GueChecksum {
    /// No checksum (`--tun-nocsum`).
    #[default]
    None,
    /// UDP checksum (`--tun-csum`).
    Checksum,
    /// Remote checksum offload (`--tun-remcsum`).
    Remote,
}

/// The encapsulation of a tunnelled destination. Checksum options exist only
/// where the kernel supports them, so a checksum on IPIP cannot be expressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Tunnel {
    /// IP in IP.
    #[default]
    Ipip,
    /// Generic UDP encapsulation to `port` (kernels >= 5.2).
    Gue {
        /// Destination UDP port of the encapsulation (not 0).
        port: u16,
        /// Checksum option (kernels >= 5.3).
        checksum: GueChecksum,
    },
    /// GRE (kernels >= 5.3).
    Gre {
        /// Whether GRE checksums are on.
        checksum: bool,
    },
    /// A tunnel type this crate does not know, as received.
    Other {
        /// `TUN_TYPE`.
        kind: u8,
        /// `TUN_PORT`.
        port: u16,
        /// `TUN_FLAGS`.
        flags: u16,
    },
}

impl Tunnel {
    fn to_wire(self) -> (u8, u16, u16) {
        match self {
            Tunnel::Ipip => (TUN_IPIP, 0, 0),
            Tunnel::Gue { port, checksum } => (
                TUN_GUE,
                port,
                match checksum {
                    GueChecksum::None => 0,
                    GueChecksum::Checksum => TUN_F_CSUM,
                    GueChecksum::Remote => TUN_F_REMCSUM,
                },
            ),
            Tunnel::Gre { checksum } => (TUN_GRE, 0, if checksum { TUN_F_CSUM } else { 0 }),
            Tunnel::Other { kind, port, flags } => (kind, port, flags),
        }
    }

    fn from_wire(kind: u8, port: u16, flags: u16) -> Self {
        match (kind, flags) {
            (TUN_IPIP, 0) if port == 0 => Tunnel::Ipip,
            (TUN_GUE, 0) => Tunnel::Gue {
                port,
                checksum: GueChecksum::None,
            },
            (TUN_GUE, TUN_F_CSUM) => Tunnel::Gue {
                port,
                checksum: GueChecksum::Checksum,
            },
            (TUN_GUE, TUN_F_REMCSUM) => Tunnel::Gue {
                port,
                checksum: GueChecksum::Remote,
            },
            (TUN_GRE, 0 | TUN_F_CSUM) if port == 0 => Tunnel::Gre {
                checksum: flags == TUN_F_CSUM,
            },
            _ => Tunnel::Other { kind, port, flags },
        }
    }
}

/// How packets reach a destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ForwardMethod {
    /// NAT (`-m`), ipvsadm's default.
    #[default]
    Masquerade,
    /// Local delivery.
    Local,
    /// Tunnelling (`-i`).
    Tunnel(Tunnel),
    /// Direct routing (`-g`).
    DirectRoute,
    /// Cache bypass (internal to the kernel; not meant for destinations).
    Bypass,
    /// A value 5..=7 this crate does not know.
    Other(u8),
}

impl ForwardMethod {
    fn code(self) -> u32 {
        match self {
            ForwardMethod::Masquerade => FWD_MASQ,
            ForwardMethod::Local => FWD_LOCAL,
            ForwardMethod::Tunnel(_) => FWD_TUNNEL,
            ForwardMethod::DirectRoute => FWD_DROUTE,
            ForwardMethod::Bypass => FWD_BYPASS,
            ForwardMethod::Other(n) => u32::from(n & 7),
        }
    }
}

/// A real server of a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    /// Address and port. Its family may differ from the service's only with
    /// tunnel forwarding.
    pub addr: SocketAddr,
    /// Forwarding method (with the tunnel parameters).
    pub forward: ForwardMethod,
    /// Weight, 0..=i32::MAX; 0 stops new connections (drain).
    pub weight: u32,
    /// Upper connection threshold, 0 for none.
    pub upper_threshold: u32,
    /// Lower connection threshold.
    pub lower_threshold: u32,
    /// Active connections (replies only).
    pub active_conns: u32,
    /// Inactive connections (replies only).
    pub inactive_conns: u32,
    /// Persistence templates (replies only).
    pub persist_conns: u32,
    /// Counters from the 32-bit `STATS` nest (replies only).
    pub stats: Option<Stats>,
    /// Counters from the `STATS64` nest (replies only).
    pub stats64: Option<Stats>,
}

impl Destination {
    /// A masquerading destination of weight 1 and no thresholds.
    pub fn new(addr: SocketAddr) -> Self {
        Destination {
            addr,
            forward: ForwardMethod::Masquerade,
            weight: 1,
            upper_threshold: 0,
            lower_threshold: 0,
            active_conns: 0,
            inactive_conns: 0,
            persist_conns: 0,
            stats: None,
            stats64: None,
        }
    }

    /// Sets the forwarding method.
    pub fn forward(mut self, forward: ForwardMethod) -> Self {
        self.forward = forward;
        self
    }

    /// Sets the weight.
    pub fn weight(mut self, weight: u32) -> Self {
        self.weight = weight;
        self
    }

    /// Sets the lower and upper thresholds.
    pub fn thresholds(mut self, lower: u32, upper: u32) -> Self {
        self.lower_threshold = lower;
        self.upper_threshold = upper;
        self
    }

    /// The most precise counters available.
    pub fn counters(&self) -> Option<Stats> {
        self.stats64.or(self.stats)
    }

    /// The address family of the destination.
    pub fn family(&self) -> Family {
        Family::of(&self.addr.ip())
    }

    /// Checks the fields against the kernel's limits, for a service of
    /// family `service`.
    pub fn validate(&self, service: Family) -> Result<(), BuildError> {
        if self.weight > i32::MAX as u32 {
            return Err(BuildError::Weight(self.weight));
        }
        if self.lower_threshold > self.upper_threshold {
            return Err(BuildError::Thresholds {
                lower: self.lower_threshold,
                upper: self.upper_threshold,
            });
        }
        match self.forward {
            ForwardMethod::Tunnel(Tunnel::Gue { port: 0, .. }) => {
                return Err(BuildError::GueWithoutPort)
            }
            ForwardMethod::Tunnel(t @ Tunnel::Other { kind, port, flags })
                if Tunnel::from_wire(kind, port, flags) != t =>
            {
                return Err(BuildError::NonCanonical(format!(
                    "{t:?} is {:?}",
                    Tunnel::from_wire(kind, port, flags)
                )))
            }
            ForwardMethod::Other(n) if !(5..=7).contains(&n) => {
                return Err(BuildError::NonCanonical(format!(
                    "forwarding method {n} is not one of the unnamed values 5..=7"
                )))
            }
            _ => {}
        }
        if self.family() != service && !matches!(self.forward, ForwardMethod::Tunnel(_)) {
            return Err(BuildError::FamilyMismatch {
                dest: self.addr.ip(),
                dest_family: self.family(),
                service,
            });
        }
        Ok(())
    }

    /// Writes the identifying DEST nest of DEL_DEST.
    pub(crate) fn emit_key_nest(addr: SocketAddr, w: &mut Writer<'_>) {
        w.nest(cmd_attr::DEST, |w| {
            w.put_array(dest_attr::ADDR, addr16(&addr.ip()));
            w.put_be16(dest_attr::PORT, addr.port());
            w.put_u16(dest_attr::ADDR_FAMILY, Family::of(&addr.ip()).to_af());
        });
    }

    /// Writes the full DEST nest of NEW_DEST / SET_DEST for a service of
    /// family `service`; fails, writing nothing, on a value the kernel
    /// refuses.
    #[inline]
    pub(crate) fn emit_nest(&self, service: Family, w: &mut Writer<'_>) -> Result<(), BuildError> {
        self.validate(service)?;
        w.nest(cmd_attr::DEST, |w| {
            w.put_array(dest_attr::ADDR, addr16(&self.addr.ip()));
            w.put_be16(dest_attr::PORT, self.addr.port());
            w.put_u32(dest_attr::FWD_METHOD, self.forward.code());
            w.put_u32(dest_attr::WEIGHT, self.weight);
            if let ForwardMethod::Tunnel(t) = self.forward {
                let (kind, port, flags) = t.to_wire();
                w.put_u8(dest_attr::TUN_TYPE, kind);
                w.put_be16(dest_attr::TUN_PORT, port);
                w.put_u16(dest_attr::TUN_FLAGS, flags);
            }
            w.put_u32(dest_attr::U_THRESH, self.upper_threshold);
            w.put_u32(dest_attr::L_THRESH, self.lower_threshold);
            w.put_u16(dest_attr::ADDR_FAMILY, self.family().to_af());
        });
        Ok(())
    }

    /// The nest as the kernel sends it in a reply (for round trips).
    pub fn to_reply_attrs(&self, service: Family) -> Result<Vec<DestAttr>, BuildError> {
        let mut v = parse_back(|w| self.emit_nest(service, w), DestAttr::parse_nest)?;
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

    /// The destination a reply nest describes. `service` is the family of the
    /// service it was listed for (used when the kernel sends no
    /// `ADDR_FAMILY`, as kernels before 3.18 do).
    pub fn from_attrs(attrs: &[DestAttr], service: Family) -> Result<Self, DecodeError> {
        let mut reply = DestReply::default();
        attrs.iter().for_each(|a| reply.take(a.clone()));
        reply.finish(service).map_err(|e| e.within("dest"))
    }

    /// Parses the payload of a reply's `DEST` nest straight into a
    /// destination: the result of [`DestAttr::parse_nest`] then
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

    fn finish(self, service: Family) -> Result<Destination, DecodeError> {
        let family = match self.af {
            None | Some(0) => service,
            Some(n) => Family::from_af(n).map_err(|e| e.within("addr_family"))?,
        };
        let raw = self.addr.ok_or_else(|| DecodeError::missing("addr"))?;
        let ip = family.addr(&raw).map_err(|e| e.within("addr"))?;
        let port = self.port.ok_or_else(|| DecodeError::missing("port"))?;
        let weight = self.weight.ok_or_else(|| DecodeError::missing("weight"))?;
        let fwd = self.fwd.ok_or_else(|| DecodeError::missing("fwd_method"))?;
        let forward = match fwd & 7 {
            FWD_MASQ => ForwardMethod::Masquerade,
            FWD_LOCAL => ForwardMethod::Local,
            FWD_TUNNEL => ForwardMethod::Tunnel(Tunnel::from_wire(
                self.tun_type,
                self.tun_port,
                self.tun_flags,
            )),
            FWD_DROUTE => ForwardMethod::DirectRoute,
            FWD_BYPASS => ForwardMethod::Bypass,
            n => ForwardMethod::Other(n as u8),
        };
        if fwd > 7 {
            return Err(DecodeError::new(DecodeErrorKind::InvalidValue(
                "forwarding method above 7".into(),
            ))
            .within("fwd_method"));
        }
        let mut d = Destination::new(SocketAddr::new(ip, port));
        d.weight = weight;
        d.forward = forward;
        d.upper_threshold = self.upper_threshold;
        d.lower_threshold = self.lower_threshold;
        d.active_conns = self.active_conns;
        d.inactive_conns = self.inactive_conns;
        d.persist_conns = self.persist_conns;
        d.stats = self.stats;
        d.stats64 = self.stats64;
        Ok(d)
    }
}

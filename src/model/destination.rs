//! A destination (real server) of a service, and how packets reach it.

use std::net::SocketAddr;

use super::{inet_addr_bytes, BuildError, Family};
use crate::wire::constants::cmd_attr;
use crate::wire::dest::DestRef;
use crate::wire::nla::Writer;
use crate::wire::{DecodeError, DecodeErrorKind};

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

/// The tunnel attributes of a destination as the kernel takes and reports
/// them: `TUN_TYPE`, `TUN_PORT` and `TUN_FLAGS`.
///
/// Every [`Tunnel`] has one (`RawTunnel::from(tunnel)`), and every value
/// names a tunnel (`Tunnel::from(raw)`): one this crate does not know, or
/// a known type with flags it does not define, becomes [`Tunnel::Other`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct RawTunnel {
    /// `TUN_TYPE`: 0 IPIP, 1 GUE, 2 GRE.
    pub kind: u8,
    /// `TUN_PORT` (in host order here; big-endian on the wire): the GUE
    /// destination port, 0 for the other types.
    pub port: u16,
    /// `TUN_FLAGS`: 1 checksum, 2 remote checksum offload (GUE only).
    pub flags: u16,
}

impl From<Tunnel> for RawTunnel {
    fn from(tunnel: Tunnel) -> Self {
        let (kind, port, flags) = match tunnel {
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
        };
        Self { kind, port, flags }
    }
}

impl From<RawTunnel> for Tunnel {
    fn from(RawTunnel { kind, port, flags }: RawTunnel) -> Self {
        match (kind, flags) {
            (TUN_IPIP, 0) if port == 0 => Self::Ipip,
            (TUN_GUE, 0) => Self::Gue {
                port,
                checksum: GueChecksum::None,
            },
            (TUN_GUE, TUN_F_CSUM) => Self::Gue {
                port,
                checksum: GueChecksum::Checksum,
            },
            (TUN_GUE, TUN_F_REMCSUM) => Self::Gue {
                port,
                checksum: GueChecksum::Remote,
            },
            (TUN_GRE, 0 | TUN_F_CSUM) if port == 0 => Self::Gre {
                checksum: flags == TUN_F_CSUM,
            },
            _ => Self::Other { kind, port, flags },
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

/// The forwarding of a destination as the kernel takes and reports it: the
/// `FWD_METHOD` value and the tunnel attributes.
///
/// `RawForward::from(method)` gives the tunnel attributes of a
/// [`ForwardMethod::Tunnel`] and zeros for the other methods (which send
/// none); `ForwardMethod::try_from(raw)` reads the tunnel attributes only
/// for method 2, and fails on a method above 7 (only the low three bits of
/// the kernel's connection flags are a method).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct RawForward {
    /// `FWD_METHOD`: 0 masquerade, 1 local, 2 tunnel, 3 direct route,
    /// 4 bypass, 5..=7 unnamed.
    pub method: u32,
    /// `TUN_TYPE`, `TUN_PORT`, `TUN_FLAGS`.
    pub tunnel: RawTunnel,
}

impl From<ForwardMethod> for RawForward {
    fn from(forward: ForwardMethod) -> Self {
        let method = match forward {
            ForwardMethod::Masquerade => FWD_MASQ,
            ForwardMethod::Local => FWD_LOCAL,
            ForwardMethod::Tunnel(_) => FWD_TUNNEL,
            ForwardMethod::DirectRoute => FWD_DROUTE,
            ForwardMethod::Bypass => FWD_BYPASS,
            ForwardMethod::Other(n) => u32::from(n & 7),
        };
        let tunnel = match forward {
            ForwardMethod::Tunnel(t) => RawTunnel::from(t),
            _ => RawTunnel::default(),
        };
        Self { method, tunnel }
    }
}

impl TryFrom<RawForward> for ForwardMethod {
    type Error = DecodeError;

    fn try_from(RawForward { method, tunnel }: RawForward) -> Result<Self, DecodeError> {
        Ok(match method {
            FWD_MASQ => Self::Masquerade,
            FWD_LOCAL => Self::Local,
            FWD_TUNNEL => Self::Tunnel(Tunnel::from(tunnel)),
            FWD_DROUTE => Self::DirectRoute,
            FWD_BYPASS => Self::Bypass,
            n @ 5..=7 => Self::Other(n as u8),
            n => {
                return Err(DecodeError::new(DecodeErrorKind::InvalidValue(format!(
                    "forwarding method {n} above 7"
                ))))
            }
        })
    }
}

impl std::fmt::Display for ForwardMethod {
    /// The method's name: `masquerade`, `local`, `tunnel` (any tunnel),
    /// `direct-route`, `bypass`, or `method5`..`method7`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Masquerade => f.write_str("masquerade"),
            Self::Local => f.write_str("local"),
            Self::Tunnel(_) => f.write_str("tunnel"),
            Self::DirectRoute => f.write_str("direct-route"),
            Self::Bypass => f.write_str("bypass"),
            Self::Other(n) => write!(f, "method{n}"),
        }
    }
}

/// A real server of a service: what a request sets, and what a listing's
/// [`DestinationEntry`](super::DestinationEntry) holds besides its
/// connections and counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    /// Address and port. Its family may differ from the service's only with
    /// tunnel forwarding.
    pub addr: SocketAddr,
    /// Forwarding method (with the tunnel parameters).
    pub forward: ForwardMethod,
    /// Weight, 0..=i32::MAX; 0 stops new connections (drain).
    pub weight: u32,
    /// Upper connection threshold, 0 for none; at most `i32::MAX`.
    pub upper_threshold: u32,
    /// Lower connection threshold, at most the upper one.
    pub lower_threshold: u32,
}

impl Destination {
    /// A masquerading destination of weight 1 and no thresholds.
    pub fn new(addr: SocketAddr) -> Self {
        Self {
            addr,
            forward: ForwardMethod::Masquerade,
            weight: 1,
            upper_threshold: 0,
            lower_threshold: 0,
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
        if self.upper_threshold > i32::MAX as u32 {
            return Err(BuildError::UpperThreshold(self.upper_threshold));
        }
        if self.lower_threshold > i32::MAX as u32 {
            return Err(BuildError::LowerThreshold(self.lower_threshold));
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
            ForwardMethod::Tunnel(t @ Tunnel::Other { .. })
                if Tunnel::from(RawTunnel::from(t)) != t =>
            {
                return Err(BuildError::NonCanonical(format!(
                    "{t:?} is {:?}",
                    Tunnel::from(RawTunnel::from(t))
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
            DestRef::Address(&inet_addr_bytes(addr.ip())).emit(w);
            DestRef::Port(addr.port()).emit(w);
            DestRef::AddressFamily(u16::from(Family::of(&addr.ip()))).emit(w);
        });
    }

    /// Writes the full DEST nest of NEW_DEST / SET_DEST for a service of
    /// family `service`; fails, writing nothing, on a value the kernel
    /// refuses.
    #[inline]
    pub(crate) fn emit_nest(&self, service: Family, w: &mut Writer<'_>) -> Result<(), BuildError> {
        self.validate(service)?;
        w.nest(cmd_attr::DEST, |w| {
            DestRef::Address(&inet_addr_bytes(self.addr.ip())).emit(w);
            DestRef::Port(self.addr.port()).emit(w);
            DestRef::FwdMethod(RawForward::from(self.forward).method).emit(w);
            DestRef::Weight(self.weight).emit(w);
            if let ForwardMethod::Tunnel(t) = self.forward {
                let RawTunnel { kind, port, flags } = t.into();
                DestRef::TunType(kind).emit(w);
                DestRef::TunPort(port).emit(w);
                DestRef::TunFlags(flags).emit(w);
            }
            DestRef::UpperThreshold(self.upper_threshold).emit(w);
            DestRef::LowerThreshold(self.lower_threshold).emit(w);
            DestRef::AddressFamily(u16::from(self.family())).emit(w);
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tunnel_value_round_trips() {
        for kind in 0..=3 {
            for flags in 0..=4 {
                for port in [0, 6080] {
                    let raw = RawTunnel { kind, port, flags };
                    assert_eq!(RawTunnel::from(Tunnel::from(raw)), raw, "{raw:?}");
                }
            }
        }
        let gue = Tunnel::Gue {
            port: 6080,
            checksum: GueChecksum::Remote,
        };
        assert_eq!(
            RawTunnel::from(gue),
            RawTunnel {
                kind: 1,
                port: 6080,
                flags: 2
            }
        );
        assert_eq!(Tunnel::from(RawTunnel::from(gue)), gue);
    }

    #[test]
    fn forwarding_methods_convert_up_to_seven() {
        let tunnel = RawTunnel {
            kind: 2,
            port: 0,
            flags: 1,
        };
        for method in 0..=7 {
            let raw = RawForward { method, tunnel };
            let forward = ForwardMethod::try_from(raw).unwrap();
            let back = RawForward::from(forward);
            assert_eq!(back.method, method);
            // Only a tunnel sends tunnel attributes.
            let expected = if method == 2 {
                tunnel
            } else {
                RawTunnel::default()
            };
            assert_eq!(back.tunnel, expected);
        }
        assert_eq!(
            ForwardMethod::try_from(RawForward { method: 2, tunnel }).unwrap(),
            ForwardMethod::Tunnel(Tunnel::Gre { checksum: true })
        );
        let e = ForwardMethod::try_from(RawForward { method: 8, tunnel }).unwrap_err();
        assert!(e.to_string().contains("forwarding method 8 above 7"), "{e}");
    }
}

//! What identifies a virtual service: protocol, address and port, or a
//! firewall mark.

use std::net::{IpAddr, SocketAddr};

use super::{inet_addr_bytes, BuildError, Family};
use crate::wire::constants::cmd_attr;
use crate::wire::nla::Writer;
use crate::wire::service::ServiceRef;

/// The IP protocol of a service.
///
/// Its number is `u16::from(protocol)`; every number converts back
/// (`Protocol::from(n)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Protocol {
    /// TCP (6).
    Tcp,
    /// UDP (17).
    Udp,
    /// SCTP (132).
    Sctp,
    /// Any other protocol number (the kernel does not check it).
    Other(u16),
}

impl From<Protocol> for u16 {
    /// The protocol number.
    fn from(protocol: Protocol) -> Self {
        match protocol {
            Protocol::Tcp => 6,
            Protocol::Udp => 17,
            Protocol::Sctp => 132,
            Protocol::Other(n) => n,
        }
    }
}

impl From<u16> for Protocol {
    /// The protocol of a number.
    fn from(n: u16) -> Self {
        match n {
            6 => Self::Tcp,
            17 => Self::Udp,
            132 => Self::Sctp,
            n => Self::Other(n),
        }
    }
}

/// The identity of a virtual service.
///
/// Its text form ([`Display`](std::fmt::Display) and
/// [`FromStr`](std::str::FromStr)) is `PROTOCOL:ADDRESS:PORT` or
/// `fwmark:MARK` / `fwmark6:MARK`: `tcp:10.0.0.1:80`,
/// `udp:[2001:db8::1]:53`, `sctp:10.0.0.1:3868`, `proto47:10.0.0.1:0`,
/// `fwmark:5`, `fwmark6:5` (see [`ParseKeyError`](super::ParseKeyError)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ServiceKey {
    /// A service on an address and port.
    Addr {
        /// The protocol.
        protocol: Protocol,
        /// The virtual address and port.
        addr: SocketAddr,
    },
    /// A service selected by a firewall mark.
    FwMark {
        /// The family of the packets it takes.
        family: Family,
        /// The mark (not 0).
        mark: u32,
    },
}

impl ServiceKey {
    /// A TCP service.
    pub fn tcp(addr: SocketAddr) -> Self {
        Self::Addr {
            protocol: Protocol::Tcp,
            addr,
        }
    }

    /// A UDP service.
    pub fn udp(addr: SocketAddr) -> Self {
        Self::Addr {
            protocol: Protocol::Udp,
            addr,
        }
    }

    /// An SCTP service.
    pub fn sctp(addr: SocketAddr) -> Self {
        Self::Addr {
            protocol: Protocol::Sctp,
            addr,
        }
    }

    /// A firewall-mark service.
    pub fn fwmark(family: Family, mark: u32) -> Self {
        Self::FwMark { family, mark }
    }

    /// The address family.
    pub fn family(&self) -> Family {
        match self {
            Self::Addr { addr, .. } => Family::of(&addr.ip()),
            Self::FwMark { family, .. } => *family,
        }
    }

    /// Whether it is a firewall-mark service.
    pub fn is_fwmark(&self) -> bool {
        matches!(self, Self::FwMark { .. })
    }

    pub(crate) fn validate(&self) -> Result<(), BuildError> {
        match self {
            Self::FwMark { mark: 0, .. } => Err(BuildError::ZeroFwMark),
            _ => Ok(()),
        }
    }

    /// Writes the identifying attributes of a service nest.
    #[inline]
    pub(crate) fn emit(&self, w: &mut Writer<'_>) {
        ServiceRef::AddressFamily(u16::from(self.family())).emit(w);
        match self {
            Self::Addr { protocol, addr } => {
                ServiceRef::Protocol(u16::from(*protocol)).emit(w);
                ServiceRef::Address(&inet_addr_bytes(addr.ip())).emit(w);
                ServiceRef::Port(addr.port()).emit(w);
            }
            Self::FwMark { mark, .. } => ServiceRef::FwMark(*mark).emit(w),
        }
    }

    /// Writes the identifying nest alone (for delete, get, zero,
    /// destinations); fails, writing nothing, on a key the kernel refuses.
    #[inline]
    pub(crate) fn emit_nest(&self, w: &mut Writer<'_>) -> Result<(), BuildError> {
        self.validate()?;
        w.nest(cmd_attr::SERVICE, |w| self.emit(w));
        Ok(())
    }
}

impl From<(Protocol, IpAddr, u16)> for ServiceKey {
    fn from((protocol, ip, port): (Protocol, IpAddr, u16)) -> Self {
        Self::Addr {
            protocol,
            addr: SocketAddr::new(ip, port),
        }
    }
}

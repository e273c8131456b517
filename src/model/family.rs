//! Address families.

use std::fmt;
use std::net::IpAddr;

use crate::wire::constants::af;
use crate::wire::{DecodeError, DecodeErrorKind};

/// IPv4 or IPv6.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum Family {
    /// `AF_INET`.
    Ipv4,
    /// `AF_INET6`.
    Ipv6,
}

impl Family {
    /// The family of an address.
    pub fn of(addr: &IpAddr) -> Self {
        match addr {
            IpAddr::V4(_) => Family::Ipv4,
            IpAddr::V6(_) => Family::Ipv6,
        }
    }

    /// `AF_INET` or `AF_INET6`.
    pub fn to_af(self) -> u16 {
        match self {
            Family::Ipv4 => af::INET,
            Family::Ipv6 => af::INET6,
        }
    }

    /// The family of an `AF_*` number.
    pub fn from_af(n: u16) -> Result<Self, DecodeError> {
        match n {
            af::INET => Ok(Family::Ipv4),
            af::INET6 => Ok(Family::Ipv6),
            n => Err(DecodeError::new(DecodeErrorKind::InvalidValue(format!(
                "unknown address family {n}"
            )))),
        }
    }

    /// Reads an address of this family from up to 16 raw bytes.
    pub(crate) fn addr(self, raw: &[u8]) -> Result<IpAddr, DecodeError> {
        let mut b = [0u8; 16];
        let n = raw.len().min(16);
        b[..n].copy_from_slice(&raw[..n]);
        match self {
            Family::Ipv4 if raw.len() >= 4 => Ok(IpAddr::from([b[0], b[1], b[2], b[3]])),
            Family::Ipv6 if raw.len() == 16 => Ok(IpAddr::from(b)),
            _ => Err(DecodeError::new(DecodeErrorKind::PayloadSize {
                expected: if self == Family::Ipv4 {
                    &[4, 16]
                } else {
                    &[16]
                },
                found: raw.len(),
            })),
        }
    }
}

/// The 16 bytes the kernel wants for an address (IPv4 in the first four).
pub(crate) fn addr16(addr: &IpAddr) -> [u8; 16] {
    match addr {
        IpAddr::V4(a) => {
            let mut v = [0u8; 16];
            v[..4].copy_from_slice(&a.octets());
            v
        }
        IpAddr::V6(a) => a.octets(),
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Family::Ipv4 => "IPv4",
            Family::Ipv6 => "IPv6",
        })
    }
}

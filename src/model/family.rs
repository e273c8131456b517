//! Address families.

use std::fmt;
use std::net::IpAddr;

use crate::wire::constants::af;
use crate::wire::{DecodeError, DecodeErrorKind};

/// IPv4 or IPv6.
///
/// Its `AF_*` number is `u16::from(family)`; `Family::try_from(n)` reads
/// one back and fails with a [`DecodeError`] on a number that is neither
/// `AF_INET` nor `AF_INET6`.
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
            IpAddr::V4(_) => Self::Ipv4,
            IpAddr::V6(_) => Self::Ipv6,
        }
    }

    /// Reads an address of this family from up to 16 raw bytes.
    pub(crate) fn addr(self, raw: &[u8]) -> Result<IpAddr, DecodeError> {
        let mut b = [0u8; 16];
        let n = raw.len().min(16);
        b[..n].copy_from_slice(&raw[..n]);
        match self {
            Self::Ipv4 if raw.len() >= 4 => Ok(IpAddr::from([b[0], b[1], b[2], b[3]])),
            Self::Ipv6 if raw.len() == 16 => Ok(IpAddr::from(b)),
            _ => Err(DecodeError::new(DecodeErrorKind::PayloadSize {
                expected: if self == Self::Ipv4 { &[4, 16] } else { &[16] },
                found: raw.len(),
            })),
        }
    }
}

impl From<Family> for u16 {
    /// `AF_INET` or `AF_INET6`.
    fn from(family: Family) -> Self {
        match family {
            Family::Ipv4 => af::INET,
            Family::Ipv6 => af::INET6,
        }
    }
}

impl TryFrom<u16> for Family {
    type Error = DecodeError;

    /// The family of an `AF_*` number.
    fn try_from(n: u16) -> Result<Self, DecodeError> {
        match n {
            af::INET => Ok(Self::Ipv4),
            af::INET6 => Ok(Self::Ipv6),
            n => Err(DecodeError::new(DecodeErrorKind::InvalidValue(format!(
                "unknown address family {n}"
            )))),
        }
    }
}

/// An address as the kernel's 16-byte `union nf_inet_addr` holds it, the
/// form of every address attribute the crate sends: IPv6 as its 16 bytes,
/// IPv4 in the first four bytes with the other twelve zero.
///
/// ```
/// use std::net::IpAddr;
/// let ip: IpAddr = "10.0.0.1".parse().unwrap();
/// let bytes = ipvs_netlink::inet_addr_bytes(ip);
/// assert_eq!(bytes, [10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
/// ```
pub fn inet_addr_bytes(addr: IpAddr) -> [u8; 16] {
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
            Self::Ipv4 => "IPv4",
            Self::Ipv6 => "IPv6",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn af_numbers_convert_both_ways() {
        for f in [Family::Ipv4, Family::Ipv6] {
            assert_eq!(Family::try_from(u16::from(f)).unwrap(), f);
        }
        assert_eq!(u16::from(Family::Ipv6), 10);
        assert!(Family::try_from(0).is_err());
        let v6: IpAddr = "2001:db8::1".parse().unwrap();
        assert_eq!(inet_addr_bytes(v6)[..2], [0x20, 0x01]);
        assert_eq!(inet_addr_bytes(v6)[15], 1);
    }
}

//! What GET_INFO tells: the IPVS version and the connection table size.

use std::fmt;

use crate::wire::{DecodeError, IpvsAttr};

/// IPVS version, `major.minor.patch` (1.2.1 on every modern kernel).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Version {
    /// Major.
    pub major: u8,
    /// Minor.
    pub minor: u8,
    /// Patch.
    pub patch: u8,
}

impl Version {
    /// Decodes `IP_VS_VERSION_CODE`.
    pub fn from_code(code: u32) -> Self {
        Version {
            major: (code >> 16) as u8,
            minor: (code >> 8) as u8,
            patch: code as u8,
        }
    }

    /// Encodes as `IP_VS_VERSION_CODE`.
    pub fn code(self) -> u32 {
        (u32::from(self.major) << 16) | (u32::from(self.minor) << 8) | u32::from(self.patch)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// The reply of GET_INFO.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Info {
    /// IPVS version.
    pub version: Version,
    /// Size of the connection hash table.
    pub conn_tab_size: u32,
}

impl Info {
    /// The info of a SET_INFO reply.
    pub fn from_attrs(attrs: &[IpvsAttr]) -> Result<Self, DecodeError> {
        let (mut version, mut size) = (None, None);
        for a in attrs {
            match a {
                IpvsAttr::InfoVersion(v) => version = Some(*v),
                IpvsAttr::InfoConnTabSize(v) => size = Some(*v),
                _ => {}
            }
        }
        Ok(Info {
            version: Version::from_code(version.ok_or_else(|| DecodeError::missing("version"))?),
            conn_tab_size: size.ok_or_else(|| DecodeError::missing("conn_tab_size"))?,
        })
    }

    /// The attributes of a SET_INFO reply (for round trips).
    pub fn to_attrs(self) -> Vec<IpvsAttr> {
        vec![
            IpvsAttr::InfoVersion(self.version.code()),
            IpvsAttr::InfoConnTabSize(self.conn_tab_size),
        ]
    }
}

//! What GET_INFO tells: the IPVS version and the connection table size.

use std::fmt;

use crate::wire::message::{read_attrs, IpvsRef};
use crate::wire::{Command, DecodeError, IpvsAttr};

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
        let mut r = InfoReply::default();
        attrs.iter().for_each(|a| r.take(a.view()));
        r.finish()
    }

    /// The info of a SET_INFO reply's attributes, `body`, read without
    /// building them.
    pub(crate) fn from_wire(command: Command, body: &[u8]) -> Result<Self, DecodeError> {
        let mut r = InfoReply::default();
        read_attrs(command, body, |a| {
            r.take(a);
            Ok(())
        })?;
        r.finish()
    }

    /// The attributes of a SET_INFO reply (for round trips).
    pub fn to_attrs(self) -> Vec<IpvsAttr> {
        vec![
            IpvsAttr::InfoVersion(self.version.code()),
            IpvsAttr::InfoConnTabSize(self.conn_tab_size),
        ]
    }
}

/// What a SET_INFO reply said, gathered attribute by attribute.
#[derive(Default)]
struct InfoReply {
    version: Option<u32>,
    size: Option<u32>,
}

impl InfoReply {
    fn take(&mut self, a: IpvsRef<'_>) {
        match a {
            IpvsRef::InfoVersion(v) => self.version = Some(v),
            IpvsRef::InfoConnTabSize(v) => self.size = Some(v),
            _ => {}
        }
    }

    fn finish(self) -> Result<Info, DecodeError> {
        Ok(Info {
            version: Version::from_code(
                self.version
                    .ok_or_else(|| DecodeError::missing("version"))?,
            ),
            conn_tab_size: self
                .size
                .ok_or_else(|| DecodeError::missing("conn_tab_size"))?,
        })
    }
}

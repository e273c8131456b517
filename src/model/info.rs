//! What GET_INFO tells: the IPVS version and the connection table size.

use std::fmt;

use crate::wire::message::{read_attrs, IpvsRef};
use crate::wire::{Command, DecodeError, DecodeErrorKind, IpvsAttr};

/// IPVS version, `major.minor.patch` (1.2.1 on every modern kernel).
///
/// Its `IP_VS_VERSION_CODE` is `u32::from(version)`;
/// `Version::try_from(code)` reads one back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Version {
    /// Major.
    pub major: u8,
    /// Minor.
    pub minor: u8,
    /// Patch.
    pub patch: u8,
}

impl From<Version> for u32 {
    /// `IP_VS_VERSION_CODE`: `major << 16 | minor << 8 | patch`.
    fn from(v: Version) -> Self {
        (Self::from(v.major) << 16) | (Self::from(v.minor) << 8) | Self::from(v.patch)
    }
}

impl TryFrom<u32> for Version {
    type Error = DecodeError;

    /// The version of an `IP_VS_VERSION_CODE`; fails on a code above
    /// `0xff_ffff`, whose top byte no version holds.
    fn try_from(code: u32) -> Result<Self, DecodeError> {
        let [top, major, minor, patch] = code.to_be_bytes();
        if top != 0 {
            return Err(DecodeError::new(DecodeErrorKind::InvalidValue(format!(
                "version code {code:#x} above 0xffffff"
            ))));
        }
        Ok(Self {
            major,
            minor,
            patch,
        })
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
            IpvsAttr::InfoVersion(u32::from(self.version)),
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
            version: Version::try_from(
                self.version
                    .ok_or_else(|| DecodeError::missing("version"))?,
            )
            .map_err(|e| e.within("version"))?,
            conn_tab_size: self
                .size
                .ok_or_else(|| DecodeError::missing("conn_tab_size"))?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_codes_convert_both_ways() {
        let v = Version::try_from(0x01_02_01).unwrap();
        assert_eq!(
            v,
            Version {
                major: 1,
                minor: 2,
                patch: 1
            }
        );
        assert_eq!(u32::from(v), 0x01_02_01);
        let e = Version::try_from(0x0101_0201).unwrap_err();
        assert!(e.to_string().contains("0x1010201"), "{e}");
    }
}

//! Connection synchronisation daemons.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::parse_back::parse_back;
use super::BuildError;
use crate::wire::attr_set::Nest;
use crate::wire::constants::cmd_attr;
use crate::wire::daemon::DaemonRef;
use crate::wire::nla::Writer;
use crate::wire::{DaemonAttr, DecodeError, DecodeErrorKind};

/// Longest interface name (`IP_VS_IFNAME_MAXLEN` - 1).
pub const IFNAME_MAX: usize = 15;

/// The role of a sync daemon. Both can run at once.
///
/// Its `STATE` value is `u32::from(role)`; `DaemonRole::try_from(state)`
/// reads one back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum DaemonRole {
    /// Sends connection state.
    Master,
    /// Receives connection state.
    Backup,
}

impl From<DaemonRole> for u32 {
    /// The daemon `STATE` value: `IP_VS_STATE_MASTER` (1) or
    /// `IP_VS_STATE_BACKUP` (2).
    fn from(role: DaemonRole) -> Self {
        match role {
            DaemonRole::Master => 1,
            DaemonRole::Backup => 2,
        }
    }
}

impl TryFrom<u32> for DaemonRole {
    type Error = DecodeError;

    /// The role of a daemon `STATE` value; fails on one that is neither 1
    /// nor 2.
    fn try_from(state: u32) -> Result<Self, DecodeError> {
        match state {
            1 => Ok(Self::Master),
            2 => Ok(Self::Backup),
            n => Err(DecodeError::new(DecodeErrorKind::InvalidValue(format!(
                "daemon state {n} is neither master (1) nor backup (2)"
            )))),
        }
    }
}

/// A sync daemon: its role, interface and multicast settings. Options left
/// `None` take the kernel's defaults (group 224.0.0.81, port 8848, TTL 1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SyncDaemon {
    /// Master or backup.
    pub role: DaemonRole,
    /// Multicast interface.
    pub interface: String,
    /// Sync id (only the low 8 bits go on the wire of sync packets).
    pub sync_id: u32,
    /// Maximum UDP payload of sync messages.
    pub max_len: Option<u16>,
    /// Multicast group, IPv4 or IPv6.
    pub group: Option<IpAddr>,
    /// Multicast port.
    pub port: Option<u16>,
    /// Multicast TTL.
    pub ttl: Option<u8>,
}

impl SyncDaemon {
    /// A daemon with the kernel's defaults.
    pub fn new(role: DaemonRole, interface: impl Into<String>, sync_id: u32) -> Self {
        Self {
            role,
            interface: interface.into(),
            sync_id,
            max_len: None,
            group: None,
            port: None,
            ttl: None,
        }
    }

    /// Checks the fields against the kernel's limits.
    pub fn validate(&self) -> Result<(), BuildError> {
        let n = &self.interface;
        if n.is_empty() || n.len() > IFNAME_MAX || n.contains('\0') {
            return Err(BuildError::InterfaceName { name: n.clone() });
        }
        if let Some(g) = self.group {
            if !g.is_multicast() {
                return Err(BuildError::DaemonGroup(g));
            }
        }
        Ok(())
    }

    /// The DAEMON nest of NEW_DAEMON; fails on a value the kernel refuses.
    pub fn to_attrs(&self) -> Result<Vec<DaemonAttr>, BuildError> {
        parse_back(|w| self.emit_nest(w), DaemonAttr::parse_nest)
    }

    /// Writes the DAEMON nest of NEW_DAEMON; fails, writing nothing, on a
    /// value the kernel refuses.
    pub(crate) fn emit_nest(&self, w: &mut Writer<'_>) -> Result<(), BuildError> {
        self.validate()?;
        w.nest(cmd_attr::DAEMON, |w| {
            DaemonRef::State(u32::from(self.role)).emit(w);
            DaemonRef::McastIfn(&self.interface).emit(w);
            DaemonRef::SyncId(self.sync_id).emit(w);
            if let Some(l) = self.max_len {
                DaemonRef::SyncMaxLen(l).emit(w);
            }
            match self.group {
                Some(IpAddr::V4(g)) => DaemonRef::McastGroup(g.octets()).emit(w),
                Some(IpAddr::V6(g)) => DaemonRef::McastGroup6(g.octets()).emit(w),
                None => {}
            }
            if let Some(p) = self.port {
                DaemonRef::McastPort(p).emit(w);
            }
            if let Some(t) = self.ttl {
                DaemonRef::McastTtl(t).emit(w);
            }
        });
        Ok(())
    }

    /// Writes the DAEMON nest of DEL_DAEMON: the role alone.
    pub(crate) fn emit_stop_nest(role: DaemonRole, w: &mut Writer<'_>) {
        w.nest(cmd_attr::DAEMON, |w| {
            DaemonRef::State(u32::from(role)).emit(w);
        });
    }

    /// The daemon a GET_DAEMON reply nest describes.
    pub fn from_attrs(attrs: &[DaemonAttr]) -> Result<Self, DecodeError> {
        Self::read(Nest::List(attrs)).map_err(|e| e.within("daemon"))
    }

    /// Reads each attribute of the nest, borrowed, through the set's one
    /// decoder (errors name the attribute, not yet the nest).
    pub(crate) fn read(nest: Nest<'_, DaemonAttr>) -> Result<Self, DecodeError> {
        let (mut state, mut ifn, mut id) = (None, None, None);
        let mut d = Self::new(DaemonRole::Master, "", 0);
        nest.read(|a| {
            match a {
                DaemonRef::State(v) => state = Some(v),
                DaemonRef::McastIfn(v) => ifn = Some(v),
                DaemonRef::SyncId(v) => id = Some(v),
                DaemonRef::SyncMaxLen(v) => d.max_len = Some(v),
                DaemonRef::McastGroup(b) => {
                    // IPv6 wins over an IPv4 group only if the kernel sends both,
                    // which it does not; the first seen is kept.
                    d.group.get_or_insert(IpAddr::V4(Ipv4Addr::from(b)));
                }
                DaemonRef::McastGroup6(b) => {
                    d.group.get_or_insert(IpAddr::V6(Ipv6Addr::from(b)));
                }
                DaemonRef::McastPort(v) => d.port = Some(v),
                DaemonRef::McastTtl(v) => d.ttl = Some(v),
                DaemonRef::Other(_) => {}
            }
            Ok(())
        })?;
        let state = state.ok_or_else(|| DecodeError::missing("state"))?;
        d.role = DaemonRole::try_from(state).map_err(|e| e.within("state"))?;
        d.interface = ifn
            .ok_or_else(|| DecodeError::missing("mcast_ifn"))?
            .to_owned();
        d.sync_id = id.ok_or_else(|| DecodeError::missing("sync_id"))?;
        Ok(d)
    }
}

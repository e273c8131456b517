//! A virtual service: its key, scheduler, flags and persistence.

use std::net::Ipv4Addr;

use super::{BuildError, Family, FlagsChange, Scheduler, ServiceFlags, ServiceKey};
use crate::wire::constants::cmd_attr;
use crate::wire::nla::Writer;
use crate::wire::service::ServiceRef;
use crate::wire::{DecodeError, DecodeErrorKind};

/// Longest persistence engine name (`IP_VS_PENAME_MAXLEN`).
pub const PE_NAME_MAX: usize = 16;

/// The persistence granularity of a service: an IPv4 netmask or an IPv6
/// prefix length.
///
/// Its `NETMASK` attribute is `<[u8; 4]>::from(netmask)`;
/// `Netmask::try_from((family, bytes))` reads one back for a service of
/// that family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Netmask {
    /// IPv4 mask (ipvsadm's default 255.255.255.255).
    V4(Ipv4Addr),
    /// IPv6 prefix length, 1..=128 (default 128).
    V6(u8),
}

impl Netmask {
    /// The default for a family: a single address.
    pub fn host(family: Family) -> Self {
        match family {
            Family::Ipv4 => Self::V4(Ipv4Addr::BROADCAST),
            Family::Ipv6 => Self::V6(128),
        }
    }

    fn family(&self) -> Family {
        match self {
            Self::V4(_) => Family::Ipv4,
            Self::V6(_) => Family::Ipv6,
        }
    }

    fn validate(&self, family: Family) -> Result<(), BuildError> {
        if self.family() != family {
            return Err(BuildError::NetmaskFamily {
                service: family,
                netmask: self.family(),
            });
        }
        match self {
            Self::V6(p) if !(1..=128).contains(p) => Err(BuildError::Ipv6Prefix(*p)),
            _ => Ok(()),
        }
    }
}

impl From<Netmask> for [u8; 4] {
    /// The 4-byte `NETMASK` attribute: an IPv4 mask in network order, an
    /// IPv6 prefix length as a host-order `u32` (as the kernel reads it).
    fn from(netmask: Netmask) -> [u8; 4] {
        match netmask {
            Netmask::V4(m) => m.octets(),
            Netmask::V6(p) => u32::from(p).to_ne_bytes(),
        }
    }
}

impl TryFrom<(Family, [u8; 4])> for Netmask {
    type Error = DecodeError;

    /// The netmask a `NETMASK` attribute gives a service of a family; fails
    /// on an IPv6 prefix length outside 1..=128.
    fn try_from((family, raw): (Family, [u8; 4])) -> Result<Self, DecodeError> {
        match family {
            Family::Ipv4 => Ok(Self::V4(Ipv4Addr::from(raw))),
            Family::Ipv6 => {
                let p = u32::from_ne_bytes(raw);
                match u8::try_from(p) {
                    Ok(p @ 1..=128) => Ok(Self::V6(p)),
                    _ => Err(DecodeError::new(DecodeErrorKind::InvalidValue(format!(
                        "IPv6 prefix length {p} outside 1..=128"
                    )))),
                }
            }
        }
    }
}

/// A virtual service: what a request sets, and what a listing's
/// [`ServiceEntry`](super::ServiceEntry) holds besides its counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// What identifies it.
    pub key: ServiceKey,
    /// Its scheduler.
    pub scheduler: Scheduler,
    /// Its flags.
    pub flags: ServiceFlags,
    /// Persistence timeout in seconds (used with [`ServiceFlags::PERSISTENT`]).
    pub timeout: u32,
    /// Persistence granularity.
    pub netmask: Netmask,
    /// Bound persistence engine (only `sip` exists).
    pub persistence_engine: Option<String>,
}

impl Service {
    /// A service with a scheduler and the defaults ipvsadm uses: no flags,
    /// no persistence, a host netmask.
    pub fn new(key: ServiceKey, scheduler: Scheduler) -> Self {
        Self {
            netmask: Netmask::host(key.family()),
            key,
            scheduler,
            flags: ServiceFlags::empty(),
            timeout: 0,
            persistence_engine: None,
        }
    }

    /// Makes the service persistent for `timeout` seconds.
    pub fn persistent(mut self, timeout: u32) -> Self {
        self.flags |= ServiceFlags::PERSISTENT;
        self.timeout = timeout;
        self
    }

    /// Checks every field against the kernel's limits.
    pub fn validate(&self) -> Result<(), BuildError> {
        self.nest().validate()
    }

    /// Writes the full service nest of NEW_SERVICE / SET_SERVICE, replacing
    /// every flag; fails, writing nothing, on a value the kernel refuses.
    pub(crate) fn emit_nest(&self, w: &mut Writer<'_>) -> Result<(), BuildError> {
        self.nest().emit(w)
    }

    /// What its NEW_SERVICE / SET_SERVICE nest says.
    fn nest(&self) -> ServiceNest<'_> {
        ServiceNest {
            key: self.key,
            scheduler: &self.scheduler,
            persistence_engine: self.persistence_engine.as_deref(),
            flags: FlagsChange::replace(self.flags),
            timeout: self.timeout,
            netmask: self.netmask,
        }
    }
}

fn validate_pe(pe: &str) -> Result<(), BuildError> {
    if pe.is_empty() || pe.len() > PE_NAME_MAX || pe.contains('\0') {
        return Err(BuildError::PersistenceEngineName {
            name: pe.to_owned(),
        });
    }
    Ok(())
}

/// What to do with a service's persistence engine on update.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum PeChange {
    /// Keep whatever is bound (the kernel would drop it if the attribute were
    /// omitted, so the current one is re-sent).
    #[default]
    Keep,
    /// Bind this engine.
    Set(String),
    /// Unbind any engine.
    Remove,
}

/// A change to an existing service. Fields left `None` (and [`PeChange::Keep`])
/// keep their current value; flags change only where the mask says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceUpdate {
    /// The service to change.
    pub key: ServiceKey,
    /// New scheduler.
    pub scheduler: Option<Scheduler>,
    /// Which flags to change.
    pub flags: FlagsChange,
    /// New persistence timeout.
    pub timeout: Option<u32>,
    /// New netmask.
    pub netmask: Option<Netmask>,
    /// Persistence engine change.
    pub persistence_engine: PeChange,
}

impl ServiceUpdate {
    /// An update that changes nothing yet.
    pub fn new(key: ServiceKey) -> Self {
        Self {
            key,
            scheduler: None,
            flags: FlagsChange::default(),
            timeout: None,
            netmask: None,
            persistence_engine: PeChange::Keep,
        }
    }

    /// An update that makes the service exactly `service` (every field,
    /// every flag, the persistence engine bound or removed).
    pub fn replace(service: &Service) -> Self {
        Self {
            key: service.key,
            scheduler: Some(service.scheduler.clone()),
            flags: FlagsChange::replace(service.flags),
            timeout: Some(service.timeout),
            netmask: Some(service.netmask),
            persistence_engine: match &service.persistence_engine {
                Some(pe) => PeChange::Set(pe.clone()),
                None => PeChange::Remove,
            },
        }
    }

    /// Sets the scheduler.
    pub fn scheduler(mut self, s: Scheduler) -> Self {
        self.scheduler = Some(s);
        self
    }

    /// Adds a flag change.
    pub fn flags(mut self, change: FlagsChange) -> Self {
        self.flags = self.flags.then(change);
        self
    }

    /// Sets the persistence timeout.
    pub fn timeout(mut self, seconds: u32) -> Self {
        self.timeout = Some(seconds);
        self
    }

    /// Sets the netmask.
    pub fn netmask(mut self, netmask: Netmask) -> Self {
        self.netmask = Some(netmask);
        self
    }

    /// Changes the persistence engine.
    pub fn persistence_engine(mut self, change: PeChange) -> Self {
        self.persistence_engine = change;
        self
    }

    /// Whether the update can be sent without reading the current service.
    pub fn is_complete(&self) -> bool {
        self.scheduler.is_some()
            && self.timeout.is_some()
            && self.netmask.is_some()
            && self.persistence_engine != PeChange::Keep
    }

    /// The service this update makes of `current`.
    pub fn apply(&self, current: &Service) -> Service {
        Service {
            key: self.key,
            scheduler: self
                .scheduler
                .clone()
                .unwrap_or_else(|| current.scheduler.clone()),
            flags: self.flags.apply(current.flags),
            timeout: self.timeout.unwrap_or(current.timeout),
            netmask: self.netmask.unwrap_or(current.netmask),
            persistence_engine: match &self.persistence_engine {
                PeChange::Keep => current.persistence_engine.clone(),
                PeChange::Set(pe) => Some(pe.clone()),
                PeChange::Remove => None,
            },
        }
    }

    /// Writes the SET_SERVICE nest of a complete update
    /// ([`is_complete`](Self::is_complete)); fails, writing nothing, on an
    /// incomplete one or a value the kernel refuses.
    pub(crate) fn emit_nest(&self, w: &mut Writer<'_>) -> Result<(), BuildError> {
        let incomplete = || BuildError::IncompleteUpdate(self.key.to_string());
        ServiceNest {
            key: self.key,
            scheduler: self.scheduler.as_ref().ok_or_else(incomplete)?,
            persistence_engine: match &self.persistence_engine {
                PeChange::Keep => return Err(incomplete()),
                PeChange::Set(pe) => Some(pe.as_str()),
                PeChange::Remove => None,
            },
            flags: self.flags,
            timeout: self.timeout.ok_or_else(incomplete)?,
            netmask: self.netmask.ok_or_else(incomplete)?,
        }
        .emit(w)
    }
}

/// Everything a NEW_SERVICE or SET_SERVICE nest says, borrowed from a
/// [`Service`] or a complete [`ServiceUpdate`].
struct ServiceNest<'a> {
    key: ServiceKey,
    scheduler: &'a Scheduler,
    persistence_engine: Option<&'a str>,
    flags: FlagsChange,
    timeout: u32,
    netmask: Netmask,
}

impl ServiceNest<'_> {
    /// Checks every field against the kernel's limits.
    fn validate(&self) -> Result<(), BuildError> {
        self.key.validate()?;
        self.scheduler.validate()?;
        self.netmask.validate(self.key.family())?;
        if let Some(pe) = self.persistence_engine {
            validate_pe(pe)?;
        }
        Ok(())
    }

    /// Validates every field, then writes the nest.
    fn emit(&self, w: &mut Writer<'_>) -> Result<(), BuildError> {
        self.validate()?;
        w.nest(cmd_attr::SERVICE, |w| {
            self.key.emit(w);
            ServiceRef::SchedName(self.scheduler.name()).emit(w);
            if let Some(pe) = self.persistence_engine {
                ServiceRef::PeName(pe).emit(w);
            }
            let mask = self.flags.wire_mask();
            // The kernel's internal HASHED bit is never sent.
            let flags = self.flags.flags.bits() & mask & !super::flags::HASHED;
            ServiceRef::Flags((flags, mask)).emit(w);
            ServiceRef::Timeout(self.timeout).emit(w);
            ServiceRef::Netmask(<[u8; 4]>::from(self.netmask)).emit(w);
        });
        Ok(())
    }
}

impl From<&Service> for ServiceUpdate {
    fn from(s: &Service) -> Self {
        Self::replace(s)
    }
}

impl ServiceUpdate {
    /// This update made complete: every field it leaves open is taken from
    /// `current`; the flag change stays as narrow as it was.
    pub fn complete_with(&self, current: &Service) -> Self {
        Self {
            key: self.key,
            scheduler: Some(
                self.scheduler
                    .clone()
                    .unwrap_or_else(|| current.scheduler.clone()),
            ),
            flags: self.flags,
            timeout: Some(self.timeout.unwrap_or(current.timeout)),
            netmask: Some(self.netmask.unwrap_or(current.netmask)),
            persistence_engine: match (&self.persistence_engine, &current.persistence_engine) {
                (PeChange::Keep, Some(pe)) => PeChange::Set(pe.clone()),
                (PeChange::Keep, None) => PeChange::Remove,
                (other, _) => other.clone(),
            },
        }
    }
}

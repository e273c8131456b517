//! Services and service entries.

use serde::{Deserialize, Serialize};

use super::flags::{names, parse_name, FlagList};
use crate::model::{Netmask, Scheduler, Service, ServiceFlags, ServiceKey};

/// The written form of a [`Service`]: flags as names, the netmask left out
/// when it is a single host.
#[derive(Serialize)]
struct ServiceOut<'a> {
    key: ServiceKey,
    scheduler: &'a Scheduler,
    #[serde(skip_serializing_if = "flag_list_empty")]
    flags: FlagList,
    #[serde(skip_serializing_if = "is_zero")]
    timeout: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    netmask: Option<Netmask>,
    #[serde(skip_serializing_if = "Option::is_none")]
    persistence_engine: Option<&'a str>,
}

/// The read form of a [`Service`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ServiceIn {
    key: ServiceKey,
    scheduler: Scheduler,
    #[serde(default)]
    flags: Vec<String>,
    #[serde(default)]
    timeout: u32,
    #[serde(default)]
    netmask: Option<Netmask>,
    #[serde(default)]
    persistence_engine: Option<String>,
}

fn flag_list_empty(l: &FlagList) -> bool {
    l.0.is_empty()
}

fn is_zero(v: &u32) -> bool {
    *v == 0
}

impl Serialize for Service {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let host = Netmask::host(self.key.family());
        ServiceOut {
            key: self.key,
            scheduler: &self.scheduler,
            flags: FlagList(names(self.flags, Some(&self.scheduler))),
            timeout: self.timeout,
            netmask: (self.netmask != host).then_some(self.netmask),
            persistence_engine: self.persistence_engine.as_deref(),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Service {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let r = ServiceIn::deserialize(d)?;
        let mut flags = ServiceFlags::empty();
        for n in &r.flags {
            flags |= parse_name(n).map_err(serde::de::Error::custom)?;
        }
        Ok(Self {
            netmask: r.netmask.unwrap_or(Netmask::host(r.key.family())),
            key: r.key,
            scheduler: r.scheduler,
            flags,
            timeout: r.timeout,
            persistence_engine: r.persistence_engine,
        })
    }
}

//! Service flags as a list of names, and netmasks as an address or a
//! prefix length.

use std::fmt;
use std::net::Ipv4Addr;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::ser::{SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};

use crate::model::{Netmask, Scheduler, ServiceFlags};

/// The names a flag list may use.
const NAMES: [(&str, ServiceFlags); 9] = [
    ("persistent", ServiceFlags::PERSISTENT),
    ("one-packet", ServiceFlags::ONE_PACKET),
    ("sh-fallback", ServiceFlags::SH_FALLBACK),
    ("sh-port", ServiceFlags::SH_PORT),
    ("mh-fallback", ServiceFlags::MH_FALLBACK),
    ("mh-port", ServiceFlags::MH_PORT),
    ("sched1", ServiceFlags::SCHED1),
    ("sched2", ServiceFlags::SCHED2),
    ("sched3", ServiceFlags::SCHED3),
];

/// The name of each set bit, lowest first: the `sh-`/`mh-` names for a
/// service with that scheduler, `schedN` otherwise, `0x..` for bits without
/// a name.
pub(super) fn names(flags: ServiceFlags, scheduler: Option<&Scheduler>) -> Vec<String> {
    let (sh, mh) = (
        Some(&Scheduler::SourceHashing),
        Some(&Scheduler::MaglevHashing),
    );
    (0..32)
        .map(|i| 1u32 << i)
        .filter(|bit| flags.bits() & bit != 0)
        .map(|bit| {
            let name = match ServiceFlags::from_bits_retain(bit) {
                ServiceFlags::PERSISTENT => "persistent",
                ServiceFlags::ONE_PACKET => "one-packet",
                ServiceFlags::SCHED1 if scheduler == sh => "sh-fallback",
                ServiceFlags::SCHED2 if scheduler == sh => "sh-port",
                ServiceFlags::SCHED1 if scheduler == mh => "mh-fallback",
                ServiceFlags::SCHED2 if scheduler == mh => "mh-port",
                ServiceFlags::SCHED1 => "sched1",
                ServiceFlags::SCHED2 => "sched2",
                ServiceFlags::SCHED3 => "sched3",
                _ => return format!("{bit:#x}"),
            };
            name.to_owned()
        })
        .collect()
}

/// The flag a name stands for: a name of [`NAMES`] or `0x..` (one or more
/// bits).
pub(super) fn parse_name(name: &str) -> Result<ServiceFlags, String> {
    if let Some((_, f)) = NAMES.iter().find(|(n, _)| *n == name) {
        return Ok(*f);
    }
    name.strip_prefix("0x")
        .and_then(|hex| u32::from_str_radix(hex, 16).ok())
        .filter(|bits| bits & crate::model::flags::HASHED == 0 && *bits != 0)
        .map(ServiceFlags::from_bits_retain)
        .ok_or_else(|| {
            format!(
                "unknown service flag {name:?} (expected persistent, one-packet, \
                 sh-fallback, sh-port, mh-fallback, mh-port, sched1, sched2, sched3 \
                 or a hexadecimal bit such as 0x40)"
            )
        })
}

/// A list of flag names.
pub(super) struct FlagList(pub(super) Vec<String>);

impl Serialize for FlagList {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for n in &self.0 {
            seq.serialize_element(n)?;
        }
        seq.end()
    }
}

impl Serialize for ServiceFlags {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        FlagList(names(*self, None)).serialize(s)
    }
}

impl<'de> Deserialize<'de> for ServiceFlags {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ServiceFlags;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of service flag names such as [\"persistent\"]")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ServiceFlags, A::Error> {
                let mut flags = ServiceFlags::empty();
                while let Some(name) = seq.next_element::<String>()? {
                    flags |= parse_name(&name).map_err(de::Error::custom)?;
                }
                Ok(flags)
            }
        }
        d.deserialize_seq(V)
    }
}

impl Serialize for Netmask {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::V4(m) => s.collect_str(m),
            Self::V6(p) => s.serialize_u8(*p),
        }
    }
}

impl<'de> Deserialize<'de> for Netmask {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Netmask;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "an IPv4 netmask such as \"255.255.255.0\" or an IPv6 prefix length 1..=128",
                )
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Netmask, E> {
                v.parse::<Ipv4Addr>()
                    .map(Netmask::V4)
                    .map_err(|_| E::custom(format!("bad IPv4 netmask {v:?}")))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Netmask, E> {
                match u8::try_from(v) {
                    Ok(p @ 1..=128) => Ok(Netmask::V6(p)),
                    _ => Err(E::custom(format!("IPv6 prefix length {v} outside 1..=128"))),
                }
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Netmask, E> {
                match u64::try_from(v) {
                    Ok(v) => self.visit_u64(v),
                    Err(_) => Err(E::custom(format!("IPv6 prefix length {v} outside 1..=128"))),
                }
            }
        }
        d.deserialize_any(V)
    }
}

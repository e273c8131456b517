//! Destinations: forwarding by name, tunnels as a table.

use std::net::SocketAddr;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::model::{Destination, ForwardMethod, GueChecksum, Tunnel};

/// The method a name and an optional tunnel table say; the tunnel alone
/// means tunnelling.
fn forward_of(name: Option<&str>, tunnel: Option<Tunnel>) -> Result<ForwardMethod, String> {
    let method = match name {
        None if tunnel.is_some() => "tunnel",
        None => "masquerade",
        Some(n) => n,
    };
    let f = match method {
        "masquerade" | "masq" | "nat" => ForwardMethod::Masquerade,
        "local" => ForwardMethod::Local,
        "tunnel" | "ipip" => ForwardMethod::Tunnel(tunnel.unwrap_or_default()),
        "direct-route" | "dr" | "droute" => ForwardMethod::DirectRoute,
        "bypass" => ForwardMethod::Bypass,
        other => match other.strip_prefix("method").map(str::parse::<u8>) {
            Some(Ok(n @ 5..=7)) => ForwardMethod::Other(n),
            _ => {
                return Err(format!(
                    "unknown forwarding method {other:?} (expected masquerade, local, \
                     tunnel, direct-route, bypass or method5..method7)"
                ))
            }
        },
    };
    match (f, tunnel) {
        (ForwardMethod::Tunnel(_), _) | (_, None) => Ok(f),
        (f, Some(_)) => Err(format!(
            "a tunnel table is given, but forward is {:?}, not \"tunnel\"",
            f.to_string()
        )),
    }
}

fn checksum_name(c: GueChecksum) -> &'static str {
    match c {
        GueChecksum::None => "none",
        GueChecksum::Checksum => "checksum",
        GueChecksum::Remote => "remote",
    }
}

/// The written form of a [`Tunnel`].
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TunnelForm {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default, skip_serializing_if = "is_zero16")]
    port: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    checksum: Option<String>,
    #[serde(default, skip_serializing_if = "is_zero16")]
    flags: u16,
}

fn is_zero16(v: &u16) -> bool {
    *v == 0
}

fn is_zero(v: &u32) -> bool {
    *v == 0
}

impl From<Tunnel> for TunnelForm {
    fn from(t: Tunnel) -> Self {
        let (kind, port, checksum, flags) = match t {
            Tunnel::Ipip => ("ipip".to_owned(), 0, None, 0),
            Tunnel::Gue { port, checksum } => {
                ("gue".into(), port, Some(checksum_name(checksum)), 0)
            }
            Tunnel::Gre { checksum } => (
                "gre".into(),
                0,
                Some(if checksum { "checksum" } else { "none" }),
                0,
            ),
            Tunnel::Other { kind, port, flags } => (format!("type{kind}"), port, None, flags),
        };
        Self {
            kind,
            port,
            checksum: checksum.map(str::to_owned),
            flags,
        }
    }
}

impl TryFrom<TunnelForm> for Tunnel {
    type Error = String;

    fn try_from(f: TunnelForm) -> Result<Self, String> {
        let checksum = f.checksum.as_deref().unwrap_or("none");
        let bad_checksum = || {
            format!(
                "checksum {checksum:?} is not one a {} tunnel has (gue: none, checksum, \
                 remote; gre: none, checksum; ipip: none)",
                f.kind
            )
        };
        let only = |what: &str, set: bool| {
            if set {
                Err(format!("a {} tunnel has no {what}", f.kind))
            } else {
                Ok(())
            }
        };
        match f.kind.as_str() {
            "ipip" => {
                only("port", f.port != 0)?;
                only("flags", f.flags != 0)?;
                match checksum {
                    "none" => Ok(Self::Ipip),
                    _ => Err(bad_checksum()),
                }
            }
            "gue" => {
                only("flags", f.flags != 0)?;
                let checksum = match checksum {
                    "none" => GueChecksum::None,
                    "checksum" => GueChecksum::Checksum,
                    "remote" => GueChecksum::Remote,
                    _ => return Err(bad_checksum()),
                };
                Ok(Self::Gue {
                    port: f.port,
                    checksum,
                })
            }
            "gre" => {
                only("port", f.port != 0)?;
                only("flags", f.flags != 0)?;
                match checksum {
                    "none" => Ok(Self::Gre { checksum: false }),
                    "checksum" => Ok(Self::Gre { checksum: true }),
                    _ => Err(bad_checksum()),
                }
            }
            other => match other.strip_prefix("type").map(str::parse::<u8>) {
                Some(Ok(kind)) if f.checksum.is_none() => Ok(Self::Other {
                    kind,
                    port: f.port,
                    flags: f.flags,
                }),
                Some(Ok(_)) => Err(format!("a {other} tunnel has flags, not a checksum name")),
                _ => Err(format!(
                    "unknown tunnel type {other:?} (expected ipip, gue, gre or typeN)"
                )),
            },
        }
    }
}

impl Serialize for Tunnel {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        TunnelForm::from(*self).serialize(s)
    }
}

impl<'de> Deserialize<'de> for Tunnel {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::try_from(TunnelForm::deserialize(d)?).map_err(D::Error::custom)
    }
}

impl Serialize for GueChecksum {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(checksum_name(*self))
    }
}

impl<'de> Deserialize<'de> for GueChecksum {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match String::deserialize(d)?.as_str() {
            "none" => Ok(Self::None),
            "checksum" => Ok(Self::Checksum),
            "remote" => Ok(Self::Remote),
            other => Err(D::Error::custom(format!(
                "unknown GUE checksum {other:?} (expected none, checksum or remote)"
            ))),
        }
    }
}

/// The written form of a [`ForwardMethod`] alone: its name, and a tunnel
/// table for a tunnel other than IPIP.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ForwardForm {
    forward: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tunnel: Option<Tunnel>,
}

/// The tunnel table written for a method: none for IPIP (the default).
fn tunnel_table(f: ForwardMethod) -> Option<Tunnel> {
    match f {
        ForwardMethod::Tunnel(t) if t != Tunnel::Ipip => Some(t),
        _ => None,
    }
}

impl Serialize for ForwardMethod {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        ForwardForm {
            forward: self.to_string(),
            tunnel: tunnel_table(*self),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for ForwardMethod {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let f = ForwardForm::deserialize(d)?;
        forward_of(Some(&f.forward), f.tunnel).map_err(D::Error::custom)
    }
}

/// The written form of a [`Destination`].
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct DestinationForm {
    addr: SocketAddr,
    #[serde(default = "one")]
    weight: u32,
    #[serde(default)]
    forward: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tunnel: Option<Tunnel>,
    #[serde(default, skip_serializing_if = "is_zero")]
    upper_threshold: u32,
    #[serde(default, skip_serializing_if = "is_zero")]
    lower_threshold: u32,
}

fn one() -> u32 {
    1
}

impl Serialize for Destination {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        DestinationForm {
            addr: self.addr,
            weight: self.weight,
            forward: Some(self.forward.to_string()),
            tunnel: tunnel_table(self.forward),
            upper_threshold: self.upper_threshold,
            lower_threshold: self.lower_threshold,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Destination {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let f = DestinationForm::deserialize(d)?;
        let forward = forward_of(f.forward.as_deref(), f.tunnel)
            .map_err(|e| D::Error::custom(format!("destination {}: {e}", f.addr)))?;
        Ok(Self {
            addr: f.addr,
            forward,
            weight: f.weight,
            upper_threshold: f.upper_threshold,
            lower_threshold: f.lower_threshold,
        })
    }
}

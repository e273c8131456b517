//! What changed in the table's configuration between two listings.

use std::fmt;
use std::net::SocketAddr;

use crate::model::{Destination, ForwardMethod, Netmask, Scheduler, Service, ServiceFlags};
use crate::model::{ServiceKey, Tunnel};

/// A change of the table's configuration seen between two listings.
///
/// Its text form ([`Display`](fmt::Display)) is one line such as
/// `service tcp:10.0.0.1:80 changed: scheduler rr -> wrr`. With the
/// feature `serde` it serializes as an object whose `event` names the
/// variant in kebab case (`service-added`, `destination-changed`, ...),
/// its fields in the model's serde forms.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(
    feature = "serde",
    serde(
        tag = "event",
        rename_all = "kebab-case",
        rename_all_fields = "snake_case"
    )
)]
pub enum TableEvent {
    /// A service appeared, with these destinations (they get no events of
    /// their own).
    ServiceAdded {
        /// The service.
        service: Service,
        /// Its destinations, by address.
        destinations: Vec<Destination>,
    },
    /// A service disappeared, with these destinations (they get no events
    /// of their own).
    ServiceRemoved {
        /// The service as last listed.
        service: Service,
        /// Its destinations as last listed, by address.
        destinations: Vec<Destination>,
    },
    /// A service's configuration changed.
    ServiceChanged {
        /// The service.
        key: ServiceKey,
        /// What changed, in the order of [`ServiceChange`]'s variants.
        changes: Vec<ServiceChange>,
    },
    /// A destination was added to a service that was there before.
    DestinationAdded {
        /// Its service.
        service: ServiceKey,
        /// The destination.
        destination: Destination,
    },
    /// A destination was removed from a service that is still there.
    DestinationRemoved {
        /// Its service.
        service: ServiceKey,
        /// The destination as last listed.
        destination: Destination,
    },
    /// A destination's configuration changed.
    DestinationChanged {
        /// Its service.
        service: ServiceKey,
        /// Its address.
        addr: SocketAddr,
        /// What changed, in the order of [`DestinationChange`]'s variants.
        changes: Vec<DestinationChange>,
    },
}

impl TableEvent {
    /// The service the event is about.
    pub fn service(&self) -> ServiceKey {
        match self {
            Self::ServiceAdded { service, .. } | Self::ServiceRemoved { service, .. } => {
                service.key
            }
            Self::ServiceChanged { key, .. } => *key,
            Self::DestinationAdded { service, .. }
            | Self::DestinationRemoved { service, .. }
            | Self::DestinationChanged { service, .. } => *service,
        }
    }
}

/// One field of a service that changed, with its value before and after.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(tag = "field", rename_all = "kebab-case"))]
pub enum ServiceChange {
    /// The scheduler.
    Scheduler {
        /// Before.
        from: Scheduler,
        /// After.
        to: Scheduler,
    },
    /// The flags.
    Flags {
        /// Before.
        from: ServiceFlags,
        /// After.
        to: ServiceFlags,
    },
    /// The persistence timeout, in seconds.
    Timeout {
        /// Before.
        from: u32,
        /// After.
        to: u32,
    },
    /// The persistence netmask.
    Netmask {
        /// Before.
        from: Netmask,
        /// After.
        to: Netmask,
    },
    /// The bound persistence engine.
    PersistenceEngine {
        /// Before.
        from: Option<String>,
        /// After.
        to: Option<String>,
    },
}

impl ServiceChange {
    /// The fields in which `before` and `after` differ, in the order of the
    /// variants (the key is not compared).
    pub fn between(before: &Service, after: &Service) -> Vec<Self> {
        let mut v = Vec::new();
        let (b, a) = (before, after);
        changed(&mut v, &b.scheduler, &a.scheduler, |from, to| {
            Self::Scheduler { from, to }
        });
        changed(&mut v, &b.flags, &a.flags, |from, to| Self::Flags {
            from,
            to,
        });
        changed(&mut v, &b.timeout, &a.timeout, |from, to| Self::Timeout {
            from,
            to,
        });
        changed(&mut v, &b.netmask, &a.netmask, |from, to| Self::Netmask {
            from,
            to,
        });
        changed(
            &mut v,
            &b.persistence_engine,
            &a.persistence_engine,
            |from, to| Self::PersistenceEngine { from, to },
        );
        v
    }
}

/// One field of a destination that changed, with its value before and
/// after.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(tag = "field", rename_all = "kebab-case"))]
pub enum DestinationChange {
    /// The forwarding method (for a change between two tunnels, see
    /// [`Tunnel`](Self::Tunnel)).
    Forward {
        /// Before.
        from: ForwardMethod,
        /// After.
        to: ForwardMethod,
    },
    /// The tunnel of a tunnelled destination that stays tunnelled.
    Tunnel {
        /// Before.
        from: Tunnel,
        /// After.
        to: Tunnel,
    },
    /// The weight.
    Weight {
        /// Before.
        from: u32,
        /// After.
        to: u32,
    },
    /// The upper connection threshold.
    UpperThreshold {
        /// Before.
        from: u32,
        /// After.
        to: u32,
    },
    /// The lower connection threshold.
    LowerThreshold {
        /// Before.
        from: u32,
        /// After.
        to: u32,
    },
}

impl DestinationChange {
    /// The fields in which `before` and `after` differ, in the order of the
    /// variants (the address is not compared).
    pub fn between(before: &Destination, after: &Destination) -> Vec<Self> {
        let mut v = Vec::new();
        match (before.forward, after.forward) {
            (ForwardMethod::Tunnel(from), ForwardMethod::Tunnel(to)) if from != to => {
                v.push(Self::Tunnel { from, to });
            }
            (ForwardMethod::Tunnel(_), ForwardMethod::Tunnel(_)) => {}
            (from, to) if from != to => v.push(Self::Forward { from, to }),
            _ => {}
        }

        let (b, a) = (before, after);
        changed(&mut v, &b.weight, &a.weight, |from, to| Self::Weight {
            from,
            to,
        });
        changed(
            &mut v,
            &b.upper_threshold,
            &a.upper_threshold,
            |from, to| Self::UpperThreshold { from, to },
        );
        changed(
            &mut v,
            &b.lower_threshold,
            &a.lower_threshold,
            |from, to| Self::LowerThreshold { from, to },
        );
        v
    }
}

/// Flag names as ipvsadm's `-b` and the serde form spell them, joined by
/// `|`; `none` for no flag, `0x..` for a bit without a name.
struct Flags(ServiceFlags);

impl fmt::Display for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("none");
        }
        let mut sep = "";
        let mut named = 0;
        for (name, flag) in self.0.iter_names() {
            write!(f, "{sep}{}", name.to_ascii_lowercase().replace('_', "-"))?;
            named |= flag.bits();
            sep = "|";
        }
        let rest = self.0.bits() & !named;
        if rest != 0 {
            write!(f, "{sep}{rest:#x}")?;
        }
        Ok(())
    }
}

struct TunnelText(Tunnel);

impl fmt::Display for TunnelText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Tunnel::Ipip => f.write_str("ipip"),
            Tunnel::Gue { port, checksum } => write!(f, "gue port {port} checksum {checksum:?}"),
            Tunnel::Gre { checksum } => write!(f, "gre checksum {checksum}"),
            Tunnel::Other { kind, port, flags } => {
                write!(f, "type {kind} port {port} flags {flags:#x}")
            }
        }
    }
}

struct NetmaskText(Netmask);

impl fmt::Display for NetmaskText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Netmask::V4(m) => write!(f, "{m}"),
            Netmask::V6(p) => write!(f, "/{p}"),
        }
    }
}

/// Adds the change `make(from, to)` to `v` if `from` and `to` differ.
fn changed<T: PartialEq + Clone, C>(v: &mut Vec<C>, from: &T, to: &T, make: fn(T, T) -> C) {
    if from != to {
        v.push(make(from.clone(), to.clone()));
    }
}

fn engine(pe: &Option<String>) -> &str {
    pe.as_deref().unwrap_or("none")
}

impl fmt::Display for ServiceChange {
    /// `scheduler rr -> wrr`, `flags none -> persistent`, `timeout 0 -> 60`,
    /// `netmask 255.255.255.255 -> 255.255.255.0`,
    /// `persistence-engine none -> sip`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Scheduler { from, to } => write!(f, "scheduler {from} -> {to}"),
            Self::Flags { from, to } => {
                write!(f, "flags {} -> {}", Flags(*from), Flags(*to))
            }
            Self::Timeout { from, to } => write!(f, "timeout {from} -> {to}"),
            Self::Netmask { from, to } => {
                write!(f, "netmask {} -> {}", NetmaskText(*from), NetmaskText(*to))
            }
            Self::PersistenceEngine { from, to } => {
                write!(f, "persistence-engine {} -> {}", engine(from), engine(to))
            }
        }
    }
}

impl fmt::Display for DestinationChange {
    /// `forward masquerade -> direct-route`, `tunnel ipip -> gre checksum
    /// true`, `weight 1 -> 3`, `upper-threshold 0 -> 100`,
    /// `lower-threshold 0 -> 10`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Forward { from, to } => write!(f, "forward {from} -> {to}"),
            Self::Tunnel { from, to } => {
                write!(f, "tunnel {} -> {}", TunnelText(*from), TunnelText(*to))
            }
            Self::Weight { from, to } => write!(f, "weight {from} -> {to}"),
            Self::UpperThreshold { from, to } => {
                write!(f, "upper-threshold {from} -> {to}")
            }
            Self::LowerThreshold { from, to } => {
                write!(f, "lower-threshold {from} -> {to}")
            }
        }
    }
}

/// Writes `items` separated by `, `.
fn list<T: fmt::Display>(f: &mut fmt::Formatter<'_>, items: &[T]) -> fmt::Result {
    let mut sep = "";
    for i in items {
        write!(f, "{sep}{i}")?;
        sep = ", ";
    }
    Ok(())
}

fn plural(n: usize, one: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {one}s")
    }
}

impl fmt::Display for TableEvent {
    /// One line: `service tcp:10.0.0.1:80 added (wrr, 2 destinations)`,
    /// `service tcp:10.0.0.1:80 removed (wrr, 1 destination)`,
    /// `service tcp:10.0.0.1:80 changed: scheduler rr -> wrr`,
    /// `destination 10.0.1.1:80 of tcp:10.0.0.1:80 added (masquerade, weight 1)`,
    /// `destination 10.0.1.1:80 of tcp:10.0.0.1:80 removed`,
    /// `destination 10.0.1.1:80 of tcp:10.0.0.1:80 changed: weight 1 -> 3`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ServiceAdded {
                service,
                destinations,
            } => write!(
                f,
                "service {} added ({}, {})",
                service.key,
                service.scheduler,
                plural(destinations.len(), "destination")
            ),
            Self::ServiceRemoved {
                service,
                destinations,
            } => write!(
                f,
                "service {} removed ({}, {})",
                service.key,
                service.scheduler,
                plural(destinations.len(), "destination")
            ),
            Self::ServiceChanged { key, changes } => {
                write!(f, "service {key} changed: ")?;
                list(f, changes)
            }
            Self::DestinationAdded {
                service,
                destination: d,
            } => write!(
                f,
                "destination {} of {service} added ({}, weight {})",
                d.addr, d.forward, d.weight
            ),
            Self::DestinationRemoved {
                service,
                destination: d,
            } => write!(f, "destination {} of {service} removed", d.addr),
            Self::DestinationChanged {
                service,
                addr,
                changes,
            } => {
                write!(f, "destination {addr} of {service} changed: ")?;
                list(f, changes)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::GueChecksum;

    fn key() -> ServiceKey {
        ServiceKey::tcp("10.0.0.1:80".parse().unwrap())
    }

    #[test]
    fn every_service_field_that_differs_is_named_once_in_order() {
        let a = Service::new(key(), Scheduler::RoundRobin);
        assert_eq!(ServiceChange::between(&a, &a), []);
        let mut b = a.clone().persistent(60);
        b.scheduler = Scheduler::WeightedRoundRobin;
        b.netmask = Netmask::V4("255.255.255.0".parse().unwrap());
        b.persistence_engine = Some("sip".into());
        let changes = ServiceChange::between(&a, &b);
        assert_eq!(
            changes,
            [
                ServiceChange::Scheduler {
                    from: Scheduler::RoundRobin,
                    to: Scheduler::WeightedRoundRobin
                },
                ServiceChange::Flags {
                    from: ServiceFlags::empty(),
                    to: ServiceFlags::PERSISTENT
                },
                ServiceChange::Timeout { from: 0, to: 60 },
                ServiceChange::Netmask {
                    from: Netmask::V4("255.255.255.255".parse().unwrap()),
                    to: Netmask::V4("255.255.255.0".parse().unwrap())
                },
                ServiceChange::PersistenceEngine {
                    from: None,
                    to: Some("sip".into())
                },
            ]
        );
        let text: Vec<String> = changes.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            [
                "scheduler rr -> wrr",
                "flags none -> persistent",
                "timeout 0 -> 60",
                "netmask 255.255.255.255 -> 255.255.255.0",
                "persistence-engine none -> sip"
            ]
        );
    }

    #[test]
    fn flags_print_by_name_and_unnamed_bits_in_hex() {
        let f =
            ServiceFlags::PERSISTENT | ServiceFlags::SCHED2 | ServiceFlags::from_bits_retain(0x100);
        assert_eq!(Flags(f).to_string(), "persistent|sched2|0x100");
        assert_eq!(Flags(ServiceFlags::ONE_PACKET).to_string(), "one-packet");
    }

    #[test]
    fn destination_forwarding_tunnel_weight_and_thresholds() {
        let a = Destination::new("10.0.1.1:80".parse().unwrap());
        assert_eq!(DestinationChange::between(&a, &a), []);
        let b = a
            .clone()
            .forward(ForwardMethod::DirectRoute)
            .weight(3)
            .thresholds(10, 100);
        assert_eq!(
            DestinationChange::between(&a, &b),
            [
                DestinationChange::Forward {
                    from: ForwardMethod::Masquerade,
                    to: ForwardMethod::DirectRoute
                },
                DestinationChange::Weight { from: 1, to: 3 },
                DestinationChange::UpperThreshold { from: 0, to: 100 },
                DestinationChange::LowerThreshold { from: 0, to: 10 },
            ]
        );
        // Between two tunnels: the tunnel; into or out of one: the method.
        let ipip = a.clone().forward(ForwardMethod::Tunnel(Tunnel::Ipip));
        let gue = Tunnel::Gue {
            port: 6080,
            checksum: GueChecksum::Remote,
        };
        let to_gue = a.clone().forward(ForwardMethod::Tunnel(gue));
        assert_eq!(
            DestinationChange::between(&ipip, &to_gue),
            [DestinationChange::Tunnel {
                from: Tunnel::Ipip,
                to: gue
            }]
        );
        assert_eq!(
            DestinationChange::between(&to_gue, &a),
            [DestinationChange::Forward {
                from: ForwardMethod::Tunnel(gue),
                to: ForwardMethod::Masquerade
            }]
        );
        assert_eq!(
            DestinationChange::between(&a, &ipip)[0].to_string(),
            "forward masquerade -> tunnel"
        );
        assert_eq!(
            DestinationChange::between(&ipip, &to_gue)[0].to_string(),
            "tunnel ipip -> gue port 6080 checksum Remote"
        );
    }

    #[test]
    fn events_print_as_one_line_each() {
        let d = Destination::new("10.0.1.1:80".parse().unwrap());
        let s = Service::new(key(), Scheduler::WeightedRoundRobin);
        let lines: Vec<String> = [
            TableEvent::ServiceAdded {
                service: s.clone(),
                destinations: vec![d.clone(), d.clone()],
            },
            TableEvent::ServiceRemoved {
                service: s,
                destinations: vec![d.clone()],
            },
            TableEvent::ServiceChanged {
                key: key(),
                changes: vec![
                    ServiceChange::Timeout { from: 0, to: 60 },
                    ServiceChange::PersistenceEngine {
                        from: Some("sip".into()),
                        to: None,
                    },
                ],
            },
            TableEvent::DestinationAdded {
                service: key(),
                destination: d.clone(),
            },
            TableEvent::DestinationRemoved {
                service: key(),
                destination: d,
            },
            TableEvent::DestinationChanged {
                service: key(),
                addr: "10.0.1.1:80".parse().unwrap(),
                changes: vec![DestinationChange::Weight { from: 1, to: 0 }],
            },
        ]
        .iter()
        .map(ToString::to_string)
        .collect();
        assert_eq!(
            lines,
            [
                "service tcp:10.0.0.1:80 added (wrr, 2 destinations)",
                "service tcp:10.0.0.1:80 removed (wrr, 1 destination)",
                "service tcp:10.0.0.1:80 changed: timeout 0 -> 60, persistence-engine sip -> none",
                "destination 10.0.1.1:80 of tcp:10.0.0.1:80 added (masquerade, weight 1)",
                "destination 10.0.1.1:80 of tcp:10.0.0.1:80 removed",
                "destination 10.0.1.1:80 of tcp:10.0.0.1:80 changed: weight 1 -> 0",
            ]
        );
    }
}

#[cfg(all(test, feature = "serde"))]
mod serde_tests {
    use super::*;
    use crate::watch::{CounterChange, Counters, Rates, Traffic};
    use serde_json::json;

    #[test]
    fn events_serialize_tagged_in_the_model_serde_forms() {
        let key = ServiceKey::tcp("10.0.0.1:80".parse().unwrap());
        let d = Destination::new("10.0.1.1:80".parse().unwrap()).weight(3);
        let added = TableEvent::DestinationAdded {
            service: key,
            destination: d,
        };
        assert_eq!(
            serde_json::to_value(&added).unwrap(),
            json!({"event": "destination-added", "service": "tcp:10.0.0.1:80",
                   "destination": {"addr": "10.0.1.1:80", "weight": 3, "forward": "masquerade"}})
        );
        let changed = TableEvent::ServiceChanged {
            key,
            changes: vec![
                ServiceChange::Scheduler {
                    from: Scheduler::RoundRobin,
                    to: Scheduler::WeightedRoundRobin,
                },
                ServiceChange::Flags {
                    from: ServiceFlags::empty(),
                    to: ServiceFlags::PERSISTENT,
                },
            ],
        };
        assert_eq!(
            serde_json::to_value(&changed).unwrap(),
            json!({"event": "service-changed", "key": "tcp:10.0.0.1:80", "changes": [
                {"field": "scheduler", "from": "rr", "to": "wrr"},
                {"field": "flags", "from": [], "to": ["persistent"]},
            ]})
        );
        let weight = TableEvent::DestinationChanged {
            service: key,
            addr: "10.0.1.1:80".parse().unwrap(),
            changes: vec![DestinationChange::UpperThreshold { from: 0, to: 9 }],
        };
        assert_eq!(
            serde_json::to_value(&weight).unwrap()["changes"],
            json!([{"field": "upper-threshold", "from": 0, "to": 9}])
        );
        let reset = Traffic {
            service: key,
            destination: None,
            change: CounterChange::Reset {
                before: Counters {
                    conns: 3,
                    ..Default::default()
                },
                after: Counters::default(),
            },
        };
        let v = serde_json::to_value(reset).unwrap();
        assert_eq!(v["event"], "counters-reset");
        assert_eq!(v["service"], "tcp:10.0.0.1:80");
        assert!(v.get("destination").is_none(), "{v}");
        assert_eq!(
            (v["before"]["conns"].as_u64(), v["after"]["conns"].as_u64()),
            (Some(3), Some(0))
        );
        let counted = Traffic {
            destination: Some("10.0.1.1:80".parse().unwrap()),
            change: CounterChange::Counted {
                growth: Counters::default(),
                rates: Rates {
                    conns: 1.5,
                    ..Default::default()
                },
            },
            ..reset
        };
        let v = serde_json::to_value(counted).unwrap();
        assert_eq!(
            (v["event"].as_str(), v["destination"].as_str()),
            (Some("counters"), Some("10.0.1.1:80"))
        );
        assert_eq!(v["rates"]["conns"], 1.5);
    }
}

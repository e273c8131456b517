//! The configuration events between two listings of the table.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use super::event::{DestinationChange, ServiceChange, TableEvent};
use crate::model::{Destination, DestinationEntry, ServiceEntry, ServiceKey};

/// A table as [`Handle::list_table`](crate::Handle::list_table) returns it:
/// every service with its destinations.
pub type Table = [(ServiceEntry, Vec<DestinationEntry>)];

/// A table's entries by service key, each with its destinations by address.
pub(super) type Index<'a> = BTreeMap<ServiceKey, (&'a ServiceEntry, Dests<'a>)>;

/// The index of a table.
pub(super) fn by_key(table: &Table) -> Index<'_> {
    table
        .iter()
        .map(|(s, d)| {
            let dests = d.iter().map(|e| (e.dest.addr, e)).collect();
            (s.service.key, (s, dests))
        })
        .collect()
}

/// A service's destinations by address.
pub(super) type Dests<'a> = BTreeMap<SocketAddr, &'a DestinationEntry>;

fn configs(dests: &Dests<'_>) -> Vec<Destination> {
    dests.values().map(|e| e.dest.clone()).collect()
}

/// The configuration events that turn `before` into `after`: services and
/// destinations added, removed and changed. Counters and connection counts
/// are not configuration and make no event (see
/// [`traffic`](super::traffic)).
///
/// The order is fixed: by service key, and for one service its own event
/// first, then its destinations' events by address. An added or removed
/// service's destinations come in its event, not as events of their own.
/// Services are matched by key and destinations by address (a listing holds
/// each once; should one hold a key twice, the last counts).
pub fn diff(before: &Table, after: &Table) -> Vec<TableEvent> {
    events_between(&by_key(before), &by_key(after))
}

/// [`diff`] of two indexed tables.
pub(super) fn events_between(before: &Index<'_>, after: &Index<'_>) -> Vec<TableEvent> {
    let mut keys: Vec<&ServiceKey> = before.keys().chain(after.keys()).collect();
    keys.sort_unstable();
    keys.dedup();
    let mut events = Vec::new();
    for key in keys {
        match (before.get(key), after.get(key)) {
            (Some((old, old_dests)), None) => events.push(TableEvent::ServiceRemoved {
                service: old.service.clone(),
                destinations: configs(old_dests),
            }),
            (None, Some((new, new_dests))) => events.push(TableEvent::ServiceAdded {
                service: new.service.clone(),
                destinations: configs(new_dests),
            }),
            (Some((old, old_dests)), Some((new, new_dests))) => {
                let changes = ServiceChange::between(&old.service, &new.service);
                if !changes.is_empty() {
                    events.push(TableEvent::ServiceChanged { key: *key, changes });
                }
                diff_destinations(*key, old_dests, new_dests, &mut events);
            }
            (None, None) => {}
        }
    }
    events
}

/// The destination events of a service that was there before and after.
fn diff_destinations(
    service: ServiceKey,
    before: &Dests<'_>,
    after: &Dests<'_>,
    events: &mut Vec<TableEvent>,
) {
    let mut addrs: Vec<&SocketAddr> = before.keys().chain(after.keys()).collect();
    addrs.sort_unstable();
    addrs.dedup();
    for addr in addrs {
        match (before.get(addr), after.get(addr)) {
            (Some(old), None) => events.push(TableEvent::DestinationRemoved {
                service,
                destination: old.dest.clone(),
            }),
            (None, Some(new)) => events.push(TableEvent::DestinationAdded {
                service,
                destination: new.dest.clone(),
            }),
            (Some(old), Some(new)) => {
                let changes = DestinationChange::between(&old.dest, &new.dest);
                if !changes.is_empty() {
                    events.push(TableEvent::DestinationChanged {
                        service,
                        addr: *addr,
                        changes,
                    });
                }
            }
            (None, None) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ForwardMethod, Scheduler, Service, Stats};

    fn key(port: u16) -> ServiceKey {
        ServiceKey::tcp(SocketAddr::from(([10, 0, 0, 1], port)))
    }

    fn dest(last: u8) -> Destination {
        Destination::new(SocketAddr::from(([10, 0, 1, last], 80)))
    }

    fn entry(port: u16, dests: &[Destination]) -> (ServiceEntry, Vec<DestinationEntry>) {
        let s = ServiceEntry::new(Service::new(key(port), Scheduler::RoundRobin));
        (
            s,
            dests.iter().cloned().map(DestinationEntry::new).collect(),
        )
    }

    #[test]
    fn the_same_table_has_no_events_whatever_its_counters() {
        let a = vec![entry(80, &[dest(1), dest(2)]), entry(81, &[])];
        assert_eq!(diff(&a, &a), []);
        let mut b = a.clone();
        b[0].0.stats64 = Some(Stats {
            conns: 9,
            ..Default::default()
        });
        b[0].1[1].active_conns = 4;
        // The listing's order is the kernel's hash order; it does not count.
        b.reverse();
        assert_eq!(diff(&a, &b), []);
        assert_eq!(diff(&[], &[]), []);
    }

    #[test]
    fn added_and_removed_services_carry_their_destinations() {
        let a = vec![entry(80, &[dest(2), dest(1)])];
        let b = vec![entry(81, &[dest(3)])];
        assert_eq!(
            diff(&a, &b),
            [
                TableEvent::ServiceRemoved {
                    service: Service::new(key(80), Scheduler::RoundRobin),
                    destinations: vec![dest(1), dest(2)],
                },
                TableEvent::ServiceAdded {
                    service: Service::new(key(81), Scheduler::RoundRobin),
                    destinations: vec![dest(3)],
                },
            ]
        );
    }

    #[test]
    fn changes_come_by_service_key_service_first_then_destinations_by_address() {
        let a = vec![
            entry(90, &[dest(1), dest(2)]),
            entry(80, &[dest(5)]),
            entry(85, &[]),
        ];
        let mut b = vec![
            entry(85, &[]),
            entry(80, &[dest(5).weight(0)]),
            entry(90, &[dest(3), dest(2).forward(ForwardMethod::DirectRoute)]),
            entry(70, &[]),
        ];
        b[2].0.service.scheduler = Scheduler::WeightedRoundRobin;
        let events = diff(&a, &b);
        let text: Vec<String> = events.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            [
                "service tcp:10.0.0.1:70 added (rr, 0 destinations)",
                "destination 10.0.1.5:80 of tcp:10.0.0.1:80 changed: weight 1 -> 0",
                "service tcp:10.0.0.1:90 changed: scheduler rr -> wrr",
                "destination 10.0.1.1:80 of tcp:10.0.0.1:90 removed",
                "destination 10.0.1.2:80 of tcp:10.0.0.1:90 changed: forward masquerade -> direct-route",
                "destination 10.0.1.3:80 of tcp:10.0.0.1:90 added (masquerade, weight 1)",
            ]
        );
        assert_eq!(
            events[3],
            TableEvent::DestinationRemoved {
                service: key(90),
                destination: dest(1)
            }
        );
        // Whatever order either listing came in.
        let mut a2 = a.clone();
        a2.reverse();
        b.rotate_left(1);
        assert_eq!(diff(&a2, &b), events);
    }

    #[test]
    fn a_service_of_another_family_or_protocol_is_another_service() {
        let tcp = entry(80, &[]);
        let mut udp = tcp.clone();
        udp.0.service.key = ServiceKey::udp(SocketAddr::from(([10, 0, 0, 1], 80)));
        let events = diff(std::slice::from_ref(&tcp), std::slice::from_ref(&udp));
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].service(), key(80));
        assert!(matches!(events[0], TableEvent::ServiceRemoved { .. }));
        assert!(matches!(events[1], TableEvent::ServiceAdded { .. }));
    }
}

//! The consistent service listing as a state machine without I/O: which
//! socket each service dump is made on, and when the dumps made so far
//! prove a listing (see [`dump_pages`](super::dump_pages)).

use super::consistency::same_services;
use super::dump_pages::{skipped_none, DumpPages};
use crate::model::ServiceEntry;

/// The socket a service dump of a consistent listing is made on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DumpSocket {
    /// The handle's socket for receives of the `n`th wide size, which has
    /// received at that size before the dump (its pages are all of it).
    Warm(usize),
    /// A new socket for receives of the first wide size that has never
    /// received: the kernel makes the first page of its dump while the
    /// request is sent, of one memory page, so its pages end elsewhere than
    /// those of a warm socket of the same size. It takes the place of that
    /// warm socket.
    Fresh,
}

/// The sockets of a consistent listing's dumps, in turn: two dumps whose
/// pages end at different services usually prove a listing; one at
/// another size settles where both ended a page at the same service.
const PLAN: [DumpSocket; 4] = [
    DumpSocket::Warm(0),
    DumpSocket::Fresh,
    DumpSocket::Warm(1),
    DumpSocket::Warm(2),
];

/// Dumps of the same services.
#[derive(Debug)]
struct Group {
    services: Vec<ServiceEntry>,
    pages: Vec<DumpPages>,
}

/// The dumps of one consistent listing so far.
#[derive(Debug)]
pub(crate) struct ConsistentListing {
    /// Every dump so far, grouped by the services it holds: dumps of the
    /// same services prove each other whether or not others came between.
    groups: Vec<Group>,
    /// The kernel's smaller page buffer (`NLMSG_GOODSIZE`).
    small: usize,
    dumps: usize,
}

impl ConsistentListing {
    /// A listing on a kernel whose smaller page buffer is `small` bytes.
    pub(crate) fn new(small: usize) -> Self {
        Self {
            groups: Vec::new(),
            small,
            dumps: 0,
        }
    }

    /// The socket for the next dump.
    pub(crate) fn next_socket(&self) -> DumpSocket {
        PLAN[self.dumps % PLAN.len()]
    }

    /// Adds a dump: the services it listed (without repeats) and its
    /// pages. Gives the listing once the dumps of its services prove that
    /// none that existed throughout them was skipped.
    pub(crate) fn add(
        &mut self,
        services: Vec<ServiceEntry>,
        pages: DumpPages,
    ) -> Option<Vec<ServiceEntry>> {
        self.dumps += 1;
        let at = match self
            .groups
            .iter()
            .position(|g| same_services(&g.services, &services))
        {
            Some(i) => {
                let group = &mut self.groups[i];
                // The latest configuration of the same services.
                group.services = services;
                group.pages.push(pages);
                i
            }
            None => {
                self.groups.push(Group {
                    services,
                    pages: vec![pages],
                });
                self.groups.len() - 1
            }
        };
        let pages: Vec<&DumpPages> = self.groups[at].pages.iter().collect();
        if skipped_none(&pages, self.small) {
            let group = self.groups.swap_remove(at);
            self.groups.clear();
            Some(group.services)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Scheduler, Service, ServiceKey};

    const SMALL: usize = 3776;
    const CHUNK: usize = 32448;
    const FULL: usize = CHUNK - 300;

    fn svc(n: u16) -> ServiceEntry {
        ServiceEntry::new(Service::new(
            ServiceKey::tcp(std::net::SocketAddr::from(([10, 0, 0, 1], n))),
            Scheduler::RoundRobin,
        ))
    }

    /// A dump of services `0..n` but those in `skip`, `per` to a full page
    /// after a first page of `first`.
    fn dump(n: u16, first: u16, per: u16, skip: &[u16]) -> (Vec<ServiceEntry>, DumpPages) {
        let keys: Vec<u16> = (0..n).filter(|k| !skip.contains(k)).collect();
        let mut pages = DumpPages::default();
        pages.chunk = CHUNK;
        let mut page = 0u64;
        let mut left = first;
        for (i, &k) in keys.iter().enumerate() {
            if left == 0 {
                page += 1;
                left = per;
            }
            left -= 1;
            let last = i + 1 == keys.len();
            let bytes = if last && left > 0 { 2000 } else { FULL };
            pages.push(svc(k).service.key, page, bytes);
        }
        // Every entry of a page carries the page's length: the last page's
        // may differ from what its first entries said.
        if let Some(p) = pages.pages.last_mut() {
            p.bytes = if left > 0 { 2000 } else { FULL };
        }
        (keys.iter().map(|&k| svc(k)).collect(), pages)
    }

    #[test]
    fn the_sockets_take_turns() {
        let mut l = ConsistentListing::new(SMALL);
        let mut seen = Vec::new();
        for _ in 0..5 {
            seen.push(l.next_socket());
            let (s, p) = dump(300, 100, 100, &[]);
            // A dump of the same pages as the others never proves more.
            assert!(l.add(s, p).is_none());
        }
        use DumpSocket::*;
        assert_eq!(seen, [Warm(0), Fresh, Warm(1), Warm(2), Warm(0)]);
    }

    #[test]
    fn two_dumps_whose_pages_end_elsewhere_prove_a_listing() {
        let mut l = ConsistentListing::new(SMALL);
        let (s, p) = dump(1000, 101, 101, &[]);
        assert!(l.add(s, p).is_none());
        let (s, p) = dump(1000, 11, 101, &[]);
        assert_eq!(l.add(s, p).map(|v| v.len()), Some(1000));
    }

    #[test]
    fn a_short_dump_between_does_not_undo_the_dumps_of_the_same_services() {
        let mut l = ConsistentListing::new(SMALL);
        let (s, p) = dump(1000, 101, 101, &[]);
        assert!(l.add(s, p).is_none());
        // Skipped one where a page ended: its own group.
        let (s, p) = dump(1000, 11, 101, &[112]);
        assert!(l.add(s, p).is_none());
        let (s, p) = dump(1000, 99, 99, &[]);
        assert_eq!(l.add(s, p).map(|v| v.len()), Some(1000));
    }

    #[test]
    fn dumps_that_skipped_the_same_service_where_both_ended_a_page_prove_nothing() {
        let mut l = ConsistentListing::new(SMALL);
        // Both end a page at service 99 and both skipped service 100.
        let (s, p) = dump(1000, 100, 100, &[100]);
        assert!(l.add(s, p).is_none());
        let (s, p) = dump(1000, 100, 50, &[100]);
        assert!(l.add(s, p).is_none());
        // A dump with a page across that place holds service 100: it is
        // of other services, and with its like proves the listing.
        let (s, p) = dump(1000, 95, 95, &[]);
        assert!(l.add(s, p).is_none());
        let (s, p) = dump(1000, 90, 90, &[]);
        assert_eq!(l.add(s, p).map(|v| v.len()), Some(1000));
    }
}

//! The consistent service listing as a state machine without I/O: which
//! socket each service dump is made on, and when the dumps made so far
//! prove a listing (see [`dump_pages`](super::dump_pages)).

use super::consistency::same_in_order;
use super::dump_pages::{skipped_none, DumpPages};
use crate::model::ServiceEntry;

/// The receive sizes of service dumps: the handles keep a socket for
/// each, and the consistent listing dumps at each in turn, so that the
/// pages of its dumps end at different services (the kernel keeps the
/// largest receive a socket ever made, so each size needs its own).
pub(crate) const WIDE: [usize; 3] = [32 * 1024, 31 * 1024, 30 * 1024];

/// The kernel's largest dump chunk: `SKB_WITH_OVERHEAD(32768)`, 32 KiB less
/// the buffer trailer (320 bytes on 64-bit kernels; less on 32-bit ones,
/// which makes this an underestimate there).
const MAX_CHUNK: usize = 32 * 1024 - 320;

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

impl DumpSocket {
    /// The kernel's buffer for a page of a dump on this socket when it can
    /// have one of the receive's size (all but a fresh socket's first).
    fn chunk(self) -> usize {
        let receive = match self {
            Self::Warm(i) => WIDE[i],
            Self::Fresh => WIDE[0],
        };
        receive.min(MAX_CHUNK)
    }
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

/// Dumps of the same services in the same order.
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
    /// In the same order too: services that exist throughout keep their
    /// order in the kernel's table, and one of ours deleted and added again
    /// meanwhile would move, and could make a page of one dump stand for a
    /// stretch of the table that a page of the other did not hold.
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

    /// Adds a dump made on [`next_socket`](Self::next_socket): the
    /// services it listed (without repeats) and its pages. Gives the
    /// listing once the dumps of its services prove that none that existed
    /// throughout them was skipped.
    pub(crate) fn add(
        &mut self,
        services: Vec<ServiceEntry>,
        mut pages: DumpPages,
    ) -> Option<Vec<ServiceEntry>> {
        pages.chunk = self.next_socket().chunk();
        self.dumps += 1;
        let at = match self
            .groups
            .iter()
            .position(|g| same_in_order(&g.services, &services))
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
    /// A page with no room for one more service.
    const FULL: usize = MAX_CHUNK - 300;

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

    #[test]
    fn dumps_that_list_the_same_services_in_another_order_prove_nothing_together() {
        let mut l = ConsistentListing::new(SMALL);
        let (s, p) = dump(1000, 101, 101, &[]);
        assert!(l.add(s, p).is_none());
        // Service 500 deleted and added again further on.
        let (mut s, mut p) = dump(1000, 11, 101, &[]);
        let moved = s.remove(500);
        s.insert(700, moved);
        for page in &mut p.pages {
            if let Some(i) = page.keys.iter().position(|k| *k == svc(500).service.key) {
                page.keys.remove(i);
            }
        }
        p.pages[7].keys.insert(0, svc(500).service.key);
        assert!(l.add(s, p).is_none());
        // Its like in order does.
        let (s, p) = dump(1000, 11, 101, &[]);
        assert_eq!(l.add(s, p).map(|v| v.len()), Some(1000));
    }

    /// A model of the kernel's service dumps: one table of every
    /// namespace's services, paged by position as `ip_vs_genl_dump_services`
    /// does, with another namespace adding and deleting services between
    /// pages.
    struct Kernel {
        table: Vec<Entry>,
        rng: u64,
        churn: u32,
    }

    /// A service in the model's table.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Entry {
        /// Our service `n`.
        Ours(u16),
        /// Another namespace's.
        Other,
    }

    impl Kernel {
        fn new(seed: u64, ours: u16, others: u32, churn: u32) -> Self {
            let mut k = Self {
                table: Vec::new(),
                rng: seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1,
                churn,
            };
            for n in 0..ours {
                let at = k.below(k.table.len() + 1);
                k.table.insert(at, Entry::Ours(n));
            }
            for _ in 0..others {
                k.add_other();
            }
            k
        }

        fn below(&mut self, n: usize) -> usize {
            self.rng ^= self.rng << 13;
            self.rng ^= self.rng >> 7;
            self.rng ^= self.rng << 17;
            (self.rng % n.max(1) as u64) as usize
        }

        fn add_other(&mut self) {
            // At the head of some hash chain: anywhere in the walk's order.
            let at = self.below(self.table.len() + 1);
            self.table.insert(at, Entry::Other);
        }

        /// Between two pages, one time in `churn` (never for 0): the other
        /// namespace adds a service, or deletes one, most often where the
        /// walk has been (which makes the next page start past one of
        /// ours).
        fn between_pages(&mut self, walked: usize) {
            if self.churn == 0 || self.below(self.churn as usize) != 0 {
                return;
            }
            if self.below(2) == 0 {
                self.add_other();
                return;
            }
            let at = self.below(walked.min(self.table.len()));
            if let Some(i) = (at..self.table.len()).find(|&i| self.table[i] == Entry::Other) {
                self.table.remove(i);
            }
        }

        /// The size of our service `n`'s message: a few sizes, so that
        /// pages of equal buffers can fall back into step.
        fn size(n: u16) -> usize {
            300 + usize::from(n % 3) * 20
        }

        /// One dump: its first page in a buffer of `first`, the others of
        /// `rest`.
        fn dump(&mut self, first: usize, rest: usize) -> (Vec<ServiceEntry>, DumpPages) {
            let mut pages = DumpPages::default();
            let mut listed: Vec<u16> = Vec::new();
            let mut start = 0usize;
            for page in 0u64.. {
                let room = if page == 0 { first } else { rest };
                let (mut idx, mut bytes, mut keys) = (0usize, 0usize, Vec::new());
                for e in &self.table {
                    idx += 1;
                    let Entry::Ours(n) = *e else { continue };
                    if idx <= start {
                        continue;
                    }
                    if bytes + Self::size(n) > room {
                        idx -= 1;
                        break;
                    }
                    bytes += Self::size(n);
                    keys.push(n);
                }
                start = idx;
                if keys.is_empty() {
                    break;
                }
                for &n in &keys {
                    pages.push(svc(n).service.key, page, bytes);
                    if !listed.contains(&n) {
                        listed.push(n);
                    }
                }
                self.between_pages(start);
            }
            (listed.into_iter().map(svc).collect(), pages)
        }

        fn dump_on(&mut self, socket: DumpSocket) -> (Vec<ServiceEntry>, DumpPages) {
            match socket {
                DumpSocket::Warm(_) => self.dump(socket.chunk(), socket.chunk()),
                DumpSocket::Fresh => self.dump(SMALL, socket.chunk()),
            }
        }
    }

    /// Runs consistent listings of `ours` services against the model with
    /// `churn`: how many proved a listing, and how many dumps were short.
    /// Panics when a proven listing misses one of ours.
    fn listings(seeds: u64, ours: u16, churn: u32, attempts: usize) -> (usize, usize) {
        let (mut proven, mut short) = (0, 0);
        for seed in 0..seeds {
            let mut kernel = Kernel::new(seed, ours, 3 * u32::from(ours), churn);
            let mut listing = ConsistentListing::new(SMALL);
            for _ in 0..attempts {
                let (services, pages) = kernel.dump_on(listing.next_socket());
                if services.len() < usize::from(ours) {
                    short += 1;
                }
                if let Some(listed) = listing.add(services, pages) {
                    assert_eq!(listed.len(), usize::from(ours), "seed {seed}");
                    proven += 1;
                    break;
                }
            }
        }
        (proven, short)
    }

    #[test]
    fn a_quiet_table_is_proven_in_two_dumps_or_three() {
        for ours in [5, 150, 2000, 9999] {
            for seed in 0..4 {
                let mut kernel = Kernel::new(seed, ours, u32::from(ours), 0);
                let mut listing = ConsistentListing::new(SMALL);
                let dumps = (1..=4).find(|_| {
                    let (services, pages) = kernel.dump_on(listing.next_socket());
                    listing.add(services, pages).is_some()
                });
                // One page with room: one dump.
                let most = if ours < 10 { 1 } else { 3 };
                assert!(dumps.is_some_and(|d| d <= most), "{ours}: {dumps:?}");
            }
        }
    }

    #[test]
    fn no_proven_listing_misses_a_service_while_another_namespace_churns() {
        // Churn that makes many dumps short: every proven listing is
        // whole (`listings` checks), and most listings are proven.
        let (proven, short) = listings(20, 1000, 5, 12);
        assert!(short > 40, "the churn made {short} dumps short");
        assert!(proven >= 8, "{proven} of 20 proven");
        let (proven, short) = listings(30, 400, 2, 12);
        assert!(short > 40, "the churn made {short} dumps short");
        assert!(proven > 20, "{proven} of 30 proven");
    }
}

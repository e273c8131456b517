//! The pages of a service dump, and the proof from them that a set of dumps
//! of the same services skipped none.
//!
//! The kernel builds each page (one datagram) of a service dump under the
//! IPVS mutex, walking its table of every namespace's services from the
//! start and skipping as many as the pages before took. A page is
//! therefore a snapshot of a stretch of that table: every service of ours
//! between its first and last entry is in it. Between pages the table may
//! change, in any namespace: a service deleted before the point where the
//! last page ended makes the next page start one further on, past a
//! service it never sends. Services of ours that exist throughout keep
//! their order in the table (hash buckets, each chain added to at its
//! head), unless deleted and added again.
//!
//! So a service that existed throughout and that a dump skipped lies, in
//! that order, between the last entry `u` of one page and the first entry
//! `v` of the next, or after the last entry of the last page (the kernel's
//! last, empty call then started past it). Another dump of the same
//! services with a page that holds both `u` and `v` would have held it,
//! and so would a dump whose last page holds that last entry and was not
//! full (its walk then reached the end of the table): neither can have
//! been, since the dumps hold the same services. A dump whose every page
//! boundary and end are covered so skipped nothing; nor did any dump of
//! the same services. A dump of one page that was not full is a snapshot
//! of the whole table on its own, and an empty dump too.
//!
//! That the skipped service still lies between `u` and `v` when the other
//! dump is made needs `u` and `v` to have kept their places too. One of
//! ours deleted and added again moves, so the consistent listing takes as
//! dumps of the same services only those that list them in the same order
//! ([`ConsistentListing`](super::consistent_listing::ConsistentListing)).
//! That leaves one case: a service added again where the order it is
//! listed in stays the same, next to a service that both dumps skipped.

use std::collections::HashMap;

use super::fast_hash::FastHash;
use crate::model::ServiceKey;

/// Bytes the kernel's message of one service can take at most: its
/// netlink and generic netlink headers and a nest of every attribute
/// (names of 16 bytes, both counter nests) come to about 350; the rest is
/// margin, for attributes later kernels add and for the size of the
/// kernel's buffer trailer, which this crate can only estimate.
pub(crate) const MAX_SERVICE_MESSAGE: usize = 1024;

/// One page (datagram) of a service dump.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Page {
    /// The services in it, in order, repeats included.
    pub(crate) keys: Vec<ServiceKey>,
    /// Its length in bytes.
    pub(crate) bytes: usize,
}

/// The pages of one service dump, as they came.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct DumpPages {
    /// The pages, in order.
    pub(crate) pages: Vec<Page>,
    /// The kernel's buffer for a page when it could have one of the
    /// receive's size (the socket's receive, at most 32 KiB less the
    /// buffer trailer); set by the consistent listing, which chose the
    /// socket.
    pub(crate) chunk: usize,
    /// The datagram the last page came in, to tell when a new one begins.
    datagram: Option<u64>,
}

impl DumpPages {
    /// Adds the entry `key`, which came in datagram `datagram` of `bytes`.
    pub(crate) fn push(&mut self, key: ServiceKey, datagram: u64, bytes: usize) {
        if self.datagram != Some(datagram) || self.pages.is_empty() {
            self.datagram = Some(datagram);
            self.pages.push(Page {
                keys: Vec::new(),
                bytes,
            });
        }
        if let Some(page) = self.pages.last_mut() {
            page.keys.push(key);
        }
    }

    /// Whether `page` (one of these pages) certainly had room for one more
    /// service, so that the kernel's walk for it reached the end of the
    /// table. The kernel gives a page a buffer of the receive's size, or,
    /// when that cannot be had at once, a smaller one of `small` bytes (its
    /// `NLMSG_GOODSIZE`): a page no longer than `small` may have had
    /// either. `cap` bounds the receive's size as the kernel does (see
    /// [`OLD_CAP`]).
    fn had_room(&self, page: &Page, small: usize, cap: usize) -> bool {
        let buffer = if page.bytes > small {
            self.chunk.min(cap)
        } else {
            small
        };
        page.bytes + MAX_SERVICE_MESSAGE <= buffer
    }
}

/// The largest dump buffer a kernel that caps it at 16 KiB gives, less the
/// most its buffer trailer takes. Older kernels capped the receive size a
/// dump buffer follows at 16 KiB, today's at 32 KiB less the trailer: a set
/// of dumps none of whose pages is longer than this may come from an older
/// kernel, and its pages' room is judged against this.
const OLD_CAP: usize = 16 * 1024 - 320;

/// The pages each service of a dump is in.
type PagesOf<'a> = HashMap<&'a ServiceKey, Vec<usize>, FastHash>;

fn pages_of(dump: &DumpPages) -> PagesOf<'_> {
    let mut map = PagesOf::default();
    for (i, page) in dump.pages.iter().enumerate() {
        for key in &page.keys {
            let pages = map.entry(key).or_default();
            if pages.last() != Some(&i) {
                pages.push(i);
            }
        }
    }
    map
}

/// Whether dumps that hold the same services (the caller compares them)
/// prove that none skipped a service that existed throughout them: one of
/// them has every page boundary inside a page of another and its end
/// covered (see the module's text). `small` is the kernel's smaller page
/// buffer (see [`DumpPages`]).
pub(crate) fn skipped_none(dumps: &[&DumpPages], small: usize) -> bool {
    if dumps.iter().any(|d| d.pages.is_empty()) {
        // The kernel's first call found nothing: it walked the whole table.
        return true;
    }
    let cap = if dumps
        .iter()
        .any(|d| d.pages.iter().any(|p| p.bytes > OLD_CAP))
    {
        usize::MAX
    } else {
        OLD_CAP
    };
    let index: Vec<PagesOf<'_>> = dumps.iter().map(|d| pages_of(d)).collect();
    let together = |j: usize, u: &ServiceKey, v: &ServiceKey| {
        let (Some(a), Some(b)) = (index[j].get(u), index[j].get(v)) else {
            return false;
        };
        a.iter().any(|p| b.contains(p))
    };
    (0..dumps.len()).any(|i| {
        let x = dumps[i];
        let others = || (0..dumps.len()).filter(move |&j| j != i);
        let (Some(last), Some(last_key)) =
            (x.pages.last(), x.pages.last().and_then(|p| p.keys.last()))
        else {
            return false;
        };
        let end = x.had_room(last, small, cap)
            || others().any(|j| {
                dumps[j]
                    .pages
                    .last()
                    .is_some_and(|p| dumps[j].had_room(p, small, cap) && p.keys.contains(last_key))
            });
        end && x
            .pages
            .windows(2)
            .all(|w| match (w[0].keys.last(), w[1].keys.first()) {
                (Some(u), Some(v)) => others().any(|j| together(j, u, v)),
                _ => false,
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: usize = 3776;
    const CHUNK: usize = 32448;

    fn key(n: u16) -> ServiceKey {
        ServiceKey::tcp(std::net::SocketAddr::from(([10, 0, 0, 1], n)))
    }

    /// A dump of pages holding the services numbered `from..to` in `pages`, each page
    /// `bytes` long but the last, `last_bytes` long.
    fn dump(pages: &[(u16, u16)], bytes: usize, last_bytes: usize) -> DumpPages {
        let mut d = DumpPages {
            chunk: CHUNK,
            ..Default::default()
        };
        for (i, &(from, to)) in pages.iter().enumerate() {
            let len = if i + 1 == pages.len() {
                last_bytes
            } else {
                bytes
            };
            for n in from..to {
                d.push(key(n), i as u64, len);
            }
        }
        d
    }

    #[test]
    fn entries_are_paged_by_datagram() {
        let mut d = DumpPages::default();
        d.push(key(1), 7, 100);
        d.push(key(2), 7, 100);
        d.push(key(2), 8, 50);
        assert_eq!(d.pages.len(), 2);
        assert_eq!(d.pages[0].keys, [key(1), key(2)]);
        assert_eq!(
            (d.pages[1].keys.as_slice(), d.pages[1].bytes),
            (&[key(2)][..], 50)
        );
    }

    #[test]
    fn one_page_with_room_left_is_a_snapshot_of_the_whole_table() {
        assert!(skipped_none(&[&dump(&[(0, 40)], 0, 14_000)], SMALL));
        // Full, or possibly full: not on its own.
        assert!(!skipped_none(&[&dump(&[(0, 90)], 0, CHUNK - 200)], SMALL));
        // No longer than the small buffer, and near its end.
        assert!(!skipped_none(&[&dump(&[(0, 10)], 0, SMALL - 300)], SMALL));
        assert!(skipped_none(&[&dump(&[(0, 5)], 0, SMALL - 1500)], SMALL));
        // Room under a 32 KiB buffer, not under 16 KiB: only once a page
        // shows that the kernel's buffers are larger than 16 KiB.
        let near_16k = dump(&[(0, 44)], 0, 15_600);
        assert!(!skipped_none(&[&near_16k], SMALL));
        let longer = dump(&[(0, 50)], 0, 17_000);
        assert!(skipped_none(&[&near_16k, &longer], SMALL));
        // No page at all: the table was empty.
        assert!(skipped_none(&[&DumpPages::default()], SMALL));
    }

    #[test]
    fn boundaries_inside_pages_of_the_other_dump_prove_both() {
        let full = CHUNK - 300;
        let x = dump(&[(0, 90), (90, 180), (180, 200)], full, 7000);
        let y = dump(&[(0, 85), (85, 170), (170, 200)], full, 9000);
        assert!(skipped_none(&[&x, &y], SMALL));
        // Alone, neither proves anything.
        assert!(!skipped_none(&[&x], SMALL));
        assert!(!skipped_none(&[&y], SMALL));
    }

    #[test]
    fn a_boundary_where_both_dumps_have_one_proves_nothing() {
        let full = CHUNK - 300;
        let x = dump(&[(0, 90), (90, 180), (180, 200)], full, 7000);
        let y = dump(&[(0, 85), (85, 180), (180, 200)], full, 9000);
        assert!(!skipped_none(&[&x, &y], SMALL));
        // A third dump with a page across it does.
        let z = dump(&[(0, 80), (80, 160), (160, 200)], full, 12_000);
        assert!(skipped_none(&[&x, &y, &z], SMALL));
    }

    #[test]
    fn a_full_last_page_needs_a_last_page_with_room_that_holds_its_last_entry() {
        let full = CHUNK - 300;
        let x = dump(&[(0, 90), (90, 180)], full, full);
        let y = dump(&[(0, 85), (85, 170), (170, 180)], full, 2000);
        assert!(skipped_none(&[&x, &y], SMALL));
        // The other's last page full too: the ends prove nothing.
        let y_full = dump(&[(0, 85), (85, 180)], full, full);
        assert!(!skipped_none(&[&x, &y_full], SMALL));
        // A last page with room, holding their last entry: proven.
        let z = dump(&[(0, 80), (80, 160), (160, 180)], full, 6000);
        assert!(skipped_none(&[&x, &y_full, &z], SMALL));
    }

    #[test]
    fn repeats_at_a_page_start_are_covered_by_any_page_with_their_neighbour() {
        let full = CHUNK - 300;
        // The second page starts with a repeat of the first one's end.
        let mut x = dump(&[(0, 90)], full, full);
        for n in [89, 90, 91] {
            x.push(key(n), 1, 2000);
        }
        x.pages[1].keys.extend((92..100).map(key));
        let y = dump(&[(0, 95), (95, 100)], full, 1500);
        assert!(skipped_none(&[&x, &y], SMALL));
    }
}

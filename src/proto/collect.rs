//! Reply assembly: what a pending request's replies are gathered into,
//! dumps parsed entry by entry with repeats removed, and the reply made of
//! them when the request ends.

use std::collections::HashSet;
use std::hash::Hash;
use std::net::SocketAddr;

use super::dump_pages::DumpPages;
use super::fast_hash::FastHash;
use super::reply::Reply;
use super::request::Request;
use crate::error::{Error, ErrorKind, Operation};
use crate::model::{
    DestinationEntry, Family, Info, ServiceEntry, ServiceKey, SyncDaemon, Timeouts,
};
use crate::wire::constants::cmd_attr;
use crate::wire::ctrl;
use crate::wire::message::{read_attrs, split_genl, IpvsRef};
use crate::wire::nla::attrs;
use crate::wire::DecodeError;

/// What has been gathered so far for a pending request.
#[derive(Debug)]
pub(super) enum Collected {
    Nothing,
    Family(Option<u16>),
    /// A service dump's entries, the keys seen, and its pages when they
    /// are recorded.
    Services(
        Vec<ServiceEntry>,
        HashSet<ServiceKey, FastHash>,
        Option<Box<DumpPages>>,
    ),
    Service(Option<Box<ServiceEntry>>),
    Destinations(Family, Vec<DestinationEntry>, HashSet<SocketAddr, FastHash>),
    Timeouts(Timeouts),
    Info(Option<Info>),
    Daemons(Vec<SyncDaemon>),
}

impl Collected {
    /// Entries gathered so far by a dump.
    pub(super) fn entries(&self) -> usize {
        match self {
            Self::Services(v, ..) => v.len(),
            Self::Destinations(_, v, _) => v.len(),
            Self::Daemons(v) => v.len(),
            _ => 0,
        }
    }

    /// Records the pages of a service dump as they come (nothing for other
    /// requests).
    pub(super) fn record_pages(&mut self) {
        if let Self::Services(_, _, pages) = self {
            *pages = Some(Box::default());
        }
    }

    /// The pages recorded, taken out.
    pub(super) fn take_pages(&mut self) -> Option<Box<DumpPages>> {
        match self {
            Self::Services(_, _, pages) => pages.take(),
            _ => None,
        }
    }

    /// What a request's replies are gathered into.
    pub(super) fn for_request(request: &Request) -> Self {
        match request {
            Request::ListServices => Self::Services(Vec::new(), HashSet::default(), None),
            Request::GetService(_) => Self::Service(None),
            Request::ListDestinations(k) => {
                Self::Destinations(k.family(), Vec::new(), HashSet::default())
            }
            Request::GetTimeouts => Self::Timeouts(Timeouts::default()),
            Request::GetInfo => Self::Info(None),
            Request::ListDaemons => Self::Daemons(Vec::new()),
            _ => Self::Nothing,
        }
    }

    /// The reply of request `op` once it ended well; a family resolution
    /// stores the family's id in `family`.
    pub(super) fn into_reply(
        self,
        op: Operation,
        family: &mut Option<u16>,
    ) -> Result<Reply, Error> {
        let c = self;
        let missing = |what| Error::new(op.clone(), ErrorKind::Decode(DecodeError::missing(what)));
        Ok(match c {
            Self::Nothing => Reply::Done,
            Self::Family(id) => {
                *family = Some(id.ok_or_else(|| missing("family_id"))?);
                Reply::Done
            }
            Self::Services(v, ..) => Reply::Services(v),
            Self::Service(s) => Reply::Service(s.ok_or_else(|| missing("service"))?),
            Self::Destinations(_, v, _) => Reply::Destinations(v),
            Self::Timeouts(t) => Reply::Timeouts(t),
            Self::Info(i) => Reply::Info(i.ok_or_else(|| missing("info"))?),
            Self::Daemons(v) => Reply::Daemons(v),
        })
    }
}

/// Counters of what the session saw but did not deliver.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SessionStats {
    /// Messages not from the kernel, for no pending request, or of an
    /// unexpected type: dropped, never mistaken for a reply.
    pub dropped: u64,
    /// Duplicate entries removed from dumps (IPVS dumps page by index and
    /// can repeat an entry when the table changes mid-dump).
    pub duplicates: u64,
}

/// Below this many entries a dump checks for a repeat by comparing keys one
/// by one; from then on keys go in a hash set. Most destination dumps are a
/// few entries and never hash anything.
const HASH_FROM: usize = 8;

/// Adds `item` to a dump's entries unless one with the same key is there
/// already: IPVS dumps page by index, and a table that changes between
/// chunks can make the kernel send an entry twice.
fn push_unique<T, K: Eq + Hash>(
    entries: &mut Vec<T>,
    seen: &mut HashSet<K, FastHash>,
    item: T,
    key: impl Fn(&T) -> K,
    stats: &mut SessionStats,
) {
    let k = key(&item);
    let repeated = if entries.len() < HASH_FROM {
        entries.iter().any(|e| key(e) == k)
    } else {
        if seen.is_empty() {
            seen.extend(entries.iter().map(&key));
        }
        !seen.insert(k)
    };
    if repeated {
        stats.duplicates += 1;
    } else {
        entries.push(item);
    }
}

/// The datagram a message came in: its number in the session, and its
/// length.
#[derive(Debug, Clone, Copy)]
pub(super) struct Datagram {
    pub(super) number: u64,
    pub(super) len: usize,
}

/// Parses the service or destination nests of one data message straight
/// into the collection of its request (a table listing parses tens of
/// thousands); the message's other attributes are not looked at.
fn collect_entries(
    c: &mut Collected,
    genl: &[u8],
    datagram: Datagram,
    stats: &mut SessionStats,
) -> Result<(), DecodeError> {
    let (command, body) = split_genl(genl)?;
    if command.has_info_attrs() {
        // Read as the info set, these attributes hold no nest.
        return Ok(());
    }
    for attr in attrs(body) {
        let attr = attr?;
        match (&mut *c, attr.kind) {
            (Collected::Services(v, seen, pages), cmd_attr::SERVICE) => {
                let e = ServiceEntry::from_nest(attr.value)?;
                if let Some(pages) = pages {
                    pages.push(e.service.key, datagram.number, datagram.len);
                }
                push_unique(v, seen, e, |e| e.service.key, stats);
            }
            (Collected::Service(slot), cmd_attr::SERVICE) => {
                *slot = Some(Box::new(ServiceEntry::from_nest(attr.value)?));
            }
            (Collected::Destinations(f, v, seen), cmd_attr::DEST) => {
                let e = DestinationEntry::from_nest(attr.value, *f)?;
                push_unique(v, seen, e, |e| e.dest.addr, stats);
            }
            _ => {}
        }
    }
    Ok(())
}

/// Parses one data message into the collection of its request.
pub(super) fn collect(
    c: &mut Collected,
    genl: &[u8],
    datagram: Datagram,
    stats: &mut SessionStats,
) -> Result<(), DecodeError> {
    match c {
        Collected::Family(id) => *id = Some(ctrl::parse_family_id(genl)?),
        Collected::Services(..) | Collected::Service(_) | Collected::Destinations(..) => {
            collect_entries(c, genl, datagram, stats)?;
        }
        Collected::Daemons(v) => {
            let (command, body) = split_genl(genl)?;
            read_attrs(command, body, |a| {
                if let IpvsRef::Daemon(nest) = a {
                    v.push(SyncDaemon::read(nest)?);
                }
                Ok(())
            })?;
        }
        Collected::Timeouts(t) => {
            let (command, body) = split_genl(genl)?;
            *t = Timeouts::from_wire(command, body)?;
        }
        Collected::Info(i) => {
            let (command, body) = split_genl(genl)?;
            *i = Some(Info::from_wire(command, body).map_err(|e| e.within("info"))?);
        }
        Collected::Nothing => {}
    }
    Ok(())
}

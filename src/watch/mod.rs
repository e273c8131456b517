//! Watching the table: what changed between two listings, and how fast the
//! counters grew. IPVS sends no change notifications, so a watch polls.
//!
//! Everything here is pure computation over listings
//! ([`Handle::list_table`](crate::Handle::list_table)'s form, [`Table`]):
//!
//! - [`diff`]: the configuration events between two listings, typed
//!   ([`TableEvent`]: services and destinations added, removed, changed,
//!   with each changed field's value before and after), in a fixed order.
//! - [`traffic`]: how each service's and destination's 64-bit counters grew
//!   over the interval, with the rates computed from them
//!   ([`CounterChange::Counted`]), or that they were reset
//!   ([`CounterChange::Reset`], after `ipvsadm -Z` for example), never a
//!   huge or negative rate. The kernel's own rate estimates are not used:
//!   they move a quarter of the way to the last 2 s's rate at each pass, so
//!   they lag. The counters themselves are summed by the same estimator
//!   every 2 s, and stand still while `run_estimation=0` (see [`traffic`]).
//! - [`WatchRun`]: the state between polls (the last listing, when the next
//!   is due), giving a [`PollReport`] per listing; the first is the baseline.
//!
//! [`Handle::watch`](crate::Handle::watch) (and the async handles' `watch`)
//! drive a [`WatchRun`]: they list the table with
//! [`list_table_consistent`](crate::Handle::list_table_consistent), so a
//! service that a dump skipped (the kernel's dumps page by a global index)
//! never shows as removed and added again, and wait for the next listing.
//!
//! ```
//! use ipvs_netlink::watch::{diff, DestinationChange, TableEvent};
//! use ipvs_netlink::{Destination, DestinationEntry, Scheduler, Service, ServiceEntry, ServiceKey};
//!
//! let key = ServiceKey::tcp("10.0.0.1:80".parse().unwrap());
//! let real = Destination::new("10.0.1.1:80".parse().unwrap());
//! let before = vec![(
//!     ServiceEntry::new(Service::new(key, Scheduler::RoundRobin)),
//!     vec![DestinationEntry::new(real.clone())],
//! )];
//! let mut after = before.clone();
//! after[0].1[0].dest.weight = 0; // someone drains it
//! after.push((ServiceEntry::new(Service::new("fwmark:5".parse().unwrap(), Scheduler::SourceHashing)), vec![]));
//!
//! let events = diff(&before, &after);
//! assert_eq!(
//!     events[0],
//!     TableEvent::DestinationChanged {
//!         service: key,
//!         addr: real.addr,
//!         changes: vec![DestinationChange::Weight { from: 1, to: 0 }],
//!     }
//! );
//! let lines: Vec<String> = events.iter().map(|e| e.to_string()).collect();
//! assert_eq!(lines, [
//!     "destination 10.0.1.1:80 of tcp:10.0.0.1:80 changed: weight 1 -> 0",
//!     "service fwmark:5 added (sh, 0 destinations)",
//! ]);
//! ```

mod counters;
mod diff;
mod error;
mod event;
mod run;

pub use counters::{traffic, CounterChange, Counters, Rates, Traffic};
pub use diff::{diff, Table};
pub use error::WatchError;
pub use event::{DestinationChange, ServiceChange, TableEvent};
pub use run::{PollReport, WatchRun};

//! The IPVS connection table (`/proc/net/ip_vs_conn` and
//! `/proc/net/ip_vs_conn_sync`) of any network namespace, as a stream of
//! typed entries.
//!
//! No netlink command lists connections; the kernel shows them only in
//! these two files. [`read_conns`] opens one in a namespace and returns a
//! [`ConnReader`], an iterator that parses a line at a time, with filters
//! by service and real server. [`parse_conn_line`] is the parser on its
//! own (no I/O).

mod entry;
mod parse;
mod read;

pub use entry::{protocol_name, ConnEntry, ConnOrigin, ConnState, PersistenceData};
pub use parse::{parse_conn_line, ConnLayout, ConnLineError};
pub use read::{read_conns, ConnError, ConnFilter, ConnReader, ConnTable};

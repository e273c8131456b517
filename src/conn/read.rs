//! Reading a connection table as a stream of entries.

use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;

use super::entry::ConnEntry;
use super::parse::{parse_conn_line, ConnLayout, ConnLineError};
use crate::handle::Netns;
use crate::model::ServiceKey;
use crate::procfs::{in_netns, PROC_NET};

/// Which of the kernel's two connection tables to read. Both list the same
/// entries; they differ in their last columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnTable {
    /// `/proc/net/ip_vs_conn`: with each entry's persistence engine data.
    Conns,
    /// `/proc/net/ip_vs_conn_sync`: with each entry's origin, local or
    /// received from a sync daemon.
    Sync,
}

impl ConnTable {
    /// The file's name under `/proc/net`.
    pub fn file_name(self) -> &'static str {
        match self {
            Self::Conns => "ip_vs_conn",
            Self::Sync => "ip_vs_conn_sync",
        }
    }

    fn layout(self) -> ConnLayout {
        match self {
            Self::Conns => ConnLayout::Conn,
            Self::Sync => ConnLayout::Sync,
        }
    }
}

/// Why a connection table could not be read, or which line of it is bad.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnError {
    /// The network namespace could not be opened or entered.
    #[error(transparent)]
    Netns(#[from] crate::NetnsError),
    /// The table's file does not exist in that namespace: IPVS is not
    /// loaded (`modprobe ip_vs`) or the kernel lacks it.
    #[error("{} does not exist: IPVS is not loaded", .0.display())]
    NotLoaded(PathBuf),
    /// Opening the file failed for another reason (such as permission).
    #[error("cannot open {}: {source}", .path.display())]
    Open {
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: io::Error,
    },
    /// Reading failed.
    #[error("reading the connection table: {0}")]
    Read(#[source] io::Error),
    /// The first line is not the header of the expected table.
    #[error("line 1 is not the header of {table}: {text:?}")]
    Header {
        /// The file the header was expected of.
        table: &'static str,
        /// The line, as text (invalid UTF-8 replaced).
        text: String,
    },
    /// A line is not an entry as the kernel writes it.
    #[error("line {line}: {error}: {text:?}")]
    Line {
        /// The line number, from 1 (the header).
        line: u64,
        /// The line, as text (invalid UTF-8 replaced).
        text: String,
        /// What is wrong with it.
        error: ConnLineError,
    },
}

/// Which entries a [`ConnReader`] yields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnFilter {
    /// Only entries of this service ([`ConnEntry::is_of_service`]).
    pub service: Option<ServiceKey>,
    /// Only entries to this real server ([`ConnEntry::is_to`]).
    pub dest: Option<SocketAddr>,
}

impl ConnFilter {
    /// Whether `e` passes.
    pub fn matches(&self, e: &ConnEntry) -> bool {
        self.service.as_ref().is_none_or(|k| e.is_of_service(k))
            && self.dest.as_ref().is_none_or(|d| e.is_to(d))
    }
}

/// The entries of a connection table, one line at a time: nothing but the
/// current line is held in memory. Yields one `Err` for each bad line
/// (with its number and text) and goes on with the next; after a read
/// error or a bad header it ends.
///
/// The kernel walks its hash table while the file is read, so a table that
/// changes meanwhile can list an entry twice or miss one.
#[derive(Debug)]
pub struct ConnReader<R> {
    reader: R,
    table: ConnTable,
    filter: ConnFilter,
    buf: Vec<u8>,
    line: u64,
    header_read: bool,
    done: bool,
}

impl<R: BufRead> ConnReader<R> {
    /// A reader of `table`'s text from `reader` (which starts with the
    /// header line).
    pub fn new(reader: R, table: ConnTable) -> Self {
        Self {
            reader,
            table,
            filter: ConnFilter::default(),
            buf: Vec::with_capacity(256),
            line: 0,
            header_read: false,
            done: false,
        }
    }

    /// Yields only the entries `filter` passes (bad lines are still
    /// reported).
    pub fn filter(mut self, filter: ConnFilter) -> Self {
        self.filter = filter;
        self
    }

    /// Yields only the entries of the service `key`.
    pub fn service(mut self, key: ServiceKey) -> Self {
        self.filter.service = Some(key);
        self
    }

    /// Yields only the entries to the real server `dest`.
    pub fn dest(mut self, dest: SocketAddr) -> Self {
        self.filter.dest = Some(dest);
        self
    }

    /// Reads the next line into `buf` without its line end; `false` at the
    /// end.
    fn next_line(&mut self) -> Result<bool, ConnError> {
        self.buf.clear();
        if self
            .reader
            .read_until(b'\n', &mut self.buf)
            .map_err(ConnError::Read)?
            == 0
        {
            return Ok(false);
        }
        self.line += 1;
        if self.buf.last() == Some(&b'\n') {
            self.buf.pop();
        }
        Ok(true)
    }

    fn step(&mut self) -> Result<Option<ConnEntry>, ConnError> {
        if !self.header_read {
            self.header_read = true;
            let header = self.next_line()?;
            if !header || ConnLayout::from_header(&self.buf) != Some(self.table.layout()) {
                return Err(ConnError::Header {
                    table: self.table.file_name(),
                    text: String::from_utf8_lossy(&self.buf).into_owned(),
                });
            }
        }
        loop {
            if !self.next_line()? {
                return Ok(None);
            }
            if self.buf.is_empty() {
                continue;
            }
            match parse_conn_line(&self.buf, self.table.layout()) {
                Ok(e) if self.filter.matches(&e) => return Ok(Some(e)),
                Ok(_) => {}
                Err(error) => {
                    return Err(ConnError::Line {
                        line: self.line,
                        text: String::from_utf8_lossy(&self.buf).into_owned(),
                        error,
                    })
                }
            }
        }
    }
}

impl<R: BufRead> Iterator for ConnReader<R> {
    type Item = Result<ConnEntry, ConnError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.step() {
            Ok(Some(e)) => Some(Ok(e)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                // A bad line is reported and skipped; anything else ends.
                self.done = !matches!(e, ConnError::Line { .. });
                Some(Err(e))
            }
        }
    }
}

impl<R: BufRead> std::iter::FusedIterator for ConnReader<R> {}

/// Opens `table` of the network namespace `netns` and returns its entries
/// as a stream. The file is opened from inside the namespace (on a
/// short-lived thread for another namespace; the calling thread never
/// moves) and read from the calling thread: the open file keeps showing
/// that namespace's table.
///
/// ```no_run
/// use ipvs_netlink::conn::{read_conns, ConnTable};
/// use ipvs_netlink::{Netns, ServiceKey};
///
/// # fn main() -> Result<(), ipvs_netlink::conn::ConnError> {
/// let web = ServiceKey::tcp("10.0.0.1:80".parse().unwrap());
/// for entry in read_conns(&Netns::Named("blue".into()), ConnTable::Conns)?.service(web) {
///     let e = entry?;
///     println!("{} -> {} {} {:?}", e.client, e.dest, e.state, e.expires);
/// }
/// # Ok(()) }
/// ```
pub fn read_conns(
    netns: &Netns,
    table: ConnTable,
) -> Result<ConnReader<BufReader<File>>, ConnError> {
    let path = PathBuf::from(PROC_NET).join(table.file_name());
    let file = in_netns(netns, || File::open(&path))
        .map_err(ConnError::Netns)?
        .map_err(|source| {
            if source.kind() == io::ErrorKind::NotFound {
                ConnError::NotLoaded(PathBuf::from("/proc/net").join(table.file_name()))
            } else {
                ConnError::Open {
                    path: path.clone(),
                    source,
                }
            }
        })?;
    Ok(ConnReader::new(
        BufReader::with_capacity(64 << 10, file),
        table,
    ))
}

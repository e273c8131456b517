//! What the kernel answered to a request.

use crate::model::{DestinationEntry, Info, ServiceEntry, SyncDaemon, Timeouts};

/// The successful answer to a [`Request`](super::Request).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reply {
    /// The kernel acknowledged the change.
    Done,
    /// The services of a listing, each once.
    Services(Vec<ServiceEntry>),
    /// One service.
    Service(Box<ServiceEntry>),
    /// The destinations of a service, each once.
    Destinations(Vec<DestinationEntry>),
    /// The timeouts.
    Timeouts(Timeouts),
    /// Version and table size.
    Info(Info),
    /// The running sync daemons (master first).
    Daemons(Vec<SyncDaemon>),
}

use crate::error::{Error, ErrorKind, Operation};
use crate::wire::{DecodeError, DecodeErrorKind};

fn unexpected(op: Operation, reply: &Reply) -> Error {
    Error::new(
        op,
        ErrorKind::Decode(DecodeError::new(DecodeErrorKind::InvalidValue(format!(
            "unexpected reply {reply:?}"
        )))),
    )
}

impl Reply {
    /// The services of a listing.
    pub fn into_services(self, op: Operation) -> Result<Vec<ServiceEntry>, Error> {
        match self {
            Reply::Services(v) => Ok(v),
            r => Err(unexpected(op, &r)),
        }
    }

    /// One service.
    pub fn into_service(self, op: Operation) -> Result<ServiceEntry, Error> {
        match self {
            Reply::Service(s) => Ok(*s),
            r => Err(unexpected(op, &r)),
        }
    }

    /// The destinations of a listing.
    pub fn into_destinations(self, op: Operation) -> Result<Vec<DestinationEntry>, Error> {
        match self {
            Reply::Destinations(v) => Ok(v),
            r => Err(unexpected(op, &r)),
        }
    }

    /// The timeouts.
    pub fn into_timeouts(self, op: Operation) -> Result<Timeouts, Error> {
        match self {
            Reply::Timeouts(t) => Ok(t),
            r => Err(unexpected(op, &r)),
        }
    }

    /// The info.
    pub fn into_info(self, op: Operation) -> Result<Info, Error> {
        match self {
            Reply::Info(i) => Ok(i),
            r => Err(unexpected(op, &r)),
        }
    }

    /// The sync daemons.
    pub fn into_daemons(self, op: Operation) -> Result<Vec<SyncDaemon>, Error> {
        match self {
            Reply::Daemons(v) => Ok(v),
            r => Err(unexpected(op, &r)),
        }
    }

    /// An acknowledgement.
    pub fn into_done(self, op: Operation) -> Result<(), Error> {
        match self {
            Reply::Done => Ok(()),
            r => Err(unexpected(op, &r)),
        }
    }
}

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

/// A reply of another kind than `expected` (an operation's `into_*` given
/// another request's reply).
fn unexpected(op: Operation, expected: &'static str, reply: &Reply) -> Error {
    Error::new(
        op,
        ErrorKind::UnexpectedReply {
            expected,
            got: reply.kind_name(),
        },
    )
}

impl Reply {
    /// What kind of reply it is, as errors name it: `an acknowledgement`,
    /// `a service listing`, ...
    pub fn kind_name(&self) -> &'static str {
        match self {
            Self::Done => "an acknowledgement",
            Self::Services(_) => "a service listing",
            Self::Service(_) => "a service",
            Self::Destinations(_) => "a destination listing",
            Self::Timeouts(_) => "the timeouts",
            Self::Info(_) => "the info",
            Self::Daemons(_) => "a sync daemon listing",
        }
    }

    /// The services of a listing.
    pub fn into_services(self, op: Operation) -> Result<Vec<ServiceEntry>, Error> {
        match self {
            Self::Services(v) => Ok(v),
            r => Err(unexpected(op, "a service listing", &r)),
        }
    }

    /// One service.
    pub fn into_service(self, op: Operation) -> Result<ServiceEntry, Error> {
        match self {
            Self::Service(s) => Ok(*s),
            r => Err(unexpected(op, "a service", &r)),
        }
    }

    /// The destinations of a listing.
    pub fn into_destinations(self, op: Operation) -> Result<Vec<DestinationEntry>, Error> {
        match self {
            Self::Destinations(v) => Ok(v),
            r => Err(unexpected(op, "a destination listing", &r)),
        }
    }

    /// The timeouts.
    pub fn into_timeouts(self, op: Operation) -> Result<Timeouts, Error> {
        match self {
            Self::Timeouts(t) => Ok(t),
            r => Err(unexpected(op, "the timeouts", &r)),
        }
    }

    /// The info.
    pub fn into_info(self, op: Operation) -> Result<Info, Error> {
        match self {
            Self::Info(i) => Ok(i),
            r => Err(unexpected(op, "the info", &r)),
        }
    }

    /// The sync daemons.
    pub fn into_daemons(self, op: Operation) -> Result<Vec<SyncDaemon>, Error> {
        match self {
            Self::Daemons(v) => Ok(v),
            r => Err(unexpected(op, "a sync daemon listing", &r)),
        }
    }

    /// An acknowledgement.
    pub fn into_done(self, op: Operation) -> Result<(), Error> {
        match self {
            Self::Done => Ok(()),
            r => Err(unexpected(op, "an acknowledgement", &r)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_of_the_wrong_kind_says_what_was_expected_and_got() {
        let e = Reply::Done
            .into_services(Operation::ListServices)
            .unwrap_err();
        assert!(matches!(
            e.kind(),
            ErrorKind::UnexpectedReply {
                expected: "a service listing",
                got: "an acknowledgement"
            }
        ));
        assert_eq!(
            e.to_string(),
            "list services: expected a service listing in reply, got an acknowledgement"
        );
        let e = Reply::Services(Vec::new())
            .into_done(Operation::Flush)
            .unwrap_err();
        assert!(
            e.to_string()
                .ends_with("expected an acknowledgement in reply, got a service listing"),
            "{e}"
        );
    }
}

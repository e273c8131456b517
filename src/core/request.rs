//! What a caller asks of the kernel, and how each request is put on the wire.

use std::net::SocketAddr;

use crate::error::Operation;
use crate::model::{
    BuildError, DaemonRole, Destination, Service, ServiceKey, ServiceUpdate, SyncDaemon, Timeouts,
};
use crate::wire::{Command, DaemonAttr, IpvsAttr};

/// One request to the IPVS family.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Request {
    /// Dump every service.
    ListServices,
    /// Read one service.
    GetService(ServiceKey),
    /// Add a service.
    AddService(Service),
    /// Change a service; the update must be complete
    /// ([`ServiceUpdate::is_complete`]).
    UpdateService(ServiceUpdate),
    /// Delete a service and its destinations.
    DeleteService(ServiceKey),
    /// Dump the destinations of a service.
    ListDestinations(ServiceKey),
    /// Add a destination.
    AddDestination(ServiceKey, Destination),
    /// Replace a destination's weight, thresholds and forwarding.
    UpdateDestination(ServiceKey, Destination),
    /// Delete a destination.
    DeleteDestination(ServiceKey, SocketAddr),
    /// Delete every service.
    Flush,
    /// Zero the counters of one service, or of everything.
    Zero(Option<ServiceKey>),
    /// Read the timeouts.
    GetTimeouts,
    /// Change some timeouts.
    SetTimeouts(Timeouts),
    /// Read version and connection table size.
    GetInfo,
    /// Dump the running sync daemons.
    ListDaemons,
    /// Start a sync daemon.
    StartDaemon(SyncDaemon),
    /// Stop the sync daemon of a role.
    StopDaemon(DaemonRole),
}

/// How the kernel answers a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// Only an acknowledgement.
    Ack,
    /// One reply message, then the acknowledgement.
    Query,
    /// A multi-part dump ending with `NLMSG_DONE`.
    Dump,
}

impl Request {
    /// The operation, for error reports.
    pub fn operation(&self) -> Operation {
        match self {
            Request::ListServices => Operation::ListServices,
            Request::GetService(k) => Operation::GetService(*k),
            Request::AddService(s) => Operation::AddService(s.key),
            Request::UpdateService(u) => Operation::UpdateService(u.key),
            Request::DeleteService(k) => Operation::DeleteService(*k),
            Request::ListDestinations(k) => Operation::ListDestinations(*k),
            Request::AddDestination(k, d) => Operation::AddDestination(*k, d.addr),
            Request::UpdateDestination(k, d) => Operation::UpdateDestination(*k, d.addr),
            Request::DeleteDestination(k, a) => Operation::DeleteDestination(*k, *a),
            Request::Flush => Operation::Flush,
            Request::Zero(k) => Operation::Zero(*k),
            Request::GetTimeouts => Operation::GetTimeouts,
            Request::SetTimeouts(_) => Operation::SetTimeouts,
            Request::GetInfo => Operation::GetInfo,
            Request::ListDaemons => Operation::ListDaemons,
            Request::StartDaemon(d) => Operation::StartDaemon(d.role),
            Request::StopDaemon(r) => Operation::StopDaemon(*r),
        }
    }

    pub(crate) fn shape(&self) -> Shape {
        match self {
            Request::ListServices | Request::ListDestinations(_) | Request::ListDaemons => {
                Shape::Dump
            }
            Request::GetService(_) | Request::GetTimeouts | Request::GetInfo => Shape::Query,
            _ => Shape::Ack,
        }
    }

    /// Whether the kernel can handle this request and send no
    /// acknowledgement at all. Netlink skips the acknowledgement of a request
    /// that returned `EINTR`, and stopping a sync daemon returns `EINTR` when
    /// its kernel thread was stopped before it first ran (a start and a stop
    /// in quick succession): the daemon is stopped, but nothing says so. Such
    /// a request is closed by an acknowledged no-op, like a batch.
    pub(crate) fn ack_may_be_skipped(&self) -> bool {
        matches!(self, Request::StopDaemon(_))
    }

    /// The command and top-level attributes; fails on a value the kernel
    /// would refuse.
    pub fn encode(&self) -> Result<(Command, Vec<IpvsAttr>), BuildError> {
        let svc = |k: &ServiceKey| k.to_attrs().map(IpvsAttr::Service);
        Ok(match self {
            Request::ListServices => (Command::GetService, vec![]),
            Request::GetService(k) => (Command::GetService, vec![svc(k)?]),
            Request::AddService(s) => (Command::NewService, vec![IpvsAttr::Service(s.to_attrs()?)]),
            Request::UpdateService(u) => (
                Command::SetService,
                vec![IpvsAttr::Service(u.to_attrs(None)?)],
            ),
            Request::DeleteService(k) => (Command::DelService, vec![svc(k)?]),
            Request::ListDestinations(k) => (Command::GetDest, vec![svc(k)?]),
            Request::AddDestination(k, d) => (
                Command::NewDest,
                vec![svc(k)?, IpvsAttr::Dest(d.to_attrs(k.family())?)],
            ),
            Request::UpdateDestination(k, d) => (
                Command::SetDest,
                vec![svc(k)?, IpvsAttr::Dest(d.to_attrs(k.family())?)],
            ),
            Request::DeleteDestination(k, a) => (
                Command::DelDest,
                vec![svc(k)?, IpvsAttr::Dest(Destination::key_attrs(*a))],
            ),
            Request::Flush => (Command::Flush, vec![]),
            Request::Zero(None) => (Command::Zero, vec![]),
            Request::Zero(Some(k)) => (Command::Zero, vec![svc(k)?]),
            Request::GetTimeouts => (Command::GetConfig, vec![]),
            Request::SetTimeouts(t) => (Command::SetConfig, t.to_attrs()),
            Request::GetInfo => (Command::GetInfo, vec![]),
            Request::ListDaemons => (Command::GetDaemon, vec![]),
            Request::StartDaemon(d) => (Command::NewDaemon, vec![IpvsAttr::Daemon(d.to_attrs()?)]),
            Request::StopDaemon(r) => (
                Command::DelDaemon,
                vec![IpvsAttr::Daemon(vec![DaemonAttr::State(r.code())])],
            ),
        })
    }
}

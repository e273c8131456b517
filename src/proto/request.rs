//! What a caller asks of the kernel, and how each request is put on the wire.

use std::net::SocketAddr;

use crate::error::Operation;
use crate::model::{
    BuildError, DaemonRole, Destination, Service, ServiceKey, ServiceUpdate, SyncDaemon, Timeouts,
};
use crate::wire::nla::{self, Writer};
use crate::wire::{Command, IpvsAttr, IpvsMessage};

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
            Self::ListServices => Operation::ListServices,
            Self::GetService(k) => Operation::GetService(*k),
            Self::AddService(s) => Operation::AddService(s.key),
            Self::UpdateService(u) => Operation::UpdateService(u.key),
            Self::DeleteService(k) => Operation::DeleteService(*k),
            Self::ListDestinations(k) => Operation::ListDestinations(*k),
            Self::AddDestination(k, d) => Operation::AddDestination(*k, d.addr),
            Self::UpdateDestination(k, d) => Operation::UpdateDestination(*k, d.addr),
            Self::DeleteDestination(k, a) => Operation::DeleteDestination(*k, *a),
            Self::Flush => Operation::Flush,
            Self::Zero(k) => Operation::Zero(*k),
            Self::GetTimeouts => Operation::GetTimeouts,
            Self::SetTimeouts(_) => Operation::SetTimeouts,
            Self::GetInfo => Operation::GetInfo,
            Self::ListDaemons => Operation::ListDaemons,
            Self::StartDaemon(d) => Operation::StartDaemon(d.role),
            Self::StopDaemon(r) => Operation::StopDaemon(*r),
        }
    }

    pub(crate) fn shape(&self) -> Shape {
        match self {
            Self::ListServices | Self::ListDestinations(_) | Self::ListDaemons => Shape::Dump,
            Self::GetService(_) | Self::GetTimeouts | Self::GetInfo => Shape::Query,
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
        matches!(self, Self::StopDaemon(_))
    }

    /// The command and top-level attributes; fails on a value the kernel
    /// would refuse. They are what [`Session`](super::Session) sends, read
    /// back from the bytes.
    pub fn encode(&self) -> Result<(Command, Vec<IpvsAttr>), BuildError> {
        let mut buf = Vec::with_capacity(128);
        self.emit_attrs(&mut buf)?;
        let command = self.command();
        let message = IpvsMessage::parse_attrs(command, &buf).map_err(|e| {
            BuildError::NonCanonical(format!("the encoded request does not parse back: {e}"))
        })?;
        Ok((command, message.into_attrs()))
    }

    /// The generic netlink command.
    pub(crate) fn command(&self) -> Command {
        match self {
            Self::ListServices | Self::GetService(_) => Command::GetService,
            Self::AddService(_) => Command::NewService,
            Self::UpdateService(_) => Command::SetService,
            Self::DeleteService(_) => Command::DelService,
            Self::ListDestinations(_) => Command::GetDest,
            Self::AddDestination(..) => Command::NewDest,
            Self::UpdateDestination(..) => Command::SetDest,
            Self::DeleteDestination(..) => Command::DelDest,
            Self::Flush => Command::Flush,
            Self::Zero(_) => Command::Zero,
            Self::GetTimeouts => Command::GetConfig,
            Self::SetTimeouts(_) => Command::SetConfig,
            Self::GetInfo => Command::GetInfo,
            Self::ListDaemons => Command::GetDaemon,
            Self::StartDaemon(_) => Command::NewDaemon,
            Self::StopDaemon(_) => Command::DelDaemon,
        }
    }

    /// Appends the top-level attributes to `out`; fails on a value the
    /// kernel would refuse, having written part of the request: the caller
    /// drops it (the session takes the whole message out again).
    pub(crate) fn emit_attrs(&self, out: &mut Vec<u8>) -> Result<(), BuildError> {
        nla::write(out, |w| self.emit_with(w))?
    }

    fn emit_with(&self, w: &mut Writer<'_>) -> Result<(), BuildError> {
        match self {
            Self::ListServices
            | Self::Flush
            | Self::Zero(None)
            | Self::GetTimeouts
            | Self::GetInfo
            | Self::ListDaemons => {}
            Self::GetService(k)
            | Self::DeleteService(k)
            | Self::ListDestinations(k)
            | Self::Zero(Some(k)) => k.emit_nest(w)?,
            Self::AddService(s) => s.emit_nest(w)?,
            Self::UpdateService(u) => u.emit_nest(w)?,
            Self::AddDestination(k, d) | Self::UpdateDestination(k, d) => {
                k.emit_nest(w)?;
                d.emit_nest(k.family(), w)?;
            }
            Self::DeleteDestination(k, a) => {
                k.emit_nest(w)?;
                Destination::emit_key_nest(*a, w);
            }
            Self::SetTimeouts(t) => t.emit(w),
            Self::StartDaemon(d) => d.emit_nest(w)?,
            Self::StopDaemon(r) => SyncDaemon::emit_stop_nest(*r, w),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, SocketAddr};

    use super::*;
    use crate::model::{
        FlagsChange, ForwardMethod, GueChecksum, Netmask, PeChange, Scheduler, ServiceFlags, Tunnel,
    };
    use crate::proto::Session;
    use crate::wire::netlink::frames;
    use crate::Family;

    #[test]
    fn a_request_carries_no_reply_only_fields() {
        // A large batch holds every request at once: 112 bytes on 64-bit
        // targets, the size of an update, where counters once made it 288.
        if cfg!(target_pointer_width = "64") {
            assert!(size_of::<Request>() <= 112);
        }
    }

    fn sa(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    /// One request of every kind, with every optional part present somewhere.
    fn every_request() -> Vec<Request> {
        let v4 = ServiceKey::tcp(sa("10.0.0.1:80"));
        let v6 = ServiceKey::udp(sa("[2001:db8::1]:53"));
        let mark = ServiceKey::fwmark(Family::Ipv6, 7);
        let sip = Service::new(v4, Scheduler::Custom("mh".into()));
        let mut sip = sip.persistent(300);
        sip.persistence_engine = Some("sip".into());
        sip.flags |= ServiceFlags::SCHED1;
        let update = ServiceUpdate::new(v6)
            .scheduler(Scheduler::WeightedLeastConnection)
            .flags(FlagsChange::set(ServiceFlags::ONE_PACKET))
            .timeout(60)
            .netmask(Netmask::V6(64))
            .persistence_engine(PeChange::Remove);
        let gue = Destination::new(sa("[2001:db8::9]:0"))
            .forward(ForwardMethod::Tunnel(Tunnel::Gue {
                port: 6080,
                checksum: GueChecksum::Remote,
            }))
            .weight(3)
            .thresholds(5, 50);
        let mut daemon = SyncDaemon::new(DaemonRole::Backup, "eth1", 9);
        daemon.max_len = Some(1400);
        daemon.group = Some(IpAddr::from([0xff02, 0, 0, 0, 0, 0, 0, 0x12]));
        daemon.port = Some(8848);
        daemon.ttl = Some(2);
        vec![
            Request::ListServices,
            Request::GetService(v6),
            Request::AddService(sip),
            Request::AddService(Service::new(mark, Scheduler::RoundRobin)),
            Request::UpdateService(update),
            Request::DeleteService(mark),
            Request::ListDestinations(v4),
            Request::AddDestination(v4, Destination::new(sa("10.0.1.1:8080")).weight(2)),
            Request::UpdateDestination(mark, gue),
            Request::DeleteDestination(v6, sa("[2001:db8::2]:53")),
            Request::Flush,
            Request::Zero(None),
            Request::Zero(Some(v4)),
            Request::GetTimeouts,
            Request::SetTimeouts(Timeouts {
                tcp: Some(900),
                tcp_fin: None,
                udp: Some(30),
            }),
            Request::GetInfo,
            Request::ListDaemons,
            Request::StartDaemon(daemon),
            Request::StopDaemon(DaemonRole::Master),
        ]
    }

    /// What a session sends is what `encode` describes: emitting is
    /// canonical, so reading the bytes back and writing them again gives the
    /// same bytes, and the fixtures that check `encode` check the datagram.
    #[test]
    fn the_datagram_holds_the_encoded_message() {
        for request in every_request() {
            let mut session = Session::with_family_id(0x24);
            session.submit(&request).unwrap();
            let sent = session.take_outgoing();
            let first = frames(&sent).next().unwrap().unwrap();
            assert_eq!(first.header.kind, 0x24);
            let (command, attrs) = request.encode().unwrap();
            assert_eq!(command, request.command());
            let mut again = Vec::new();
            IpvsMessage::new(command, attrs)
                .unwrap()
                .emit_genl(&mut again);
            assert_eq!(first.payload, &again[..], "{request:?}");
        }
    }
}

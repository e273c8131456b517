//! The blocking handle: the one driver over a socket that blocks in `poll`.

use std::io;
use std::net::SocketAddr;
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use netlink_sys::Socket;
use rustix::event::{poll, PollFd, PollFlags, Timespec};

use super::async_handle::AsyncHandle;
use super::block_on::block_on;
use super::config::Config;
use super::socket;
use super::transport::{Sealed, Transport};
use crate::error::Result;
use crate::model::{
    DaemonRole, Destination, DestinationEntry, Info, Service, ServiceEntry, ServiceKey,
    ServiceUpdate, SyncDaemon, Timeouts,
};
use crate::proto::{BatchLimits, OnError, Reply, Request, SessionStats};
use crate::reconcile::{ReconcileOptions, ReconcileReport};

/// A blocking handle on the IPVS table of one network namespace.
///
/// It is `Send`: move it to another thread, or share it behind a `Mutex`.
/// Requests on one handle run one after the other; for parallel work open
/// one handle per thread (each has its own socket, so replies never cross).
/// Every wait ends by the configured timeout. The first service listing
/// opens a second socket, kept for service dumps (see `list_services`); a
/// consistent listing keeps up to two more, and opens one for each call
/// (see `list_services_consistent`).
#[derive(Debug)]
pub struct Handle {
    pub(super) inner: AsyncHandle<BlockingSocket>,
}

impl Handle {
    /// Opens a handle in the calling thread's network namespace and resolves
    /// the "IPVS" family ([`ErrorKind::IpvsUnavailable`](crate::ErrorKind::IpvsUnavailable) when the kernel has
    /// none). Resolving needs no privilege; every IPVS command does
    /// (CAP_NET_ADMIN in the initial user namespace), so a missing
    /// permission shows on the first request as
    /// [`ErrorKind::PermissionDenied`](crate::ErrorKind::PermissionDenied) — call [`get_info`](Self::get_info)
    /// to check early.
    pub fn new() -> Result<Self> {
        block_on(AsyncHandle::new()).map(|inner| Self { inner })
    }

    /// Opens a handle with explicit settings (namespace, timeouts, buffers).
    /// The namespace is opened once, here: the handle acts on it for its
    /// whole life, reconnects included.
    pub fn with_config(config: Config) -> Result<Self> {
        block_on(AsyncHandle::with_config(config)).map(|inner| Self { inner })
    }

    /// Replaces the sockets with new ones in the same namespace (after an
    /// overrun or a broken socket). Requests in flight are lost.
    pub fn reconnect(&mut self) -> Result<()> {
        block_on(self.inner.reconnect())
    }

    /// Sends one request and waits for its answer. A handle whose socket
    /// broke (a timeout, an overrun, an I/O error) reconnects first.
    pub fn execute(&mut self, request: Request) -> Result<Reply> {
        block_on(self.inner.execute(request))
    }

    /// Changes how long a request (or batch datagram) may wait with no
    /// answer from the kernel ([`Config::timeout`](crate::Config::timeout);
    /// a duration too large for the clock means no limit).
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.inner.set_timeout(timeout);
    }

    /// Changes how long one call may take in all
    /// ([`Config::deadline`](crate::Config::deadline); `None`: no limit).
    pub fn set_deadline(&mut self, deadline: Option<Duration>) {
        self.inner.set_deadline(deadline);
    }

    /// The per-datagram limits of batches on this handle: those set with
    /// [`set_batch_limits`](Self::set_batch_limits), else those derived
    /// from the socket's receive buffer; either way within its send
    /// buffer.
    pub fn batch_limits(&self) -> BatchLimits {
        self.inner.batch_limits()
    }

    /// Sets the per-datagram limits of batches, kept across reconnects.
    /// The default is derived from the socket's receive buffer so that
    /// the kernel never drops a reply; larger limits risk an overrun
    /// (the batch then goes on over a new socket with smaller
    /// datagrams). Limits out of range ([`BatchLimits::check`]) are
    /// refused with [`ErrorKind::Config`](crate::ErrorKind::Config), and nothing changes.
    pub fn set_batch_limits(&mut self, limits: BatchLimits) -> Result<()> {
        self.inner.set_batch_limits(limits)
    }

    /// What the session dropped or de-duplicated so far.
    pub fn session_stats(&self) -> SessionStats {
        self.inner.session_stats()
    }

    /// Starts or stops keeping a copy of every datagram the kernel sends
    /// to this handle (to record test fixtures).
    pub fn capture(&mut self, on: bool) {
        self.inner.capture(on);
    }

    /// Takes the datagrams kept since capture started or the last take.
    /// Each is one or more whole netlink messages.
    pub fn take_captured(&mut self) -> Vec<Vec<u8>> {
        self.inner.take_captured()
    }

    /// The network namespace this handle acts on, as an open file
    /// ([`Netns::Fd`](crate::Netns::Fd)): the one pinned when the handle
    /// was made, even if its name now points elsewhere. Give it to
    /// another handle, or to readers of the namespace's files.
    pub fn netns(&self) -> Result<crate::Netns> {
        self.inner.netns()
    }

    /// Lists every service of the namespace, each once, with its
    /// counters.
    ///
    /// IPVS dumps page by index and never flag a table that changed
    /// during the dump: an entry added or removed meanwhile can make
    /// another be skipped or repeated. On kernels whose service table is
    /// shared by all network namespaces (6.1 and 6.12 among them) the
    /// index counts every namespace's services, so a change in *another*
    /// namespace can make this listing skip one of yours once it spans
    /// more than one reply chunk (about a hundred services). Repeats are
    /// removed here; use
    /// [`list_services_consistent`](Self::list_services_consistent) when
    /// skips matter.
    ///
    /// Service dumps go over a second socket of the handle, opened on
    /// the first call (and made to receive once, the answer to a
    /// `GET_INFO`, so that the kernel sizes even a dump's first chunk by
    /// it), that receives 32 KiB at a time: each chunk of a
    /// service dump walks the kernel's table from its start, so large
    /// chunks make a long dump several times cheaper, while the kernel
    /// would then build every later dump on that socket (one per service
    /// in [`list_table`](Self::list_table)) in 32 KiB buffers too.
    pub fn list_services(&mut self) -> Result<Vec<ServiceEntry>> {
        block_on(self.inner.list_services())
    }

    /// Lists the services, proving that no service that existed
    /// throughout was skipped (at most `max_attempts` service dumps, at
    /// least 2): a change to any namespace's services during a dump can
    /// make the kernel skip one of ours. Fails with
    /// [`ErrorKind::Inconsistent`](crate::ErrorKind::Inconsistent) when the
    /// table kept changing.
    ///
    /// The dumps are made so that their pages end at different services:
    /// on a socket that receives 32 KiB, on a new socket (whose first page
    /// the kernel makes of one memory page), then on sockets that receive
    /// 31 and 30 KiB. Each page is a snapshot of a stretch of the kernel's
    /// table, and a skip can only happen where a page ends: dumps of the
    /// same services in the same order, one of which has every page end
    /// inside a page of another and its last page covered, skipped none,
    /// whatever dumps of other services came between. Two dumps usually
    /// suffice, a third when pages of both end at the same service; a
    /// table that fits one page with room left takes one dump. The order
    /// matters because a service of ours deleted and added again
    /// meanwhile moves in the kernel's table; the one case left uncovered
    /// is such a service added again where the order it is listed in stays
    /// the same, next to a service that both dumps skipped.
    pub fn list_services_consistent(&mut self, max_attempts: u32) -> Result<Vec<ServiceEntry>> {
        block_on(self.inner.list_services_consistent(max_attempts))
    }

    /// Reads one service: its configuration and counters.
    pub fn get_service(&mut self, key: &ServiceKey) -> Result<ServiceEntry> {
        block_on(self.inner.get_service(key))
    }

    /// Adds a service.
    pub fn add_service(&mut self, service: &Service) -> Result<()> {
        block_on(self.inner.add_service(service))
    }

    /// Changes a service. Fields the update leaves open are read from the
    /// kernel first; a bound persistence engine is kept unless the update
    /// changes it; only the flags in the update's mask change.
    pub fn update_service(&mut self, update: &ServiceUpdate) -> Result<()> {
        block_on(self.inner.update_service(update))
    }

    /// Deletes a service and its destinations.
    pub fn delete_service(&mut self, key: &ServiceKey) -> Result<()> {
        block_on(self.inner.delete_service(key))
    }

    /// Lists the destinations of a service, each once, with their
    /// connection counts and counters. The kernel answers an empty
    /// list, not an error, for a service that does not exist.
    pub fn list_destinations(&mut self, key: &ServiceKey) -> Result<Vec<DestinationEntry>> {
        block_on(self.inner.list_destinations(key))
    }

    /// Adds a destination to a service.
    pub fn add_destination(&mut self, key: &ServiceKey, dest: &Destination) -> Result<()> {
        block_on(self.inner.add_destination(key, dest))
    }

    /// Replaces a destination's forwarding (with its tunnel), weight and
    /// thresholds: every field of `dest`, as SET_DEST does.
    /// `Destination::new(addr).weight(0)` thus also makes a
    /// direct-routing or tunnelled destination masquerading and clears
    /// its thresholds; to change some fields and keep the others, use
    /// [`update_destination_partial`](Self::update_destination_partial).
    pub fn update_destination(&mut self, key: &ServiceKey, dest: &Destination) -> Result<()> {
        block_on(self.inner.update_destination(key, dest))
    }

    /// Changes the fields of a destination that `update` sets and keeps
    /// the others as the kernel has them: the destination is read first
    /// ([`get_destination`](Self::get_destination)) unless the update
    /// sets every field, then sent back whole. The read and the change
    /// are two requests: a change made by someone else in between is
    /// overwritten.
    pub fn update_destination_partial(
        &mut self,
        key: &ServiceKey,
        update: &crate::model::DestinationUpdate,
    ) -> Result<()> {
        block_on(self.inner.update_destination_partial(key, update))
    }

    /// Reads one destination of a service, with its connection counts
    /// and counters. IPVS has no command for one destination, so this
    /// lists the service's destinations and picks `addr`: an address the
    /// listing lacks is [`ErrorKind::NoSuchDestination`](crate::ErrorKind::NoSuchDestination), and a service
    /// that does not exist is [`ErrorKind::ServiceNotFound`](crate::ErrorKind::ServiceNotFound) (asked of
    /// the kernel then, since it lists no destinations for one).
    pub fn get_destination(
        &mut self,
        key: &ServiceKey,
        addr: SocketAddr,
    ) -> Result<DestinationEntry> {
        block_on(self.inner.get_destination(key, addr))
    }

    /// Drains a destination, then deletes it: sets its weight to 0
    /// (a [partial update](Self::update_destination_partial): forwarding,
    /// tunnel and thresholds are kept), reads its connection counts
    /// every poll interval, and deletes it once they are all 0, or at
    /// the deadline anyway ([`DrainOutcome::Forced`](crate::DrainOutcome::Forced)).
    /// `on_poll` sees each reading as it is made; the report has them
    /// all, how it ended, how long it took, and the traps that apply
    /// ([`DrainWarning`](crate::drain::DrainWarning), read from the
    /// service and the namespace's `/proc/sys/net/ipv4/vs/`). See
    /// [`drain`](crate::drain) for what "no connections" means for
    /// TCP, UDP, SCTP and persistent services.
    ///
    /// A failed request ends the drain with its error; the weight then
    /// stays 0.
    pub fn drain(
        &mut self,
        key: &ServiceKey,
        addr: SocketAddr,
        options: &crate::drain::DrainOptions,
        on_poll: impl FnMut(&crate::drain::DrainSample),
    ) -> Result<crate::drain::DrainReport> {
        block_on(self.inner.drain(key, addr, options, on_poll))
    }

    /// Drains several destinations at once, of one service or several,
    /// as [`drain`](Self::drain) does each, with one destination listing
    /// per service per poll whatever the number of its destinations
    /// drained. Each is deleted as soon as its own connections are gone;
    /// the reports come in the order of `targets` (each target once).
    /// Every target must exist at the start
    /// ([`ErrorKind::NoSuchDestination`](crate::ErrorKind::NoSuchDestination) naming the first missing one,
    /// before any weight is changed); one that disappears meanwhile ends
    /// as [`DrainOutcome::Gone`](crate::DrainOutcome::Gone).
    pub fn drain_many(
        &mut self,
        targets: &[crate::drain::DrainTarget],
        options: &crate::drain::DrainOptions,
        on_poll: impl FnMut(&crate::drain::DrainSample),
    ) -> Result<Vec<crate::drain::DrainReport>> {
        block_on(self.inner.drain_many(targets, options, on_poll))
    }

    /// Deletes a destination.
    pub fn delete_destination(&mut self, key: &ServiceKey, addr: SocketAddr) -> Result<()> {
        block_on(self.inner.delete_destination(key, addr))
    }

    /// Deletes every service of the namespace.
    pub fn flush(&mut self) -> Result<()> {
        block_on(self.inner.flush())
    }

    /// Zeroes the counters of one service (and its destinations), or of
    /// everything with `None`.
    pub fn zero(&mut self, key: Option<&ServiceKey>) -> Result<()> {
        block_on(self.inner.zero(key))
    }

    /// Reads the TCP, TCP FIN and UDP timeouts.
    pub fn get_timeouts(&mut self) -> Result<Timeouts> {
        block_on(self.inner.get_timeouts())
    }

    /// Changes the timeouts that are `Some` and not 0.
    pub fn set_timeouts(&mut self, timeouts: Timeouts) -> Result<()> {
        block_on(self.inner.set_timeouts(timeouts))
    }

    /// Reads the IPVS version and connection table size.
    pub fn get_info(&mut self) -> Result<Info> {
        block_on(self.inner.get_info())
    }

    /// Lists the running sync daemons.
    pub fn list_daemons(&mut self) -> Result<Vec<SyncDaemon>> {
        block_on(self.inner.list_daemons())
    }

    /// Starts a sync daemon.
    pub fn start_daemon(&mut self, daemon: &SyncDaemon) -> Result<()> {
        block_on(self.inner.start_daemon(daemon))
    }

    /// Stops the sync daemon of a role. The kernel sends no answer at all
    /// when it stops a sync thread that had not run yet (a stop right
    /// after the start), so the request is closed by an acknowledged
    /// no-op: the stop succeeds when that no-op is answered with no
    /// error before it.
    pub fn stop_daemon(&mut self, role: DaemonRole) -> Result<()> {
        block_on(self.inner.stop_daemon(role))
    }

    /// Lists every service with its destinations: one service dump, as
    /// [`list_services`](Self::list_services) (and `ipvsadm -Ln`) does,
    /// then one destination dump per service. Like any single dump it
    /// can skip a service when the table changes meanwhile (see
    /// `list_services`); [`list_table_consistent`](Self::list_table_consistent)
    /// cannot. The destination dumps run one after the other: the kernel
    /// finishes an IPVS dump only on a later receive, and a socket runs
    /// one dump at a time, so they cannot be pipelined.
    pub fn list_table(&mut self) -> Result<Vec<(ServiceEntry, Vec<DestinationEntry>)>> {
        block_on(self.inner.list_table())
    }

    /// Lists every service with its destinations, the services from a
    /// [consistent listing](Self::list_services_consistent) (at most
    /// `max_attempts` service dumps, at least 2), so none that existed
    /// throughout is skipped. Usually one service dump more than
    /// [`list_table`](Self::list_table).
    pub fn list_table_consistent(
        &mut self,
        max_attempts: u32,
    ) -> Result<Vec<(ServiceEntry, Vec<DestinationEntry>)>> {
        block_on(self.inner.list_table_consistent(max_attempts))
    }

    /// Sends many requests pipelined, many per system call, and returns
    /// the result of each, in order. See [`OnError`] for what happens
    /// after a failure.
    pub fn batch(&mut self, requests: Vec<Request>, on_error: OnError) -> Vec<Result<Reply>> {
        block_on(self.inner.batch(requests, on_error))
    }

    /// Makes the part of the table that `options.scope` owns hold
    /// exactly `desired` (services and their destinations): the
    /// [plan](Self::reconcile_plan) [applied](Self::apply_plan) as one
    /// batch, or in three stages with
    /// [drains](crate::ReconcileOptions::drain). Refused, with
    /// nothing sent, when the plan is (see
    /// [`ReconcileError`](crate::reconcile::ReconcileError)).
    pub fn reconcile(
        &mut self,
        desired: &[(Service, Vec<Destination>)],
        options: &ReconcileOptions,
    ) -> Result<ReconcileReport> {
        block_on(self.inner.reconcile(desired, options))
    }

    /// The plan of a [reconcile](Self::reconcile), sent nowhere (a dry
    /// run): checks `desired` (no service or destination twice, every
    /// service inside the scope) before reading anything, reads the
    /// services the scope owns with their destinations (the services
    /// from a [consistent listing](Self::list_services_consistent), so
    /// that none looks missing; no other service's destinations are
    /// read), computes the fewest changes and checks the guards
    /// (an empty desired table, `max_deletes`).
    pub fn reconcile_plan(
        &mut self,
        desired: &[(Service, Vec<Destination>)],
        options: &ReconcileOptions,
    ) -> Result<crate::reconcile::Plan> {
        block_on(self.inner.reconcile_plan(desired, options))
    }

    /// Sends the requests of `plan` and reports each step's result. A plan
    /// without [drain options](crate::reconcile::Plan::drain_options) goes
    /// as one batch, going on after a failure. One with them goes in three
    /// stages: a batch of every step but the drains and the service
    /// deletions; then the drains, together, as
    /// [`drain_many`](Self::drain_many) does them (each drain step
    /// succeeds once its destination is deleted, its connections gone or
    /// the deadline passed; [`ReconcileReport::drains`] says which); then a
    /// batch of the service deletions. A failed drain (a request of it
    /// failed, or a destination to drain was gone before it began) fails
    /// its first step with that error and leaves the rest of the drains
    /// and the service deletions not sent.
    pub fn apply_plan(&mut self, plan: crate::reconcile::Plan) -> ReconcileReport {
        block_on(self.inner.apply_plan(plan))
    }
}

/// A netlink socket that blocks in `poll` until it is ready or a deadline
/// passes: the blocking handle's transport. Its futures are ready when
/// first polled.
#[derive(Debug)]
pub(crate) struct BlockingSocket(Socket);

impl Sealed for BlockingSocket {}

impl Transport for BlockingSocket {
    fn register(socket: Socket) -> io::Result<Self> {
        Ok(Self(socket))
    }

    async fn send(&self, datagram: &[u8], deadline: Option<Instant>) -> io::Result<()> {
        loop {
            match self.0.send(datagram, 0) {
                Ok(_) => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    wait_ready(&self.0, PollFlags::OUT, deadline)?;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    async fn yield_now() {}

    async fn sleep(duration: Duration) {
        std::thread::sleep(duration);
    }

    async fn recv(
        &self,
        buf: &mut Vec<u8>,
        room: usize,
        deadline: Option<Instant>,
    ) -> io::Result<(usize, u32)> {
        loop {
            match socket::recv_into(&self.0, buf, room) {
                Ok(d) => return Ok((d.len, d.sender)),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    wait_ready(&self.0, PollFlags::IN, deadline)?;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

/// Waits until the socket is ready for `flags` or the deadline (if any)
/// passes (`TimedOut`).
fn wait_ready(socket: &Socket, flags: PollFlags, deadline: Option<Instant>) -> io::Result<()> {
    loop {
        let ts = match deadline {
            Some(d) => {
                let left = d.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(io::Error::from(io::ErrorKind::TimedOut));
                }
                Some(timespec(left))
            }
            None => None,
        };
        let fd = socket.as_fd();
        let mut fds = [PollFd::new(&fd, flags)];
        match poll(&mut fds, ts.as_ref()) {
            Ok(0) => continue,
            Ok(_) => return Ok(()),
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(e.into()),
        }
    }
}

fn timespec(d: Duration) -> Timespec {
    Timespec {
        tv_sec: d.as_secs().min(i64::MAX as u64) as i64,
        tv_nsec: i64::from(d.subsec_nanos()),
    }
}

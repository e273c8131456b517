//! The async handle, generic over the runtime's socket wrapper: tokio's and
//! smol's handles are this type with their own [`Transport`].

use std::net::SocketAddr;

use super::config::Config;
use super::driver::Driver;
use super::socket::page_receive;
use super::transport::Transport;
use crate::error::{Error, ErrorKind, Operation, Result};
use crate::model::{
    DaemonRole, Destination, DestinationEntry, Info, Service, ServiceEntry, ServiceKey,
    ServiceUpdate, SyncDaemon, Timeouts,
};
use crate::proto::consistent_listing::ConsistentListing;
use crate::proto::{BatchLimits, OnError, Reply, Request, SessionStats};
use crate::reconcile::{ReconcileOptions, ReconcileReport};

/// An async handle on the IPVS table of one network namespace, with the same
/// methods as the blocking [`Handle`](crate::Handle) as `async fn`. Use it as
/// `handle::tokio::Handle` or `handle::smol::Handle`.
///
/// A call may be cancelled (its future dropped, as `tokio::time::timeout`
/// or `select!` do): what it had sent is then forgotten, and the next call
/// reconnects first, so its results are exact. Whether the cancelled
/// call's changes were applied is unknown; read the table back.
#[derive(Debug)]
pub struct AsyncHandle<T> {
    driver: Driver<T>,
}

impl<T: Transport> AsyncHandle<T> {
    /// Opens a handle in the calling thread's network namespace and resolves
    /// the "IPVS" family. As with the blocking handle, a missing permission
    /// shows on the first request, not here.
    pub async fn new() -> Result<Self> {
        Self::with_config(Config::default()).await
    }

    /// Opens a handle with explicit settings (namespace, timeouts, buffers).
    /// The namespace is opened once, here: the handle acts on it for its
    /// whole life, reconnects included, whichever thread runs it.
    pub async fn with_config(config: Config) -> Result<Self> {
        Driver::open(config).await.map(|driver| Self { driver })
    }

    /// Replaces the sockets with new ones in the same namespace (after an
    /// overrun or a broken socket). Requests in flight are lost.
    pub async fn reconnect(&mut self) -> Result<()> {
        self.driver.reconnect().await
    }

    /// Sends one request and waits for its answer. A handle whose socket
    /// broke (a timeout, an overrun, an I/O error, a cancelled call)
    /// reconnects first.
    pub async fn execute(&mut self, request: Request) -> Result<Reply> {
        self.driver.execute(request).await
    }

    async fn run_batch(&mut self, requests: Vec<Request>, on_error: OnError) -> Vec<Result<Reply>> {
        self.driver.run_batch(requests, on_error).await
    }

    /// Changes how long a request (or batch datagram) may wait with no
    /// answer from the kernel ([`Config::timeout`](crate::Config::timeout);
    /// a duration too large for the clock means no limit).
    ///
    /// As on the blocking [`Handle::set_timeout`](crate::Handle::set_timeout).
    pub fn set_timeout(&mut self, timeout: std::time::Duration) {
        self.driver.set_timeout(timeout);
    }

    /// Changes how long one call may take in all
    /// ([`Config::deadline`](crate::Config::deadline); `None`: no limit).
    ///
    /// As on the blocking [`Handle::set_deadline`](crate::Handle::set_deadline).
    pub fn set_deadline(&mut self, deadline: Option<std::time::Duration>) {
        self.driver.set_deadline(deadline);
    }

    /// The per-datagram limits of batches on this handle: those set with
    /// [`set_batch_limits`](Self::set_batch_limits), else those derived
    /// from the socket's receive buffer; either way within its send
    /// buffer.
    ///
    /// As on the blocking [`Handle::batch_limits`](crate::Handle::batch_limits).
    pub fn batch_limits(&self) -> BatchLimits {
        self.driver.batch_limits()
    }

    /// Sets the per-datagram limits of batches, kept across reconnects.
    /// The default is derived from the socket's receive buffer so that
    /// the kernel never drops a reply; larger limits risk an overrun
    /// (the batch then goes on over a new socket with smaller
    /// datagrams). Limits out of range ([`BatchLimits::check`]) are
    /// refused with [`ErrorKind::Config`], and nothing changes.
    ///
    /// As on the blocking [`Handle::set_batch_limits`](crate::Handle::set_batch_limits).
    pub fn set_batch_limits(&mut self, limits: BatchLimits) -> Result<()> {
        self.driver.set_batch_limits(limits)
    }

    /// What the session dropped or de-duplicated so far.
    ///
    /// As on the blocking [`Handle::session_stats`](crate::Handle::session_stats).
    pub fn session_stats(&self) -> SessionStats {
        self.driver.session_stats()
    }

    /// Starts or stops keeping a copy of every datagram the kernel sends
    /// to this handle (to record test fixtures).
    ///
    /// As on the blocking [`Handle::capture`](crate::Handle::capture).
    pub fn capture(&mut self, on: bool) {
        self.driver.capture(on);
    }

    /// Takes the datagrams kept since capture started or the last take.
    /// Each is one or more whole netlink messages.
    ///
    /// As on the blocking [`Handle::take_captured`](crate::Handle::take_captured).
    pub fn take_captured(&mut self) -> Vec<Vec<u8>> {
        self.driver.take_captured()
    }

    /// The network namespace this handle acts on, as an open file
    /// ([`Netns::Fd`](crate::Netns::Fd)): the one pinned when the handle
    /// was made, even if its name now points elsewhere. Give it to
    /// another handle, or to readers of the namespace's files.
    ///
    /// As on the blocking [`Handle::netns`](crate::Handle::netns).
    pub fn netns(&self) -> Result<crate::Netns> {
        self.driver
            .netns_fd()
            .map(crate::Netns::Fd)
            .map_err(|e| Error::new(Operation::Configure, e.into()))
    }

    /// Lists every service of the namespace, each once, with its
    /// counters.
    ///
    /// The async form of [`Handle::list_services`](crate::Handle::list_services).
    pub async fn list_services(&mut self) -> Result<Vec<ServiceEntry>> {
        let r = Request::ListServices;
        self.execute(r)
            .await?
            .into_services(Operation::ListServices)
    }

    /// Lists the services, proving that no service that existed
    /// throughout was skipped (at most `max_attempts` service dumps, at
    /// least 2): a change to any namespace's services during a dump can
    /// make the kernel skip one of ours. Fails with
    /// [`ErrorKind::Inconsistent`] when the table kept changing.
    ///
    /// The dumps are made so that their pages end at different services
    /// (on sockets that receive at sizes that differ a little, and on a
    /// new socket, whose first page the kernel makes smaller). Each page
    /// is a snapshot of a stretch of the kernel's table, and a skip can
    /// only happen where a page ends: so dumps of the same services in the
    /// same order, one of which has every page end inside a page of
    /// another and its last page covered, skipped none (the proof is in
    /// `src/proto/dump_pages.rs`). Dumps of other services between them
    /// (a dump that skipped one) do not undo that. A dump of one page
    /// with room left is a snapshot of the whole table on its own. The
    /// order matters because a service of ours deleted and added again
    /// meanwhile moves in the kernel's table; the one case left uncovered
    /// is such a service added again where the order it is listed in stays
    /// the same, next to a service that both dumps skipped.
    ///
    /// The async form of [`Handle::list_services_consistent`](crate::Handle::list_services_consistent).
    pub async fn list_services_consistent(
        &mut self,
        max_attempts: u32,
    ) -> Result<Vec<ServiceEntry>> {
        let attempts = max_attempts.max(2);
        let mut listing = ConsistentListing::new(page_receive());
        for _ in 0..attempts {
            let socket = listing.next_socket();
            let (services, pages) = self.driver.list_service_pages(socket).await?;
            if let Some(services) = listing.add(services, pages) {
                return Ok(services);
            }
        }
        Err(Error::new(
            Operation::ListServices,
            ErrorKind::Inconsistent(attempts),
        ))
    }

    /// Reads one service: its configuration and counters.
    ///
    /// The async form of [`Handle::get_service`](crate::Handle::get_service).
    pub async fn get_service(&mut self, key: &ServiceKey) -> Result<ServiceEntry> {
        self.execute(Request::GetService(*key))
            .await?
            .into_service(Operation::GetService(*key))
    }

    /// Adds a service.
    ///
    /// The async form of [`Handle::add_service`](crate::Handle::add_service).
    pub async fn add_service(&mut self, service: &Service) -> Result<()> {
        self.execute(Request::AddService(service.clone()))
            .await?
            .into_done(Operation::AddService(service.key))
    }

    /// Changes a service. Fields the update leaves open are read from the
    /// kernel first; a bound persistence engine is kept unless the update
    /// changes it; only the flags in the update's mask change.
    ///
    /// The async form of [`Handle::update_service`](crate::Handle::update_service).
    pub async fn update_service(&mut self, update: &ServiceUpdate) -> Result<()> {
        let update = if update.is_complete() {
            update.clone()
        } else {
            let current = self
                .get_service(&update.key)
                .await
                .map_err(|e| Error::new(Operation::UpdateService(update.key), e.into_kind()))?;
            update.complete_with(&current.service)
        };
        let op = Operation::UpdateService(update.key);
        self.execute(Request::UpdateService(update))
            .await?
            .into_done(op)
    }

    /// Deletes a service and its destinations.
    ///
    /// The async form of [`Handle::delete_service`](crate::Handle::delete_service).
    pub async fn delete_service(&mut self, key: &ServiceKey) -> Result<()> {
        self.execute(Request::DeleteService(*key))
            .await?
            .into_done(Operation::DeleteService(*key))
    }

    /// Lists the destinations of a service, each once, with their
    /// connection counts and counters. The kernel answers an empty
    /// list, not an error, for a service that does not exist.
    ///
    /// The async form of [`Handle::list_destinations`](crate::Handle::list_destinations).
    pub async fn list_destinations(&mut self, key: &ServiceKey) -> Result<Vec<DestinationEntry>> {
        self.execute(Request::ListDestinations(*key))
            .await?
            .into_destinations(Operation::ListDestinations(*key))
    }

    /// Adds a destination to a service.
    ///
    /// The async form of [`Handle::add_destination`](crate::Handle::add_destination).
    pub async fn add_destination(&mut self, key: &ServiceKey, dest: &Destination) -> Result<()> {
        self.execute(Request::AddDestination(*key, dest.clone()))
            .await?
            .into_done(Operation::AddDestination(*key, dest.addr))
    }

    /// Replaces a destination's forwarding (with its tunnel), weight and
    /// thresholds: every field of `dest`, as SET_DEST does.
    /// `Destination::new(addr).weight(0)` thus also makes a
    /// direct-routing or tunnelled destination masquerading and clears
    /// its thresholds; to change some fields and keep the others, use
    /// [`update_destination_partial`](Self::update_destination_partial).
    ///
    /// The async form of [`Handle::update_destination`](crate::Handle::update_destination).
    pub async fn update_destination(&mut self, key: &ServiceKey, dest: &Destination) -> Result<()> {
        self.execute(Request::UpdateDestination(*key, dest.clone()))
            .await?
            .into_done(Operation::UpdateDestination(*key, dest.addr))
    }

    /// Changes the fields of a destination that `update` sets and keeps
    /// the others as the kernel has them: the destination is read first
    /// ([`get_destination`](Self::get_destination)) unless the update
    /// sets every field, then sent back whole. The read and the change
    /// are two requests: a change made by someone else in between is
    /// overwritten.
    ///
    /// The async form of [`Handle::update_destination_partial`](crate::Handle::update_destination_partial).
    pub async fn update_destination_partial(
        &mut self,
        key: &ServiceKey,
        update: &crate::model::DestinationUpdate,
    ) -> Result<()> {
        let dest = match update.complete() {
            Some(dest) => dest,
            None => {
                let current = self.get_destination(key, update.addr).await.map_err(|e| {
                    Error::new(
                        Operation::UpdateDestination(*key, update.addr),
                        e.into_kind(),
                    )
                })?;
                update.apply(&current.dest)
            }
        };
        self.update_destination(key, &dest).await
    }

    /// Reads one destination of a service, with its connection counts
    /// and counters. IPVS has no command for one destination, so this
    /// lists the service's destinations and picks `addr`: an address the
    /// listing lacks is [`ErrorKind::NoSuchDestination`], and a service
    /// that does not exist is [`ErrorKind::ServiceNotFound`] (asked of
    /// the kernel then, since it lists no destinations for one).
    ///
    /// The async form of [`Handle::get_destination`](crate::Handle::get_destination).
    pub async fn get_destination(
        &mut self,
        key: &ServiceKey,
        addr: SocketAddr,
    ) -> Result<DestinationEntry> {
        let op = || Operation::GetDestination(*key, addr);
        let listed = self
            .list_destinations(key)
            .await
            .map_err(|e| Error::new(op(), e.into_kind()))?;
        if let Some(entry) = listed.into_iter().find(|e| e.dest.addr == addr) {
            return Ok(entry);
        }
        self.get_service(key)
            .await
            .map_err(|e| Error::new(op(), e.into_kind()))?;
        Err(Error::new(op(), ErrorKind::NoSuchDestination))
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
    /// The async form of [`Handle::drain`](crate::Handle::drain).
    pub async fn drain(
        &mut self,
        key: &ServiceKey,
        addr: SocketAddr,
        options: &crate::drain::DrainOptions,
        on_poll: impl FnMut(&crate::drain::DrainSample),
    ) -> Result<crate::drain::DrainReport> {
        let target = crate::drain::DrainTarget::new(*key, addr);
        self.drain_many(&[target], options, on_poll)
            .await?
            .pop()
            .ok_or_else(|| Error::new(Operation::Drain(*key, addr), ErrorKind::NoSuchDestination))
    }

    /// Drains several destinations at once, of one service or several,
    /// as [`drain`](Self::drain) does each, with one destination listing
    /// per service per poll whatever the number of its destinations
    /// drained. Each is deleted as soon as its own connections are gone;
    /// the reports come in the order of `targets` (each target once).
    /// Every target must exist at the start
    /// ([`ErrorKind::NoSuchDestination`] naming the first missing one,
    /// before any weight is changed); one that disappears meanwhile ends
    /// as [`DrainOutcome::Gone`](crate::DrainOutcome::Gone).
    ///
    /// The async form of [`Handle::drain_many`](crate::Handle::drain_many).
    pub async fn drain_many(
        &mut self,
        targets: &[crate::drain::DrainTarget],
        options: &crate::drain::DrainOptions,
        mut on_poll: impl FnMut(&crate::drain::DrainSample),
    ) -> Result<Vec<crate::drain::DrainReport>> {
        let drain_op = |t: &crate::drain::DrainTarget| Operation::Drain(t.service, t.addr);
        let Some(first) = targets.first() else {
            return Ok(Vec::new());
        };
        let mut run = crate::drain::DrainRun::new(targets, *options)
            .map_err(|e| Error::new(drain_op(first), e.into()))?;
        let services = run.services();
        let mut configs = Vec::with_capacity(services.len());
        let mut listings = Vec::with_capacity(services.len());
        for key in services {
            configs.push(self.get_service(&key).await?.service);
            listings.push((key, self.list_destinations(&key).await?));
        }
        let sysctls = super::drain_support::read_vs_sysctls(self.driver.pinned_netns());
        let udp_timeout = if configs
            .iter()
            .any(crate::drain::DrainWarning::needs_udp_timeout)
        {
            self.get_timeouts().await?.udp
        } else {
            None
        };
        run.set_warnings(&configs, &sysctls, udp_timeout);
        let quiesce = run
            .quiesce(&listings)
            .map_err(|t| Error::new(drain_op(&t), ErrorKind::NoSuchDestination))?;
        for (key, dest) in quiesce {
            self.update_destination(&key, &dest).await?;
        }
        let start = std::time::Instant::now();
        loop {
            let mut listings = Vec::new();
            for key in run.services() {
                listings.push((key, self.list_destinations(&key).await?));
            }
            for sample in run.observe(start.elapsed(), &listings) {
                on_poll(&sample);
            }
            for t in run.to_delete() {
                let existed = match self.delete_destination(&t.service, t.addr).await {
                    Ok(()) => true,
                    Err(e)
                        if matches!(
                            e.kind(),
                            ErrorKind::DestinationNotFound(_) | ErrorKind::ServiceNotFound(_)
                        ) =>
                    {
                        false
                    }
                    Err(e) => return Err(e),
                };
                run.deleted(t, existed, start.elapsed());
            }
            match run.next_poll(start.elapsed()) {
                None => break,
                Some(pause) => T::sleep(pause).await,
            }
        }
        Ok(run.finish())
    }

    /// Deletes a destination.
    ///
    /// The async form of [`Handle::delete_destination`](crate::Handle::delete_destination).
    pub async fn delete_destination(&mut self, key: &ServiceKey, addr: SocketAddr) -> Result<()> {
        self.execute(Request::DeleteDestination(*key, addr))
            .await?
            .into_done(Operation::DeleteDestination(*key, addr))
    }

    /// Deletes every service of the namespace.
    ///
    /// The async form of [`Handle::flush`](crate::Handle::flush).
    pub async fn flush(&mut self) -> Result<()> {
        self.execute(Request::Flush)
            .await?
            .into_done(Operation::Flush)
    }

    /// Zeroes the counters of one service (and its destinations), or of
    /// everything with `None`.
    ///
    /// The async form of [`Handle::zero`](crate::Handle::zero).
    pub async fn zero(&mut self, key: Option<&ServiceKey>) -> Result<()> {
        let key = key.copied();
        self.execute(Request::Zero(key))
            .await?
            .into_done(Operation::Zero(key))
    }

    /// Reads the TCP, TCP FIN and UDP timeouts.
    ///
    /// The async form of [`Handle::get_timeouts`](crate::Handle::get_timeouts).
    pub async fn get_timeouts(&mut self) -> Result<Timeouts> {
        self.execute(Request::GetTimeouts)
            .await?
            .into_timeouts(Operation::GetTimeouts)
    }

    /// Changes the timeouts that are `Some` and not 0.
    ///
    /// The async form of [`Handle::set_timeouts`](crate::Handle::set_timeouts).
    pub async fn set_timeouts(&mut self, timeouts: Timeouts) -> Result<()> {
        self.execute(Request::SetTimeouts(timeouts))
            .await?
            .into_done(Operation::SetTimeouts)
    }

    /// Reads the IPVS version and connection table size.
    ///
    /// The async form of [`Handle::get_info`](crate::Handle::get_info).
    pub async fn get_info(&mut self) -> Result<Info> {
        self.execute(Request::GetInfo)
            .await?
            .into_info(Operation::GetInfo)
    }

    /// Lists the running sync daemons.
    ///
    /// The async form of [`Handle::list_daemons`](crate::Handle::list_daemons).
    pub async fn list_daemons(&mut self) -> Result<Vec<SyncDaemon>> {
        self.execute(Request::ListDaemons)
            .await?
            .into_daemons(Operation::ListDaemons)
    }

    /// Starts a sync daemon.
    ///
    /// The async form of [`Handle::start_daemon`](crate::Handle::start_daemon).
    pub async fn start_daemon(&mut self, daemon: &SyncDaemon) -> Result<()> {
        self.execute(Request::StartDaemon(daemon.clone()))
            .await?
            .into_done(Operation::StartDaemon(daemon.role))
    }

    /// Stops the sync daemon of a role. The kernel sends no answer at all
    /// when it stops a sync thread that had not run yet (a stop right
    /// after the start), so the request is closed by an acknowledged
    /// no-op: the stop succeeds when that no-op is answered with no
    /// error before it.
    ///
    /// The async form of [`Handle::stop_daemon`](crate::Handle::stop_daemon).
    pub async fn stop_daemon(&mut self, role: DaemonRole) -> Result<()> {
        self.execute(Request::StopDaemon(role))
            .await?
            .into_done(Operation::StopDaemon(role))
    }

    /// Lists every service with its destinations: one service dump, as
    /// [`list_services`](Self::list_services) (and `ipvsadm -Ln`) does,
    /// then one destination dump per service. Like any single dump it
    /// can skip a service when the table changes meanwhile (see
    /// `list_services`); [`list_table_consistent`](Self::list_table_consistent)
    /// cannot. The destination dumps run one after the other: the kernel
    /// finishes an IPVS dump only on a later receive, and a socket runs
    /// one dump at a time, so they cannot be pipelined.
    ///
    /// The async form of [`Handle::list_table`](crate::Handle::list_table).
    pub async fn list_table(&mut self) -> Result<Vec<(ServiceEntry, Vec<DestinationEntry>)>> {
        let services = self.list_services().await?;
        self.with_destinations(services).await
    }

    /// Lists every service with its destinations, the services from a
    /// [consistent listing](Self::list_services_consistent) (at most
    /// `max_attempts` service dumps, at least 2), so none that existed
    /// throughout is skipped. Usually one service dump more than
    /// [`list_table`](Self::list_table).
    ///
    /// The async form of [`Handle::list_table_consistent`](crate::Handle::list_table_consistent).
    pub async fn list_table_consistent(
        &mut self,
        max_attempts: u32,
    ) -> Result<Vec<(ServiceEntry, Vec<DestinationEntry>)>> {
        let services = self.list_services_consistent(max_attempts).await?;
        self.with_destinations(services).await
    }

    /// Each of `services` with its destinations.
    async fn with_destinations(
        &mut self,
        services: Vec<ServiceEntry>,
    ) -> Result<Vec<(ServiceEntry, Vec<DestinationEntry>)>> {
        let mut out = Vec::with_capacity(services.len());
        for s in services {
            let d = self.list_destinations(&s.service.key).await?;
            out.push((s, d));
        }
        Ok(out)
    }

    /// Sends many requests pipelined, many per system call, and returns
    /// the result of each, in order. See [`OnError`] for what happens
    /// after a failure.
    ///
    /// The async form of [`Handle::batch`](crate::Handle::batch).
    pub async fn batch(&mut self, requests: Vec<Request>, on_error: OnError) -> Vec<Result<Reply>> {
        self.run_batch(requests, on_error).await
    }

    /// Makes the part of the table that `options.scope` owns hold
    /// exactly `desired` (services and their destinations): the
    /// [plan](Self::reconcile_plan) applied as one batch. Refused, with
    /// nothing sent, when the plan is (see
    /// [`ReconcileError`](crate::reconcile::ReconcileError)).
    ///
    /// The async form of [`Handle::reconcile`](crate::Handle::reconcile).
    pub async fn reconcile(
        &mut self,
        desired: &[(Service, Vec<Destination>)],
        options: &ReconcileOptions,
    ) -> Result<ReconcileReport> {
        let plan = self.reconcile_plan(desired, options).await?;
        Ok(self.apply_plan(plan).await)
    }

    /// The plan of a [reconcile](Self::reconcile), sent nowhere (a dry
    /// run): checks `desired` (no service or destination twice, every
    /// service inside the scope) before reading anything, reads the
    /// services the scope owns with their destinations (the services
    /// from a [consistent listing](Self::list_services_consistent), so
    /// that none looks missing; no other service's destinations are
    /// read), computes the fewest changes and checks the guards
    /// (an empty desired table, `max_deletes`).
    ///
    /// The async form of [`Handle::reconcile_plan`](crate::Handle::reconcile_plan).
    pub async fn reconcile_plan(
        &mut self,
        desired: &[(Service, Vec<Destination>)],
        options: &ReconcileOptions,
    ) -> Result<crate::reconcile::Plan> {
        crate::reconcile::check_desired(desired, &options.scope)?;
        let mut owned = self.list_services_consistent(5).await?;
        owned.retain(|s| options.scope.contains(&s.service.key));
        let current = self.with_destinations(owned).await?;
        Ok(crate::reconcile::plan_checked(&current, desired, options)?)
    }

    /// Sends the requests of `plan` and reports each step's result.
    ///
    /// The async form of [`Handle::apply_plan`](crate::Handle::apply_plan).
    pub async fn apply_plan(&mut self, plan: crate::reconcile::Plan) -> ReconcileReport {
        let Some(drain) = plan.drain_options() else {
            let results = self.run_batch(plan.requests(), OnError::Continue).await;
            return ReconcileReport::of_batch(plan, results);
        };
        let stages = plan.stages();
        let requests = |at: &[usize]| {
            at.iter()
                .map(|&i| plan.steps()[i].request.clone())
                .collect()
        };
        let mut results: Vec<Option<Result<Reply>>> = (0..plan.len()).map(|_| None).collect();
        let before = self
            .run_batch(requests(&stages.before), OnError::Continue)
            .await;
        for (&i, r) in stages.before.iter().zip(before) {
            results[i] = Some(r);
        }
        let targets: Vec<crate::drain::DrainTarget> = stages
            .drains
            .iter()
            .filter_map(|&i| {
                let p = &plan.steps()[i];
                p.destination
                    .map(|d| crate::drain::DrainTarget::new(p.service, d))
            })
            .collect();
        let mut drains = Vec::new();
        match self.drain_many(&targets, &drain, |_| {}).await {
            Ok(reports) => {
                for &i in &stages.drains {
                    results[i] = Some(Ok(Reply::Done));
                }
                drains = reports;
                let after = self
                    .run_batch(requests(&stages.after), OnError::Continue)
                    .await;
                for (&i, r) in stages.after.iter().zip(after) {
                    results[i] = Some(r);
                }
            }
            // The services whose destinations did not drain stay.
            Err(e) => {
                if let Some(&first) = stages.drains.first() {
                    results[first] = Some(Err(e));
                }
            }
        }
        let mut report = ReconcileReport::of_steps(plan, results);
        report.drains = drains;
        report
    }
}

//! The one driver of every handle: it runs the protocol [`Session`] over a
//! [`Transport`], with the deadlines, reconnects and batch loop written
//! once. The blocking handle runs its futures with [`block_on`]; the async
//! handles await them.
//!
//! [`block_on`]: super::block_on::block_on

use std::io;
use std::os::fd::OwnedFd;
use std::time::{Duration, Instant};

use super::config::Config;
use super::netns::PinnedNetns;
use super::socket::{self, Receives, WIDE};
use super::transport::Transport;
use crate::error::{Error, ErrorKind, Operation, Result};
use crate::model::ServiceEntry;
use crate::proto::consistent_listing::DumpSocket;
use crate::proto::dump_pages::DumpPages;
use crate::proto::{BatchLimits, BatchRun, OnError, Reply, Request, Session, SessionStats, Token};

/// A handle's state: its sockets, its session, its settings.
#[derive(Debug)]
pub(crate) struct Driver<T> {
    socket: T,
    /// The sockets for [`Receives::Wide`] answers, one per size, each
    /// opened when first needed. All carry the one session's requests, one
    /// request at a time.
    wide: [Option<T>; WIDE.len()],
    session: Session,
    /// The limits derived from the socket's buffers.
    auto_limits: BatchLimits,
    /// Limits the caller set, kept across reconnects.
    set_limits: Option<BatchLimits>,
    /// The socket's send buffer: no datagram may be longer, less 32 bytes.
    send_buffer: usize,
    config: Config,
    /// The namespace every socket of the handle is made in.
    netns: PinnedNetns,
    /// Received datagrams.
    buf: Vec<u8>,
    /// The datagram being sent; its buffer goes back to the session.
    out: Vec<u8>,
    /// A call is running. Seen at the start of a call, it means the last one
    /// was dropped half-way (an async call cancelled): its requests may
    /// still be answered, or a dump may still be running on the socket, so
    /// the handle reconnects first.
    in_call: bool,
    /// Copies of the datagrams received, while capturing (for fixtures);
    /// kept across reconnects.
    captured: Option<Vec<Vec<u8>>>,
}

/// Datagrams received in a row before the driver gives the runtime back: a
/// dump's next chunk is made while the last one is received, so the socket
/// is always ready and an async call would otherwise never yield.
const YIELD_EVERY: u32 = 16;

/// `now + d`, or `None` (no limit) when that cannot be represented.
fn after(d: Duration) -> Option<Instant> {
    Instant::now().checked_add(d)
}

fn passed(deadline: Option<Instant>, now: Instant) -> bool {
    deadline.is_some_and(|d| now >= d)
}

fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

impl<T: Transport> Driver<T> {
    /// Pins the namespace, opens the socket and resolves the family.
    pub(crate) async fn open(config: Config) -> Result<Self> {
        let connect = |kind| Error::new(Operation::Connect, kind);
        let netns = PinnedNetns::pin(&config.netns).map_err(|e| connect(e.into()))?;
        let (socket, opened) = Self::open_socket(&netns, &config).map_err(connect)?;
        let wide = std::array::from_fn(|_| None);
        let mut driver = Self::assemble(socket, wide, Session::new(), opened, config, netns);
        driver.resolve().await?;
        Ok(driver)
    }

    /// A driver over `socket` (and `wide`, the sockets of service dumps,
    /// those open) with `session`, the batch limits and send buffer the socket
    /// was opened with, and nothing pending.
    fn assemble(
        socket: T,
        wide: [Option<T>; WIDE.len()],
        mut session: Session,
        (auto_limits, send_buffer): (BatchLimits, usize),
        config: Config,
        netns: PinnedNetns,
    ) -> Self {
        session.set_max_dump_entries(config.max_dump_entries);
        Self {
            socket,
            wide,
            session,
            auto_limits,
            set_limits: None,
            send_buffer,
            config,
            netns,
            buf: Vec::new(),
            out: Vec::new(),
            in_call: false,
            captured: None,
        }
    }

    fn open_socket(
        netns: &PinnedNetns,
        config: &Config,
    ) -> std::result::Result<(T, (BatchLimits, usize)), ErrorKind> {
        let opened = socket::open(netns, config)?;
        let socket = T::register(opened.socket).map_err(ErrorKind::from)?;
        Ok((socket, (opened.limits, opened.send_buffer)))
    }

    /// Replaces the sockets with new ones in the pinned namespace, and the
    /// session with a new one. Requests in flight are lost.
    pub(crate) async fn reconnect(&mut self) -> Result<()> {
        let (socket, (limits, send_buffer)) = Self::open_socket(&self.netns, &self.config)
            .map_err(|k| Error::new(Operation::Connect, k))?;
        self.socket = socket;
        self.wide = std::array::from_fn(|_| None);
        self.auto_limits = limits;
        self.send_buffer = send_buffer;
        self.session = Session::new();
        self.session
            .set_max_dump_entries(self.config.max_dump_entries);
        self.resolve().await
    }

    async fn resolve(&mut self) -> Result<()> {
        let token = self.session.resolve_family();
        let deadline = self.call_deadline();
        self.wait(token, Receives::Page, deadline, Operation::Connect)
            .await
            .map(|_| ())
            .map_err(|e| Error::new(Operation::Connect, e.into_kind()))
    }

    fn call_deadline(&self) -> Option<Instant> {
        self.config.deadline.and_then(after)
    }

    /// Starts a call: a call left unfinished before makes the socket unusable.
    fn begin(&mut self) {
        if self.in_call {
            self.session.mark_broken();
        }
        self.in_call = true;
    }

    /// Sends one request and waits for its answer. A handle whose socket
    /// broke (a timeout, an overrun, an I/O error, a cancelled call)
    /// reconnects first.
    pub(crate) async fn execute(&mut self, request: Request) -> Result<Reply> {
        self.begin();
        let result = self.execute_once(request).await;
        self.in_call = false;
        result
    }

    async fn execute_once(&mut self, request: Request) -> Result<Reply> {
        let receives = Receives::for_request(&request);
        let deadline = self.call_deadline();
        self.heal(receives)
            .await
            .map_err(|e| Error::new(request.operation(), e.into_kind()))?;
        let token = self.session.submit(&request)?;
        self.wait(token, receives, deadline, request.operation())
            .await
    }

    /// One service dump on `socket`, with its pages (see
    /// [`ConsistentListing`](crate::proto::consistent_listing::ConsistentListing)).
    pub(crate) async fn list_service_pages(
        &mut self,
        socket: DumpSocket,
    ) -> Result<(Vec<ServiceEntry>, DumpPages)> {
        self.begin();
        let result = self.list_service_pages_once(socket).await;
        self.in_call = false;
        result
    }

    async fn list_service_pages_once(
        &mut self,
        socket: DumpSocket,
    ) -> Result<(Vec<ServiceEntry>, DumpPages)> {
        let op = Operation::ListServices;
        let deadline = self.call_deadline();
        let (receives, healed) = match socket {
            DumpSocket::Warm(i) => (Receives::Wide(i), self.heal(Receives::Wide(i)).await),
            DumpSocket::Fresh => (Receives::Wide(0), self.open_fresh(0).await),
        };
        healed.map_err(|e| Error::new(op.clone(), e.into_kind()))?;
        let token = self.session.submit_service_pages()?;
        let reply = self.wait(token, receives, deadline, op.clone()).await;
        // Kept by the session only for a dump that ended well.
        let pages = self.session.take_pages(token);
        let services = reply?.into_services(op.clone())?;
        let pages = pages.ok_or_else(|| Error::new(op, ErrorKind::Unconfirmed))?;
        Ok((services, pages))
    }

    /// Reconnects a broken handle, and puts a new socket that has never
    /// received in the place of the one for `Receives::Wide(i)`.
    async fn open_fresh(&mut self, i: usize) -> Result<()> {
        self.heal(Receives::Page).await?;
        self.wide[i] = Some(self.open_wide()?);
        Ok(())
    }

    /// A new socket for wide receives.
    fn open_wide(&self) -> Result<T> {
        Self::open_socket(&self.netns, &self.config)
            .map(|(socket, _)| socket)
            .map_err(|k| Error::new(Operation::Connect, k))
    }

    /// Reconnects a broken handle, and opens the socket for `receives`.
    async fn heal(&mut self, receives: Receives) -> Result<()> {
        if self.session.is_broken() {
            self.reconnect().await?;
        }
        if let Receives::Wide(i) = receives {
            if self.wide[i].is_none() {
                self.wide[i] = Some(self.open_wide()?);
                self.warm(receives).await?;
            }
        }
        Ok(())
    }

    /// Makes one receive of `receives`' size on its new socket (the answer
    /// to a `GET_INFO`). The kernel sizes a dump's chunks by the largest
    /// receive the socket ever made, and makes the first chunk while the
    /// request is sent: on a socket that never received, that chunk is a
    /// page, so every dump's first page would end at the same service and
    /// the consistent listing could not tell whether a service was skipped
    /// there.
    async fn warm(&mut self, receives: Receives) -> Result<()> {
        let token = self.session.submit(&Request::GetInfo)?;
        let deadline = self.call_deadline();
        self.wait(token, receives, deadline, Operation::Connect)
            .await
            .map(|_| ())
            .map_err(|e| Error::new(Operation::Connect, e.into_kind()))
    }

    async fn wait(
        &mut self,
        token: Token,
        receives: Receives,
        deadline: Option<Instant>,
        op: Operation,
    ) -> Result<Reply> {
        self.send_outgoing(receives, deadline).await;
        self.pump_until(receives, deadline, |s| !s.is_pending(token))
            .await;
        // Every request that stops waiting has a result; one without would
        // be a request whose fate nobody saw.
        self.session
            .take_result(token)
            .unwrap_or_else(|| Err(Error::new(op, ErrorKind::Unconfirmed)))
    }

    /// Runs a batch: datagram after datagram, each answered in full before
    /// the next. A datagram whose answers were lost (an overrun, a timeout,
    /// a broken socket) leaves its requests with their true outcome, and the
    /// batch goes on over a new socket with half as many requests per
    /// datagram (or stops, for [`OnError::Stop`] or once the call's deadline
    /// passed).
    pub(crate) async fn run_batch(
        &mut self,
        requests: Vec<Request>,
        on_error: OnError,
    ) -> Vec<Result<Reply>> {
        self.begin();
        let results = self.run_batch_once(requests, on_error).await;
        self.in_call = false;
        results
    }

    async fn run_batch_once(
        &mut self,
        requests: Vec<Request>,
        on_error: OnError,
    ) -> Vec<Result<Reply>> {
        let deadline = self.call_deadline();
        if let Err(e) = self.heal(Receives::Page).await {
            return failed_batch(requests, &e);
        }
        let mut run = BatchRun::new(requests, on_error, self.batch_limits());
        while run.fill(&mut self.session) {
            self.send_outgoing(Receives::Page, deadline).await;
            self.pump_until(Receives::Page, deadline, |s| run.datagram_done(s))
                .await;
            run.settle(&mut self.session);
            T::yield_now().await;
            if self.session.is_broken() {
                // Nothing more goes out on this socket: its answers can no
                // longer be told apart from the lost ones.
                if passed(deadline, Instant::now()) || self.reconnect().await.is_err() {
                    run.stop();
                } else {
                    run.halve_limits();
                }
            }
        }
        run.finish()
    }

    /// Sends what the session queued. When it cannot be sent, nothing of it
    /// reached the kernel: every pending request fails with the reason.
    async fn send_outgoing(&mut self, receives: Receives, call_deadline: Option<Instant>) {
        self.session.take_outgoing_into(&mut self.out);
        if self.out.is_empty() {
            return;
        }
        let deadline = earliest(after(self.config.timeout), call_deadline);
        let socket = socket::pick(&self.socket, &self.wide, receives);
        if let Err(e) = socket.send(&self.out, deadline).await {
            self.session.mark_broken();
            let kind = self.lost_kind(e, call_deadline);
            self.session.fail_all(kind);
        }
    }

    /// What a request fails with after `e` (a deadline or a socket error).
    fn lost_kind(&self, e: io::Error, call_deadline: Option<Instant>) -> ErrorKind {
        if e.kind() == io::ErrorKind::TimedOut {
            match self.config.deadline {
                Some(d) if passed(call_deadline, Instant::now()) => ErrorKind::DeadlineExceeded(d),
                _ => ErrorKind::Timeout(self.config.timeout),
            }
        } else if e.raw_os_error() == Some(rustix::io::Errno::NOBUFS.raw_os_error()) {
            ErrorKind::Overrun
        } else {
            e.into()
        }
    }

    /// Receives until `done` holds. The silence timer restarts only on a
    /// datagram that answered a waiting request; when it or the call's
    /// deadline passes, or the socket fails, every waiting request is given
    /// up ([`Session::abandon`]), which also makes `done` hold.
    async fn pump_until(
        &mut self,
        receives: Receives,
        call_deadline: Option<Instant>,
        done: impl Fn(&Session) -> bool,
    ) {
        let mut silence = after(self.config.timeout);
        let mut received = 0u32;
        while !done(&self.session) {
            // Checked before each receive too: a dump whose chunks are always
            // ready would otherwise never look at the clock.
            let now = Instant::now();
            if passed(silence, now) || passed(call_deadline, now) {
                self.give_up(io::ErrorKind::TimedOut.into(), call_deadline);
                continue;
            }
            let socket = socket::pick(&self.socket, &self.wide, receives);
            let until = earliest(silence, call_deadline);
            match socket.recv(&mut self.buf, receives.len(), until).await {
                Ok((len, sender)) => {
                    if let Some(c) = &mut self.captured {
                        c.push(self.buf[..len].to_vec());
                    }
                    if self.session.receive(&self.buf[..len], sender) {
                        silence = after(self.config.timeout);
                    }
                    received = received.wrapping_add(1);
                    if received % YIELD_EVERY == 0 {
                        T::yield_now().await;
                    }
                }
                // The loop's check says which deadline passed.
                Err(e) if e.kind() == io::ErrorKind::TimedOut => {}
                Err(e) => self.give_up(e, call_deadline),
            }
        }
    }

    fn give_up(&mut self, e: io::Error, call_deadline: Option<Instant>) {
        self.session.mark_broken();
        let kind = self.lost_kind(e, call_deadline);
        self.session.abandon(kind);
    }

    /// Changes the silence timer.
    pub(crate) fn set_timeout(&mut self, timeout: Duration) {
        self.config.timeout = timeout;
    }

    /// Changes the deadline of each call.
    pub(crate) fn set_deadline(&mut self, deadline: Option<Duration>) {
        self.config.deadline = deadline;
    }

    /// The per-datagram limits of batches: the ones set, else the ones
    /// derived from the receive buffer; within the send buffer either way.
    pub(crate) fn batch_limits(&self) -> BatchLimits {
        self.set_limits
            .unwrap_or(self.auto_limits)
            .within_send_buffer(self.send_buffer)
    }

    /// Sets the per-datagram limits of batches, checked.
    pub(crate) fn set_batch_limits(&mut self, limits: BatchLimits) -> Result<()> {
        limits
            .check()
            .map_err(|e| Error::new(Operation::Configure, e.into()))?;
        self.set_limits = Some(limits);
        Ok(())
    }

    pub(crate) fn session_stats(&self) -> SessionStats {
        self.session.stats()
    }

    /// Starts or stops keeping a copy of every datagram received, for
    /// recording fixtures. Stopping drops what was kept.
    pub(crate) fn capture(&mut self, on: bool) {
        self.captured = on.then(Vec::new);
    }

    /// Takes the datagrams kept since capture started or since the last take.
    pub(crate) fn take_captured(&mut self) -> Vec<Vec<u8>> {
        self.captured
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    /// The namespace the handle acts on.
    pub(crate) fn pinned_netns(&self) -> &PinnedNetns {
        &self.netns
    }

    /// The namespace the handle acts on, as an open file.
    pub(crate) fn netns_fd(&self) -> io::Result<OwnedFd> {
        self.netns.try_clone_fd()
    }
}

/// The results of a batch that could not start: nothing was sent, and every
/// request fails with the reconnect error.
fn failed_batch(requests: Vec<Request>, e: &Error) -> Vec<Result<Reply, Error>> {
    requests
        .into_iter()
        .map(|r| Err(Error::new(r.operation(), e.kind().clone())))
        .collect()
}

#[cfg(test)]
mod tests {
    //! The driver's deadlines against a fake kernel that answers what a test
    //! scripts, with no socket.

    use std::cell::Cell;
    use std::rc::Rc;

    use super::*;
    use crate::handle::netns::Netns;
    use crate::handle::transport::Sealed;
    use crate::testing::fake_kernel::{ack, done, service_msg, FAMILY};
    use crate::wire::netlink::{frames, NLM_F_MULTI};

    /// Answers the `n`th receive (from 0) with `script(n, seq)`, where `seq`
    /// is the sequence number of the first message sent; `None` sleeps to
    /// the deadline. The handle's two sockets share one script.
    #[derive(Clone)]
    struct Fake(Rc<Script>);

    struct Script {
        sent_seq: Cell<u32>,
        receives: Cell<u32>,
        answer: Box<dyn Fn(u32, u32) -> Option<Vec<u8>>>,
        /// Datagrams handed out, to check a test's premise.
        given: Cell<u32>,
    }

    impl Sealed for Fake {}

    impl Transport for Fake {
        fn register(_: netlink_sys::Socket) -> io::Result<Self> {
            Err(io::Error::other("the fake is made by the test"))
        }

        async fn yield_now() {}

        async fn sleep(_: Duration) {}

        async fn send(&self, datagram: &[u8], _: Option<Instant>) -> io::Result<()> {
            let first = frames(datagram).next().unwrap().unwrap();
            self.0.sent_seq.set(first.header.seq);
            Ok(())
        }

        async fn recv(
            &self,
            buf: &mut Vec<u8>,
            _room: usize,
            deadline: Option<Instant>,
        ) -> io::Result<(usize, u32)> {
            let s = &self.0;
            let n = s.receives.get();
            s.receives.set(n + 1);
            match (s.answer)(n, s.sent_seq.get()) {
                Some(d) => {
                    s.given.set(s.given.get() + 1);
                    buf.clear();
                    buf.extend_from_slice(&d);
                    Ok((d.len(), 0))
                }
                None => {
                    if let Some(d) = deadline {
                        std::thread::sleep(d.saturating_duration_since(Instant::now()));
                    }
                    Err(io::ErrorKind::TimedOut.into())
                }
            }
        }
    }

    fn driver(
        config: Config,
        answer: impl Fn(u32, u32) -> Option<Vec<u8>> + 'static,
    ) -> Driver<Fake> {
        let netns = PinnedNetns::pin(&Netns::Current).unwrap();
        let session = Session::with_family_id(FAMILY);
        let fake = Fake(Rc::new(Script {
            sent_seq: Cell::new(0),
            receives: Cell::new(0),
            answer: Box::new(answer),
            given: Cell::new(0),
        }));
        let limits = (BatchLimits::for_receive_buffer(1 << 20), 1 << 20);
        Driver::assemble(
            fake.clone(),
            [Some(fake), None, None],
            session,
            limits,
            config,
            netns,
        )
    }

    fn config(timeout_ms: u64) -> Config {
        Config {
            timeout: Duration::from_millis(timeout_ms),
            ..Config::default()
        }
    }

    /// Gives up after this many datagrams: the answer then ends the call, so
    /// a driver that never gives up fails the test instead of hanging it.
    const PATIENCE: u32 = 20_000;

    #[test]
    fn stale_datagrams_do_not_keep_a_call_alive() {
        let mut d = driver(config(50), |n, seq| {
            if n < PATIENCE {
                std::thread::sleep(Duration::from_millis(1));
                // An acknowledgement of a request long gone.
                Some(ack(seq.wrapping_sub(1000), 0))
            } else {
                Some(ack(seq, 0))
            }
        });
        let start = Instant::now();
        let e = block_on_test(d.execute(Request::Flush)).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Timeout(_)), "{e}");
        assert!(start.elapsed() < Duration::from_secs(5));
        assert!(d.session.is_broken());
    }

    #[test]
    fn the_call_deadline_ends_a_dump_that_keeps_coming() {
        let mut c = config(1000);
        c.deadline = Some(Duration::from_millis(100));
        let mut d = driver(c, |n, seq| {
            std::thread::sleep(Duration::from_millis(1));
            if n < PATIENCE {
                Some(service_msg(seq, (n % 60_000) as u16 + 1, NLM_F_MULTI))
            } else {
                Some(done(seq))
            }
        });
        let e = block_on_test(d.execute(Request::ListServices)).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::DeadlineExceeded(_)), "{e}");
        assert!(d.socket.0.given.get() > 10, "the dump kept coming");
    }

    #[test]
    fn a_dump_past_its_cap_fails() {
        let mut c = config(1000);
        c.max_dump_entries = Some(5);
        let mut d = driver(c, |n, seq| {
            Some(if n < 100 {
                service_msg(seq, n as u16 + 1, NLM_F_MULTI)
            } else {
                done(seq)
            })
        });
        let e = block_on_test(d.execute(Request::ListServices)).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::DumpTooLarge(5)), "{e}");
        assert_eq!(d.socket.0.given.get(), 6, "it failed on the sixth entry");
        assert!(
            d.session.is_broken(),
            "the rest of the dump is still queued"
        );
    }

    #[test]
    fn a_timeout_too_large_for_the_clock_means_no_limit() {
        let mut d = driver(config(0), |_, seq| Some(ack(seq, 0)));
        d.set_timeout(Duration::MAX);
        d.set_deadline(Some(Duration::MAX));
        assert!(block_on_test(d.execute(Request::Flush)).is_ok());
    }

    #[test]
    fn batch_limits_out_of_range_are_refused() {
        let mut d = driver(config(10), |_, _| None);
        for bad in [
            BatchLimits {
                max_messages: 0,
                max_bytes: 4096,
            },
            BatchLimits {
                max_messages: usize::MAX,
                max_bytes: 4096,
            },
            BatchLimits {
                max_messages: 10,
                max_bytes: 0,
            },
            BatchLimits {
                max_messages: 10,
                max_bytes: usize::MAX,
            },
        ] {
            let e = d.set_batch_limits(bad).unwrap_err();
            assert!(matches!(e.kind(), ErrorKind::Config(_)), "{e}");
        }
        let auto = d.batch_limits();
        d.set_batch_limits(BatchLimits {
            max_messages: 3,
            max_bytes: 1 << 20,
        })
        .unwrap();
        assert_eq!(d.batch_limits().max_messages, 3);
        d.send_buffer = 8192;
        assert_eq!(
            d.batch_limits().max_bytes,
            8192 - 32,
            "within the send buffer"
        );
        assert_ne!(auto, d.batch_limits());
    }

    fn block_on_test<F: std::future::Future>(f: F) -> F::Output {
        crate::handle::block_on::block_on(f)
    }
}

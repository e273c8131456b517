//! The crate's error: which operation on which object failed, and why.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::model::{BuildError, DaemonRole, ServiceKey};
use crate::reconcile::ReconcileError;
use crate::watch::WatchError;
use crate::wire::DecodeError;

/// An operation of the IPVS control interface, with the object it acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Operation {
    /// Opening the netlink socket and resolving the "IPVS" family.
    Connect,
    /// Listing every service.
    ListServices,
    /// Reading one service.
    GetService(ServiceKey),
    /// Adding a service.
    AddService(ServiceKey),
    /// Changing a service.
    UpdateService(ServiceKey),
    /// Deleting a service.
    DeleteService(ServiceKey),
    /// Listing the destinations of a service.
    ListDestinations(ServiceKey),
    /// Adding a destination to a service.
    AddDestination(ServiceKey, SocketAddr),
    /// Changing a destination.
    UpdateDestination(ServiceKey, SocketAddr),
    /// Deleting a destination.
    DeleteDestination(ServiceKey, SocketAddr),
    /// Reading one destination (from its service's listing).
    GetDestination(ServiceKey, SocketAddr),
    /// Draining a destination (weight 0, wait, delete).
    Drain(ServiceKey, SocketAddr),
    /// Deleting every service.
    Flush,
    /// Zeroing counters, of one service or of all.
    Zero(Option<ServiceKey>),
    /// Reading the timeouts.
    GetTimeouts,
    /// Setting timeouts.
    SetTimeouts,
    /// Reading version and table size.
    GetInfo,
    /// Listing sync daemons.
    ListDaemons,
    /// Starting a sync daemon.
    StartDaemon(DaemonRole),
    /// Stopping a sync daemon.
    StopDaemon(DaemonRole),
    /// The acknowledgement that closes a batch datagram.
    Barrier,
    /// Changing a setting of the handle.
    Configure,
    /// Planning a reconcile (checking the desired table and the guards).
    Reconcile,
    /// Watching the table (setting a watch up; its listings fail as
    /// [`ListServices`](Self::ListServices) and
    /// [`ListDestinations`](Self::ListDestinations)).
    Watch,
    /// Writing a scrape's metrics (feature `prometheus`).
    Scrape,
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Connect => f.write_str("connect to IPVS"),
            Self::ListServices => f.write_str("list services"),
            Self::GetService(k) => write!(f, "get service {k}"),
            Self::AddService(k) => write!(f, "add service {k}"),
            Self::UpdateService(k) => write!(f, "update service {k}"),
            Self::DeleteService(k) => write!(f, "delete service {k}"),
            Self::ListDestinations(k) => write!(f, "list destinations of {k}"),
            Self::AddDestination(k, d) => write!(f, "add destination {d} to {k}"),
            Self::UpdateDestination(k, d) => write!(f, "update destination {d} of {k}"),
            Self::DeleteDestination(k, d) => write!(f, "delete destination {d} of {k}"),
            Self::GetDestination(k, d) => write!(f, "get destination {d} of {k}"),
            Self::Drain(k, d) => write!(f, "drain destination {d} of {k}"),
            Self::Flush => f.write_str("flush"),
            Self::Zero(Some(k)) => write!(f, "zero counters of {k}"),
            Self::Zero(None) => f.write_str("zero all counters"),
            Self::GetTimeouts => f.write_str("get timeouts"),
            Self::SetTimeouts => f.write_str("set timeouts"),
            Self::GetInfo => f.write_str("get info"),
            Self::ListDaemons => f.write_str("list sync daemons"),
            Self::StartDaemon(r) => write!(f, "start {} sync daemon", role(*r)),
            Self::StopDaemon(r) => write!(f, "stop {} sync daemon", role(*r)),
            Self::Barrier => f.write_str("batch barrier"),
            Self::Configure => f.write_str("configure the handle"),
            Self::Reconcile => f.write_str("reconcile"),
            Self::Watch => f.write_str("watch the table"),
            Self::Scrape => f.write_str("scrape the table's metrics"),
        }
    }
}

fn role(r: DaemonRole) -> &'static str {
    match r {
        DaemonRole::Master => "master",
        DaemonRole::Backup => "backup",
    }
}

/// An errno the kernel answered with, and its extended ack text if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KernelError {
    /// The positive errno value.
    pub errno: i32,
    /// The kernel's extended ack message.
    pub message: Option<String>,
}

impl KernelError {
    /// The symbolic name, such as `EEXIST`.
    pub fn name(&self) -> &'static str {
        errno_name(self.errno)
    }
}

impl fmt::Display for KernelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (errno {})", self.name(), self.errno)?;
        if let Some(m) = &self.message {
            write!(f, ": {m}")?;
        }
        Ok(())
    }
}

fn errno_name(e: i32) -> &'static str {
    match e {
        1 => "EPERM",
        2 => "ENOENT",
        3 => "ESRCH",
        12 => "ENOMEM",
        13 => "EACCES",
        16 => "EBUSY",
        17 => "EEXIST",
        19 => "ENODEV",
        22 => "EINVAL",
        34 => "ERANGE",
        90 => "EMSGSIZE",
        92 => "ENOPROTOOPT",
        95 => "EOPNOTSUPP",
        97 => "EAFNOSUPPORT",
        105 => "ENOBUFS",
        _ => "errno",
    }
}

/// Why an operation failed. Kernel answers are mapped by what the errno
/// means for that command (EEXIST, ESRCH and ENOENT differ per command).
///
/// It is `Clone`: I/O errors are shared (`Arc`), with their errno kept.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The "IPVS" generic netlink family is not registered: the `ip_vs`
    /// module is not loaded (`modprobe ip_vs`) or the kernel lacks IPVS.
    #[error("IPVS is not available in this kernel (load it with `modprobe ip_vs`)")]
    IpvsUnavailable,
    /// EPERM: every IPVS command needs CAP_NET_ADMIN in the initial user
    /// namespace.
    #[error("permission denied: IPVS needs CAP_NET_ADMIN in the initial user namespace ({0})")]
    PermissionDenied(KernelError),
    /// NEW_SERVICE: EEXIST.
    #[error("service already exists ({0})")]
    ServiceExists(KernelError),
    /// ESRCH for any command naming a service.
    #[error("no such service ({0})")]
    ServiceNotFound(KernelError),
    /// NEW_DEST: EEXIST.
    #[error("destination already exists ({0})")]
    DestinationExists(KernelError),
    /// SET_DEST / DEL_DEST: ENOENT.
    #[error("no such destination ({0})")]
    DestinationNotFound(KernelError),
    /// The service exists but its listing has no such destination (IPVS
    /// has no command that reads one destination, so reading one lists its
    /// service). The kernel's own ENOENT for SET_DEST and DEL_DEST is
    /// [`DestinationNotFound`](Self::DestinationNotFound).
    #[error("no such destination in the service's listing")]
    NoSuchDestination,
    /// NEW_SERVICE / SET_SERVICE: ENOENT, no module `ip_vs_<name>` or
    /// `ip_vs_pe_<name>`.
    #[error("scheduler or persistence engine not found ({0})")]
    SchedulerNotFound(KernelError),
    /// EINVAL.
    #[error("invalid argument ({0})")]
    InvalidArgument(KernelError),
    /// ERANGE.
    #[error("value out of range ({0})")]
    OutOfRange(KernelError),
    /// NEW_DAEMON: EEXIST.
    #[error("sync daemon of that role already running ({0})")]
    DaemonRunning(KernelError),
    /// DEL_DAEMON: ESRCH.
    #[error("no sync daemon of that role is running ({0})")]
    DaemonNotRunning(KernelError),
    /// NEW_DAEMON: ENODEV.
    #[error("no such interface ({0})")]
    NoSuchInterface(KernelError),
    /// EAFNOSUPPORT.
    #[error("address family not supported ({0})")]
    AddressFamilyNotSupported(KernelError),
    /// Any other errno.
    #[error("kernel error {0}")]
    Kernel(KernelError),
    /// The request was not valid; nothing was sent.
    #[error("invalid request: {0}")]
    Build(#[from] BuildError),
    /// No answer within the deadline.
    #[error("no answer from the kernel within {0:?}")]
    Timeout(Duration),
    /// The socket's receive buffer overran (ENOBUFS): replies were lost, so
    /// the result would be incomplete. The handle must reconnect.
    #[error("receive buffer overrun: the kernel dropped replies")]
    Overrun,
    /// The kernel's reply could not be parsed.
    #[error("malformed reply: {0}")]
    Decode(#[from] DecodeError),
    /// A socket error.
    #[error("I/O error: {0}")]
    Io(#[source] Arc<io::Error>),
    /// The request was sent, but no answer says whether the kernel applied
    /// it: the acknowledged no-op closing it failed, or the kernel's answers
    /// were lost (a receive buffer overrun, a deadline, a broken socket)
    /// before one covered it. Neither a success nor a failure: read the
    /// table back.
    #[error("sent without confirmation: whether the kernel applied it is unknown")]
    Unconfirmed,
    /// A reply of another kind than the operation expects: a
    /// [`Reply`](crate::Reply) handed to the `into_*` of another request's
    /// reply, for example `into_services` of an acknowledgement.
    #[error("expected {expected} in reply, got {got}")]
    UnexpectedReply {
        /// The kind the operation answers with.
        expected: &'static str,
        /// The kind it got.
        got: &'static str,
    },
    /// A batch stopped before sending this operation (stop-at-first-error).
    #[error("not sent: an earlier operation of the batch failed")]
    NotSent,
    /// A consistent listing was asked for, but the table kept changing.
    #[error("the table changed during each of {0} listings")]
    Inconsistent(u32),
    /// A dump collected more entries than
    /// [`Config::max_dump_entries`](crate::Config::max_dump_entries) allows.
    #[error("the dump had more than {0} entries (Config::max_dump_entries)")]
    DumpTooLarge(usize),
    /// The call took longer than
    /// [`Config::deadline`](crate::Config::deadline), although the kernel
    /// kept answering.
    #[error("the call did not finish within its deadline of {0:?}")]
    DeadlineExceeded(Duration),
    /// The network namespace could not be opened or entered.
    #[error(transparent)]
    Netns(#[from] NetnsError),
    /// A setting of the handle is out of range; nothing was changed.
    #[error("invalid setting: {0}")]
    Config(#[from] ConfigError),
    /// A reconcile refused its desired table or its plan; nothing was sent.
    #[error("refused, nothing sent: {0}")]
    Reconcile(#[from] ReconcileError),
    /// A watch's interval or a listing's time was refused; nothing was
    /// listed.
    #[error("{0}")]
    Watch(#[from] WatchError),
    /// The metrics text could not be written (a metric's encoder failed).
    #[error("the metrics text could not be written")]
    MetricsText,
}

/// A network namespace that could not be opened or entered, with the path
/// tried and what to do about it.
#[derive(Debug, Clone, thiserror::Error)]
#[error("network namespace {netns}: {}{}", .source, hint(.source))]
pub struct NetnsError {
    /// The namespace as given: a name, a path, or the calling thread's.
    pub netns: String,
    /// The system's error, with its errno.
    #[source]
    pub source: Arc<io::Error>,
}

fn hint(e: &io::Error) -> &'static str {
    match e.raw_os_error() {
        Some(2) => " (no such namespace; `ip netns add NAME` creates a named one)",
        Some(22) => " (not a network namespace file)",
        Some(1) => " (entering a network namespace needs CAP_SYS_ADMIN)",
        Some(13) => " (permission denied on the namespace file)",
        _ => "",
    }
}

/// A setting of a handle that is out of range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// [`BatchLimits::max_messages`](crate::BatchLimits::max_messages) must
    /// be between 1 and [`BatchLimits::MAX_MESSAGES`](crate::BatchLimits::MAX_MESSAGES).
    #[error("batch limit of {0} messages per datagram is outside 1..={max}", max = crate::BatchLimits::MAX_MESSAGES)]
    BatchMessages(usize),
    /// [`BatchLimits::max_bytes`](crate::BatchLimits::max_bytes) must be
    /// between [`BatchLimits::MIN_BYTES`](crate::BatchLimits::MIN_BYTES) and
    /// [`BatchLimits::MAX_BYTES`](crate::BatchLimits::MAX_BYTES).
    #[error("batch limit of {0} bytes per datagram is outside {min}..={max}", min = crate::BatchLimits::MIN_BYTES, max = crate::BatchLimits::MAX_BYTES)]
    BatchBytes(usize),
}

impl From<io::Error> for ErrorKind {
    fn from(e: io::Error) -> Self {
        Self::Io(Arc::new(e))
    }
}

impl From<WatchError> for Error {
    fn from(e: WatchError) -> Self {
        Self::new(Operation::Watch, ErrorKind::Watch(e))
    }
}

impl From<ReconcileError> for Error {
    fn from(e: ReconcileError) -> Self {
        Self::new(Operation::Reconcile, ErrorKind::Reconcile(e))
    }
}

/// An operation that failed, and why.
///
/// Its `Debug` form starts with the `Display` text, so that a `main`
/// returning `Result<(), Error>` prints a sentence a person can act on,
/// followed by the operation and kind as values (`{:#?}` gives just those,
/// as a struct). It is `Clone`.
#[derive(Clone, thiserror::Error)]
#[error("{}: {}", .0.operation, .0.kind)]
pub struct Error(Box<Inner>);

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if f.alternate() {
            return f
                .debug_struct("Error")
                .field("operation", &self.0.operation)
                .field("kind", &self.0.kind)
                .finish();
        }
        write!(
            f,
            "{self}\n\nDetails: operation {:?}, kind {:?}",
            self.0.operation, self.0.kind
        )
    }
}

#[derive(Debug, Clone)]
struct Inner {
    operation: Operation,
    kind: ErrorKind,
}

impl Error {
    /// An error of `operation`.
    pub fn new(operation: Operation, kind: ErrorKind) -> Self {
        Self(Box::new(Inner { operation, kind }))
    }

    /// What failed.
    pub fn operation(&self) -> &Operation {
        &self.0.operation
    }

    /// Why it failed.
    pub fn kind(&self) -> &ErrorKind {
        &self.0.kind
    }

    /// Takes the reason.
    pub fn into_kind(self) -> ErrorKind {
        self.0.kind
    }

    /// The kernel's errno, when the kernel answered with one.
    pub fn errno(&self) -> Option<i32> {
        self.kernel_error().map(|k| k.errno)
    }

    /// The kernel's answer, when the kernel answered with an errno.
    pub fn kernel_error(&self) -> Option<&KernelError> {
        use ErrorKind::*;
        match &self.0.kind {
            PermissionDenied(k)
            | ServiceExists(k)
            | ServiceNotFound(k)
            | DestinationExists(k)
            | DestinationNotFound(k)
            | SchedulerNotFound(k)
            | InvalidArgument(k)
            | OutOfRange(k)
            | DaemonRunning(k)
            | DaemonNotRunning(k)
            | NoSuchInterface(k)
            | AddressFamilyNotSupported(k)
            | Kernel(k) => Some(k),
            _ => None,
        }
    }

    /// Maps a kernel errno by what it means for `operation`.
    pub(crate) fn from_kernel(operation: Operation, k: KernelError) -> Self {
        use Operation as O;
        const ENOENT: i32 = 2;
        const ESRCH: i32 = 3;
        const EEXIST: i32 = 17;
        let kind = match (k.errno, &operation) {
            (1 | 13, _) => ErrorKind::PermissionDenied(k),
            (ENOENT, O::Connect) => ErrorKind::IpvsUnavailable,
            (EEXIST, O::AddService(_)) => ErrorKind::ServiceExists(k),
            (EEXIST, O::AddDestination(..)) => ErrorKind::DestinationExists(k),
            (EEXIST, O::StartDaemon(_)) => ErrorKind::DaemonRunning(k),
            (ESRCH, O::StopDaemon(_)) => ErrorKind::DaemonNotRunning(k),
            (ESRCH, _) => ErrorKind::ServiceNotFound(k),
            (ENOENT, O::AddService(_) | O::UpdateService(_)) => ErrorKind::SchedulerNotFound(k),
            (ENOENT, O::UpdateDestination(..) | O::DeleteDestination(..)) => {
                ErrorKind::DestinationNotFound(k)
            }
            (19, _) => ErrorKind::NoSuchInterface(k),
            (22, _) => ErrorKind::InvalidArgument(k),
            (34, _) => ErrorKind::OutOfRange(k),
            (97, _) => ErrorKind::AddressFamilyNotSupported(k),
            (105, _) => ErrorKind::Overrun,
            _ => ErrorKind::Kernel(k),
        };
        Self::new(operation, kind)
    }
}

/// The result of this crate's operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_clone_with_their_errno_and_text() {
        let e = Error::new(Operation::Connect, io::Error::from_raw_os_error(2).into());
        let copy = e.clone();
        let ErrorKind::Io(io) = copy.kind() else {
            panic!("{copy:?}")
        };
        assert_eq!(io.raw_os_error(), Some(2));
        assert_eq!(copy.to_string(), e.to_string());
        let ns = NetnsError {
            netns: "/run/netns/x".into(),
            source: Arc::new(io::Error::from_raw_os_error(1)),
        };
        assert!(
            ns.clone()
                .to_string()
                .ends_with("(entering a network namespace needs CAP_SYS_ADMIN)"),
            "{ns}"
        );
    }

    fn kind(op: Operation, errno: i32) -> ErrorKind {
        let k = KernelError {
            errno,
            message: None,
        };
        Error::from_kernel(op, k).into_kind()
    }

    #[test]
    fn errno_means_what_it_means_for_the_command() {
        let key = ServiceKey::tcp("10.0.0.1:80".parse().unwrap());
        let dest: SocketAddr = "10.0.1.1:80".parse().unwrap();
        use ErrorKind as K;
        use Operation as O;
        assert!(matches!(kind(O::Connect, 2), K::IpvsUnavailable));
        assert!(matches!(kind(O::AddService(key), 17), K::ServiceExists(_)));
        assert!(matches!(
            kind(O::AddDestination(key, dest), 17),
            K::DestinationExists(_)
        ));
        assert!(matches!(
            kind(O::StartDaemon(DaemonRole::Master), 17),
            K::DaemonRunning(_)
        ));
        assert!(matches!(
            kind(O::StopDaemon(DaemonRole::Backup), 3),
            K::DaemonNotRunning(_)
        ));
        assert!(matches!(
            kind(O::DeleteService(key), 3),
            K::ServiceNotFound(_)
        ));
        assert!(matches!(
            kind(O::AddDestination(key, dest), 3),
            K::ServiceNotFound(_)
        ));
        assert!(matches!(
            kind(O::AddService(key), 2),
            K::SchedulerNotFound(_)
        ));
        assert!(matches!(
            kind(O::UpdateService(key), 2),
            K::SchedulerNotFound(_)
        ));
        assert!(matches!(
            kind(O::UpdateDestination(key, dest), 2),
            K::DestinationNotFound(_)
        ));
        assert!(matches!(
            kind(O::DeleteDestination(key, dest), 2),
            K::DestinationNotFound(_)
        ));
        assert!(matches!(kind(O::ListServices, 1), K::PermissionDenied(_)));
        assert!(matches!(
            kind(O::StartDaemon(DaemonRole::Master), 19),
            K::NoSuchInterface(_)
        ));
        assert!(matches!(
            kind(O::AddDestination(key, dest), 22),
            K::InvalidArgument(_)
        ));
        assert!(matches!(
            kind(O::AddDestination(key, dest), 34),
            K::OutOfRange(_)
        ));
        assert!(matches!(
            kind(O::AddService(key), 97),
            K::AddressFamilyNotSupported(_)
        ));
        assert!(matches!(kind(O::Flush, 105), K::Overrun));
        assert!(matches!(kind(O::Flush, 95), K::Kernel(_)));
        let e = Error::from_kernel(
            O::AddService(key),
            KernelError {
                errno: 22,
                message: Some("bad netmask".into()),
            },
        );
        assert_eq!(
            e.to_string(),
            "add service tcp:10.0.0.1:80: invalid argument (EINVAL (errno 22): bad netmask)"
        );
    }

    #[test]
    fn debug_leads_with_the_sentence() {
        let key = ServiceKey::tcp("10.0.0.1:80".parse().unwrap());
        let e = Error::from_kernel(
            Operation::DeleteService(key),
            KernelError {
                errno: 3,
                message: None,
            },
        );
        // What `fn main() -> Result<(), Error>` prints after "Error: ".
        assert_eq!(
            format!("{e:?}"),
            "delete service tcp:10.0.0.1:80: no such service (ESRCH (errno 3))\n\n\
             Details: operation DeleteService(Addr { protocol: Tcp, addr: 10.0.0.1:80 }), \
             kind ServiceNotFound(KernelError { errno: 3, message: None })"
        );
        let alternate = format!("{e:#?}");
        assert!(
            alternate.starts_with("Error {\n    operation: DeleteService("),
            "{alternate}"
        );
        assert!(alternate.contains("kind: ServiceNotFound("), "{alternate}");
    }
}

//! A drop-in clone of `ipvsadm` 1.31 built only on this crate's public API.
//!
//! ```text
//! ipvsadm -A -t 10.0.0.1:80 -s rr
//! ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1:8080 -m -w 3
//! ipvsadm -Ln --stats
//! ipvsadm -Sn > rules && ipvsadm -C && ipvsadm -R < rules
//! ```
//!
//! It takes ipvsadm's command line (every command and option, short and
//! long, with popt's grammar: see `popt.rs` for why the parser is
//! hand-written), prints the same listings byte for byte, and fails with the
//! same messages and exit codes: 2 for a bad command line, 255 for a command
//! the kernel refused (the message is libipvs's `ipvs_strerror` text), 1 for
//! a listing that failed.
//!
//! `-R` reads rules from standard input and sends all of them as one
//! pipelined batch ([`Handle::batch`] with [`OnError::Continue`]): ipvsadm
//! applies the lines one by one, prints the error of each failing line and
//! goes on, and exits with the status of the last line; the batch keeps that.
//! A line ipvsadm cannot parse ends ipvsadm at once (exit 2) after the lines
//! before it were applied: here those lines are sent, their errors printed,
//! then the parse error. Listing commands inside `-R` input run in order
//! between batches.
//!
//! Names: without `-n`, addresses and ports are named from `/etc/hosts` and
//! `/etc/services` (what glibc's resolver answers when no DNS server
//! answers, as in the test bed); hosts are not looked up over DNS.
//!
//! The option coverage table and the deliberate differences are in
//! `examples/ipvsadm/COMPAT.md`; `tests/kernel/ipvsadm_compat.rs` checks it
//! against the real ipvsadm.

mod list;
mod names;
mod popt;

use std::io::{BufRead, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::process::ExitCode;

use ipvs_netlink::wire::constants::af::{INET as AF_INET, INET6 as AF_INET6};
use ipvs_netlink::{
    BuildError, DaemonRole, Destination, Error, ErrorKind, Family, ForwardMethod, Handle, Netmask,
    OnError, Protocol, RawForward, RawTunnel, Request, Scheduler, Service, ServiceFlags,
    ServiceKey, ServiceUpdate, SyncDaemon, Timeouts,
};

use popt::{Def, Kind, Next, Options, Parser};

/// How the program ends early: exit status, and what to print.
#[derive(Debug)]
pub struct Exit {
    code: u8,
    out: String,
    err: String,
}

impl Exit {
    /// Exit with `code` after printing `msg` and a newline on stderr (an
    /// empty `msg` prints nothing).
    pub fn err(code: u8, msg: String) -> Self {
        let err = if msg.is_empty() { msg } else { msg + "\n" };
        Self {
            code,
            out: String::new(),
            err,
        }
    }

    /// Prints `out` on stdout first.
    pub fn with_out(mut self, out: &str) -> Self {
        self.out.insert_str(0, out);
        self
    }
}

/// ipvsadm's `fail()`: message, exit 2.
fn fail(msg: impl Into<String>) -> Exit {
    Exit::err(2, msg.into())
}

/// The libipvs function an error came from (its messages depend on it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Func {
    AddService,
    UpdateService,
    DelService,
    ZeroService,
    AddDest,
    UpdateDest,
    DelDest,
    StartDaemon,
    StopDaemon,
    GetServices,
    GetDests,
    GetService,
    Other,
}

const EPERM: i32 = 1;
const ENOENT: i32 = 2;
const ESRCH: i32 = 3;
const EEXIST: i32 = 17;
const ERANGE: i32 = 34;

/// libipvs's `ipvs_strerror` for an error of this crate.
pub fn ipvs_strerror(func: Func, e: &Error) -> String {
    let errno = match e.errno() {
        Some(n) => n,
        None => match e.kind() {
            // The crate refuses these before sending; the kernel says ERANGE.
            ErrorKind::Build(BuildError::Thresholds { .. } | BuildError::Weight(_)) => ERANGE,
            ErrorKind::IpvsUnavailable => ENOENT,
            _ => return e.to_string(),
        },
    };
    use Func as F;
    let specific = match (func, errno) {
        (F::AddService, EEXIST) => Some("Service already exists"),
        (F::AddService | F::UpdateService, ENOENT) => {
            Some("Scheduler or persistence engine not found")
        }
        (
            F::UpdateService
            | F::DelService
            | F::ZeroService
            | F::GetServices
            | F::GetDests
            | F::GetService,
            ESRCH,
        ) => Some("No such service"),
        (F::AddDest | F::UpdateDest | F::DelDest, ESRCH) => Some("Service not defined"),
        (F::AddDest, EEXIST) => Some("Destination already exists"),
        (F::UpdateDest | F::DelDest, ENOENT) => Some("No such destination"),
        (F::StartDaemon, EEXIST) => Some("Daemon has already run"),
        (F::StopDaemon, ESRCH) => Some("No daemon is running"),
        (_, EPERM) => Some("Permission denied (you must be root)"),
        (_, 22) => {
            Some("Invalid operation.  Possibly wrong module version, address not unicast, ...")
        }
        (_, 92) => Some("Protocol not available"),
        (_, 12) => Some("Memory allocation problem"),
        (_, 95) => Some("Operation not supported with IPv6"),
        (_, 97) => Some("Operation not supported with specified address family"),
        (_, 90) => Some("Module is wrong version"),
        _ => None,
    };
    specific.map_or_else(|| strerror(errno), str::to_owned)
}

/// glibc's `strerror` for the errnos IPVS answers with.
fn strerror(errno: i32) -> String {
    let s = match errno {
        1 => "Operation not permitted",
        2 => "No such file or directory",
        3 => "No such process",
        5 => "Input/output error",
        12 => "Cannot allocate memory",
        13 => "Permission denied",
        16 => "Device or resource busy",
        17 => "File exists",
        19 => "No such device",
        22 => "Invalid argument",
        28 => "No space left on device",
        34 => "Numerical result out of range",
        90 => "Message too long",
        92 => "Protocol not available",
        95 => "Operation not supported",
        97 => "Address family not supported by protocol",
        99 => "Cannot assign requested address",
        105 => "No buffer space available",
        110 => "Connection timed out",
        111 => "Connection refused",
        _ => return format!("Unknown error {errno}"),
    };
    s.to_owned()
}

// Commands (ipvsadm's CMD_*), 1-based.
const CMD_ADD: usize = 1;
const CMD_EDIT: usize = 2;
const CMD_DEL: usize = 3;
const CMD_FLUSH: usize = 4;
const CMD_LIST: usize = 5;
const CMD_ADDDEST: usize = 6;
const CMD_DELDEST: usize = 7;
const CMD_EDITDEST: usize = 8;
const CMD_TIMEOUT: usize = 9;
const CMD_STARTDAEMON: usize = 10;
const CMD_STOPDAEMON: usize = 11;
const CMD_RESTORE: usize = 12;
const CMD_SAVE: usize = 13;
const CMD_ZERO: usize = 14;

const CMDNAMES: [&str; 14] = [
    "add-service",
    "edit-service",
    "delete-service",
    "flush",
    "list",
    "add-server",
    "delete-server",
    "edit-server",
    "set",
    "start-daemon",
    "stop-daemon",
    "restore",
    "save",
    "zero",
];

// Options (ipvsadm's OPTC_*), bit numbers.
const OPTC_NUMERIC: u32 = 0;
const OPTC_CONNECTION: u32 = 1;
const OPTC_SERVICE: u32 = 2;
const OPTC_SCHEDULER: u32 = 3;
const OPTC_PERSISTENT: u32 = 4;
const OPTC_NETMASK: u32 = 5;
const OPTC_SERVER: u32 = 6;
const OPTC_FORWARD: u32 = 7;
const OPTC_WEIGHT: u32 = 8;
const OPTC_UTHRESHOLD: u32 = 9;
const OPTC_LTHRESHOLD: u32 = 10;
const OPTC_MCAST: u32 = 11;
const OPTC_TIMEOUT: u32 = 12;
const OPTC_DAEMON: u32 = 13;
const OPTC_STATS: u32 = 14;
const OPTC_RATE: u32 = 15;
const OPTC_THRESHOLDS: u32 = 16;
const OPTC_PERSISTENTCONN: u32 = 17;
const OPTC_NOSORT: u32 = 18;
const OPTC_SYNCID: u32 = 19;
const OPTC_EXACT: u32 = 20;
const OPTC_ONEPACKET: u32 = 21;
const OPTC_PE: u32 = 22;
const OPTC_SCHED_FLAGS: u32 = 23;
const OPTC_MCAST_GROUP: u32 = 24;
const OPTC_MCAST_PORT: u32 = 25;
const OPTC_MCAST_TTL: u32 = 26;
const OPTC_SYNC_MAXLEN: u32 = 27;
const OPTC_TUN_INFO: u32 = 28;
const OPTC_TUN_TYPE: u32 = 29;
const OPTC_TUN_PORT: u32 = 30;
const OPTC_TUN_NOCSUM: u32 = 31;
const OPTC_TUN_CSUM: u32 = 32;
const OPTC_TUN_REMCSUM: u32 = 33;
const NUMBER_OF_OPT: u32 = 34;

const OPTNAMES: [&str; 34] = [
    "numeric",
    "connection",
    "service-address",
    "scheduler",
    "persistent",
    "netmask",
    "real-server",
    "forwarding-method",
    "weight",
    "u-threshold",
    "l-threshold",
    "mcast-interface",
    "timeout",
    "daemon",
    "stats",
    "rate",
    "thresholds",
    "persistent-conn",
    "nosort",
    "syncid",
    "exact",
    "ops",
    "pe",
    "sched-flags",
    "mcast-group",
    "mcast-port",
    "mcast-ttl",
    "sync-maxlen",
    "tun-info",
    "tun-type",
    "tun-port",
    "tun-nocsum",
    "tun-csum",
    "tun-remcsum",
];

/// Which options each command takes: `+` needed, `x` refused, `1` at most
/// one of the `1`s, `.` optional (ipvsadm's `commands_v_options`).
const COMMANDS_V_OPTIONS: [&str; 14] = [
    "xx+...xxxxxxxxxxxxxxx...xxxxxxxxxx",
    "xx+...xxxxxxxxxxxxxxx...xxxxxxxxxx",
    "xx+xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    ".11xxxxxxxxx11.......xxxxxxx.xxxxx",
    "xx+xxx+....xxxxxxxxxxxxxxxxxx.....",
    "xx+xxx+xxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "xx+xxx+....xxxxxxxxxxxxxxxxxx.....",
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "xxxxxxxxxxx.xxxxxxx.xxxx....xxxxxx",
    "xxxxxxxxxxxxxxxxxxx.xxxxxxxxxxxxxx",
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    ".xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "xx.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
];

/// Tunnel types against the tunnel options (port, nocsum, csum, remcsum).
const TUNNEL_TYPES_V_OPTIONS: [&str; 3] = ["xxxx", "+111", "x11x"];
const TUNOPTS: [u32; 4] = [
    OPTC_TUN_PORT,
    OPTC_TUN_NOCSUM,
    OPTC_TUN_CSUM,
    OPTC_TUN_REMCSUM,
];
const TUNNAMES: [&str; 3] = ["ipip", "gue", "gre"];

const F_PERSISTENT: u32 = 0x1;
const F_ONEPACKET: u32 = 0x4;
const F_SCHED1: u32 = 0x8;
const F_SCHED2: u32 = 0x10;
const F_SCHED3: u32 = 0x20;
const FWD_MASQ: u32 = 0;
const FWD_TUNNEL: u32 = 2;
const FWD_DROUTE: u32 = 3;
const DEF_SCHED: &str = "wlc";
const DEF_MCAST_IFN: &str = "eth0";
const MAX_TIMEOUT: i64 = 86400 * 31;
const PERSISTENT_TIMEOUT: u32 = 360;
const VERSION: &str = "ipvsadm v1.31 2019/12/24 (compiled with popt and IPVS v1.2.1)";

const fn def(long: &'static str, short: Option<char>, kind: Kind, tag: Tag) -> Def<Tag> {
    Def {
        long,
        short,
        kind,
        tag,
    }
}

/// What an option of [`OPTIONS`] is: a command, or what it sets after
/// the command.
#[derive(Clone, Copy)]
enum Tag {
    /// A command (`CMD_*`) that takes no value.
    Command(usize),
    /// `--start-daemon`, whose value is the role.
    StartDaemon,
    /// `--stop-daemon`, whose value is the role.
    StopDaemon,
    /// `-h`.
    Help,
    /// `-v`.
    Version,
    /// An option after the command: its bit (`OPTC_*`) and what it sets.
    Option(u32, Opt),
    /// `--sort`, which does nothing.
    Sort,
    /// `-6`, which has no bit.
    Ipv6,
}

/// [`OPTIONS`] with its short letters indexed.
const OPTION_TABLE: Options<Tag> = Options::new(OPTIONS);

/// ipvsadm's popt table, with what each option is.
#[rustfmt::skip]
const OPTIONS: &[Def<Tag>] = {
    use DaemonOpt as D;
    use Kind::{None as Flag, Optional, Required};
    use ServerOpt as R;
    use ServiceOpt as S;
    use Tag::Command as Cmd;
    // The options after the command, by what they set: their bit, and how.
    /// A service option.
    const fn svc(optc: u32, o: ServiceOpt) -> Tag {
        Tag::Option(optc, Opt::Service(o))
    }
    /// A real server option.
    const fn srv(optc: u32, o: ServerOpt) -> Tag {
        Tag::Option(optc, Opt::Server(o))
    }
    /// A sync daemon option.
    const fn dmn(optc: u32, o: DaemonOpt) -> Tag {
        Tag::Option(optc, Opt::Daemon(o))
    }
    /// A listing option, with its format bit.
    const fn lst(optc: u32, format: u32) -> Tag {
        Tag::Option(optc, Opt::Listing(format))
    }
    &[
        def("add-service", Some('A'), Flag, Cmd(CMD_ADD)),
        def("edit-service", Some('E'), Flag, Cmd(CMD_EDIT)),
        def("delete-service", Some('D'), Flag, Cmd(CMD_DEL)),
        def("clear", Some('C'), Flag, Cmd(CMD_FLUSH)),
        def("list", Some('L'), Flag, Cmd(CMD_LIST)),
        def("list", Some('l'), Flag, Cmd(CMD_LIST)),
        def("zero", Some('Z'), Flag, Cmd(CMD_ZERO)),
        def("add-server", Some('a'), Flag, Cmd(CMD_ADDDEST)),
        def("edit-server", Some('e'), Flag, Cmd(CMD_EDITDEST)),
        def("delete-server", Some('d'), Flag, Cmd(CMD_DELDEST)),
        def("set", None, Flag, Cmd(CMD_TIMEOUT)),
        def("help", Some('h'), Flag, Tag::Help),
        def("version", Some('v'), Flag, Tag::Version),
        def("restore", Some('R'), Flag, Cmd(CMD_RESTORE)),
        def("save", Some('S'), Flag, Cmd(CMD_SAVE)),
        def("start-daemon", None, Required, Tag::StartDaemon),
        def("stop-daemon", None, Required, Tag::StopDaemon),
        def("tcp-service", Some('t'), Required, svc(OPTC_SERVICE, S::Addr(6))),
        def("udp-service", Some('u'), Required, svc(OPTC_SERVICE, S::Addr(17))),
        def("sctp-service", None, Required, svc(OPTC_SERVICE, S::Addr(132))),
        def("fwmark-service", Some('f'), Required, svc(OPTC_SERVICE, S::FwMark)),
        def("scheduler", Some('s'), Required, svc(OPTC_SCHEDULER, S::Scheduler)),
        def("persistent", Some('p'), Optional, svc(OPTC_PERSISTENT, S::Persistent)),
        def("netmask", Some('M'), Required, svc(OPTC_NETMASK, S::Netmask)),
        def("real-server", Some('r'), Required, srv(OPTC_SERVER, R::Addr)),
        def("masquerading", Some('m'), Flag, srv(OPTC_FORWARD, R::Forward(FWD_MASQ))),
        def("ipip", Some('i'), Flag, srv(OPTC_FORWARD, R::Forward(FWD_TUNNEL))),
        def("gatewaying", Some('g'), Flag, srv(OPTC_FORWARD, R::Forward(FWD_DROUTE))),
        def("weight", Some('w'), Required, srv(OPTC_WEIGHT, R::Weight)),
        def("u-threshold", Some('x'), Required, srv(OPTC_UTHRESHOLD, R::UThreshold)),
        def("l-threshold", Some('y'), Required, srv(OPTC_LTHRESHOLD, R::LThreshold)),
        def("numeric", Some('n'), Flag, lst(OPTC_NUMERIC, list::NUMERIC)),
        def("connection", Some('c'), Flag, lst(OPTC_CONNECTION, 0)),
        def("mcast-interface", None, Required, dmn(OPTC_MCAST, D::Interface)),
        def("syncid", None, Required, dmn(OPTC_SYNCID, D::SyncId)),
        def("timeout", None, Flag, lst(OPTC_TIMEOUT, 0)),
        def("daemon", None, Flag, lst(OPTC_DAEMON, 0)),
        def("stats", None, Flag, lst(OPTC_STATS, list::STATS)),
        def("rate", None, Flag, lst(OPTC_RATE, list::RATE)),
        def("thresholds", None, Flag, lst(OPTC_THRESHOLDS, list::THRESHOLDS)),
        def("persistent-conn", None, Flag, lst(OPTC_PERSISTENTCONN, list::PERSISTENTCONN)),
        def("nosort", None, Flag, lst(OPTC_NOSORT, list::NOSORT)),
        def("sort", None, Flag, Tag::Sort),
        def("exact", Some('X'), Flag, lst(OPTC_EXACT, list::EXACT)),
        def("ipv6", Some('6'), Flag, Tag::Ipv6),
        def("ops", Some('o'), Flag, svc(OPTC_ONEPACKET, S::OnePacket)),
        def("pe", None, Required, svc(OPTC_PE, S::Pe)),
        def("sched-flags", Some('b'), Required, Tag::Option(OPTC_SCHED_FLAGS, Opt::SchedFlags)),
        def("mcast-group", None, Required, dmn(OPTC_MCAST_GROUP, D::Group)),
        def("mcast-port", None, Required, dmn(OPTC_MCAST_PORT, D::Port)),
        def("mcast-ttl", None, Required, dmn(OPTC_MCAST_TTL, D::Ttl)),
        def("sync-maxlen", None, Required, dmn(OPTC_SYNC_MAXLEN, D::MaxLen)),
        def("tun-info", None, Flag, lst(OPTC_TUN_INFO, list::TUN_INFO)),
        def("tun-type", None, Required, srv(OPTC_TUN_TYPE, R::TunType)),
        def("tun-port", None, Required, srv(OPTC_TUN_PORT, R::TunPort)),
        def("tun-nocsum", None, Flag, srv(OPTC_TUN_NOCSUM, R::TunNoCsum)),
        def("tun-csum", None, Flag, srv(OPTC_TUN_CSUM, R::TunCsum)),
        def("tun-remcsum", None, Flag, srv(OPTC_TUN_REMCSUM, R::TunRemCsum)),
    ]
};

/// ipvsadm's `ipvs_service_t` while parsing; its names borrow from the
/// command line.
#[derive(Clone, Default)]
struct Svc<'a> {
    af: u16,
    protocol: u16,
    addr: Option<IpAddr>,
    port: u16,
    fwmark: u32,
    sched: &'a str,
    flags: u32,
    timeout: u32,
    /// IPv4: the mask as a host-order number; IPv6: the prefix length.
    netmask: u32,
    pe: &'a str,
}

/// ipvsadm's `ipvs_dest_t` while parsing.
#[derive(Clone, Default)]
struct Dest {
    addr: Option<IpAddr>,
    port: u16,
    conn_flags: u32,
    weight: u32,
    u_threshold: u32,
    l_threshold: u32,
    tun_type: usize,
    tun_port: u16,
    tun_flags: u16,
}

/// ipvsadm's `ipvs_daemon_t` while parsing.
#[derive(Clone, Default)]
struct Daemon<'a> {
    role: Option<DaemonRole>,
    ifn: &'a str,
    syncid: u32,
    maxlen: u16,
    group: Option<IpAddr>,
    port: u16,
    ttl: u8,
}

/// One parsed command line, borrowing from it.
#[derive(Clone, Default)]
pub(crate) struct Command<'a> {
    cmd: usize,
    options: u64,
    format: u32,
    svc: Svc<'a>,
    dest: Dest,
    daemon: Daemon<'a>,
    timeouts: [u32; 3],
}

/// What parsing a command line led to.
// Not boxed: `-R` parses a command per line, and matches it at once.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Parsed<'a> {
    Command(Command<'a>),
    /// popt's own error, printed; the command's result is -1.
    PoptError(String),
}

fn tryhelp(program: &str) -> Exit {
    Exit::err(
        255,
        format!("Try `{program} -h' or '{program} --help' for more information."),
    )
}

fn usage(program: &str) -> String {
    let p = program;
    format!(
        "{VERSION}\n\
Usage:\n  \
{p} -A|E virtual-service [-s scheduler] [-p [timeout]] [-M netmask] [--pe persistence_engine] [-b sched-flags]\n  \
{p} -D virtual-service\n  \
{p} -C\n  \
{p} -R\n  \
{p} -S [-n]\n  \
{p} -a|e virtual-service -r server-address [options]\n  \
{p} -d virtual-service -r server-address\n  \
{p} -L|l [virtual-service] [options]\n  \
{p} -Z [virtual-service]\n  \
{p} --set tcp tcpfin udp\n  \
{p} --start-daemon {{master|backup}} [daemon-options]\n  \
{p} --stop-daemon {{master|backup}}\n  \
{p} -h\n\n\
Commands:\n\
Either long or short options are allowed.\n  \
--add-service     -A        add virtual service with options\n  \
--edit-service    -E        edit virtual service with options\n  \
--delete-service  -D        delete virtual service\n  \
--clear           -C        clear the whole table\n  \
--restore         -R        restore rules from stdin\n  \
--save            -S        save rules to stdout\n  \
--add-server      -a        add real server with options\n  \
--edit-server     -e        edit real server with options\n  \
--delete-server   -d        delete real server\n  \
--list            -L|-l     list the table\n  \
--zero            -Z        zero counters in a service or all services\n  \
--set tcp tcpfin udp        set connection timeout values\n  \
--start-daemon              start connection sync daemon\n  \
--stop-daemon               stop connection sync daemon\n  \
--help            -h        display this help message\n\n\
virtual-service:\n  \
--tcp-service|-t  service-address   service-address is host[:port]\n  \
--udp-service|-u  service-address   service-address is host[:port]\n  \
--sctp-service    service-address   service-address is host[:port]\n  \
--fwmark-service|-f fwmark          fwmark is an integer greater than zero\n\n\
Options:\n  \
--ipv6         -6                   fwmark entry uses IPv6\n  \
--scheduler    -s scheduler         one of rr|wrr|lc|wlc|lblc|lblcr|dh|sh|sed|nq|fo|ovf|mh,\n                                      \
the default scheduler is wlc.\n  \
--pe            engine              alternate persistence engine may be sip,\n                                      \
not set by default.\n  \
--persistent   -p [timeout]         persistent service\n  \
--netmask      -M netmask           persistent granularity mask\n  \
--real-server  -r server-address    server-address is host (and port)\n  \
--gatewaying   -g                   gatewaying (direct routing) (default)\n  \
--ipip         -i                   ipip encapsulation (tunneling)\n  \
--masquerading -m                   masquerading (NAT)\n  \
--tun-type      type                one of ipip|gue|gre,\n                                      \
the default tunnel type is ipip.\n  \
--tun-port      port                tunnel destination port\n  \
--tun-nocsum                        tunnel encapsulation without checksum\n  \
--tun-csum                          tunnel encapsulation with checksum\n  \
--tun-remcsum                       tunnel encapsulation with remote checksum\n  \
--weight       -w weight            capacity of real server\n  \
--u-threshold  -x uthreshold        upper threshold of connections\n  \
--l-threshold  -y lthreshold        lower threshold of connections\n  \
--connection   -c                   output of current IPVS connections\n  \
--timeout                           output of timeout (tcp tcpfin udp)\n  \
--daemon                            output of daemon information\n  \
--stats                             output of statistics information\n  \
--rate                              output of rate information\n  \
--exact                             expand numbers (display exact values)\n  \
--thresholds                        output of thresholds information\n  \
--persistent-conn                   output of persistent connection info\n  \
--tun-info                          output of tunnel information\n  \
--nosort                            disable sorting output of service/server entries\n  \
--sort                              does nothing, for backwards compatibility\n  \
--ops          -o                   one-packet scheduling\n  \
--numeric      -n                   numeric output of addresses and ports\n  \
--sched-flags  -b flags             scheduler flags (comma-separated)\n\
Daemon Options:\n  \
--syncid sid                        syncid for connection sync (default=255)\n  \
--sync-maxlen length                Max sync message length (default=1472)\n  \
--mcast-interface interface         multicast interface for connection sync\n  \
--mcast-group address               IPv4/IPv6 group (default=224.0.0.81)\n  \
--mcast-port port                   UDP port (default=8848)\n  \
--mcast-ttl ttl                     Multicast TTL (default=1)\n"
    )
}

/// An address and port as ipvsadm's `parse_service` reads them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct HostPort {
    addr: IpAddr,
    /// The port, when the address names one.
    port: Option<u16>,
}

/// ipvsadm's `parse_service`: `host[:port]` or `[ipv6]:port`, the port a
/// number or a service name of `protocol`; `None` where it fails (returns
/// no `SERVICE_ADDR` bit).
fn parse_service(buf: &str, protocol: u16) -> Option<HostPort> {
    // The common form first (`-R` reads two addresses a line).
    match names::dotted_quad_port(buf.as_bytes()) {
        Some((a4, port)) => Some(HostPort {
            addr: IpAddr::V4(a4),
            port: Some(port),
        }),
        None => parse_service_in_full(buf, protocol),
    }
}

/// [`parse_service`] step by step, as ipvsadm reads any address. The
/// common form `a.b.c.d:port` it reads as [`names::dotted_quad_port`]
/// does: not all digits, no bracket, one colon (so not tried as IPv6), a
/// host that inet_aton reads as a dotted quad, and a port number.
fn parse_service_in_full(buf: &str, protocol: u16) -> Option<HostPort> {
    if buf.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut buf = buf;
    let mut port_str: Option<&str> = None;
    if let Some(rest) = buf.strip_prefix('[') {
        let close = rest.find(']')?;
        port_str = Some(rest[close + 1..].strip_prefix(':')?);
        buf = &rest[..close];
    }
    // An IPv6 address has two colons at least: anything else is not tried
    // as one (`-R` parses two addresses per line).
    let ipv6 = buf.bytes().filter(|&b| b == b':').nth(1).is_some();
    let addr = match ipv6.then(|| names::pton6(buf)).flatten() {
        Some(a6) => IpAddr::V6(a6),
        None => {
            let host = match buf.rfind(':') {
                Some(i) => {
                    port_str = Some(&buf[i + 1..]);
                    &buf[..i]
                }
                // A bracketed address that is not IPv6 loses its port.
                None => {
                    port_str = None;
                    buf
                }
            };
            IpAddr::V4(names::inet_aton(host).or_else(|| names::host_to_addr(host))?)
        }
    };
    let port = match port_str {
        Some(p) => Some(match names::string_to_number(p, 0, 65535) {
            Some(n) => n as u16,
            None => names::service_to_port(p, protocol)?,
        }),
        None => None,
    };
    Some(HostPort { addr, port })
}

/// The service address that a line of `-R` input read last: `ipvsadm -S`
/// writes a service's address again on the line of each of its
/// destinations, and reading it is most of a line's work.
#[derive(Default)]
pub(crate) struct LastService<'a>(Option<(&'a str, u16, HostPort)>);

impl<'a> LastService<'a> {
    /// `parse_service(buf, protocol)`, the last one's result when it read
    /// the same (what it reads, `/etc/hosts` and `/etc/services`, is read
    /// once).
    fn parse(&mut self, buf: &'a str, protocol: u16) -> Option<HostPort> {
        if let Some((b, p, hp)) = self.0 {
            if b == buf && p == protocol {
                return Some(hp);
            }
        }
        let hp = parse_service(buf, protocol)?;
        self.0 = Some((buf, protocol, hp));
        Some(hp)
    }
}

fn parse_timeout(buf: Option<&str>, min: i64, max: i64) -> Result<u32, Exit> {
    let Some(buf) = buf else {
        return Ok(PERSISTENT_TIMEOUT);
    };
    names::string_to_number(buf, min, max)
        .map(|n| n as u32)
        .ok_or_else(|| fail(format!("invalid timeout value `{buf}' specified")))
}

fn parse_fwmark(buf: &str) -> Result<u32, Exit> {
    match names::string_to_number(buf, i64::MIN, i64::MAX) {
        Some(n) if n > 0 && n <= i64::from(u32::MAX) => Ok(n as u32),
        _ => Err(fail(format!("invalid fwmark value `{buf}' specified"))),
    }
}

fn parse_sched_flags(sched: &str, arg: &str) -> Result<u32, Exit> {
    let sched = if sched.is_empty() { DEF_SCHED } else { sched };
    let mut flags = 0;
    // strtok: empty pieces are skipped; an argument of only commas gives
    // one empty flag.
    let mut pieces: Vec<&str> = arg.split(',').filter(|p| !p.is_empty()).collect();
    if pieces.is_empty() {
        pieces.push("");
    }
    for flag in pieces {
        let (bit, needs) = match flag {
            "flag-1" => (F_SCHED1, None),
            "flag-2" => (F_SCHED2, None),
            "flag-3" => (F_SCHED3, None),
            "sh-fallback" => (F_SCHED1, Some("sh")),
            "sh-port" => (F_SCHED2, Some("sh")),
            "mh-fallback" => (F_SCHED1, Some("mh")),
            "mh-port" => (F_SCHED2, Some("mh")),
            _ => return Err(fail(format!("invalid scheduler flag `{flag}'"))),
        };
        flags |= bit;
        if needs.is_some_and(|s| s != sched) {
            return Err(fail(format!("incompatible scheduler flag `{flag}'")));
        }
    }
    Ok(flags)
}

fn set_option(options: &mut u64, optc: u32) -> Result<(), Exit> {
    let bit = 1u64 << optc;
    if *options & bit != 0 {
        return Err(fail(format!(
            "multiple '{}' options specified",
            OPTNAMES[optc as usize]
        )));
    }
    *options |= bit;
    Ok(())
}

fn number(v: Option<&str>, min: i64, max: i64, what: &str) -> Result<i64, Exit> {
    names::string_to_number(v.unwrap_or(""), min, max)
        .ok_or_else(|| fail(format!("illegal {what} specified")))
}

/// ipvsadm's `parse_options` and the checks of `process_options`.
pub(crate) fn parse_command<'a>(program: &str, args: &[&'a str]) -> Result<Parsed<'a>, Exit> {
    parse_line(program, args, &mut LastService::default())
}

/// [`parse_command`] for a line of `-R` input, which reads the service
/// address through `last`, the lines' last one.
pub(crate) fn parse_line<'a>(
    program: &str,
    args: &[&'a str],
    last: &mut LastService<'a>,
) -> Result<Parsed<'a>, Exit> {
    let mut ce = Command::default();
    ce.dest.weight = 1;
    ce.dest.conn_flags = FWD_DROUTE;
    ce.svc.netmask = 0xffff_ffff;
    let mut p = Parser::new(&OPTION_TABLE, args);
    (ce.cmd, ce.daemon.role) = parse_command_option(program, &mut p)?;
    let mut sched_flags_arg = "";
    loop {
        let (tag, value, word) = match p.next_opt() {
            Next::Opt(t, v, w) => (t, v, w),
            Next::Error(msg) => return Ok(Parsed::PoptError(msg)),
            Next::End => break,
        };
        parse_option(&mut ce, &mut sched_flags_arg, tag, value, word, last)?;
    }
    parse_arguments(&mut p, &mut ce)?;
    if !sched_flags_arg.is_empty() {
        ce.svc.flags &= !(F_SCHED1 | F_SCHED2 | F_SCHED3);
        ce.svc.flags |= parse_sched_flags(ce.svc.sched, sched_flags_arg)?;
    }

    generic_opt_check(ce.cmd, ce.options)?;
    match ce.cmd {
        CMD_ADD | CMD_EDIT => check_service(&mut ce.svc)?,
        CMD_STARTDAEMON if ce.daemon.ifn.is_empty() => ce.daemon.ifn = DEF_MCAST_IFN,
        CMD_ADDDEST | CMD_EDITDEST => check_server(&ce.svc, &mut ce.dest, ce.options)?,
        CMD_LIST => check_list(ce.options)?,
        _ => {}
    }
    Ok(Parsed::Command(ce))
}

/// The first option, which names the command (ipvsadm's `CMD_*`), and the
/// role `--start-daemon` / `--stop-daemon` take; `-h` and `-v` end here.
fn parse_command_option(
    program: &str,
    p: &mut Parser<'_, '_, Tag>,
) -> Result<(usize, Option<DaemonRole>), Exit> {
    let (tag, value) = match p.next_opt() {
        Next::Opt(tag, value, _) => (tag, value.unwrap_or_default()),
        Next::Error(_) | Next::End => return Err(tryhelp(program)),
    };
    let cmd = match tag {
        Tag::Command(cmd) => cmd,
        Tag::StartDaemon | Tag::StopDaemon => {
            let start = matches!(tag, Tag::StartDaemon);
            let role = match value {
                "master" => DaemonRole::Master,
                "backup" => DaemonRole::Backup,
                _ if start => return Err(fail("illegal start-daemon parameter specified")),
                _ => return Err(fail("illegal start_daemon specified")),
            };
            let cmd = if start {
                CMD_STARTDAEMON
            } else {
                CMD_STOPDAEMON
            };
            return Ok((cmd, Some(role)));
        }
        Tag::Help => {
            return Err(Exit {
                code: 0,
                out: usage(program),
                err: String::new(),
            })
        }
        Tag::Version => {
            return Err(Exit {
                code: 0,
                out: format!("{VERSION}\n"),
                err: String::new(),
            })
        }
        Tag::Option(..) | Tag::Sort | Tag::Ipv6 => return Err(tryhelp(program)),
    };
    Ok((cmd, None))
}

/// What an option after the command sets.
#[derive(Clone, Copy)]
enum Opt {
    Service(ServiceOpt),
    /// `-b`: read once the scheduler is known.
    SchedFlags,
    Server(ServerOpt),
    Daemon(DaemonOpt),
    /// A listing option, with its format bit (0 for none).
    Listing(u32),
}

/// The service options.
#[derive(Clone, Copy)]
enum ServiceOpt {
    /// `-t`, `-u`, `--sctp-service`, with the protocol number.
    Addr(u16),
    FwMark,
    Scheduler,
    Persistent,
    Netmask,
    OnePacket,
    Pe,
}

/// The real server options.
#[derive(Clone, Copy)]
enum ServerOpt {
    Addr,
    /// `-m`, `-i`, `-g`, with the forwarding method.
    Forward(u32),
    Weight,
    UThreshold,
    LThreshold,
    TunType,
    TunPort,
    TunNoCsum,
    TunCsum,
    TunRemCsum,
}

/// The sync daemon options.
#[derive(Clone, Copy)]
enum DaemonOpt {
    Interface,
    SyncId,
    Group,
    Port,
    Ttl,
    MaxLen,
}

/// One option after the command, as it comes: it is refused if given
/// before, then its value is read (so the first bad option wins).
fn parse_option<'a>(
    ce: &mut Command<'a>,
    sched_flags_arg: &mut &'a str,
    tag: Tag,
    value: Option<&'a str>,
    word: &str,
    last: &mut LastService<'a>,
) -> Result<(), Exit> {
    let (optc, opt) = match tag {
        Tag::Option(optc, opt) => (optc, opt),
        Tag::Sort => return Ok(()),
        Tag::Ipv6 => return ipv6_fwmark(&mut ce.svc),
        _ => return Err(fail(format!("invalid option `{word}'"))),
    };
    set_option(&mut ce.options, optc)?;
    match opt {
        Opt::Service(o) => service_option(&mut ce.svc, o, value, last)?,
        Opt::SchedFlags => *sched_flags_arg = names::truncated(value.unwrap_or(""), 127),
        Opt::Server(o) => server_option(&mut ce.dest, &ce.svc, o, value)?,
        Opt::Daemon(o) => daemon_option(&mut ce.daemon, o, value)?,
        Opt::Listing(bit) => ce.format |= bit,
    }
    Ok(())
}

/// `-6`: the firewall-mark service given before is IPv6.
fn ipv6_fwmark(svc: &mut Svc<'_>) -> Result<(), Exit> {
    if svc.fwmark == 0 {
        return Err(fail("-6 used before -f\n"));
    }
    svc.af = AF_INET6;
    svc.netmask = 128;
    Ok(())
}

fn service_option<'a>(
    svc: &mut Svc<'a>,
    opt: ServiceOpt,
    v: Option<&'a str>,
    last: &mut LastService<'a>,
) -> Result<(), Exit> {
    let s = v.unwrap_or("");
    match opt {
        ServiceOpt::Addr(protocol) => {
            svc.protocol = protocol;
            let Some(hp) = last.parse(s, protocol) else {
                return Err(fail("illegal virtual server address[:port] specified"));
            };
            svc.addr = Some(hp.addr);
            if hp.addr.is_ipv6() {
                svc.af = AF_INET6;
                svc.netmask = 128;
            } else {
                svc.af = AF_INET;
            }
            if let Some(port) = hp.port {
                svc.port = port;
            }
        }
        ServiceOpt::FwMark => {
            svc.af = AF_INET;
            svc.protocol = 6;
            svc.fwmark = parse_fwmark(s)?;
        }
        ServiceOpt::Scheduler => svc.sched = names::truncated(s, 15),
        ServiceOpt::Persistent => {
            svc.flags |= F_PERSISTENT;
            svc.timeout = parse_timeout(v, 1, MAX_TIMEOUT)?;
        }
        ServiceOpt::Netmask if svc.af != AF_INET6 => {
            match names::inet_aton(s).or_else(|| names::host_to_addr(s)) {
                Some(m) => svc.netmask = u32::from(m),
                None => return Err(fail("illegal virtual server persistent mask specified")),
            }
        }
        ServiceOpt::Netmask => {
            let n = names::atoi(s);
            if !(1..=128).contains(&n) {
                return Err(fail("illegal ipv6 netmask specified"));
            }
            svc.netmask = n as u32;
        }
        ServiceOpt::OnePacket => svc.flags |= F_ONEPACKET,
        ServiceOpt::Pe => svc.pe = names::truncated(s, 16),
    }
    Ok(())
}

/// A real server option; `-r` reads the address as a service's, and takes
/// the service's port when it names none.
fn server_option(
    dest: &mut Dest,
    svc: &Svc<'_>,
    opt: ServerOpt,
    v: Option<&str>,
) -> Result<(), Exit> {
    let s = v.unwrap_or("");
    match opt {
        ServerOpt::Addr => {
            let Some(hp) = parse_service(s, svc.protocol) else {
                return Err(fail("illegal real server address[:port] specified"));
            };
            dest.addr = Some(hp.addr);
            dest.port = hp.port.unwrap_or(svc.port);
        }
        ServerOpt::Forward(method) => dest.conn_flags = method,
        ServerOpt::Weight => {
            dest.weight = number(v, 0, i64::from(i32::MAX), "weight")? as u32;
        }
        ServerOpt::UThreshold => {
            dest.u_threshold = number(v, 0, i64::from(i32::MAX), "u_threshold")? as u32;
        }
        ServerOpt::LThreshold => {
            dest.l_threshold = number(v, 0, i64::from(i32::MAX), "l_threshold")? as u32;
        }
        ServerOpt::TunType => {
            dest.tun_type = TUNNAMES
                .iter()
                .position(|n| *n == s)
                .ok_or_else(|| fail("illegal tunnel type specified"))?;
        }
        ServerOpt::TunPort => dest.tun_port = number(v, 1, 65535, "tunnel port")? as u16,
        ServerOpt::TunNoCsum => {}
        ServerOpt::TunCsum => dest.tun_flags |= 1,
        ServerOpt::TunRemCsum => dest.tun_flags |= 2,
    }
    Ok(())
}

fn daemon_option<'a>(
    daemon: &mut Daemon<'a>,
    opt: DaemonOpt,
    v: Option<&'a str>,
) -> Result<(), Exit> {
    let s = v.unwrap_or("");
    match opt {
        DaemonOpt::Interface => daemon.ifn = names::truncated(s, 15),
        DaemonOpt::SyncId => daemon.syncid = number(v, 0, 255, "syncid")? as u32,
        DaemonOpt::Group if s.contains(':') => match names::pton6(s) {
            Some(g) if g.is_multicast() => daemon.group = Some(IpAddr::V6(g)),
            _ => return Err(fail(format!("invalid IPv6 mcast-group `{s}'"))),
        },
        DaemonOpt::Group => match names::pton4(s) {
            Some(g) if g.is_multicast() => daemon.group = Some(IpAddr::V4(g)),
            _ => return Err(fail(format!("invalid IPv4 mcast-group `{s}'"))),
        },
        DaemonOpt::Port => daemon.port = number(v, 1, 65535, "mcast-port")? as u16,
        DaemonOpt::Ttl => daemon.ttl = number(v, 1, 255, "mcast-ttl")? as u8,
        DaemonOpt::MaxLen => {
            daemon.maxlen = number(v, 1, 65535 - 20 - 8, "sync-maxlen")? as u16;
        }
    }
    Ok(())
}

/// The words that are not options: `--set`'s three timeouts, and none for
/// the other commands.
fn parse_arguments(p: &mut Parser<'_, '_, Tag>, ce: &mut Command<'_>) -> Result<(), Exit> {
    if ce.cmd == CMD_TIMEOUT {
        match (p.take_arg(), p.take_arg(), p.take_arg()) {
            (Some(a), Some(b), Some(c)) => {
                ce.timeouts = [
                    parse_timeout(Some(a), 0, MAX_TIMEOUT)?,
                    parse_timeout(Some(b), 0, MAX_TIMEOUT)?,
                    parse_timeout(Some(c), 0, MAX_TIMEOUT)?,
                ];
            }
            _ => return Err(fail("--set option requires 3 timeout values")),
        }
    }
    if let Some(a) = p.take_arg() {
        return Err(fail(format!("unexpected argument {a}")));
    }
    Ok(())
}

/// `-A` and `-E`: a port unless persistent, one-packet scheduling only for
/// UDP, the default scheduler.
fn check_service(svc: &mut Svc<'_>) -> Result<(), Exit> {
    if svc.fwmark == 0 && svc.port == 0 && svc.flags & F_PERSISTENT == 0 {
        return Err(fail("Zero port specified for non-persistent service"));
    }
    if svc.flags & F_ONEPACKET != 0 && svc.fwmark == 0 && svc.protocol != 17 {
        return Err(fail(
            "One-Packet Scheduling is only for UDP virtual services",
        ));
    }
    if svc.sched.is_empty() {
        svc.sched = DEF_SCHED;
    }
    Ok(())
}

/// `-a` and `-e`: the service's port for tunnelled and direct-routed
/// servers, a different family or tunnel options only with tunnelling.
fn check_server(svc: &Svc<'_>, dest: &mut Dest, options: u64) -> Result<(), Exit> {
    let fwd = dest.conn_flags;
    if svc.fwmark == 0 && (fwd == FWD_TUNNEL || fwd == FWD_DROUTE) {
        dest.port = svc.port;
    }
    let dest_af = match dest.addr {
        Some(IpAddr::V6(_)) => AF_INET6,
        Some(IpAddr::V4(_)) => AF_INET,
        None => 0,
    };
    if dest_af != svc.af && fwd != FWD_TUNNEL {
        return Err(fail(
            "Different address family is allowed only for tunneling servers",
        ));
    }
    let tun_opts = (1u64 << OPTC_TUN_TYPE)
        | (1 << OPTC_TUN_PORT)
        | (1 << OPTC_TUN_NOCSUM)
        | (1 << OPTC_TUN_CSUM)
        | (1 << OPTC_TUN_REMCSUM);
    if options & tun_opts == 0 {
        // No tunnel option: the tunnel type is the default, ipip, which
        // takes none.
        return Ok(());
    }
    if fwd != FWD_TUNNEL {
        return Err(fail("Tunnel options conflict with forward method"));
    }
    tunnel_opt_check(dest.tun_type, options)
}

/// `-L`: connections, timeouts and daemons list without counters, and
/// timeouts and daemons without persistent connections.
fn check_list(options: u64) -> Result<(), Exit> {
    let has = |c: u32| options & (1u64 << c) != 0;
    if ((has(OPTC_CONNECTION) || has(OPTC_TIMEOUT) || has(OPTC_DAEMON))
        && (has(OPTC_STATS) || has(OPTC_RATE) || has(OPTC_THRESHOLDS)))
        || ((has(OPTC_TIMEOUT) || has(OPTC_DAEMON)) && has(OPTC_PERSISTENTCONN))
    {
        return Err(fail("options conflicts in the list command"));
    }
    Ok(())
}

/// The options a row of [`COMMANDS_V_OPTIONS`] marks, as bit masks.
#[derive(Clone, Copy)]
struct OptionMasks {
    /// `+`: the command needs them.
    required: u64,
    /// `x`: the command refuses them.
    illegal: u64,
    /// `1`: the command takes one of them at most.
    one_of: u64,
}

/// The masks of each command's row of [`COMMANDS_V_OPTIONS`].
const COMMAND_MASKS: [OptionMasks; COMMANDS_V_OPTIONS.len()] = {
    let none = OptionMasks {
        required: 0,
        illegal: 0,
        one_of: 0,
    };
    let mut masks = [none; COMMANDS_V_OPTIONS.len()];
    let mut i = 0;
    while i < masks.len() {
        let row = COMMANDS_V_OPTIONS[i].as_bytes();
        let mut j = 0;
        while j < NUMBER_OF_OPT as usize {
            let bit = 1u64 << j;
            match row[j] {
                b'+' => masks[i].required |= bit,
                b'x' => masks[i].illegal |= bit,
                b'1' => masks[i].one_of |= bit,
                _ => {}
            }
            j += 1;
        }
        i += 1;
    }
    masks
};

fn generic_opt_check(command: usize, options: u64) -> Result<(), Exit> {
    let i = command - 1;
    // Most lines pass: checked by masks, and only a failing one is walked
    // option by option for ipvsadm's first error.
    let m = COMMAND_MASKS[i];
    if m.required & !options == 0
        && m.illegal & options == 0
        && (m.one_of & options).count_ones() <= 1
    {
        return Ok(());
    }
    walk_opt_check(i, options)
}

/// ipvsadm's check of each option against row `i` of [`COMMANDS_V_OPTIONS`],
/// in order: its first error.
fn walk_opt_check(i: usize, options: u64) -> Result<(), Exit> {
    let row = COMMANDS_V_OPTIONS[i].as_bytes();
    let mut last = 0usize;
    let mut count = 0;
    for j in 0..NUMBER_OF_OPT as usize {
        if options & (1u64 << j) == 0 {
            if row[j] == b'+' {
                return Err(fail(format!(
                    "You need to supply the '{}' option for the '{}' command",
                    OPTNAMES[j], CMDNAMES[i]
                )));
            }
        } else {
            if row[j] == b'x' {
                return Err(fail(format!(
                    "Illegal '{}' option with the '{}' command",
                    OPTNAMES[j], CMDNAMES[i]
                )));
            }
            if row[j] == b'1' {
                count += 1;
                if count == 1 {
                    last = j;
                    continue;
                }
                return Err(fail(format!(
                    "The option '{}' conflicts with the '{}' option in the '{}' command",
                    OPTNAMES[j], OPTNAMES[last], CMDNAMES[i]
                )));
            }
        }
    }
    Ok(())
}

fn tunnel_opt_check(tun_type: usize, options: u64) -> Result<(), Exit> {
    let row = TUNNEL_TYPES_V_OPTIONS[tun_type].as_bytes();
    let mut last = 0usize;
    let mut count = 0;
    for (j, &k) in TUNOPTS.iter().enumerate() {
        let k = k as usize;
        if options & (1u64 << k) == 0 {
            if row[j] == b'+' {
                return Err(fail(format!(
                    "You need to supply the '{}' option for the '{}' tunnel type",
                    OPTNAMES[k], TUNNAMES[tun_type]
                )));
            }
        } else {
            if row[j] == b'x' {
                return Err(fail(format!(
                    "Illegal '{}' option with the '{}' tunnel type",
                    OPTNAMES[k], TUNNAMES[tun_type]
                )));
            }
            if row[j] == b'1' {
                count += 1;
                if count == 1 {
                    last = k;
                    continue;
                }
                return Err(fail(format!(
                    "The option '{}' conflicts with the '{}' option in the '{}' tunnel type",
                    OPTNAMES[k], OPTNAMES[last], TUNNAMES[tun_type]
                )));
            }
        }
    }
    Ok(())
}

/// The crate's key for the parsed service (an all-zero service when none
/// was given, as ipvsadm sends).
fn service_key(svc: &Svc<'_>) -> ServiceKey {
    if svc.fwmark != 0 {
        // -f set AF_INET, and -6 AF_INET6: the conversion does not fail.
        let family = Family::try_from(svc.af).unwrap_or(Family::Ipv4);
        return ServiceKey::fwmark(family, svc.fwmark);
    }
    let ip = svc.addr.unwrap_or(if svc.af == AF_INET6 {
        IpAddr::V6(Ipv6Addr::UNSPECIFIED)
    } else {
        IpAddr::V4(Ipv4Addr::UNSPECIFIED)
    });
    ServiceKey::from((Protocol::from(svc.protocol), ip, svc.port))
}

fn service(svc: &Svc<'_>) -> Result<Service, BuildError> {
    let key = service_key(svc);
    let mut s = Service::new(key, Scheduler::from_name(svc.sched)?);
    s.flags = ServiceFlags::from_bits_retain(svc.flags);
    s.timeout = svc.timeout;
    s.netmask = match key.family() {
        Family::Ipv6 => Netmask::V6(u8::try_from(svc.netmask).unwrap_or(128)),
        Family::Ipv4 => Netmask::V4(Ipv4Addr::from(svc.netmask)),
    };
    s.persistence_engine = (!svc.pe.is_empty()).then(|| svc.pe.to_owned());
    Ok(s)
}

/// The destination of the parsed `ipvs_dest_t`, whose forwarding and tunnel
/// fields are the values libipvs sends.
fn destination(d: &Dest) -> Destination {
    let ip = d.addr.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    let raw = RawForward {
        method: d.conn_flags,
        tunnel: RawTunnel {
            kind: d.tun_type as u8,
            port: d.tun_port,
            flags: d.tun_flags,
        },
    };
    // The method is one of -m, -i, -g's (0, 2, 3), which always convert.
    let forward = ForwardMethod::try_from(raw).unwrap_or(ForwardMethod::DirectRoute);
    Destination::new(SocketAddr::new(ip, d.port))
        .forward(forward)
        .weight(d.weight)
        .thresholds(d.l_threshold, d.u_threshold)
}

/// The request a table-changing command makes, and the libipvs function
/// whose messages its errors take.
pub(crate) fn request(ce: &Command<'_>) -> Option<(Func, Result<Request, BuildError>)> {
    let key = service_key(&ce.svc);
    let has_service = ce.options & (1u64 << OPTC_SERVICE) != 0;
    Some(match ce.cmd {
        CMD_FLUSH => (Func::Other, Ok(Request::Flush)),
        CMD_ADD => (Func::AddService, service(&ce.svc).map(Request::AddService)),
        CMD_EDIT => (
            Func::UpdateService,
            // ipvsadm sends every field: scheduler (wlc unless given),
            // all flags, and no persistence engine unless given.
            service(&ce.svc).map(|s| Request::UpdateService(ServiceUpdate::replace(&s))),
        ),
        CMD_DEL => (Func::DelService, Ok(Request::DeleteService(key))),
        CMD_ZERO => (
            Func::ZeroService,
            Ok(Request::Zero(has_service.then_some(key))),
        ),
        CMD_ADDDEST => (
            Func::AddDest,
            Ok(Request::AddDestination(key, destination(&ce.dest))),
        ),
        CMD_EDITDEST => (
            Func::UpdateDest,
            Ok(Request::UpdateDestination(key, destination(&ce.dest))),
        ),
        CMD_DELDEST => (
            Func::DelDest,
            Ok(Request::DeleteDestination(key, destination(&ce.dest).addr)),
        ),
        CMD_TIMEOUT => (
            Func::Other,
            Ok(Request::SetTimeouts(Timeouts {
                tcp: Some(ce.timeouts[0]),
                tcp_fin: Some(ce.timeouts[1]),
                udp: Some(ce.timeouts[2]),
            })),
        ),
        CMD_STARTDAEMON => {
            let d = &ce.daemon;
            let mut sd = SyncDaemon::new(
                d.role.unwrap_or(DaemonRole::Master),
                d.ifn.to_owned(),
                d.syncid,
            );
            sd.max_len = (d.maxlen != 0).then_some(d.maxlen);
            sd.group = d.group;
            sd.port = (d.port != 0).then_some(d.port);
            sd.ttl = (d.ttl != 0).then_some(d.ttl);
            (Func::StartDaemon, Ok(Request::StartDaemon(sd)))
        }
        CMD_STOPDAEMON => (
            Func::StopDaemon,
            Ok(Request::StopDaemon(
                ce.daemon.role.unwrap_or(DaemonRole::Master),
            )),
        ),
        _ => return None,
    })
}

/// What a run prints: standard output, written in chunks as it grows
/// ([`Output::spill`]), and standard error, written at the end.
#[derive(Debug, Default)]
pub struct Output {
    pub(crate) out: String,
    pub(crate) err: String,
}

/// The size of the chunks in which [`Output::spill`] writes standard
/// output.
const SPILL: usize = 64 * 1024;

impl Output {
    /// Writes the standard output held so far once it reaches [`SPILL`]
    /// bytes, so that a listing of a large table is not held whole.
    pub(crate) fn spill(&mut self) {
        if self.out.len() >= SPILL {
            let _ = std::io::stdout().write_all(self.out.as_bytes());
            self.out.clear();
        }
    }

    fn take(&mut self, e: Exit) -> u8 {
        self.out.push_str(&e.out);
        self.err.push_str(&e.err);
        e.code
    }
}

struct Ctx {
    handle: Handle,
    program: String,
    version: String,
    size: u32,
}

/// Runs one parsed command; `Ok(result)` is ipvsadm's `process_options`
/// result (0 or -1 as exit status 255).
fn execute(ctx: &mut Ctx, ce: &Command<'_>, o: &mut Output, in_restore: bool) -> Result<u8, Exit> {
    match ce.cmd {
        CMD_LIST => {
            let has = |c: u32| ce.options & (1u64 << c) != 0;
            let text = if has(OPTC_CONNECTION) {
                list::list_conn(ce.format)?
            } else if has(OPTC_SERVICE) {
                list::list_service(&mut ctx.handle, &service_key(&ce.svc), ce.format)?
            } else if has(OPTC_TIMEOUT) {
                list::list_timeout(&mut ctx.handle)?
            } else if has(OPTC_DAEMON) {
                list::list_daemon(&mut ctx.handle)?
            } else {
                list::list_all(&mut ctx.handle, ce.format, &ctx.version, ctx.size, o)?;
                return Ok(0);
            };
            o.out.push_str(&text);
            Ok(0)
        }
        CMD_SAVE => {
            list::list_all(
                &mut ctx.handle,
                ce.format | list::RULE,
                &ctx.version,
                ctx.size,
                o,
            )?;
            Ok(0)
        }
        CMD_RESTORE => {
            if in_restore {
                return Err(tryhelp(&ctx.program));
            }
            restore(ctx, o)
        }
        _ => {
            let Some((func, req)) = request(ce) else {
                return Ok(0);
            };
            let result = match req {
                Ok(r) => {
                    let mut results = ctx.handle.batch(vec![r], OnError::Continue);
                    results.pop().map(|r| r.map(|_| ()))
                }
                Err(e) => Some(Err(Error::new(
                    ipvs_netlink::Operation::Flush,
                    ErrorKind::Build(e),
                ))),
            };
            match result {
                Some(Err(e)) => {
                    o.err.push_str(&ipvs_strerror(func, &e));
                    o.err.push('\n');
                    Ok(255)
                }
                _ => Ok(0),
            }
        }
    }
}

/// A line of `-R` input waiting for the batch: its request's place in the
/// batch, or a result known without the kernel.
enum Pending {
    Request(usize, Func),
    Known(u8, String),
}

/// Sends the pending requests as one batch, prints each line's error in
/// order, and sets `result` to the last line's.
fn flush_batch(
    ctx: &mut Ctx,
    requests: &mut Vec<Request>,
    pending: &mut Vec<Pending>,
    o: &mut Output,
    result: &mut u8,
) {
    let results = if requests.is_empty() {
        Vec::new()
    } else {
        ctx.handle
            .batch(std::mem::take(requests), OnError::Continue)
    };
    for p in pending.drain(..) {
        match p {
            Pending::Request(i, func) => match results.get(i) {
                Some(Err(e)) => {
                    o.err.push_str(&ipvs_strerror(func, e));
                    o.err.push('\n');
                    *result = 255;
                }
                _ => *result = 0,
            },
            Pending::Known(code, msg) => {
                o.err.push_str(&msg);
                *result = code;
            }
        }
    }
}

/// The lines of `-R` input (as `str::lines` cuts them), each split into
/// config_stream_read's words, in one pass over the text: split on spaces,
/// tabs and carriage returns (all ASCII, so byte positions are character
/// boundaries), "ipvsadm" dropped.
pub(crate) struct RestoreLines<'a> {
    text: &'a str,
    /// Where the next line starts.
    pos: usize,
}

impl<'a> RestoreLines<'a> {
    /// The lines of `text`.
    pub(crate) fn new(text: &'a str) -> Self {
        Self { text, pos: 0 }
    }

    /// The next line's words into `words` (cleared first); `false` when no
    /// line is left.
    pub(crate) fn next_into(&mut self, words: &mut Vec<&'a str>) -> bool {
        words.clear();
        let bytes = self.text.as_bytes();
        let mut i = self.pos;
        if i >= bytes.len() {
            return false;
        }
        loop {
            while let Some(b' ' | b'\t' | b'\r') = bytes.get(i) {
                i += 1;
            }
            let start = i;
            while bytes.get(i).is_some_and(|&b| !ends_word(b)) {
                i += 1;
            }
            if i == start {
                // The end of the line, or of the text.
                break;
            }
            // Both ends are ASCII bytes or the end of the text.
            let word = &self.text[start..i];
            if word != "ipvsadm" {
                words.push(word);
            }
        }
        // Past the newline.
        self.pos = i + 1;
        true
    }
}

/// Whether `b` ends a word of `-R` input: a space, tab, carriage return or
/// newline (most bytes are above all of them).
fn ends_word(b: u8) -> bool {
    b <= b' ' && matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Requests sent per batch by `-R`: the input is read, parsed and sent in
/// pieces, so that restoring a large table never holds all of its rules,
/// requests and replies at once.
const RESTORE_BATCH: usize = 4096;

/// Bytes of input `-R` reads at a time (then to the end of the line).
const RESTORE_BLOCK: u64 = 256 * 1024;

/// `-R`: every line of standard input, the table changes sent in batches
/// of [`RESTORE_BATCH`], in order, each line's error printed as the batch
/// that holds it is answered.
fn restore(ctx: &mut Ctx, o: &mut Output) -> Result<u8, Exit> {
    let mut stdin = std::io::stdin().lock();
    let mut block = Vec::new();
    let mut requests = Vec::new();
    let mut pending = Vec::new();
    let mut result = 0u8;
    let mut at_end = false;
    while !at_end {
        // A block of whole lines. A read error ends the input, as it
        // ends ipvsadm's reading.
        block.clear();
        at_end = (&mut stdin)
            .take(RESTORE_BLOCK)
            .read_to_end(&mut block)
            .is_err()
            || (block.last() != Some(&b'\n')
                && !matches!(stdin.read_until(b'\n', &mut block), Ok(n) if n > 0));
        if block.is_empty() {
            break;
        }
        // Checked as UTF-8 first: the lossy conversion is slower on valid
        // text. A block ends after a newline, so no character is cut.
        let text = match std::str::from_utf8(&block) {
            Ok(text) => std::borrow::Cow::Borrowed(text),
            Err(_) => String::from_utf8_lossy(&block),
        };
        let mut words: Vec<&str> = Vec::new();
        let mut lines = RestoreLines::new(&text);
        let mut last = LastService::default();
        while lines.next_into(&mut words) {
            if words.is_empty() {
                continue;
            }
            match parse_line(&ctx.program, &words, &mut last) {
                Ok(Parsed::PoptError(msg)) => pending.push(Pending::Known(255, msg + "\n")),
                Ok(Parsed::Command(ce)) => match request(&ce) {
                    Some((func, Ok(r))) => {
                        pending.push(Pending::Request(requests.len(), func));
                        requests.push(r);
                        if requests.len() == RESTORE_BATCH {
                            flush_batch(ctx, &mut requests, &mut pending, o, &mut result);
                        }
                    }
                    Some((func, Err(e))) => {
                        let e = Error::new(ipvs_netlink::Operation::Flush, ErrorKind::Build(e));
                        pending.push(Pending::Known(255, ipvs_strerror(func, &e) + "\n"));
                    }
                    None => {
                        flush_batch(ctx, &mut requests, &mut pending, o, &mut result);
                        result = execute(ctx, &ce, o, true)?;
                    }
                },
                Err(e) => {
                    flush_batch(ctx, &mut requests, &mut pending, o, &mut result);
                    return Err(e);
                }
            }
        }
    }
    flush_batch(ctx, &mut requests, &mut pending, o, &mut result);
    Ok(result)
}

fn run(o: &mut Output) -> u8 {
    let mut args = std::env::args();
    let program = args.next().unwrap_or_else(|| "ipvsadm".to_owned());
    let args: Vec<String> = args.collect();
    let init = Handle::new().and_then(|mut h| h.get_info().map(|i| (h, i)));
    let (handle, info) = match init {
        Ok(x) => x,
        Err(e) => {
            return o.take(Exit::err(
                2,
                format!(
                    "Can't initialize ipvs: {}\nAre you sure that IP Virtual Server is built in the kernel or as module?",
                    ipvs_strerror(Func::Other, &e)
                ),
            ))
        }
    };
    let mut ctx = Ctx {
        handle,
        version: info.version.to_string(),
        size: info.conn_tab_size,
        program,
    };
    if args.is_empty() {
        return match list::list_all(&mut ctx.handle, 0, &ctx.version, ctx.size, o) {
            Ok(()) => 0,
            Err(e) => o.take(e),
        };
    }
    let program = ctx.program.clone();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match parse_command(&program, &args) {
        Ok(Parsed::PoptError(msg)) => {
            o.err.push_str(&msg);
            o.err.push('\n');
            255
        }
        Ok(Parsed::Command(ce)) => match execute(&mut ctx, &ce, o, false) {
            Ok(code) => code,
            Err(e) => o.take(e),
        },
        Err(e) => o.take(e),
    }
}

fn main() -> ExitCode {
    let mut o = Output::default();
    let code = run(&mut o);
    let _ = std::io::stdout().write_all(o.out.as_bytes());
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().write_all(o.err.as_bytes());
    ExitCode::from(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The masks pass exactly the option sets that the walk through the
    /// table passes.
    #[test]
    fn option_masks_agree_with_the_table() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut passed = 0;
        for (i, masks) in COMMAND_MASKS.iter().enumerate() {
            for n in 0..20_000 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                // Sparse sets, and the required options with a few more.
                let mut options = x & (x >> 11) & (x >> 23) & ((1 << NUMBER_OF_OPT) - 1);
                if n % 2 == 0 {
                    options |= masks.required;
                }
                let walked = walk_opt_check(i, options).is_ok();
                assert_eq!(
                    generic_opt_check(i + 1, options).is_ok(),
                    walked,
                    "command {i}, options {options:#x}"
                );
                passed += usize::from(walked);
            }
        }
        // Both outcomes were tried, many times each.
        assert!(
            (1000..14 * 20_000 - 1000).contains(&passed),
            "{passed} passed"
        );
    }

    /// The common address form is read as ipvsadm reads any address.
    #[test]
    fn common_addresses_read_as_in_full() {
        let common = [
            "10.1.2.3:80",
            "1.2.3.4:0",
            "255.255.255.255:65535",
            "0.0.0.0:1",
            "192.168.100.9:8080",
        ];
        let other = [
            "1.2.3.4:065535",
            "1.2.3.4:00080",
            "1.2.3.4:000080",
            "1.2.3.4:65536",
            "1.2.3.4:99999",
            "1.2.3.4:",
            "1.2.3.4",
            "01.2.3.4:80",
            "1.2.3.4:+80",
            "1.2.3.4:-0",
            "1.2.3.4: 80",
            "1.2.3.4:80 ",
            "[1.2.3.4]:80",
            "[::1]:80",
            "::1:80",
            "1.2.3.4:http",
            "1.2.3.4:8080:1",
            "1.2.3.256:80",
            "1.2.3:80",
            "1.2.3.4.5:80",
            "localhost:80",
            "80",
            "",
            ":80",
        ];
        let agree = |s: &str| {
            for protocol in [6, 17, 132] {
                assert_eq!(
                    parse_service(s, protocol),
                    parse_service_in_full(s, protocol),
                    "{s:?} {protocol}"
                );
            }
        };
        for s in common.iter().chain(&other) {
            agree(s);
        }
        for s in common {
            assert!(names::dotted_quad_port(s.as_bytes()).is_some(), "{s}");
            // Every one-byte change agrees too.
            for i in 0..s.len() {
                for b in [b'0', b'1', b'5', b'9', b'.', b':', b'x', b' ', b'+', b'['] {
                    let mut v = s.as_bytes().to_vec();
                    v[i] = b;
                    agree(&String::from_utf8(v).unwrap());
                }
            }
        }
    }

    /// A line's service address read through the last one is read as
    /// `parse_service` reads it.
    #[test]
    fn the_last_service_address_reads_as_parse_service() {
        let reads = [
            ("10.0.0.1:80", 6),
            ("10.0.0.1:80", 6),
            ("10.0.0.1:80", 17),
            ("10.0.0.1:http", 6),
            ("10.0.0.1:http", 17),
            ("10.0.0.1:http", 6),
            ("bad address", 6),
            ("10.0.0.1:80", 6),
            ("[fd00::1]:53", 17),
            ("[fd00::1]:53", 17),
            ("10.0.0.2", 6),
            ("10.0.0.1:80", 6),
        ];
        let mut last = LastService::default();
        for (s, protocol) in reads {
            assert_eq!(last.parse(s, protocol), parse_service(s, protocol), "{s}");
        }
    }

    /// `-R`'s words are ipvsadm's: split on spaces, tabs and carriage
    /// returns only, empty words dropped, other characters kept; lines are
    /// `str::lines`'.
    #[test]
    fn restore_lines_split_as_ipvsadm_splits_them() {
        let lines = [
            "",
            "   ",
            "-A -t 10.0.0.1:80 -s rr",
            "\t-a  -t 10.0.0.1:80\t-r 10.0.1.1 -m -w 1\r",
            "ipvsadm -A -u [fd00::1]:53",
            "-A\u{a0}-t é:80\u{2003}x",
            "\r\r-C",
            "-a -t a:1 -r b\n",
            "ipvsadm",
            "-A ipvsadm -t ipvsadmx:1 ipvsadm",
            "\n\n-D -t b:2\r\n\r\n",
            "-C\r",
            "-A\x0c-t\x0b 1.2.3.4:80 \x00",
        ];
        let split = |text: &str| -> Vec<Vec<String>> {
            let mut lines = RestoreLines::new(text);
            let mut words = Vec::new();
            let mut out = Vec::new();
            while lines.next_into(&mut words) {
                out.push(words.iter().map(|w| w.to_string()).collect());
            }
            out
        };
        let old = |text: &str| -> Vec<Vec<String>> {
            text.lines()
                .map(|line| {
                    line.split([' ', '\t', '\r'])
                        .filter(|w| !w.is_empty() && *w != "ipvsadm")
                        .map(str::to_owned)
                        .collect()
                })
                .collect()
        };
        for line in lines {
            assert_eq!(split(line), old(line), "{line:?}");
        }
        let all = lines.concat();
        assert_eq!(split(&all), old(&all));
        let all = lines.join("\n");
        assert_eq!(split(&all), old(&all));
    }
}

//! Listing: the table (`-L`, `-S`), connections (`-c`), timeouts and sync
//! daemons, in ipvsadm 1.31's exact formats.

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use ipvs_netlink::conn::{protocol_name, read_conns, ConnEntry, ConnReader, ConnTable};
use ipvs_netlink::wire::constants::af::{INET as AF_INET, INET6 as AF_INET6};
use ipvs_netlink::{
    inet_addr_bytes, DaemonRole, Destination, DestinationEntry, Family, ForwardMethod, Handle,
    Netmask, Netns, Protocol, RawForward, RawTunnel, Service, ServiceEntry, ServiceFlags,
    ServiceKey,
};

use crate::names::{addrport, push_addrport, truncate, write_decimal};
use crate::{ipvs_strerror, Exit, Func, Output};

/// Output format flags (ipvsadm's `FMT_*`).
pub(crate) const NUMERIC: u32 = 0x1;
pub(crate) const RULE: u32 = 0x2;
pub(crate) const STATS: u32 = 0x4;
pub(crate) const RATE: u32 = 0x8;
pub(crate) const THRESHOLDS: u32 = 0x10;
pub(crate) const PERSISTENTCONN: u32 = 0x20;
pub(crate) const NOSORT: u32 = 0x40;
pub(crate) const EXACT: u32 = 0x80;
pub(crate) const TUN_INFO: u32 = 0x100;

const SCHED_FLAGS: u32 = 0x8 | 0x10 | 0x20;

/// An address as libipvs compares it: four 32-bit words in network order,
/// IPv4 in the first and zeros after.
fn addr_words(addr: IpAddr) -> [u32; 4] {
    let b = inet_addr_bytes(addr);
    std::array::from_fn(|i| {
        u32::from_be_bytes([b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3]])
    })
}

/// libipvs's address comparison: 32-bit words subtracted as unsigned and
/// read as `int` (so it wraps), IPv6 word by word when the first is IPv6.
fn cmp_addr(af1: u16, a: &[u32; 4], b: &[u32; 4]) -> i32 {
    if af1 != AF_INET6 {
        return a[0].wrapping_sub(b[0]) as i32;
    }
    for (x, y) in a.iter().zip(b) {
        let r = x.wrapping_sub(*y) as i32;
        if r != 0 {
            return r;
        }
    }
    0
}

/// What `ipvs_cmp_services` reads of a service, made once per service.
struct SvcSortKey {
    fwmark: u32,
    af: u16,
    proto: u16,
    addr: [u32; 4],
    port: u16,
}

fn svc_sort_key(k: &ServiceKey) -> SvcSortKey {
    match *k {
        ServiceKey::Addr { protocol, addr } => SvcSortKey {
            fwmark: 0,
            af: u16::from(k.family()),
            proto: u16::from(protocol),
            addr: addr_words(addr.ip()),
            port: addr.port(),
        },
        ServiceKey::FwMark { family, mark } => SvcSortKey {
            fwmark: mark,
            af: u16::from(family),
            proto: 0,
            addr: [0; 4],
            port: 0,
        },
    }
}

/// `ipvs_cmp_services`, on the services' sort keys.
fn cmp_services(a: &SvcSortKey, b: &SvcSortKey) -> i32 {
    let r = a.fwmark.wrapping_sub(b.fwmark) as i32;
    if r != 0 {
        return r;
    }
    let r = i32::from(a.af) - i32::from(b.af);
    if r != 0 {
        return r;
    }
    let r = i32::from(a.proto) - i32::from(b.proto);
    if r != 0 {
        return r;
    }
    let r = cmp_addr(a.af, &a.addr, &b.addr);
    if r != 0 {
        return r;
    }
    i32::from(a.port) - i32::from(b.port)
}

/// What `ipvs_cmp_dests` reads of a destination, made once per
/// destination.
#[derive(Clone, Copy, Default)]
struct DestSortKey {
    af: u16,
    addr: [u32; 4],
    port: u16,
}

fn dest_sort_key(d: &DestinationEntry) -> DestSortKey {
    DestSortKey {
        af: u16::from(d.dest.family()),
        addr: addr_words(d.dest.addr.ip()),
        port: d.dest.addr.port(),
    }
}

/// `ipvs_cmp_dests`, on the destinations' sort keys.
fn cmp_dests(a: &DestSortKey, b: &DestSortKey) -> i32 {
    let r = cmp_addr(a.af, &a.addr, &b.addr);
    if r != 0 {
        return r;
    }
    i32::from(a.port) - i32::from(b.port)
}

/// Sorts `order`, positions in `keys`, as glibc's `qsort` (a top-down
/// merge sort) sorts, so that libipvs's comparisons, which are not a total
/// order when addresses are far apart, give the same order as ipvsadm.
/// `scratch` is at least as long as `order`.
fn msort<K>(keys: &[K], order: &mut [usize], scratch: &mut [usize], cmp: &impl Fn(&K, &K) -> i32) {
    let n = order.len();
    if n <= 1 {
        return;
    }
    let n1 = n / 2;
    let (first, second) = order.split_at_mut(n1);
    msort(keys, first, scratch, cmp);
    msort(keys, second, scratch, cmp);
    let (mut i, mut j, mut k) = (0, 0, 0);
    while i < first.len() && j < second.len() {
        if cmp(&keys[first[i]], &keys[second[j]]) <= 0 {
            scratch[k] = first[i];
            i += 1;
        } else {
            scratch[k] = second[j];
            j += 1;
        }
        k += 1;
    }
    // The rest of the first run goes after the merged part; the rest of
    // the second is in place already.
    let end = k + first.len() - i;
    scratch[k..end].copy_from_slice(&first[i..]);
    order[..end].copy_from_slice(&scratch[..end]);
}

/// [`msort`] of `order`, its scratch on the stack when `order` is short.
fn msort_order<K>(keys: &[K], order: &mut [usize], cmp: &impl Fn(&K, &K) -> i32) {
    if order.len() <= FEW {
        msort(keys, order, &mut [0; FEW], cmp);
    } else {
        msort(keys, order, &mut vec![0; order.len()], cmp);
    }
}

/// How many keys are sorted on the stack, without allocating: most
/// services have a few destinations.
const FEW: usize = 16;

/// Calls `f` on each of `dests` in the order ipvsadm lists them: libipvs's
/// sort, unless `format` has [`NOSORT`].
fn for_each_dest_in_order(
    dests: &[DestinationEntry],
    format: u32,
    mut f: impl FnMut(&DestinationEntry),
) {
    let n = dests.len();
    if format & NOSORT != 0 {
        dests.iter().for_each(f);
        return;
    }
    let (mut few_keys, mut few_order) = ([DestSortKey::default(); FEW], [0; FEW]);
    let (mut many_keys, mut many_order) = (Vec::new(), Vec::new());
    let (keys, order) = if n <= FEW {
        (&mut few_keys[..n], &mut few_order[..n])
    } else {
        many_keys.resize(n, DestSortKey::default());
        many_order.resize(n, 0);
        (&mut many_keys[..], &mut many_order[..])
    };
    for (i, ((k, o), d)) in keys.iter_mut().zip(order.iter_mut()).zip(dests).enumerate() {
        *k = dest_sort_key(d);
        *o = i;
    }
    msort_order(keys, order, &cmp_dests);
    order.iter().for_each(|&i| f(&dests[i]));
}

/// `n` spaces.
fn push_spaces(out: &mut String, n: usize) {
    const SPACES: &str = "                                ";
    let mut left = n;
    while left > 0 {
        let k = left.min(SPACES.len());
        out.push_str(&SPACES[..k]);
        left -= k;
    }
}

/// `{s:<width}`: `s`, then spaces up to `width` characters.
fn push_padded(out: &mut String, s: &str, width: usize) {
    out.push_str(s);
    let n = if s.is_ascii() {
        s.len()
    } else {
        s.chars().count()
    };
    push_spaces(out, width.saturating_sub(n));
}

fn print_largenum(out: &mut String, i: u64, format: u32) {
    if format & EXACT != 0 {
        let len = i.to_string().len();
        let width = if len <= 8 { 9 } else { len + 1 };
        let _ = write!(out, "{i:>width$}");
        return;
    }
    let _ = if i < 100_000_000 {
        write!(out, "{i:>9}")
    } else if i < 1_000_000_000 {
        write!(out, "{:>8}K", i / 1000)
    } else if i < 100_000_000_000 {
        write!(out, "{:>8}M", i / 1_000_000)
    } else if i < 100_000_000_000_000 {
        write!(out, "{:>8}G", i / 1_000_000_000)
    } else {
        write!(out, "{:>8}T", i / 1_000_000_000_000)
    };
}

fn sched_flags(s: &Service) -> String {
    let f = s.flags.bits();
    let names: &[(u32, &str)] = match s.scheduler.name() {
        "sh" => &[(0x8, "sh-fallback"), (0x10, "sh-port")],
        "mh" => &[(0x8, "mh-fallback"), (0x10, "mh-port")],
        _ => &[(0x8, "flag-1"), (0x10, "flag-2"), (0x20, "flag-3")],
    };
    names
        .iter()
        .filter(|(bit, _)| f & bit != 0)
        .map(|(_, n)| *n)
        .collect::<Vec<_>>()
        .join(",")
}

pub(crate) fn print_title(out: &mut String, format: u32) {
    let rap = "  -> RemoteAddress:Port\n";
    let pl = "Prot LocalAddress:Port";
    if format & STATS != 0 {
        let _ = write!(
            out,
            "{pl:<33} {:>8} {:>8} {:>8} {:>8} {:>8}\n{rap}",
            "Conns", "InPkts", "OutPkts", "InBytes", "OutBytes"
        );
    } else if format & RATE != 0 {
        let _ = write!(
            out,
            "{pl:<33} {:>8} {:>8} {:>8} {:>8} {:>8}\n{rap}",
            "CPS", "InPPS", "OutPPS", "InBPS", "OutBPS"
        );
    } else if format & THRESHOLDS != 0 {
        let _ = write!(
            out,
            "{pl:<33} {:<10} {:<10} {:<10} {:<10}\n{rap}",
            "Uthreshold", "Lthreshold", "ActiveConn", "InActConn"
        );
    } else if format & PERSISTENTCONN != 0 {
        let _ = write!(
            out,
            "{pl:<33} {:<9} {:<11} {:<10} {:<10}\n{rap}",
            "Weight", "PersistConn", "ActiveConn", "InActConn"
        );
    } else if format & TUN_INFO != 0 {
        out.push_str(
            "Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn\n",
        );
    } else if format & RULE == 0 {
        out.push_str(
            "Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n",
        );
    }
}

fn fwd_name(f: ForwardMethod) -> &'static str {
    match RawForward::from(f).method {
        0 => "Masq",
        1 => "Local",
        2 => "Tunnel",
        3 => "Route",
        // printf of a NULL string in glibc.
        _ => "(null)",
    }
}

fn fwd_switch(f: ForwardMethod) -> &'static str {
    match RawForward::from(f).method {
        0 => "-m",
        2 => "-i",
        1 | 3 => "-g",
        _ => "(null)",
    }
}

const TUN_NAMES: [&str; 3] = ["ipip", "gue", "gre"];
const TUN_FLAGS: [&str; 3] = ["-c", "+c", "r+c"];
const TUN_FLAG_OPTS: [&str; 3] = ["--tun-nocsum", "--tun-csum", "--tun-remcsum"];

fn flag_name(table: &[&'static str; 3], flags: u16) -> &'static str {
    table.get(usize::from(flags)).copied().unwrap_or("(null)")
}

fn tun_info(d: &Destination) -> Option<String> {
    let ForwardMethod::Tunnel(t) = d.forward else {
        return None;
    };
    let RawTunnel { kind, port, flags } = RawTunnel::from(t);
    let mut s = match kind {
        0 => "ipip".to_owned(),
        1 => format!("gue:{port}:{}", flag_name(&TUN_FLAGS, flags)),
        2 => format!("gre:{}", flag_name(&TUN_FLAGS, flags)),
        _ => return None,
    };
    truncate(&mut s, 15);
    Some(s)
}

fn tunnel_rule(out: &mut String, svc_name: &str, dname: &str, d: &Destination) {
    let sw = fwd_switch(d.forward);
    let w = d.weight as i32;
    let ForwardMethod::Tunnel(t) = d.forward else {
        return;
    };
    let RawTunnel { kind, port, flags } = RawTunnel::from(t);
    let _ = match kind {
        2 => writeln!(
            out,
            "-a {svc_name} -r {dname} {sw} -w {w} --tun-type gre {}",
            flag_name(&TUN_FLAG_OPTS, flags)
        ),
        1 => writeln!(
            out,
            "-a {svc_name} -r {dname} {sw} -w {w} --tun-type gue --tun-port {port} {}",
            flag_name(&TUN_FLAG_OPTS, flags)
        ),
        0 => writeln!(
            out,
            "-a {svc_name} -r {dname} {sw} -w {w} --tun-type {}",
            TUN_NAMES[0]
        ),
        _ => writeln!(out, "-a {svc_name} -r {dname} {sw} -w {w}"),
    };
}

/// The most a destination line of the table listing takes: "  -> ", a
/// name of at most 59 bytes padded to 28 characters (at most 72 bytes),
/// then fields of at most 7, 11, 10 and 10 bytes, each after a space, and
/// the newline.
const DEST_LINE_MAX: usize = 5 + 72 + 1 + 7 + 1 + 11 + 1 + 10 + 1 + 10 + 1;

/// The most a service's name takes: the longest protocol prefix,
/// "--sctp-service ", and a name of at most 59 bytes.
const SERVICE_NAME_MAX: usize = "--sctp-service ".len() + 59;

/// Each byte's decimal digits (up to three, then spaces), then how many
/// there are.
const OCTET_DIGITS: [[u8; 4]; 256] = {
    let mut t = [[0; 4]; 256];
    let mut i = 0;
    while i < 256 {
        let n = i as u8;
        t[i] = match n {
            0..=9 => [b'0' + n, b' ', b' ', 1],
            10..=99 => [b'0' + n / 10, b'0' + n % 10, b' ', 2],
            _ => [b'0' + n / 100, b'0' + n / 10 % 10, b'0' + n % 10, 3],
        };
        i += 1;
    }
    t
};

/// Text built in place in a buffer of `N` spaces (so that padding a field
/// to its width only moves past them), then appended to the listing at
/// once: the table listing writes tens of thousands of lines, and this
/// takes the place of a `String` write per field and a `push` per digit.
/// Whole UTF-8 characters go in, so it is always text; writing past `N`
/// bytes panics, and the callers keep below it. Every byte after `len` is
/// a space.
struct TextBuf<const N: usize> {
    buf: [u8; N],
    len: usize,
}

impl<const N: usize> TextBuf<N> {
    fn new() -> Self {
        Self {
            buf: [b' '; N],
            len: 0,
        }
    }

    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[..self.len]).expect("whole characters are written")
    }

    /// Appends the text to `out` and empties the buffer (spaces again).
    fn flush(&mut self, out: &mut String) {
        out.push_str(self.as_str());
        self.buf[..self.len].fill(b' ');
        self.len = 0;
    }

    fn put(&mut self, s: &str) {
        let end = self.len + s.len();
        self.buf[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
    }

    /// `{s:<width}`: `s`, then spaces up to `width` characters.
    fn put_padded(&mut self, s: &str, width: usize) {
        self.put(s);
        let n = if s.is_ascii() {
            s.len()
        } else {
            s.chars().count()
        };
        self.len += width.saturating_sub(n);
    }

    /// Spaces up to `width` bytes after `start`, for a field of ASCII
    /// text written since `start`.
    fn pad_from(&mut self, start: usize, width: usize) {
        self.len = self.len.max(start + width);
    }

    /// `n` in decimal, as `{n}` writes it; one digit (a listing's weights
    /// and connection counts, mostly) at once.
    #[inline]
    fn put_decimal(&mut self, n: u64) {
        if n < 10 {
            self.buf[self.len] = b'0' + n as u8;
            self.len += 1;
        } else {
            self.len += write_decimal(&mut self.buf[self.len..], n);
        }
    }

    /// A byte in decimal, as `{n}` writes it (an IPv4 address's): three
    /// bytes written at once, those after the digits spaces as they were.
    fn put_octet(&mut self, n: u8) {
        let [a, b, c, len] = OCTET_DIGITS[usize::from(n)];
        self.buf[self.len..self.len + 3].copy_from_slice(&[a, b, c]);
        self.len += usize::from(len);
    }

    /// `{n:<width}` of an integer.
    fn put_int_padded(&mut self, n: i64, width: usize) {
        let start = self.len;
        if n < 0 {
            self.put("-");
        }
        self.put_decimal(n.unsigned_abs());
        self.pad_from(start, width);
    }

    /// [`push_addrport`] with numbers (`-n`): `a.b.c.d:port`, or
    /// `[v6]:port`; at most 47 bytes.
    fn put_numeric_addrport(&mut self, addr: SocketAddr) {
        match addr.ip() {
            IpAddr::V4(a) => {
                let [a, b, c, d] = a.octets();
                self.put_octet(a);
                for o in [b, c, d] {
                    self.put(".");
                    self.put_octet(o);
                }
            }
            IpAddr::V6(a) => {
                let _ = write!(self, "[{a}]");
            }
        }
        self.put(":");
        self.put_decimal(u64::from(addr.port()));
    }
}

impl<const N: usize> std::fmt::Write for TextBuf<N> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.put(s);
        Ok(())
    }
}

/// The destination lines of the table listing, a few at a time.
type DestLines = TextBuf<{ 4 * DEST_LINE_MAX }>;

fn proto_number(k: &ServiceKey) -> u16 {
    match k {
        ServiceKey::Addr { protocol, .. } => u16::from(*protocol),
        _ => 0,
    }
}

/// A service's name as its line shows it (`-S` with `rule`): in a table,
/// an IPv4 one is cut to 33 bytes.
fn service_name(key: &ServiceKey, rule: bool, numeric: bool) -> TextBuf<SERVICE_NAME_MAX> {
    let mut n = TextBuf::new();
    let (protocol, addr) = match *key {
        ServiceKey::FwMark { family, mark } => {
            // ipvsadm 1.31 prints the mark with %d.
            let m = mark as i32;
            let _ = match (rule, family) {
                (true, Family::Ipv6) => write!(n, "-f {m} -6"),
                (true, _) => write!(n, "-f {m}"),
                (false, Family::Ipv6) => write!(n, "FWM  {m} IPv6"),
                (false, _) => write!(n, "FWM  {m}"),
            };
            return n;
        }
        ServiceKey::Addr { protocol, addr } => (protocol, addr),
    };
    if rule {
        n.put(match protocol {
            Protocol::Tcp => "-t ",
            Protocol::Udp => "-u ",
            Protocol::Sctp => "--sctp-service ",
            _ => "--xxx-service ",
        });
    } else {
        // "{stype:<4} "
        n.put(match protocol {
            Protocol::Tcp => "TCP  ",
            Protocol::Udp => "UDP  ",
            Protocol::Sctp => "SCTP ",
            _ => "?    ",
        });
    }
    if numeric {
        // An IPv4 name is at most 26 bytes: never cut.
        n.put_numeric_addrport(addr);
    } else {
        let mut name = addrport(addr.ip(), addr.port(), u16::from(protocol), false);
        if !rule && u16::from(key.family()) != AF_INET6 {
            // 33 bytes with the 5 of the protocol's field.
            truncate(&mut name, 33 - n.len);
        }
        n.put(&name);
    }
    n
}

/// A destination's line of the table listing (no other format flag),
/// into `lines`, which it first empties into `out` when full:
/// "  -> {dname:<28} {fwd:<7} {weight:<6} {active:<10} {inactive:<10}".
fn push_table_dest(
    out: &mut String,
    line: &mut DestLines,
    d: &DestinationEntry,
    proto: u16,
    numeric: bool,
) {
    if line.len + DEST_LINE_MAX > line.buf.len() {
        line.flush(out);
    }
    line.put("  -> ");
    let addr = d.dest.addr;
    if numeric {
        // An IPv4 name is at most 21 bytes: never cut.
        let start = line.len;
        line.put_numeric_addrport(addr);
        line.pad_from(start, 28);
    } else {
        let mut dname = addrport(addr.ip(), addr.port(), proto, false);
        if addr.is_ipv4() {
            truncate(&mut dname, 28);
        }
        line.put_padded(&dname, 28);
    }
    line.put(" ");
    line.put_padded(fwd_name(d.dest.forward), 7);
    line.put(" ");
    line.put_int_padded(i64::from(d.dest.weight as i32), 6);
    line.put(" ");
    line.put_int_padded(i64::from(d.active_conns), 10);
    line.put(" ");
    line.put_int_padded(i64::from(d.inactive_conns), 10);
    line.put("\n");
}

/// A service's line and its destinations' lines, in `format`.
pub(crate) fn print_service_entry(
    out: &mut String,
    entry: &ServiceEntry,
    dests: &[DestinationEntry],
    format: u32,
) {
    let s = &entry.service;
    let numeric = format & NUMERIC != 0;
    let rule = format & RULE != 0;
    let proto = proto_number(&s.key);
    let svc_af = u16::from(s.key.family());
    let svc_name = service_name(&s.key, rule, numeric);
    let svc_name = svc_name.as_str();
    let flags = s.flags.bits();
    let persistent = s.flags.contains(ServiceFlags::PERSISTENT);
    // The table listing's lines, by far the most common, are written in
    // one piece each.
    let table = format & (RULE | STATS | RATE | THRESHOLDS | PERSISTENTCONN | TUN_INFO) == 0;
    let mut lines = table.then(DestLines::new);
    let sched = s.scheduler.name();
    let plain = flags & SCHED_FLAGS == 0
        && !persistent
        && !s.flags.contains(ServiceFlags::ONE_PACKET)
        && svc_name.len() + sched.len() + 2 <= DEST_LINE_MAX;
    match &mut lines {
        // The table's common service line, with its destinations' lines.
        Some(line) if plain => {
            line.put(svc_name);
            line.put(" ");
            line.put(sched);
            line.put("\n");
        }
        _ => {
            if rule {
                let _ = write!(out, "-A {svc_name} -s {}", s.scheduler.name());
                if persistent {
                    let _ = write!(out, " -p {}", s.timeout);
                    match s.netmask {
                        Netmask::V4(m) if svc_af == AF_INET && m != Ipv4Addr::BROADCAST => {
                            let _ = write!(out, " -M {m}");
                        }
                        Netmask::V6(p) if svc_af == AF_INET6 && p != 128 => {
                            let _ = write!(out, " -M {p}");
                        }
                        _ => {}
                    }
                }
                if let Some(pe) = &s.persistence_engine {
                    let _ = write!(out, " --pe {pe}");
                }
                if s.flags.contains(ServiceFlags::ONE_PACKET) {
                    out.push_str(" -o");
                }
                if flags & SCHED_FLAGS != 0 {
                    let _ = write!(out, " -b {}", sched_flags(s));
                }
            } else if format & (STATS | RATE) != 0 {
                let stats = entry.counters().unwrap_or_default();
                let values = if format & STATS != 0 {
                    [
                        stats.conns,
                        stats.in_packets,
                        stats.out_packets,
                        stats.in_bytes,
                        stats.out_bytes,
                    ]
                } else {
                    [
                        stats.cps,
                        stats.in_pps,
                        stats.out_pps,
                        stats.in_bps,
                        stats.out_bps,
                    ]
                };
                push_padded(out, svc_name, 33);
                for v in values {
                    print_largenum(out, v, format);
                }
            } else {
                out.push_str(svc_name);
                out.push(' ');
                out.push_str(sched);
                if flags & SCHED_FLAGS != 0 {
                    let _ = write!(out, " ({})", sched_flags(s));
                }
                if persistent {
                    let _ = write!(out, " persistent {}", s.timeout);
                    match s.netmask {
                        Netmask::V4(m) if svc_af == AF_INET && m != Ipv4Addr::BROADCAST => {
                            let _ = write!(out, " mask {m}");
                        }
                        Netmask::V6(p) if svc_af == AF_INET6 && p != 128 => {
                            let _ = write!(out, " mask {p}");
                        }
                        _ => {}
                    }
                    if let Some(pe) = &s.persistence_engine {
                        let _ = write!(out, " pe {pe}");
                    }
                }
                if s.flags.contains(ServiceFlags::ONE_PACKET) {
                    out.push_str(" ops");
                }
            }
            out.push('\n');
        }
    }
    let mut dname = String::new();
    for_each_dest_in_order(dests, format, |d| {
        if let Some(lines) = &mut lines {
            push_table_dest(out, lines, d, proto, numeric);
            return;
        }
        dname.clear();
        push_addrport(
            &mut dname,
            d.dest.addr.ip(),
            d.dest.addr.port(),
            proto,
            numeric,
        );
        if !rule && d.dest.addr.is_ipv4() {
            truncate(&mut dname, 28);
        }
        let ds = d.counters().unwrap_or_default();
        let weight = d.dest.weight as i32;
        if rule {
            if let ForwardMethod::Tunnel(_) = d.dest.forward {
                tunnel_rule(out, svc_name, &dname, &d.dest);
            } else {
                let _ = writeln!(
                    out,
                    "-a {svc_name} -r {dname} {} -w {weight}",
                    fwd_switch(d.dest.forward)
                );
            }
        } else if format & STATS != 0 {
            let _ = write!(out, "  -> {dname:<28}");
            for v in [
                ds.conns,
                ds.in_packets,
                ds.out_packets,
                ds.in_bytes,
                ds.out_bytes,
            ] {
                print_largenum(out, v, format);
            }
            out.push('\n');
        } else if format & RATE != 0 {
            let _ = write!(
                out,
                "  -> {dname:<28} {:>8} {:>8} {:>8}",
                ds.cps, ds.in_pps, ds.out_pps
            );
            print_largenum(out, ds.in_bps, format);
            print_largenum(out, ds.out_bps, format);
            out.push('\n');
        } else if format & THRESHOLDS != 0 {
            let _ = writeln!(
                out,
                "  -> {dname:<28} {:<10} {:<10} {:<10} {:<10}",
                d.dest.upper_threshold, d.dest.lower_threshold, d.active_conns, d.inactive_conns
            );
        } else if format & PERSISTENTCONN != 0 {
            let _ = writeln!(
                out,
                "  -> {dname:<28} {:<9} {:<11} {:<10} {:<10}",
                d.dest.weight, d.persist_conns, d.active_conns, d.inactive_conns
            );
        } else {
            // TUN_INFO.
            let ti = tun_info(&d.dest).unwrap_or_else(|| "n/a".to_owned());
            let _ = writeln!(
                out,
                "  -> {dname:<28} {:<7} {ti:<13} {weight:<6} {:<10} {:<10}",
                fwd_name(d.dest.forward),
                d.active_conns,
                d.inactive_conns
            );
        }
    });
    if let Some(lines) = &lines {
        out.push_str(lines.as_str());
    }
}

/// The services in the order `-L` lists them: ipvsadm's sort unless
/// `format` has [`NOSORT`].
pub(crate) fn sort_services(services: &[ServiceEntry], format: u32) -> Vec<&ServiceEntry> {
    if format & NOSORT != 0 {
        return services.iter().collect();
    }
    // Each service's sort key is made once, not at every comparison.
    let keys: Vec<SvcSortKey> = services
        .iter()
        .map(|s| svc_sort_key(&s.service.key))
        .collect();
    let mut order: Vec<usize> = (0..keys.len()).collect();
    msort_order(&keys, &mut order, &cmp_services);
    order.into_iter().map(|i| &services[i]).collect()
}

/// A service's destinations, as `print_service_entry` needs them.
fn destinations_of(h: &mut Handle, entry: &ServiceEntry) -> Result<Vec<DestinationEntry>, Exit> {
    h.list_destinations(&entry.service.key)
        .map_err(|e| Exit::err(1, ipvs_strerror(Func::GetDests, &e)))
}

/// `-L`/`-S` of the whole table, into `o`: each service's lines as soon as
/// its destinations are listed, written to standard output in chunks
/// ([`Output::spill`]) as ipvsadm's buffered output is, so that a large
/// table's text is never held whole.
pub(crate) fn list_all(
    h: &mut Handle,
    format: u32,
    version: &str,
    size: u32,
    o: &mut Output,
) -> Result<(), Exit> {
    if format & RULE == 0 {
        let _ = writeln!(o.out, "IP Virtual Server version {version} (size={size})");
    }
    let services = h
        .list_services()
        .map_err(|e| Exit::err(1, ipvs_strerror(Func::GetServices, &e)))?;
    print_title(&mut o.out, format);
    for s in sort_services(&services, format) {
        let dests = destinations_of(h, s)?;
        print_service_entry(&mut o.out, s, &dests, format);
        o.spill();
    }
    Ok(())
}

/// `-L` of one service.
pub(crate) fn list_service(h: &mut Handle, key: &ServiceKey, format: u32) -> Result<String, Exit> {
    let s = h
        .get_service(key)
        .map_err(|e| Exit::err(1, ipvs_strerror(Func::GetService, &e)))?;
    let mut out = String::new();
    print_title(&mut out, format);
    let dests = destinations_of(h, &s).map_err(|e| e.with_out(&out))?;
    print_service_entry(&mut out, &s, &dests, format);
    Ok(out)
}

/// `-L --timeout`.
pub(crate) fn list_timeout(h: &mut Handle) -> Result<String, Exit> {
    let t = h.get_timeouts().map_err(|_| Exit::err(1, String::new()))?;
    Ok(format!(
        "Timeout (tcp tcpfin udp): {} {} {}\n",
        t.tcp.unwrap_or(0) as i32,
        t.tcp_fin.unwrap_or(0) as i32,
        t.udp.unwrap_or(0) as i32
    ))
}

/// `-L --daemon`.
pub(crate) fn list_daemon(h: &mut Handle) -> Result<String, Exit> {
    let daemons = h.list_daemons().map_err(|_| Exit::err(1, String::new()))?;
    let mut out = String::new();
    for d in daemons.iter().take(2) {
        let kind = match d.role {
            DaemonRole::Master => "master",
            DaemonRole::Backup => "backup",
        };
        let mut ifn = d.interface.clone();
        truncate(&mut ifn, 15);
        let _ = write!(
            out,
            "{kind} sync daemon (mcast={ifn}, syncid={}",
            d.sync_id as i32
        );
        if let Some(l) = d.max_len.filter(|l| *l != 0) {
            let _ = write!(out, ", maxlen={l}");
        }
        if let Some(g) = d.group {
            let _ = write!(out, ", group={g}");
        }
        if let Some(p) = d.port.filter(|p| *p != 0) {
            let _ = write!(out, ", port={p}");
        }
        if let Some(t) = d.ttl.filter(|t| *t != 0) {
            let _ = write!(out, ", ttl={t}");
        }
        out.push_str(")\n");
    }
    Ok(out)
}

const CONN_PROC_FILE: &str = "/proc/net/ip_vs_conn";

/// One line of `-L -c`, as ipvsadm's `print_conn` writes it.
fn print_conn(out: &mut String, e: &ConnEntry, format: u32) {
    let protocol = protocol_name(e.protocol);
    let proto = match e.protocol {
        Protocol::Tcp | Protocol::Udp | Protocol::Sctp => u16::from(e.protocol),
        Protocol::Other(_) => 0,
    };
    let numeric = format & NUMERIC != 0;
    let name = |a: SocketAddr| addrport(a.ip(), a.port(), proto, numeric);
    let (cname, vname, dname) = (name(e.client), name(e.virtual_addr), name(e.dest));
    let expires = e.expires.as_secs();
    let expire = format!("{:02}:{:02}", expires / 60, expires % 60);
    let state = e.state.as_str();
    // ipvsadm reads the engine's name and the first word of its data, and
    // prints them only when both are there.
    let pe = e.persistence.as_ref().and_then(|p| {
        let data = p
            .data
            .split(u8::is_ascii_whitespace)
            .find(|w| !w.is_empty())?;
        Some((p.engine.as_str(), String::from_utf8_lossy(data)))
    });
    match pe {
        Some((engine, data)) if format & PERSISTENTCONN != 0 => {
            let _ = writeln!(
                out,
                "{protocol:<3} {expire:<6} {state:<11} {cname:<18} {vname:<18} {dname:<16} {engine:<18} {data}"
            );
        }
        _ => {
            let _ = writeln!(
                out,
                "{protocol:<3} {expire:<6} {state:<11} {cname:<18} {vname:<18} {dname}"
            );
        }
    }
}

/// `-L -c`: the connection table from `/proc/net/ip_vs_conn`, read and
/// parsed by the library as a stream.
pub(crate) fn list_conn(format: u32) -> Result<String, Exit> {
    let reader = read_conns(&Netns::Current, ConnTable::Conns)
        .map_err(|_| Exit::err(1, format!("cannot open file {CONN_PROC_FILE}")))?;
    format_entries(reader, format)
}

/// The `-L -c` listing of `text`, the content of `/proc/net/ip_vs_conn`
/// (for the fuzz target `ip_vs_conn`, which loads this file).
#[allow(dead_code)]
pub(crate) fn format_conn(text: &str, format: u32) -> Result<String, Exit> {
    if text.is_empty() {
        return Err(Exit::err(
            1,
            format!("unexpected input from {CONN_PROC_FILE}"),
        ));
    }
    format_entries(ConnReader::new(text.as_bytes(), ConnTable::Conns), format)
}

fn format_entries<R: std::io::BufRead>(reader: ConnReader<R>, format: u32) -> Result<String, Exit> {
    let mut out = String::from("IPVS connection entries\n");
    if format & PERSISTENTCONN != 0 {
        let _ = writeln!(
            out,
            "pro expire {:<11} {:<18} {:<18} {:<18} {:<16} pe_data",
            "state", "source", "virtual", "destination", "pe name"
        );
    } else {
        let _ = writeln!(
            out,
            "pro expire {:<11} {:<18} {:<18} destination",
            "state", "source", "virtual"
        );
    }
    for entry in reader {
        let e = entry.map_err(|e| Exit::err(1, format!("{CONN_PROC_FILE}: {e}")))?;
        print_conn(&mut out, &e, format);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Padding writes what `{:<width}` writes, for text and for
    /// integers, short and long, ASCII and not, into a `String` and into a
    /// [`TextBuf`].
    #[test]
    fn padding_is_written_as_format_writes_it() {
        for width in [0, 1, 6, 7, 10, 28, 33, 40, 70] {
            for s in [
                "",
                "Masq",
                "10.1.2.3:8080",
                "[2001:db8::1]:80",
                "h\u{e9}te:http",
            ] {
                let mut out = String::from("|");
                push_padded(&mut out, s, width);
                assert_eq!(out, format!("|{s:<width$}"));
                let mut buf = TextBuf::<128>::new();
                buf.put("|");
                buf.put_padded(s, width);
                buf.put("|");
                assert_eq!(buf.as_str(), format!("|{s:<width$}|"));
            }
            for n in [
                0i64,
                7,
                -7,
                10,
                65_535,
                -2_147_483_648,
                i64::MAX,
                i64::MIN + 1,
            ] {
                let mut buf = TextBuf::<128>::new();
                buf.put("|");
                buf.put_int_padded(n, width);
                buf.put("|");
                assert_eq!(buf.as_str(), format!("|{n:<width$}|"));
            }
        }
    }

    /// Numbers and bytes are written as `{n}` writes them, at every
    /// length, and leave spaces after them.
    #[test]
    fn decimals_are_written_as_format_writes_them() {
        // `write_decimal` is checked at every length; here the one-digit
        // path and the spaces after.
        for n in (0..1000).chain([u64::MAX]) {
            let mut buf = TextBuf::<32>::new();
            buf.put_decimal(n);
            assert_eq!(buf.as_str(), n.to_string());
            assert!(buf.buf[buf.len..].iter().all(|&b| b == b' '));
        }
        for n in 0..=u8::MAX {
            let mut buf = TextBuf::<8>::new();
            buf.put_octet(n);
            assert_eq!(buf.as_str(), n.to_string());
            assert!(buf.buf[buf.len..].iter().all(|&b| b == b' '));
        }
    }

    /// Addresses with numbers are written as `push_addrport` writes them.
    #[test]
    fn numeric_addresses_are_written_as_push_addrport_writes_them() {
        let addrs: [SocketAddr; 6] = [
            "0.0.0.0:0".parse().unwrap(),
            "10.1.22.255:8080".parse().unwrap(),
            "255.255.255.255:65535".parse().unwrap(),
            "[::]:80".parse().unwrap(),
            "[2001:db8::1]:443".parse().unwrap(),
            "[::ffff:10.0.0.1]:1".parse().unwrap(),
        ];
        for a in addrs {
            let mut buf = TextBuf::<64>::new();
            buf.put_numeric_addrport(a);
            assert_eq!(buf.as_str(), addrport(a.ip(), a.port(), 6, true));
        }
    }
}

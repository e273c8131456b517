//! Listing: the table (`-L`, `-S`), connections (`-c`), timeouts and sync
//! daemons, in ipvsadm 1.31's exact formats.

use std::fmt::Write as _;
use std::net::Ipv4Addr;

use ipvs_netlink::conn::{protocol_name, read_conns, ConnEntry, ConnReader, ConnTable};
use ipvs_netlink::wire::constants::af::{INET as AF_INET, INET6 as AF_INET6};
use ipvs_netlink::{
    inet_addr_bytes, DaemonRole, Destination, DestinationEntry, Family, ForwardMethod, Handle,
    Netmask, Netns, Protocol, RawForward, RawTunnel, Service, ServiceEntry, ServiceFlags,
    ServiceKey,
};

use crate::names::{addrport, push_addrport, push_decimal, truncate};
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

fn word(b: &[u8; 16], i: usize) -> u32 {
    u32::from_be_bytes([b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3]])
}

/// libipvs's address comparison: 32-bit words subtracted as unsigned and
/// read as `int` (so it wraps), IPv6 word by word when the first is IPv6.
fn cmp_addr(af1: u16, a: &[u8; 16], b: &[u8; 16]) -> i32 {
    let mut r = 0i32;
    if af1 == AF_INET6 {
        for i in 0..4 {
            if r != 0 {
                break;
            }
            r = word(a, i).wrapping_sub(word(b, i)) as i32;
        }
    } else {
        r = word(a, 0).wrapping_sub(word(b, 0)) as i32;
    }
    r
}

struct SvcSortKey {
    fwmark: u32,
    af: u16,
    proto: u16,
    addr: [u8; 16],
    port: u16,
}

fn svc_sort_key(k: &ServiceKey) -> SvcSortKey {
    match *k {
        ServiceKey::Addr { protocol, addr } => SvcSortKey {
            fwmark: 0,
            af: u16::from(k.family()),
            proto: u16::from(protocol),
            addr: inet_addr_bytes(addr.ip()),
            port: addr.port(),
        },
        ServiceKey::FwMark { family, mark } => SvcSortKey {
            fwmark: mark,
            af: u16::from(family),
            proto: 0,
            addr: [0; 16],
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

/// `ipvs_cmp_dests`.
fn cmp_dests(a: &DestinationEntry, b: &DestinationEntry) -> i32 {
    let (a, b) = (&a.dest, &b.dest);
    let r = cmp_addr(
        u16::from(a.family()),
        &inet_addr_bytes(a.addr.ip()),
        &inet_addr_bytes(b.addr.ip()),
    );
    if r != 0 {
        return r;
    }
    i32::from(a.addr.port()) - i32::from(b.addr.port())
}

/// `v` in the order of glibc's `qsort` (a top-down merge sort), so that
/// libipvs's comparisons, which are not a total order when addresses are far
/// apart, give the same order as ipvsadm. The entries are not moved: the
/// order is of references, merged through one scratch buffer.
fn sorted<'a, T>(v: &'a [T], cmp: &dyn Fn(&T, &T) -> i32) -> Vec<&'a T> {
    let mut refs: Vec<&T> = v.iter().collect();
    let mut scratch = Vec::with_capacity(v.len());
    msort(&mut refs, &mut scratch, cmp);
    refs
}

fn msort<'a, T>(v: &mut [&'a T], scratch: &mut Vec<&'a T>, cmp: &dyn Fn(&T, &T) -> i32) {
    let n = v.len();
    if n <= 1 {
        return;
    }
    let n1 = n / 2;
    msort(&mut v[..n1], scratch, cmp);
    msort(&mut v[n1..], scratch, cmp);
    scratch.clear();
    let (mut i, mut j) = (0, n1);
    while i < n1 && j < n {
        if cmp(v[i], v[j]) <= 0 {
            scratch.push(v[i]);
            i += 1;
        } else {
            scratch.push(v[j]);
            j += 1;
        }
    }
    scratch.extend_from_slice(&v[i..n1]);
    scratch.extend_from_slice(&v[j..n]);
    v.copy_from_slice(scratch);
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

/// `{n:<width}` of an integer, written without the formatting machinery
/// (the table listing writes four numbers per destination).
fn push_int_padded(out: &mut String, n: i64, width: usize) {
    let start = out.len();
    if n < 0 {
        out.push('-');
    }
    push_decimal(out, n.unsigned_abs());
    let len = out.len() - start;
    push_spaces(out, width.saturating_sub(len));
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

fn print_title(out: &mut String, format: u32) {
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

fn proto_number(k: &ServiceKey) -> u16 {
    match k {
        ServiceKey::Addr { protocol, .. } => u16::from(*protocol),
        _ => 0,
    }
}

/// A service's line and its destinations' lines, in `format`.
fn print_service_entry(
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
    let svc_name = match s.key {
        ServiceKey::FwMark { family, mark } => {
            // ipvsadm 1.31 prints the mark with %d.
            let m = mark as i32;
            match (rule, family) {
                (true, Family::Ipv6) => format!("-f {m} -6"),
                (true, _) => format!("-f {m}"),
                (false, Family::Ipv6) => format!("FWM  {m} IPv6"),
                (false, _) => format!("FWM  {m}"),
            }
        }
        ServiceKey::Addr { protocol, addr } => {
            let mut n = String::with_capacity(48);
            if rule {
                let stype = match protocol {
                    Protocol::Tcp => "-t",
                    Protocol::Udp => "-u",
                    Protocol::Sctp => "--sctp-service",
                    _ => "--xxx-service",
                };
                n.push_str(stype);
                n.push(' ');
                push_addrport(&mut n, addr.ip(), addr.port(), proto, numeric);
            } else {
                let stype = match protocol {
                    Protocol::Tcp => "TCP",
                    Protocol::Udp => "UDP",
                    Protocol::Sctp => "SCTP",
                    _ => "?",
                };
                // "{stype:<4} {vname}"
                push_padded(&mut n, stype, 4);
                n.push(' ');
                push_addrport(&mut n, addr.ip(), addr.port(), proto, numeric);
                if svc_af != AF_INET6 {
                    truncate(&mut n, 33);
                }
            }
            n
        }
    };
    let flags = s.flags.bits();
    let persistent = s.flags.contains(ServiceFlags::PERSISTENT);
    let stats = entry.counters().unwrap_or_default();
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
    } else if format & STATS != 0 {
        let _ = write!(out, "{svc_name:<33}");
        for v in [
            stats.conns,
            stats.in_packets,
            stats.out_packets,
            stats.in_bytes,
            stats.out_bytes,
        ] {
            print_largenum(out, v, format);
        }
    } else if format & RATE != 0 {
        let _ = write!(out, "{svc_name:<33}");
        for v in [
            stats.cps,
            stats.in_pps,
            stats.out_pps,
            stats.in_bps,
            stats.out_bps,
        ] {
            print_largenum(out, v, format);
        }
    } else {
        out.push_str(&svc_name);
        out.push(' ');
        out.push_str(s.scheduler.name());
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

    let dests = if format & NOSORT == 0 {
        sorted(dests, &cmp_dests)
    } else {
        dests.iter().collect()
    };
    let mut dname = String::with_capacity(64);
    for d in dests {
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
                tunnel_rule(out, &svc_name, &dname, &d.dest);
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
        } else if format & TUN_INFO != 0 {
            let ti = tun_info(&d.dest).unwrap_or_else(|| "n/a".to_owned());
            let _ = writeln!(
                out,
                "  -> {dname:<28} {:<7} {ti:<13} {weight:<6} {:<10} {:<10}",
                fwd_name(d.dest.forward),
                d.active_conns,
                d.inactive_conns
            );
        } else {
            // "  -> {dname:<28} {fwd:<7} {weight:<6} {active:<10} {inactive:<10}"
            out.push_str("  -> ");
            push_padded(out, &dname, 28);
            out.push(' ');
            push_padded(out, fwd_name(d.dest.forward), 7);
            out.push(' ');
            push_int_padded(out, i64::from(weight), 6);
            out.push(' ');
            push_int_padded(out, i64::from(d.active_conns), 10);
            out.push(' ');
            push_int_padded(out, i64::from(d.inactive_conns), 10);
            out.push('\n');
        }
    }
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
    let services: Vec<&ServiceEntry> = if format & NOSORT == 0 {
        // Each service's sort key is made once, not at every comparison.
        let keyed: Vec<(SvcSortKey, &ServiceEntry)> = services
            .iter()
            .map(|s| (svc_sort_key(&s.service.key), s))
            .collect();
        sorted(&keyed, &|a, b| cmp_services(&a.0, &b.0))
            .into_iter()
            .map(|(_, s)| *s)
            .collect()
    } else {
        services.iter().collect()
    };
    print_title(&mut o.out, format);
    for s in services {
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
    let name = |a: std::net::SocketAddr| addrport(a.ip(), a.port(), proto, numeric);
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
    /// integers, short and long, ASCII and not.
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
                let mut out = String::from("|");
                push_int_padded(&mut out, n, width);
                assert_eq!(out, format!("|{n:<width$}"));
            }
        }
    }
}

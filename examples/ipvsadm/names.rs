//! Address and port parsing and naming as ipvsadm does it with the C
//! library: `inet_aton`, `inet_pton`, `strtol`, and the `files` name service
//! (`/etc/hosts`, `/etc/services`). Without a DNS server (as in the test
//! bed) glibc answers host lookups from `/etc/hosts` alone, so reading that
//! file gives the same names ipvsadm prints.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::OnceLock;

/// `strtol(s, &end, 10)` that must consume the whole string, within
/// `min..=max` (ipvsadm's `string_to_number`).
pub(crate) fn string_to_number(s: &str, min: i64, max: i64) -> Option<i64> {
    // Byte by byte: the C spaces are ASCII, and no byte of a longer UTF-8
    // character is one.
    let b = s.as_bytes();
    let start = b
        .iter()
        .position(|&c| !is_c_space_byte(c))
        .unwrap_or(b.len());
    let (neg, digits) = match b.get(start) {
        Some(b'-') => (true, &b[start + 1..]),
        Some(b'+') => (false, &b[start + 1..]),
        _ => (false, &b[start..]),
    };
    if digits.is_empty() {
        return None;
    }
    // Overflow is ERANGE in strtol: refused.
    let mut n: i64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(i64::from(c - b'0'))?;
    }
    let n = if neg { -n } else { n };
    (min..=max).contains(&n).then_some(n)
}

/// `atoi`: leading space, a sign, digits; anything after is ignored.
pub(crate) fn atoi(s: &str) -> i64 {
    let t = s.trim_start_matches(is_c_space);
    let (neg, rest) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let mut n: i64 = 0;
    for b in rest.bytes().take_while(u8::is_ascii_digit) {
        n = n.saturating_mul(10).saturating_add(i64::from(b - b'0'));
    }
    if neg {
        -n
    } else {
        n
    }
}

/// C's `isspace` in the C locale, for a byte.
fn is_c_space_byte(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

/// [`is_c_space_byte`] for a character (all the C spaces are ASCII).
fn is_c_space(c: char) -> bool {
    u8::try_from(c).is_ok_and(is_c_space_byte)
}

/// glibc's `inet_aton`: 1 to 4 parts in C notation (decimal, 0x hex, 0
/// octal), the last filling the remaining bytes; may end at white space.
pub(crate) fn inet_aton(s: &str) -> Option<Ipv4Addr> {
    dotted_quad(s.as_bytes()).or_else(|| inet_aton_parts(s))
}

/// [`inet_aton`] in full, part by part.
fn inet_aton_parts(s: &str) -> Option<Ipv4Addr> {
    let s = s.find(is_c_space).map_or(s, |end| &s[..end]);
    // At most four parts, read into a fixed array (no allocation: `-R`
    // parses two addresses per line).
    let mut vals = [0u64; 4];
    let mut count = 0;
    for p in s.split('.') {
        if count == vals.len() {
            return None;
        }
        let (digits, radix) = if let Some(h) = p.strip_prefix("0x").or(p.strip_prefix("0X")) {
            (h, 16)
        } else if p.len() > 1 && p.starts_with('0') {
            (&p[1..], 8)
        } else {
            (p, 10)
        };
        if p.is_empty() || (radix == 16 && digits.is_empty() && p.len() > 2) {
            return None;
        }
        let v = if digits.is_empty() {
            0
        } else {
            u64::from_str_radix(digits, radix).ok()?
        };
        vals[count] = v;
        count += 1;
    }
    let vals = &vals[..count];
    let last = vals.len() - 1;
    let mut out: u64 = 0;
    for (i, v) in vals.iter().enumerate() {
        if i < last {
            if *v > 0xff {
                return None;
            }
            out |= v << (8 * (3 - i));
        } else {
            let bits = 8 * (4 - i);
            if bits < 64 && *v >= (1u64 << bits) {
                return None;
            }
            out |= v;
        }
    }
    Some(Ipv4Addr::from(out as u32))
}

/// The common form, four decimal parts of 0 to 255 without leading zeros
/// (`10.1.2.3`); `None` for anything else, which [`inet_aton`] then reads
/// in full (`-R` reads two addresses a line).
fn dotted_quad(s: &[u8]) -> Option<Ipv4Addr> {
    match dotted_quad_prefix(s)? {
        (a, []) => Some(a),
        _ => None,
    }
}

/// `a.b.c.d:port` of [`dotted_quad`] and a port of 1 to 5 decimal digits
/// up to 65535: the common `-R` address, which is read as
/// `string_to_number` reads the port.
pub(crate) fn dotted_quad_port(s: &[u8]) -> Option<(Ipv4Addr, u16)> {
    let (a, rest) = dotted_quad_prefix(s)?;
    let digits = rest.strip_prefix(b":")?;
    if digits.is_empty() || digits.len() > 5 {
        return None;
    }
    let mut port: u32 = 0;
    for &b in digits {
        if !b.is_ascii_digit() {
            return None;
        }
        port = port * 10 + u32::from(b - b'0');
    }
    Some((a, u16::try_from(port).ok()?))
}

/// The [`dotted_quad`] that `s` starts with, and the bytes after it.
fn dotted_quad_prefix(s: &[u8]) -> Option<(Ipv4Addr, &[u8])> {
    let (a, rest) = decimal_octet(s)?;
    let (b, rest) = decimal_octet(rest.strip_prefix(b".")?)?;
    let (c, rest) = decimal_octet(rest.strip_prefix(b".")?)?;
    let (d, rest) = decimal_octet(rest.strip_prefix(b".")?)?;
    Some((Ipv4Addr::new(a, b, c, d), rest))
}

/// The part of a [`dotted_quad`] that `s` starts with, 0 to 255 in 1 to 3
/// digits without a leading zero (that makes it octal), and the bytes
/// after it: a digit there is refused by the caller, which wants a dot, a
/// colon or the end.
fn decimal_octet(s: &[u8]) -> Option<(u8, &[u8])> {
    let d = |b: u8| u32::from(b - b'0');
    let (value, rest) = match *s {
        [a @ b'1'..=b'9', b @ b'0'..=b'9', c @ b'0'..=b'9', ref rest @ ..] => {
            (d(a) * 100 + d(b) * 10 + d(c), rest)
        }
        [a @ b'1'..=b'9', b @ b'0'..=b'9', ref rest @ ..] => (d(a) * 10 + d(b), rest),
        [a @ b'0'..=b'9', ref rest @ ..] => (d(a), rest),
        _ => return None,
    };
    Some((u8::try_from(value).ok()?, rest))
}

/// `inet_pton(AF_INET6, ..)`.
pub(crate) fn pton6(s: &str) -> Option<Ipv6Addr> {
    s.parse().ok()
}

/// `inet_pton(AF_INET, ..)`.
pub(crate) fn pton4(s: &str) -> Option<Ipv4Addr> {
    s.parse().ok()
}

/// `/etc/hosts`, read once: a listing without `-n` looks up every address.
struct Hosts {
    /// IPv4 address of each name (lowercase), the first line's.
    by_name: HashMap<String, Ipv4Addr>,
    /// The canonical (first) name of each address, the first line's.
    by_addr: HashMap<IpAddr, String>,
}

fn hosts() -> &'static Hosts {
    static HOSTS: OnceLock<Hosts> = OnceLock::new();
    HOSTS.get_or_init(|| {
        let text = std::fs::read_to_string("/etc/hosts").unwrap_or_default();
        let mut hosts = Hosts {
            by_name: HashMap::new(),
            by_addr: HashMap::new(),
        };
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or("");
            let mut words = line.split_whitespace();
            let Some(addr) = words.next().and_then(|w| w.parse::<IpAddr>().ok()) else {
                continue;
            };
            let mut names = words.peekable();
            if let Some(first) = names.peek() {
                hosts
                    .by_addr
                    .entry(addr)
                    .or_insert_with(|| (*first).to_owned());
            }
            if let IpAddr::V4(v4) = addr {
                for n in names {
                    hosts.by_name.entry(n.to_ascii_lowercase()).or_insert(v4);
                }
            }
        }
        hosts
    })
}

/// `gethostbyname` for IPv4 from `/etc/hosts`.
pub(crate) fn host_to_addr(name: &str) -> Option<Ipv4Addr> {
    hosts().by_name.get(&name.to_ascii_lowercase()).copied()
}

/// `gethostbyaddr` from `/etc/hosts`: the canonical (first) name.
pub(crate) fn addr_to_host(addr: IpAddr) -> Option<String> {
    hosts().by_addr.get(&addr).cloned()
}

/// The protocols a service lookup names, by number and by the name
/// `/etc/services` gives them.
const PROTOCOLS: [(u16, &str); 3] = [(6, "tcp"), (17, "udp"), (132, "sctp")];

/// `/etc/services`, read once: a listing without `-n` names every port.
#[derive(Default)]
struct Services {
    /// For each protocol number, the port of each name or alias, the first
    /// line's.
    by_name: HashMap<u16, HashMap<String, u16>>,
    /// The name of each port and protocol number, the first line's.
    by_port: HashMap<(u16, u16), String>,
}

fn services() -> &'static Services {
    static SERVICES: OnceLock<Services> = OnceLock::new();
    SERVICES.get_or_init(|| {
        let text = std::fs::read_to_string("/etc/services").unwrap_or_default();
        let mut services = Services::default();
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or("");
            let mut words = line.split_whitespace();
            let (Some(name), Some(port_proto)) = (words.next(), words.next()) else {
                continue;
            };
            let Some((port, proto)) = port_proto.split_once('/') else {
                continue;
            };
            // Other protocols are never looked up.
            let Some(&(proto, _)) = PROTOCOLS.iter().find(|(_, n)| *n == proto) else {
                continue;
            };
            let Ok(port) = port.parse::<u16>() else {
                continue;
            };
            services
                .by_port
                .entry((port, proto))
                .or_insert_with(|| name.to_owned());
            let names = services.by_name.entry(proto).or_default();
            for n in std::iter::once(name).chain(words) {
                names.entry(n.to_owned()).or_insert(port);
            }
        }
        services
    })
}

/// `getservbyname(name, proto)`.
pub(crate) fn service_to_port(name: &str, proto: u16) -> Option<u16> {
    services().by_name.get(&proto)?.get(name).copied()
}

/// `getservbyport(port, proto)`.
pub(crate) fn port_to_service(port: u16, proto: u16) -> Option<String> {
    services().by_port.get(&(port, proto)).cloned()
}

/// ipvsadm's `addrport_to_anyname`: `addr:port`, IPv6 in brackets, with
/// names unless `numeric`.
pub(crate) fn addrport(addr: IpAddr, port: u16, proto: u16, numeric: bool) -> String {
    let mut s = String::new();
    push_addrport(&mut s, addr, port, proto, numeric);
    s
}

/// [`addrport`] appended to `out`, numeric IPv4 written without the
/// formatting machinery (a listing writes one per destination).
pub(crate) fn push_addrport(out: &mut String, addr: IpAddr, port: u16, proto: u16, numeric: bool) {
    let (open, close) = if addr.is_ipv4() { ("", "") } else { ("[", "]") };
    if numeric {
        match addr {
            IpAddr::V4(a) => {
                let [a, b, c, d] = a.octets();
                for (i, o) in [a, b, c, d].into_iter().enumerate() {
                    if i > 0 {
                        out.push('.');
                    }
                    push_decimal(out, u64::from(o));
                }
            }
            IpAddr::V6(a) => {
                let _ = write!(out, "[{a}]");
            }
        }
        out.push(':');
        push_decimal(out, u64::from(port));
        return;
    }
    let host = addr_to_host(addr).unwrap_or_else(|| addr.to_string());
    let serv = port_to_service(port, proto).unwrap_or_else(|| port.to_string());
    // ipvsadm formats into a 60-byte buffer.
    let mut s = format!("{open}{host}{close}:{serv}");
    truncate(&mut s, 59);
    out.push_str(&s);
}

/// `n` in decimal, as `{n}` writes it, appended to `out`.
pub(crate) fn push_decimal(out: &mut String, n: u64) {
    let mut buf = [0; 20];
    let len = write_decimal(&mut buf, n);
    // Digits only.
    out.push_str(std::str::from_utf8(&buf[..len]).unwrap_or_default());
}

/// Two decimal digits of each number below 100.
const DIGIT_PAIRS: &[u8; 200] = b"\
    0001020304050607080910111213141516171819\
    2021222324252627282930313233343536373839\
    4041424344454647484950515253545556575859\
    6061626364656667686970717273747576777879\
    8081828384858687888990919293949596979899";

/// Writes `n` in decimal, as `{n}` writes it, at the start of `buf`, two
/// digits at a time from the last (a listing writes several numbers per
/// line); the digits written. Panics if `buf` is shorter than they are
/// (20 bytes hold any `u64`).
pub(crate) fn write_decimal(buf: &mut [u8], n: u64) -> usize {
    let digits = n.checked_ilog10().map_or(1, |l| l as usize + 1);
    let mut at = digits;
    let mut n = n;
    while n >= 100 {
        let pair = 2 * (n % 100) as usize;
        n /= 100;
        at -= 2;
        buf[at..at + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    }
    if n >= 10 {
        let pair = 2 * n as usize;
        buf[at - 2..at].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    } else {
        buf[at - 1] = b'0' + n as u8;
    }
    digits
}

/// Cuts a string to at most `n` bytes (on a character boundary).
pub(crate) fn truncate(s: &mut String, n: usize) {
    let keep = truncated(s, n).len();
    s.truncate(keep);
}

/// `s` cut to at most `n` bytes, at a character boundary.
pub(crate) fn truncated(s: &str, n: usize) -> &str {
    if s.len() <= n {
        return s;
    }
    let mut i = n;
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    &s[..i]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Numbers are written as `{n}` writes them, on both paths and at
    /// every length.
    #[test]
    fn decimals_are_written_as_format_writes_them() {
        let mut numbers: Vec<u64> = (0..200_000).collect();
        let mut p = 1u64;
        for _ in 0..19 {
            p *= 10;
            numbers.extend([p - 1, p, p + 1, p.wrapping_mul(7) / 3]);
        }
        numbers.push(u64::MAX);
        let mut out = String::new();
        for n in numbers {
            out.clear();
            out.push('x');
            push_decimal(&mut out, n);
            assert_eq!(out, format!("x{n}"));
        }
    }

    /// The words of each line of `file` before any comment.
    fn lines(file: &str) -> Vec<Vec<String>> {
        std::fs::read_to_string(file)
            .unwrap_or_default()
            .lines()
            .map(|l| {
                let l = l.split('#').next().unwrap_or("");
                l.split_whitespace().map(str::to_owned).collect()
            })
            .collect()
    }

    /// The files read once answer as a scan of every line for each lookup
    /// does (the C library's `files` service), over this machine's files.
    #[test]
    fn name_lookups_answer_as_a_scan_of_the_files() {
        let services = lines("/etc/services");
        let entries: Vec<(&str, u16, &str, &[String])> = services
            .iter()
            .filter_map(|w| {
                let (port, proto) = w.get(1)?.split_once('/')?;
                Some((w[0].as_str(), port.parse().ok()?, proto, &w[2..]))
            })
            .collect();
        for (proto, p) in PROTOCOLS {
            for port in 0..=1100u16 {
                let scan = entries
                    .iter()
                    .find(|(_, pt, pr, _)| *pt == port && *pr == p)
                    .map(|(n, ..)| (*n).to_owned());
                assert_eq!(port_to_service(port, proto), scan, "{port}/{p}");
            }
            for (name, ..) in &entries {
                let scan = entries
                    .iter()
                    .find(|(n, _, pr, aliases)| {
                        *pr == p && (n == name || aliases.iter().any(|a| a == name))
                    })
                    .map(|(_, pt, ..)| *pt);
                assert_eq!(service_to_port(name, proto), scan, "{name}/{p}");
            }
        }
        assert_eq!(service_to_port("no-such-service", 6), None);
        // Protocols other than TCP, UDP and SCTP have no names.
        assert_eq!(
            (port_to_service(80, 47), service_to_port("http", 47)),
            (None, None)
        );
        let hosts = lines("/etc/hosts");
        for w in &hosts {
            let Some(Ok(addr)) = w.first().map(|a| a.parse::<IpAddr>()) else {
                continue;
            };
            let scan = hosts
                .iter()
                .find(|v| v.len() > 1 && v[0].parse::<IpAddr>().ok() == Some(addr))
                .map(|v| v[1].clone());
            assert_eq!(addr_to_host(addr), scan, "{addr}");
            for name in &w[1..] {
                let scan = hosts
                    .iter()
                    .find_map(|v| match v.first()?.parse::<IpAddr>().ok()? {
                        IpAddr::V4(a) if v[1..].iter().any(|n| n.eq_ignore_ascii_case(name)) => {
                            Some(a)
                        }
                        _ => None,
                    });
                assert_eq!(host_to_addr(&name.to_ascii_uppercase()), scan, "{name}");
            }
        }
    }

    /// The one-pass reading of the common form agrees with the full one on
    /// every input, and takes the common form itself.
    #[test]
    fn dotted_quad_agrees_with_inet_aton() {
        let common = [
            "10.1.2.3",
            "0.0.0.0",
            "255.255.255.255",
            "192.168.100.9",
            "1.20.0.255",
        ];
        for s in common {
            assert_eq!(dotted_quad(s.as_bytes()), inet_aton_parts(s), "{s}");
            assert!(dotted_quad(s.as_bytes()).is_some(), "{s}");
        }
        let other = [
            "",
            ".",
            "1.2.3",
            "1.2.3.4.5",
            "1.2.3.",
            ".1.2.3",
            "1..2.3",
            "256.1.1.1",
            "1.2.3.256",
            "01.2.3.4",
            "1.2.3.04",
            "0x1.2.3.4",
            "1.2.3.0x4",
            "1.2.3.4 x",
            "1.2.3.4\t",
            "1.2.3.4:80",
            "1.2.3.-4",
            "1000.2.3.4",
            "1.2.3.4444",
            "10.1",
            "167772161",
            "0",
            "00.1.2.3",
            "1.2.3.08",
            "a.b.c.d",
            "1.2.3.4\u{e9}",
        ];
        for s in common.iter().chain(&other) {
            let fast = dotted_quad(s.as_bytes());
            assert!(
                fast.is_none() || fast == inet_aton_parts(s),
                "{s}: {fast:?}"
            );
            assert_eq!(inet_aton(s), fast.or_else(|| inet_aton_parts(s)), "{s}");
        }
        // Every one-byte change of a common address agrees too.
        for base in common {
            for i in 0..base.len() {
                for b in [b'0', b'5', b'9', b'.', b'x', b' ', b':'] {
                    let mut v = base.as_bytes().to_vec();
                    v[i] = b;
                    let s = String::from_utf8(v).unwrap();
                    let fast = dotted_quad(s.as_bytes());
                    assert!(
                        fast.is_none() || fast == inet_aton_parts(&s),
                        "{s}: {fast:?}"
                    );
                }
            }
        }
    }
}

//! The text of `/proc/net/ip_vs_conn` and `/proc/net/ip_vs_conn_sync`, one
//! line at a time, without I/O.
//!
//! The kernel (`ip_vs_conn_seq_show` and `ip_vs_conn_sync_seq_show` in
//! `net/netfilter/ipvs/ip_vs_conn.c`) writes a header line, then one line
//! per entry: protocol name; client, virtual and destination address, each
//! followed by its port as 4 hex digits; the state; then in `ip_vs_conn`
//! the seconds to expiry and, if a persistence engine is bound, a blank,
//! the engine's name, a blank and its data; in `ip_vs_conn_sync` the
//! origin (`LOCAL` or `SYNC`) and the seconds to expiry. IPv4 addresses are
//! 8 hex digits (`0A000001`), IPv6 addresses the full colon form with four
//! digits per group (`%pI6`: `2001:0db8:0000:...:0001`). The destination
//! of an IPv4 entry can be IPv6 (a tunnelled real server of the other
//! family) and the other way round.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use super::entry::{ConnEntry, ConnOrigin, ConnState, PersistenceData};
use crate::model::Protocol;

/// The columns of a connection table, as its header line names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnLayout {
    /// `ip_vs_conn`: `... State Expires PEName PEData`.
    Conn,
    /// `ip_vs_conn_sync`: `... State Origin Expires`.
    Sync,
}

const COMMON_COLUMNS: [&[u8]; 8] = [
    b"Pro", b"FromIP", b"FPrt", b"ToIP", b"TPrt", b"DestIP", b"DPrt", b"State",
];

impl ConnLayout {
    /// The layout a header line names (without its line end), or `None`
    /// if it is not the header of either table.
    pub fn from_header(line: &[u8]) -> Option<Self> {
        let mut words = Words::new(line);
        for want in COMMON_COLUMNS {
            if words.next()? != want {
                return None;
            }
        }
        let rest: [Option<&[u8]>; 4] = [words.next(), words.next(), words.next(), words.next()];
        match rest {
            [Some(b"Expires"), Some(b"PEName"), Some(b"PEData"), None] => Some(Self::Conn),
            [Some(b"Origin"), Some(b"Expires"), None, None] => Some(Self::Sync),
            _ => None,
        }
    }
}

/// What is wrong with a line of a connection table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnLineError {
    /// The line ends before this column.
    Missing(&'static str),
    /// This column does not hold what the kernel writes there.
    Invalid(&'static str),
    /// The client and virtual addresses are of different families.
    MixedFamilies,
    /// Text after the last column.
    Trailing,
}

impl fmt::Display for ConnLineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing(c) => write!(f, "no {c} column"),
            Self::Invalid(c) => write!(f, "invalid {c}"),
            Self::MixedFamilies => {
                f.write_str("client and virtual addresses of different families")
            }
            Self::Trailing => f.write_str("text after the last column"),
        }
    }
}

/// The blank-separated words of a line, and what follows the last one.
struct Words<'a> {
    line: &'a [u8],
    pos: usize,
}

impl<'a> Words<'a> {
    fn new(line: &'a [u8]) -> Self {
        Words { line, pos: 0 }
    }

    fn skip_blanks(&mut self) {
        while self.pos < self.line.len() && matches!(self.line[self.pos], b' ' | b'\t') {
            self.pos += 1;
        }
    }

    /// The rest of the line after the blanks that follow the last word.
    fn rest(&mut self) -> &'a [u8] {
        self.skip_blanks();
        &self.line[self.pos..]
    }

    fn field(&mut self, name: &'static str) -> Result<&'a [u8], ConnLineError> {
        self.next().ok_or(ConnLineError::Missing(name))
    }
}

impl<'a> Iterator for Words<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        self.skip_blanks();
        let start = self.pos;
        while self.pos < self.line.len() && !matches!(self.line[self.pos], b' ' | b'\t') {
            self.pos += 1;
        }
        (self.pos > start).then(|| &self.line[start..self.pos])
    }
}

fn hex_digit(b: u8) -> Option<u32> {
    (b as char).to_digit(16)
}

/// 1 to `max` hex digits.
fn hex(s: &[u8], max: usize) -> Option<u32> {
    if s.is_empty() || s.len() > max {
        return None;
    }
    s.iter()
        .try_fold(0u32, |acc, &b| Some((acc << 4) | hex_digit(b)?))
}

fn addr(s: &[u8], column: &'static str) -> Result<IpAddr, ConnLineError> {
    let bad = ConnLineError::Invalid(column);
    if s.len() == 8 {
        return hex(s, 8).map(|v| IpAddr::V4(Ipv4Addr::from(v))).ok_or(bad);
    }
    // %pI6: eight groups of four hex digits.
    if s.len() != 39 {
        return Err(bad);
    }
    let mut groups = [0u16; 8];
    for (i, g) in groups.iter_mut().enumerate() {
        let at = i * 5;
        if i > 0 && s[at - 1] != b':' {
            return Err(bad);
        }
        *g = hex(&s[at..at + 4], 4).ok_or(bad)? as u16;
    }
    Ok(IpAddr::V6(Ipv6Addr::from(groups)))
}

fn port(s: &[u8], column: &'static str) -> Result<u16, ConnLineError> {
    hex(s, 4)
        .map(|v| v as u16)
        .ok_or(ConnLineError::Invalid(column))
}

fn protocol(s: &[u8]) -> Result<Protocol, ConnLineError> {
    Ok(match s {
        b"TCP" => Protocol::Tcp,
        b"UDP" => Protocol::Udp,
        b"SCTP" => Protocol::Sctp,
        b"IP" => Protocol::Other(0),
        b"ICMPv6" => Protocol::Other(58),
        _ => {
            let n = s
                .strip_prefix(b"IP_")
                .and_then(|d| std::str::from_utf8(d).ok())
                .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|d| d.parse::<u16>().ok())
                .filter(|n| *n <= 255)
                .ok_or(ConnLineError::Invalid("protocol"))?;
            Protocol::from(n)
        }
    })
}

fn state(s: &[u8]) -> Result<ConnState, ConnLineError> {
    let s = std::str::from_utf8(s).map_err(|_| ConnLineError::Invalid("state"))?;
    if !s.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ConnLineError::Invalid("state"));
    }
    Ok(ConnState::from_name(s))
}

fn seconds(s: &[u8]) -> Result<Duration, ConnLineError> {
    let bad = ConnLineError::Invalid("expiry");
    if s.is_empty() || s.len() > 10 || !s.iter().all(u8::is_ascii_digit) {
        return Err(bad);
    }
    let v = s
        .iter()
        .fold(0u64, |acc, &b| acc * 10 + u64::from(b - b'0'));
    u32::try_from(v)
        .map(|v| Duration::from_secs(u64::from(v)))
        .map_err(|_| bad)
}

/// Parses one entry line (without its line end) of a table of `layout`.
pub fn parse_conn_line(line: &[u8], layout: ConnLayout) -> Result<ConnEntry, ConnLineError> {
    let mut w = Words::new(line);
    let protocol = protocol(w.field("protocol")?)?;
    let caddr = addr(w.field("client address")?, "client address")?;
    let cport = port(w.field("client port")?, "client port")?;
    let vaddr = addr(w.field("virtual address")?, "virtual address")?;
    let vport = port(w.field("virtual port")?, "virtual port")?;
    let daddr = addr(w.field("destination address")?, "destination address")?;
    let dport = port(w.field("destination port")?, "destination port")?;
    if caddr.is_ipv4() != vaddr.is_ipv4() {
        return Err(ConnLineError::MixedFamilies);
    }
    let state = state(w.field("state")?)?;
    let (origin, expires, persistence) = match layout {
        ConnLayout::Sync => {
            let origin = match w.field("origin")? {
                b"LOCAL" => ConnOrigin::Local,
                b"SYNC" => ConnOrigin::Sync,
                _ => return Err(ConnLineError::Invalid("origin")),
            };
            let expires = seconds(w.field("expiry")?)?;
            if !w.rest().is_empty() {
                return Err(ConnLineError::Trailing);
            }
            (Some(origin), expires, None)
        }
        ConnLayout::Conn => {
            let expires = seconds(w.field("expiry")?)?;
            let persistence = match w.next() {
                None => None,
                Some(name) => {
                    let engine = std::str::from_utf8(name)
                        .map_err(|_| ConnLineError::Invalid("persistence engine name"))?;
                    Some(PersistenceData {
                        engine: engine.to_owned(),
                        data: w.rest().to_vec(),
                    })
                }
            };
            (None, expires, persistence)
        }
    };
    Ok(ConnEntry {
        protocol,
        client: SocketAddr::new(caddr, cport),
        virtual_addr: SocketAddr::new(vaddr, vport),
        dest: SocketAddr::new(daddr, dport),
        state,
        expires,
        persistence,
        origin,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONN_HEADER: &[u8] =
        b"Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData";
    const SYNC_HEADER: &[u8] =
        b"Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Origin Expires";

    #[test]
    fn headers_name_their_layout() {
        assert_eq!(ConnLayout::from_header(CONN_HEADER), Some(ConnLayout::Conn));
        assert_eq!(ConnLayout::from_header(SYNC_HEADER), Some(ConnLayout::Sync));
        assert_eq!(ConnLayout::from_header(b"Pro FromIP"), None);
        assert_eq!(ConnLayout::from_header(b""), None);
        let mut extra = CONN_HEADER.to_vec();
        extra.extend_from_slice(b" More");
        assert_eq!(ConnLayout::from_header(&extra), None);
    }

    #[test]
    fn ipv4_line_with_a_persistence_engine() {
        let e = parse_conn_line(
            b"UDP 0A000005 13C4 0A000001 13C4 0A000102 13C4 UDP             180 sip a b@c",
            ConnLayout::Conn,
        )
        .unwrap();
        assert_eq!(e.protocol, Protocol::Udp);
        assert_eq!(e.client, "10.0.0.5:5060".parse().unwrap());
        assert_eq!(e.virtual_addr, "10.0.0.1:5060".parse().unwrap());
        assert_eq!(e.dest, "10.0.1.2:5060".parse().unwrap());
        assert_eq!(e.state, ConnState::Udp);
        assert_eq!(e.expires, Duration::from_secs(180));
        let pe = e.persistence.unwrap();
        assert_eq!(
            (pe.engine.as_str(), pe.data.as_slice()),
            ("sip", &b"a b@c"[..])
        );
        assert_eq!(e.origin, None);
    }

    #[test]
    fn ipv6_and_mixed_destination() {
        let v6 = "2001:0db8:0000:0000:0000:0000:0000:0010";
        let line = format!("TCP 0A000002 C350 0A000001 0050 {v6} 01BB ESTABLISHED LOCAL 899");
        let e = parse_conn_line(line.as_bytes(), ConnLayout::Sync).unwrap();
        assert_eq!(e.dest, "[2001:db8::10]:443".parse().unwrap());
        assert_eq!(e.origin, Some(ConnOrigin::Local));
        assert_eq!(e.persistence, None);
        let line = format!("TCP {v6} C350 0A000001 0050 {v6} 01BB ESTABLISHED 899");
        assert_eq!(
            parse_conn_line(line.as_bytes(), ConnLayout::Conn),
            Err(ConnLineError::MixedFamilies)
        );
    }

    #[test]
    fn bad_lines_say_which_column() {
        let cases: [(&[u8], ConnLineError); 8] = [
            (b"", ConnLineError::Missing("protocol")),
            (b"TCP 0A000002", ConnLineError::Missing("client port")),
            (b"XYZ 0A000002 0001", ConnLineError::Invalid("protocol")),
            (
                b"TCP 0A00000G 0001",
                ConnLineError::Invalid("client address"),
            ),
            (b"TCP 0A000002 10000", ConnLineError::Invalid("client port")),
            (
                b"TCP 0A000002 0001 0A000001 0050 0A000003 0050 NONE 99999999999",
                ConnLineError::Invalid("expiry"),
            ),
            (
                b"TCP 0A000002 0001 0A000001 0050 0A000003 0050 NONE FOO 1",
                ConnLineError::Invalid("origin"),
            ),
            (
                b"TCP 0A000002 0001 0A000001 0050 0A000003 0050 NONE SYNC 1 x",
                ConnLineError::Trailing,
            ),
        ];
        for (line, want) in cases {
            let layout = if line.ends_with(b"1") || line.ends_with(b"x") {
                ConnLayout::Sync
            } else {
                ConnLayout::Conn
            };
            assert_eq!(
                parse_conn_line(line, layout),
                Err(want),
                "{:?}",
                String::from_utf8_lossy(line)
            );
        }
    }

    #[test]
    fn protocols_by_name_and_number() {
        for (name, p) in [
            (&b"IP"[..], Protocol::Other(0)),
            (b"ICMPv6", Protocol::Other(58)),
            (b"IP_47", Protocol::Other(47)),
            (b"SCTP", Protocol::Sctp),
        ] {
            assert_eq!(protocol(name), Ok(p));
            assert_eq!(super::super::entry::protocol_name(p).as_bytes(), name);
        }
        for bad in [&b"IP_"[..], b"IP_256", b"IP_+1", b"tcp"] {
            assert!(protocol(bad).is_err());
        }
    }
}

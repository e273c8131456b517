//! One entry of the IPVS connection table.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use crate::model::{Family, Protocol, ServiceKey};

/// A connection (or a persistence template) as the kernel lists it in
/// `/proc/net/ip_vs_conn` or `/proc/net/ip_vs_conn_sync`.
///
/// Addresses are as the kernel keeps them: `client` is where the packets
/// came from, `virtual_addr` the address they were sent to (the service's,
/// for connections of address services), `dest` the real server chosen.
/// The client and virtual addresses share a family; the destination's may
/// differ (a tunnelled real server of the other family).
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ConnEntry {
    /// The protocol. Persistence templates of address services carry the
    /// service's protocol (with client port 0); those of firewall-mark
    /// services have protocol 0, which the kernel prints `IP` (see
    /// [`ConnEntry::fwmark`]).
    pub protocol: Protocol,
    /// The client's address and port (port 0 in persistence templates).
    pub client: SocketAddr,
    /// The virtual address and port the client connected to. For a
    /// firewall-mark service's persistence template the address holds the
    /// mark ([`ConnEntry::fwmark`]).
    pub virtual_addr: SocketAddr,
    /// The real server's address and port.
    pub dest: SocketAddr,
    /// The protocol state.
    pub state: ConnState,
    /// The time left before the entry expires, in whole seconds (the
    /// kernel rounds down, and prints 0 for an entry past its time).
    pub expires: Duration,
    /// The persistence engine bound to the entry and its data (only in
    /// `ip_vs_conn`; `None` there when no engine is bound, and always
    /// `None` when read from `ip_vs_conn_sync`).
    pub persistence: Option<PersistenceData>,
    /// Whether the entry was made here or received from a sync daemon (only
    /// in `ip_vs_conn_sync`; `None` when read from `ip_vs_conn`).
    pub origin: Option<ConnOrigin>,
}

/// The persistence engine of an entry and the data it keys on (for the
/// `sip` engine: the SIP Call-ID).
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PersistenceData {
    /// The engine's name, such as `sip`.
    pub engine: String,
    /// The engine's data, as the kernel printed it (the bytes after the
    /// engine name and the blank after it, to the end of the line).
    pub data: Vec<u8>,
}

/// Where an entry of `ip_vs_conn_sync` came from.
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConnOrigin {
    /// Made by this host's own scheduling (`LOCAL`).
    Local,
    /// Received from a master sync daemon (`SYNC`).
    Sync,
}

impl ConnOrigin {
    /// The kernel's word for the origin.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Local => "LOCAL",
            Self::Sync => "SYNC",
        }
    }
}

impl fmt::Display for ConnOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! conn_states {
    ($($(#[$m:meta])* $variant:ident => $text:literal,)*) => {
        /// The state of a connection as the kernel names it: TCP and SCTP
        /// states, `UDP` for UDP, and `NONE`/`ASSURED` for persistence
        /// templates. A name this crate does not know is kept as
        /// [`ConnState::Other`].
        #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ConnState {
            $($(#[$m])* $variant,)*
            /// A state name this crate does not know.
            Other(String),
        }

        impl ConnState {
            /// The state of a kernel state name.
            pub fn from_name(name: &str) -> Self {
                match name {
                    $($text => ConnState::$variant,)*
                    other => ConnState::Other(other.to_owned()),
                }
            }

            /// The kernel's name of the state.
            pub fn as_str(&self) -> &str {
                match self {
                    $(ConnState::$variant => $text,)*
                    ConnState::Other(s) => s,
                }
            }
        }
    };
}

conn_states! {
    /// `NONE`: no state yet (templates, connections of unknown protocols).
    None => "NONE",
    /// TCP `ESTABLISHED` (also an SCTP state name).
    Established => "ESTABLISHED",
    /// TCP `SYN_SENT`.
    SynSent => "SYN_SENT",
    /// TCP `SYN_RECV`.
    SynRecv => "SYN_RECV",
    /// TCP `FIN_WAIT`.
    FinWait => "FIN_WAIT",
    /// TCP `TIME_WAIT`.
    TimeWait => "TIME_WAIT",
    /// TCP `CLOSE`.
    Close => "CLOSE",
    /// TCP `CLOSE_WAIT`.
    CloseWait => "CLOSE_WAIT",
    /// TCP `LAST_ACK`.
    LastAck => "LAST_ACK",
    /// TCP `LISTEN`.
    Listen => "LISTEN",
    /// TCP `SYNACK`.
    SynAck => "SYNACK",
    /// The one UDP state, `UDP`.
    Udp => "UDP",
    /// A persistence template that saw a confirmed connection (`ASSURED`).
    Assured => "ASSURED",
    /// SCTP `INIT1`.
    SctpInit1 => "INIT1",
    /// SCTP `INIT`.
    SctpInit => "INIT",
    /// SCTP `COOKIE_SENT`.
    SctpCookieSent => "COOKIE_SENT",
    /// SCTP `COOKIE_REPLIED`.
    SctpCookieReplied => "COOKIE_REPLIED",
    /// SCTP `COOKIE_WAIT`.
    SctpCookieWait => "COOKIE_WAIT",
    /// SCTP `COOKIE_ECHOED`.
    SctpCookieEchoed => "COOKIE_ECHOED",
    /// SCTP `SHUTDOWN_SENT`.
    SctpShutdownSent => "SHUTDOWN_SENT",
    /// SCTP `SHUTDOWN_RECEIVED`.
    SctpShutdownReceived => "SHUTDOWN_RECEIVED",
    /// SCTP `SHUTDOWN_ACK_SENT`.
    SctpShutdownAckSent => "SHUTDOWN_ACK_SENT",
    /// SCTP `REJECTED`.
    SctpRejected => "REJECTED",
    /// SCTP `CLOSED`.
    SctpClosed => "CLOSED",
}

impl fmt::Display for ConnState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The kernel's name of a protocol in the connection table (`TCP`, `UDP`,
/// `SCTP`, `IP` for protocol 0, `ICMPv6`, else `IP_<n>`).
pub fn protocol_name(p: Protocol) -> std::borrow::Cow<'static, str> {
    match p {
        Protocol::Tcp => "TCP".into(),
        Protocol::Udp => "UDP".into(),
        Protocol::Sctp => "SCTP".into(),
        Protocol::Other(0) => "IP".into(),
        Protocol::Other(58) => "ICMPv6".into(),
        Protocol::Other(n) => format!("IP_{n}").into(),
    }
}

/// The virtual address under which the kernel files a firewall-mark
/// service's persistence templates: the mark in the first 32 bits.
fn fwmark_addr(family: Family, mark: u32) -> IpAddr {
    match family {
        Family::Ipv4 => IpAddr::V4(Ipv4Addr::from(mark)),
        Family::Ipv6 => {
            let mut b = [0u8; 16];
            b[..4].copy_from_slice(&mark.to_be_bytes());
            IpAddr::V6(Ipv6Addr::from(b))
        }
    }
}

impl ConnEntry {
    /// The firewall mark, if this entry can be a persistence template of a
    /// firewall-mark service: protocol 0 (`IP`), virtual port 0, and a
    /// virtual address that holds only a 32-bit mark (IPv4: any non-zero
    /// address; IPv6: only the first 32 bits set). Connections of
    /// firewall-mark services themselves carry the packet's addresses and
    /// do not name the mark. A port-zero address service whose address
    /// looks like a mark (IPv4 `0.0.0.7`) cannot be told apart.
    pub fn fwmark(&self) -> Option<u32> {
        if self.protocol != Protocol::Other(0) || self.virtual_addr.port() != 0 {
            return None;
        }
        let mark = match self.virtual_addr.ip() {
            IpAddr::V4(a) => u32::from(a),
            IpAddr::V6(a) => {
                let o = a.octets();
                if o[4..].iter().any(|b| *b != 0) {
                    return None;
                }
                u32::from_be_bytes([o[0], o[1], o[2], o[3]])
            }
        };
        (mark != 0).then_some(mark)
    }

    /// Whether the entry belongs to the service `key`.
    ///
    /// For an address service: entries of its protocol on its address
    /// and port (any port for a port-zero service), its persistence
    /// templates included (they have its protocol, address and port). For
    /// a firewall-mark service: its persistence templates only
    /// ([`ConnEntry::fwmark`]), since the kernel lists its connections
    /// under the packets' own addresses.
    pub fn is_of_service(&self, key: &ServiceKey) -> bool {
        match *key {
            ServiceKey::Addr { protocol, addr } => {
                if self.virtual_addr.ip() != addr.ip() {
                    return false;
                }
                self.protocol == protocol
                    && (addr.port() == 0 || self.virtual_addr.port() == addr.port())
            }
            ServiceKey::FwMark { family, mark } => {
                self.protocol == Protocol::Other(0)
                    && self.virtual_addr.port() == 0
                    && self.virtual_addr.ip() == fwmark_addr(family, mark)
            }
        }
    }

    /// Whether the entry goes to the real server `dest`: the same address,
    /// and the same port unless `dest`'s port is 0 (a real server of port
    /// 0 takes each connection on its virtual port).
    pub fn is_to(&self, dest: &SocketAddr) -> bool {
        self.dest.ip() == dest.ip() && (dest.port() == 0 || self.dest.port() == dest.port())
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse::{parse_conn_line, ConnLayout};
    use super::*;

    /// A firewall-mark template as `ip_vs_sched_persist` files it: protocol
    /// 0, the mark as the virtual address, ports 0.
    #[test]
    fn fwmark_templates_belong_to_their_mark_only() {
        let v4 = parse_conn_line(
            b"IP  0A000003 0000 00000007 0000 0A000201 0000 NONE             58",
            ConnLayout::Conn,
        )
        .unwrap();
        assert_eq!(v4.fwmark(), Some(7));
        assert!(v4.is_of_service(&ServiceKey::fwmark(Family::Ipv4, 7)));
        assert!(!v4.is_of_service(&ServiceKey::fwmark(Family::Ipv4, 8)));
        assert!(!v4.is_of_service(&ServiceKey::fwmark(Family::Ipv6, 7)));
        assert!(!v4.is_of_service(&ServiceKey::tcp("0.0.0.7:0".parse().unwrap())));
        let line = "IP  2001:0db8:0000:0000:0000:0000:0000:0002 0000 \
            0000:0008:0000:0000:0000:0000:0000:0000 0000 \
            2001:0db8:0000:0000:0000:0000:0000:0010 0000 NONE 58";
        let v6 = parse_conn_line(line.as_bytes(), ConnLayout::Conn).unwrap();
        assert_eq!(v6.fwmark(), Some(8));
        assert!(v6.is_of_service(&ServiceKey::fwmark(Family::Ipv6, 8)));
        let tcp = parse_conn_line(
            b"TCP 0A000003 D000 0A000001 0050 0A000201 0050 ESTABLISHED     800",
            ConnLayout::Conn,
        )
        .unwrap();
        assert_eq!(tcp.fwmark(), None);
        assert!(tcp.is_to(&"10.0.2.1:0".parse().unwrap()));
        assert!(!tcp.is_to(&"10.0.2.1:81".parse().unwrap()));
    }
}

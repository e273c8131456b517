//! The text form of service keys and protocols: `tcp:10.0.0.1:80`,
//! `udp:[2001:db8::1]:53`, `fwmark:5`, `fwmark6:5`.

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;

use super::{Family, Protocol, ServiceKey};

/// Why a text is not a [`ServiceKey`] or a [`Protocol`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyTextError {
    /// No `:` after the protocol or `fwmark`.
    #[error(
        "expected PROTOCOL:ADDRESS:PORT (tcp, udp, sctp, protoN), fwmark:MARK or fwmark6:MARK"
    )]
    Shape,
    /// The protocol is not `tcp`, `udp`, `sctp` or `protoN` (N in 0..=65535).
    #[error("unknown protocol {0:?} (expected tcp, udp, sctp or protoN)")]
    Protocol(String),
    /// The part after the protocol is not `IPv4:PORT` or `[IPv6]:PORT`.
    #[error("{0:?} is not ADDRESS:PORT (IPv6 in brackets: [2001:db8::1]:53)")]
    Address(String),
    /// The mark is not a number in 1..=4294967295.
    #[error("firewall mark {0:?} is not a number in 1..=4294967295")]
    Mark(String),
}

/// A text that is not a [`ServiceKey`] (or a [`Protocol`]): the text and
/// what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad service key {text:?}: {reason}")]
pub struct ParseKeyError {
    /// The text given.
    pub text: String,
    /// What is wrong with it.
    pub reason: KeyTextError,
}

impl fmt::Display for Protocol {
    /// `tcp`, `udp`, `sctp`, or `protoN` for any other number.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Tcp => f.write_str("tcp"),
            Self::Udp => f.write_str("udp"),
            Self::Sctp => f.write_str("sctp"),
            Self::Other(n) => write!(f, "proto{n}"),
        }
    }
}

impl FromStr for Protocol {
    type Err = ParseKeyError;

    /// `tcp`, `udp`, `sctp` or `protoN` (ASCII case ignored).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.to_ascii_lowercase();
        let number = lower.strip_prefix("proto").map(u16::from_str);
        match (lower.as_str(), number) {
            ("tcp", _) => Ok(Self::Tcp),
            ("udp", _) => Ok(Self::Udp),
            ("sctp", _) => Ok(Self::Sctp),
            (_, Some(Ok(n))) => Ok(Self::from(n)),
            _ => Err(ParseKeyError {
                text: s.to_owned(),
                reason: KeyTextError::Protocol(s.to_owned()),
            }),
        }
    }
}

impl fmt::Display for ServiceKey {
    /// `tcp:10.0.0.1:80`, `udp:[2001:db8::1]:53`, `fwmark:5`, `fwmark6:5`:
    /// the text [`FromStr`] reads back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Addr { protocol, addr } => write!(f, "{protocol}:{addr}"),
            Self::FwMark {
                family: Family::Ipv4,
                mark,
            } => write!(f, "fwmark:{mark}"),
            Self::FwMark {
                family: Family::Ipv6,
                mark,
            } => write!(f, "fwmark6:{mark}"),
        }
    }
}

impl FromStr for ServiceKey {
    type Err = ParseKeyError;

    /// Reads `PROTOCOL:ADDRESS:PORT` (`tcp`, `udp`, `sctp` or `protoN`; an
    /// IPv6 address in brackets), `fwmark:MARK` (IPv4 packets) or
    /// `fwmark6:MARK` (IPv6 packets), ASCII case ignored in the words.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let fail = |reason| ParseKeyError {
            text: s.to_owned(),
            reason,
        };
        let (head, rest) = s.split_once(':').ok_or_else(|| fail(KeyTextError::Shape))?;
        let family = match head.to_ascii_lowercase().as_str() {
            "fwmark" => Some(Family::Ipv4),
            "fwmark6" => Some(Family::Ipv6),
            _ => None,
        };
        if let Some(family) = family {
            return match rest.parse::<u32>() {
                Ok(mark @ 1..) => Ok(Self::FwMark { family, mark }),
                _ => Err(fail(KeyTextError::Mark(rest.to_owned()))),
            };
        }
        let protocol = head.parse::<Protocol>().map_err(|e| fail(e.reason))?;
        let addr = rest
            .parse::<SocketAddr>()
            .map_err(|_| fail(KeyTextError::Address(rest.to_owned())))?;
        Ok(Self::Addr { protocol, addr })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_reads_back() {
        let keys = [
            ServiceKey::tcp("10.0.0.1:80".parse().unwrap()),
            ServiceKey::udp("[2001:db8::1]:53".parse().unwrap()),
            ServiceKey::sctp("10.0.0.1:3868".parse().unwrap()),
            ServiceKey::Addr {
                protocol: Protocol::Other(47),
                addr: "10.0.0.1:0".parse().unwrap(),
            },
            ServiceKey::fwmark(Family::Ipv4, 5),
            ServiceKey::fwmark(Family::Ipv6, u32::MAX),
        ];
        let texts = [
            "tcp:10.0.0.1:80",
            "udp:[2001:db8::1]:53",
            "sctp:10.0.0.1:3868",
            "proto47:10.0.0.1:0",
            "fwmark:5",
            "fwmark6:4294967295",
        ];
        for (key, text) in keys.iter().zip(texts) {
            assert_eq!(key.to_string(), text);
            assert_eq!(text.parse::<ServiceKey>().unwrap(), *key);
        }
        assert_eq!(
            "TCP:10.0.0.1:80".parse::<ServiceKey>().unwrap(),
            keys[0],
            "words ignore ASCII case"
        );
        assert_eq!("proto6:10.0.0.1:80".parse::<ServiceKey>().unwrap(), keys[0]);
    }

    #[test]
    fn bad_text_says_what_is_wrong() {
        let reason = |t: &str| t.parse::<ServiceKey>().unwrap_err().reason;
        assert_eq!(reason("10.0.0.1"), KeyTextError::Shape);
        assert_eq!(reason(""), KeyTextError::Shape);
        assert_eq!(
            reason("icmp:10.0.0.1:80"),
            KeyTextError::Protocol("icmp".into())
        );
        assert_eq!(
            reason("proto70000:10.0.0.1:80"),
            KeyTextError::Protocol("proto70000".into())
        );
        assert_eq!(
            reason("tcp:10.0.0.1"),
            KeyTextError::Address("10.0.0.1".into())
        );
        assert_eq!(
            reason("udp:2001:db8::1:53"),
            KeyTextError::Address("2001:db8::1:53".into())
        );
        assert_eq!(
            reason("tcp:10.0.0.1:65536"),
            KeyTextError::Address("10.0.0.1:65536".into())
        );
        assert_eq!(reason("fwmark:0"), KeyTextError::Mark("0".into()));
        assert_eq!(reason("fwmark6:-1"), KeyTextError::Mark("-1".into()));
        assert_eq!(
            reason("fwmark:4294967296"),
            KeyTextError::Mark("4294967296".into())
        );
        let e = "tcp:x".parse::<ServiceKey>().unwrap_err();
        assert_eq!(e.text, "tcp:x");
        assert!(e.to_string().contains("\"tcp:x\""), "{e}");
    }
}

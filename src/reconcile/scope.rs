//! What a reconcile owns: virtual address prefixes, firewall-mark ranges,
//! protocols, or a predicate on the key.

use std::fmt;
use std::net::IpAddr;
use std::ops::RangeInclusive;
use std::str::FromStr;
use std::sync::Arc;

use crate::model::{Protocol, ServiceKey};

/// An IP prefix: an address and how many of its leading bits count
/// (`10.0.0.0/24`, `2001:db8::/32`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Prefix {
    addr: IpAddr,
    len: u8,
}

/// Why a prefix is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PrefixError {
    /// The length is longer than the address (32 bits for IPv4, 128 for
    /// IPv6).
    #[error("prefix length {len} is longer than the {max} bits of {addr}")]
    Length {
        /// The address.
        addr: IpAddr,
        /// The length given.
        len: u8,
        /// The address's length in bits.
        max: u8,
    },
    /// The address has bits set after the prefix (`10.0.0.1/24`), which
    /// usually means a typing mistake.
    #[error("{addr}/{len} has bits set after the prefix (did you mean {network}/{len}?)")]
    HostBits {
        /// The address.
        addr: IpAddr,
        /// The length.
        len: u8,
        /// The address with those bits cleared.
        network: IpAddr,
    },
    /// The text is not `ADDRESS/LENGTH` or `ADDRESS`.
    #[error("{0:?} is not ADDRESS/LENGTH (10.0.0.0/24, 2001:db8::/32) or an address")]
    Text(String),
}

fn bits(addr: IpAddr) -> (u128, u8) {
    match addr {
        IpAddr::V4(a) => (u128::from(u32::from(a)), 32),
        IpAddr::V6(a) => (u128::from(a), 128),
    }
}

/// The mask of the first `len` of `max` bits.
fn mask(len: u8, max: u8) -> u128 {
    let all = if max == 32 {
        u128::from(u32::MAX)
    } else {
        u128::MAX
    };
    match u32::from(max - len) {
        128 => 0,
        shift => all & !((1u128 << shift) - 1),
    }
}

impl Prefix {
    /// The prefix of `len` bits at `addr`. Refuses a length longer than the
    /// address and an address with bits set after the prefix.
    pub fn new(addr: IpAddr, len: u8) -> Result<Self, PrefixError> {
        let (value, max) = bits(addr);
        if len > max {
            return Err(PrefixError::Length { addr, len, max });
        }
        let net = value & mask(len, max);
        if net != value {
            let network = match addr {
                IpAddr::V4(_) => IpAddr::V4((net as u32).into()),
                IpAddr::V6(_) => IpAddr::V6(net.into()),
            };
            return Err(PrefixError::HostBits { addr, len, network });
        }
        Ok(Self { addr, len })
    }

    /// The prefix holding `addr` alone (`/32` or `/128`).
    pub fn host(addr: IpAddr) -> Self {
        Self {
            addr,
            len: bits(addr).1,
        }
    }

    /// The network address.
    pub fn addr(&self) -> IpAddr {
        self.addr
    }

    /// The length in bits.
    pub fn prefix_len(&self) -> u8 {
        self.len
    }

    /// Whether `ip` is in the prefix (never for an address of the other
    /// family).
    pub fn contains(&self, ip: &IpAddr) -> bool {
        let (net, max) = bits(self.addr);
        let (value, ip_max) = bits(*ip);
        max == ip_max && value & mask(self.len, max) == net
    }
}

impl fmt::Display for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

impl FromStr for Prefix {
    type Err = PrefixError;

    /// `ADDRESS/LENGTH`, or an address alone for that one address.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let text = || PrefixError::Text(s.to_owned());
        match s.split_once('/') {
            None => s.parse().map(Self::host).map_err(|_| text()),
            Some((addr, len)) => {
                let addr = addr.parse().map_err(|_| text())?;
                let len = len.parse().map_err(|_| text())?;
                Self::new(addr, len)
            }
        }
    }
}

/// A predicate that decides which keys a scope owns.
type KeyPredicate = Arc<dyn Fn(&ServiceKey) -> bool + Send + Sync>;

/// The services a reconcile owns. Services outside it are never read into
/// a plan, changed or deleted, and a desired service outside it is refused
/// ([`ReconcileError::OutOfScope`](super::ReconcileError::OutOfScope)).
///
/// A scope is made of rules: an address service is owned when one of the
/// [prefixes](Self::prefix) holds its virtual address and, when
/// [protocols](Self::protocol) are given, its protocol is one of them; a
/// firewall-mark service (IPv4 or IPv6) when one of the
/// [mark ranges](Self::fwmarks) holds its mark. A [filter](Self::filter)
/// narrows what the rules own. [`Scope::all`] owns every service and must
/// be asked for by name.
///
/// ```
/// use ipvs_netlink::{Protocol, Scope, ServiceKey};
///
/// let scope = Scope::new()
///     .prefix("10.0.0.0/24".parse().unwrap())
///     .protocol(Protocol::Tcp)
///     .fwmarks(100..=199);
/// assert!(scope.contains(&"tcp:10.0.0.7:80".parse().unwrap()));
/// assert!(!scope.contains(&"udp:10.0.0.7:53".parse().unwrap()));
/// assert!(!scope.contains(&"tcp:10.0.1.7:80".parse().unwrap()));
/// assert!(scope.contains(&"fwmark6:150".parse().unwrap()));
/// assert!(!Scope::new().contains(&"fwmark:1".parse().unwrap()));
/// let odd_ports = Scope::all().filter(|k: &ServiceKey| match k {
///     ServiceKey::Addr { addr, .. } => addr.port() % 2 == 1,
///     ServiceKey::FwMark { .. } => false,
/// });
/// assert!(odd_ports.contains(&"udp:[2001:db8::1]:53".parse().unwrap()));
/// ```
#[derive(Clone, Default)]
pub struct Scope {
    prefixes: Vec<Prefix>,
    fwmarks: Vec<RangeInclusive<u32>>,
    protocols: Vec<Protocol>,
    filters: Vec<KeyPredicate>,
}

impl Scope {
    /// A scope that owns nothing yet: add prefixes and mark ranges.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every service of the namespace: IPv4 and IPv6 addresses, every
    /// protocol, every mark.
    pub fn all() -> Self {
        Self::new()
            .prefix(Prefix::new(IpAddr::V4(0.into()), 0).expect("0.0.0.0/0"))
            .prefix(Prefix::new(IpAddr::V6(0.into()), 0).expect("::/0"))
            .fwmarks(1..=u32::MAX)
    }

    /// Also owns address services whose virtual address `prefix` holds.
    pub fn prefix(mut self, prefix: Prefix) -> Self {
        self.prefixes.push(prefix);
        self
    }

    /// Also owns firewall-mark services whose mark `marks` holds.
    pub fn fwmarks(mut self, marks: RangeInclusive<u32>) -> Self {
        self.fwmarks.push(marks);
        self
    }

    /// Owns address services of the protocols named this way only (any
    /// protocol while none is named). Marks are not protocol-bound.
    pub fn protocol(mut self, protocol: Protocol) -> Self {
        self.protocols.push(protocol);
        self
    }

    /// Owns only the keys for which `owns` also answers true.
    pub fn filter(mut self, owns: impl Fn(&ServiceKey) -> bool + Send + Sync + 'static) -> Self {
        self.filters.push(Arc::new(owns));
        self
    }

    /// Whether the scope owns the service `key`.
    pub fn contains(&self, key: &ServiceKey) -> bool {
        let by_rules = match key {
            ServiceKey::Addr { protocol, addr } => {
                self.prefixes.iter().any(|p| p.contains(&addr.ip()))
                    && (self.protocols.is_empty() || self.protocols.contains(protocol))
            }
            ServiceKey::FwMark { mark, .. } => self.fwmarks.iter().any(|r| r.contains(mark)),
        };
        by_rules && self.filters.iter().all(|f| f(key))
    }
}

impl fmt::Debug for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scope")
            .field("prefixes", &self.prefixes)
            .field("fwmarks", &self.fwmarks)
            .field("protocols", &self.protocols)
            .field("filters", &self.filters.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_hold_their_addresses_only() {
        let p: Prefix = "10.0.0.0/24".parse().unwrap();
        assert!(p.contains(&"10.0.0.255".parse().unwrap()));
        assert!(!p.contains(&"10.0.1.0".parse().unwrap()));
        assert!(
            !p.contains(&"::ffff:10.0.0.1".parse().unwrap()),
            "other family"
        );
        let all4: Prefix = "0.0.0.0/0".parse().unwrap();
        assert!(all4.contains(&"255.255.255.255".parse().unwrap()));
        assert!(!all4.contains(&"::".parse().unwrap()));
        let six: Prefix = "2001:db8::/127".parse().unwrap();
        assert!(six.contains(&"2001:db8::1".parse().unwrap()));
        assert!(!six.contains(&"2001:db8::2".parse().unwrap()));
        let host: Prefix = "2001:db8::5".parse().unwrap();
        assert_eq!(host.prefix_len(), 128);
        assert_eq!(host.to_string(), "2001:db8::5/128");
        assert!(host.contains(&"2001:db8::5".parse().unwrap()));
        assert!("::/0"
            .parse::<Prefix>()
            .unwrap()
            .contains(&"ffff::1".parse().unwrap()));
    }

    #[test]
    fn bad_prefixes_are_typed_errors() {
        assert!(matches!(
            "10.0.0.0/33".parse::<Prefix>(),
            Err(PrefixError::Length {
                len: 33,
                max: 32,
                ..
            })
        ));
        let e = "10.0.0.1/24".parse::<Prefix>().unwrap_err();
        assert_eq!(
            e,
            PrefixError::HostBits {
                addr: "10.0.0.1".parse().unwrap(),
                len: 24,
                network: "10.0.0.0".parse().unwrap()
            }
        );
        assert!(e.to_string().contains("did you mean 10.0.0.0/24"), "{e}");
        assert!(matches!(
            "2001:db8::1/16".parse::<Prefix>(),
            Err(PrefixError::HostBits { .. })
        ));
        for bad in ["", "10.0.0/8", "10.0.0.0/", "10.0.0.0/x", "10.0.0.0/-1"] {
            assert_eq!(
                bad.parse::<Prefix>(),
                Err(PrefixError::Text(bad.into())),
                "{bad}"
            );
        }
    }

    #[test]
    fn scopes_own_by_prefix_protocol_mark_and_filter() {
        let key = |s: &str| s.parse::<ServiceKey>().unwrap();
        let all = Scope::all();
        for k in [
            "tcp:1.2.3.4:1",
            "proto47:[::1]:0",
            "fwmark:1",
            "fwmark6:4294967295",
        ] {
            assert!(all.contains(&key(k)), "{k}");
        }
        let none = Scope::new();
        assert!(!none.contains(&key("tcp:1.2.3.4:1")));
        let v6 = Scope::new()
            .prefix("2001:db8::/32".parse().unwrap())
            .protocol(Protocol::Udp)
            .protocol(Protocol::Sctp);
        assert!(v6.contains(&key("udp:[2001:db8::1]:53")));
        assert!(v6.contains(&key("sctp:[2001:db8::1]:53")));
        assert!(!v6.contains(&key("tcp:[2001:db8::1]:53")));
        assert!(!v6.contains(&key("fwmark6:1")), "no mark range given");
        let marks = Scope::new().fwmarks(10..=20).protocol(Protocol::Tcp);
        assert!(marks.contains(&key("fwmark:10")) && marks.contains(&key("fwmark6:20")));
        assert!(!marks.contains(&key("fwmark:21")));
        let filtered = Scope::all().filter(|k| !k.is_fwmark());
        assert!(filtered.contains(&key("tcp:1.2.3.4:1")));
        assert!(!filtered.contains(&key("fwmark:3")));
        assert!(format!("{filtered:?}").contains("filters: 1"));
    }
}

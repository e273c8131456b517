//! Connection timeouts of a network namespace.

use crate::wire::IpvsAttr;

/// TCP, TCP FIN_WAIT and UDP timeouts in seconds. As a reply every field the
/// kernel sent is `Some`; as a change, `None` (or 0) leaves a value as it is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Timeouts {
    /// Established TCP connections (default 900 s).
    pub tcp: Option<u32>,
    /// TCP after FIN (default 120 s).
    pub tcp_fin: Option<u32>,
    /// UDP (default 300 s).
    pub udp: Option<u32>,
}

impl Timeouts {
    /// The top-level attributes of SET_CONFIG (and of a GET_CONFIG reply).
    pub fn to_attrs(self) -> Vec<IpvsAttr> {
        let mut v = Vec::with_capacity(3);
        if let Some(t) = self.tcp {
            v.push(IpvsAttr::TimeoutTcp(t));
        }
        if let Some(t) = self.tcp_fin {
            v.push(IpvsAttr::TimeoutTcpFin(t));
        }
        if let Some(t) = self.udp {
            v.push(IpvsAttr::TimeoutUdp(t));
        }
        v
    }

    /// The timeouts of a GET_CONFIG reply.
    pub fn from_attrs(attrs: &[IpvsAttr]) -> Self {
        let mut t = Timeouts::default();
        for a in attrs {
            match a {
                IpvsAttr::TimeoutTcp(v) => t.tcp = Some(*v),
                IpvsAttr::TimeoutTcpFin(v) => t.tcp_fin = Some(*v),
                IpvsAttr::TimeoutUdp(v) => t.udp = Some(*v),
                _ => {}
            }
        }
        t
    }
}

//! Connection timeouts of a network namespace.

use crate::wire::message::{read_attrs, IpvsRef};
use crate::wire::nla::Writer;
use crate::wire::{Command, DecodeError, IpvsAttr};

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
    /// The attributes that say it, borrowed, in wire order.
    fn refs(self) -> impl Iterator<Item = IpvsRef<'static>> {
        [
            self.tcp.map(IpvsRef::TimeoutTcp),
            self.tcp_fin.map(IpvsRef::TimeoutTcpFin),
            self.udp.map(IpvsRef::TimeoutUdp),
        ]
        .into_iter()
        .flatten()
    }

    /// The top-level attributes of SET_CONFIG (and of a GET_CONFIG reply).
    pub fn to_attrs(self) -> Vec<IpvsAttr> {
        [
            self.tcp.map(IpvsAttr::TimeoutTcp),
            self.tcp_fin.map(IpvsAttr::TimeoutTcpFin),
            self.udp.map(IpvsAttr::TimeoutUdp),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    /// Writes the top-level attributes of SET_CONFIG.
    pub(crate) fn emit(self, w: &mut Writer<'_>) {
        self.refs().for_each(|a| a.emit(w));
    }

    /// The timeouts of a GET_CONFIG reply.
    pub fn from_attrs(attrs: &[IpvsAttr]) -> Self {
        let mut t = Self::default();
        attrs.iter().for_each(|a| t.take(a.view()));
        t
    }

    /// The timeouts of a GET_CONFIG reply's attributes, `body`, read
    /// without building them.
    pub(crate) fn from_wire(command: Command, body: &[u8]) -> Result<Self, DecodeError> {
        let mut t = Self::default();
        read_attrs(command, body, |a| {
            t.take(a);
            Ok(())
        })?;
        Ok(t)
    }

    fn take(&mut self, a: IpvsRef<'_>) {
        match a {
            IpvsRef::TimeoutTcp(v) => self.tcp = Some(v),
            IpvsRef::TimeoutTcpFin(v) => self.tcp_fin = Some(v),
            IpvsRef::TimeoutUdp(v) => self.udp = Some(v),
            _ => {}
        }
    }
}

//! A whole IPVS generic netlink message: command plus top-level attributes.

use netlink_packet_core::{Emitable, ParseableParametrized};
use netlink_packet_generic::{GenlFamily, GenlHeader};

use super::attr_set::{attr_set, NestOf, U32};
use super::command::Command;
use super::constants::{IPVS_GENL_NAME, IPVS_GENL_VERSION};
use super::daemon::DaemonAttr;
use super::dest::DestAttr;
use super::nla::{self, attrs, Writer};
use super::service::ServiceAttr;
use super::{DecodeError, EncodeError};

attr_set! {
    /// A top-level attribute. Which set applies depends on the command: GET_INFO
    /// and its SET_INFO reply carry the `IPVS_INFO_ATTR_*` set.
    pub enum IpvsAttr [] [];
    /// An [`IpvsAttr`] borrowed from a payload or from the enum.
    ref IpvsRef;
    /// Top-level attributes (`IPVS_CMD_ATTR_*`).
    pub mod cmd_attr {
        /// Nest of service attributes.
        SERVICE = 1, "service" =>
            /// A service nest.
            Service(Vec<ServiceAttr>): NestOf<ServiceAttr>,
        /// Nest of destination attributes.
        DEST = 2, "dest" =>
            /// A destination nest.
            Dest(Vec<DestAttr>): NestOf<DestAttr>,
        /// Nest of sync daemon attributes.
        DAEMON = 3, "daemon" =>
            /// A sync daemon nest.
            Daemon(Vec<DaemonAttr>): NestOf<DaemonAttr>,
        /// TCP established timeout, seconds.
        TIMEOUT_TCP = 4, "timeout_tcp" =>
            /// TCP established timeout, seconds.
            TimeoutTcp(u32): U32,
        /// TCP FIN_WAIT timeout, seconds.
        TIMEOUT_TCP_FIN = 5, "timeout_tcp_fin" =>
            /// TCP FIN_WAIT timeout, seconds.
            TimeoutTcpFin(u32): U32,
        /// UDP timeout, seconds.
        TIMEOUT_UDP = 6, "timeout_udp" =>
            /// UDP timeout, seconds.
            TimeoutUdp(u32): U32,
    }
    /// Top-level attributes of a GET_INFO reply (`IPVS_INFO_ATTR_*`).
    pub mod info_attr {
        /// `IP_VS_VERSION_CODE`.
        VERSION = 1, "version" =>
            /// `IP_VS_VERSION_CODE` (info set).
            InfoVersion(u32): U32,
        /// Size of the connection hash table.
        CONN_TAB_SIZE = 2, "conn_tab_size" =>
            /// Connection table size (info set).
            InfoConnTabSize(u32): U32,
    }
}

/// Calls `f` with each top-level attribute of a message with command
/// `command`, borrowed, read with the set the command carries; an error
/// names the attribute.
pub(crate) fn read_attrs<'a>(
    command: Command,
    buf: &'a [u8],
    f: impl FnMut(IpvsRef<'a>) -> Result<(), DecodeError>,
) -> Result<(), DecodeError> {
    if command.has_info_attrs() {
        info_attr::read(buf, f)
    } else {
        cmd_attr::read(buf, f)
    }
}

/// Re-emitting adds what the kernel may omit (a string's NUL, the last
/// attribute's padding), up to 8 bytes per attribute; an attribute whose
/// payload is below this size cannot outgrow the 16-bit length field.
const SAFE_NEST_LEN: usize = (u16::MAX as usize - 8) / 3;

/// Fails on a nest that would not fit its length field once re-emitted, so
/// that whatever parses also re-emits to the same message.
fn check_reemit(attr: &IpvsAttr, input_len: usize) -> Result<(), DecodeError> {
    if input_len <= SAFE_NEST_LEN {
        return Ok(());
    }
    let mut buf = Vec::with_capacity(input_len + 64);
    nla::write(&mut buf, |w| attr.emit(w)).map_err(|e| {
        DecodeError::new(super::DecodeErrorKind::InvalidValue(format!(
            "nest of {input_len} bytes cannot be re-emitted: {e}"
        )))
    })
}

/// An IPVS message: the generic netlink command and its attributes, without
/// the netlink and generic netlink headers.
///
/// Every message of this type can be written: [`new`](Self::new) and the
/// parsers refuse attributes whose lengths would not fit their 16-bit
/// length fields, so emitting never cuts a length short.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpvsMessage {
    command: Command,
    attrs: Vec<IpvsAttr>,
}

impl IpvsMessage {
    /// A message with the given command and attributes. Fails when an
    /// attribute, written out, would be longer than its length field can
    /// say (for example a nest holding more than 64 KiB).
    pub fn new(command: Command, attrs: Vec<IpvsAttr>) -> Result<Self, EncodeError> {
        let message = Self { command, attrs };
        let mut scratch = Vec::new();
        nla::write(&mut scratch, |w| message.emit_with(w))?;
        Ok(message)
    }

    /// The command.
    pub fn command(&self) -> Command {
        self.command
    }

    /// The top-level attributes, in wire order.
    pub fn attrs(&self) -> &[IpvsAttr] {
        &self.attrs
    }

    /// The top-level attributes, in wire order, taken out of the message.
    pub fn into_attrs(self) -> Vec<IpvsAttr> {
        self.attrs
    }

    /// Parses the attributes that follow the generic netlink header of a
    /// message with command `command`.
    pub fn parse_attrs(command: Command, buf: &[u8]) -> Result<Self, DecodeError> {
        let info = command.has_info_attrs();
        let mut out = Vec::with_capacity(2);
        for attr in attrs(buf) {
            let attr = attr?;
            let parsed = if info {
                info_attr::parse_one(&attr)
            } else {
                cmd_attr::parse_one(&attr)
            };
            let parsed = parsed?;
            check_reemit(&parsed, attr.value.len())?;
            out.push(parsed);
        }
        Ok(Self {
            command,
            attrs: out,
        })
    }

    /// Parses a generic netlink payload: the 4-byte generic netlink header
    /// followed by the attributes.
    pub fn parse_genl(buf: &[u8]) -> Result<Self, DecodeError> {
        let (command, attrs) = split_genl(buf)?;
        Self::parse_attrs(command, attrs)
    }

    fn emit_with(&self, w: &mut Writer<'_>) {
        self.attrs.iter().for_each(|a| a.emit(w));
    }

    /// Appends the attributes (no headers) to `out`.
    pub fn emit_attrs(&self, out: &mut Vec<u8>) {
        // `new` and the parsers checked every length, so this cannot fail.
        let written = nla::write(out, |w| self.emit_with(w));
        debug_assert!(written.is_ok(), "{written:?}");
    }

    /// Appends the generic netlink header and the attributes to `out`.
    pub fn emit_genl(&self, out: &mut Vec<u8>) {
        push_genl_header(out, self.command);
        self.emit_attrs(out);
    }
}

/// Appends the 4-byte generic netlink header of an IPVS message.
pub(crate) fn push_genl_header(out: &mut Vec<u8>, command: Command) {
    out.extend_from_slice(&[u8::from(command), IPVS_GENL_VERSION, 0, 0]);
}

/// Splits a generic netlink payload into the command of its 4-byte header
/// and the attributes that follow.
pub(crate) fn split_genl(buf: &[u8]) -> Result<(Command, &[u8]), DecodeError> {
    match buf {
        [command, _, _, _, attrs @ ..] => Ok((Command::from(*command), attrs)),
        _ => Err(DecodeError::new(super::DecodeErrorKind::Truncated {
            needed: 4,
            available: buf.len(),
        })),
    }
}

impl GenlFamily for IpvsMessage {
    fn family_name() -> &'static str {
        IPVS_GENL_NAME
    }

    fn command(&self) -> u8 {
        u8::from(self.command)
    }

    fn version(&self) -> u8 {
        IPVS_GENL_VERSION
    }
}

impl Emitable for IpvsMessage {
    /// Computed from the attributes, without writing them.
    fn buffer_len(&self) -> usize {
        self.attrs.iter().map(IpvsAttr::wire_len).sum()
    }

    fn emit(&self, buffer: &mut [u8]) {
        let mut v = Vec::with_capacity(buffer.len());
        self.emit_attrs(&mut v);
        let n = v.len().min(buffer.len());
        buffer[..n].copy_from_slice(&v[..n]);
    }
}

impl ParseableParametrized<[u8], GenlHeader> for IpvsMessage {
    fn parse_with_param(
        buf: &[u8],
        header: GenlHeader,
    ) -> Result<Self, netlink_packet_core::DecodeError> {
        Ok(Self::parse_attrs(Command::from(header.cmd), buf)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::RawAttr;
    use netlink_packet_core::{NetlinkHeader, NetlinkMessage, NetlinkPayload, NLM_F_REQUEST};
    use netlink_packet_generic::GenlMessage;

    #[test]
    fn new_refuses_a_nest_its_length_cannot_hold() {
        // Each attribute fits on its own; together they outgrow the nest.
        let raw = |kind| IpvsAttr::Other(RawAttr::new(kind, vec![1; 30_000]).unwrap());
        let big = || ServiceAttr::Other(RawAttr::new(40, vec![2; 30_000]).unwrap());
        let ok = IpvsMessage::new(Command::NewService, vec![raw(9), raw(10), raw(11)]).unwrap();
        let mut bytes = Vec::new();
        ok.emit_genl(&mut bytes);
        assert_eq!(IpvsMessage::parse_genl(&bytes).unwrap(), ok);

        let one = IpvsMessage::new(Command::NewService, vec![IpvsAttr::Service(vec![big()])]);
        assert!(one.is_ok());
        let e = IpvsMessage::new(
            Command::NewService,
            vec![IpvsAttr::Service(vec![big(), big(), big()])],
        )
        .unwrap_err();
        assert_eq!(
            e,
            EncodeError::AttributeTooLong {
                kind: cmd_attr::SERVICE,
                len: 4 + 3 * 30_004
            }
        );
        assert!(e.to_string().contains("90016 bytes"), "{e}");
    }

    #[test]
    fn works_through_the_genetlink_crates() {
        let svc = ServiceAttr::parse_nest(&{
            let mut b = Vec::new();
            nla::write(&mut b, |w| {
                ServiceAttr::AddressFamily(2).emit(w);
                ServiceAttr::FwMark(7).emit(w);
            })
            .unwrap();
            b
        })
        .unwrap();
        let msg = IpvsMessage::new(Command::DelService, vec![IpvsAttr::Service(svc)]).unwrap();
        let mut genl = GenlMessage::from_payload(msg.clone());
        genl.set_resolved_family_id(0x24);
        let mut header = NetlinkHeader::default();
        header.flags = NLM_F_REQUEST;
        header.sequence_number = 9;
        let mut nl = NetlinkMessage::new(header, NetlinkPayload::from(genl));
        nl.finalize();
        let mut buf = vec![0u8; nl.buffer_len()];
        nl.serialize(&mut buf);

        // Our own framing reads what the genetlink crates wrote...
        let mut ours = Vec::new();
        crate::wire::netlink::push_message(&mut ours, 0x24, NLM_F_REQUEST, 9, |o| msg.emit_genl(o))
            .unwrap();
        assert_eq!(buf, ours);
        // ...and they read it back into the same message.
        let back = NetlinkMessage::<GenlMessage<IpvsMessage>>::deserialize(&buf).unwrap();
        let NetlinkPayload::InnerMessage(g) = back.payload else {
            panic!("not an inner message")
        };
        assert_eq!(g.payload, msg);
        assert_eq!(g.header.cmd, 3);
    }
}

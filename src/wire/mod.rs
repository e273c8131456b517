//! The wire format: netlink framing, attributes and the IPVS message, with
//! no I/O.
//!
//! Everything here is lossless: an attribute a newer kernel adds is kept as
//! [`RawAttr`] and re-emitted unchanged. Nothing is cut short either: a
//! value whose length does not fit its netlink length field is refused with
//! an [`EncodeError`]. The typed model in [`crate::model`] converts to and
//! from these attribute lists.

pub(crate) mod attr_set;
mod command;
pub mod constants;
pub mod ctrl;
pub(crate) mod daemon;
mod decode_error;
pub(crate) mod dest;
mod encode_error;
pub(crate) mod message;
pub mod netlink;
pub(crate) mod nla;
pub use nla::{NLA_F_NESTED, NLA_F_NET_BYTEORDER, NLA_TYPE_MASK};
pub(crate) mod service;
pub(crate) mod stats;

pub use command::Command;
pub use daemon::DaemonAttr;
pub use decode_error::{DecodeError, DecodeErrorKind};
pub use dest::DestAttr;
pub use encode_error::EncodeError;
pub use message::{IpvsAttr, IpvsMessage};
pub use nla::RawAttr;
pub use service::ServiceAttr;
pub use stats::{Counter, Stats32Attr, Stats64Attr, StatsAttr};

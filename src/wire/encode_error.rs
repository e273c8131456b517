//! The error of writing bytes whose length does not fit its length field.

/// A length that a netlink length field cannot hold. Nothing is cut short:
/// whatever was being written is refused as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// An attribute (a nest with its content, or a payload with its
    /// header) longer than the 65,535 bytes its 16-bit length can say.
    #[error(
        "attribute of type {kind:#06x} would be {len} bytes long, \
         above the 65535 bytes a netlink attribute can hold"
    )]
    AttributeTooLong {
        /// The attribute's type, flag bits included.
        kind: u16,
        /// Its length, header included.
        len: usize,
    },
    /// A message longer than its 32-bit length can say.
    #[error(
        "netlink message would be {len} bytes long, \
         above the 4294967295 bytes its length field can hold"
    )]
    MessageTooLong {
        /// Its length, header included.
        len: usize,
    },
}

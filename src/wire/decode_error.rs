//! The error every parser in [`crate::wire`] returns.

use std::fmt;

/// What was wrong with the bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// The buffer ended before a header or a declared length.
    Truncated {
        /// Bytes the header or the length field asked for.
        needed: usize,
        /// Bytes that were left.
        available: usize,
    },
    /// A length field is smaller than the header it belongs to.
    LengthTooSmall {
        /// The declared length.
        declared: usize,
        /// The smallest valid length.
        minimum: usize,
    },
    /// A fixed-size payload has the wrong size.
    PayloadSize {
        /// Sizes that would have been accepted.
        expected: &'static [usize],
        /// The size found.
        found: usize,
    },
    /// A string attribute is not valid UTF-8.
    InvalidUtf8,
    /// A value is outside what the field can hold.
    InvalidValue(String),
    /// A required attribute is absent.
    MissingAttribute,
}

/// A parse failure, with the attribute path where it happened.
///
/// The path names the attribute from the top level down, for example
/// `service/stats64/conns`; an empty path means the netlink or generic netlink
/// header itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError(Box<Inner>);

/// Boxed so that a parser's `Result` stays the size of its value plus a
/// pointer: parsing a table listing returns millions of them.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Inner {
    path: Vec<&'static str>,
    kind: DecodeErrorKind,
}

impl DecodeError {
    /// A new error at the innermost place (the path is filled in on the way out).
    pub(crate) fn new(kind: DecodeErrorKind) -> Self {
        Self(Box::new(Inner {
            path: Vec::new(),
            kind,
        }))
    }

    /// An error for an attribute that must be present.
    pub(crate) fn missing(name: &'static str) -> Self {
        Self::new(DecodeErrorKind::MissingAttribute).within(name)
    }

    /// Prefixes the path with the name of the enclosing attribute or structure.
    pub(crate) fn within(mut self, name: &'static str) -> Self {
        self.0.path.insert(0, name);
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> &DecodeErrorKind {
        &self.0.kind
    }

    /// The attribute path, for example `service/stats64/conns`.
    pub fn path(&self) -> String {
        self.0.path.join("/")
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = if self.0.path.is_empty() {
            "message header".to_string()
        } else {
            self.path()
        };
        match &self.0.kind {
            DecodeErrorKind::Truncated { needed, available } => write!(
                f,
                "{path}: truncated, needed {needed} bytes but {available} remain"
            ),
            DecodeErrorKind::LengthTooSmall { declared, minimum } => write!(
                f,
                "{path}: declared length {declared} is below the minimum {minimum}"
            ),
            DecodeErrorKind::PayloadSize { expected, found } => {
                write!(f, "{path}: payload of {found} bytes, expected ")?;
                for (i, e) in expected.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" or ")?;
                    }
                    write!(f, "{e}")?;
                }
                Ok(())
            }
            DecodeErrorKind::InvalidUtf8 => write!(f, "{path}: string is not valid UTF-8"),
            DecodeErrorKind::InvalidValue(what) => write!(f, "{path}: {what}"),
            DecodeErrorKind::MissingAttribute => write!(f, "{path}: required attribute missing"),
        }
    }
}

impl std::error::Error for DecodeError {}

impl From<DecodeError> for netlink_packet_core::DecodeError {
    fn from(e: DecodeError) -> Self {
        Self::from(e.to_string())
    }
}

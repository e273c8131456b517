//! The public API's attribute lists, read back from the bytes the model
//! writes.

use super::BuildError;
use crate::wire::nla::{self, attrs, Writer};
use crate::wire::DecodeError;

/// Writes one nest with `emit`, then reads it back with `parse`: the
/// attribute lists of the public API are what the model writes, parsed, so
/// that the bytes sent are their only source. What the model writes always
/// parses; should it not, that is reported, not panicked on.
pub(crate) fn parse_back<T>(
    emit: impl FnOnce(&mut Writer<'_>) -> Result<(), BuildError>,
    parse: impl FnOnce(&[u8]) -> Result<T, DecodeError>,
) -> Result<T, BuildError> {
    let mut buf = Vec::with_capacity(128);
    nla::write(&mut buf, emit)??;
    let unreadable = |e: DecodeError| {
        BuildError::NonCanonical(format!("the encoded nest does not parse back: {e}"))
    };
    let nest = attrs(&buf)
        .next()
        .unwrap_or_else(|| Err(DecodeError::missing("nest")))
        .map_err(unreadable)?;
    parse(nest.value).map_err(unreadable)
}

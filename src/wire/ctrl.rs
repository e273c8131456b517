//! The generic netlink controller ("nlctrl"): resolving the IPVS family id.

use super::netlink::try_push_message;
use super::nla::{self, attrs};
use super::{DecodeError, EncodeError};

/// `GENL_ID_CTRL`, the fixed message type of nlctrl.
pub const GENL_ID_CTRL: u16 = 0x10;
const CTRL_CMD_GETFAMILY: u8 = 3;
const CTRL_CMD_NEWFAMILY: u8 = 1;
const CTRL_ATTR_FAMILY_ID: u16 = 1;
const CTRL_ATTR_FAMILY_NAME: u16 = 2;

/// Appends a CTRL_CMD_GETFAMILY request for `name` with netlink `flags`.
/// Fails, appending nothing, when `name` does not fit an attribute.
pub fn push_get_family(
    out: &mut Vec<u8>,
    seq: u32,
    name: &str,
    flags: u16,
) -> Result<(), EncodeError> {
    try_push_message(out, GENL_ID_CTRL, flags, seq, |out| {
        out.extend_from_slice(&[CTRL_CMD_GETFAMILY, 1, 0, 0]);
        nla::write(out, |w| w.put_str(CTRL_ATTR_FAMILY_NAME, name))
    })
}

/// Reads the family id out of a CTRL_CMD_NEWFAMILY reply payload (generic
/// netlink header included).
pub fn parse_family_id(genl: &[u8]) -> Result<u16, DecodeError> {
    let (hdr, rest) = genl.split_at_checked(4).ok_or_else(|| {
        DecodeError::new(super::DecodeErrorKind::Truncated {
            needed: 4,
            available: genl.len(),
        })
        .within("nlctrl")
    })?;
    if hdr[0] != CTRL_CMD_NEWFAMILY {
        return Err(
            DecodeError::new(super::DecodeErrorKind::InvalidValue(format!(
                "expected CTRL_CMD_NEWFAMILY, got command {}",
                hdr[0]
            )))
            .within("nlctrl"),
        );
    }
    for attr in attrs(rest) {
        let attr = attr.map_err(|e| e.within("nlctrl"))?;
        if attr.kind == CTRL_ATTR_FAMILY_ID {
            return nla::get_u16(attr.value).map_err(|e| e.within("family_id").within("nlctrl"));
        }
    }
    Err(DecodeError::missing("family_id").within("nlctrl"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::netlink::frames;

    #[test]
    fn get_family_names_the_family_or_writes_nothing() {
        let mut out = vec![0xaa; 4];
        push_get_family(&mut out, 5, "IPVS", 1).unwrap();
        let frame = frames(&out[4..]).next().unwrap().unwrap();
        assert_eq!(frame.header.kind, GENL_ID_CTRL);
        assert_eq!(frame.header.seq, 5);
        assert_eq!(&frame.payload[..4], &[CTRL_CMD_GETFAMILY, 1, 0, 0]);
        assert_eq!(
            &frame.payload[4..],
            &[9, 0, 2, 0, b'I', b'P', b'V', b'S', 0, 0, 0, 0]
        );
        assert_eq!(out.len(), 4 + 16 + 4 + 12);

        let before = out.clone();
        let e = push_get_family(&mut out, 6, &"n".repeat(70_000), 1).unwrap_err();
        assert_eq!(
            e,
            EncodeError::AttributeTooLong {
                kind: CTRL_ATTR_FAMILY_NAME,
                len: 70_005
            }
        );
        assert_eq!(out, before, "a refused request leaves nothing behind");
    }
}

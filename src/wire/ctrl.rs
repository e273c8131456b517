//! The generic netlink controller ("nlctrl"): resolving the IPVS family id.

use super::netlink::push_message;
use super::nla::{self, attrs, Writer};
use super::DecodeError;

/// `GENL_ID_CTRL`, the fixed message type of nlctrl.
pub const GENL_ID_CTRL: u16 = 0x10;
const CTRL_CMD_GETFAMILY: u8 = 3;
const CTRL_CMD_NEWFAMILY: u8 = 1;
const CTRL_ATTR_FAMILY_ID: u16 = 1;
const CTRL_ATTR_FAMILY_NAME: u16 = 2;

/// Appends a CTRL_CMD_GETFAMILY request for `name` with netlink `flags`.
pub fn push_get_family(out: &mut Vec<u8>, seq: u32, name: &str, flags: u16) {
    push_message(out, GENL_ID_CTRL, flags, seq, |out| {
        out.extend_from_slice(&[CTRL_CMD_GETFAMILY, 1, 0, 0]);
        Writer::new(out).put_str(CTRL_ATTR_FAMILY_NAME, name);
    });
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

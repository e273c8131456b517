//! Netlink framing: the 16-byte `nlmsghdr`, datagrams of several messages,
//! and the `NLMSG_ERROR` / `NLMSG_DONE` control messages.

use super::nla::{self, align4, attrs};
use super::{DecodeError, DecodeErrorKind, EncodeError};

/// Size of `struct nlmsghdr`.
pub const NLMSG_HDR_LEN: usize = 16;
/// Size of `struct genlmsghdr`.
pub const GENL_HDR_LEN: usize = 4;
/// `NLMSG_NOOP`.
pub const NLMSG_NOOP: u16 = 1;
/// `NLMSG_ERROR`: an error or an acknowledgement.
pub const NLMSG_ERROR: u16 = 2;
/// `NLMSG_DONE`: end of a dump.
pub const NLMSG_DONE: u16 = 3;
/// `NLMSG_OVERRUN`.
pub const NLMSG_OVERRUN: u16 = 4;
/// `NLM_F_REQUEST`.
pub const NLM_F_REQUEST: u16 = 0x1;
/// `NLM_F_MULTI`.
pub const NLM_F_MULTI: u16 = 0x2;
/// `NLM_F_ACK`.
pub const NLM_F_ACK: u16 = 0x4;
/// `NLM_F_DUMP` (`NLM_F_ROOT | NLM_F_MATCH`).
pub const NLM_F_DUMP: u16 = 0x300;
/// `NLM_F_DUMP_INTR`: the kernel says a dump was interrupted.
pub const NLM_F_DUMP_INTR: u16 = 0x10;
/// `NLM_F_CAPPED` on an error: the request's payload is not echoed.
pub const NLM_F_CAPPED: u16 = 0x100;
/// `NLM_F_ACK_TLVS` on an error: extended ack attributes follow.
pub const NLM_F_ACK_TLVS: u16 = 0x200;
/// `NLMSGERR_ATTR_MSG`: the extended ack's text.
const NLMSGERR_ATTR_MSG: u16 = 1;
/// `NLMSGERR_ATTR_OFFS`: offset of the offending attribute in the request.
const NLMSGERR_ATTR_OFFS: u16 = 2;

/// The netlink message header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NlHeader {
    /// Length of the whole message, header included.
    pub len: u32,
    /// Message type: a control type or a family id.
    pub kind: u16,
    /// `NLM_F_*` flags.
    pub flags: u16,
    /// Sequence number.
    pub seq: u32,
    /// Sender port id (0 for the kernel).
    pub pid: u32,
}

impl NlHeader {
    fn parse(b: &[u8]) -> Option<Self> {
        let b: &[u8; NLMSG_HDR_LEN] = b.get(..NLMSG_HDR_LEN)?.try_into().ok()?;
        Some(Self {
            len: u32::from_ne_bytes([b[0], b[1], b[2], b[3]]),
            kind: u16::from_ne_bytes([b[4], b[5]]),
            flags: u16::from_ne_bytes([b[6], b[7]]),
            seq: u32::from_ne_bytes([b[8], b[9], b[10], b[11]]),
            pid: u32::from_ne_bytes([b[12], b[13], b[14], b[15]]),
        })
    }

    #[inline]
    fn emit(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.len.to_ne_bytes());
        out.extend_from_slice(&self.kind.to_ne_bytes());
        out.extend_from_slice(&self.flags.to_ne_bytes());
        out.extend_from_slice(&self.seq.to_ne_bytes());
        out.extend_from_slice(&self.pid.to_ne_bytes());
    }
}

/// One netlink message in a datagram.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    /// Its header.
    pub header: NlHeader,
    /// What follows the header, up to the declared length.
    pub payload: &'a [u8],
}

/// Iterates over the messages of a received datagram. A malformed header ends
/// the iteration with an error.
#[derive(Debug)]
pub struct Frames<'a> {
    buf: &'a [u8],
    failed: bool,
}

/// The messages in `datagram`.
pub fn frames(datagram: &[u8]) -> Frames<'_> {
    Frames {
        buf: datagram,
        failed: false,
    }
}

impl<'a> Iterator for Frames<'a> {
    type Item = Result<Frame<'a>, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.buf.is_empty() {
            return None;
        }
        let err = |kind| Some(Err(DecodeError::new(kind)));
        let Some(header) = NlHeader::parse(self.buf) else {
            self.failed = true;
            return err(DecodeErrorKind::Truncated {
                needed: NLMSG_HDR_LEN,
                available: self.buf.len(),
            });
        };
        let len = header.len as usize;
        if len < NLMSG_HDR_LEN {
            self.failed = true;
            return err(DecodeErrorKind::LengthTooSmall {
                declared: len,
                minimum: NLMSG_HDR_LEN,
            });
        }
        if len > self.buf.len() {
            self.failed = true;
            return err(DecodeErrorKind::Truncated {
                needed: len,
                available: self.buf.len(),
            });
        }
        let payload = &self.buf[NLMSG_HDR_LEN..len];
        self.buf = &self.buf[align4(len).min(self.buf.len())..];
        Some(Ok(Frame { header, payload }))
    }
}

/// Appends one request: header, then whatever `body` writes; fixes the
/// length. Fails, taking the whole message out of `out` again, when it is
/// longer than the header's 32-bit length can say.
#[inline]
pub fn push_message(
    out: &mut Vec<u8>,
    kind: u16,
    flags: u16,
    seq: u32,
    body: impl FnOnce(&mut Vec<u8>),
) -> Result<(), EncodeError> {
    try_push_message(out, kind, flags, seq, |o| {
        body(o);
        Ok(())
    })
}

/// [`push_message`] with a body that can fail: whatever fails, the body or
/// the length, the whole message is taken out of `out` again.
#[inline]
pub(crate) fn try_push_message<E: From<EncodeError>>(
    out: &mut Vec<u8>,
    kind: u16,
    flags: u16,
    seq: u32,
    body: impl FnOnce(&mut Vec<u8>) -> Result<(), E>,
) -> Result<(), E> {
    let start = out.len();
    NlHeader {
        len: 0,
        kind,
        flags,
        seq,
        pid: 0,
    }
    .emit(out);
    if let Err(e) = body(out) {
        out.truncate(start);
        return Err(e);
    }
    let len = out.len() - start;
    let Ok(len32) = u32::try_from(len) else {
        out.truncate(start);
        return Err(EncodeError::MessageTooLong { len }.into());
    };
    out[start..start + 4].copy_from_slice(&len32.to_ne_bytes());
    let aligned = align4(out.len());
    out.resize(aligned, 0);
    Ok(())
}

/// The content of an `NLMSG_ERROR` message, or of an `NLMSG_DONE` that
/// carries a status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NlStatus {
    /// 0 for an acknowledgement, else a negative errno.
    pub code: i32,
    /// The extended ack text, when the kernel sent one.
    pub message: Option<String>,
    /// The extended ack's offset of the offending attribute in the request.
    pub offset: Option<u32>,
}

impl NlStatus {
    /// Parses the payload of an `NLMSG_ERROR` message whose header had `flags`.
    pub fn parse_error(payload: &[u8], flags: u16) -> Result<Self, DecodeError> {
        let code = status_code(payload)?;
        let mut status = Self {
            code,
            message: None,
            offset: None,
        };
        if flags & NLM_F_ACK_TLVS == 0 {
            return Ok(status);
        }
        // After the code: the request's header, and its payload unless capped.
        let echoed = payload.get(4..).unwrap_or(&[]);
        let skip = if flags & NLM_F_CAPPED != 0 {
            NLMSG_HDR_LEN
        } else {
            // A length near `u32::MAX` must not overflow on 32-bit targets:
            // past the payload's end, there are simply no attributes.
            NlHeader::parse(echoed).map_or(NLMSG_HDR_LEN, |h| {
                usize::try_from(h.len)
                    .ok()
                    .and_then(|l| l.checked_add(3))
                    .map_or(usize::MAX, |l| l & !3)
            })
        };
        let tlvs = echoed.get(skip..).unwrap_or(&[]);
        status.read_tlvs(tlvs);
        Ok(status)
    }

    /// Parses the payload of an `NLMSG_DONE` message whose header had `flags`.
    pub fn parse_done(payload: &[u8], flags: u16) -> Result<Self, DecodeError> {
        if payload.is_empty() {
            return Ok(Self {
                code: 0,
                message: None,
                offset: None,
            });
        }
        let mut status = Self {
            code: status_code(payload)?,
            message: None,
            offset: None,
        };
        if flags & NLM_F_ACK_TLVS != 0 {
            status.read_tlvs(&payload[4..]);
        }
        Ok(status)
    }

    /// Reads the extended ack attributes. They only explain the status: a
    /// malformed one ends the reading, and the errno stands without the text
    /// (or offset) that would have come after it.
    fn read_tlvs(&mut self, tlvs: &[u8]) {
        for attr in attrs(tlvs) {
            let Ok(attr) = attr else {
                return;
            };
            match attr.kind {
                NLMSGERR_ATTR_MSG => {
                    // Diagnostic text: an invalid byte must not hide the
                    // status it explains.
                    let v = attr.value;
                    let end = v.iter().position(|&b| b == 0).unwrap_or(v.len());
                    self.message = Some(String::from_utf8_lossy(&v[..end]).into_owned());
                }
                NLMSGERR_ATTR_OFFS => {
                    self.offset = nla::get_u32(attr.value).ok();
                }
                _ => {}
            }
        }
    }
}

fn status_code(payload: &[u8]) -> Result<i32, DecodeError> {
    payload
        .get(..4)
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map(i32::from_ne_bytes)
        .ok_or_else(|| {
            DecodeError::new(DecodeErrorKind::Truncated {
                needed: 4,
                available: payload.len(),
            })
            .within("nlmsgerr")
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::fake_kernel::error_payload;

    #[test]
    fn push_and_read_back() {
        let mut buf = Vec::new();
        push_message(&mut buf, 0x24, NLM_F_REQUEST, 7, |o| {
            o.extend_from_slice(&[1, 2, 3]);
        })
        .unwrap();
        push_message(&mut buf, 0x24, NLM_F_REQUEST, 8, |_| {}).unwrap();
        let f: Vec<_> = frames(&buf).collect::<Result<_, _>>().unwrap();
        assert_eq!(f.len(), 2);
        assert_eq!(f[0].header.len, 19);
        assert_eq!(f[0].payload, &[1, 2, 3]);
        assert_eq!(f[1].header.seq, 8);
    }

    #[test]
    fn error_with_extended_ack() {
        let mut w = Vec::new();
        nla::write(&mut w, |w| w.put_str(NLMSGERR_ATTR_MSG, "bad thing")).unwrap();
        // The echoed header only (capped), then the attributes.
        let p = error_payload(-22, 1, &w);
        let s = NlStatus::parse_error(&p, NLM_F_CAPPED | NLM_F_ACK_TLVS).unwrap();
        assert_eq!(s.code, -22);
        assert_eq!(s.message.as_deref(), Some("bad thing"));
    }

    #[test]
    fn a_malformed_extended_ack_keeps_the_errno() {
        // A message attribute that claims 200 bytes and has 4.
        let p = error_payload(-17, 1, &[200, 0, 1, 0, b'b', b'a', b'd', 0]);
        let s = NlStatus::parse_error(&p, NLM_F_CAPPED | NLM_F_ACK_TLVS).unwrap();
        assert_eq!((s.code, s.message), (-17, None));
        // A good attribute before the bad one is kept.
        let mut q = p[..20].to_vec();
        nla::write(&mut q, |w| w.put_str(NLMSGERR_ATTR_MSG, "first")).unwrap();
        q.extend_from_slice(&[200, 0, 2, 0]);
        let s = NlStatus::parse_error(&q, NLM_F_CAPPED | NLM_F_ACK_TLVS).unwrap();
        assert_eq!((s.code, s.message.as_deref()), (-17, Some("first")));
        // In an NLMSG_DONE status too.
        let s = NlStatus::parse_done(&p[..4], NLM_F_ACK_TLVS).unwrap();
        assert_eq!(s.code, -17);
        let mut d = p[..4].to_vec();
        d.extend_from_slice(&[9, 0, 1, 0]);
        assert_eq!(NlStatus::parse_done(&d, NLM_F_ACK_TLVS).unwrap().code, -17);
    }

    #[test]
    fn an_echoed_length_near_the_top_does_not_overflow() {
        let mut p = Vec::new();
        p.extend_from_slice(&(-22i32).to_ne_bytes());
        NlHeader {
            len: u32::MAX - 1,
            kind: 0x24,
            flags: 5,
            seq: 1,
            pid: 0,
        }
        .emit(&mut p);
        // Not capped: the echoed request's length says where the attributes
        // start, and that is past the end.
        let s = NlStatus::parse_error(&p, NLM_F_ACK_TLVS).unwrap();
        assert_eq!((s.code, s.message), (-22, None));
    }
}

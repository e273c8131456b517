//! Netlink attributes (TLVs): a reader that never panics and a writer that
//! appends to a `Vec<u8>` and refuses what its length fields cannot hold.

use super::attr_set::Codec;
use super::{DecodeError, DecodeErrorKind, EncodeError};

/// Size of the attribute header (`len: u16`, `type: u16`).
pub(crate) const NLA_HEADER_LEN: usize = 4;
/// Flag bit of a nested attribute's type.
pub const NLA_F_NESTED: u16 = 0x8000;
/// Flag bit of an attribute in network byte order.
pub const NLA_F_NET_BYTEORDER: u16 = 0x4000;
/// Mask that gives the attribute type without its flag bits.
pub const NLA_TYPE_MASK: u16 = 0x3fff;
/// Largest payload one attribute can carry (its length field is a `u16`).
pub(crate) const NLA_MAX_PAYLOAD: usize = u16::MAX as usize - NLA_HEADER_LEN;

/// Rounds `len` up to the 4-byte netlink alignment.
pub(crate) const fn align4(len: usize) -> usize {
    (len + 3) & !3
}

/// An attribute this crate does not know, kept byte for byte so that a
/// message re-emits unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RawAttr {
    kind: u16,
    value: Vec<u8>,
}

impl RawAttr {
    /// An attribute of type `kind` (flag bits included) with payload `value`.
    ///
    /// Fails when the payload does not fit an attribute's 16-bit length.
    pub fn new(kind: u16, value: Vec<u8>) -> Result<Self, EncodeError> {
        if value.len() > NLA_MAX_PAYLOAD {
            return Err(EncodeError::AttributeTooLong {
                kind,
                len: NLA_HEADER_LEN + value.len(),
            });
        }
        Ok(Self { kind, value })
    }

    /// The type, with the nested and byte-order flag bits as received.
    pub fn kind(&self) -> u16 {
        self.kind
    }

    /// The payload, without padding.
    pub fn value(&self) -> &[u8] {
        &self.value
    }

    pub(crate) fn from_view(a: &AttrView<'_>) -> Self {
        // A view's payload always fits (it came out of a u16 length field).
        Self {
            kind: a.raw_kind,
            value: a.value.to_vec(),
        }
    }
}

/// One attribute as found in a buffer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AttrView<'a> {
    /// The type with flag bits masked off.
    pub kind: u16,
    /// The type as received.
    pub raw_kind: u16,
    /// The payload without padding.
    pub value: &'a [u8],
}

/// Iterates over the attributes of `buf`. A malformed attribute ends the
/// iteration with an error; nothing after it is read.
pub(crate) struct Attrs<'a> {
    buf: &'a [u8],
    failed: bool,
}

#[inline]
pub(crate) fn attrs(buf: &[u8]) -> Attrs<'_> {
    Attrs { buf, failed: false }
}

impl<'a> Iterator for Attrs<'a> {
    type Item = Result<AttrView<'a>, DecodeError>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.buf.is_empty() {
            return None;
        }
        let fail = |this: &mut Self, kind| {
            this.failed = true;
            Some(Err(DecodeError::new(kind)))
        };
        if self.buf.len() < NLA_HEADER_LEN {
            return fail(
                self,
                DecodeErrorKind::Truncated {
                    needed: NLA_HEADER_LEN,
                    available: self.buf.len(),
                },
            );
        }
        let len = u16::from_ne_bytes([self.buf[0], self.buf[1]]) as usize;
        let raw_kind = u16::from_ne_bytes([self.buf[2], self.buf[3]]);
        if len < NLA_HEADER_LEN {
            return fail(
                self,
                DecodeErrorKind::LengthTooSmall {
                    declared: len,
                    minimum: NLA_HEADER_LEN,
                },
            );
        }
        if len > self.buf.len() {
            return fail(
                self,
                DecodeErrorKind::Truncated {
                    needed: len,
                    available: self.buf.len(),
                },
            );
        }
        let value = &self.buf[NLA_HEADER_LEN..len];
        // The last attribute may come without its padding.
        let next = align4(len).min(self.buf.len());
        self.buf = &self.buf[next..];
        Some(Ok(AttrView {
            kind: raw_kind & NLA_TYPE_MASK,
            raw_kind,
            value,
        }))
    }
}

/// Reads attributes that come in an order and with lengths known in
/// advance (the layout a kernel writes) at fixed places: each read names
/// the type it expects (and the length, for a fixed-size value) and gives
/// `None` at the first attribute that differs (flag bits, a cut buffer,
/// another type or length, a value its codec refuses), so that the caller
/// reads the buffer again with [`attrs`], which accepts every layout and
/// reports what is wrong. Reading a long dump this way skips the dispatch
/// on each attribute's type.
pub(crate) struct FixedAttrs<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> FixedAttrs<'a> {
    /// Reads `buf` from its first attribute.
    #[inline(always)]
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Self { buf, at: 0 }
    }

    /// The payload of the next attribute, if it has type `kind` (no flag
    /// bits) and `N` bytes.
    #[inline(always)]
    fn value<const N: usize>(&mut self, kind: u16) -> Option<&'a [u8; N]> {
        let attr = self.buf.get(self.at..self.at + NLA_HEADER_LEN + N)?;
        let (header, value) = attr.split_first_chunk::<NLA_HEADER_LEN>()?;
        let [l0, l1] = ((NLA_HEADER_LEN + N) as u16).to_ne_bytes();
        let [k0, k1] = kind.to_ne_bytes();
        if *header != [l0, l1, k0, k1] {
            return None;
        }
        self.advance(NLA_HEADER_LEN + N);
        value.try_into().ok()
    }

    /// The next attribute's value decoded by `C`, if it has type `kind`
    /// and a payload of `N` bytes that `C` accepts.
    #[inline(always)]
    pub(crate) fn fixed<C: Codec, const N: usize>(&mut self, kind: u16) -> Option<C::Ref<'a>> {
        C::decode(self.value::<N>(kind)?).ok()
    }

    /// The payload of the next attribute, of any length, if it has type
    /// `kind` (no flag bits): a string or a nest.
    #[inline(always)]
    pub(crate) fn payload(&mut self, kind: u16) -> Option<&'a [u8]> {
        let (header, rest) = self
            .buf
            .get(self.at..)?
            .split_first_chunk::<NLA_HEADER_LEN>()?;
        let [l0, l1, k0, k1] = *header;
        if u16::from_ne_bytes([k0, k1]) != kind {
            return None;
        }
        let len = usize::from(u16::from_ne_bytes([l0, l1]));
        let value = rest.get(..len.checked_sub(NLA_HEADER_LEN)?)?;
        self.advance(len);
        Some(value)
    }

    /// Moves past an attribute of `len` bytes and its padding (which the
    /// last attribute may come without).
    #[inline(always)]
    fn advance(&mut self, len: usize) {
        self.at = (self.at + align4(len)).min(self.buf.len());
    }

    /// Whether every byte of the buffer has been read.
    #[inline(always)]
    pub(crate) fn at_end(&self) -> bool {
        self.at == self.buf.len()
    }
}

fn size_error(expected: &'static [usize], found: usize) -> DecodeError {
    DecodeError::new(DecodeErrorKind::PayloadSize { expected, found })
}

/// Reads a `u8` payload.
#[inline]
pub(crate) fn get_u8(v: &[u8]) -> Result<u8, DecodeError> {
    match v {
        [b] => Ok(*b),
        _ => Err(size_error(&[1], v.len())),
    }
}

/// Reads a host-order `u16` payload.
#[inline]
pub(crate) fn get_u16(v: &[u8]) -> Result<u16, DecodeError> {
    <[u8; 2]>::try_from(v)
        .map(u16::from_ne_bytes)
        .map_err(|_| size_error(&[2], v.len()))
}

/// Reads a big-endian `u16` payload.
#[inline]
pub(crate) fn get_be16(v: &[u8]) -> Result<u16, DecodeError> {
    <[u8; 2]>::try_from(v)
        .map(u16::from_be_bytes)
        .map_err(|_| size_error(&[2], v.len()))
}

/// Reads a host-order `u32` payload.
#[inline]
pub(crate) fn get_u32(v: &[u8]) -> Result<u32, DecodeError> {
    <[u8; 4]>::try_from(v)
        .map(u32::from_ne_bytes)
        .map_err(|_| size_error(&[4], v.len()))
}

/// Reads four raw bytes.
#[inline]
pub(crate) fn get_4(v: &[u8]) -> Result<[u8; 4], DecodeError> {
    <[u8; 4]>::try_from(v).map_err(|_| size_error(&[4], v.len()))
}

/// Reads a host-order `u64` payload (alignment does not matter).
#[inline]
pub(crate) fn get_u64(v: &[u8]) -> Result<u64, DecodeError> {
    <[u8; 8]>::try_from(v)
        .map(u64::from_ne_bytes)
        .map_err(|_| size_error(&[8], v.len()))
}

/// Reads sixteen raw bytes.
#[inline]
pub(crate) fn get_16(v: &[u8]) -> Result<[u8; 16], DecodeError> {
    <[u8; 16]>::try_from(v).map_err(|_| size_error(&[16], v.len()))
}

/// Reads a NUL-terminated string; the payload may also end without the NUL.
#[inline]
pub(crate) fn get_str(v: &[u8]) -> Result<&str, DecodeError> {
    let end = v.iter().position(|&b| b == 0).unwrap_or(v.len());
    std::str::from_utf8(&v[..end]).map_err(|_| DecodeError::new(DecodeErrorKind::InvalidUtf8))
}

/// Checks a network-order address: at most 16 bytes.
#[inline]
pub(crate) fn check_addr(v: &[u8]) -> Result<(), DecodeError> {
    if v.len() > 16 {
        return Err(size_error(&[4, 16], v.len()));
    }
    Ok(())
}

/// Appends attributes to `out` with `f`. Fails when an attribute's length
/// does not fit its 16-bit field; what was written is then left in `out`
/// for the caller to drop, with no length in it cut short or clamped.
#[inline]
pub(crate) fn write<T>(
    out: &mut Vec<u8>,
    f: impl FnOnce(&mut Writer<'_>) -> T,
) -> Result<T, EncodeError> {
    let mut w = Writer {
        buf: out,
        too_long: None,
    };
    let value = f(&mut w);
    match w.too_long {
        None => Ok(value),
        Some(e) => Err(e),
    }
}

/// Appends attributes to a message under construction; made by [`write`],
/// which reports the first attribute too long for its length field.
pub(crate) struct Writer<'a> {
    buf: &'a mut Vec<u8>,
    too_long: Option<EncodeError>,
}

impl Writer<'_> {
    /// The 16-bit length field of an attribute of `len` bytes; records the
    /// first one that does not fit.
    #[inline]
    fn length_field(&mut self, kind: u16, len: usize) -> [u8; 2] {
        match u16::try_from(len) {
            Ok(len) => len.to_ne_bytes(),
            Err(_) => {
                self.too_long
                    .get_or_insert(EncodeError::AttributeTooLong { kind, len });
                [0, 0]
            }
        }
    }

    #[inline]
    fn header(&mut self, kind: u16, len: usize) {
        let len = self.length_field(kind, len);
        self.buf.extend_from_slice(&len);
        self.buf.extend_from_slice(&kind.to_ne_bytes());
    }

    fn pad(&mut self) {
        let target = align4(self.buf.len());
        self.buf.resize(target, 0);
    }

    pub(crate) fn put(&mut self, kind: u16, value: &[u8]) {
        self.header(kind, NLA_HEADER_LEN + value.len());
        self.buf.extend_from_slice(value);
        self.pad();
    }

    /// An attribute with a payload of `N` bytes, `N` at most 16: header,
    /// payload and padding are appended at once, with sizes the compiler
    /// knows. The buffer holds whole attributes, so it is aligned already.
    #[inline]
    pub(crate) fn put_array<const N: usize>(&mut self, kind: u16, value: [u8; N]) {
        const { assert!(N <= 16, "put_array takes payloads of at most 16 bytes") };
        let len = NLA_HEADER_LEN + N;
        let mut a = [0u8; NLA_HEADER_LEN + 16];
        a[..2].copy_from_slice(&(len as u16).to_ne_bytes());
        a[2..4].copy_from_slice(&kind.to_ne_bytes());
        a[NLA_HEADER_LEN..len].copy_from_slice(&value);
        self.buf.extend_from_slice(&a[..align4(len)]);
    }

    /// For the fake kernel's replies (the model writes through its sets).
    #[cfg(any(test, feature = "test-support"))]
    pub(crate) fn put_u16(&mut self, kind: u16, v: u16) {
        self.put_array(kind, v.to_ne_bytes());
    }

    /// For the fake kernel's replies (the model writes through its sets).
    #[cfg(any(test, feature = "test-support"))]
    pub(crate) fn put_u32(&mut self, kind: u16, v: u32) {
        self.put_array(kind, v.to_ne_bytes());
    }

    /// A string with its terminating NUL, as the kernel's NLA_NUL_STRING wants.
    pub(crate) fn put_str(&mut self, kind: u16, s: &str) {
        self.header(kind, NLA_HEADER_LEN + s.len() + 1);
        self.buf.extend_from_slice(s.as_bytes());
        self.buf.push(0);
        self.pad();
    }

    /// Emits a nest (without NLA_F_NESTED, as the kernel itself does) whose
    /// content `f` writes.
    #[inline]
    pub(crate) fn nest(&mut self, kind: u16, f: impl FnOnce(&mut Self)) {
        let start = self.buf.len();
        self.header(kind, 0);
        f(self);
        let len = self.length_field(kind, self.buf.len() - start);
        self.buf[start..start + 2].copy_from_slice(&len);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_rejects_bad_lengths_without_panicking() {
        // length 2 < header
        let e = attrs(&[2, 0, 1, 0]).next().unwrap().unwrap_err();
        assert!(matches!(e.kind(), DecodeErrorKind::LengthTooSmall { .. }));
        // length beyond the buffer
        let e = attrs(&[9, 0, 1, 0, 1]).next().unwrap().unwrap_err();
        assert!(matches!(
            e.kind(),
            DecodeErrorKind::Truncated { needed: 9, .. }
        ));
        // three stray bytes
        let e = attrs(&[1, 2, 3]).next().unwrap().unwrap_err();
        assert!(matches!(
            e.kind(),
            DecodeErrorKind::Truncated { needed: 4, .. }
        ));
    }

    #[test]
    fn last_attribute_may_omit_padding() {
        let buf = [5u8, 0, 7, 0, 42];
        let a: Vec<_> = attrs(&buf).collect::<Result<_, _>>().unwrap();
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].kind, 7);
        assert_eq!(a[0].value, &[42]);
    }

    #[test]
    fn writer_pads_and_nests() {
        let mut buf = Vec::new();
        write(&mut buf, |w| w.nest(1, |w| w.put_str(6, "rr"))).unwrap();
        assert_eq!(buf, [12, 0, 1, 0, 7, 0, 6, 0, b'r', b'r', 0, 0]);
    }

    #[test]
    fn writer_refuses_lengths_its_fields_cannot_hold() {
        // The largest payload fits exactly: 4 + 65531 = 65535.
        let mut buf = Vec::new();
        write(&mut buf, |w| w.put(1, &vec![7; NLA_MAX_PAYLOAD])).unwrap();
        assert_eq!(&buf[..4], &[0xff, 0xff, 1, 0]);
        // One byte more does not.
        let e = write(&mut Vec::new(), |w| w.put(2, &vec![7; NLA_MAX_PAYLOAD + 1])).unwrap_err();
        assert_eq!(
            e,
            EncodeError::AttributeTooLong {
                kind: 2,
                len: 65536
            }
        );
        let e = write(&mut Vec::new(), |w| {
            w.put_str(3, &"x".repeat(NLA_MAX_PAYLOAD));
        })
        .unwrap_err();
        assert_eq!(
            e,
            EncodeError::AttributeTooLong {
                kind: 3,
                len: 65536
            }
        );
        // A nest of attributes that each fit, but not together: the nest is
        // refused, and the first error is the one reported.
        let e = write(&mut Vec::new(), |w| {
            w.nest(4, |w| {
                w.put(5, &vec![0; 40_000]);
                w.put(5, &vec![0; 40_000]);
            });
        })
        .unwrap_err();
        assert_eq!(
            e,
            EncodeError::AttributeTooLong {
                kind: 4,
                len: 4 + 2 * 40_004
            }
        );
        let e = write(&mut Vec::new(), |w| {
            w.nest(4, |w| w.put(6, &vec![0; NLA_MAX_PAYLOAD + 1]));
        })
        .unwrap_err();
        assert!(matches!(e, EncodeError::AttributeTooLong { kind: 6, .. }));
        // RawAttr refuses the same payload up front.
        let e = RawAttr::new(9, vec![0; NLA_MAX_PAYLOAD + 1]).unwrap_err();
        assert_eq!(
            e,
            EncodeError::AttributeTooLong {
                kind: 9,
                len: 65536
            }
        );
        assert!(RawAttr::new(9, vec![0; NLA_MAX_PAYLOAD]).is_ok());
    }

    #[test]
    fn fixed_size_puts_match_the_general_put() {
        let mut fixed = Vec::new();
        write(&mut fixed, |w| {
            w.put_array(1, [9]);
            w.put_array(2, 0x1234u16.to_be_bytes());
            w.put_u32(3, 7);
            w.put_array(4, (u64::MAX - 1).to_ne_bytes());
            w.put_array(5, [3u8; 16]);
            w.put_array(6, []);
        })
        .unwrap();
        let mut general = Vec::new();
        write(&mut general, |w| {
            w.put(1, &[9]);
            w.put(2, &[0x12, 0x34]);
            w.put(3, &7u32.to_ne_bytes());
            w.put(4, &(u64::MAX - 1).to_ne_bytes());
            w.put(5, &[3u8; 16]);
            w.put(6, &[]);
        })
        .unwrap();
        assert_eq!(fixed, general);
        assert_eq!(fixed.len(), 8 + 8 + 8 + 12 + 20 + 4);
    }
}

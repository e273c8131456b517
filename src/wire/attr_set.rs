//! One description per attribute set: [`attr_set!`] turns one list per set
//! (constant name, number, name in error paths, variant, value codec) into
//! the constants, the lossless public enum with `Other(RawAttr)`, a
//! borrowed twin of it that the model reads replies through and writes
//! requests with, and the parser, writer, lengths and names of both.
//!
//! A value codec ([`Codec`]) says how one attribute's payload is read,
//! borrowed, made owned and written; the sets only name them.

use std::marker::PhantomData;

use super::nla::{self, align4, AttrView, RawAttr, Writer, NLA_HEADER_LEN, NLA_TYPE_MASK};
use super::stats::Counter;
use super::{DecodeError, DecodeErrorKind};

/// How one attribute's value is read from its payload, borrowed from the
/// public enum's variant, made owned, measured and written.
pub(crate) trait Codec {
    /// The value as the public enum holds it.
    type Owned;
    /// The value borrowed from a payload or from [`Self::Owned`]: no
    /// allocation to read it.
    type Ref<'a>: Copy + std::fmt::Debug;
    /// Reads a payload; fails on a size or content the attribute cannot have.
    fn decode(v: &[u8]) -> Result<Self::Ref<'_>, DecodeError>;
    /// The owned value, borrowed.
    fn borrow(o: &Self::Owned) -> Self::Ref<'_>;
    /// The borrowed value, owned (a nest read from bytes is parsed here).
    fn to_owned(r: Self::Ref<'_>) -> Result<Self::Owned, DecodeError>;
    /// Bytes of the payload [`put`](Self::put) writes, without padding.
    fn payload_len(r: Self::Ref<'_>) -> usize;
    /// Writes the attribute `kind` with this value.
    fn put(w: &mut Writer<'_>, kind: u16, r: Self::Ref<'_>);
    /// A value for the tests of the sets.
    #[cfg(test)]
    fn sample() -> Self::Ref<'static>;
}

/// Codecs of values that are copied whole and written as a fixed array.
macro_rules! array_codecs {
    ($($(#[$m:meta])* $codec:ident: $t:ty = $get:path, $bytes:expr, $sample:expr;)*) => {$(
        $(#[$m])*
        #[derive(Debug)]
        pub(crate) struct $codec;

        impl Codec for $codec {
            type Owned = $t;
            type Ref<'a> = $t;
            #[inline(always)]
            fn decode(v: &[u8]) -> Result<$t, DecodeError> {
                $get(v)
            }
            #[inline]
            fn borrow(o: &$t) -> $t {
                *o
            }
            #[inline]
            fn to_owned(r: $t) -> Result<$t, DecodeError> {
                Ok(r)
            }
            #[inline]
            fn payload_len(r: $t) -> usize {
                ($bytes)(r).len()
            }
            #[inline(always)]
            fn put(w: &mut Writer<'_>, kind: u16, r: $t) {
                w.put_array(kind, ($bytes)(r))
            }
            #[cfg(test)]
            fn sample() -> $t {
                $sample
            }
        }
    )*};
}

array_codecs! {
    /// A `u8`.
    U8: u8 = nla::get_u8, |v: u8| [v], 0xa5;
    /// A host-order `u16`.
    U16: u16 = nla::get_u16, u16::to_ne_bytes, 0x1234;
    /// A big-endian `u16` (ports).
    Be16: u16 = nla::get_be16, u16::to_be_bytes, 0x1234;
    /// A host-order `u32`.
    U32: u32 = nla::get_u32, u32::to_ne_bytes, 0x1234_5678;
    /// A host-order `u64`.
    U64: u64 = nla::get_u64, u64::to_ne_bytes, 0x1234_5678_9abc_def0;
    /// Four raw bytes.
    Raw4: [u8; 4] = nla::get_4, |b: [u8; 4]| b, [255, 255, 0, 1];
    /// Sixteen raw bytes.
    Raw16: [u8; 16] = nla::get_16, |b: [u8; 16]| b, [0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x81];
    /// `struct ip_vs_flags { flags, mask }`, host order.
    FlagsMask: (u32, u32) = get_flags, flags_payload, (0x1f, 0xffff_ffff);
}

/// The `FLAGS` payload: the flags, then the mask.
fn flags_payload((flags, mask): (u32, u32)) -> [u8; 8] {
    let mut b = [0u8; 8];
    b[..4].copy_from_slice(&flags.to_ne_bytes());
    b[4..].copy_from_slice(&mask.to_ne_bytes());
    b
}

/// Reads a `FLAGS` payload: the flags, then the mask.
#[inline]
fn get_flags(v: &[u8]) -> Result<(u32, u32), DecodeError> {
    match v {
        [f0, f1, f2, f3, m0, m1, m2, m3] => Ok((
            u32::from_ne_bytes([*f0, *f1, *f2, *f3]),
            u32::from_ne_bytes([*m0, *m1, *m2, *m3]),
        )),
        _ => Err(DecodeError::new(DecodeErrorKind::PayloadSize {
            expected: &[8],
            found: v.len(),
        })),
    }
}

/// A NUL-terminated string (the payload may end without the NUL); written
/// with its NUL.
#[derive(Debug)]
pub(crate) struct Str;

impl Codec for Str {
    type Owned = String;
    type Ref<'a> = &'a str;
    #[inline(always)]
    fn decode(v: &[u8]) -> Result<&str, DecodeError> {
        nla::get_str(v)
    }
    #[inline]
    fn borrow(o: &String) -> &str {
        o
    }
    fn to_owned(r: &str) -> Result<String, DecodeError> {
        Ok(r.to_owned())
    }
    #[inline]
    fn payload_len(r: &str) -> usize {
        r.len() + 1
    }
    #[inline(always)]
    fn put(w: &mut Writer<'_>, kind: u16, r: &str) {
        w.put_str(kind, r);
    }
    #[cfg(test)]
    fn sample() -> &'static str {
        "wlc"
    }
}

/// An address in network order, as many bytes as sent, at most 16.
#[derive(Debug)]
pub(crate) struct Addr;

/// Raw bytes of any length (the stats nests' padding).
#[derive(Debug)]
pub(crate) struct Bytes;

macro_rules! byte_codecs {
    ($($codec:ident = $check:expr, $sample:expr;)*) => {$(
        impl Codec for $codec {
            type Owned = Vec<u8>;
            type Ref<'a> = &'a [u8];
            #[inline(always)]
            fn decode(v: &[u8]) -> Result<&[u8], DecodeError> {
                ($check)(v).map(|_| v)
            }
            #[inline]
            fn borrow(o: &Vec<u8>) -> &[u8] {
                o
            }
            fn to_owned(r: &[u8]) -> Result<Vec<u8>, DecodeError> {
                Ok(r.to_vec())
            }
            #[inline]
            fn payload_len(r: &[u8]) -> usize {
                r.len()
            }
            #[inline(always)]
            fn put(w: &mut Writer<'_>, kind: u16, r: &[u8]) {
                // Addresses are 16 bytes as the kernel and the model write
                // them: appended at once.
                match <[u8; 16]>::try_from(r) {
                    Ok(a) => w.put_array(kind, a),
                    Err(_) => w.put(kind, r),
                }
            }
            #[cfg(test)]
            fn sample() -> &'static [u8] {
                $sample
            }
        }
    )*};
}

byte_codecs! {
    Addr = nla::check_addr, &[10, 0, 0, 1];
    Bytes = |_: &[u8]| Ok::<(), DecodeError>(()), &[];
}

/// A counter of a statistics nest: `u32` in `STATS`, `u64` in `STATS64`.
#[derive(Debug)]
pub(crate) struct CounterOf<C>(PhantomData<C>);

impl<C: Counter> Codec for CounterOf<C> {
    type Owned = C;
    type Ref<'a> = C;
    #[inline(always)]
    fn decode(v: &[u8]) -> Result<C, DecodeError> {
        C::get(v)
    }
    #[inline]
    fn borrow(o: &C) -> C {
        *o
    }
    #[inline]
    fn to_owned(r: C) -> Result<C, DecodeError> {
        Ok(r)
    }
    #[inline]
    fn payload_len(_: C) -> usize {
        size_of::<C>()
    }
    #[inline(always)]
    fn put(w: &mut Writer<'_>, kind: u16, r: C) {
        let (b, n) = r.bytes();
        w.put(kind, &b[..n]);
    }
    #[cfg(test)]
    fn sample() -> C {
        C::get(&0x0102_0304_0506_0708u64.to_ne_bytes()[..size_of::<C>()]).unwrap()
    }
}

/// A nest of the attribute set `S`.
#[derive(Debug)]
pub(crate) struct NestOf<S>(PhantomData<S>);

/// A nest of the attribute set `S`, borrowed: its payload as received (read
/// when the nest is), or the attributes of a public enum's list.
#[derive(Debug)]
pub(crate) enum Nest<'a, S> {
    /// The payload, not read yet.
    Wire(&'a [u8]),
    /// Attributes already parsed or built.
    List(&'a [S]),
}

impl<S> Clone for Nest<'_, S> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S> Copy for Nest<'_, S> {}

impl<'a, S: AttrSet> Nest<'a, S> {
    /// Calls `f` with each attribute of the nest, borrowed, in order; an
    /// error (a malformed attribute, or one of `f`'s) names the attribute.
    #[inline(always)]
    pub(crate) fn read(
        self,
        f: impl FnMut(S::Ref<'a>) -> Result<(), DecodeError>,
    ) -> Result<(), DecodeError> {
        match self {
            Nest::Wire(buf) => S::read_wire(buf, f),
            Nest::List(list) => S::read_list(list, f),
        }
    }
}

impl<S: AttrSet + 'static> Codec for NestOf<S> {
    type Owned = Vec<S>;
    type Ref<'a> = Nest<'a, S>;
    #[inline(always)]
    fn decode(v: &[u8]) -> Result<Nest<'_, S>, DecodeError> {
        Ok(Nest::Wire(v))
    }
    #[inline]
    fn borrow(o: &Vec<S>) -> Nest<'_, S> {
        Nest::List(o)
    }
    fn to_owned(r: Nest<'_, S>) -> Result<Vec<S>, DecodeError> {
        match r {
            Nest::Wire(buf) => S::parse_nest(buf),
            Nest::List(list) => Ok(list.to_vec()),
        }
    }
    fn payload_len(r: Nest<'_, S>) -> usize {
        match r {
            Nest::Wire(buf) => buf.len(),
            Nest::List(list) => list.iter().map(S::wire_len).sum(),
        }
    }
    #[inline(always)]
    fn put(w: &mut Writer<'_>, kind: u16, r: Nest<'_, S>) {
        match r {
            Nest::Wire(buf) => w.put(kind, buf),
            Nest::List(list) => w.nest(kind, |w| list.iter().for_each(|a| a.emit(w))),
        }
    }
    #[cfg(test)]
    fn sample() -> Nest<'static, S> {
        // An attribute of a type no set knows, kept as it is.
        Nest::Wire(&[8, 0, 48, 0, 1, 2, 3, 4])
    }
}

/// An attribute this crate does not know, borrowed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RawRef<'a> {
    /// The type as received, flag bits included.
    pub kind: u16,
    /// The payload.
    pub value: &'a [u8],
}

impl<'a> RawRef<'a> {
    #[inline]
    pub(crate) fn from_view(a: &AttrView<'a>) -> Self {
        RawRef {
            kind: a.raw_kind,
            value: a.value,
        }
    }

    pub(crate) fn of(raw: &'a RawAttr) -> Self {
        RawRef {
            kind: raw.kind(),
            value: raw.value(),
        }
    }

    /// The type without its flag bits.
    pub(crate) fn masked_kind(self) -> u16 {
        self.kind & NLA_TYPE_MASK
    }

    pub(crate) fn to_owned(self) -> RawAttr {
        // The payload came out of a u16 length field, or out of a RawAttr.
        RawAttr::from_view(&AttrView {
            kind: self.masked_kind(),
            raw_kind: self.kind,
            value: self.value,
        })
    }

    pub(crate) fn emit(self, w: &mut Writer<'_>) {
        w.put(self.kind, self.value);
    }
}

/// Bytes of an attribute with a payload of `payload` bytes, padding
/// included.
#[inline]
pub(crate) const fn attr_len(payload: usize) -> usize {
    align4(NLA_HEADER_LEN + payload)
}

/// An attribute set that nests: what [`NestOf`] and [`Nest`] need of it.
pub(crate) trait AttrSet: Sized + Clone + std::fmt::Debug {
    /// The borrowed twin of the set's enum.
    type Ref<'a>: Copy + std::fmt::Debug;
    /// Parses the payload of a nest.
    fn parse_nest(buf: &[u8]) -> Result<Vec<Self>, DecodeError>;
    /// Writes the attribute.
    fn emit(&self, w: &mut Writer<'_>);
    /// Bytes the attribute takes written, padding included.
    fn wire_len(&self) -> usize;
    /// Calls `f` with each attribute of a nest's payload, borrowed.
    fn read_wire<'a>(
        buf: &'a [u8],
        f: impl FnMut(Self::Ref<'a>) -> Result<(), DecodeError>,
    ) -> Result<(), DecodeError>;
    /// Calls `f` with each attribute of a list, borrowed.
    fn read_list<'a>(
        list: &'a [Self],
        f: impl FnMut(Self::Ref<'a>) -> Result<(), DecodeError>,
    ) -> Result<(), DecodeError>;
}

/// The pattern of a variant of the public enum, its value bound to `$v`
/// (a struct variant binds its fields).
macro_rules! attr_pat {
    ($E:ident $V:ident ($t:ty) $v:ident) => {
        $E::$V($v)
    };
    ($E:ident $V:ident { $($(#[$fm:meta])* $f:ident : $ft:ty),* $(,)? } $v:ident) => {
        $E::$V { $($f),* }
    };
}

/// The borrowed value of a variant matched by [`attr_pat`].
macro_rules! attr_borrow {
    ($codec:ty, ($t:ty), $v:ident) => {
        <$codec as $crate::wire::attr_set::Codec>::borrow($v)
    };
    ($codec:ty, { $($(#[$fm:meta])* $f:ident : $ft:ty),* $(,)? }, $v:ident) => {
        ($(*$f),*)
    };
}

/// The variant of the public enum that holds borrowed value `$r`, owned.
macro_rules! attr_owned {
    ($E:ident $V:ident ($t:ty) $codec:ty, $r:ident) => {
        $E::$V(<$codec as $crate::wire::attr_set::Codec>::to_owned($r)?)
    };
    ($E:ident $V:ident { $($(#[$fm:meta])* $f:ident : $ft:ty),* $(,)? } $codec:ty, $r:ident) => {{
        let ($($f),*) = <$codec as $crate::wire::attr_set::Codec>::to_owned($r)?;
        $E::$V { $($f),* }
    }};
}

/// Describes an attribute set once. From
///
/// ```text
/// attr_set! {
///     /// Docs of the public enum.
///     pub enum ServiceAttr [] [];   // generics declared, generics used
///     ref ServiceRef;               // its borrowed twin (crate-private)
///     /// Docs of the constants.
///     pub mod svc_attr {
///         /// Docs of the constant.
///         AF = 1, "af" =>
///             /// Docs of the variant.
///             AddressFamily(u16): U16,
///         ...
///     }
///     // more `pub mod` blocks: sets that share one enum (the top level)
/// }
/// ```
///
/// it makes the constants module, `name` (the attribute's name in error
/// paths), `visit` and `decode` (one attribute, borrowed), `read` and `read_list` (a
/// nest or a list, attribute by attribute, errors named), `parse_one` and
/// `parse` (owned) in each module; the public enum with `Other(RawAttr)`,
/// its `view`, `emit` and `wire_len`; and the borrowed enum with its
/// `kind`, `emit`, `payload_len` and `to_owned`.
macro_rules! attr_set {
    (
        $(#[$em:meta])*
        pub enum $Enum:ident [$($gd:tt)*] [$($gu:tt)*];
        $(#[$rm:meta])*
        ref $Ref:ident;
        $(
            $(#[$mm:meta])*
            pub mod $m:ident {
                $(
                    $(#[$cm:meta])*
                    $konst:ident = $num:literal, $name:literal =>
                    $(#[$vm:meta])*
                    $variant:ident $shape:tt : $codec:ty
                ),* $(,)?
            }
        )+
    ) => {
        $(#[$em])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum $Enum<$($gd)*> {
            $($(
                $(#[$vm])*
                $variant $shape,
            )*)+
            /// An attribute this crate does not know.
            Other($crate::wire::RawAttr),
        }

        $(#[$rm])*
        #[derive(Debug, Clone, Copy)]
        pub(crate) enum $Ref<'a, $($gd)*> {
            $($(
                $variant(<$codec as $crate::wire::attr_set::Codec>::Ref<'a>),
            )*)+
            Other($crate::wire::attr_set::RawRef<'a>),
        }

        impl<$($gd)*> $Enum<$($gu)*> {
            /// The attribute, borrowed.
            #[inline]
            pub(crate) fn view(&self) -> $Ref<'_, $($gu)*> {
                match self {
                    $($(
                        $crate::wire::attr_set::attr_pat!($Enum $variant $shape v) => {
                            $Ref::$variant($crate::wire::attr_set::attr_borrow!($codec, $shape, v))
                        }
                    )*)+
                    $Enum::Other(raw) => $Ref::Other($crate::wire::attr_set::RawRef::of(raw)),
                }
            }

            /// Writes the attribute.
            #[inline]
            pub(crate) fn emit(&self, w: &mut $crate::wire::nla::Writer<'_>) {
                self.view().emit(w)
            }

            /// Bytes the attribute takes written, padding included.
            pub(crate) fn wire_len(&self) -> usize {
                $crate::wire::attr_set::attr_len(self.view().payload_len())
            }
        }

        impl<'a, $($gd)*> $Ref<'a, $($gu)*> {
            /// The attribute's type, without flag bits.
            #[allow(dead_code)]
            pub(crate) fn kind(self) -> u16 {
                match self {
                    $($( $Ref::$variant(_) => $m::$konst, )*)+
                    $Ref::Other(raw) => raw.masked_kind(),
                }
            }

            /// Writes the attribute. Always inlined: at a call site that
            /// names the variant the match folds away, and the model's
            /// writers are as direct as hand-written ones.
            #[inline(always)]
            pub(crate) fn emit(self, w: &mut $crate::wire::nla::Writer<'_>) {
                match self {
                    $($(
                        $Ref::$variant(v) => {
                            <$codec as $crate::wire::attr_set::Codec>::put(w, $m::$konst, v)
                        }
                    )*)+
                    $Ref::Other(raw) => raw.emit(w),
                }
            }

            /// Bytes of the payload, without padding.
            pub(crate) fn payload_len(self) -> usize {
                match self {
                    $($(
                        $Ref::$variant(v) => {
                            <$codec as $crate::wire::attr_set::Codec>::payload_len(v)
                        }
                    )*)+
                    $Ref::Other(raw) => raw.value.len(),
                }
            }

            /// The attribute, owned; a nest still in its bytes is parsed.
            pub(crate) fn to_owned(self) -> Result<$Enum<$($gu)*>, $crate::wire::DecodeError> {
                Ok(match self {
                    $($(
                        $Ref::$variant(r) => $crate::wire::attr_set::attr_owned!($Enum $variant $shape $codec, r),
                    )*)+
                    $Ref::Other(raw) => $Enum::Other(raw.to_owned()),
                })
            }
        }

        $crate::wire::attr_set::attr_set!(@mods [$($gd)*] [$($gu)*] $Enum $Ref;
            $(
                $(#[$mm])*
                pub mod $m {
                    $(
                        $(#[$cm])*
                        $konst = $num, $name => $variant $shape : $codec
                    ),*
                }
            )+
        );
    };

    (@mods [$($gd:tt)*] [$($gu:tt)*] $Enum:ident $Ref:ident;) => {};
    (@mods [$($gd:tt)*] [$($gu:tt)*] $Enum:ident $Ref:ident;
        $(#[$mm:meta])*
        pub mod $m:ident {
            $(
                $(#[$cm:meta])*
                $konst:ident = $num:literal, $name:literal => $variant:ident $shape:tt : $codec:ty
            ),*
        }
        $($rest:tt)*
    ) => {
        $(#[$mm])*
        pub mod $m {
            #[allow(unused_imports)]
            use super::*;
            use $crate::wire::DecodeError;

            $(
                $(#[$cm])*
                pub const $konst: u16 = $num;
            )*

            /// Every attribute of the set: its number and its name.
            #[allow(dead_code)]
            pub(crate) const ALL: &[(u16, &str)] = &[$(($konst, $name)),*];

            /// The attribute's name in error paths.
            pub(crate) fn name(kind: u16) -> &'static str {
                match kind {
                    $( $konst => $name, )*
                    _ => "unknown",
                }
            }

            /// Reads one attribute, borrowed, and hands it to `f`; an error
            /// names it. Each kind calls `f` with its own variant, so that
            /// a reader inlined here sees which one it got without an
            /// attribute value stored in between.
            #[inline(always)]
            pub(crate) fn visit<'a, R, $($gd)*>(
                attr: &$crate::wire::nla::AttrView<'a>,
                f: impl FnOnce(super::$Ref<'a, $($gu)*>) -> R,
            ) -> Result<R, DecodeError> {
                let v = attr.value;
                match attr.kind {
                    $(
                        $konst => match <$codec as $crate::wire::attr_set::Codec>::decode(v) {
                            Ok(x) => Ok(f(super::$Ref::$variant(x))),
                            Err(e) => Err(e.within($name)),
                        },
                    )*
                    _ => Ok(f(super::$Ref::Other($crate::wire::attr_set::RawRef::from_view(attr)))),
                }
            }

            /// Reads one attribute, borrowed; an error names it.
            #[inline]
            pub(crate) fn decode<'a, $($gd)*>(
                attr: &$crate::wire::nla::AttrView<'a>,
            ) -> Result<super::$Ref<'a, $($gu)*>, DecodeError> {
                visit(attr, |r| r)
            }

            /// Calls `f` with each attribute of `buf`, borrowed, in order; an
            /// error (a malformed attribute, or one of `f`'s) names it.
            #[inline(always)]
            #[allow(dead_code)]
            pub(crate) fn read<'a, $($gd)*>(
                buf: &'a [u8],
                mut f: impl FnMut(super::$Ref<'a, $($gu)*>) -> Result<(), DecodeError>,
            ) -> Result<(), DecodeError> {
                for attr in $crate::wire::nla::attrs(buf) {
                    let attr = attr?;
                    visit(&attr, &mut f)?.map_err(|e| e.within(name(attr.kind)))?;
                }
                Ok(())
            }

            /// Calls `f` with each attribute of `list`, borrowed, in order;
            /// an error of `f`'s names the attribute.
            #[inline]
            #[allow(dead_code)]
            pub(crate) fn read_list<'a, $($gd)*>(
                list: &'a [super::$Enum<$($gu)*>],
                mut f: impl FnMut(super::$Ref<'a, $($gu)*>) -> Result<(), DecodeError>,
            ) -> Result<(), DecodeError> {
                for a in list {
                    let r = a.view();
                    let kind = r.kind();
                    f(r).map_err(|e| e.within(name(kind)))?;
                }
                Ok(())
            }

            /// Parses one attribute; an error names it.
            pub(crate) fn parse_one<$($gd)*>(
                attr: &$crate::wire::nla::AttrView<'_>,
            ) -> Result<super::$Enum<$($gu)*>, DecodeError> {
                decode(attr)?.to_owned().map_err(|e| e.within(name(attr.kind)))
            }

            /// One attribute of each kind, in the order of [`ALL`].
            #[cfg(test)]
            pub(crate) fn samples<$($gd)*>() -> Vec<super::$Enum<$($gu)*>> {
                vec![$(
                    super::$Ref::$variant(<$codec as $crate::wire::attr_set::Codec>::sample())
                        .to_owned()
                        .unwrap(),
                )*]
            }

            /// Parses the attributes of `buf`.
            #[allow(dead_code)]
            pub(crate) fn parse<$($gd)*>(
                buf: &[u8],
            ) -> Result<Vec<super::$Enum<$($gu)*>>, DecodeError> {
                let mut out = Vec::with_capacity(ALL.len());
                for attr in $crate::wire::nla::attrs(buf) {
                    out.push(parse_one(&attr?)?);
                }
                Ok(out)
            }
        }

        $crate::wire::attr_set::attr_set!(@mods [$($gd)*] [$($gu)*] $Enum $Ref; $($rest)*);
    };
}

/// Makes a set described by [`attr_set!`] with one module a nest:
/// `parse_nest` on the public enum, and [`AttrSet`].
macro_rules! attr_nest {
    ([$($gd:tt)*] [$($gu:tt)*] $Enum:ident, $Ref:ident, $m:ident, $what:literal) => {
        impl<$($gd)*> $Enum<$($gu)*> {
            #[doc = concat!("Parses the payload of a ", $what, " nest.")]
            pub fn parse_nest(buf: &[u8]) -> Result<Vec<Self>, $crate::wire::DecodeError> {
                $m::parse(buf)
            }
        }

        impl<$($gd)*> $crate::wire::attr_set::AttrSet for $Enum<$($gu)*> {
            type Ref<'a> = $Ref<'a, $($gu)*>;
            fn parse_nest(buf: &[u8]) -> Result<Vec<Self>, $crate::wire::DecodeError> {
                $m::parse(buf)
            }
            #[inline]
            fn emit(&self, w: &mut $crate::wire::nla::Writer<'_>) {
                $Enum::emit(self, w)
            }
            fn wire_len(&self) -> usize {
                $Enum::wire_len(self)
            }
            #[inline(always)]
            fn read_wire<'a>(
                buf: &'a [u8],
                f: impl FnMut(Self::Ref<'a>) -> Result<(), $crate::wire::DecodeError>,
            ) -> Result<(), $crate::wire::DecodeError> {
                $m::read(buf, f)
            }
            #[inline]
            fn read_list<'a>(
                list: &'a [Self],
                f: impl FnMut(Self::Ref<'a>) -> Result<(), $crate::wire::DecodeError>,
            ) -> Result<(), $crate::wire::DecodeError> {
                $m::read_list(list, f)
            }
        }
    };
}

pub(crate) use {attr_borrow, attr_nest, attr_owned, attr_pat, attr_set};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::constants::{
        cmd_attr, daemon_attr, dest_attr, info_attr, stats_attr, svc_attr,
    };
    use crate::wire::{DaemonAttr, DestAttr, IpvsAttr, ServiceAttr, StatsAttr};

    /// A set's table, names and numbers agree, and every variant written
    /// parses back to itself, in the bytes and length it says.
    macro_rules! check_set {
        ($m:ident, $Enum:ty) => {{
            let all = $m::ALL;
            let samples: Vec<$Enum> = $m::samples();
            assert_eq!(samples.len(), all.len(), "{}", stringify!($m));
            for (i, (kind, name)) in all.iter().enumerate() {
                assert_eq!($m::name(*kind), *name);
                assert_ne!(*name, "unknown");
                // Numbers and names are each given once.
                assert!(
                    all[..i].iter().all(|(k, n)| k != kind && n != name),
                    "{name}"
                );
            }
            assert_eq!($m::name(48), "unknown");
            for ((kind, name), a) in all.iter().zip(&samples) {
                assert_eq!(a.view().kind(), *kind, "{name}");
                let mut buf = Vec::new();
                nla::write(&mut buf, |w| a.emit(w)).unwrap();
                assert_eq!(buf.len(), a.wire_len(), "{name}");
                assert_eq!(u16::from_ne_bytes([buf[2], buf[3]]), *kind, "{name}");
                let back = $m::parse(&buf).unwrap();
                assert_eq!(back, std::slice::from_ref(a), "{name}");
                let mut again = Vec::new();
                nla::write(&mut again, |w| back[0].emit(w)).unwrap();
                assert_eq!(again, buf, "{name}");
                // The borrowed read sees the same attribute.
                let mut seen = Vec::new();
                $m::read(&buf, |r| {
                    seen.push(r.to_owned()?);
                    Ok(())
                })
                .unwrap();
                assert_eq!(seen, std::slice::from_ref(a), "{name}");
                // An error of the reader's callback is named after the
                // attribute.
                let e = $m::read(&buf, |r| {
                    let _: $Enum = r.to_owned()?;
                    Err(DecodeError::missing("x"))
                })
                .unwrap_err();
                assert!(e.to_string().contains(&format!("{name}/x")), "{name}: {e}");
            }
            // An unknown attribute is kept byte for byte.
            let raw = [8u8, 0, 48, 0x40, 9, 8, 7, 6];
            let back: Vec<$Enum> = $m::parse(&raw).unwrap();
            assert_eq!(back.len(), 1);
            assert_eq!(back[0].view().kind(), 48);
            assert!(
                format!("{:?}", back[0]).starts_with("Other("),
                "{:?}",
                back[0]
            );
            let mut again = Vec::new();
            nla::write(&mut again, |w| back[0].emit(w)).unwrap();
            assert_eq!(again, raw);
        }};
    }

    #[test]
    fn every_set_agrees_with_its_table() {
        check_set!(svc_attr, ServiceAttr);
        check_set!(dest_attr, DestAttr);
        check_set!(daemon_attr, DaemonAttr);
        check_set!(stats_attr, StatsAttr<u32>);
        check_set!(stats_attr, StatsAttr<u64>);
        check_set!(cmd_attr, IpvsAttr);
        check_set!(info_attr, IpvsAttr);
    }

    #[test]
    fn the_numbers_are_the_kernels() {
        // A few from include/uapi/linux/ip_vs.h, against typos in the tables.
        assert_eq!((svc_attr::STATS64, svc_attr::PE_NAME), (12, 11));
        assert_eq!((dest_attr::TUN_FLAGS, dest_attr::ADDR_FAMILY), (15, 11));
        assert_eq!((daemon_attr::MCAST_TTL, stats_attr::PAD), (8, 11));
        assert_eq!((cmd_attr::TIMEOUT_UDP, info_attr::CONN_TAB_SIZE), (6, 2));
    }

    #[test]
    fn decode_errors_name_the_attribute() {
        let port = [5u8, 0, dest_attr::PORT as u8, 0, 1];
        let e = dest_attr::parse(&port).unwrap_err();
        assert_eq!(e.to_string().split(':').next(), Some("port"), "{e}");
        let e = svc_attr::parse(&[9, 0, 10, 0, 5, 0, 1, 0, 9]).unwrap_err();
        assert!(e.to_string().starts_with("stats/conns"), "{e}");
        let long = [
            24u8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ];
        let e = dest_attr::parse(&long[..]).unwrap_err();
        assert!(e.to_string().starts_with("addr"), "{e}");
    }
}

//! Types whose serde form is their text: keys, protocols, schedulers,
//! versions.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Deserializer, Visitor};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};

use crate::model::{Protocol, Scheduler, ServiceKey, Version};

/// Serializes with `Display` and deserializes with `$parse`, whose error
/// names the text and what was expected.
macro_rules! as_text {
    ($t:ty, $expected:literal, $parse:expr) => {
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_str(TextVisitor::<$t> {
                    expected: $expected,
                    parse: $parse,
                })
            }
        }
    };
}

struct TextVisitor<T> {
    expected: &'static str,
    parse: fn(&str) -> Result<T, String>,
}

impl<T> Visitor<'_> for TextVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expected)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        (self.parse)(v).map_err(E::custom)
    }
}

fn parse<T: FromStr>(s: &str) -> Result<T, String>
where
    T::Err: fmt::Display,
{
    s.parse().map_err(|e: T::Err| e.to_string())
}

as_text!(
    ServiceKey,
    "a service key such as \"tcp:10.0.0.1:80\" or \"fwmark:5\"",
    parse
);
as_text!(
    Protocol,
    "a protocol: \"tcp\", \"udp\", \"sctp\" or \"protoN\"",
    parse
);
as_text!(Scheduler, "a scheduler name such as \"wrr\"", parse);
as_text!(Version, "a version \"MAJOR.MINOR.PATCH\"", version);

/// `MAJOR.MINOR.PATCH`, each 0..=255, as `Version`'s `Display` writes it.
fn version(s: &str) -> Result<Version, String> {
    let mut parts = s.split('.').map(u8::from_str);
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(Ok(major)), Some(Ok(minor)), Some(Ok(patch)), None) => Ok(Version {
            major,
            minor,
            patch,
        }),
        _ => Err(format!(
            "bad version {s:?}: expected MAJOR.MINOR.PATCH, each 0..=255"
        )),
    }
}

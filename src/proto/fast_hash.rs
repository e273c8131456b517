//! The hasher of the session's own tables: the requests pending by sequence
//! number, and the keys a dump has delivered (to drop repeats).
//!
//! SipHash, the standard one, guards against keys an attacker picks. Ours
//! are our own counters and the keys of the kernel's table, which only a
//! process with `CAP_NET_ADMIN` writes; with SipHash, removing repeats
//! from a dump of 10,000 services was about a fifth of the client's
//! instructions for a listing of 10,000 services x 4 destinations.

use std::hash::{BuildHasherDefault, Hasher};

/// A `HashMap` or `HashSet` state built with [`FastHasher`].
pub(crate) type FastHash = BuildHasherDefault<FastHasher>;

/// One rotation, exclusive or and multiplication per word written; the
/// result is rotated so that the best-mixed (high) bits of the last
/// product are the low ones, which pick a bucket.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct FastHasher(u64);

/// An odd constant with its bits spread (the golden ratio's fraction).
const MULTIPLIER: u64 = 0x9e37_79b9_7f4a_7c15;

impl FastHasher {
    #[inline(always)]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(MULTIPLIER);
    }
}

/// `Hasher` methods that add an integer as one word.
macro_rules! write_words {
    ($($method:ident: $t:ty),*) => {$(
        #[inline]
        fn $method(&mut self, n: $t) {
            self.add(n as u64);
        }
    )*};
}

impl Hasher for FastHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
    }

    write_words!(write_u8: u8, write_u16: u16, write_u32: u32, write_u64: u64, write_usize: usize);

    #[inline]
    fn finish(&self) -> u64 {
        self.0.rotate_left(26)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::hash::BuildHasher;
    use std::net::{IpAddr, Ipv6Addr, SocketAddr};

    use super::*;
    use crate::ServiceKey;

    /// How many of `2^bits` buckets the low bits of the hashes of `keys` fill.
    fn buckets_used<T: std::hash::Hash>(keys: &[T], bits: u32) -> usize {
        let h = FastHash::default();
        let mask = (1u64 << bits) - 1;
        keys.iter()
            .map(|k| h.hash_one(k) & mask)
            .collect::<HashSet<_>>()
            .len()
    }

    /// Keys that differ little, as a table's do, spread over the buckets a
    /// table of their number has (random hashes fill about 63% of them).
    #[test]
    fn table_like_keys_spread_over_the_buckets() {
        let v4: Vec<ServiceKey> = (0..8192u32)
            .map(|i| {
                ServiceKey::tcp(SocketAddr::new(
                    IpAddr::from((0x0a00_0000 + i).to_be_bytes()),
                    80,
                ))
            })
            .collect();
        let ports: Vec<ServiceKey> = (0..8192u16)
            .map(|p| ServiceKey::udp(SocketAddr::new(IpAddr::from([10, 0, 0, 1]), p)))
            .collect();
        let v6: Vec<SocketAddr> = (0..8192u16)
            .map(|i| SocketAddr::new(Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 1, i).into(), 443))
            .collect();
        let marks: Vec<ServiceKey> = (1..=8192u32)
            .map(|m| ServiceKey::fwmark(crate::Family::Ipv4, m))
            .collect();
        let seqs: Vec<u32> = (1..=8192).collect();
        for (what, used) in [
            ("v4 addresses", buckets_used(&v4, 13)),
            ("ports", buckets_used(&ports, 13)),
            ("v6 addresses", buckets_used(&v6, 13)),
            ("marks", buckets_used(&marks, 13)),
            ("sequence numbers", buckets_used(&seqs, 13)),
        ] {
            assert!(used >= 8192 * 55 / 100, "{what}: {used} of 8192 buckets");
        }
    }
}

//! The ipvsadm example's address and number parsing (`names.rs`): `strtol`,
//! `atoi`, `inet_aton`, `inet_pton`, and the `/etc/hosts` and
//! `/etc/services` lookups, on arbitrary strings. The lookups read and parse
//! those files on every call (slow under the sanitizer), so they run only
//! when the low bit of the second byte is set.
#![no_main]

use std::net::IpAddr;

use libfuzzer_sys::fuzz_target;

#[allow(dead_code)]
#[path = "../../examples/ipvsadm/names.rs"]
mod names;

fuzz_target!(|data: &[u8]| {
    // Two bytes of bounds for string_to_number, then the string.
    let (a, b, s) = match data {
        [a, b, rest @ ..] => (*a, *b, String::from_utf8_lossy(rest)),
        _ => (0, 0xff, String::from_utf8_lossy(data)),
    };
    let s: &str = &s;
    let bound = |x: u8| -> i64 {
        match x >> 6 {
            0 => i64::from(x & 0x3f) - 1,
            1 => 65535,
            2 => i64::from(u32::MAX),
            _ => i64::MAX,
        }
    };
    let (min, max) = (-bound(a), bound(b));
    if let Some(n) = names::string_to_number(s, min, max) {
        assert!((min..=max).contains(&n));
        // strtol and atoi agree on a string strtol takes whole.
        assert_eq!(names::atoi(s), n);
    }
    let _ = names::atoi(s);

    let v4 = names::inet_aton(s);
    if let Some(p) = names::pton4(s) {
        // inet_pton's dotted quads (no leading zeros) mean the same to inet_aton.
        assert_eq!(v4, Some(p));
    }
    let v6 = names::pton6(s);
    let _ = names::pton6(s.trim_start_matches('[').trim_end_matches(']'));

    let lookups = b & 1 != 0;
    if lookups {
        let _ = names::host_to_addr(s);
        let _ = names::service_to_port(s, [6, 17, 132, 0][usize::from(b >> 1 & 3)]);
        let _ = names::port_to_service(u16::from(a), 17);
    }
    let port = u16::from(a) << 8 | u16::from(b);
    let addrs = [v4.map(IpAddr::V4), v6.map(IpAddr::V6)];
    for addr in addrs.into_iter().flatten() {
        assert!(names::addrport(addr, port, 6, true).len() <= 47);
        if lookups {
            assert!(names::addrport(addr, port, 6, false).len() <= 59);
        }
    }

    let mut t = s.to_owned();
    names::truncate(&mut t, usize::from(a));
    assert!(t.len() <= usize::from(a) && s.starts_with(&t));
});

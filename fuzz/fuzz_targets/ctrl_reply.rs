//! `wire::ctrl::parse_family_id` over the input taken as one generic netlink
//! payload, and over the payload of every netlink message the input holds.
#![no_main]

use ipvs_netlink::wire::ctrl::parse_family_id;
use ipvs_netlink::wire::netlink::frames;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = parse_family_id(data);
    for f in frames(data).flatten() {
        let _ = parse_family_id(f.payload);
    }
});

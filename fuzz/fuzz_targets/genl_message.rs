//! `IpvsMessage::parse_genl` over the input taken as one generic netlink
//! payload, and over the payload of every netlink message the input holds
//! (so captured datagrams make good seeds). What parses must re-emit with
//! `emit_genl` and re-parse equal.
#![no_main]

use ipvs_netlink::wire::netlink::frames;
use ipvs_netlink::wire::IpvsMessage;
use ipvs_netlink_fuzz::reparse;
use libfuzzer_sys::fuzz_target;

fn check(genl: &[u8]) {
    if let Ok(msg) = IpvsMessage::parse_genl(genl) {
        assert_eq!(reparse(&msg), msg);
    }
}

fuzz_target!(|data: &[u8]| {
    check(data);
    for f in frames(data).flatten() {
        check(f.payload);
    }
});

//! Both statistics nests (32-bit `STATS`, `STATS64`) over the same bytes;
//! what parses must re-emit (inside a service nest) and re-parse equal.
#![no_main]

use ipvs_netlink::wire::{Command, IpvsAttr, IpvsMessage, ServiceAttr, Stats32Attr, Stats64Attr};
use ipvs_netlink_fuzz::{reparse, OUTGROWS};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let s32 = Stats32Attr::parse_nest(data);
    let s64 = Stats64Attr::parse_nest(data);
    let mut nest = Vec::new();
    if let Ok(s) = s32 {
        nest.push(ServiceAttr::Stats(s));
    }
    if let Ok(s) = s64 {
        nest.push(ServiceAttr::Stats64(s));
    }
    for a in nest {
        // Inside a service nest: 4 more bytes of header.
        match IpvsMessage::new(Command::NewService, vec![IpvsAttr::Service(vec![a])]) {
            Ok(msg) => assert_eq!(reparse(&msg), msg),
            Err(e) => assert!(data.len() + 4 > OUTGROWS, "{e}"),
        }
    }
});

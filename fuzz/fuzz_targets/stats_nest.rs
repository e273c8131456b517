//! Both statistics nests (32-bit `STATS`, `STATS64`) over the same bytes;
//! what parses must re-emit (inside a service nest) and re-parse equal.
#![no_main]

use ipvs_netlink::wire::{Command, IpvsAttr, IpvsMessage, ServiceAttr, Stats32Attr, Stats64Attr};
use ipvs_netlink_fuzz::reparse;
use libfuzzer_sys::fuzz_target;

/// A stats nest inside a service nest inside the message.
const NEST_MAX: usize = u16::MAX as usize - 8;

fuzz_target!(|data: &[u8]| {
    let s32 = Stats32Attr::parse_nest(data);
    let s64 = Stats64Attr::parse_nest(data);
    if data.len() > NEST_MAX {
        return;
    }
    let mut nest = Vec::new();
    if let Ok(s) = s32 {
        nest.push(ServiceAttr::Stats(s));
    }
    if let Ok(s) = s64 {
        nest.push(ServiceAttr::Stats64(s));
    }
    for a in nest {
        let msg = IpvsMessage::new(Command::NewService, vec![IpvsAttr::Service(vec![a])]);
        assert_eq!(reparse(&msg), msg);
    }
});

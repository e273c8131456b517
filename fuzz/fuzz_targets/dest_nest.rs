//! `DestAttr::parse_nest` over arbitrary bytes; what parses must re-emit and
//! re-parse equal, and converting it for either service family must not panic.
#![no_main]

use ipvs_netlink::wire::{Command, DestAttr, IpvsAttr, IpvsMessage};
use ipvs_netlink::{Destination, Family};
use ipvs_netlink_fuzz::reparse;
use libfuzzer_sys::fuzz_target;

const NEST_MAX: usize = u16::MAX as usize - 4;

fuzz_target!(|data: &[u8]| {
    let Ok(attrs) = DestAttr::parse_nest(data) else {
        return;
    };
    let _ = Destination::from_attrs(&attrs, Family::Ipv4);
    let _ = Destination::from_attrs(&attrs, Family::Ipv6);
    if data.len() <= NEST_MAX {
        let msg = IpvsMessage::new(Command::NewDest, vec![IpvsAttr::Dest(attrs)]);
        assert_eq!(reparse(&msg), msg);
    }
});

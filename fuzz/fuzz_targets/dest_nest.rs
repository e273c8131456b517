//! `DestAttr::parse_nest` over arbitrary bytes; what parses must re-emit and
//! re-parse equal, and converting it for either service family must not panic.
#![no_main]

use ipvs_netlink::wire::{Command, DestAttr, IpvsAttr, IpvsMessage};
use ipvs_netlink::{DestinationEntry, Family};
use ipvs_netlink_fuzz::{reparse, OUTGROWS};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(attrs) = DestAttr::parse_nest(data) else {
        return;
    };
    let _ = DestinationEntry::from_attrs(&attrs, Family::Ipv4);
    let _ = DestinationEntry::from_attrs(&attrs, Family::Ipv6);
    match IpvsMessage::new(Command::NewDest, vec![IpvsAttr::Dest(attrs)]) {
        Ok(msg) => assert_eq!(reparse(&msg), msg),
        Err(e) => assert!(data.len() > OUTGROWS, "{e}"),
    }
});

//! `DestAttr::parse_nest` over arbitrary bytes; what parses must re-emit and
//! re-parse equal, and converting it for either service family must give
//! what `DestinationEntry::from_nest` (the listing's reader, with its
//! fixed-place reading of the kernel's layout) gives for the same bytes.
#![no_main]

use ipvs_netlink::wire::{Command, DestAttr, IpvsAttr, IpvsMessage};
use ipvs_netlink::{DestinationEntry, Family};
use ipvs_netlink_fuzz::{reparse, OUTGROWS};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(attrs) = DestAttr::parse_nest(data) else {
        for family in [Family::Ipv4, Family::Ipv6] {
            assert!(DestinationEntry::from_nest(data, family).is_err());
        }
        return;
    };
    for family in [Family::Ipv4, Family::Ipv6] {
        assert_eq!(
            DestinationEntry::from_nest(data, family),
            DestinationEntry::from_attrs(&attrs, family)
        );
    }
    match IpvsMessage::new(Command::NewDest, vec![IpvsAttr::Dest(attrs)]) {
        Ok(msg) => assert_eq!(reparse(&msg), msg),
        Err(e) => assert!(data.len() > OUTGROWS, "{e}"),
    }
});

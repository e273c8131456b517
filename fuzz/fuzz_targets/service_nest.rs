//! `ServiceAttr::parse_nest` over arbitrary bytes; what parses must re-emit
//! and re-parse equal, and converting it to a `ServiceEntry` must give what
//! `ServiceEntry::from_nest` (the listing's reader, with its fixed-place
//! reading of the kernel's layout) gives for the same bytes.
#![no_main]

use ipvs_netlink::wire::{Command, IpvsAttr, IpvsMessage, ServiceAttr};
use ipvs_netlink::ServiceEntry;
use ipvs_netlink_fuzz::{reparse, OUTGROWS};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(attrs) = ServiceAttr::parse_nest(data) else {
        assert!(ServiceEntry::from_nest(data).is_err());
        return;
    };
    assert_eq!(
        ServiceEntry::from_nest(data),
        ServiceEntry::from_attrs(&attrs)
    );
    match IpvsMessage::new(Command::NewService, vec![IpvsAttr::Service(attrs)]) {
        Ok(msg) => assert_eq!(reparse(&msg), msg),
        Err(e) => assert!(data.len() > OUTGROWS, "{e}"),
    }
});

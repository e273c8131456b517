//! `ServiceAttr::parse_nest` over arbitrary bytes; what parses must re-emit
//! and re-parse equal, and converting it to a `Service` must not panic.
#![no_main]

use ipvs_netlink::wire::{Command, IpvsAttr, IpvsMessage, ServiceAttr};
use ipvs_netlink::Service;
use ipvs_netlink_fuzz::reparse;
use libfuzzer_sys::fuzz_target;

/// Largest payload a nest attribute can carry.
const NEST_MAX: usize = u16::MAX as usize - 4;

fuzz_target!(|data: &[u8]| {
    let Ok(attrs) = ServiceAttr::parse_nest(data) else {
        return;
    };
    let _ = Service::from_attrs(&attrs);
    if data.len() <= NEST_MAX {
        let msg = IpvsMessage::new(Command::NewService, vec![IpvsAttr::Service(attrs)]);
        assert_eq!(reparse(&msg), msg);
    }
});

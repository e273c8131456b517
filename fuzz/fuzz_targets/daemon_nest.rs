//! `DaemonAttr::parse_nest` over arbitrary bytes; what parses must re-emit
//! and re-parse equal, and converting it to a `SyncDaemon` must not panic.
#![no_main]

use ipvs_netlink::wire::{Command, DaemonAttr, IpvsAttr, IpvsMessage};
use ipvs_netlink::SyncDaemon;
use ipvs_netlink_fuzz::reparse;
use libfuzzer_sys::fuzz_target;

const NEST_MAX: usize = u16::MAX as usize - 4;

fuzz_target!(|data: &[u8]| {
    let Ok(attrs) = DaemonAttr::parse_nest(data) else {
        return;
    };
    let _ = SyncDaemon::from_attrs(&attrs);
    if data.len() <= NEST_MAX {
        let msg = IpvsMessage::new(Command::NewDaemon, vec![IpvsAttr::Daemon(attrs)]);
        assert_eq!(reparse(&msg), msg);
    }
});

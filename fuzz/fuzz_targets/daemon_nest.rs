//! `DaemonAttr::parse_nest` over arbitrary bytes; what parses must re-emit
//! and re-parse equal, and converting it to a `SyncDaemon` must not panic.
#![no_main]

use ipvs_netlink::wire::{Command, DaemonAttr, IpvsAttr, IpvsMessage};
use ipvs_netlink::SyncDaemon;
use ipvs_netlink_fuzz::{reparse, OUTGROWS};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(attrs) = DaemonAttr::parse_nest(data) else {
        return;
    };
    let _ = SyncDaemon::from_attrs(&attrs);
    match IpvsMessage::new(Command::NewDaemon, vec![IpvsAttr::Daemon(attrs)]) {
        Ok(msg) => assert_eq!(reparse(&msg), msg),
        Err(e) => assert!(data.len() > OUTGROWS, "{e}"),
    }
});

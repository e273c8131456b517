//! Every nest of a parsed message converted to the typed model (destinations
//! for both service families). None may panic, and a converted value the
//! builder accepts must convert back to itself after typed -> bytes -> typed.
#![no_main]

use ipvs_netlink::wire::{IpvsAttr, IpvsMessage};
use ipvs_netlink::{DestinationEntry, Family, ServiceEntry, SyncDaemon};
use ipvs_netlink_fuzz::{daemon_rt, destination_rt, service_rt};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(msg) = IpvsMessage::parse_genl(data) else {
        return;
    };
    for attr in msg.attrs() {
        match attr {
            IpvsAttr::Service(a) => {
                if let Ok(s) = ServiceEntry::from_attrs(a) {
                    if let Some(back) = service_rt(&s) {
                        assert_eq!(back, s);
                    }
                }
            }
            IpvsAttr::Dest(a) => {
                for fam in [Family::Ipv4, Family::Ipv6] {
                    if let Ok(d) = DestinationEntry::from_attrs(a, fam) {
                        if let Some(back) = destination_rt(&d, fam) {
                            assert_eq!(back, d);
                        }
                    }
                }
            }
            IpvsAttr::Daemon(a) => {
                if let Ok(d) = SyncDaemon::from_attrs(a) {
                    if let Some(back) = daemon_rt(&d) {
                        assert_eq!(back, d);
                    }
                }
            }
            _ => {}
        }
    }
});

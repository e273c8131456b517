//! The top-level attributes of SET_INFO (GET_INFO's reply) and SET_CONFIG
//! (GET_CONFIG's reply) over the same bytes, converted to `Info` and
//! `Timeouts`; a converted value must survive typed -> bytes -> typed.
#![no_main]

use ipvs_netlink::wire::{Command, IpvsMessage};
use ipvs_netlink::{Info, Timeouts};
use ipvs_netlink_fuzz::{info_rt, timeouts_rt};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(msg) = IpvsMessage::parse_attrs(Command::SetInfo, data) {
        if let Ok(info) = Info::from_attrs(msg.attrs()) {
            assert_eq!(info_rt(&info), info);
        }
    }
    if let Ok(msg) = IpvsMessage::parse_attrs(Command::SetConfig, data) {
        let t = Timeouts::from_attrs(msg.attrs());
        assert_eq!(timeouts_rt(&t), t);
    }
});

//! `wire::netlink::frames` over a datagram of several messages, with
//! `NlStatus::parse_error` and `parse_done` on every payload.
#![no_main]

use ipvs_netlink::wire::netlink::{frames, NlStatus, NLMSG_HDR_LEN};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut count = 0usize;
    let mut consumed = 0usize;
    let mut failed = false;
    for f in frames(data) {
        assert!(!failed, "frames went on after an error");
        match f {
            Ok(f) => {
                count += 1;
                let len = f.header.len as usize;
                assert!(len >= NLMSG_HDR_LEN);
                assert_eq!(f.payload.len(), len - NLMSG_HDR_LEN);
                consumed += len;
                assert!(consumed <= data.len());
                for flags in [f.header.flags, 0, 0x100, 0x200, 0x300] {
                    if let Ok(s) = NlStatus::parse_error(f.payload, flags) {
                        assert!(f.payload.len() >= 4);
                        let _ = s.message.map(|m| m.len());
                    }
                    let _ = NlStatus::parse_done(f.payload, flags);
                }
            }
            Err(_) => failed = true,
        }
    }
    assert!(count <= data.len() / NLMSG_HDR_LEN);
});

//! Typed values -> attributes -> `emit_genl` bytes -> `parse_genl` ->
//! typed values. Values the builder rejects are skipped. A canonical value
//! (see `ipvs_netlink_fuzz::*_is_canonical`) must come back unchanged; any
//! value must be stable after one trip (decoding normalises only once).
#![no_main]

use arbitrary::Unstructured;
use ipvs_netlink_fuzz as f;
use libfuzzer_sys::fuzz_target;

fn run(u: &mut Unstructured<'_>) -> arbitrary::Result<()> {
    match u.int_in_range(0..=4)? {
        0 => {
            let s = f::service_entry(u)?;
            if let Some(back) = f::service_rt(&s) {
                if f::service_entry_is_canonical(&s) {
                    assert_eq!(back, s);
                }
                assert_eq!(f::service_rt(&back).as_ref(), Some(&back));
            }
        }
        1 => {
            let fam = f::family(u)?;
            let d = f::destination_entry(u, fam)?;
            if let Some(back) = f::destination_rt(&d, fam) {
                if f::destination_entry_is_canonical(&d) {
                    assert_eq!(back, d);
                }
                // A decoded value may be one the builder refuses (an unknown
                // tunnel that decodes as GUE without a port).
                if let Some(again) = f::destination_rt(&back, fam) {
                    assert_eq!(again, back);
                }
            }
        }
        2 => {
            let d = f::daemon(u)?;
            if let Some(back) = f::daemon_rt(&d) {
                assert_eq!(back, d);
            }
        }
        3 => {
            let i = f::info(u)?;
            assert_eq!(f::info_rt(&i), i);
        }
        _ => {
            let t = f::timeouts(u)?;
            assert_eq!(f::timeouts_rt(&t), t);
        }
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    while !u.is_empty() {
        if run(&mut u).is_err() {
            break;
        }
    }
});

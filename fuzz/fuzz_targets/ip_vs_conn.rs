//! The ipvsadm example's `-L -c`: arbitrary text as the content of
//! `/proc/net/ip_vs_conn` through `list::format_conn`. The first byte picks
//! the listing flags: persistent connections (bit 1), and names instead of
//! numbers when bits 0 and 7 are set and the text is short (naming reads
//! `/etc/hosts` and `/etc/services` three times a line, slow under the
//! sanitizer).
#![no_main]

use libfuzzer_sys::fuzz_target;

// `list.rs` refers to `crate::names` and to `crate::{Exit, Func, Output,
// ipvs_strerror}`, so those live at the crate root as well as under
// `ipvsadm` (which declares them too): the same files are loaded twice on
// purpose.
#[allow(dead_code, clippy::duplicate_mod)]
#[path = "../../examples/ipvsadm/main.rs"]
mod ipvsadm;
#[allow(dead_code)]
#[path = "../../examples/ipvsadm/list.rs"]
mod list;
#[allow(dead_code)]
#[path = "../../examples/ipvsadm/names.rs"]
mod names;

#[allow(unused_imports)]
use ipvsadm::{ipvs_strerror, Exit, Func, Output};

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let mut format = 0;
    if flags & 0x81 != 0x81 || rest.len() > 512 {
        format |= list::NUMERIC;
    }
    if flags & 2 != 0 {
        format |= list::PERSISTENTCONN;
    }
    let text = String::from_utf8_lossy(rest);
    let out = list::format_conn(&text, format);
    // A bad line or header is an error (from the library's parser); else a
    // title, a header, and at most one line per input line.
    if let Ok(out) = out {
        let lines = text.split_inclusive('\n').count();
        assert!(out.starts_with("IPVS connection entries\n"));
        assert!(out.lines().count() <= lines + 1);
    }
});

//! The ipvsadm example's command line: popt's grammar (`popt.rs`), then
//! `parse_command` and the request each command builds (`request`), with
//! nothing sent to a kernel. The input is read twice: as a `-R` save file
//! (each line split into words as `restore` does) and as one argument vector
//! (words separated by NUL, as `execve` passes them).
#![no_main]

use libfuzzer_sys::fuzz_target;

// The example's modules; `list.rs` refers to `crate::names` and to
// `crate::{Exit, Func, Output, ipvs_strerror}`, so those live at the crate root as
// well as under `ipvsadm` (which declares them too): the same files are
// loaded twice on purpose.
#[allow(dead_code, clippy::duplicate_mod)]
#[path = "../../examples/ipvsadm/main.rs"]
mod ipvsadm;
#[allow(dead_code)]
#[path = "../../examples/ipvsadm/names.rs"]
mod names;

#[allow(unused_imports)]
use ipvsadm::{ipvs_strerror, Exit, Func, Output};
use ipvsadm::{parse_command, request, Parsed};

fn command(words: &[&str]) {
    if let Ok(Parsed::Command(ce)) = parse_command("ipvsadm", words) {
        let _ = request(&ce);
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for line in text.lines() {
        let words: Vec<&str> = line
            .split([' ', '\t', '\r'])
            .filter(|w| !w.is_empty() && *w != "ipvsadm")
            .collect();
        if !words.is_empty() {
            command(&words);
        }
    }
    if !data.is_empty() {
        let words: Vec<String> = data
            .split(|&b| b == 0)
            .map(|w| String::from_utf8_lossy(w).into_owned())
            .collect();
        command(&words.iter().map(String::as_str).collect::<Vec<_>>());
    }
});

//! The library's connection table parser: arbitrary bytes as the content of
//! `/proc/net/ip_vs_conn` (first byte even) or `ip_vs_conn_sync` (odd),
//! through `ConnReader`, and every line through `parse_conn_line` in both
//! layouts. Never a panic; every entry read back is consistent.
#![no_main]

use ipvs_netlink::conn::{parse_conn_line, ConnError, ConnLayout, ConnReader, ConnTable};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, text)) = data.split_first() else {
        return;
    };
    let table = if mode & 1 == 0 {
        ConnTable::Conns
    } else {
        ConnTable::Sync
    };
    let lines = text.split(|b| *b == b'\n').count() as u64;
    let mut seen = 0u64;
    for item in ConnReader::new(text, table) {
        seen += 1;
        assert!(seen <= lines, "more items than lines");
        match item {
            Ok(e) => {
                assert_eq!(e.client.is_ipv4(), e.virtual_addr.is_ipv4());
                assert_eq!(e.origin.is_some(), table == ConnTable::Sync);
                assert!(table == ConnTable::Conns || e.persistence.is_none());
            }
            Err(ConnError::Line { line, .. }) => assert!(line >= 2 && line <= lines),
            Err(_) => {}
        }
    }
    for line in text.split(|b| *b == b'\n') {
        let _ = ConnLayout::from_header(line);
        let _ = parse_conn_line(line, ConnLayout::Conn);
        let _ = parse_conn_line(line, ConnLayout::Sync);
    }
});

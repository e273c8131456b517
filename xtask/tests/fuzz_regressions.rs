//! Fuzzing inputs as normal tests.
//!
//! No fuzz target has crashed so far, so there is no crash input to keep
//! here yet; when one does, add its bytes under `fuzz/regressions/<target>/`
//! (they are replayed below) and a named test. Meanwhile every file of the
//! seed corpus (`fuzz/corpus/*/`), every captured kernel fixture
//! (`tests/fixtures/linux-*/**/*.bin` replies, `*.req` ipvsadm requests,
//! `*.txt` connection tables) and
//! every regression input goes through
//! every parser, the model conversions and the session, and must not panic.
//!
//! It is a test of the xtask crate (never published), not of ipvs-netlink:
//! the seeds are under `fuzz/`, a crate of its own that the published
//! package does not ship, and there the test could only fail or check
//! nothing. `cargo test --workspace` (and so `cargo xtask test`) runs it.

#[path = "../../tests/common/mod.rs"]
mod common;

use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use ipvs_netlink::proto::{Request, Session};
use ipvs_netlink::testing::fake_kernel;
use ipvs_netlink::wire::ctrl::{parse_family_id, GENL_ID_CTRL};
use ipvs_netlink::wire::netlink::{frames, NlStatus};
use ipvs_netlink::wire::{Command, IpvsMessage};
use ipvs_netlink::ServiceKey;

/// The fuzz targets, each of which must have seeds.
const TARGETS: [&str; 12] = [
    "service_nest",
    "dest_nest",
    "daemon_nest",
    "stats_nest",
    "genl_message",
    "info_config",
    "model_convert",
    "netlink_frames",
    "ctrl_reply",
    "session_replies",
    "round_trip",
    "conn_table",
];

/// The repository: the parent of the xtask crate.
fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        let hidden = p
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'));
        if hidden {
            continue;
        }
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// A session with the family resolved and requests of each shape pending.
fn busy_session(family: u16) -> Session {
    let mut s = fake_kernel::resolved_session(family);
    let key = ServiceKey::tcp(SocketAddr::from(([10, 0, 0, 1], 80)));
    for r in [
        Request::ListServices,
        Request::ListDestinations(key),
        Request::GetInfo,
        Request::GetTimeouts,
        Request::ListDaemons,
        Request::GetService(key),
        Request::Flush,
    ] {
        s.submit(&r).unwrap();
    }
    s.submit_silent(&Request::DeleteService(key)).unwrap();
    s.barrier();
    s.take_outgoing();
    s
}

/// The connection table parser over `data`, as both tables.
fn replay_conn(data: &[u8]) {
    use ipvs_netlink::conn::{ConnReader, ConnTable};
    for table in [ConnTable::Conns, ConnTable::Sync] {
        for text in [data, data.get(1..).unwrap_or_default()] {
            ConnReader::new(text, table).for_each(drop);
        }
    }
}

/// Every parser, conversion and the session over `data`; panics propagate.
fn replay(data: &[u8]) {
    replay_conn(data);
    common::parse_every_nest(data);
    let _ = parse_family_id(data);
    let mut genl_payloads = vec![data];
    let mut family = fake_kernel::FAMILY;
    for f in frames(data).map_while(Result::ok) {
        let _ = NlStatus::parse_error(f.payload, f.header.flags);
        let _ = NlStatus::parse_done(f.payload, f.header.flags);
        if f.header.kind == GENL_ID_CTRL {
            family = parse_family_id(f.payload).unwrap_or(family);
        }
        genl_payloads.push(f.payload);
    }
    for g in genl_payloads {
        let Ok(m) = IpvsMessage::parse_genl(g) else {
            continue;
        };
        let mut out = Vec::new();
        m.emit_genl(&mut out);
        assert_eq!(IpvsMessage::parse_genl(&out).unwrap(), m);
        let _ = parse_family_id(g);
    }
    // As a datagram, and (replay inputs of session_replies) without the
    // two-byte mode prefix.
    let mut s = busy_session(family);
    s.receive(data, 0);
    if let [0xff, _, rest @ ..] = data {
        s.receive(rest, 0);
    }
    s.fail_all(ipvs_netlink::ErrorKind::NotSent);
    assert_eq!(s.pending(), 0);
}

#[test]
fn seed_corpus_replays_without_panic() {
    let mut total = 0;
    for t in TARGETS {
        let mut files = Vec::new();
        files_under(&root().join("fuzz/corpus").join(t), &mut files);
        assert!(!files.is_empty(), "fuzz/corpus/{t} has no seeds");
        for f in &files {
            let data = fs::read(f).unwrap();
            replay(&data);
        }
        total += files.len();
    }
    eprintln!("replayed {total} seed files");
}

#[test]
fn kernel_fixtures_replay_without_panic() {
    let mut files = Vec::new();
    files_under(&root().join("tests/fixtures"), &mut files);
    files.retain(|p| {
        p.extension()
            .is_some_and(|e| e == "bin" || e == "req" || e == "txt")
    });
    for f in &files {
        replay(&fs::read(f).unwrap());
    }
    eprintln!("replayed {} kernel fixture files", files.len());
}

#[test]
fn regression_inputs_replay_without_panic() {
    let mut files = Vec::new();
    files_under(&root().join("fuzz/regressions"), &mut files);
    for f in &files {
        replay(&fs::read(f).unwrap());
    }
}

/// Found while writing the `genl_message` round-trip target (the fuzzer
/// itself does not reach 64 KiB inputs within its time budget): a SERVICE
/// nest of the largest size an attribute can declare (65535), whose last
/// attribute arrives unpadded and (a string) without its NUL, parses; but
/// `emit_genl` pads it and adds the NUL, so the nest outgrows its u16
/// length, which `Writer` silently clamps to 65535: the bytes emitted no
/// longer parse. Ignored until the library decides how to handle it (a
/// fallible emit, or a parser that keeps such attributes byte for byte).
#[test]
fn oversized_nest_reemits_parseable() {
    let mut inner = Vec::new();
    // An unknown attribute of 65520 payload bytes (length 65524)...
    inner.extend_from_slice(&65524u16.to_ne_bytes());
    inner.extend_from_slice(&100u16.to_ne_bytes());
    inner.resize(65524, 0);
    // ...then SCHED_NAME "abc": no NUL, no padding.
    inner.extend_from_slice(&7u16.to_ne_bytes());
    inner.extend_from_slice(&6u16.to_ne_bytes());
    inner.extend_from_slice(b"abc");
    let mut genl = vec![u8::from(Command::NewService), 1, 0, 0];
    genl.extend_from_slice(&u16::try_from(4 + inner.len()).unwrap().to_ne_bytes());
    genl.extend_from_slice(&1u16.to_ne_bytes());
    genl.extend_from_slice(&inner);
    // Re-emitted, the nest would outgrow its 16-bit length: the parser must
    // refuse it rather than accept what cannot be re-emitted unchanged.
    match IpvsMessage::parse_genl(&genl) {
        Err(e) => assert!(e.to_string().contains("re-emitted"), "{e}"),
        Ok(msg) => {
            let mut out = Vec::new();
            msg.emit_genl(&mut out);
            let back = IpvsMessage::parse_genl(&out).expect("the re-emitted bytes parse");
            assert_eq!(back, msg);
        }
    }
}

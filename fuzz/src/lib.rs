//! Shared by the fuzz targets: typed values from raw fuzz bytes (the
//! library's `testing::values`, re-exported), netlink
//! byte builders, and the round-trip checks. Only the crate's public API is
//! used, so nothing here needs the library to change.

use ipvs_netlink::proto::Request;
pub use ipvs_netlink::testing::values::*;
use ipvs_netlink::wire::netlink::push_message;
use ipvs_netlink::wire::{Command, IpvsAttr, IpvsMessage};
use ipvs_netlink::{DestinationEntry, Family, Info, ServiceEntry, SyncDaemon, Timeouts};

// ---------------------------------------------------------------------------
// Bytes
// ---------------------------------------------------------------------------

/// One netlink attribute, padded to 4 bytes. `kind` goes on the wire as is.
pub fn nla(kind: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(4 + payload.len() + 3);
    let len = u16::try_from(4 + payload.len()).unwrap_or(u16::MAX);
    v.extend_from_slice(&len.to_ne_bytes());
    v.extend_from_slice(&kind.to_ne_bytes());
    v.extend_from_slice(payload);
    while v.len() % 4 != 0 {
        v.push(0);
    }
    v
}

/// The payload of the single nest `attr` emits (its attribute header
/// stripped): what `ServiceAttr::parse_nest` and friends take.
pub fn nest_payload(attr: IpvsAttr) -> Vec<u8> {
    let mut out = Vec::new();
    IpvsMessage::new(Command::NewService, vec![attr])
        .unwrap()
        .emit_attrs(&mut out);
    let len = usize::from(u16::from_ne_bytes([out[0], out[1]]));
    out[4..len].to_vec()
}

/// A generic netlink payload (genl header + attributes) of `msg`.
pub fn genl(msg: &IpvsMessage) -> Vec<u8> {
    let mut out = Vec::new();
    msg.emit_genl(&mut out);
    out
}

/// Emits `msg` and parses it back.
pub fn reparse(msg: &IpvsMessage) -> IpvsMessage {
    let bytes = genl(msg);
    IpvsMessage::parse_genl(&bytes)
        .unwrap_or_else(|e| panic!("re-emitted message does not parse: {e}\n{msg:?}"))
}

/// Nest payloads above this size may be refused by `IpvsMessage::new`:
/// re-emitting adds what the kernel may leave out (a string's NUL, the last
/// attribute's padding), so such a nest can outgrow its 16-bit length. A
/// smaller nest never can.
pub const OUTGROWS: usize = (u16::MAX as usize - 8) / 3;

/// One netlink message appended to `out`.
pub fn push(out: &mut Vec<u8>, kind: u16, flags: u16, seq: u32, payload: &[u8]) {
    push_message(out, kind, flags, seq, |o| o.extend_from_slice(payload)).unwrap();
}

// ---------------------------------------------------------------------------
// Round trips: typed -> attributes -> bytes -> attributes -> typed
// ---------------------------------------------------------------------------

fn only<T: std::fmt::Debug>(mut v: Vec<T>) -> T {
    assert_eq!(v.len(), 1, "expected one attribute: {v:?}");
    v.pop().unwrap()
}

/// `None` when the builder rejects the service entry.
pub fn service_rt(s: &ServiceEntry) -> Option<ServiceEntry> {
    let attrs = s.to_reply_attrs().ok()?;
    let msg = IpvsMessage::new(Command::NewService, vec![IpvsAttr::Service(attrs)]).unwrap();
    let back = reparse(&msg);
    assert_eq!(back, msg, "service message does not re-parse equal");
    let IpvsAttr::Service(a) = only(back.into_attrs()) else {
        panic!("not a service nest")
    };
    Some(ServiceEntry::from_attrs(&a).unwrap_or_else(|e| panic!("{e}: {s:?}")))
}

/// `None` when the builder rejects the destination entry.
pub fn destination_rt(d: &DestinationEntry, service: Family) -> Option<DestinationEntry> {
    let attrs = d.to_reply_attrs(service).ok()?;
    let msg = IpvsMessage::new(Command::NewDest, vec![IpvsAttr::Dest(attrs)]).unwrap();
    let back = reparse(&msg);
    assert_eq!(back, msg, "dest message does not re-parse equal");
    let IpvsAttr::Dest(a) = only(back.into_attrs()) else {
        panic!("not a dest nest")
    };
    Some(DestinationEntry::from_attrs(&a, service).unwrap_or_else(|e| panic!("{e}: {d:?}")))
}

/// `None` when the builder rejects the daemon. The nest is the one
/// NEW_DAEMON sends, which is also what GET_DAEMON answers.
pub fn daemon_rt(d: &SyncDaemon) -> Option<SyncDaemon> {
    let (cmd, attrs) = Request::StartDaemon(d.clone()).encode().ok()?;
    assert_eq!(cmd, Command::NewDaemon);
    let msg = IpvsMessage::new(cmd, attrs).unwrap();
    let back = reparse(&msg);
    assert_eq!(back, msg, "daemon message does not re-parse equal");
    let IpvsAttr::Daemon(a) = only(back.into_attrs()) else {
        panic!("not a daemon nest")
    };
    Some(SyncDaemon::from_attrs(&a).unwrap_or_else(|e| panic!("{e}: {d:?}")))
}

/// Info through a SET_INFO reply.
pub fn info_rt(i: &Info) -> Info {
    let msg = IpvsMessage::new(Command::SetInfo, i.to_attrs()).unwrap();
    let back = reparse(&msg);
    assert_eq!(back, msg, "info message does not re-parse equal");
    Info::from_attrs(back.attrs()).unwrap_or_else(|e| panic!("{e}: {i:?}"))
}

/// Timeouts through a SET_CONFIG message (also the GET_CONFIG reply).
pub fn timeouts_rt(t: &Timeouts) -> Timeouts {
    let (cmd, attrs) = Request::SetTimeouts(*t)
        .encode()
        .expect("timeouts always encode");
    assert_eq!(cmd, Command::SetConfig);
    let msg = IpvsMessage::new(cmd, attrs).unwrap();
    let back = reparse(&msg);
    assert_eq!(back, msg, "config message does not re-parse equal");
    Timeouts::from_attrs(back.attrs())
}

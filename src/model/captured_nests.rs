//! The nests of the kernels' captured replies (`tests/fixtures`), for the
//! tests that check a fast reading against the attribute walk.

use crate::wire::attr_set::AttrSet;
use crate::wire::message::split_genl;
use crate::wire::netlink::frames;
use crate::wire::nla::attrs;

/// The payload of every top-level attribute of type `kind` (a `SERVICE`
/// or `DEST` nest) in the IPVS messages of `file`, a capture of whole
/// datagrams.
pub(crate) fn nests_in(file: &[u8], kind: u16) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for frame in frames(file) {
        let frame = frame.unwrap();
        // Below 16: netlink's own messages (errors, done).
        if frame.header.kind < 16 {
            continue;
        }
        let (_, payload) = split_genl(frame.payload).unwrap();
        for top in attrs(payload) {
            let top = top.unwrap();
            if top.kind == kind {
                out.push(top.value.to_vec());
            }
        }
    }
    out
}

/// The payload of a nest holding `list`, as the crate writes it.
pub(crate) fn payload_of<A: AttrSet>(list: &[A]) -> Vec<u8> {
    let mut buf = Vec::new();
    crate::wire::nla::write(&mut buf, |w| list.iter().for_each(|a| a.emit(w))).unwrap();
    buf
}

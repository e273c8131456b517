//! The one fake kernel: the datagrams a kernel would send, built by hand,
//! for tests, fuzz targets and benches that run without IPVS. Everything
//! here goes through the crate's own wire layer.

use std::net::SocketAddr;

use crate::model::{Scheduler, Service, ServiceEntry, ServiceKey};
use crate::proto::Session;
use crate::wire::ctrl::GENL_ID_CTRL;
use crate::wire::netlink::{
    frames, push_message, NLMSG_DONE, NLMSG_ERROR, NLMSG_HDR_LEN, NLMSG_OVERRUN, NLM_F_ACK,
    NLM_F_ACK_TLVS, NLM_F_CAPPED, NLM_F_MULTI, NLM_F_REQUEST,
};
use crate::wire::nla;
use crate::wire::{Command, IpvsAttr, IpvsMessage};

/// The family id this fake kernel gives "IPVS".
pub const FAMILY: u16 = 0x24;

/// A port id other than the kernel's (0): a datagram from another socket.
pub const FOREIGN_SENDER: u32 = 4242;

/// The extended ack attribute that carries the kernel's message.
const NLMSGERR_ATTR_MSG: u16 = 1;

/// Appends the status message `code` (0: an acknowledgement, else a
/// negative errno) for request `seq`, its request header not echoed
/// (`NLM_F_CAPPED`, as the kernel sends).
pub fn status(out: &mut Vec<u8>, seq: u32, code: i32) {
    push_message(out, NLMSG_ERROR, NLM_F_CAPPED, seq, |o| {
        o.extend_from_slice(&code.to_ne_bytes());
        o.extend_from_slice(&[0u8; NLMSG_HDR_LEN]);
    })
    .expect("a status message fits");
}

/// The payload of an `NLMSG_ERROR`: `code`, the echoed header of request
/// `echo_seq` (an IPVS request with `NLM_F_REQUEST | NLM_F_ACK`), then
/// extended ack attributes `tlvs`, already encoded.
pub fn error_payload(code: i32, echo_seq: u32, tlvs: &[u8]) -> Vec<u8> {
    let mut p = Vec::with_capacity(4 + NLMSG_HDR_LEN + tlvs.len());
    p.extend_from_slice(&code.to_ne_bytes());
    p.extend_from_slice(&(NLMSG_HDR_LEN as u32).to_ne_bytes());
    p.extend_from_slice(&FAMILY.to_ne_bytes());
    p.extend_from_slice(&(NLM_F_REQUEST | NLM_F_ACK).to_ne_bytes());
    p.extend_from_slice(&echo_seq.to_ne_bytes());
    p.extend_from_slice(&0u32.to_ne_bytes());
    p.extend_from_slice(tlvs);
    p
}

/// The status message `code` for request `seq`, as one datagram.
pub fn ack(seq: u32, code: i32) -> Vec<u8> {
    let mut out = Vec::new();
    status(&mut out, seq, code);
    out
}

/// An error `code` for request `seq` with the kernel's extended ack
/// message `text`.
pub fn error_with_message(seq: u32, code: i32, text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    push_message(
        &mut out,
        NLMSG_ERROR,
        NLM_F_CAPPED | NLM_F_ACK_TLVS,
        seq,
        |o| {
            o.extend_from_slice(&code.to_ne_bytes());
            o.extend_from_slice(&[0u8; NLMSG_HDR_LEN]);
            let mut z = text.as_bytes().to_vec();
            z.push(0);
            nla::write(o, |w| w.put(NLMSGERR_ATTR_MSG, &z)).expect("an extended ack message fits");
        },
    )
    .expect("an error message fits");
    out
}

/// The acknowledgement of the last message of `datagram` (what the kernel
/// sends for a batch closed by an acknowledged no-op), echoing its header.
pub fn ack_of_last(datagram: &[u8]) -> Vec<u8> {
    let last = frames(datagram)
        .last()
        .expect("a datagram with a message")
        .expect("a well-formed datagram");
    let start = datagram.len() - last.header.len as usize;
    let mut out = Vec::new();
    push_message(&mut out, NLMSG_ERROR, NLM_F_CAPPED, last.header.seq, |o| {
        o.extend_from_slice(&0i32.to_ne_bytes());
        o.extend_from_slice(&datagram[start..][..NLMSG_HDR_LEN]);
    })
    .expect("an acknowledgement fits");
    out
}

/// Appends `msg` as an IPVS message for request `seq`.
pub fn message(out: &mut Vec<u8>, seq: u32, flags: u16, msg: &IpvsMessage) {
    push_message(out, FAMILY, flags, seq, |o| msg.emit_genl(o)).expect("the message fits");
}

/// The end of the dump answering request `seq`.
pub fn done(seq: u32) -> Vec<u8> {
    let mut out = Vec::new();
    push_done(&mut out, seq);
    out
}

fn push_done(out: &mut Vec<u8>, seq: u32) {
    push_message(out, NLMSG_DONE, NLM_F_MULTI, seq, |o| {
        o.extend_from_slice(&0i32.to_ne_bytes())
    })
    .expect("NLMSG_DONE fits");
}

/// A dump answering request `seq`: `msgs` in datagrams of about
/// `chunk_bytes` at most (a message is never split), the last one ending
/// with `NLMSG_DONE`.
pub fn dump(seq: u32, msgs: &[IpvsMessage], chunk_bytes: usize) -> Vec<Vec<u8>> {
    let mut out = vec![Vec::new()];
    for m in msgs {
        let mut one = Vec::new();
        message(&mut one, seq, NLM_F_MULTI, m);
        let last = out.last_mut().expect("one datagram at least");
        if !last.is_empty() && last.len() + one.len() > chunk_bytes {
            out.push(one);
        } else {
            last.extend_from_slice(&one);
        }
    }
    push_done(out.last_mut().expect("one datagram at least"), seq);
    out
}

/// `NLMSG_OVERRUN` for request `seq`.
pub fn overrun(seq: u32) -> Vec<u8> {
    let mut out = Vec::new();
    push_message(&mut out, NLMSG_OVERRUN, 0, seq, |_| {}).expect("NLMSG_OVERRUN fits");
    out
}

/// The payload of nlctrl's CTRL_CMD_NEWFAMILY naming "IPVS" with `id`.
pub fn newfamily_payload(id: u16) -> Vec<u8> {
    let mut p = vec![1, 2, 0, 0];
    nla::write(&mut p, |w| {
        w.put(2, b"IPVS\0");
        w.put_u16(1, id);
        w.put_u32(3, 1);
    })
    .expect("the family reply fits");
    p
}

/// nlctrl's answer to the family request `seq`: the family `id`, then the
/// acknowledgement.
pub fn family_reply(seq: u32, id: u16) -> Vec<u8> {
    let mut out = Vec::new();
    push_message(&mut out, GENL_ID_CTRL, 0, seq, |o| {
        o.extend_from_slice(&newfamily_payload(id))
    })
    .expect("the family reply fits");
    status(&mut out, seq, 0);
    out
}

/// A session that resolved the family to `id` the way a handle does: its
/// request sent and answered by [`family_reply`].
pub fn resolved_session(id: u16) -> Session {
    let mut s = Session::new();
    let token = s.resolve_family();
    let sent = s.take_outgoing();
    let seq = frames(&sent)
        .next()
        .expect("the family request")
        .expect("a well-formed request")
        .header
        .seq;
    s.receive(&family_reply(seq, id), 0);
    assert!(matches!(s.take_result(token), Some(Ok(_))));
    assert_eq!(s.family_id(), Some(id));
    s
}

/// A service dump message for request `seq`: TCP 10.0.0.1:`port`, round
/// robin.
pub fn service_msg(seq: u32, port: u16, flags: u16) -> Vec<u8> {
    let s = ServiceEntry::new(Service::new(
        ServiceKey::tcp(SocketAddr::from(([10, 0, 0, 1], port))),
        Scheduler::RoundRobin,
    ));
    let m = IpvsMessage::new(
        Command::NewService,
        vec![IpvsAttr::Service(
            s.to_reply_attrs().expect("a plain service's attributes"),
        )],
    )
    .expect("a service message");
    let mut out = Vec::new();
    message(&mut out, seq, flags, &m);
    out
}

/// A kernel that answers each datagram sent to it as IPVS does a batch:
/// an acknowledgement for every message that asked for one (and for
/// nlctrl's and the no-ops'), nothing for the others, and `EEXIST` for the
/// IPVS requests whose index (counted over all datagrams from 0) it was
/// told to fail.
#[derive(Debug, Default)]
pub struct Kernel {
    fail: Vec<usize>,
    /// How many IPVS requests it saw.
    pub seen: usize,
    /// How many datagrams it answered.
    pub datagrams: usize,
}

impl Kernel {
    /// A kernel that fails the IPVS requests at `fail` (indices from 0).
    pub fn new(fail: &[usize]) -> Self {
        Kernel {
            fail: fail.to_vec(),
            ..Kernel::default()
        }
    }

    /// The kernel's answer to `sent`, one datagram.
    pub fn answer(&mut self, sent: &[u8]) -> Vec<u8> {
        self.datagrams += 1;
        let mut out = Vec::new();
        for f in frames(sent) {
            let h = f.expect("a well-formed datagram").header;
            let code = if h.kind == FAMILY {
                self.seen += 1;
                if self.fail.contains(&(self.seen - 1)) {
                    -17 // EEXIST
                } else if h.flags & NLM_F_ACK != 0 {
                    0
                } else {
                    continue;
                }
            } else {
                0
            };
            status(&mut out, h.seq, code);
        }
        out
    }
}

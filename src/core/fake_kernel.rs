//! Kernel answers made by hand, for the unit tests of the session, the batch
//! and the driver.

use std::net::SocketAddr;

use crate::model::{Scheduler, Service, ServiceEntry, ServiceKey};
use crate::wire::netlink::{push_message, NLMSG_DONE, NLMSG_ERROR, NLM_F_CAPPED, NLM_F_MULTI};
use crate::wire::{Command, IpvsAttr, IpvsMessage};

/// The family id the fake kernel gives "IPVS".
pub(crate) const FAMILY: u16 = 0x24;

/// The status message `code` (0: an acknowledgement) for request `seq`.
pub(crate) fn ack(seq: u32, code: i32) -> Vec<u8> {
    let mut out = Vec::new();
    push_message(&mut out, NLMSG_ERROR, NLM_F_CAPPED, seq, |o| {
        o.extend_from_slice(&code.to_ne_bytes());
        o.extend_from_slice(&[0u8; 16]);
    })
    .unwrap();
    out
}

/// A service dump message for request `seq`: TCP 10.0.0.1:`port`.
pub(crate) fn service_msg(seq: u32, port: u16, flags: u16) -> Vec<u8> {
    let s = ServiceEntry::new(Service::new(
        ServiceKey::tcp(SocketAddr::from(([10, 0, 0, 1], port))),
        Scheduler::RoundRobin,
    ));
    let m = IpvsMessage::new(
        Command::NewService,
        vec![IpvsAttr::Service(s.to_reply_attrs().unwrap())],
    )
    .unwrap();
    let mut out = Vec::new();
    push_message(&mut out, FAMILY, flags, seq, |o| m.emit_genl(o)).unwrap();
    out
}

/// The end of the dump for request `seq`.
pub(crate) fn done(seq: u32) -> Vec<u8> {
    let mut out = Vec::new();
    push_message(&mut out, NLMSG_DONE, NLM_F_MULTI, seq, |o| {
        o.extend_from_slice(&0i32.to_ne_bytes())
    })
    .unwrap();
    out
}

//! Writes the seed corpus under fuzz/corpus/<target>/ (`cargo run --example
//! make_seeds` in fuzz/): messages built with the crate's own emitters, and
//! the nests and messages cut out of the real kernel captures under
//! tests/fixtures/linux-*/ (replies `*.bin`, ipvsadm requests `*.req`). The
//! whole captures are added by .ci/fuzz at run time, not copied here.

use std::fs;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::Path;

use ipvs_netlink::proto::Request;
use ipvs_netlink::testing::fake_kernel;
use ipvs_netlink::wire::ctrl::GENL_ID_CTRL;
use ipvs_netlink::wire::netlink::{
    frames, NLMSG_DONE, NLMSG_ERROR, NLM_F_ACK_TLVS, NLM_F_CAPPED, NLM_F_DUMP_INTR, NLM_F_MULTI,
};
use ipvs_netlink::wire::{Command, IpvsAttr, IpvsMessage};
use ipvs_netlink::{
    DaemonRole, Destination, DestinationEntry, Family, ForwardMethod, GueChecksum, Info, Netmask,
    Scheduler, Service, ServiceEntry, ServiceFlags, ServiceKey, Stats, SyncDaemon, Timeouts,
    Tunnel, Version,
};
use ipvs_netlink_fuzz::{genl, nest_payload, nla, push};

const FAMILY: u16 = 0x23;

fn stats(base: u64) -> Stats {
    Stats {
        conns: base,
        in_packets: base * 10,
        out_packets: base * 9,
        in_bytes: base * 1500,
        out_bytes: base * 900,
        cps: 1,
        in_pps: 2,
        out_pps: 3,
        in_bps: 4000,
        out_bps: 5000,
    }
}

fn services() -> Vec<ServiceEntry> {
    let mut a = ServiceEntry::new(Service::new(
        ServiceKey::tcp(SocketAddr::from(([10, 0, 0, 1], 80))),
        Scheduler::RoundRobin,
    ));
    a.stats = Some(stats(7));
    a.stats64 = Some(stats(7));
    let mut b = Service::new(
        ServiceKey::udp(SocketAddr::new(Ipv6Addr::LOCALHOST.into(), 53)),
        Scheduler::WeightedLeastConnection,
    )
    .persistent(300);
    b.netmask = Netmask::V6(64);
    b.persistence_engine = Some("sip".into());
    let mut b = ServiceEntry::new(b);
    b.stats64 = Some(stats(1 << 40));
    let mut c = Service::new(
        ServiceKey::fwmark(Family::Ipv4, 7),
        Scheduler::Custom("mine".into()),
    );
    c.flags = ServiceFlags::SH_PORT | ServiceFlags::SH_FALLBACK;
    c.netmask = Netmask::V4(Ipv4Addr::new(255, 255, 255, 0));
    vec![a, b, ServiceEntry::new(c)]
}

fn destinations() -> Vec<(Family, DestinationEntry)> {
    let mut a = DestinationEntry::new(
        Destination::new(SocketAddr::from(([192, 168, 1, 2], 8080))).weight(3),
    );
    a.active_conns = 4;
    a.inactive_conns = 5;
    a.stats = Some(stats(3));
    a.stats64 = Some(stats(3));
    let b = Destination::new(SocketAddr::from(([192, 168, 1, 3], 80)))
        .forward(ForwardMethod::Tunnel(Tunnel::Gue {
            port: 6080,
            checksum: GueChecksum::Remote,
        }))
        .thresholds(10, 100);
    let c = Destination::new(SocketAddr::new(Ipv6Addr::LOCALHOST.into(), 443))
        .forward(ForwardMethod::Tunnel(Tunnel::Gre { checksum: true }));
    let d =
        Destination::new(SocketAddr::from(([10, 1, 1, 1], 0))).forward(ForwardMethod::DirectRoute);
    vec![
        (Family::Ipv4, a),
        (Family::Ipv4, DestinationEntry::new(b)),
        (Family::Ipv4, DestinationEntry::new(c)),
        (Family::Ipv4, DestinationEntry::new(d)),
    ]
}

fn daemons() -> Vec<SyncDaemon> {
    let a = SyncDaemon::new(DaemonRole::Master, "eth0", 1);
    let mut b = SyncDaemon::new(DaemonRole::Backup, "eth1", 200);
    b.group = Some("ff02::81".parse().unwrap());
    b.port = Some(8848);
    b.ttl = Some(2);
    b.max_len = Some(1472);
    let mut c = SyncDaemon::new(DaemonRole::Master, "bond0.100", 3);
    c.group = Some("239.1.2.3".parse().unwrap());
    vec![a, b, c]
}

fn info() -> Info {
    Info {
        version: Version {
            major: 1,
            minor: 2,
            patch: 1,
        },
        conn_tab_size: 4096,
    }
}

fn timeouts() -> Timeouts {
    Timeouts {
        tcp: Some(900),
        tcp_fin: Some(120),
        udp: Some(300),
    }
}

fn service_msgs() -> Vec<IpvsMessage> {
    services()
        .iter()
        .map(|s| {
            IpvsMessage::new(
                Command::NewService,
                vec![IpvsAttr::Service(s.to_reply_attrs().unwrap())],
            )
            .unwrap()
        })
        .collect()
}

fn dest_msgs() -> Vec<IpvsMessage> {
    destinations()
        .iter()
        .map(|(f, d)| {
            IpvsMessage::new(
                Command::NewDest,
                vec![IpvsAttr::Dest(d.to_reply_attrs(*f).unwrap())],
            )
            .unwrap()
        })
        .collect()
}

fn daemon_msgs() -> Vec<IpvsMessage> {
    daemons()
        .into_iter()
        .map(|d| {
            let (cmd, attrs) = Request::StartDaemon(d).encode().unwrap();
            IpvsMessage::new(cmd, attrs).unwrap()
        })
        .collect()
}

fn info_msg() -> IpvsMessage {
    IpvsMessage::new(Command::SetInfo, info().to_attrs()).unwrap()
}

fn config_msg() -> IpvsMessage {
    let (cmd, attrs) = Request::SetTimeouts(timeouts()).encode().unwrap();
    IpvsMessage::new(cmd, attrs).unwrap()
}

/// A kernel-style 64-bit stats nest with PAD attributes before each u64.
fn padded_stats64() -> Vec<u8> {
    let mut v = Vec::new();
    for kind in 1u16..=10 {
        v.extend(nla(11, &[]));
        v.extend(nla(kind, &(u64::from(kind) * 1000).to_ne_bytes()));
    }
    v
}

/// A whole conversation as the kernel answers the session the replay mode
/// of session_replies builds: resolve (seq 1), then one request per seq.
fn conversation() -> Vec<u8> {
    let mut dg = Vec::new();
    push(
        &mut dg,
        GENL_ID_CTRL,
        0,
        1,
        &fake_kernel::newfamily_payload(FAMILY),
    );
    push(
        &mut dg,
        NLMSG_ERROR,
        NLM_F_CAPPED,
        1,
        &fake_kernel::error_payload(0, 1, &[]),
    );
    for m in service_msgs() {
        push(&mut dg, FAMILY, NLM_F_MULTI, 2, &genl(&m));
    }
    push(&mut dg, NLMSG_DONE, NLM_F_MULTI, 2, &0i32.to_ne_bytes());
    for m in dest_msgs() {
        push(&mut dg, FAMILY, NLM_F_MULTI, 3, &genl(&m));
    }
    push(&mut dg, NLMSG_DONE, NLM_F_MULTI, 3, &0i32.to_ne_bytes());
    push(&mut dg, FAMILY, 0, 4, &genl(&info_msg()));
    push(
        &mut dg,
        NLMSG_ERROR,
        NLM_F_CAPPED,
        4,
        &fake_kernel::error_payload(0, 4, &[]),
    );
    push(&mut dg, FAMILY, 0, 5, &genl(&config_msg()));
    push(
        &mut dg,
        NLMSG_ERROR,
        NLM_F_CAPPED,
        5,
        &fake_kernel::error_payload(0, 5, &[]),
    );
    for m in daemon_msgs() {
        push(&mut dg, FAMILY, NLM_F_MULTI, 6, &genl(&m));
    }
    push(&mut dg, NLMSG_DONE, NLM_F_MULTI, 6, &0i32.to_ne_bytes());
    let mut tlvs = nla(1, b"Service already exists\0");
    tlvs.extend(nla(2, &20u32.to_ne_bytes()));
    push(
        &mut dg,
        NLMSG_ERROR,
        NLM_F_CAPPED | NLM_F_ACK_TLVS,
        7,
        &fake_kernel::error_payload(-17, 7, &tlvs),
    );
    push(
        &mut dg,
        NLMSG_ERROR,
        NLM_F_CAPPED,
        8,
        &fake_kernel::error_payload(0, 8, &[]),
    );
    for m in service_msgs().into_iter().take(1) {
        push(&mut dg, FAMILY, NLM_F_MULTI | NLM_F_DUMP_INTR, 9, &genl(&m));
    }
    push(
        &mut dg,
        NLMSG_DONE,
        NLM_F_MULTI | NLM_F_DUMP_INTR,
        9,
        &0i32.to_ne_bytes(),
    );
    dg
}

fn write(dir: &Path, target: &str, name: &str, bytes: &[u8]) {
    let d = dir.join(target);
    fs::create_dir_all(&d).unwrap();
    fs::write(d.join(name), bytes).unwrap();
}

/// The attributes of `buf` as (type without flags, payload), up to the
/// first malformed one.
fn attrs(mut buf: &[u8]) -> Vec<(u16, &[u8])> {
    let mut out = Vec::new();
    while buf.len() >= 4 {
        let len = usize::from(u16::from_ne_bytes([buf[0], buf[1]]));
        let kind = u16::from_ne_bytes([buf[2], buf[3]]) & 0x3fff;
        if len < 4 || len > buf.len() {
            break;
        }
        out.push((kind, &buf[4..len]));
        buf = &buf[((len + 3) & !3).min(buf.len())..];
    }
    out
}

/// Files under `dir` ending in one of `exts`, sorted.
fn captures(dir: &Path, exts: &[&str], out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            captures(&p, exts, out);
        } else if p.extension().is_some_and(|x| exts.iter().any(|e| x == *e)) {
            out.push(p);
        }
    }
    out.sort();
}

/// Seeds cut out of real kernel captures, named by content so that equal
/// nests are kept once.
fn kernel_seeds(dir: &Path) -> usize {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures");
    let mut files = Vec::new();
    captures(&fixtures, &["bin", "req"], &mut files);
    let mut n = 0;
    let mut put = |target: &str, bytes: &[u8]| {
        // FNV-1a, enough to name files by content.
        let h = bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3)
        });
        write(dir, target, &format!("kernel-{h:016x}"), bytes);
        n += 1;
    };
    for f in &files {
        let data = fs::read(f).unwrap();
        for m in frames(&data).map_while(Result::ok) {
            if m.header.kind <= 0x10 || m.payload.len() < 4 {
                continue;
            }
            let cmd = Command::from(m.payload[0]);
            let body = &m.payload[4..];
            put("genl_message", m.payload);
            if cmd.has_info_attrs() || matches!(cmd, Command::SetConfig | Command::GetConfig) {
                put("info_config", body);
                continue;
            }
            put("model_convert", m.payload);
            for (kind, nest) in attrs(body) {
                let target = match kind {
                    1 => "service_nest",
                    2 => "dest_nest",
                    3 => "daemon_nest",
                    _ => continue,
                };
                put(target, nest);
                for (k, stats) in attrs(nest) {
                    if kind != 3 && (k == 10 || k == 12) {
                        put("stats_nest", stats);
                    }
                }
            }
        }
    }
    n
}

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    println!("{} seeds cut out of kernel captures", kernel_seeds(&dir));

    for (i, s) in services().iter().enumerate() {
        let attrs = s.to_reply_attrs().unwrap();
        write(
            &dir,
            "service_nest",
            &format!("service-{i}"),
            &nest_payload(IpvsAttr::Service(attrs)),
        );
    }
    let mut kernelish = nest_payload(IpvsAttr::Service(services()[0].to_reply_attrs().unwrap()));
    kernelish.extend(nla(12, &padded_stats64()));
    kernelish.extend(nla(0x8000 | 99, &nla(1, b"new")));
    write(&dir, "service_nest", "service-padded-unknown", &kernelish);

    for (i, (f, d)) in destinations().iter().enumerate() {
        let attrs = d.to_reply_attrs(*f).unwrap();
        write(
            &dir,
            "dest_nest",
            &format!("dest-{i}"),
            &nest_payload(IpvsAttr::Dest(attrs)),
        );
    }

    for (i, m) in daemon_msgs().into_iter().enumerate() {
        let attr = m.into_attrs().into_iter().next().unwrap();
        write(
            &dir,
            "daemon_nest",
            &format!("daemon-{i}"),
            &nest_payload(attr),
        );
    }

    let s = services()[0].to_reply_attrs().unwrap();
    for a in s {
        let mut out = Vec::new();
        IpvsMessage::new(
            Command::NewService,
            vec![IpvsAttr::Service(vec![a.clone()])],
        )
        .unwrap()
        .emit_attrs(&mut out);
        match a {
            ipvs_netlink::wire::ServiceAttr::Stats(_) => {
                write(&dir, "stats_nest", "stats32", &out[8..])
            }
            ipvs_netlink::wire::ServiceAttr::Stats64(_) => {
                write(&dir, "stats_nest", "stats64", &out[8..])
            }
            _ => {}
        }
    }
    write(&dir, "stats_nest", "stats64-padded", &padded_stats64());

    let mut all = service_msgs();
    all.extend(dest_msgs());
    all.extend(daemon_msgs());
    all.push(info_msg());
    all.push(config_msg());
    for (i, m) in all.iter().enumerate() {
        write(&dir, "genl_message", &format!("genl-{i}"), &genl(m));
        write(&dir, "model_convert", &format!("genl-{i}"), &genl(m));
    }
    // A listing reply with several nests in one message.
    let many = IpvsMessage::new(
        Command::NewService,
        service_msgs()
            .into_iter()
            .flat_map(IpvsMessage::into_attrs)
            .collect(),
    )
    .unwrap();
    write(&dir, "model_convert", "genl-many", &genl(&many));
    write(&dir, "genl_message", "conversation", &conversation());

    let mut info_attrs = Vec::new();
    info_msg().emit_attrs(&mut info_attrs);
    write(&dir, "info_config", "info", &info_attrs);
    let mut cfg_attrs = Vec::new();
    config_msg().emit_attrs(&mut cfg_attrs);
    write(&dir, "info_config", "config", &cfg_attrs);

    write(&dir, "netlink_frames", "conversation", &conversation());
    let mut err = Vec::new();
    let mut tlvs = nla(1, b"bad thing\0");
    tlvs.extend(nla(2, &24u32.to_ne_bytes()));
    push(
        &mut err,
        NLMSG_ERROR,
        NLM_F_CAPPED | NLM_F_ACK_TLVS,
        3,
        &fake_kernel::error_payload(-22, 3, &tlvs),
    );
    // Uncapped: the whole request echoed before the TLVs.
    let mut echoed = fake_kernel::error_payload(-2, 4, &[]);
    echoed[4..8].copy_from_slice(&24u32.to_ne_bytes());
    echoed.extend_from_slice(&[4, 1, 0, 0, 4, 0, 1, 0]);
    echoed.extend(nla(1, b"no such thing\0"));
    push(&mut err, NLMSG_ERROR, NLM_F_ACK_TLVS, 4, &echoed);
    let mut done = (-95i32).to_ne_bytes().to_vec();
    done.extend(nla(1, b"dump failed\0"));
    push(&mut err, NLMSG_DONE, NLM_F_MULTI | NLM_F_ACK_TLVS, 5, &done);
    write(&dir, "netlink_frames", "errors", &err);

    write(
        &dir,
        "ctrl_reply",
        "newfamily",
        &fake_kernel::newfamily_payload(FAMILY),
    );
    let mut ctrl = Vec::new();
    push(
        &mut ctrl,
        GENL_ID_CTRL,
        0,
        1,
        &fake_kernel::newfamily_payload(FAMILY),
    );
    push(
        &mut ctrl,
        NLMSG_ERROR,
        NLM_F_CAPPED,
        1,
        &fake_kernel::error_payload(0, 1, &[]),
    );
    write(&dir, "ctrl_reply", "datagram", &ctrl);

    let mut replay = vec![0xff, 0];
    replay.extend(conversation());
    write(&dir, "session_replies", "replay-per-message", &replay);
    replay[1] = 1;
    write(&dir, "session_replies", "replay-one-datagram", &replay);
    // Structured mode: a byte pattern that resolves, queues requests of
    // each shape and sends several structured datagrams.
    for (i, seed) in [0x00u8, 0x35, 0x7a, 0xc3].iter().enumerate() {
        let bytes: Vec<u8> = (0..512u32)
            .map(|j| (j.wrapping_mul(2654435761) >> 13) as u8 ^ seed)
            .collect();
        write(&dir, "session_replies", &format!("structured-{i}"), &bytes);
        write(&dir, "round_trip", &format!("mixed-{i}"), &bytes[..256]);
    }
    write(&dir, "round_trip", "zeros", &[0u8; 128]);
    println!("seeds written to {}", dir.display());
}

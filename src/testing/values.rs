//! Random model values from raw bytes, one generator for the fuzz targets
//! (through `arbitrary`'s `Unstructured`) and the property tests (over
//! bytes proptest draws), and the predicates that say which values a round
//! trip must give back unchanged.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use arbitrary::{Result, Unstructured};

use crate::model::{
    DaemonRole, Destination, DestinationEntry, Family, ForwardMethod, GueChecksum, Info, Netmask,
    Protocol, Scheduler, Service, ServiceEntry, ServiceFlags, ServiceKey, Stats, SyncDaemon,
    Timeouts, Tunnel, Version,
};

/// The kernel names of the built-in schedulers.
pub const SCHEDULERS: [&str; 15] = [
    "rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh", "twos",
    "none",
];

// ---------------------------------------------------------------------------
// Typed values from fuzz bytes
// ---------------------------------------------------------------------------

/// Any IPv4 or IPv6 address.
pub fn ip(u: &mut Unstructured<'_>) -> Result<IpAddr> {
    Ok(if u.arbitrary()? {
        IpAddr::V4(Ipv4Addr::from(u.arbitrary::<u32>()?))
    } else {
        IpAddr::V6(Ipv6Addr::from(u.arbitrary::<u128>()?))
    })
}

/// An address of `family`.
pub fn ip_of(u: &mut Unstructured<'_>, family: Family) -> Result<IpAddr> {
    Ok(match family {
        Family::Ipv4 => IpAddr::V4(Ipv4Addr::from(u.arbitrary::<u32>()?)),
        Family::Ipv6 => IpAddr::V6(Ipv6Addr::from(u.arbitrary::<u128>()?)),
    })
}

/// Either family.
pub fn family(u: &mut Unstructured<'_>) -> Result<Family> {
    Ok(if u.arbitrary()? {
        Family::Ipv4
    } else {
        Family::Ipv6
    })
}

/// A short string, usually ASCII.
pub fn name(u: &mut Unstructured<'_>, max: usize) -> Result<String> {
    let len = u.int_in_range(0..=max)?;
    if u.ratio(1, 8)? {
        // Anything valid UTF-8, NUL included.
        let s: String = u.arbitrary()?;
        return Ok(s.chars().take(len).collect());
    }
    (0..len)
        .map(|_| Ok(char::from(u.int_in_range(b'a'..=b'z')?)))
        .collect()
}

/// A protocol, sometimes a number that names a known one (not canonical).
pub fn protocol(u: &mut Unstructured<'_>) -> Result<Protocol> {
    Ok(match u.int_in_range(0..=3)? {
        0 => Protocol::Tcp,
        1 => Protocol::Udp,
        2 => Protocol::Sctp,
        _ => Protocol::Other(u.arbitrary()?),
    })
}

/// A service key of any kind, mark 0 included.
pub fn service_key(u: &mut Unstructured<'_>) -> Result<ServiceKey> {
    Ok(if u.ratio(3, 4)? {
        ServiceKey::Addr {
            protocol: protocol(u)?,
            addr: SocketAddr::new(ip(u)?, u.arbitrary()?),
        }
    } else {
        ServiceKey::FwMark {
            family: family(u)?,
            mark: u.arbitrary()?,
        }
    })
}

/// A scheduler: built-in, or a custom name (possibly invalid).
pub fn scheduler(u: &mut Unstructured<'_>) -> Result<Scheduler> {
    Ok(if u.ratio(3, 4)? {
        Scheduler::from_name(u.choose(&SCHEDULERS)?).expect("built-in scheduler")
    } else {
        Scheduler::Custom(name(u, 17)?)
    })
}

/// Counters; with `fits32` the fields a 32-bit `STATS` nest holds as u32 fit.
pub fn stats(u: &mut Unstructured<'_>, fits32: bool) -> Result<Stats> {
    let c = |u: &mut Unstructured<'_>| -> Result<u64> {
        Ok(if fits32 {
            u64::from(u.arbitrary::<u32>()?)
        } else {
            u.arbitrary()?
        })
    };
    Ok(Stats {
        conns: c(u)?,
        in_packets: c(u)?,
        out_packets: c(u)?,
        in_bytes: u.arbitrary()?,
        out_bytes: u.arbitrary()?,
        cps: c(u)?,
        in_pps: c(u)?,
        out_pps: c(u)?,
        in_bps: c(u)?,
        out_bps: c(u)?,
    })
}

fn opt<T>(
    u: &mut Unstructured<'_>,
    f: impl FnOnce(&mut Unstructured<'_>) -> Result<T>,
) -> Result<Option<T>> {
    Ok(if u.arbitrary()? { Some(f(u)?) } else { None })
}

/// A service configuration (what a request sets); mostly one the builder
/// takes, sometimes not.
pub fn service(u: &mut Unstructured<'_>) -> Result<Service> {
    let key = service_key(u)?;
    let netmask = match (key.family(), u.int_in_range(0..=7)?) {
        (_, 0) => Netmask::V6(u.arbitrary()?),
        (_, 1) => Netmask::V4(Ipv4Addr::from(u.arbitrary::<u32>()?)),
        (Family::Ipv4, _) => Netmask::V4(Ipv4Addr::from(u.arbitrary::<u32>()?)),
        (Family::Ipv6, _) => Netmask::V6(u.int_in_range(1..=128)?),
    };
    Ok(Service {
        key,
        scheduler: scheduler(u)?,
        flags: ServiceFlags::from_bits_retain(u.arbitrary()?),
        timeout: u.arbitrary()?,
        netmask,
        persistence_engine: opt(u, |u| name(u, 18))?,
    })
}

/// Both counter nests a reply may carry: the 32-bit one (its values usually
/// fitting) and the 64-bit one, each present or not.
fn counters(u: &mut Unstructured<'_>) -> Result<(Option<Stats>, Option<Stats>)> {
    let stats32 = opt(u, |u| {
        let fits = u.ratio(7, 8)?;
        stats(u, fits)
    })?;
    let stats64 = opt(u, |u| stats(u, false))?;
    Ok((stats32, stats64))
}

/// A listed service: a [`service`] with counters.
pub fn service_entry(u: &mut Unstructured<'_>) -> Result<ServiceEntry> {
    let service = service(u)?;
    let (stats, stats64) = counters(u)?;
    Ok(ServiceEntry {
        service,
        stats,
        stats64,
    })
}

/// A tunnel of any kind.
pub fn tunnel(u: &mut Unstructured<'_>) -> Result<Tunnel> {
    Ok(match u.int_in_range(0..=3)? {
        0 => Tunnel::Ipip,
        1 => Tunnel::Gue {
            port: u.arbitrary()?,
            checksum: *u.choose(&[
                GueChecksum::None,
                GueChecksum::Checksum,
                GueChecksum::Remote,
            ])?,
        },
        2 => Tunnel::Gre {
            checksum: u.arbitrary()?,
        },
        _ => Tunnel::Other {
            kind: u.arbitrary()?,
            port: u.arbitrary()?,
            flags: u.arbitrary()?,
        },
    })
}

/// A forwarding method of any kind.
pub fn forward(u: &mut Unstructured<'_>) -> Result<ForwardMethod> {
    Ok(match u.int_in_range(0..=5)? {
        0 => ForwardMethod::Masquerade,
        1 => ForwardMethod::Local,
        2 => ForwardMethod::Tunnel(tunnel(u)?),
        3 => ForwardMethod::DirectRoute,
        4 => ForwardMethod::Bypass,
        _ => ForwardMethod::Other(u.arbitrary()?),
    })
}

/// A destination configuration (what a request sets), mostly of the
/// service's family.
pub fn destination(u: &mut Unstructured<'_>, service: Family) -> Result<Destination> {
    let fam = if u.ratio(7, 8)? { service } else { family(u)? };
    let upper: u32 = if u.ratio(7, 8)? {
        u.int_in_range(0..=i32::MAX as u32)?
    } else {
        u.arbitrary()?
    };
    let lower = if u.ratio(7, 8)? {
        u.int_in_range(0..=upper)?
    } else {
        u.arbitrary()?
    };
    let weight = if u.ratio(7, 8)? {
        u.int_in_range(0..=i32::MAX as u32)?
    } else {
        u.arbitrary()?
    };
    Ok(Destination {
        addr: SocketAddr::new(ip_of(u, fam)?, u.arbitrary()?),
        forward: forward(u)?,
        weight,
        upper_threshold: upper,
        lower_threshold: lower,
    })
}

/// A listed destination: a [`destination`] with connection counts and
/// counters.
pub fn destination_entry(u: &mut Unstructured<'_>, service: Family) -> Result<DestinationEntry> {
    let dest = destination(u, service)?;
    let active_conns = u.arbitrary()?;
    let inactive_conns = u.arbitrary()?;
    let persist_conns = u.arbitrary()?;
    let (stats, stats64) = counters(u)?;
    Ok(DestinationEntry {
        dest,
        active_conns,
        inactive_conns,
        persist_conns,
        stats,
        stats64,
    })
}

/// A sync daemon; the group is usually multicast.
pub fn daemon(u: &mut Unstructured<'_>) -> Result<SyncDaemon> {
    let group = opt(u, |u| {
        Ok(match u.int_in_range(0..=2)? {
            0 => IpAddr::V4(Ipv4Addr::from(0xe000_0000 | (u.arbitrary::<u32>()? >> 4))),
            1 => IpAddr::V6(Ipv6Addr::from(
                (0xffu128 << 120) | (u.arbitrary::<u128>()? >> 8),
            )),
            _ => ip(u)?,
        })
    })?;
    Ok(SyncDaemon {
        role: if u.arbitrary()? {
            DaemonRole::Master
        } else {
            DaemonRole::Backup
        },
        interface: name(u, 16)?,
        sync_id: u.arbitrary()?,
        max_len: u.arbitrary()?,
        group,
        port: u.arbitrary()?,
        ttl: u.arbitrary()?,
    })
}

/// Any info.
pub fn info(u: &mut Unstructured<'_>) -> Result<Info> {
    Ok(Info {
        version: Version {
            major: u.arbitrary()?,
            minor: u.arbitrary()?,
            patch: u.arbitrary()?,
        },
        conn_tab_size: u.arbitrary()?,
    })
}

/// Any timeouts.
pub fn timeouts(u: &mut Unstructured<'_>) -> Result<Timeouts> {
    Ok(Timeouts {
        tcp: u.arbitrary()?,
        tcp_fin: u.arbitrary()?,
        udp: u.arbitrary()?,
    })
}

// ---------------------------------------------------------------------------
// Canonical values: the ones a round trip must give back unchanged
// ---------------------------------------------------------------------------

fn stats_fit32(s: &Stats) -> bool {
    [
        s.conns,
        s.in_packets,
        s.out_packets,
        s.cps,
        s.in_pps,
        s.out_pps,
        s.in_bps,
        s.out_bps,
    ]
    .iter()
    .all(|v| u32::try_from(*v).is_ok())
}

/// Whether a (builder-accepted) service configuration is the one decoding
/// gives back: a protocol number of a known protocol decodes to that
/// protocol, a custom scheduler named like a built-in to the built-in, and
/// the kernel's HASHED bit is dropped.
pub fn service_is_canonical(s: &Service) -> bool {
    let proto_ok = match s.key {
        ServiceKey::Addr { protocol, .. } => Protocol::from(u16::from(protocol)) == protocol,
        ServiceKey::FwMark { .. } => true,
    };
    proto_ok
        && Scheduler::from_name(s.scheduler.name()).ok().as_ref() == Some(&s.scheduler)
        && ServiceFlags::from(s.flags.bits()) == s.flags
}

/// Whether a (builder-accepted) service entry is the one decoding gives
/// back: its service is canonical, and 32-bit counters that do not fit are
/// not sent.
pub fn service_entry_is_canonical(e: &ServiceEntry) -> bool {
    service_is_canonical(&e.service) && e.stats.as_ref().is_none_or(stats_fit32)
}

/// Whether a tunnel decodes back to itself.
pub fn tunnel_is_canonical(t: Tunnel) -> bool {
    match t {
        Tunnel::Other { kind, port, flags } => !matches!(
            (kind, port, flags),
            (0, 0, 0) | (1, _, 0..=2) | (2, 0, 0..=1)
        ),
        _ => true,
    }
}

/// Whether a (builder-accepted) destination configuration decodes back to
/// itself.
pub fn destination_is_canonical(d: &Destination) -> bool {
    match d.forward {
        ForwardMethod::Other(n) => (5..=7).contains(&n),
        ForwardMethod::Tunnel(t) => tunnel_is_canonical(t),
        _ => true,
    }
}

/// Whether a (builder-accepted) destination entry decodes back to itself:
/// its destination is canonical, and 32-bit counters that do not fit are
/// not sent.
pub fn destination_entry_is_canonical(e: &DestinationEntry) -> bool {
    destination_is_canonical(&e.dest) && e.stats.as_ref().is_none_or(stats_fit32)
}

//! Sets of sysctls that users of IPVS apply, each with its reason.

use std::fmt;
use std::io;
use std::str::FromStr;

use super::knobs::Sysctls;

/// A kernel release, major and minor (`6.1.0-28-cloud-amd64` is 6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KernelVersion {
    /// The major number.
    pub major: u32,
    /// The minor number.
    pub minor: u32,
}

impl KernelVersion {
    /// A version.
    pub const fn new(major: u32, minor: u32) -> Self {
        Self { major, minor }
    }

    /// The running kernel's (from `/proc/sys/kernel/osrelease`).
    pub fn running() -> io::Result<Self> {
        let text = std::fs::read_to_string("/proc/sys/kernel/osrelease")?;
        text.trim().parse().map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("unexpected kernel release {:?}", text.trim()),
            )
        })
    }
}

/// A release string that does not start with `MAJOR.MINOR`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a kernel release: {0:?}")]
pub struct KernelVersionError(String);

impl FromStr for KernelVersion {
    type Err = KernelVersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || KernelVersionError(s.to_owned());
        let mut parts = s.splitn(3, ['.', '-']);
        let major = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        let minor = parts
            .next()
            .map(|p| p.trim_end_matches(|c: char| !c.is_ascii_digit()))
            .and_then(|p| p.parse().ok())
            .ok_or_else(bad)?;
        Ok(Self { major, minor })
    }
}

impl fmt::Display for KernelVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// The first kernel where a reused client port no longer waits 1 s with
/// `conntrack` on (5.9; the kernel commit kube-proxy cites is
/// 35dfb013149f).
pub const CONN_REUSE_FIXED: KernelVersion = KernelVersion::new(5, 9);

/// The first kernel with `conn_reuse_mode` (4.1).
pub const CONN_REUSE_MODE_SINCE: KernelVersion = KernelVersion::new(4, 1);

/// The `conn_reuse_mode` for a kernel: 0 from 4.1 to before 5.9, where
/// mode 1 with `conntrack` on delays every reconnection from a reused
/// client port by 1 s (the kernel drops the first SYN while the old
/// connection expires); `None` (leave the default 1, which reschedules such
/// connections) from 5.9 on, and before 4.1 (no such knob).
pub fn conn_reuse_mode_for(kernel: KernelVersion) -> Option<i32> {
    (kernel >= CONN_REUSE_MODE_SINCE && kernel < CONN_REUSE_FIXED).then_some(0)
}

/// A named set of sysctls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Preset {
    /// What kube-proxy's IPVS mode sets at start (pkg/proxy/ipvs,
    /// `NewProxier`): `conntrack` 1, so its iptables rules (masquerade,
    /// NodePort) see IPVS traffic; `conn_reuse_mode` 0 on kernels 4.1 to
    /// 5.9 only ([`conn_reuse_mode_for`]); `expire_nodest_conn` 1 and
    /// `expire_quiescent_template` 1, so removed or zero-weight endpoints
    /// stop receiving traffic. (It also sets `net.ipv4.ip_forward` and,
    /// with strict ARP, `arp_ignore`/`arp_announce`, which are not IPVS
    /// sysctls.)
    KubeProxy,
    /// Draining real servers: `expire_nodest_conn` 1 ends the connections
    /// of a deleted real server at once, so clients reconnect to another
    /// one instead of waiting for a timeout; `expire_quiescent_template` 1
    /// drops the persistence templates of a real server set to weight 0,
    /// so persistent clients move off it.
    Drain,
}

impl Preset {
    /// Every preset.
    pub const ALL: &'static [Self] = &[Self::KubeProxy, Self::Drain];

    /// The preset's name: `kube-proxy` or `drain`.
    pub fn name(self) -> &'static str {
        match self {
            Self::KubeProxy => "kube-proxy",
            Self::Drain => "drain",
        }
    }

    /// The preset of a name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|p| p.name() == name)
    }

    /// The preset's values for `kernel`.
    pub fn sysctls(self, kernel: KernelVersion) -> Sysctls {
        let drain = Sysctls {
            expire_nodest_conn: Some(true),
            expire_quiescent_template: Some(true),
            ..Default::default()
        };
        match self {
            Self::Drain => drain,
            Self::KubeProxy => Sysctls {
                conntrack: Some(true),
                conn_reuse_mode: conn_reuse_mode_for(kernel),
                ..drain
            },
        }
    }
}

impl fmt::Display for Preset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!("6.1.0-28-cloud-amd64".parse(), Ok(KernelVersion::new(6, 1)));
        assert_eq!(
            "6.12.12+bpo-cloud-amd64".parse(),
            Ok(KernelVersion::new(6, 12))
        );
        assert_eq!("5.10".parse(), Ok(KernelVersion::new(5, 10)));
        assert!("6".parse::<KernelVersion>().is_err());
        assert!("x.1".parse::<KernelVersion>().is_err());
    }

    #[test]
    fn kube_proxy_by_kernel() {
        let old = Preset::KubeProxy.sysctls(KernelVersion::new(5, 4));
        assert_eq!(old.conn_reuse_mode, Some(0));
        assert_eq!(old.conntrack, Some(true));
        let new = Preset::KubeProxy.sysctls(KernelVersion::new(6, 1));
        assert_eq!(new.conn_reuse_mode, None);
        assert_eq!(new.expire_nodest_conn, Some(true));
        assert_eq!(conn_reuse_mode_for(KernelVersion::new(4, 0)), None);
        assert_eq!(conn_reuse_mode_for(KernelVersion::new(5, 8)), Some(0));
        let drain = Preset::Drain.sysctls(KernelVersion::new(6, 12));
        assert_eq!(drain.conntrack, None);
        assert_eq!(drain.expire_quiescent_template, Some(true));
        assert_eq!(Preset::from_name("drain"), Some(Preset::Drain));
    }
}

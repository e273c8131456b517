//! Every IPVS sysctl this crate knows: its name, type and range, and the
//! typed value that holds them all.

use std::collections::BTreeMap;
use std::fmt;

use super::error::SysctlError;
use super::value::{KnobValue, Range, SyncThreshold};

macro_rules! knobs {
    ($($(#[$doc:meta])* $field:ident: $ty:ty = $variant:ident, $range:expr;)*) => {
        /// An IPVS sysctl, a file of `/proc/sys/net/ipv4/vs/`. Not every
        /// kernel has every knob: see each one's documentation.
        #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
        #[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Knob {
            $($(#[$doc])* $variant,)*
        }

        impl Knob {
            /// Every knob, in the kernel's order.
            pub const ALL: &'static [Knob] = &[$(Knob::$variant,)*];

            /// The file name under `/proc/sys/net/ipv4/vs/`.
            pub fn name(self) -> &'static str {
                match self {
                    $(Knob::$variant => stringify!($field),)*
                }
            }

            /// The knob of a file name.
            pub fn from_name(name: &str) -> Option<Self> {
                match name {
                    $(stringify!($field) => Some(Knob::$variant),)*
                    _ => None,
                }
            }

            /// The values the kernel takes.
            pub fn range(self) -> Range {
                match self {
                    $(Knob::$variant => $range,)*
                }
            }
        }

        /// The IPVS sysctls of a network namespace, each optional: read,
        /// `None` is a knob this kernel does not have; written, `None`
        /// leaves a knob as it is. Knobs the crate does not know are kept
        /// as text in `others` when read (and ignored when written).
        #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
        #[derive(Debug, Clone, Default, PartialEq, Eq)]
        pub struct Sysctls {
            $($(#[$doc])* pub $field: Option<$ty>,)*
            /// Files of the directory that are not knobs this crate knows,
            /// with their text (read only).
            pub others: BTreeMap<String, String>,
        }

        impl Sysctls {
            /// The text of `knob`'s value, if set.
            pub fn text(&self, knob: Knob) -> Option<String> {
                match knob {
                    $(Knob::$variant => self.$field.as_ref().map(KnobValue::render),)*
                }
            }

            /// Sets `knob` from its text (as the kernel prints it or as a
            /// user types it), checked against its range.
            pub fn set_text(&mut self, knob: Knob, text: &str) -> Result<(), SysctlError> {
                match knob {
                    $(Knob::$variant => {
                        let v = <$ty as KnobValue>::parse(text).ok_or_else(|| {
                            SysctlError::InvalidValue { knob, text: text.to_owned() }
                        })?;
                        check(knob, &v)?;
                        self.$field = Some(v);
                    })*
                }
                Ok(())
            }

            /// Checks every set value against its knob's range.
            pub fn check(&self) -> Result<(), SysctlError> {
                $(if let Some(v) = &self.$field {
                    check(Knob::$variant, v)?;
                })*
                Ok(())
            }
        }
    };
}

fn check<T: KnobValue>(knob: Knob, v: &T) -> Result<(), SysctlError> {
    if v.within(knob.range()) {
        Ok(())
    } else {
        Err(SysctlError::OutOfRange {
            knob,
            value: v.render(),
            range: knob.range(),
        })
    }
}

/// `proc_dointvec_jiffies` stores seconds times HZ in an `int`; HZ is at
/// most 1000, so up to `i32::MAX / 1000` seconds fit on every kernel.
const MAX_JIFFIES_SECS: i64 = i32::MAX as i64 / 1000;

knobs! {
    /// Free memory (pages) under which the automatic defenses start
    /// (default 1024).
    amemthresh: i32 = Amemthresh, Range::Any;
    /// The drop rate of `drop_packet` mode 3 (default 10).
    am_droprate: i32 = AmDroprate, Range::Any;
    /// Random dropping of connection entries under memory pressure: 0 off,
    /// 1 and 2 automatic, 3 always.
    drop_entry: i32 = DropEntry, Range::Between(0, 3);
    /// Dropping 1/rate of packets under memory pressure: 0 off, 1 and 2
    /// automatic, 3 always.
    drop_packet: i32 = DropPacket, Range::Between(0, 3);
    /// Keep netfilter connection tracking entries for IPVS connections
    /// (needed for iptables rules on IPVS traffic, as in kube-proxy).
    conntrack: bool = Conntrack, Range::Bool;
    /// The stricter TCP state table: 0 off, 1 and 2 automatic, 3 always.
    secure_tcp: i32 = SecureTcp, Range::Between(0, 3);
    /// Re-route SNATed replies of NAT real servers (default on).
    snat_reroute: bool = SnatReroute, Range::Bool;
    /// The sync protocol version sent: 0 or 1 (default 1).
    sync_version: i32 = SyncVersion, Range::Between(0, 1);
    /// Sync threads and ports (a power of two; default 1).
    sync_ports: i32 = SyncPorts, Range::PowerOfTwo;
    /// Sync persistent connections as templates only.
    sync_persist_mode: bool = SyncPersistMode, Range::Bool;
    /// Queued sync messages at most.
    sync_qlen_max: u64 = SyncQlenMax, Range::Any;
    /// The sync socket's buffer size (0: the system default).
    sync_sock_size: i32 = SyncSockSize, Range::Any;
    /// Send packets for which no real server is available straight to
    /// their destination.
    cache_bypass: bool = CacheBypass, Range::Bool;
    /// Expire a connection at once when its real server is removed
    /// (instead of when it times out): clients reconnect at once.
    expire_nodest_conn: bool = ExpireNodestConn, Range::Bool;
    /// Let a TCP connection start on any packet, not only a SYN.
    sloppy_tcp: bool = SloppyTcp, Range::Bool;
    /// Let an SCTP association start on any chunk, not only an INIT.
    sloppy_sctp: bool = SloppySctp, Range::Bool;
    /// Expire a persistence template when its real server's weight is 0,
    /// so persistent clients move off a quiesced server.
    expire_quiescent_template: bool = ExpireQuiescentTemplate, Range::Bool;
    /// When connections are synced (default 3 50).
    sync_threshold: SyncThreshold = SyncThreshold, Range::SyncThreshold;
    /// Seconds between syncs of a connection whose state does not change
    /// (0: sync by `sync_threshold`).
    sync_refresh_period: i32 = SyncRefreshPeriod, Range::Between(0, MAX_JIFFIES_SECS);
    /// Retries of a sync message, 0 to 3.
    sync_retries: i32 = SyncRetries, Range::Between(0, 3);
    /// Send ICMP errors to clients for packets of NAT connections whose
    /// real server is unreachable.
    nat_icmp_send: bool = NatIcmpSend, Range::Bool;
    /// Path MTU discovery: refuse DF packets over the MTU (default on).
    pmtu_disc: bool = PmtuDisc, Range::Bool;
    /// Do not schedule while a backup sync daemon runs.
    backup_only: bool = BackupOnly, Range::Bool;
    /// Rescheduling of a connection whose client port is reused (default
    /// 1). With `conntrack` on, kernels before 5.9 wait 1 s before such a
    /// reconnection goes through; kube-proxy sets 0 there.
    conn_reuse_mode: i32 = ConnReuseMode, Range::Any;
    /// Schedule ICMP packets of connections not yet known.
    schedule_icmp: bool = ScheduleIcmp, Range::Bool;
    /// Do not schedule tunnelled packets.
    ignore_tunneled: bool = IgnoreTunneled, Range::Bool;
    /// Run the rate estimator (since Linux 5.16; default on).
    run_estimation: bool = RunEstimation, Range::Bool;
    /// CPUs of the estimator's kernel threads (since Linux 6.2).
    est_cpulist: String = EstCpulist, Range::CpuList;
    /// Nice value of the estimator's threads, -20 to 19 (since Linux 6.2).
    est_nice: i32 = EstNice, Range::Between(-20, 19);
    /// Debug output level (only in kernels built with `CONFIG_IP_VS_DEBUG`).
    debug_level: i32 = DebugLevel, Range::Any;
    /// Load factor of the resizable connection table, -8 (larger) to 8
    /// (smaller) (since 2026; read-only outside the initial user
    /// namespace).
    conn_lfactor: i32 = ConnLfactor, Range::Between(-8, 8);
    /// Load factor of the resizable service table, -8 to 8 (since 2026).
    svc_lfactor: i32 = SvcLfactor, Range::Between(-8, 8);
    /// Seconds an `lblc` scheduler entry lives (present while `ip_vs_lblc`
    /// is loaded).
    lblc_expiration: i32 = LblcExpiration, Range::Between(0, MAX_JIFFIES_SECS);
    /// Seconds an `lblcr` scheduler entry lives (present while
    /// `ip_vs_lblcr` is loaded).
    lblcr_expiration: i32 = LblcrExpiration, Range::Between(0, MAX_JIFFIES_SECS);
}

impl Sysctls {
    /// Sets the knob named `name` from `text` (for `NAME=VALUE`
    /// arguments): an unknown name is [`SysctlError::UnknownKnob`].
    pub fn set_named(&mut self, name: &str, text: &str) -> Result<(), SysctlError> {
        let knob =
            Knob::from_name(name).ok_or_else(|| SysctlError::UnknownKnob(name.to_owned()))?;
        self.set_text(knob, text)
    }

    /// The knobs that are set, with their text, in the kernel's order.
    pub fn iter(&self) -> impl Iterator<Item = (Knob, String)> + '_ {
        Knob::ALL
            .iter()
            .filter_map(|k| self.text(*k).map(|t| (*k, t)))
    }

    /// Whether no knob is set.
    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none() && self.others.is_empty()
    }
}

impl fmt::Display for Knob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

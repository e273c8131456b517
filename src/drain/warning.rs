//! The known traps of draining a real server, found from the service and
//! the namespace's IPVS sysctls.

use std::fmt;
use std::time::Duration;

use crate::model::{Protocol, Scheduler, Service, ServiceFlags, ServiceKey};

/// The IPVS sysctls of a network namespace that change how a drain ends
/// (`/proc/sys/net/ipv4/vs/`), each as read or why it could not be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VsSysctls {
    /// `expire_nodest_conn`.
    pub expire_nodest_conn: Result<i64, String>,
    /// `expire_quiescent_template`.
    pub expire_quiescent_template: Result<i64, String>,
}

/// A trap of the drain, as a value: the drain goes on, but may not do what
/// its caller expects.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DrainWarning {
    /// An `sh` or `mh` service without its fallback flag
    /// ([`ServiceFlags::SH_FALLBACK`], [`ServiceFlags::MH_FALLBACK`]): the
    /// scheduler keeps the weight-0 server in its hash table, so the new
    /// connections of the clients that hash to it are not sent to another
    /// server: the kernel finds "no destination available" and refuses
    /// them, as long as the server is there.
    SchedulerWithoutFallback {
        /// The service.
        service: ServiceKey,
        /// Its scheduler.
        scheduler: Scheduler,
    },
    /// A persistent service while `expire_quiescent_template` is 0: a client
    /// with a persistence template keeps being sent to the weight-0 server,
    /// each new connection renewing the template, so the drain ends only
    /// after the client stayed away for the persistence timeout.
    QuiescentTemplatesKept {
        /// The service.
        service: ServiceKey,
        /// Its persistence timeout in seconds.
        timeout: u32,
    },
    /// `expire_nodest_conn` is 1: once the destination is deleted (as at the
    /// deadline), each connection left is expired at its next packet, and
    /// its client, rescheduled, gets a reset.
    DeleteResetsConnections,
    /// A UDP service whose UDP timeout is longer than the deadline: a UDP
    /// entry lives for the timeout after its last datagram, so the drain can
    /// end only by the deadline while clients send.
    UdpTimeoutBeyondDeadline {
        /// The service.
        service: ServiceKey,
        /// The namespace's UDP timeout.
        udp_timeout: Duration,
        /// The drain's deadline.
        deadline: Duration,
    },
    /// A sysctl the warnings depend on could not be read, so its trap is
    /// not checked.
    SysctlUnreadable {
        /// The sysctl's name under `net.ipv4.vs`.
        name: &'static str,
        /// Why.
        reason: String,
    },
}

impl fmt::Display for DrainWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SchedulerWithoutFallback { service, scheduler } => write!(
                f,
                "{service}: scheduler {scheduler} without its fallback flag \
                 refuses the new connections of clients hashed to a weight-0 server"
            ),
            Self::QuiescentTemplatesKept { service, timeout } => write!(
                f,
                "{service}: persistent ({timeout} s) and expire_quiescent_template=0: \
                 returning clients keep going to the drained server"
            ),
            Self::DeleteResetsConnections => {
                f.write_str("expire_nodest_conn=1: connections left at the deletion are reset")
            }
            Self::UdpTimeoutBeyondDeadline {
                service,
                udp_timeout,
                deadline,
            } => write!(
                f,
                "{service}: UDP entries live {} s after their last datagram, \
                 longer than the {} s deadline",
                udp_timeout.as_secs(),
                deadline.as_secs()
            ),
            Self::SysctlUnreadable { name, reason } => {
                write!(
                    f,
                    "net.ipv4.vs.{name} unreadable ({reason}): its trap is not checked"
                )
            }
        }
    }
}

impl DrainWarning {
    /// The warnings of the namespace's sysctls alone (every target shares
    /// them).
    pub fn for_sysctls(sysctls: &VsSysctls) -> Vec<Self> {
        let mut out = Vec::new();
        match &sysctls.expire_nodest_conn {
            Ok(1..) => out.push(Self::DeleteResetsConnections),
            Ok(_) => {}
            Err(reason) => out.push(Self::SysctlUnreadable {
                name: "expire_nodest_conn",
                reason: reason.clone(),
            }),
        }
        if let Err(reason) = &sysctls.expire_quiescent_template {
            out.push(Self::SysctlUnreadable {
                name: "expire_quiescent_template",
                reason: reason.clone(),
            });
        }
        out
    }

    /// The warnings that concern `service`: its scheduler, its persistence
    /// with the namespace's `expire_quiescent_template`, and for UDP its
    /// `udp_timeout` (seconds, when read) against the `deadline`.
    pub fn for_service(
        service: &Service,
        sysctls: &VsSysctls,
        udp_timeout: Option<u32>,
        deadline: Duration,
    ) -> Vec<Self> {
        let mut out = Vec::new();
        let key = service.key;
        let fallback = match service.scheduler {
            Scheduler::SourceHashing => Some(ServiceFlags::SH_FALLBACK),
            Scheduler::MaglevHashing => Some(ServiceFlags::MH_FALLBACK),
            _ => None,
        };
        if fallback.is_some_and(|f| !service.flags.contains(f)) {
            out.push(Self::SchedulerWithoutFallback {
                service: key,
                scheduler: service.scheduler.clone(),
            });
        }
        if service.flags.contains(ServiceFlags::PERSISTENT)
            && sysctls.expire_quiescent_template == Ok(0)
        {
            out.push(Self::QuiescentTemplatesKept {
                service: key,
                timeout: service.timeout,
            });
        }
        if let Some(t) = udp_timeout.filter(|_| Self::needs_udp_timeout(service)) {
            let udp_timeout = Duration::from_secs(u64::from(t));
            if udp_timeout > deadline {
                out.push(Self::UdpTimeoutBeyondDeadline {
                    service: key,
                    udp_timeout,
                    deadline,
                });
            }
        }
        out
    }

    /// Whether warnings about `service` need the UDP timeout.
    pub(crate) fn needs_udp_timeout(service: &Service) -> bool {
        matches!(
            service.key,
            ServiceKey::Addr {
                protocol: Protocol::Udp,
                ..
            }
        ) && !service.flags.contains(ServiceFlags::ONE_PACKET)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sysctls(nodest: i64, quiescent: i64) -> VsSysctls {
        VsSysctls {
            expire_nodest_conn: Ok(nodest),
            expire_quiescent_template: Ok(quiescent),
        }
    }

    const DEADLINE: Duration = Duration::from_secs(60);

    #[test]
    fn hashing_schedulers_without_fallback_are_reported() {
        let key = ServiceKey::tcp("10.0.0.1:80".parse().unwrap());
        let s = sysctls(0, 1);
        for (sched, flag) in [
            (Scheduler::SourceHashing, ServiceFlags::SH_FALLBACK),
            (Scheduler::MaglevHashing, ServiceFlags::MH_FALLBACK),
        ] {
            let mut svc = Service::new(key, sched.clone());
            assert_eq!(
                DrainWarning::for_service(&svc, &s, None, DEADLINE),
                [DrainWarning::SchedulerWithoutFallback {
                    service: key,
                    scheduler: sched
                }]
            );
            svc.flags |= flag;
            assert_eq!(DrainWarning::for_service(&svc, &s, None, DEADLINE), []);
        }
        let rr = Service::new(key, Scheduler::RoundRobin);
        assert_eq!(DrainWarning::for_service(&rr, &s, None, DEADLINE), []);
    }

    #[test]
    fn persistence_is_a_trap_only_while_quiescent_templates_stay() {
        let key = ServiceKey::tcp("10.0.0.1:443".parse().unwrap());
        let svc = Service::new(key, Scheduler::RoundRobin).persistent(600);
        assert_eq!(
            DrainWarning::for_service(&svc, &sysctls(0, 0), None, DEADLINE),
            [DrainWarning::QuiescentTemplatesKept {
                service: key,
                timeout: 600
            }]
        );
        assert_eq!(
            DrainWarning::for_service(&svc, &sysctls(0, 1), None, DEADLINE),
            []
        );
        // Unreadable: not guessed, reported once for the namespace.
        let unknown = VsSysctls {
            expire_nodest_conn: Ok(0),
            expire_quiescent_template: Err("No such file or directory".into()),
        };
        assert_eq!(
            DrainWarning::for_service(&svc, &unknown, None, DEADLINE),
            []
        );
        assert_eq!(
            DrainWarning::for_sysctls(&unknown),
            [DrainWarning::SysctlUnreadable {
                name: "expire_quiescent_template",
                reason: "No such file or directory".into()
            }]
        );
    }

    #[test]
    fn expire_nodest_conn_is_reported_for_the_namespace() {
        assert_eq!(
            DrainWarning::for_sysctls(&sysctls(1, 0)),
            [DrainWarning::DeleteResetsConnections]
        );
        assert_eq!(DrainWarning::for_sysctls(&sysctls(0, 0)), []);
    }

    #[test]
    fn udp_timeouts_longer_than_the_deadline_are_reported() {
        let key = ServiceKey::udp("10.0.0.1:53".parse().unwrap());
        let mut svc = Service::new(key, Scheduler::RoundRobin);
        assert!(DrainWarning::needs_udp_timeout(&svc));
        let s = sysctls(0, 1);
        assert_eq!(
            DrainWarning::for_service(&svc, &s, Some(300), DEADLINE),
            [DrainWarning::UdpTimeoutBeyondDeadline {
                service: key,
                udp_timeout: Duration::from_secs(300),
                deadline: DEADLINE
            }]
        );
        assert_eq!(DrainWarning::for_service(&svc, &s, Some(30), DEADLINE), []);
        // One-packet scheduling keeps no entries.
        svc.flags |= ServiceFlags::ONE_PACKET;
        assert!(!DrainWarning::needs_udp_timeout(&svc));
        assert_eq!(DrainWarning::for_service(&svc, &s, Some(300), DEADLINE), []);
        let tcp = Service::new(
            ServiceKey::tcp("10.0.0.1:53".parse().unwrap()),
            Scheduler::RoundRobin,
        );
        assert!(!DrainWarning::needs_udp_timeout(&tcp));
        assert_eq!(DrainWarning::for_service(&tcp, &s, Some(300), DEADLINE), []);
    }
}

//! The IPVS sysctls (`/proc/sys/net/ipv4/vs/*`) of any network namespace,
//! typed.
//!
//! [`read_sysctls`] reads them all into one [`Sysctls`], in which each knob
//! is optional (kernels differ: `run_estimation` came in 5.16,
//! `est_cpulist` and `est_nice` in 6.2, `conn_lfactor` and `svc_lfactor`
//! in 2026). [`write_sysctls`] sets the knobs a `Sysctls` names, each
//! checked against the [`Range`] the kernel takes before anything is
//! written. [`Preset`]s are the sets users apply (kube-proxy's, draining).

mod access;
mod error;
mod knobs;
mod preset;
mod value;

pub use access::{read_sysctls, write_sysctls, SYSCTL_DIR};
pub use error::SysctlError;
pub use knobs::{Knob, Sysctls};
pub use preset::{
    conn_reuse_mode_for, KernelVersion, KernelVersionError, Preset, CONN_REUSE_FIXED,
    CONN_REUSE_MODE_SINCE,
};
pub use value::{Range, SyncThreshold};

//! The IPVS sysctls read and set through the library, in a named network
//! namespace other than the test's own, checked against what `/proc` shows
//! there (read with `cat` by `ip netns exec`).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ipvs_netlink::sysctl::*;
use ipvs_netlink::Netns;

use crate::common::sh;

/// A named namespace, deleted when dropped.
struct Ns(String);

impl Ns {
    fn new(tag: &str) -> Self {
        let name = format!("{tag}{}", std::process::id());
        sh(&format!("ip netns add {name}"));
        Self(name)
    }

    fn netns(&self) -> Netns {
        Netns::Named(self.0.clone())
    }

    /// What `/proc/sys/net/ipv4/vs/NAME` holds in the namespace.
    fn cat(&self, knob: Knob) -> String {
        sh(&format!("ip netns exec {} cat {SYSCTL_DIR}/{knob}", self.0))
            .trim_end_matches('\n')
            .to_owned()
    }

    /// The knob files of the namespace's directory.
    fn ls(&self) -> Vec<String> {
        let mut v: Vec<String> = sh(&format!("ip netns exec {} ls {SYSCTL_DIR}", self.0))
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        v.sort();
        v
    }
}

impl Drop for Ns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}

fn kernel() -> KernelVersion {
    KernelVersion::running().unwrap()
}

/// A value other than `current` that the kernel takes and keeps (defense
/// modes 1 and 2 are automatic: the kernel changes them by itself).
fn another(knob: Knob, current: &str) -> String {
    let int = || current.parse::<i64>().unwrap();
    match knob {
        Knob::EstCpulist => "0".into(),
        Knob::SyncThreshold => {
            let v: Vec<i64> = current
                .split_whitespace()
                .map(|x| x.parse().unwrap())
                .collect();
            format!("{} {}", v[0] + 1, v[1] + 10)
        }
        Knob::DropEntry | Knob::DropPacket | Knob::SecureTcp => {
            if int() == 3 { "0" } else { "3" }.into()
        }
        _ => match knob.range() {
            Range::Bool => if int() == 0 { "1" } else { "0" }.into(),
            Range::PowerOfTwo => (int() * 2).to_string(),
            Range::Between(a, b) => if int() == b { a } else { int() + 1 }.to_string(),
            _ => (int() + 1).to_string(),
        },
    }
}

/// Waits for `child` to have entered a new network namespace; its path.
fn netns_of(child: &Child) -> String {
    let path = format!("/proc/{}/ns/net", child.id());
    let mine = std::fs::read_link("/proc/thread-self/ns/net").unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while std::fs::read_link(&path).ok().is_none_or(|l| l == mine) {
        assert!(Instant::now() < deadline, "{path} never changed namespace");
        std::thread::sleep(Duration::from_millis(20));
    }
    path
}

crate::kernel_tests! {
    fn sysctls_read_every_knob_of_another_namespace() {
        let ns = Ns::new("sr");
        let s = read_sysctls(&ns.netns()).unwrap();
        assert!(s.others.is_empty(), "knobs this crate does not know: {:?}", s.others);
        // Every file is a knob read with the text /proc shows.
        let files = ns.ls();
        let mut read: Vec<String> = s.iter().map(|(k, _)| k.name().to_owned()).collect();
        read.sort();
        assert_eq!(read, files);
        for (knob, text) in s.iter() {
            let proc = ns.cat(knob);
            if knob == Knob::SyncThreshold {
                assert_eq!(proc.split_whitespace().collect::<Vec<_>>().join(" "), text);
            } else {
                assert_eq!(proc, text, "{knob}");
            }
        }
        // What each kernel has.
        let k = kernel();
        println!("kernel {k}: {} IPVS sysctls: {}", files.len(), files.join(" "));
        assert!(s.run_estimation.is_some(), "since 5.16");
        assert_eq!(s.est_nice.is_some(), k >= KernelVersion::new(6, 2));
        assert_eq!(s.est_cpulist.is_some(), k >= KernelVersion::new(6, 2));
        assert_eq!(s.conn_lfactor, None);
        assert!(s.lblc_expiration.is_some() && s.lblcr_expiration.is_some(), "the test bed loads ip_vs_lblc(r)");
        // Kernel defaults in a new namespace.
        assert_eq!(s.sync_threshold, Some(SyncThreshold { threshold: 3, period: 50 }));
        assert_eq!((s.conntrack, s.expire_nodest_conn, s.conn_reuse_mode), (Some(false), Some(false), Some(1)));
        // The test's own namespace is another table.
        let mine = read_sysctls(&Netns::Current).unwrap();
        assert_eq!(mine.iter().count(), s.iter().count());
    }

    fn sysctls_set_each_knob_and_read_back_from_proc() {
        let ns = Ns::new("sw");
        let before = read_sysctls(&ns.netns()).unwrap();
        let mut all = Sysctls::default();
        for (knob, text) in before.iter() {
            let want = another(knob, &text);
            // One knob at a time.
            let mut one = Sysctls::default();
            one.set_text(knob, &want).unwrap();
            write_sysctls(&ns.netns(), &one).unwrap_or_else(|e| panic!("{knob} = {want}: {e}"));
            let proc = ns.cat(knob);
            assert_eq!(proc.split_whitespace().collect::<Vec<_>>().join(" "), want, "{knob}");
            all.set_text(knob, &text).unwrap();
        }
        // Several at once: every knob back to its first value.
        write_sysctls(&ns.netns(), &all).unwrap();
        assert_eq!(read_sysctls(&ns.netns()).unwrap(), before);
        // The test's own namespace never changed.
        assert_eq!(read_sysctls(&Netns::Current).unwrap().sync_threshold, Some(SyncThreshold { threshold: 3, period: 50 }));

        // Presets.
        write_sysctls(&ns.netns(), &Preset::KubeProxy.sysctls(kernel())).unwrap();
        let s = read_sysctls(&ns.netns()).unwrap();
        assert_eq!((s.conntrack, s.expire_nodest_conn, s.expire_quiescent_template), (Some(true), Some(true), Some(true)));
        assert_eq!(s.conn_reuse_mode, Some(1), "left as is from 5.9 on");
        assert_eq!(ns.cat(Knob::Conntrack), "1");
    }

    fn sysctl_errors_unknown_out_of_range_missing_refused_hidden_denied() {
        let ns = Ns::new("se");
        let mut s = Sysctls::default();
        let e = s.set_named("no_such_knob", "1").unwrap_err();
        assert!(matches!(e, SysctlError::UnknownKnob(ref n) if n == "no_such_knob"), "{e}");
        let e = s.set_named("est_nice", "20").unwrap_err();
        assert!(matches!(e, SysctlError::OutOfRange { knob: Knob::EstNice, .. }), "{e}");
        let e = s.set_named("sync_ports", "x").unwrap_err();
        assert!(matches!(e, SysctlError::InvalidValue { knob: Knob::SyncPorts, .. }), "{e}");
        // Out of range in a value built directly: nothing is written, not
        // even the valid knob before it.
        let bad = Sysctls { amemthresh: Some(7), sync_ports: Some(3), ..Default::default() };
        let e = write_sysctls(&ns.netns(), &bad).unwrap_err();
        assert!(matches!(e, SysctlError::OutOfRange { knob: Knob::SyncPorts, ref value, .. } if value == "3"), "{e}");
        assert_ne!(ns.cat(Knob::Amemthresh), "7");
        // A knob this kernel lacks.
        let lfactor = Sysctls { conn_lfactor: Some(1), ..Default::default() };
        let e = write_sysctls(&ns.netns(), &lfactor).unwrap_err();
        assert!(matches!(e, SysctlError::Missing(Knob::ConnLfactor)), "{e}");
        // A value in range that the kernel refuses: CPU 4096 does not exist.
        let cpus = Sysctls { est_cpulist: Some("4096".into()), ..Default::default() };
        let e = write_sysctls(&ns.netns(), &cpus).unwrap_err();
        if kernel() >= KernelVersion::new(6, 2) {
            assert!(matches!(e, SysctlError::Refused { knob: Knob::EstCpulist, .. }), "{e}");
        } else {
            assert!(matches!(e, SysctlError::Missing(Knob::EstCpulist)), "{e}");
        }
        // A namespace owned by an unprivileged user namespace: before 6.10
        // the kernel shows none of its IPVS sysctls; from 6.10 on it shows
        // them, five read-only (even to root: the file mode is 0444), and
        // not the schedulers' ones.
        let mut child = Command::new("unshare").args(["-U", "-n", "sleep", "30"]).stdin(Stdio::null()).spawn().unwrap();
        let path = netns_of(&child);
        let unpriv = Netns::Path(path.into());
        let read = read_sysctls(&unpriv);
        let nice = write_sysctls(&unpriv, &Sysctls { est_nice: Some(1), ..Default::default() });
        let drain = write_sysctls(&unpriv, &Preset::Drain.sysctls(kernel()));
        let after = read_sysctls(&unpriv);
        child.kill().unwrap();
        child.wait().unwrap();
        if kernel() >= KernelVersion::new(6, 10) {
            let s = read.unwrap();
            assert_eq!((s.lblc_expiration, s.lblcr_expiration), (None, None));
            assert!(s.conntrack.is_some() && s.est_nice.is_some());
            let e = nice.unwrap_err();
            assert!(matches!(e, SysctlError::PermissionDenied { knob: Knob::EstNice, .. }), "{e}");
            drain.unwrap();
            assert_eq!(after.unwrap().expire_nodest_conn, Some(true));
        } else {
            for e in [read.unwrap_err(), nice.unwrap_err(), drain.unwrap_err(), after.unwrap_err()] {
                assert!(matches!(e, SysctlError::Hidden), "{e}");
            }
        }
        // A namespace that does not exist.
        let e = read_sysctls(&Netns::Named("no-such-ns".into())).unwrap_err();
        assert!(matches!(e, SysctlError::Netns(_)), "{e}");
    }
}

//! On a kernel without IPVS (and without modules to load it), opening a
//! handle must say so with the hint to load ip_vs, in its Display and its
//! Debug form (what `main` prints). The build machines are
//! such kernels; where IPVS is present this test has nothing to check and
//! says so.

use ipvs_netlink::{ErrorKind, Handle, Operation};

#[test]
fn missing_ipvs_is_a_clear_error() {
    let has_ipvs = std::path::Path::new("/proc/net/ip_vs").exists();
    let can_load = std::path::Path::new("/proc/modules").exists();
    if has_ipvs || can_load {
        eprintln!("skipped: this kernel has IPVS or can load it");
        return;
    }
    let e = Handle::new().unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::IpvsUnavailable), "{e}");
    assert_eq!(e.operation(), &Operation::Connect);
    assert!(e.to_string().contains("modprobe ip_vs"), "{e}");
    // What `fn main() -> Result<(), ipvs_netlink::Error>` prints after
    // "Error: ": the sentence first, then the values.
    assert_eq!(
        format!("{e:?}"),
        "connect to IPVS: IPVS is not available in this kernel (load it with `modprobe ip_vs`)\n\n\
         Details: operation Connect, kind IpvsUnavailable"
    );
}

/// Namespace errors come before anything IPVS, so they show on any host:
/// each names the namespace and says what is wrong.
#[test]
fn namespace_errors_name_the_namespace_and_say_why() {
    use ipvs_netlink::{Config, Netns};
    let open = |netns| {
        Handle::with_config(Config {
            netns,
            ..Default::default()
        })
        .unwrap_err()
    };
    let cases = [
        (
            Netns::Named("no-such-ns".into()),
            "/var/run/netns/no-such-ns",
            "ip netns add",
        ),
        (
            Netns::Path("/no/such/file".into()),
            "/no/such/file",
            "no such namespace",
        ),
        (
            Netns::Path("/proc/self/status".into()),
            "/proc/self/status",
            "not a network namespace file",
        ),
        (
            Netns::Named("../etc".into()),
            "../etc",
            "invalid namespace name",
        ),
    ];
    for (netns, path, why) in cases {
        let e = open(netns);
        assert_eq!(e.operation(), &Operation::Connect);
        let ErrorKind::Netns(n) = e.kind() else {
            panic!("{e}")
        };
        assert!(n.netns.contains(path), "{e}");
        assert!(e.to_string().contains(why), "{e}");
    }
}

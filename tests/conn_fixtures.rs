//! The connection table parser on tables captured from real kernels
//! (`tests/fixtures/linux-*/ip_vs_conn*.txt`, see the README there): every
//! line parses, with the addresses, states, persistence data and origins
//! the capture made, and the filters select by service and real server.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use ipvs_netlink::conn::{ConnEntry, ConnOrigin, ConnReader, ConnState, ConnTable};
use ipvs_netlink::{Protocol, ServiceKey};

fn sa(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn fixture(kernel: &str, name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(kernel)
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn parse(bytes: &[u8], table: ConnTable) -> Vec<ConnEntry> {
    ConnReader::new(bytes, table)
        .map(|e| e.unwrap_or_else(|e| panic!("{e}")))
        .collect()
}

const KERNELS: [&str; 2] = ["linux-6.1", "linux-6.12"];

#[test]
fn captured_conn_tables_parse_with_what_the_capture_made() {
    for k in KERNELS {
        let text = fixture(k, "ip_vs_conn.txt");
        let all = parse(&text, ConnTable::Conns);
        // 3 open TCP (v4, port-zero v4, v6), 1 closed TCP v6, 2 UDP, and 3
        // persistence templates (TCP port, TCP port zero, UDP with SIP).
        assert_eq!(all.len(), 9, "{k}: {all:#?}");
        assert!(all.iter().all(|e| e.origin.is_none()));
        let est = |e: &&ConnEntry| e.state == ConnState::Established;
        assert_eq!(all.iter().filter(est).count(), 3, "{k}");
        for e in all.iter().filter(est) {
            assert!(e.expires > Duration::from_secs(800) && e.expires <= Duration::from_secs(900));
        }
        let v6 = all.iter().filter(|e| e.client.is_ipv6()).count();
        assert_eq!(v6, 3, "{k}");
        let sip: Vec<_> = all.iter().filter(|e| e.persistence.is_some()).collect();
        assert_eq!(sip.len(), 1, "{k}");
        let pe = sip[0].persistence.as_ref().unwrap();
        assert_eq!(
            (pe.engine.as_str(), &pe.data[..]),
            ("sip", &b"fixture-call-1@example.org"[..])
        );
        assert_eq!(
            (sip[0].protocol, sip[0].client.port(), sip[0].state.clone()),
            (Protocol::Udp, 0, ConnState::None)
        );
        assert_eq!(sip[0].dest, sa("10.20.0.2:5062"));
        // Templates: client port 0; the port-zero service's has port 0
        // everywhere, and its protocol is the service's (TCP).
        let zero = all
            .iter()
            .find(|e| e.virtual_addr == sa("10.20.0.3:0"))
            .unwrap();
        assert_eq!(
            (
                zero.protocol,
                zero.client.port(),
                zero.dest,
                zero.state.clone()
            ),
            (Protocol::Tcp, 0, sa("10.20.0.2:0"), ConnState::Assured)
        );
        assert_eq!(zero.fwmark(), None);

        // Filters.
        let of = |key: ServiceKey| {
            ConnReader::new(&text[..], ConnTable::Conns)
                .service(key)
                .count()
        };
        assert_eq!(
            of(ServiceKey::tcp(sa("10.20.0.1:80"))),
            2,
            "{k}: connection and template"
        );
        assert_eq!(
            of(ServiceKey::tcp(sa("10.20.0.3:0"))),
            2,
            "{k}: port-zero service"
        );
        assert_eq!(of(ServiceKey::udp(sa("10.20.0.1:5060"))), 2, "{k}");
        assert_eq!(of(ServiceKey::tcp(sa("[2001:db8:20::1]:443"))), 2, "{k}");
        assert_eq!(of(ServiceKey::udp(sa("[2001:db8:20::1]:53"))), 1, "{k}");
        assert_eq!(of(ServiceKey::udp(sa("10.20.0.1:80"))), 0, "{k}");
        let to = |d: &str| {
            ConnReader::new(&text[..], ConnTable::Conns)
                .dest(sa(d))
                .count()
        };
        assert_eq!(to("[2001:db8:20::2]:8443"), 2);
        assert_eq!(
            to("10.20.0.2:0"),
            6,
            "port 0: every IPv4 entry to that address"
        );
        let both = ConnReader::new(&text[..], ConnTable::Conns)
            .service(ServiceKey::tcp(sa("10.20.0.1:80")))
            .dest(sa("10.20.0.2:8080"))
            .count();
        assert_eq!(both, 2);

        // The sync tables: the same entries, LOCAL here, SYNC on the backup
        // (the UDP connections, one packet each, stay below the sync
        // threshold of 3 packets; the SIP template is synced).
        let local = parse(&fixture(k, "ip_vs_conn_sync.txt"), ConnTable::Sync);
        assert_eq!(local.len(), 9);
        assert!(local
            .iter()
            .all(|e| e.origin == Some(ConnOrigin::Local) && e.persistence.is_none()));
        let synced = parse(&fixture(k, "ip_vs_conn_sync_backup.txt"), ConnTable::Sync);
        assert!(!synced.is_empty());
        assert!(
            synced.iter().all(|e| e.origin == Some(ConnOrigin::Sync)),
            "{k}: {synced:#?}"
        );
        for s in &synced {
            assert!(
                local
                    .iter()
                    .any(|l| (l.protocol, l.client, l.virtual_addr, l.dest)
                        == (s.protocol, s.client, s.virtual_addr, s.dest)),
                "{s:?}"
            );
        }
        // Each file read as the other table is refused at its header.
        let e = ConnReader::new(&text[..], ConnTable::Sync)
            .next()
            .unwrap()
            .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("line 1 is not the header of ip_vs_conn_sync"),
            "{e}"
        );
    }
}

#[test]
fn a_bad_line_is_an_error_with_its_number_and_text_and_reading_goes_on() {
    let mut text = fixture("linux-6.1", "ip_vs_conn.txt");
    let good = parse(&text, ConnTable::Conns).len();
    text.extend_from_slice(b"TCP 0A14000Z 0000 0A140001 0050 0A140002 1F90 NONE 1\n");
    text.extend_from_slice(b"TCP 0A140009 0001 0A140001 0050 0A140002 1F90 NONE 1\n");
    let items: Vec<_> = ConnReader::new(&text[..], ConnTable::Conns).collect();
    assert_eq!(items.len(), good + 2);
    let e = items[good].as_ref().unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("line {}: invalid client address: \"TCP 0A14000Z 0000 0A140001 0050 0A140002 1F90 NONE 1\"", good + 2)
    );
    assert_eq!(items[good + 1].as_ref().unwrap().client, sa("10.20.0.9:1"));
    // An empty file has no header.
    assert!(ConnReader::new(&b""[..], ConnTable::Conns)
        .next()
        .unwrap()
        .is_err());
}

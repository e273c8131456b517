//! Property tests (no kernel needed): typed -> attributes -> bytes ->
//! attributes -> typed is the identity for services, destinations, sync
//! daemons, info and timeouts; and `Service::from_nest` and
//! `Destination::from_nest` (what the session parses replies with) give
//! exactly what the attribute lists and `from_attrs` give.

#[path = "proptest_support/mod.rs"]
mod support;

use support::*;

// ---------------------------------------------------------------------------
// Round trips
// ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn service_round_trip(s in service_entry()) {
        let attrs = s.to_reply_attrs().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let msg = IpvsMessage::new(Command::NewService, vec![IpvsAttr::Service(attrs)]).unwrap();
        let IpvsAttr::Service(a) = one(reparse(&msg)?.into_attrs()) else { panic!("not a service") };
        prop_assert_eq!(ServiceEntry::from_attrs(&a).unwrap(), s);
    }

    #[test]
    fn destination_round_trip((fam, d) in family().prop_flat_map(|f| (Just(f), destination_entry(f)))) {
        let attrs = d.to_reply_attrs(fam).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let msg = IpvsMessage::new(Command::NewDest, vec![IpvsAttr::Dest(attrs)]).unwrap();
        let IpvsAttr::Dest(a) = one(reparse(&msg)?.into_attrs()) else { panic!("not a dest") };
        prop_assert_eq!(DestinationEntry::from_attrs(&a, fam).unwrap(), d);
    }

    #[test]
    fn service_from_nest_agrees(
        s in service_entry(),
        at in any::<usize>(),
        garbage in prop_oneof![Just(Vec::new()), garbage_attrs()],
    ) {
        let attrs = s.to_reply_attrs().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let nest = nest_payload(&IpvsMessage::new(Command::NewService, vec![IpvsAttr::Service(attrs)]).unwrap());
        prop_assert_eq!(ServiceEntry::from_nest(&nest), Ok(s));
        service_both_ways(&damaged(&nest, at, &garbage))?;
    }

    #[test]
    fn destination_from_nest_agrees(
        (fam, d) in family().prop_flat_map(|f| (Just(f), destination_entry(f))),
        at in any::<usize>(),
        garbage in prop_oneof![Just(Vec::new()), garbage_attrs()],
    ) {
        let attrs = d.to_reply_attrs(fam).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let nest = nest_payload(&IpvsMessage::new(Command::NewDest, vec![IpvsAttr::Dest(attrs)]).unwrap());
        prop_assert_eq!(DestinationEntry::from_nest(&nest, fam), Ok(d));
        for f in [Family::Ipv4, Family::Ipv6] {
            destination_both_ways(&damaged(&nest, at, &garbage), f)?;
        }
    }

    #[test]
    fn daemon_round_trip(d in daemon()) {
        // SyncDaemon::to_attrs is crate-private; NEW_DAEMON's nest is the
        // one GET_DAEMON answers with.
        let (cmd, attrs) = Request::StartDaemon(d.clone()).encode()
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let msg = IpvsMessage::new(cmd, attrs).unwrap();
        let IpvsAttr::Daemon(a) = one(reparse(&msg)?.into_attrs()) else { panic!("not a daemon") };
        prop_assert_eq!(SyncDaemon::from_attrs(&a).unwrap(), d);
    }

    #[test]
    fn info_round_trip(i in info()) {
        let msg = IpvsMessage::new(Command::SetInfo, i.to_attrs()).unwrap();
        prop_assert_eq!(Info::from_attrs(reparse(&msg)?.attrs()).unwrap(), i);
    }

    #[test]
    fn timeouts_round_trip(t in timeouts()) {
        let (cmd, attrs) = Request::SetTimeouts(t).encode().unwrap();
        let msg = IpvsMessage::new(cmd, attrs).unwrap();
        prop_assert_eq!(Timeouts::from_attrs(reparse(&msg)?.attrs()), t);
    }

    /// A whole listing: several nests in one message, each decoding back.
    #[test]
    fn listing_round_trip(services in vec(service_entry(), 0..6)) {
        let attrs = services
            .iter()
            .map(|s| s.to_reply_attrs().map(IpvsAttr::Service))
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        let back = reparse(&IpvsMessage::new(Command::NewService, attrs).unwrap())?;
        let decoded: Vec<ServiceEntry> = back
            .attrs()
            .iter()
            .map(|a| match a {
                IpvsAttr::Service(a) => ServiceEntry::from_attrs(a).unwrap(),
                other => panic!("{other:?}"),
            })
            .collect();
        prop_assert_eq!(decoded, services);
    }
}

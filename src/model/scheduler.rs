//! Schedulers: how a service picks a destination.

use std::fmt;
use std::str::FromStr;

use super::BuildError;

/// Longest scheduler name the kernel takes (`IP_VS_SCHEDNAME_MAXLEN` - 1).
pub const SCHEDULER_NAME_MAX: usize = 15;

/// A scheduler, by the name the kernel knows it under.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scheduler {
    /// `rr`: round robin.
    RoundRobin,
    /// `wrr`: weighted round robin.
    WeightedRoundRobin,
    /// `lc`: least connection.
    LeastConnection,
    /// `wlc`: weighted least connection.
    WeightedLeastConnection,
    /// `lblc`: locality-based least connection.
    LocalityBasedLeastConnection,
    /// `lblcr`: locality-based least connection with replication.
    LocalityBasedLeastConnectionReplication,
    /// `dh`: destination hashing.
    DestinationHashing,
    /// `sh`: source hashing.
    SourceHashing,
    /// `sed`: shortest expected delay.
    ShortestExpectedDelay,
    /// `nq`: never queue.
    NeverQueue,
    /// `fo`: weighted failover.
    WeightedFailover,
    /// `ovf`: weighted overflow.
    WeightedOverflow,
    /// `mh`: Maglev hashing.
    MaglevHashing,
    /// `twos`: weighted random twos choice.
    TwoRandomChoices,
    /// `none`: no scheduler bound (kernels after 4.0).
    None,
    /// Any other scheduler module (`ip_vs_<name>`).
    Custom(String),
}

const BUILT_IN: [(&str, Scheduler); 15] = [
    ("rr", Scheduler::RoundRobin),
    ("wrr", Scheduler::WeightedRoundRobin),
    ("lc", Scheduler::LeastConnection),
    ("wlc", Scheduler::WeightedLeastConnection),
    ("lblc", Scheduler::LocalityBasedLeastConnection),
    ("lblcr", Scheduler::LocalityBasedLeastConnectionReplication),
    ("dh", Scheduler::DestinationHashing),
    ("sh", Scheduler::SourceHashing),
    ("sed", Scheduler::ShortestExpectedDelay),
    ("nq", Scheduler::NeverQueue),
    ("fo", Scheduler::WeightedFailover),
    ("ovf", Scheduler::WeightedOverflow),
    ("mh", Scheduler::MaglevHashing),
    ("twos", Scheduler::TwoRandomChoices),
    ("none", Scheduler::None),
];

impl Scheduler {
    /// The scheduler for a kernel name, exactly as the kernel spells it
    /// (module names are case-sensitive): a built-in variant when it is
    /// one, else [`Scheduler::Custom`]. Fails on a name the kernel cannot
    /// take. To read what a person typed, use [`str::parse`], which also
    /// takes built-in names in any case.
    pub fn from_name(name: &str) -> Result<Self, BuildError> {
        if let Some((_, s)) = BUILT_IN.iter().find(|(n, _)| *n == name) {
            return Ok(s.clone());
        }
        let s = Self::Custom(name.to_owned());
        s.validate()?;
        Ok(s)
    }

    /// The name sent to the kernel.
    pub fn name(&self) -> &str {
        match self {
            Self::Custom(name) => name,
            other => BUILT_IN
                .iter()
                .find(|(_, s)| s == other)
                .map_or("", |(n, _)| n),
        }
    }

    /// Checks a custom name against the kernel's limits.
    pub fn validate(&self) -> Result<(), BuildError> {
        let name = self.name();
        if name.is_empty() || name.len() > SCHEDULER_NAME_MAX || name.contains('\0') {
            return Err(BuildError::SchedulerName {
                name: name.to_owned(),
            });
        }
        Ok(())
    }
}

impl fmt::Display for Scheduler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Reads a scheduler name as a person types it: built-in names match
/// without regard to case (`"WRR"` is [`Scheduler::WeightedRoundRobin`]);
/// any other name is [`Scheduler::from_name`]'s.
impl FromStr for Scheduler {
    type Err = BuildError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match BUILT_IN.iter().find(|(n, _)| n.eq_ignore_ascii_case(s)) {
            Some((_, built_in)) => Ok(built_in.clone()),
            None => Self::from_name(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for (name, s) in BUILT_IN.iter() {
            assert_eq!(s.name(), *name);
            assert_eq!(&Scheduler::from_name(name).unwrap(), s);
        }
        assert_eq!(
            Scheduler::from_name("mine").unwrap(),
            Scheduler::Custom("mine".into())
        );
    }

    #[test]
    fn parse_takes_built_in_names_in_any_case() {
        assert_eq!(
            "WRR".parse::<Scheduler>().unwrap(),
            Scheduler::WeightedRoundRobin
        );
        assert_eq!("Mh".parse::<Scheduler>().unwrap(), Scheduler::MaglevHashing);
        assert_eq!("None".parse::<Scheduler>().unwrap(), Scheduler::None);
        for (name, s) in BUILT_IN.iter() {
            assert_eq!(&name.to_uppercase().parse::<Scheduler>().unwrap(), s);
        }
        // Other names keep their case: the kernel loads `ip_vs_<name>`.
        assert_eq!(
            "Mine".parse::<Scheduler>().unwrap(),
            Scheduler::Custom("Mine".into())
        );
        assert!("".parse::<Scheduler>().is_err());
        // A kernel name is taken as the kernel spells it.
        assert_eq!(
            Scheduler::from_name("WRR").unwrap(),
            Scheduler::Custom("WRR".into())
        );
    }

    #[test]
    fn kernel_limits() {
        assert!(Scheduler::from_name("a23456789012345").is_ok());
        assert!(matches!(
            Scheduler::from_name("a234567890123456"),
            Err(BuildError::SchedulerName { .. })
        ));
        assert!(Scheduler::from_name("").is_err());
        assert!(Scheduler::Custom("a\0b".into()).validate().is_err());
    }
}

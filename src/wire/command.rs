//! Command numbers of the IPVS family (`IPVS_CMD_*`).

/// A generic netlink command of the IPVS family.
///
/// Its number on the wire is `u8::from(command)`; every number converts
/// back (`Command::from(n)`), those a newer kernel may add to
/// [`Command::Other`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command {
    /// Add a service; also the reply command of GET_SERVICE.
    NewService,
    /// Change a service.
    SetService,
    /// Delete a service.
    DelService,
    /// Get one service, or dump all.
    GetService,
    /// Add a destination; also the reply command of GET_DEST.
    NewDest,
    /// Change a destination.
    SetDest,
    /// Delete a destination.
    DelDest,
    /// Dump the destinations of a service.
    GetDest,
    /// Start a sync daemon; also the reply command of GET_DAEMON.
    NewDaemon,
    /// Stop a sync daemon.
    DelDaemon,
    /// Dump the running sync daemons.
    GetDaemon,
    /// Set timeouts; also the reply command of GET_CONFIG.
    SetConfig,
    /// Get timeouts.
    GetConfig,
    /// Reply command of GET_INFO.
    SetInfo,
    /// Get version and connection table size.
    GetInfo,
    /// Zero counters.
    Zero,
    /// Delete every service.
    Flush,
    /// A number this crate does not know (including 0, `IPVS_CMD_UNSPEC`).
    Other(u8),
}

impl From<Command> for u8 {
    /// The number on the wire.
    fn from(command: Command) -> Self {
        match command {
            Command::NewService => 1,
            Command::SetService => 2,
            Command::DelService => 3,
            Command::GetService => 4,
            Command::NewDest => 5,
            Command::SetDest => 6,
            Command::DelDest => 7,
            Command::GetDest => 8,
            Command::NewDaemon => 9,
            Command::DelDaemon => 10,
            Command::GetDaemon => 11,
            Command::SetConfig => 12,
            Command::GetConfig => 13,
            Command::SetInfo => 14,
            Command::GetInfo => 15,
            Command::Zero => 16,
            Command::Flush => 17,
            Command::Other(n) => n,
        }
    }
}

impl From<u8> for Command {
    /// The command of a number on the wire.
    fn from(n: u8) -> Self {
        match n {
            1 => Self::NewService,
            2 => Self::SetService,
            3 => Self::DelService,
            4 => Self::GetService,
            5 => Self::NewDest,
            6 => Self::SetDest,
            7 => Self::DelDest,
            8 => Self::GetDest,
            9 => Self::NewDaemon,
            10 => Self::DelDaemon,
            11 => Self::GetDaemon,
            12 => Self::SetConfig,
            13 => Self::GetConfig,
            14 => Self::SetInfo,
            15 => Self::GetInfo,
            16 => Self::Zero,
            17 => Self::Flush,
            n => Self::Other(n),
        }
    }
}

impl Command {
    /// Whether the top-level attributes of this command are the
    /// `IPVS_INFO_ATTR_*` set rather than `IPVS_CMD_ATTR_*`.
    pub fn has_info_attrs(self) -> bool {
        matches!(self, Self::SetInfo | Self::GetInfo)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_number_round_trips() {
        for n in 0..=u8::MAX {
            assert_eq!(u8::from(Command::from(n)), n);
        }
        assert_eq!(Command::from(0), Command::Other(0));
        assert_eq!(Command::from(18), Command::Other(18));
    }
}

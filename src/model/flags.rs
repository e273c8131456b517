//! Service flags (`IP_VS_SVC_F_*`) and the kernel's flags + mask update.

bitflags::bitflags! {
    /// Flags of a service. The kernel's internal `HASHED` bit (0x2) is never
    /// part of a value this crate returns.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
    pub struct ServiceFlags: u32 {
        /// Persistent service: uses the timeout and netmask.
        const PERSISTENT = 0x0001;
        /// One-packet scheduling (UDP).
        const ONE_PACKET = 0x0004;
        /// Scheduler flag 1.
        const SCHED1 = 0x0008;
        /// Scheduler flag 2.
        const SCHED2 = 0x0010;
        /// Scheduler flag 3.
        const SCHED3 = 0x0020;
        /// `sh`: fall back to another destination (= `SCHED1`).
        const SH_FALLBACK = Self::SCHED1.bits();
        /// `sh`: hash the source port too (= `SCHED2`).
        const SH_PORT = Self::SCHED2.bits();
        /// `mh`: fall back to another destination (= `SCHED1`).
        const MH_FALLBACK = Self::SCHED1.bits();
        /// `mh`: hash the source port too (= `SCHED2`).
        const MH_PORT = Self::SCHED2.bits();
        // Bits a newer kernel may define are kept.
        const _ = !0x0002;
    }
}

/// The kernel's internal "in the hash table" bit.
pub(crate) const HASHED: u32 = 0x0002;

impl From<u32> for ServiceFlags {
    /// The flags of a `FLAGS` value as the kernel sends it: every bit kept
    /// but the internal `HASHED` one, which no `ServiceFlags` holds (use
    /// [`ServiceFlags::bits`] for the number of a value).
    fn from(bits: u32) -> Self {
        Self::from_bits_retain(bits & !HASHED)
    }
}

/// A change of some flags of a service: the bits in `mask` take their value
/// from `flags`, the others are left as they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct FlagsChange {
    /// New values of the bits in `mask`.
    pub flags: ServiceFlags,
    /// Which bits to change.
    pub mask: ServiceFlags,
}

impl FlagsChange {
    /// Replace every flag with `flags`.
    pub fn replace(flags: ServiceFlags) -> Self {
        Self {
            flags,
            mask: ServiceFlags::all(),
        }
    }

    /// Set the given flags, leave the others.
    pub fn set(flags: ServiceFlags) -> Self {
        Self { flags, mask: flags }
    }

    /// Clear the given flags, leave the others.
    pub fn clear(flags: ServiceFlags) -> Self {
        Self {
            flags: ServiceFlags::empty(),
            mask: flags,
        }
    }

    /// This change followed by `other`.
    pub fn then(self, other: Self) -> Self {
        Self {
            flags: (self.flags & !other.mask) | (other.flags & other.mask),
            mask: self.mask | other.mask,
        }
    }

    /// What the kernel computes: `(base & !mask) | (flags & mask)`.
    pub fn apply(&self, base: ServiceFlags) -> ServiceFlags {
        (base & !self.mask) | (self.flags & self.mask)
    }

    /// The mask as sent: all ones when every bit is replaced (as ipvsadm
    /// sends), else just the chosen bits.
    pub(crate) fn wire_mask(&self) -> u32 {
        if self.mask == ServiceFlags::all() {
            u32::MAX
        } else {
            self.mask.bits() & !HASHED
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_never_leaks() {
        assert_eq!(ServiceFlags::from(0x3), ServiceFlags::PERSISTENT);
        assert!(!ServiceFlags::all().contains(ServiceFlags::from_bits_retain(HASHED)));
    }

    #[test]
    fn change_only_touches_masked_bits() {
        let base = ServiceFlags::PERSISTENT | ServiceFlags::SH_PORT;
        let c = FlagsChange::set(ServiceFlags::SH_FALLBACK)
            .then(FlagsChange::clear(ServiceFlags::PERSISTENT));
        assert_eq!(
            c.apply(base),
            ServiceFlags::SH_PORT | ServiceFlags::SH_FALLBACK
        );
        assert_eq!(
            FlagsChange::replace(ServiceFlags::empty()).wire_mask(),
            u32::MAX
        );
    }
}

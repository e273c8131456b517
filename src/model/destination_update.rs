//! A change to some fields of an existing destination, the rest kept as the
//! kernel has them.

use std::net::SocketAddr;

use super::{Destination, ForwardMethod};

/// A change to an existing destination: the fields left `None` keep their
/// current value. SET_DEST replaces every field (forwarding, tunnel, weight,
/// thresholds), so a handle's
/// [`update_destination_partial`](crate::Handle::update_destination_partial)
/// reads the destination first and sends it back with only these fields
/// changed; [`Handle::update_destination`](crate::Handle::update_destination)
/// with `Destination::new(addr).weight(0)` would instead make a
/// direct-routing destination a masquerading one.
///
/// ```
/// use ipvs_netlink::{Destination, DestinationUpdate, ForwardMethod};
///
/// let current = Destination::new("10.0.1.1:80".parse().unwrap())
///     .forward(ForwardMethod::DirectRoute)
///     .thresholds(10, 100);
/// let drained = DestinationUpdate::new(current.addr).weight(0).apply(&current);
/// assert_eq!(drained.forward, ForwardMethod::DirectRoute);
/// assert_eq!((drained.weight, drained.lower_threshold, drained.upper_threshold), (0, 10, 100));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DestinationUpdate {
    /// The destination to change (its address and port).
    pub addr: SocketAddr,
    /// New forwarding method, with its tunnel parameters.
    pub forward: Option<ForwardMethod>,
    /// New weight.
    pub weight: Option<u32>,
    /// New upper connection threshold.
    pub upper_threshold: Option<u32>,
    /// New lower connection threshold.
    pub lower_threshold: Option<u32>,
}

impl DestinationUpdate {
    /// An update of the destination at `addr` that changes nothing yet.
    pub fn new(addr: SocketAddr) -> Self {
        Self {
            addr,
            forward: None,
            weight: None,
            upper_threshold: None,
            lower_threshold: None,
        }
    }

    /// An update that makes the destination exactly `dest`.
    pub fn replace(dest: &Destination) -> Self {
        Self {
            addr: dest.addr,
            forward: Some(dest.forward),
            weight: Some(dest.weight),
            upper_threshold: Some(dest.upper_threshold),
            lower_threshold: Some(dest.lower_threshold),
        }
    }

    /// Sets the weight (0 stops new connections).
    pub fn weight(mut self, weight: u32) -> Self {
        self.weight = Some(weight);
        self
    }

    /// Sets the forwarding method; a tunnel's type, port and checksum are
    /// part of [`ForwardMethod::Tunnel`].
    pub fn forward(mut self, forward: ForwardMethod) -> Self {
        self.forward = Some(forward);
        self
    }

    /// Sets the lower and upper thresholds.
    pub fn thresholds(mut self, lower: u32, upper: u32) -> Self {
        self.lower_threshold = Some(lower);
        self.upper_threshold = Some(upper);
        self
    }

    /// Whether every field is set, so that the update needs no reading of
    /// the current destination.
    pub fn is_complete(&self) -> bool {
        self.complete().is_some()
    }

    /// The destination a complete update makes, `None` for a partial one.
    pub fn complete(&self) -> Option<Destination> {
        Some(Destination {
            addr: self.addr,
            forward: self.forward?,
            weight: self.weight?,
            upper_threshold: self.upper_threshold?,
            lower_threshold: self.lower_threshold?,
        })
    }

    /// The destination this update makes of `current`: its fields where the
    /// update sets them, `current`'s elsewhere (the address is the
    /// update's).
    pub fn apply(&self, current: &Destination) -> Destination {
        Destination {
            addr: self.addr,
            forward: self.forward.unwrap_or(current.forward),
            weight: self.weight.unwrap_or(current.weight),
            upper_threshold: self.upper_threshold.unwrap_or(current.upper_threshold),
            lower_threshold: self.lower_threshold.unwrap_or(current.lower_threshold),
        }
    }
}

impl From<&Destination> for DestinationUpdate {
    fn from(d: &Destination) -> Self {
        Self::replace(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{BuildError, Family, Tunnel};

    fn current() -> Destination {
        Destination::new("10.0.1.1:80".parse().unwrap())
            .forward(ForwardMethod::Tunnel(Tunnel::Gre { checksum: true }))
            .weight(7)
            .thresholds(3, 30)
    }

    #[test]
    fn a_partial_update_keeps_every_field_it_does_not_name() {
        let cur = current();
        let u = DestinationUpdate::new(cur.addr).weight(0);
        assert!(!u.is_complete());
        assert_eq!(u.complete(), None);
        assert_eq!(
            u.apply(&cur),
            Destination {
                weight: 0,
                ..cur.clone()
            }
        );
        let u = DestinationUpdate::new(cur.addr).thresholds(0, 0);
        assert_eq!(
            u.apply(&cur),
            Destination {
                lower_threshold: 0,
                upper_threshold: 0,
                ..cur.clone()
            }
        );
        let u = DestinationUpdate::new(cur.addr).forward(ForwardMethod::DirectRoute);
        assert_eq!(u.apply(&cur).forward, ForwardMethod::DirectRoute);
        assert_eq!(u.apply(&cur).weight, 7);
    }

    #[test]
    fn a_replace_is_complete_and_gives_the_destination_back() {
        let cur = current();
        let u = DestinationUpdate::replace(&cur);
        assert!(u.is_complete());
        assert_eq!(u.complete(), Some(cur.clone()));
        assert_eq!(u.apply(&Destination::new(cur.addr)), cur);
        assert_eq!(DestinationUpdate::from(&cur), u);
    }

    #[test]
    fn thresholds_above_i32_max_are_refused_by_the_builder() {
        let d = |lower, upper| {
            Destination::new("10.0.1.1:80".parse().unwrap()).thresholds(lower, upper)
        };
        let max = i32::MAX as u32;
        assert_eq!(d(0, max).validate(Family::Ipv4), Ok(()));
        assert_eq!(d(max, max).validate(Family::Ipv4), Ok(()));
        assert_eq!(
            d(0, max + 1).validate(Family::Ipv4),
            Err(BuildError::UpperThreshold(max + 1))
        );
        assert_eq!(
            d(0, u32::MAX).validate(Family::Ipv4),
            Err(BuildError::UpperThreshold(u32::MAX))
        );
        // A lower threshold above the limit is named as such, not as a lower
        // threshold above the upper one.
        assert_eq!(
            Destination {
                lower_threshold: max + 1,
                ..d(0, max)
            }
            .validate(Family::Ipv4),
            Err(BuildError::LowerThreshold(max + 1))
        );
        // Nothing is written for a refused destination.
        let mut buf = Vec::new();
        let r = crate::wire::nla::write(&mut buf, |w| d(0, max + 1).emit_nest(Family::Ipv4, w));
        assert_eq!(r.unwrap(), Err(BuildError::UpperThreshold(max + 1)));
        assert!(buf.is_empty());
    }
}

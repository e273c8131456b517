//! The kinds of value the IPVS sysctls hold, and the ranges the kernel
//! takes for each.

use std::fmt;

/// What values a knob takes, as its kernel handler checks them (see
/// `vs_vars` and the `proc_do_*` handlers in `ip_vs_ctl.c`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Range {
    /// Any `int` (`proc_dointvec`: the kernel checks nothing).
    Any,
    /// A boolean: the kernel stores any `int` and treats non-zero as on;
    /// this crate writes 0 or 1.
    Bool,
    /// An integer from the first to the second bound, inclusive.
    Between(i64, i64),
    /// A power of two, at least 1 (`sync_ports`).
    PowerOfTwo,
    /// Two non-negative integers, the first below the second unless the
    /// second is 0 (`sync_threshold`).
    SyncThreshold,
    /// A CPU list such as `0-3,8` (`est_cpulist`, parsed by the kernel's
    /// `cpulist_parse`).
    CpuList,
}

impl fmt::Display for Range {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Any => f.write_str("any integer"),
            Self::Bool => f.write_str("0 or 1"),
            Self::Between(a, b) => write!(f, "{a} to {b}"),
            Self::PowerOfTwo => f.write_str("a power of two (1, 2, 4, ...)"),
            Self::SyncThreshold => {
                f.write_str("two integers >= 0, the first below the second unless the second is 0")
            }
            Self::CpuList => f.write_str("a CPU list such as 0-3,8"),
        }
    }
}

/// `sync_threshold`: a connection is synced when its incoming packet count
/// modulo `period` equals `threshold` (with `period` 0: once, when the
/// count reaches `threshold`).
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SyncThreshold {
    /// Packets before the first sync (kernel default 3).
    pub threshold: i32,
    /// Packets between syncs, or 0 (kernel default 50).
    pub period: i32,
}

/// A value of a knob: how it is read from and written to its file, and
/// checked against its [`Range`].
pub(crate) trait KnobValue: Sized {
    /// The value of the file's text (without its line end).
    fn parse(text: &str) -> Option<Self>;
    /// The text to write.
    fn render(&self) -> String;
    /// Whether the kernel takes the value.
    fn within(&self, range: Range) -> bool;
}

fn int_within(v: i64, range: Range) -> bool {
    match range {
        Range::Any | Range::Bool => true,
        Range::Between(a, b) => (a..=b).contains(&v),
        Range::PowerOfTwo => v >= 1 && (v & (v - 1)) == 0,
        Range::SyncThreshold | Range::CpuList => false,
    }
}

impl KnobValue for i32 {
    fn parse(text: &str) -> Option<Self> {
        text.trim().parse().ok()
    }
    fn render(&self) -> String {
        self.to_string()
    }
    fn within(&self, range: Range) -> bool {
        int_within(i64::from(*self), range)
    }
}

impl KnobValue for u64 {
    fn parse(text: &str) -> Option<Self> {
        text.trim().parse().ok()
    }
    fn render(&self) -> String {
        self.to_string()
    }
    fn within(&self, range: Range) -> bool {
        i64::try_from(*self).map_or(range == Range::Any, |v| int_within(v, range))
    }
}

impl KnobValue for bool {
    fn parse(text: &str) -> Option<Self> {
        text.trim().parse::<i32>().ok().map(|v| v != 0)
    }
    fn render(&self) -> String {
        u8::from(*self).to_string()
    }
    fn within(&self, _: Range) -> bool {
        true
    }
}

impl KnobValue for SyncThreshold {
    fn parse(text: &str) -> Option<Self> {
        let mut w = text.split_ascii_whitespace();
        let t = w.next()?.parse().ok()?;
        let p = w.next()?.parse().ok()?;
        w.next().is_none().then_some(Self {
            threshold: t,
            period: p,
        })
    }
    fn render(&self) -> String {
        format!("{} {}", self.threshold, self.period)
    }
    fn within(&self, _: Range) -> bool {
        self.threshold >= 0
            && self.period >= 0
            && (self.period == 0 || self.threshold < self.period)
    }
}

impl KnobValue for String {
    fn parse(text: &str) -> Option<Self> {
        Some(text.trim_end_matches('\n').to_owned())
    }
    fn render(&self) -> String {
        self.clone()
    }
    fn within(&self, range: Range) -> bool {
        range != Range::CpuList || is_cpu_list(self)
    }
}

/// `N`, `N-M` or `N-M:used/group`, comma-separated (empty: no CPU), as
/// `bitmap_parselist` takes them.
fn is_cpu_list(s: &str) -> bool {
    let num = |t: &str| !t.is_empty() && t.len() <= 9 && t.bytes().all(|b| b.is_ascii_digit());
    let s = s.trim();
    s.is_empty()
        || s.split(',').all(|part| {
            let (range, group) = match part.split_once(':') {
                Some((r, g)) => (r, Some(g)),
                None => (part, None),
            };
            let ok_range = match range.split_once('-') {
                None => num(range) && group.is_none(),
                Some((a, b)) => num(a) && num(b) && a.parse::<u32>().ok() <= b.parse::<u32>().ok(),
            };
            ok_range
                && group.is_none_or(|g| {
                    g.split_once('/').is_some_and(|(u, n)| {
                        num(u)
                            && num(n)
                            && n != "0"
                            && u.parse::<u32>().ok() <= n.parse::<u32>().ok()
                    })
                })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert!(4i32.within(Range::PowerOfTwo));
        assert!(!6i32.within(Range::PowerOfTwo));
        assert!(!0i32.within(Range::PowerOfTwo));
        assert!(3i32.within(Range::Between(0, 3)));
        assert!(!4i32.within(Range::Between(0, 3)));
        assert!((-20i32).within(Range::Between(-20, 19)));
        let t = |threshold, period| SyncThreshold { threshold, period };
        assert!(t(3, 50).within(Range::SyncThreshold));
        assert!(t(3, 0).within(Range::SyncThreshold));
        assert!(!t(50, 50).within(Range::SyncThreshold));
        assert!(!t(-1, 50).within(Range::SyncThreshold));
        for ok in ["0", "0-1", "0,2-3", "0-7:2/4", ""] {
            assert!(ok.to_owned().within(Range::CpuList), "{ok}");
        }
        for bad in ["a", "1-0", "0-", "0:1/2", "0-3:3/2", "0-3:1/0", ",", "1,,2"] {
            assert!(!bad.to_owned().within(Range::CpuList), "{bad}");
        }
    }

    #[test]
    fn texts() {
        assert_eq!(
            SyncThreshold::parse("3\t50"),
            Some(SyncThreshold {
                threshold: 3,
                period: 50
            })
        );
        assert_eq!(SyncThreshold::parse("3"), None);
        assert_eq!(
            SyncThreshold {
                threshold: 3,
                period: 50
            }
            .render(),
            "3 50"
        );
        assert_eq!(bool::parse("2"), Some(true));
        assert_eq!(true.render(), "1");
        assert_eq!(u64::parse("18446744073709551615"), Some(u64::MAX));
        assert_eq!(i32::parse("x"), None);
    }
}

//! Watching the table from a handle: the I/O-free [`WatchRun`] decides what
//! changed and when the next listing is due; the handle only lists and
//! waits.

use std::time::{Duration, Instant};

use super::Handle;
use crate::error::Result;
use crate::watch::{PollReport, WatchRun};

/// Service dumps per listing at most ([`Handle::list_table_consistent`]):
/// as many as a reconcile allows.
const LISTING_ATTEMPTS: u32 = 5;

impl Handle {
    /// Watches the table, listing it every `interval`: an iterator whose
    /// every item is one listing's [`PollReport`], the events and counter
    /// changes since the listing before (see [`watch`](crate::watch)). The
    /// first item is the baseline, listed at once; each later one is listed
    /// one interval after the start of the one before (at once if that has
    /// passed), so `next` blocks until then. It never ends: stop taking
    /// items to stop.
    ///
    /// Each listing is [consistent](Self::list_table_consistent) (at most
    /// 5 service dumps), so a service a dump skipped never shows as removed
    /// then added. Destination dumps are not repeated: one whose service
    /// has more destinations than one reply datagram holds can skip one
    /// when that service's destinations change during the dump, and the
    /// skipped one then shows as removed, and added at the next poll. A
    /// failed listing is an `Err` item and leaves the watch as it was: the
    /// next item lists again and is measured from the last listing that
    /// succeeded.
    ///
    /// An `interval` of 0 is refused
    /// ([`ErrorKind::Watch`](crate::ErrorKind::Watch)), with nothing listed.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use ipvs_netlink::Handle;
    ///
    /// # fn main() -> Result<(), ipvs_netlink::Error> {
    /// let mut ipvs = Handle::new()?;
    /// for poll in ipvs.watch(Duration::from_secs(1))? {
    ///     let poll = poll?;
    ///     for event in &poll.events {
    ///         println!("{event}"); // e.g. "service tcp:10.0.0.1:80 changed: scheduler rr -> wrr"
    ///     }
    ///     for reset in poll.resets() {
    ///         println!("{reset}"); // counters zeroed: this interval has no rate
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn watch(&mut self, interval: Duration) -> Result<Watch<'_>> {
        Ok(Watch {
            run: WatchRun::new(interval)?,
            handle: self,
        })
    }
}

/// The blocking watch of a [`Handle`]: an endless iterator of polls (see
/// [`Handle::watch`]).
#[derive(Debug)]
pub struct Watch<'a> {
    handle: &'a mut Handle,
    run: WatchRun,
}

impl Watch<'_> {
    /// The state of the watch: the last listing, the interval.
    pub fn run(&self) -> &WatchRun {
        &self.run
    }
}

impl Iterator for Watch<'_> {
    type Item = Result<PollReport>;

    /// Waits until the next listing is due, lists, and returns the poll.
    fn next(&mut self) -> Option<Result<PollReport>> {
        std::thread::sleep(self.run.pause(Instant::now()));
        let at = Instant::now();
        Some(
            self.handle
                .list_table_consistent(LISTING_ATTEMPTS)
                .and_then(|table| Ok(self.run.observe(at, table)?)),
        )
    }
}

#[cfg(any(feature = "tokio", feature = "smol"))]
mod async_watch {
    use std::time::{Duration, Instant};

    use super::LISTING_ATTEMPTS;
    use crate::error::Result;
    use crate::handle::{AsyncHandle, Transport};
    use crate::watch::{PollReport, WatchRun};

    impl<T: Transport> AsyncHandle<T> {
        /// Watches the table, listing it every `interval`, as
        /// [`Handle::watch`](crate::Handle::watch) does: each
        /// [`AsyncWatch::next`] waits on the runtime's timer until the next
        /// listing is due, lists, and returns the [`PollReport`]; the first is the
        /// baseline, listed at once. An `interval` of 0 is refused
        /// ([`ErrorKind::Watch`](crate::ErrorKind::Watch)).
        ///
        /// [`AsyncWatch::into_stream`] makes it a `Stream` of the polls.
        ///
        /// ```no_run
        /// # #[cfg(feature = "tokio")]
        /// # async fn demo() -> Result<(), ipvs_netlink::Error> {
        /// use std::time::Duration;
        /// use ipvs_netlink::handle::tokio::Handle;
        ///
        /// let mut ipvs = Handle::new().await?;
        /// let mut watch = ipvs.watch(Duration::from_millis(500))?;
        /// loop {
        ///     for event in watch.next().await?.events {
        ///         println!("{event}");
        ///     }
        /// }
        /// # }
        /// ```
        pub fn watch(&mut self, interval: Duration) -> Result<AsyncWatch<'_, T>> {
            Ok(AsyncWatch {
                run: WatchRun::new(interval)?,
                handle: self,
            })
        }
    }

    /// The watch of an async handle (see [`AsyncHandle::watch`]).
    #[derive(Debug)]
    pub struct AsyncWatch<'a, T> {
        handle: &'a mut AsyncHandle<T>,
        run: WatchRun,
    }

    impl<'a, T: Transport + 'a> AsyncWatch<'a, T> {
        /// Waits until the next listing is due, lists, and returns the poll.
        /// A failed listing leaves the watch as it was. Cancelling the call
        /// (dropping its future) loses nothing either: the watch changes
        /// only when a listing is complete, and the next call waits out what
        /// is left of the interval.
        pub async fn next(&mut self) -> Result<PollReport> {
            T::sleep(self.run.pause(Instant::now())).await;
            let at = Instant::now();
            let table = self.handle.list_table_consistent(LISTING_ATTEMPTS).await?;
            Ok(self.run.observe(at, table)?)
        }

        /// The state of the watch: the last listing, the interval.
        pub fn run(&self) -> &WatchRun {
            &self.run
        }

        /// The polls as a [`Stream`](futures_core::Stream) that never ends:
        /// each item is one [`next`](Self::next) (a failed listing is an
        /// item too, and the stream goes on). Each poll's future is boxed,
        /// once per interval.
        ///
        /// ```no_run
        /// # #[cfg(feature = "smol")]
        /// # fn demo() -> Result<(), ipvs_netlink::Error> { smol::block_on(async {
        /// use std::time::Duration;
        /// use futures_lite::StreamExt;
        /// use ipvs_netlink::handle::smol::Handle;
        ///
        /// let mut ipvs = Handle::new().await?;
        /// let polls = ipvs.watch(Duration::from_millis(500))?.into_stream();
        /// let mut polls = std::pin::pin!(polls);
        /// while let Some(poll) = polls.next().await {
        ///     for event in poll?.events {
        ///         println!("{event}");
        ///     }
        /// }
        /// # Ok(()) }) }
        /// ```
        pub fn into_stream(self) -> impl futures_core::Stream<Item = Result<PollReport>> + 'a {
            crate::handle::unfold::unfold(self, |mut watch| async move {
                let poll = watch.next().await;
                (poll, watch)
            })
        }
    }
}

#[cfg(any(feature = "tokio", feature = "smol"))]
pub use async_watch::AsyncWatch;

//! Runs a future to its end on the calling thread: how the blocking handle
//! drives the one async driver. Its transport blocks inside the socket calls,
//! so the driver's futures are ready when first polled; a future that is
//! not ready parks the thread until it is woken.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::Thread;

struct Unpark(Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

thread_local! {
    /// The calling thread's waker, made once per thread rather than per call.
    static WAKER: Waker = Waker::from(Arc::new(Unpark(std::thread::current())));
}

/// Polls `future` until it is ready, parking the thread in between.
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    WAKER.with(|waker| {
        let mut cx = Context::from_waker(waker);
        loop {
            if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
                return out;
            }
            std::thread::park();
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_future_woken_from_another_thread_finishes() {
        let (tx, rx) = std::sync::mpsc::channel::<Waker>();
        let waking = std::thread::spawn(move || {
            let w = rx.recv().unwrap();
            std::thread::sleep(std::time::Duration::from_millis(20));
            w.wake();
        });
        let mut polls = 0;
        let out = block_on(std::future::poll_fn(|cx| {
            polls += 1;
            if polls == 1 {
                tx.send(cx.waker().clone()).unwrap();
                Poll::Pending
            } else {
                Poll::Ready(polls)
            }
        }));
        assert!(out >= 2);
        waking.join().unwrap();
    }
}

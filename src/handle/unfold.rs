//! A [`Stream`] made of an async step function and its state: each item is
//! one call of the step, which takes the state and gives it back with the
//! item. The async handles' watch is a stream this way.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;

/// The stream of `step` over `state` (see the module); it never ends.
pub(crate) fn unfold<S, F, Fut, Item>(state: S, step: F) -> Unfold<S, F, Fut>
where
    F: FnMut(S) -> Fut,
    Fut: Future<Output = (Item, S)>,
{
    Unfold {
        state: Some(state),
        step,
        running: None,
    }
}

/// See [`unfold`].
pub(crate) struct Unfold<S, F, Fut> {
    /// The state while no step runs.
    state: Option<S>,
    step: F,
    /// The step running, which holds the state meanwhile.
    running: Option<Pin<Box<Fut>>>,
}

impl<S, F, Fut, Item> Stream for Unfold<S, F, Fut>
where
    S: Unpin,
    F: FnMut(S) -> Fut + Unpin,
    Fut: Future<Output = (Item, S)>,
{
    type Item = Item;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Item>> {
        let this = self.get_mut();
        let running = match (&mut this.running, this.state.take()) {
            (Some(running), _) => running,
            (slot @ None, Some(state)) => slot.insert(Box::pin((this.step)(state))),
            // A step's future panicked and took the state with it.
            (None, None) => return Poll::Ready(None),
        };
        match running.as_mut().poll(cx) {
            Poll::Ready((item, state)) => {
                this.running = None;
                this.state = Some(state);
                Poll::Ready(Some(item))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::task::Waker;

    #[test]
    fn each_item_is_one_step_and_the_state_carries_over() {
        let mut s = unfold(1u32, |n| async move { (n * 10, n + 1) });
        let mut cx = Context::from_waker(Waker::noop());
        let mut next = || match Pin::new(&mut s).poll_next(&mut cx) {
            Poll::Ready(item) => item,
            Poll::Pending => panic!("a ready step pending"),
        };
        assert_eq!((next(), next(), next()), (Some(10), Some(20), Some(30)));
    }
}

//! Telling the wake-ups an execution's task gives itself from the ones it
//! gets from elsewhere.
//!
//! A program's calls are answered inside the task that runs the program:
//! the answer wakes the program's future while that task is being polled.
//! Passed on, such a wake-up makes tokio queue the task again once the poll
//! ends and wake another thread to share the work: once per call, for
//! nothing, since the poll looks at the program again anyway. This waker
//! notes those wake-ups instead, and passes on every one that arrives while
//! the task is not being polled.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Wake, Waker};

use futures::task::AtomicWaker;

#[derive(Default)]
pub(super) struct OwnWakes {
    /// The task is being polled.
    polling: AtomicBool,
    /// A wake-up arrived during the poll.
    woken: AtomicBool,
    /// The task's own waker, for wake-ups from elsewhere.
    task: AtomicWaker,
}

impl OwnWakes {
    /// Starts a poll of the task whose context is `cx`; poll what it runs
    /// with [`OwnWakes::waker`].
    pub(super) fn enter(&self, cx: &Context<'_>) {
        self.task.register(cx.waker());
        self.polling.store(true, Ordering::SeqCst);
    }

    /// Ends the poll: whether a wake-up arrived during it (then poll again).
    pub(super) fn leave(&self) -> bool {
        self.polling.store(false, Ordering::SeqCst);
        self.woken.swap(false, Ordering::SeqCst)
    }

    pub(super) fn waker(self: &Arc<Self>) -> Waker {
        Waker::from(self.clone())
    }
}

impl Wake for OwnWakes {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if self.polling.load(Ordering::SeqCst) {
            self.woken.store(true, Ordering::SeqCst);
            // The poll may have ended between the two: then it may not have
            // seen this one, so pass it on (at worst, one wake-up too many).
            if self.polling.load(Ordering::SeqCst) {
                return;
            }
        }
        self.task.wake();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;

    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn wake_ups_during_a_poll_are_noted_and_others_passed_on() {
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let task = Waker::from(count.clone());
        let cx = Context::from_waker(&task);
        let own = Arc::new(OwnWakes::default());
        own.enter(&cx);
        own.waker().wake_by_ref();
        assert_eq!(count.0.load(Ordering::SeqCst), 0);
        assert!(own.leave(), "the wake-up during the poll is reported");
        assert!(!own.leave(), "and only once");
        own.waker().wake();
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
    }
}

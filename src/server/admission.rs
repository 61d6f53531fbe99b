//! Backpressure: at most N executions run at once; a bounded number wait,
//! each for a bounded time; the rest are refused with a clear message.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

pub struct Admission {
    running: Arc<Semaphore>,
    max_running: usize,
    waiting: AtomicUsize,
    max_waiting: usize,
    wait_for: Duration,
}

impl Admission {
    pub fn new(max_running: usize, max_waiting: usize, wait_for: Duration) -> Admission {
        Admission {
            running: Arc::new(Semaphore::new(max_running.max(1))),
            max_running: max_running.max(1),
            waiting: AtomicUsize::new(0),
            max_waiting,
            wait_for,
        }
    }

    /// Executions running now.
    pub fn running(&self) -> usize {
        self.max_running - self.running.available_permits()
    }

    /// Executions waiting for a slot now.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::SeqCst)
    }

    /// A slot to run in (held until dropped, wherever the execution goes),
    /// or the message to refuse with.
    pub async fn enter(&self) -> Result<OwnedSemaphorePermit, String> {
        if let Ok(permit) = self.running.clone().try_acquire_owned() {
            return Ok(permit);
        }
        let queued = self.waiting.fetch_add(1, Ordering::SeqCst);
        if queued >= self.max_waiting {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(format!(
                "busy: {} executions are running and {queued} are waiting, the most this server queues; retry shortly",
                self.max_running
            ));
        }
        let waited =
            tokio::time::timeout(self.wait_for, self.running.clone().acquire_owned()).await;
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        match waited {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(format!(
                "busy: no execution slot freed up within {} ms; retry shortly",
                self.wait_for.as_millis()
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn runs_waits_then_refuses() {
        let admission = Admission::new(1, 1, Duration::from_millis(50));
        let first = admission.enter().await.unwrap();
        // One may wait; it times out because the slot is held.
        let waited = admission.enter().await.unwrap_err();
        assert!(waited.contains("within 50 ms"), "{waited}");
        drop(first);
        assert!(admission.enter().await.is_ok());
    }

    #[tokio::test]
    async fn a_full_queue_refuses_at_once() {
        let admission = Admission::new(1, 0, Duration::from_secs(60));
        let _running = admission.enter().await.unwrap();
        let refused = admission.enter().await.unwrap_err();
        assert_eq!(
            refused,
            "busy: 1 executions are running and 0 are waiting, the most this server queues; retry shortly"
        );
    }
}

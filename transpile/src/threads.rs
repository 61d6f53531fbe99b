//! The threads programs are compiled on: a few long-lived threads with large
//! stacks, shared by every execution, so compiling never runs on an async
//! runtime's thread and costs no thread start (a new 64 MiB-stack thread per
//! program took a tenth of a millisecond).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, OnceLock, mpsc};

/// Stack of a compiler thread: a wide margin over what compiling needs within
/// the nesting bounds (about 5 MiB unoptimized); only touched pages count.
pub(crate) const STACK: usize = 32 << 20;

type Work = Box<dyn FnOnce() + Send>;

static QUEUE: OnceLock<mpsc::Sender<Work>> = OnceLock::new();

/// Runs `work` on a compiler thread; `false` when none could be started.
/// A panic in `work` ends `work`, not the thread.
pub(crate) fn run(work: impl FnOnce() + Send + 'static) -> bool {
    QUEUE.get_or_init(start).send(Box::new(work)).is_ok()
}

/// One thread per core, up to four: compiling is CPU-bound.
fn start() -> mpsc::Sender<Work> {
    let (queue, work) = mpsc::channel::<Work>();
    let work = Arc::new(Mutex::new(work));
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get().min(4));
    for i in 0..threads {
        let work = work.clone();
        let started = std::thread::Builder::new()
            .name(format!("compile-{i}"))
            .stack_size(STACK)
            .spawn(move || {
                loop {
                    let next = work.lock().map(|queue| queue.recv());
                    let Ok(Ok(next)) = next else { return };
                    // The caller hears of a panic as a dropped reply.
                    let _ = catch_unwind(AssertUnwindSafe(next));
                }
            });
        if let Err(error) = started {
            tracing::error!("cannot start compiler thread {i}: {error}");
        }
    }
    queue
}

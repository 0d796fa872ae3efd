//! Where the CPU-bound stages run: parsing a source document, extracting an article, finding a
//! page's next-page links. They run on a small fixed set of threads, one per core (at most
//! [`MAX_THREADS`]), started on first use and kept for the life of the process, rather than on
//! tokio's blocking pool.
//!
//! Why a fixed set: the compiled rule sets (the cruft phrase sets above all) keep a lazy-DFA cache
//! for each thread that uses them, grown to what the texts needed (megabytes each) and kept as
//! long as the rules live. Work spread over a pool whose threads come and go leaves such caches
//! behind for every thread it ever used (up to nine per set); on a fixed set there are only as
//! many as threads. The work is CPU-bound, so more threads than cores would not finish it sooner.
//!
//! Owns: the threads and handing work to them. Does not own the work itself.

use std::sync::{Arc, LazyLock, Mutex, mpsc};

/// Most threads, whatever the core count.
pub(super) const MAX_THREADS: usize = 4;

type Job = Box<dyn FnOnce() + Send>;

/// Hands jobs to the threads; started on first use.
static JOBS: LazyLock<mpsc::Sender<Job>> = LazyLock::new(start);

/// The job panicked; the panic message went to stderr.
#[derive(Debug, thiserror::Error)]
#[error("the {0} panicked")]
pub(super) struct Crashed(pub &'static str);

fn start() -> mpsc::Sender<Job> {
    let (tx, rx) = mpsc::channel::<Job>();
    let rx = Arc::new(Mutex::new(rx));
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    for i in 0..cores.clamp(1, MAX_THREADS) {
        let rx = rx.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("clearfeed-cpu-{i}"))
            .spawn(move || serve(&rx));
        if let Err(e) = spawned {
            // With no thread at all, jobs fail as crashed instead of waiting for ever.
            tracing::error!(error = %e, "cannot start a thread for extraction work");
        }
    }
    tx
}

/// One thread: runs jobs until the sender is gone (never, in practice: it is static).
fn serve(rx: &Mutex<mpsc::Receiver<Job>>) {
    loop {
        let job = rx.lock().unwrap_or_else(|p| p.into_inner()).recv();
        match job {
            // A panicking job must not take the thread with it.
            Ok(job) => drop(std::panic::catch_unwind(std::panic::AssertUnwindSafe(job))),
            Err(_) => return,
        }
    }
}

/// Runs `work` on one of the threads and waits for its result without blocking the caller's
/// thread. `what` names the work in the error when it panics.
pub(super) async fn run<T: Send + 'static>(
    what: &'static str,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Crashed> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = tx.send(work());
    });
    JOBS.send(job).map_err(|_| Crashed(what))?;
    rx.await.map_err(|_| Crashed(what))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn work_runs_on_the_fixed_threads_and_a_panic_is_an_error() {
        let name = run("probe", || std::thread::current().name().map(String::from))
            .await
            .unwrap();
        assert!(name.unwrap().starts_with("clearfeed-cpu-"));
        let crashed = run("probe", || -> u8 { panic!("on purpose") }).await;
        assert_eq!(crashed.unwrap_err().to_string(), "the probe panicked");
        // The thread that caught the panic still takes work.
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        for _ in 0..cores.clamp(1, MAX_THREADS) + 1 {
            assert_eq!(run("probe", || 7).await.unwrap(), 7);
        }
    }
}

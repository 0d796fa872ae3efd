//! `clearfeed bench-pipeline --database postgres://… --workers N`: the pipeline benchmark with N
//! worker processes (`clearfeed run`, this same binary) sharing one PostgreSQL database, over the
//! same generated loopback site as the in-process benchmark.
//!
//! The workers claim the feeds among themselves; a pass ends when the database says every feed
//! has run since it began. The second pass makes every feed due again in the database and waits
//! the same way. Each worker sends its own user agent, so the site counts the feeds and articles
//! each one fetched.
//!
//! Owns: the worker processes, the passes over the shared database and the per-worker report.
//! Does not own: the generated site, the configuration it is served with or the summary line
//! (`bench_pipeline`), nor what a worker does (`workers`).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;

use super::bench_pipeline::{
    Counters, PassFigures, print_header, print_summary, proc_status, start_sites, write_config,
};
use crate::store::{Database, Store};

/// Once a year: the feeds run when new to the database or made due by the benchmark, never by
/// their schedule while it runs.
const SCHEDULE: &str = "0 0 1 1 *";
/// Longest wait for one pass.
const PASS_LIMIT: Duration = Duration::from_secs(900);

/// The worker processes with their log files, killed when dropped (the benchmark failing
/// half-way leaves none behind).
struct Workers(Vec<Child>, Vec<PathBuf>);

impl Drop for Workers {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn agent(worker: usize) -> String {
    format!("clearfeed-bench-worker-{worker}")
}

/// One configuration file per worker: the benchmark's, plus the database, a short lease (the
/// workers then look for due feeds twice a second) and the worker's own user agent.
fn worker_configs(base: &Path, url: &str, workers: usize) -> anyhow::Result<Vec<PathBuf>> {
    let common = std::fs::read_to_string(base)?;
    let url = toml::Value::String(url.to_string());
    (0..workers)
        .map(|w| {
            let path = base.with_file_name(format!("worker-{w}.toml"));
            let own = format!(
                "database_url = {url}\nworker_lease = \"2s\"\nuser_agent = \"{}\"\n",
                agent(w)
            );
            std::fs::write(&path, own + &common)?;
            Ok(path)
        })
        .collect()
}

fn start_worker(config: &Path, log: &Path) -> anyhow::Result<Child> {
    let log = std::fs::File::create(log)?;
    let mut command = Command::new(std::env::current_exe()?);
    command
        .args(["run", "--listen", "127.0.0.1:0", "--config"])
        .arg(config)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log);
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: prctl is async-signal-safe; the worker ends with the benchmark even when the
        // benchmark is killed and cannot kill it itself.
        unsafe {
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                Ok(())
            });
        }
    }
    Ok(command.spawn()?)
}

/// The benchmark over `url` with `workers` processes, in the fresh directory `dir`.
pub async fn run(
    dir: &Path,
    feeds: usize,
    articles: usize,
    url: &str,
    workers: usize,
) -> anyhow::Result<std::process::ExitCode> {
    anyhow::ensure!(workers > 0, "--workers must be at least 1");
    let store = Arc::new(Store::open_database(&Database::Postgres(url.to_string()))?);
    let ids: Vec<String> = (0..feeds).map(|i| format!("bench-{i:03}")).collect();
    let present = store.feed_states()?;
    if let Some(s) = present.iter().find(|s| s.id.starts_with("bench-")) {
        anyhow::bail!(
            "the database already holds the benchmark's feeds (`{}`, from an earlier run): \
             give an empty, throwaway database",
            s.id
        );
    }
    let counters = Arc::new(Counters::default());
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let (bases, servers) = start_sites(feeds, articles, &counters, stop_rx).await?;
    let config = write_config(dir, &bases, Some(SCHEDULE))?;
    let configs = worker_configs(&config, url, workers)?;
    print_header(feeds, articles);
    println!("{workers} worker processes (`clearfeed run`) sharing one PostgreSQL database");

    let started = Instant::now();
    let mut children = Workers(Vec::new(), Vec::new());
    for (w, config) in configs.iter().enumerate() {
        let log = dir.join(format!("worker-{w}.log"));
        children.0.push(start_worker(config, &log)?);
        children.1.push(log);
    }
    let mut passes = Vec::new();
    let mut per_worker = Vec::new();
    for pass in 1..=2 {
        let since = Utc::now();
        let before = (counters.snapshot(), agent_counts(&counters, workers));
        let secs = wait_for_pass(&store, &ids, since, pass == 2, &mut children)
            .await?
            .as_secs_f64();
        // The first pass counts from the workers' start: claiming is part of the cycle.
        let secs = if pass == 1 {
            started.elapsed().as_secs_f64()
        } else {
            secs
        };
        let stored: u64 = store.feed_states()?.iter().map(|s| s.item_count).sum();
        passes.push(pass_line(pass, secs, stored as usize, &counters, before.0));
        let after = agent_counts(&counters, workers);
        let pass_counts: Vec<[u64; 2]> = (after.iter().zip(&before.1))
            .map(|(a, b)| [a[0] - b[0], a[1] - b[1]])
            .collect();
        per_worker.push(pass_counts);
    }
    let peaks: Vec<Option<u64>> = (children.0.iter())
        .map(|c| proc_status(&c.id().to_string(), "VmHWM"))
        .collect();
    drop(children);
    let _ = stop_tx.send(true);
    for s in servers {
        let _ = s.await;
    }
    for (w, peak) in peaks.iter().enumerate() {
        let [f1, a1] = per_worker[0][w];
        let [f2, a2] = per_worker[1][w];
        println!(
            "worker {w}: pass 1 feeds={f1} article_requests={a1}; pass 2 feeds={f2} \
             article_requests={a2}; peak_mb={}",
            peak.map_or("n/a".into(), |kb| format!("{:.1}", kb as f64 / 1024.0))
        );
    }
    let peak_mb = peaks.iter().flatten().max().map(|&kb| kb as f64 / 1024.0);
    print_summary(feeds, articles, &passes[0], &passes[1], peak_mb);
    Ok(std::process::ExitCode::SUCCESS)
}

fn agent_counts(counters: &Counters, workers: usize) -> Vec<[u64; 2]> {
    (0..workers).map(|w| counters.by_agent(&agent(w))).collect()
}

/// Waits until every feed among `ids` has been attempted since `since`, making the others due
/// at each look when `make_due` (a worker handing back its last feed of the pass before may set
/// a later due time just after); fails when a worker exits or the pass takes longer than
/// [`PASS_LIMIT`]. Returns how long it took.
async fn wait_for_pass(
    store: &Arc<Store>,
    ids: &[String],
    since: chrono::DateTime<Utc>,
    make_due: bool,
    children: &mut Workers,
) -> anyhow::Result<Duration> {
    let started = Instant::now();
    loop {
        let states = {
            let store = store.clone();
            tokio::task::spawn_blocking(move || store.feed_states()).await??
        };
        let done: std::collections::HashSet<&str> = (states.iter())
            .filter(|s| s.last_attempt.is_some_and(|t| t >= since))
            .map(|s| s.id.as_str())
            .collect();
        let waiting: Vec<String> = (ids.iter())
            .filter(|id| !done.contains(id.as_str()))
            .cloned()
            .collect();
        if waiting.is_empty() {
            return Ok(started.elapsed());
        }
        let ran = ids.len() - waiting.len();
        if make_due {
            let store = store.clone();
            tokio::task::spawn_blocking(move || store.make_due(&waiting)).await??;
        }
        for (w, child) in children.0.iter_mut().enumerate() {
            if let Some(status) = child.try_wait()? {
                let log = std::fs::read_to_string(&children.1[w]).unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(20).collect();
                let tail: Vec<&str> = tail.into_iter().rev().collect();
                anyhow::bail!(
                    "worker {w} exited ({status}); its last lines:\n{}",
                    tail.join("\n")
                );
            }
        }
        anyhow::ensure!(
            started.elapsed() < PASS_LIMIT,
            "only {} of {} feeds ran within {PASS_LIMIT:?}",
            ran,
            ids.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Prints a pass's line and returns its figures: the articles stored, the requests the site saw.
fn pass_line(
    pass: usize,
    secs: f64,
    stored: usize,
    counters: &Counters,
    before: [u64; 4],
) -> PassFigures {
    let after = counters.snapshot();
    let [req, cond, nm, robots] = [0, 1, 2, 3].map(|k| after[k] - before[k]);
    let unconditional = req - cond - robots;
    println!(
        "pass {pass}: {secs:.2} s, {stored} articles stored; {:.0} articles/s; {req} requests \
         ({cond} conditional, {nm} answered 304, {robots} robots.txt, {unconditional} unconditional)",
        stored as f64 / secs.max(1e-9),
    );
    PassFigures {
        secs,
        processed: stored,
        requests: req,
        conditional: cond,
        unconditional,
    }
}

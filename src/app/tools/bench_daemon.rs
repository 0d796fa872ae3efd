//! `clearfeed bench-daemon`: the daemon's memory and threads over time, measured from outside.
//!
//! The generated loopback site of `bench-pipeline` (one host per feed, pages generated on request)
//! runs in this process; `clearfeed run` runs as a separate child process over a fresh data
//! directory, every feed on a schedule of `--every` seconds, for `--duration` seconds (or
//! `--minutes`, for a soak). Once a second the child's `/proc/<pid>/status` is read (`VmRSS`,
//! `Threads`) and its open descriptors are counted (`/proc/<pid>/fd`).
//!
//! Reported: the resident memory just after start-up, when the first pass is complete (every
//! article fetched and every feed published), the steady state (the highest sample of the last
//! schedule period, when every pass only revalidates), the maximum, the most threads seen, the open
//! descriptors (start, steady, maximum), and from the child's `/metrics` at the end the feed passes
//! run and those refused because a pass of the same feed was still going (overlaps).
//!
//! With `--once`, the child is `clearfeed once` over the same site instead, and what is reported
//! is its CPU time (user and system) and the blocks it wrote, from `getrusage`.
//!
//! Owns: the child daemon, the sampling and the report. Does not own: the generated site, the
//! configuration it writes (`bench_pipeline`), or the daemon itself.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;

use super::bench_pipeline::{Counters, proc_status, start_sites, write_config};
use crate::app::cli::BenchDaemonArgs;

/// How often the child is sampled.
const SAMPLE_EVERY: Duration = Duration::from_secs(1);

/// One reading of the child's status.
#[derive(Clone, Copy, Debug)]
struct Sample {
    at: Duration,
    rss_kb: u64,
    threads: u64,
    fds: u64,
}

/// `clearfeed bench-daemon`. Works in a fresh temporary data directory, removed afterwards.
pub fn command(args: &BenchDaemonArgs) -> anyhow::Result<std::process::ExitCode> {
    anyhow::ensure!(
        args.every >= 1 && (args.every % 60 == 0 || 60 % args.every == 0),
        "--every must divide a minute or be whole minutes"
    );
    let duration = args.minutes.map_or(args.duration, |m| m * 60);
    let dir = std::env::temp_dir().join(format!("clearfeed-bench-daemon-{}", std::process::id()));
    let result = crate::app::block_on(run(&dir, args, Duration::from_secs(duration)));
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// A six-field cron schedule firing every `secs` seconds.
fn schedule_every(secs: u64) -> String {
    if secs % 60 == 0 {
        format!("0 */{} * * * *", secs / 60)
    } else {
        format!("*/{secs} * * * * *")
    }
}

async fn run(
    dir: &Path,
    args: &BenchDaemonArgs,
    duration: Duration,
) -> anyhow::Result<std::process::ExitCode> {
    let counters = Arc::new(Counters::default());
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let (bases, servers) = start_sites(args.feeds, args.articles, &counters, stop_rx).await?;
    let config = write_config(dir, &bases, Some(&schedule_every(args.every)))?;
    if args.once {
        let result = run_once(&config, dir).await;
        let _ = stop_tx.send(true);
        for s in servers {
            let _ = s.await;
        }
        return result;
    }
    println!(
        "bench-daemon: {} feeds x {} articles, every feed every {} s, for {} s; `clearfeed run` \
         as a child process",
        args.feeds,
        args.articles,
        args.every,
        duration.as_secs()
    );
    let listen = free_loopback_port()?;
    let mut child = std::process::Command::new(std::env::current_exe()?)
        .arg("run")
        .arg("--config")
        .arg(&config)
        .arg("--data-dir")
        .arg(dir)
        .arg("--listen")
        .arg(&listen)
        .env("RUST_LOG", "warn")
        .spawn()
        .context("cannot start clearfeed run")?;
    let result = sample(&mut child, dir, args, duration, &counters).await;
    let passes = passes(&listen).await;
    let _ = child.kill();
    let _ = child.wait();
    let _ = stop_tx.send(true);
    for s in servers {
        let _ = s.await;
    }
    report(&result?, passes);
    Ok(std::process::ExitCode::SUCCESS)
}

/// A loopback address with a port free just now, for the child's server.
fn free_loopback_port() -> anyhow::Result<String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.to_string())
}

/// Feed passes run and passes refused as overlapping, from the child's `/metrics`.
async fn passes(listen: &str) -> Option<(u64, u64)> {
    let text = reqwest::get(format!("http://{listen}/metrics"))
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    let value = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
    };
    Some((
        value("clearfeed_feed_runs_total")?,
        value("clearfeed_feed_run_overlaps_total")?,
    ))
}

/// The child's open file descriptors.
fn open_fds(pid: &str) -> Option<u64> {
    Some(std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count() as u64)
}

/// `clearfeed once` over the site as a child process; its CPU time and written blocks.
async fn run_once(config: &Path, dir: &Path) -> anyhow::Result<std::process::ExitCode> {
    let exe = std::env::current_exe()?;
    let config = config.to_path_buf();
    let dir = dir.to_path_buf();
    let started = Instant::now();
    let status = tokio::task::spawn_blocking(move || {
        std::process::Command::new(exe)
            .arg("once")
            .arg("--config")
            .arg(&config)
            .arg("--data-dir")
            .arg(&dir)
            .env("RUST_LOG", "error")
            .stdout(std::process::Stdio::null())
            .status()
    })
    .await??;
    let wall = started.elapsed().as_secs_f64();
    let usage = children_usage().context("getrusage is unavailable")?;
    println!("once: {status}, {wall:.2} s");
    println!(
        "bench: once wall_s={wall:.2} user_s={:.2} sys_s={:.2} out_blocks={}",
        usage.0, usage.1, usage.2
    );
    Ok(std::process::ExitCode::SUCCESS)
}

/// User and system seconds and output blocks of the waited-for children.
#[cfg(unix)]
fn children_usage() -> Option<(f64, f64, i64)> {
    // SAFETY: getrusage only writes the struct it is given, which lives for the call; all-zero
    // bytes are a valid `rusage`.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    (rc == 0).then(|| {
        (
            secs(usage.ru_utime),
            secs(usage.ru_stime),
            usage.ru_oublock as i64,
        )
    })
}

#[cfg(not(unix))]
fn children_usage() -> Option<(f64, f64, i64)> {
    None
}

/// What the sampling saw.
struct Run {
    samples: Vec<Sample>,
    /// The sample taken when the first pass was complete.
    first_pass: Option<Sample>,
    /// Where the steady state begins: the last schedule period.
    steady_from: Duration,
}

/// Samples the child until the duration is over; notes when the first pass is complete.
async fn sample(
    child: &mut std::process::Child,
    dir: &Path,
    args: &BenchDaemonArgs,
    duration: Duration,
    counters: &Counters,
) -> anyhow::Result<Run> {
    let pid = child.id().to_string();
    let started = Instant::now();
    let articles = (args.feeds * args.articles) as u64;
    let mut run = Run {
        samples: Vec::new(),
        first_pass: None,
        steady_from: duration.saturating_sub(Duration::from_secs(args.every)),
    };
    // The first sample right after start-up, the rest once a second.
    tokio::time::sleep(Duration::from_millis(300)).await;
    while started.elapsed() < duration {
        if let Some(status) = child.try_wait()? {
            anyhow::bail!("clearfeed run exited early: {status}");
        }
        let (Some(rss_kb), Some(threads), Some(fds)) = (
            proc_status(&pid, "VmRSS"),
            proc_status(&pid, "Threads"),
            open_fds(&pid),
        ) else {
            anyhow::bail!("cannot read /proc/{pid}/status (this benchmark needs Linux)");
        };
        let s = Sample {
            at: started.elapsed(),
            rss_kb,
            threads,
            fds,
        };
        run.samples.push(s);
        if run.first_pass.is_none() && first_pass_done(dir, args.feeds, articles, counters) {
            println!("first pass complete after {:.1} s", s.at.as_secs_f64());
            run.first_pass = Some(s);
        }
        tokio::time::sleep(SAMPLE_EVERY).await;
    }
    Ok(run)
}

/// Every article was requested once and every feed has its files.
fn first_pass_done(dir: &Path, feeds: usize, articles: u64, counters: &Counters) -> bool {
    let [requests, ..] = counters.snapshot();
    if requests < articles + feeds as u64 {
        return false;
    }
    let public = dir.join("public");
    (0..feeds).all(|i| public.join(format!("bench-{i:03}.json")).is_file())
}

fn mb(kb: u64) -> String {
    format!("{:.1}", kb as f64 / 1024.0)
}

impl Run {
    fn max(&self, of: fn(&Sample) -> u64) -> u64 {
        self.samples.iter().map(of).max().unwrap_or(0)
    }

    /// The highest value in the steady state.
    fn steady(&self, of: fn(&Sample) -> u64) -> Option<u64> {
        let steady = self.samples.iter().filter(|s| s.at >= self.steady_from);
        steady.map(of).max()
    }
}

fn report(run: &Run, passes: Option<(u64, u64)>) {
    let Some(start) = run.samples.first() else {
        println!("bench: no samples (duration too short)");
        return;
    };
    let first = run.first_pass.map(|s| mb(s.rss_kb));
    if run.first_pass.is_none() {
        println!("note: the first pass did not complete within the duration");
    }
    let na = || "n/a".to_string();
    let (runs, overlaps) =
        passes.map_or_else(|| (na(), na()), |(r, o)| (r.to_string(), o.to_string()));
    println!(
        "bench: daemon rss_start_mb={} rss_first_pass_mb={} rss_steady_mb={} rss_max_mb={} \
         threads={} fds_start={} fds_steady={} fds_max={} runs={runs} overlaps={overlaps}",
        mb(start.rss_kb),
        first.unwrap_or_else(na),
        run.steady(|s| s.rss_kb).map_or_else(na, mb),
        mb(run.max(|s| s.rss_kb)),
        run.max(|s| s.threads),
        start.fds,
        run.steady(|s| s.fds).map_or_else(na, |f| f.to_string()),
        run.max(|s| s.fds),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_fire_at_the_asked_period() {
        assert_eq!(schedule_every(60), "0 */1 * * * *");
        assert_eq!(schedule_every(20), "*/20 * * * * *");
        for every in [60, 20, 120] {
            crate::schedule::parse_schedule(&schedule_every(every)).unwrap();
        }
    }
}

//! `clearfeed bench-pipeline`: the whole pipeline against a generated loopback news site.
//!
//! Each feed gets its own loopback host (127.0.1.1, 127.0.1.2, ...; all of 127.0.0.0/8 reaches the
//! local machine on Linux), so per-host politeness applies per feed as it would on the internet,
//! instead of serializing every request behind one host's delay. Pages are generated on request
//! from their (feed, article) numbers rather than held in memory, so the process's peak memory is
//! the pipeline's, not the fixture's.
//!
//! Two passes: a first over a fresh data directory (everything new), then a second over unchanged
//! content, where a polite client sends only conditional requests (answered 304).
//!
//! Owns: the generated site, the benchmark's configuration, the passes and their report. Does not
//! own: the pipeline or the scheduler it drives, nor the fixture site's conditional-GET responder
//! (`site`) and article pages (`demo`).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{TimeZone, Utc};

use super::demo::{SampleArticle, render_article_page};
use super::site::{SitePage, SiteStats};

/// Politeness used for the benchmark; printed with the results since they bound the cycle time.
const PER_HOST_DELAY: &str = "100ms";
const PER_HOST_CONCURRENCY: usize = 2;
const CONCURRENCY: usize = 16;

/// Counts what the generated site was asked: requests, conditional ones and 304s as on any
/// fixture site, plus robots.txt requests, and feed and article requests by user agent (each
/// worker of `bench-pipeline --workers` names itself in its own).
#[derive(Debug, Default)]
pub(crate) struct Counters {
    site: SiteStats,
    robots: AtomicU64,
    by_agent: std::sync::Mutex<std::collections::HashMap<String, [u64; 2]>>,
}

impl Counters {
    /// Requests, conditional requests, 304s, robots.txt requests.
    pub(crate) fn snapshot(&self) -> [u64; 4] {
        let (requests, conditional, not_modified) = self.site.snapshot();
        [
            requests,
            conditional,
            not_modified,
            self.robots.load(Ordering::Relaxed),
        ]
    }

    /// Feed requests and article requests so far by the user agent `agent`.
    pub(crate) fn by_agent(&self, agent: &str) -> [u64; 2] {
        let counts = self.by_agent.lock().unwrap_or_else(|e| e.into_inner());
        counts.get(agent).copied().unwrap_or_default()
    }

    /// Counts a request for a feed (`kind` 0) or an article (`kind` 1) by its user agent.
    fn count_agent(&self, headers: &HeaderMap, kind: usize) {
        let agent = headers
            .get(axum::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let mut counts = self.by_agent.lock().unwrap_or_else(|e| e.into_inner());
        counts.entry(agent.to_string()).or_default()[kind] += 1;
    }
}

#[derive(Clone)]
struct SiteState {
    feed: usize,
    articles: usize,
    counters: Arc<Counters>,
    base: Arc<String>,
}

const SUBJECTS: [&str; 6] = [
    "The harbour board",
    "A group of residents",
    "The regional water company",
    "Teachers at the northern school",
    "The city's planning office",
    "Researchers at the marine station",
];
const ACTIONS: [&str; 6] = [
    "published a plan to replace the old pier",
    "asked for a second crossing over the canal",
    "reported a rise in visitors over the spring",
    "opened a consultation on cycle lanes",
    "found that repairs will take another year",
    "agreed to share the cost of a new ferry",
];
const DETAILS: [&str; 5] = [
    "The proposal will be debated at the next council meeting.",
    "Local businesses said they welcomed the decision but wanted more detail on costs.",
    "A public meeting is planned for the end of the month in the town hall.",
    "Officials said the figures would be checked again in the autumn.",
    "Residents can comment on the plans online or at the library until the end of June.",
];

/// The generated article `n` of feed `feed`: varied text from small pools, a unique title.
pub(crate) fn generated_article(feed: usize, n: usize) -> SampleArticle {
    let pick = |pool: &[&'static str], k: usize| pool[(feed * 7 + n * 3 + k) % pool.len()];
    let date = Utc.with_ymd_and_hms(2026, 5, 12, 12, 0, 0).unwrap()
        - chrono::Duration::hours(n as i64)
        - chrono::Duration::minutes(feed as i64);
    let lead = format!("{} {}.", pick(&SUBJECTS, 0), pick(&ACTIONS, 1));
    let mut body = vec![lead.clone()];
    for k in 0..5 {
        body.push(format!(
            "{} {} {}",
            pick(&DETAILS, k),
            pick(&SUBJECTS, k + 2),
            pick(&ACTIONS, k + 3)
        ));
    }
    SampleArticle {
        slug: format!("story-{n}"),
        section: "city".into(),
        title: format!("Story {n} of feed {feed}: {}", pick(&ACTIONS, 5)),
        teaser: lead,
        author: format!("Reporter {}", feed % 13),
        date,
        minutes: 3 + (n % 5) as u32,
        image: format!("/img/{feed}-{n}.jpg"),
        image_alt: "A photo".into(),
        caption: "A file photo of the harbour.".into(),
        credit: "Archive".into(),
        key_points: (0..3)
            .map(|k| format!("{} {}", pick(&SUBJECTS, k + 4), pick(&ACTIONS, k + 2)))
            .collect(),
        body,
        related: vec![],
        in_feed: true,
    }
}

fn upstream_feed(state: &SiteState) -> String {
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version=\"2.0\"><channel>\
         <title>Generated feed {}</title><link>{}</link><description>bench</description>\n",
        state.feed, state.base
    );
    for n in 0..state.articles {
        let a = generated_article(state.feed, n);
        let url = format!("{}news/{}", state.base, a.slug);
        xml.push_str(&format!(
            "<item><title>{}</title><link>{url}</link><guid>{url}</guid><pubDate>{}</pubDate>\
             <description>{}</description></item>\n",
            crate::publish::escape_html(&a.title),
            a.date.to_rfc2822(),
            crate::publish::escape_html(&format!("<p>{}</p><p>ADVERTISEMENT</p>", a.teaser)),
        ));
    }
    xml.push_str("</channel></rss>\n");
    xml
}

async fn feed_xml(State(state): State<SiteState>, headers: HeaderMap) -> Response {
    state.counters.site.count(&headers);
    state.counters.count_agent(&headers, 0);
    SitePage::new("application/rss+xml; charset=utf-8", upstream_feed(&state))
        .respond(&headers, &state.counters.site)
}

async fn article(
    State(state): State<SiteState>,
    UrlPath(slug): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    state.counters.site.count(&headers);
    state.counters.count_agent(&headers, 1);
    let n = slug
        .strip_prefix("story-")
        .and_then(|n| n.parse::<usize>().ok())
        .filter(|&n| n < state.articles);
    let Some(n) = n else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    let page = render_article_page(&generated_article(state.feed, n), &[], &state.base);
    SitePage::html(page).respond(&headers, &state.counters.site)
}

async fn robots(State(state): State<SiteState>) -> &'static str {
    state.counters.site.requests.fetch_add(1, Ordering::Relaxed);
    state.counters.robots.fetch_add(1, Ordering::Relaxed);
    "User-agent: *\nAllow: /\n"
}

/// The loopback address of feed `i`: 127.0.1.1, 127.0.1.2, ... (then 127.0.2.x past 250).
fn host_for(i: usize) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(
        127,
        0,
        1 + (i / 250) as u8,
        1 + (i % 250) as u8,
    ))
}

/// Peak resident memory of this process (VmHWM), in kB, where /proc is available.
pub fn peak_memory_kb() -> Option<u64> {
    proc_status("self", "VmHWM")
}

/// The first number of a field of `/proc/<pid>/status` (`VmRSS` in kB, `Threads`, ...).
pub fn proc_status(pid: &str, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
}

/// Writes the benchmark's configuration: one feed file per generated feed, each with `schedule`
/// when given (the daemon benchmark), else the default.
pub(crate) fn write_config(
    dir: &Path,
    bases: &[String],
    schedule: Option<&str>,
) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(dir.join("feeds"))?;
    let config = dir.join("clearfeed.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = \".\"\nmax_items = 1000\n\n[fetch]\nallow_private_networks = true\n\
             concurrency = {CONCURRENCY}\nper_host_concurrency = {PER_HOST_CONCURRENCY}\n\
             per_host_delay = \"{PER_HOST_DELAY}\"\n"
        ),
    )?;
    let schedule = schedule.map_or(String::new(), |s| format!("schedule = \"{s}\"\n"));
    for (i, base) in bases.iter().enumerate() {
        std::fs::write(
            dir.join(format!("feeds/bench-{i:03}.toml")),
            format!(
                "title = \"Bench feed {i}\"\n{schedule}\n[source]\nkind = \"feed\"\nurl = \"{base}feed.xml\"\n"
            ),
        )?;
    }
    Ok(config)
}

/// `clearfeed bench-pipeline`. Works in a fresh temporary data directory, removed afterwards.
pub fn command(
    args: &crate::app::cli::BenchPipelineArgs,
) -> anyhow::Result<std::process::ExitCode> {
    let dir = std::env::temp_dir().join(format!("clearfeed-bench-{}", std::process::id()));
    let result = match &args.database {
        Some(url) => crate::app::block_on(super::bench_workers::run(
            &dir,
            args.feeds,
            args.articles,
            url,
            args.workers,
        )),
        None => crate::app::block_on(run(&dir, args.feeds, args.articles)),
    };
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn run(dir: &Path, feeds: usize, articles: usize) -> anyhow::Result<std::process::ExitCode> {
    let counters = Arc::new(Counters::default());
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let (bases, servers) = start_sites(feeds, articles, &counters, stop_rx).await?;
    let config_path = write_config(dir, &bases, None)?;
    let config = crate::config::AppConfig::load_from(&config_path, Some(dir.to_path_buf()))?;
    let feed_configs = config.feeds.clone();
    let pipeline = crate::pipeline::Pipeline::new(config)?;
    print_header(feeds, articles);
    let mut passes = Vec::new();
    for pass in 1..=2 {
        passes.push(run_pass(pass, &pipeline, &feed_configs, &counters).await);
    }
    let _ = stop_tx.send(true);
    for s in servers {
        let _ = s.await;
    }
    let peak_mb = peak_memory_kb().map(|kb| kb as f64 / 1024.0);
    match peak_mb {
        Some(mb) => println!("peak memory (VmHWM): {mb:.1} MB"),
        None => println!("peak memory: unavailable (no /proc/self/status)"),
    }
    print_summary(feeds, articles, &passes[0], &passes[1], peak_mb);
    Ok(std::process::ExitCode::SUCCESS)
}

/// The first line: what is measured, under which politeness.
pub(super) fn print_header(feeds: usize, articles: usize) {
    println!(
        "bench-pipeline: {feeds} feeds x {articles} articles, one loopback address per feed \
         (per-host delay {PER_HOST_DELAY}, per-host concurrency {PER_HOST_CONCURRENCY}, \
         concurrency {CONCURRENCY})"
    );
}

/// A running generated site.
pub(crate) type SiteServer = tokio::task::JoinHandle<std::io::Result<()>>;

/// Starts one generated site per feed, each on its own loopback address where the system has
/// them, serving until `stop` turns true. Returns their base URLs and server tasks.
pub(crate) async fn start_sites(
    feeds: usize,
    articles: usize,
    counters: &Arc<Counters>,
    stop: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<(Vec<String>, Vec<SiteServer>)> {
    let mut bases = Vec::with_capacity(feeds);
    let mut servers = Vec::with_capacity(feeds);
    for i in 0..feeds {
        let listener = match tokio::net::TcpListener::bind(SocketAddr::new(host_for(i), 0)).await {
            Ok(l) => l,
            // Systems other than Linux may only have 127.0.0.1: the feeds then share one host, so
            // per-host politeness serializes them and the cycle time measures mostly the delay.
            Err(e) => {
                if i == 0 {
                    println!(
                        "note: cannot bind {} ({e}); all feeds use 127.0.0.1",
                        host_for(i)
                    );
                }
                tokio::net::TcpListener::bind("127.0.0.1:0").await?
            }
        };
        let base = format!("http://{}/", listener.local_addr()?);
        let state = SiteState {
            feed: i,
            articles,
            counters: counters.clone(),
            base: Arc::new(base.clone()),
        };
        let router = axum::Router::new()
            .route("/feed.xml", get(feed_xml))
            .route("/news/{slug}", get(article))
            .route("/robots.txt", get(robots))
            .with_state(state);
        let mut rx = stop.clone();
        servers.push(tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    let _ = rx.wait_for(|s| *s).await;
                })
                .await
        }));
        bases.push(base);
    }
    Ok((bases, servers))
}

/// What one pass over every feed took and asked of the sites.
pub(super) struct PassFigures {
    pub(super) secs: f64,
    /// Articles new, updated or unchanged.
    pub(super) processed: usize,
    pub(super) requests: u64,
    pub(super) conditional: u64,
    pub(super) unconditional: u64,
}

/// Runs every feed once, prints the pass's line, and returns its figures.
async fn run_pass(
    pass: usize,
    pipeline: &crate::pipeline::Pipeline,
    feed_configs: &[crate::pipeline::FeedConfig],
    counters: &Counters,
) -> PassFigures {
    let before = counters.snapshot();
    let started = Instant::now();
    let reports = crate::schedule::run_all(pipeline, feed_configs, CONCURRENCY).await;
    let secs = started.elapsed().as_secs_f64();
    let after = counters.snapshot();
    let [req, cond, nm, robots] = [0, 1, 2, 3].map(|k| after[k] - before[k]);
    let sum = |f: fn(&crate::pipeline::FeedReport) -> usize| reports.iter().map(f).sum::<usize>();
    let failed_feeds = reports.iter().filter(|r| r.error.is_some()).count();
    let (new, updated, unchanged, failed) = (
        sum(|r| r.new),
        sum(|r| r.updated),
        sum(|r| r.unchanged),
        sum(|r| r.failed),
    );
    let processed = new + updated + unchanged;
    println!(
        "pass {pass}: {secs:.2} s, {new} new, {updated} updated, {unchanged} unchanged, \
         {failed} failed articles, {failed_feeds} failed feeds; {:.0} articles/s; \
         {req} requests ({cond} conditional, {nm} answered 304, {robots} robots.txt, {} unconditional)",
        processed as f64 / secs.max(1e-9),
        req - cond - robots,
    );
    if let Some(r) = reports.iter().find(|r| r.error.is_some()) {
        println!(
            "  first failed feed: {}: {}",
            r.feed,
            r.error.as_deref().unwrap_or("")
        );
    }
    PassFigures {
        secs,
        processed,
        requests: req,
        conditional: cond,
        unconditional: req - cond - robots,
    }
}

/// The one-line summary: the first pass's cycle time and throughput, the second pass's requests,
/// the peak memory (of the largest process).
pub(super) fn print_summary(
    feeds: usize,
    articles: usize,
    first: &PassFigures,
    second: &PassFigures,
    peak_mb: Option<f64>,
) {
    let (secs1, processed1) = (first.secs, first.processed);
    let (req2, cond2, uncond2) = (second.requests, second.conditional, second.unconditional);
    println!(
        "bench: feeds={feeds} articles={articles} cycle_s={secs1:.2} articles_per_s={:.0} \
         second_pass_requests={req2} conditional={cond2} unconditional={uncond2} peak_mb={}",
        processed1 as f64 / secs1.max(1e-9),
        peak_mb
            .map(|m| format!("{m:.1}"))
            .unwrap_or_else(|| "n/a".into()),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_articles_are_distinct_and_render() {
        let a = generated_article(3, 7);
        let b = generated_article(3, 8);
        let c = generated_article(4, 7);
        assert_ne!(a.title, b.title);
        assert_ne!(a.title, c.title);
        assert_eq!(a.title, generated_article(3, 7).title, "deterministic");
        let page = render_article_page(&a, &[], "http://127.0.1.4:9/");
        assert!(page.contains(&crate::publish::escape_html(&a.key_points[0])));
        let state = SiteState {
            feed: 3,
            articles: 50,
            counters: Default::default(),
            base: Arc::new("http://127.0.1.4:9/".into()),
        };
        let feed = feed_rs::parser::parse(upstream_feed(&state).as_bytes()).unwrap();
        assert_eq!(feed.entries.len(), 50);
    }

    #[test]
    fn hosts_are_distinct_loopback_addresses() {
        let hosts: std::collections::HashSet<_> = (0..600).map(host_for).collect();
        assert_eq!(hosts.len(), 600);
        assert!(hosts.iter().all(|h| h.is_loopback()));
    }

    #[test]
    fn peak_memory_is_read_on_linux() {
        if cfg!(target_os = "linux") {
            assert!(peak_memory_kb().unwrap() > 0);
        }
    }
}

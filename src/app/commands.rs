//! The commands: what each `clearfeed` subcommand does with the stages, given its parsed
//! arguments and the configuration loaded once by [`super::run`]. Each function takes plain values
//! where it can and returns the process exit code; printing for people happens here.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use chrono::{DateTime, Utc};

use crate::config::AppConfig;
use crate::pipeline::{FeedConfig, Pipeline};
use crate::schedule::DaemonOptions;
use crate::serve::AppState;
use crate::store::{Database, FeedState, Store};

/// `clearfeed once [FEED...]`: one pass over the chosen feeds, all at once (the fetcher's global
/// and per-host limits pace them), a progress bar on a terminal, one line per feed. On Ctrl-C or
/// SIGTERM the passes stop fetching and publish what they read before the command ends.
pub async fn once(config: AppConfig, ids: &[String]) -> anyhow::Result<ExitCode> {
    let feeds = select_feeds(&config, ids)?;
    if feeds.is_empty() {
        say!(
            "no feeds: add feed files (*.toml) to {}",
            config.feeds_dir.display()
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    let pipeline = Pipeline::new(config)?;
    let bar = std::io::stderr()
        .is_terminal()
        .then(|| progress_bar(feeds.len()));
    let mut stopped = false;
    let reports = {
        let run = crate::schedule::run_all_with(&pipeline, &feeds, feeds.len(), |r| {
            if let Some(bar) = &bar {
                bar.set_message(r.feed.clone());
                bar.inc(1);
            }
        });
        tokio::pin!(run);
        tokio::select! {
            reports = &mut run => reports,
            _ = crate::serve::shutdown_signal() => {
                stopped = true;
                pipeline.stop_fetching();
                let grace = crate::schedule::SHUTDOWN_GRACE;
                tokio::time::timeout(grace, &mut run).await.unwrap_or_default()
            }
        }
    };
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    for report in &reports {
        say!("{report}")?;
    }
    if stopped {
        eprintln!(
            "stopped by a signal: what was read is published, the rest waits for the next run"
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(exit_code(reports.iter().all(|r| r.error.is_none())))
}

fn progress_bar(len: usize) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(len as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} feeds  {msg}")
            .expect("static template"),
    );
    bar
}

/// `clearfeed run`: the daemon and the HTTP server beside it, until Ctrl-C or SIGTERM.
pub async fn run(config: AppConfig, listen: Option<SocketAddr>) -> anyhow::Result<ExitCode> {
    let listen = listen.unwrap_or(config.listen);
    let feeds = config.feeds.clone();
    let pipeline = Pipeline::new(config)?;
    let listener = bind(listen).await?;
    tracing::info!(address = %listener.local_addr()?, "serving feeds");
    // Feed passes at once: the same bound as requests in flight, since a pass mostly waits on its
    // requests.
    let options = DaemonOptions {
        concurrency: pipeline.settings().fetch.concurrency,
        idle: Some(super::release_free_memory),
        ..Default::default()
    };
    let token = crate::serve::access_token_from_env();
    daemon(
        pipeline,
        feeds,
        Some(listener),
        options,
        token,
        crate::serve::shutdown_signal(),
    )
    .await?;
    Ok(ExitCode::SUCCESS)
}

/// The daemon with its server: every feed on its schedule, and (when `listener` is given) the
/// published feeds served on it, both until `shutdown` completes.
pub async fn daemon(
    pipeline: Pipeline,
    feeds: Vec<FeedConfig>,
    listener: Option<tokio::net::TcpListener>,
    options: DaemonOptions,
    access_token: Option<String>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let (tx, rx) = tokio::sync::watch::channel(false);
    let server = listener.map(|listener| {
        let state = AppState::for_target(pipeline.publish_target().clone())
            .with_pipeline(pipeline.clone())
            .with_scheduled_runs()
            .with_access_token(access_token.as_deref());
        let mut rx = rx.clone();
        tokio::spawn(crate::serve::serve(listener, state, async move {
            let _ = rx.wait_for(|stop| *stop).await;
        }))
    });
    let mut rx_daemon = rx.clone();
    let stop = async move {
        let _ = rx_daemon.wait_for(|stop| *stop).await;
    };
    // Over a shared database, workers claim feeds instead of each running every feed.
    let daemon: std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<()>> + Send>> =
        if pipeline.store().is_shared() {
            Box::pin(crate::workers::run_workers(pipeline, feeds, options, stop))
        } else {
            Box::pin(crate::schedule::run_daemon(pipeline, feeds, options, stop))
        };
    tokio::spawn(async move {
        shutdown.await;
        let _ = tx.send(true);
    });
    daemon.await?;
    if let Some(server) = server {
        server.await??;
    }
    Ok(())
}

/// `clearfeed serve`: the published feeds only.
pub async fn serve(config: AppConfig, listen: Option<SocketAddr>) -> anyhow::Result<ExitCode> {
    let listen = listen.unwrap_or(config.listen);
    let public = config.public_dir();
    let target = crate::publish::PublishTarget::of(config.publish_to.as_ref(), public.clone())?;
    let listener = bind(listen).await?;
    let shown = match &config.publish_to {
        Some(location) => location.shown(),
        None => public.display().to_string(),
    };
    tracing::info!(address = %listener.local_addr()?, public = %shown, "serving feeds");
    let token = crate::serve::access_token_from_env();
    let mut state = AppState::for_target(target).with_access_token(token.as_deref());
    // The index page shows the feeds' health when the database is here; read-only, so serving
    // never changes it (nor creates one).
    let db = config.db_path();
    if db.exists() {
        match Store::open_read_only(&db) {
            Ok(store) => state = state.with_feed_state(store),
            Err(e) => tracing::warn!(error = %e, "the index page shows no feed health"),
        }
    }
    crate::serve::serve(listener, state, crate::serve::shutdown_signal()).await?;
    Ok(ExitCode::SUCCESS)
}

/// Binds the server's socket, first raising the open-file limit so that connections, not the
/// default limit of 1,024 descriptors, are what the server's cap counts.
async fn bind(listen: SocketAddr) -> anyhow::Result<tokio::net::TcpListener> {
    if let Some(limit) = crate::serve::raise_fd_limit() {
        tracing::debug!(limit, "open-file limit");
    }
    tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {listen}: {e}"))
}

/// `clearfeed check`: validate all configuration and print every problem.
pub fn check(config_path: &Path, data_dir: Option<std::path::PathBuf>) -> anyhow::Result<ExitCode> {
    let (text, errors) = crate::config::check(config_path, data_dir);
    say_raw!("{text}")?;
    Ok(exit_code(errors == 0))
}

/// `clearfeed status`.
pub fn status(config: &AppConfig) -> anyhow::Result<ExitCode> {
    let db = config.db_path();
    let shared = matches!(config.database(), Database::Postgres(_));
    // Looking must not create anything: without a database there is no state, only the feeds.
    let store = if shared {
        Some(Store::open_database(&config.database()).context("opening the database")?)
    } else if db.exists() {
        Some(Store::open_read_only(&db).context("opening the database")?)
    } else {
        say!(
            "no database at {} yet: run `clearfeed once` first",
            db.display()
        )?;
        None
    };
    let (states, holds) = match &store {
        Some(store) => {
            let holds = store.host_holds(Utc::now()).unwrap_or_else(|e| {
                tracing::warn!("cannot read the host holds: {e}");
                Vec::new()
            });
            (store.feed_states()?, holds)
        }
        None => Default::default(),
    };
    say_raw!(
        "{}",
        status_table(&config.feeds, &config.feed_errors, &states)
    )?;
    say_raw!("{}", holds_table(&holds))?;
    Ok(ExitCode::SUCCESS)
}

/// The hosts on hold (a long Retry-After, a failure streak) and why: runs until then leave
/// their articles for later. Empty when none is.
pub fn holds_table(holds: &[crate::store::HostHold]) -> String {
    if holds.is_empty() {
        return String::new();
    }
    let width = holds
        .iter()
        .map(|h| h.host.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = format!("\n{:<width$}  ON HOLD UNTIL (UTC)  REASON\n", "HOST");
    for h in holds {
        let until = h.until.format("%Y-%m-%d %H:%M:%S");
        let reason = if h.reason.is_empty() { "-" } else { &h.reason };
        out.push_str(&format!("{:<width$}  {until}  {reason}\n", h.host));
    }
    out
}

/// The `status` table: one row per configured feed (and per stored feed no longer configured).
pub fn status_table(
    feeds: &[FeedConfig],
    feed_errors: &[crate::config::ConfigError],
    states: &[FeedState],
) -> String {
    let fmt_time = |t: Option<DateTime<Utc>>| {
        t.map(|t| t.format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_else(|| "never".into())
    };
    let mut rows = vec![[
        "FEED".to_string(),
        "ITEMS".into(),
        "LAST SUCCESS".into(),
        "FAILS".into(),
        "SITE RULES".into(),
        "LAST ERROR".into(),
    ]];
    let mut ids: Vec<(String, bool)> = feeds.iter().map(|f| (f.id.clone(), true)).collect();
    for s in states {
        if !ids.iter().any(|(id, _)| *id == s.id) {
            ids.push((s.id.clone(), false));
        }
    }
    for (id, configured) in ids {
        let state = states.iter().find(|s| s.id == id);
        let name = if configured {
            id.clone()
        } else {
            format!("{id} (not configured)")
        };
        rows.push([
            name,
            state.map_or(0, |s| s.item_count).to_string(),
            fmt_time(state.and_then(|s| s.last_success)),
            state.map_or(0, |s| s.consecutive_failures).to_string(),
            state
                .and_then(|s| s.rules.summary())
                .unwrap_or_else(|| "-".into()),
            state
                .and_then(|s| {
                    s.last_error.clone().or_else(|| {
                        // The feed was read, but some of its articles were not.
                        s.last_item_error.as_ref().map(|e| {
                            format!("{} article(s) not read, last: {e}", s.last_run_failed)
                        })
                    })
                })
                .unwrap_or_else(|| "-".into()),
        ]);
    }
    for err in feed_errors {
        rows.push([
            format!("{} (disabled)", err.file.display()),
            "-".into(),
            "-".into(),
            "-".into(),
            "-".into(),
            err.to_string(),
        ]);
    }
    let widths: Vec<usize> = (0..5)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for r in rows {
        for c in 0..5 {
            out.push_str(&format!("{:<w$}  ", r[c], w = widths[c]));
        }
        out.push_str(&r[5]);
        out.push('\n');
    }
    out
}

/// The feeds named on the command line (all when none are), with a clear error for an unknown or
/// disabled id.
pub fn select_feeds(config: &AppConfig, ids: &[String]) -> anyhow::Result<Vec<FeedConfig>> {
    if ids.is_empty() {
        return Ok(config.feeds.clone());
    }
    ids.iter()
        .map(|id| {
            if let Some(f) = config.feeds.iter().find(|f| f.id == *id) {
                return Ok(f.clone());
            }
            if let Some(err) = config
                .feed_errors
                .iter()
                .find(|e| e.file.file_stem().is_some_and(|s| s == id.as_str()))
            {
                anyhow::bail!("feed {id:?} is disabled: {err}");
            }
            let known: Vec<_> = config.feeds.iter().map(|f| f.id.as_str()).collect();
            anyhow::bail!(
                "no feed {id:?} in {} (feeds: {})",
                config.feeds_dir.display(),
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            )
        })
        .collect()
}

/// `clearfeed rules stats DIR` and `clearfeed rules show URL`.
pub fn rules(command: &crate::app::cli::RulesCommand) -> anyhow::Result<ExitCode> {
    use crate::app::cli::RulesCommand;
    use crate::rules::{RulesLibrary, stats_line};
    match command {
        RulesCommand::Stats { dir } => {
            anyhow::ensure!(dir.is_dir(), "{} is not a directory", dir.display());
            let (_, report) = RulesLibrary::load(Some(dir), None);
            say!("{}", stats_line(&report))?;
            Ok(exit_code(report.loaded > 0))
        }
        RulesCommand::Check(_) => unreachable!("`rules check` is dispatched by app::run"),
        RulesCommand::Show {
            url,
            rules_dir,
            ftr_rules_dir,
        } => {
            let host = url.host_str().context("the URL has no host")?;
            let (library, _) = RulesLibrary::load(rules_dir.as_deref(), ftr_rules_dir.as_deref());
            let found = library.for_host(host);
            if found.is_empty() {
                say!("no site rules for {host}")?;
            }
            for rules in found {
                say!("{} ({:?})", rules.path.display(), rules.origin)?;
                say!(
                    "  body: {:?}",
                    rules.body.iter().map(|r| &r.css).collect::<Vec<_>>()
                )?;
                say!("  strip: {:?}", rules.strip)?;
                if rules.requires_login {
                    say!("  requires_login: the site needs a login; these rules are not applied")?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `clearfeed import FILE.opml`: a feed file per outline, then what was written and skipped.
pub fn import(config: &AppConfig, file: &Path) -> anyhow::Result<ExitCode> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let report = crate::config::import_opml(&text, &config.feeds_dir, &config.feeds)
        .with_context(|| format!("importing {}", file.display()))?;
    for (path, title) in &report.written {
        say!("wrote {} ({title})", path.display())?;
    }
    for why in &report.skipped {
        say!("skipped {why}")?;
    }
    say!(
        "{} written, {} skipped",
        report.written.len(),
        report.skipped.len()
    )?;
    Ok(ExitCode::SUCCESS)
}

/// `clearfeed export`: the configured upstream feeds as OPML on stdout. Listing pages and
/// sitemaps are no feeds a reader could follow: they are named on stderr and left out.
pub fn export(config: &AppConfig) -> anyhow::Result<ExitCode> {
    use crate::source::SourceKind;
    let mut outlines = Vec::new();
    for feed in &config.feeds {
        if !matches!(feed.source, SourceKind::Feed) {
            eprintln!("not exported: {} (not an upstream feed)", feed.id);
            continue;
        }
        outlines.push(crate::publish::Outline {
            title: feed.title.clone(),
            xml_url: feed.source_url.to_string(),
            html_url: feed
                .source_url
                .join("/")
                .map_or_else(|_| String::new(), |u| u.to_string()),
        });
    }
    say_raw!(
        "{}",
        crate::publish::render_outlines("clearfeed sources", &outlines)
    )?;
    Ok(ExitCode::SUCCESS)
}

/// Exit status 0 when `ok`, 1 otherwise.
pub fn exit_code(ok: bool) -> ExitCode {
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

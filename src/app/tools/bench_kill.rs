//! `clearfeed bench-kill`: crash safety under `kill -9`, as a benchmark. A loopback site serves one
//! upstream feed per round; before each round one more feed file is added (so every run has work),
//! `clearfeed once` is started and killed with SIGKILL at a random moment, and then the database
//! must pass `PRAGMA integrity_check`, every published file must parse, and no item may be stored
//! twice. A last, unkilled run must leave every feed with all its items exactly once. Prints one
//! `bench:` line; exits non-zero when any check failed.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use rand::{Rng, SeedableRng};

use super::site::{LoopbackSite, SitePage};
use crate::app::cli::BenchKillArgs;

/// Runs the benchmark (on its own runtime: the loopback site runs beside the killed processes).
pub fn command(args: &BenchKillArgs) -> anyhow::Result<ExitCode> {
    crate::app::block_on(run(args))
}

/// What the rounds found.
#[derive(Debug, Default)]
struct Tally {
    /// Runs that were still going when the kill came (the others had already finished).
    mid_run: usize,
    integrity_ok: usize,
    torn: Vec<String>,
    duplicates: Vec<String>,
}

async fn run(args: &BenchKillArgs) -> anyhow::Result<ExitCode> {
    let (dir, remove) = match &args.keep {
        Some(dir) => (dir.clone(), false),
        None => (
            std::env::temp_dir().join(format!("clearfeed-bench-kill-{}", std::process::id())),
            true,
        ),
    };
    std::fs::create_dir_all(dir.join("feeds"))
        .with_context(|| format!("cannot create {}", dir.display()))?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}/", listener.local_addr()?);
    let site = LoopbackSite::start(listener, site_pages(&base, args.kills, args.articles));
    std::fs::write(
        dir.join("clearfeed.toml"),
        "data_dir = \"data\"\nmax_items = 1000\n[fetch]\nallow_private_networks = true\n\
         per_host_delay = \"60ms\"\n",
    )?;
    let mut rng = rand::rngs::StdRng::seed_from_u64(args.seed);
    let mut tally = Tally::default();
    let started = Instant::now();
    for round in 0..args.kills {
        let feed = format!("[source]\nurl = \"{base}f{round}.xml\"\n");
        std::fs::write(dir.join("feeds").join(format!("f{round}.toml")), feed)?;
        let after = Duration::from_millis(rng.random_range(5..args.max_ms.max(6)));
        if kill_once_after(&dir, after).await? {
            tally.mid_run += 1;
        }
        check(&dir.join("data"), round, &mut tally);
    }
    let last = once_command(&dir).output().context("the final run")?;
    let complete = complete_feeds(&dir.join("data"), args.kills, args.articles)?;
    site.stop().await;
    if remove {
        let _ = std::fs::remove_dir_all(&dir);
    }
    let ok = tally.integrity_ok == args.kills
        && tally.torn.is_empty()
        && tally.duplicates.is_empty()
        && complete == args.kills
        && last.status.success();
    say!(
        "bench: kill-9 kills={} mid_run={} integrity_ok={}/{} torn_files={} duplicate_items={} \
         final_feeds_complete={}/{} items_per_feed={} seed={} elapsed={:.1}s",
        args.kills,
        tally.mid_run,
        tally.integrity_ok,
        args.kills,
        tally.torn.len(),
        tally.duplicates.len(),
        complete,
        args.kills,
        args.articles,
        args.seed,
        started.elapsed().as_secs_f64()
    )?;
    for problem in tally.torn.iter().chain(&tally.duplicates) {
        eprintln!("{problem}");
    }
    if !last.status.success() {
        eprintln!(
            "the final run failed: {}",
            String::from_utf8_lossy(&last.stdout)
        );
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn once_command(dir: &Path) -> std::process::Command {
    let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("clearfeed"));
    let mut cmd = std::process::Command::new(exe);
    cmd.arg("--config")
        .arg(dir.join("clearfeed.toml"))
        .arg("once")
        .env_remove("RUST_LOG")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    cmd
}

/// Starts `once`, sends it SIGKILL after `after`, and says whether it was still running then.
async fn kill_once_after(dir: &Path, after: Duration) -> anyhow::Result<bool> {
    let mut child = once_command(dir).spawn().context("cannot start once")?;
    tokio::time::sleep(after).await;
    let running = child.try_wait()?.is_none();
    child.kill()?;
    child.wait()?;
    Ok(running)
}

/// The checks after one kill: database sound, published files whole, no item stored twice.
fn check(data: &Path, round: usize, tally: &mut Tally) {
    let db = crate::pipeline::db_path_in(data);
    if !db.exists() {
        // Killed before the database was created: nothing to check, nothing to lose.
        tally.integrity_ok += 1;
        return;
    }
    match integrity(&db) {
        Ok(()) => tally.integrity_ok += 1,
        Err(e) => tally.torn.push(format!("round {round}: database: {e}")),
    }
    if let Err(e) = duplicated_items(&db) {
        tally.duplicates.push(format!("round {round}: {e}"));
    }
    let public = crate::pipeline::public_dir_in(data);
    for path in std::fs::read_dir(&public).into_iter().flatten().flatten() {
        let path = path.path();
        if let Err(e) = parses(&path) {
            tally
                .torn
                .push(format!("round {round}: {}: {e}", path.display()));
        }
    }
}

fn integrity(db: &Path) -> anyhow::Result<()> {
    let conn = rusqlite::Connection::open(db)?;
    let result: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    anyhow::ensure!(result == "ok", "integrity_check: {result}");
    Ok(())
}

/// An error naming the first article stored twice in one feed, if any.
fn duplicated_items(db: &Path) -> anyhow::Result<()> {
    let conn = rusqlite::Connection::open(db)?;
    let twice: Option<(String, String)> = conn
        .query_row(
            "SELECT feed, url FROM items GROUP BY feed, url HAVING COUNT(*) > 1 LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .ok();
    match twice {
        Some((feed, url)) => anyhow::bail!("{url} stored twice in {feed}"),
        None => Ok(()),
    }
}

/// A published file parses as what its name says (a temporary file being written is skipped: it
/// is not published until renamed).
fn parses(path: &Path) -> anyhow::Result<()> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    let bytes = std::fs::read(path)?;
    match ext {
        "rss" | "atom" | "json" => {
            feed_rs::parser::parse(&bytes[..])?;
        }
        "opml" => anyhow::ensure!(
            String::from_utf8_lossy(&bytes)
                .trim_end()
                .ends_with("</opml>"),
            "not a whole OPML document"
        ),
        _ => {}
    }
    Ok(())
}

/// Feeds whose store and published JSON feed hold every one of their `articles` exactly once.
fn complete_feeds(data: &Path, feeds: usize, articles: usize) -> anyhow::Result<usize> {
    let store = crate::store::Store::open(&crate::pipeline::db_path_in(data))?;
    let public = crate::pipeline::public_dir_in(data);
    let mut complete = 0;
    for i in 0..feeds {
        let id = format!("f{i}");
        let mut stored: Vec<String> = store
            .items(&id, 10_000)?
            .into_iter()
            .map(|i| i.url)
            .collect();
        stored.sort();
        stored.dedup();
        let json = std::fs::read(public.join(format!("{id}.json"))).unwrap_or_default();
        let published = feed_rs::parser::parse(&json[..]).map_or(0, |f| f.entries.len());
        if stored.len() == articles && published == articles {
            complete += 1;
        } else {
            eprintln!(
                "{id}: {} stored, {published} published, {articles} listed",
                stored.len()
            );
        }
    }
    Ok(complete)
}

/// The site: feed `f<i>.xml` lists `articles` articles `/f<i>/<j>`.
fn site_pages(base: &str, feeds: usize, articles: usize) -> HashMap<String, SitePage> {
    let mut pages = HashMap::new();
    for i in 0..feeds {
        let mut rss = format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel>\
             <title>District {i}</title><link>{base}</link><description>Local news</description>"
        );
        for j in 0..articles {
            let path = format!("/f{i}/{j}");
            rss.push_str(&format!(
                "<item><guid isPermaLink=\"false\">f{i}-{j}</guid><link>{base}f{i}/{j}</link>\
                 <title>District {i} notice {j}</title></item>"
            ));
            pages.insert(path, SitePage::html(article_page(i, j)));
        }
        rss.push_str("</channel></rss>");
        pages.insert(
            format!("/f{i}.xml"),
            SitePage::new("application/rss+xml", rss),
        );
    }
    pages
}

/// An invented local-news article.
fn article_page(feed: usize, n: usize) -> String {
    format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>District {feed} notice {n}</title></head>
<body><nav><a href="/">Home</a></nav><main><article><h1>District {feed} notice {n}</h1>
<p>The district {feed} office said on Thursday that notice {n} concerns the resurfacing of the
road past the primary school, planned for the first two weeks of the school holidays.</p>
<p>Buses will run on the old route through the market square while the work lasts, and the
footpath on the northern side stays open for pedestrians and cyclists throughout.</p>
<p>Comments can be sent to the district office until the end of the month.</p>
</article></main><footer>District news</footer></body></html>"#
    )
}

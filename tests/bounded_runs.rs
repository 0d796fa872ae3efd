//! Bounded runs, as `clearfeed once` meets them on one misbehaving host: a long Retry-After holds
//! the host (in the database, for the next run too) instead of the run, a dripping server is given
//! its `timeout` once, a pass stops at its `run_timeout` or on SIGTERM and publishes what it read,
//! and `on_failure = "skip"` publishes nothing for an article that could not be read.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{Reply, Server};

/// An invented article page in ordinary news markup.
fn article(title: &str) -> String {
    format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title} - Estuary Post</title></head><body>
<header><nav><a href="/">Home</a> <a href="/news/">News</a></nav></header>
<main><article><h1>{title}</h1><p class="byline">By Lena Brandt</p>
<p>{title}: the port authority confirmed the change on Tuesday after a long consultation with
the pilots, the ferry company and the residents of the old quay.</p>
<p>Work on the eastern breakwater starts in spring and is planned to last two seasons, with the
footpath along the water kept open at weekends for walkers and anglers.</p>
<p>The full plans can be seen at the harbour office on weekdays until the end of the month.</p>
</article></main><footer>Estuary Post</footer></body></html>"#
    )
}

/// An RSS feed listing `paths` on `site`, in this order.
fn rss(site: &Server, title: &str, paths: &[&str]) -> String {
    let mut out = format!(
        r#"<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{title}</title><link>http://post.invalid/</link><description>Estuary news</description>"#
    );
    for path in paths {
        let name = path.trim_start_matches("/news/");
        out.push_str(&format!(
            "<item><link>{}</link><title>Story {name}</title><description>Teaser of {name}</description></item>",
            site.url(path)
        ));
    }
    out.push_str("</channel></rss>");
    out
}

/// Writes `clearfeed.toml` (with `fetch`, a `[fetch]` table body) and one feed file per
/// `(id, source path, extra lines)`.
fn write_config(dir: &Path, site: &Server, fetch: &str, feeds: &[(&str, &str, &str)]) {
    std::fs::write(
        dir.join("clearfeed.toml"),
        format!("data_dir = \"data\"\n[fetch]\nallow_private_networks = true\n{fetch}"),
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("feeds")).unwrap();
    for (id, path, extra) in feeds {
        let text = format!("{extra}\n[source]\nurl = \"{}\"\n", site.url(path));
        std::fs::write(dir.join("feeds").join(format!("{id}.toml")), text).unwrap();
    }
}

fn once_command(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_clearfeed"));
    cmd.arg("--config")
        .arg(dir.join("clearfeed.toml"))
        .arg("once")
        .env_remove("CLEARFEED_CONFIG")
        .env_remove("CLEARFEED_DATA_DIR")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null());
    cmd
}

/// `clearfeed once` over `dir`'s configuration, and how long it took.
fn once(dir: &Path) -> (Output, Duration) {
    let started = Instant::now();
    let out = once_command(dir).output().expect("clearfeed runs");
    (out, started.elapsed())
}

/// The published JSON feed `id`: each item's URL and whether it is a teaser stand-in.
fn published(dir: &Path, id: &str) -> Vec<(String, bool)> {
    let path = dir.join("data/public").join(format!("{id}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let feed: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut items: Vec<(String, bool)> = feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let html = i["content_html"].as_str().unwrap_or("");
            let url = i["url"].as_str().unwrap_or("").to_string();
            (url, html.contains("could not be read"))
        })
        .collect();
    items.sort();
    items
}

fn full_articles(dir: &Path, id: &str) -> Vec<String> {
    published(dir, id)
        .into_iter()
        .filter(|(_, teaser)| !teaser)
        .map(|(url, _)| url)
        .collect()
}

fn text(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// One host with everything that used to stall a run, beside good articles, and two feeds on it.
fn hostile_host() -> Server {
    let site = Server::start();
    for name in ["tide", "ferry", "pier", "dunes", "lock"] {
        site.ok(
            &format!("/news/{name}"),
            "text/html; charset=utf-8",
            article(&format!("Story {name}")),
        );
    }
    site.set("/news/slow", Reply::Trickle);
    site.set("/news/broken", Reply::status(500));
    site.set(
        "/news/cut",
        Reply::Truncated {
            declared: 40_000,
            body: article("Story cut").into_bytes()[..300].to_vec(),
        },
    );
    site.redirect("/news/loop", "/news/loop-2");
    site.redirect("/news/loop-2", "/news/loop");
    site.ok(
        "/news/report.pdf",
        "application/pdf",
        b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n".to_vec(),
    );
    site.set(
        "/news/busy",
        Reply::full(429, "text/plain", "slow down\n").header("Retry-After", "120"),
    );
    // The feed with the trouble lists the 429 last, after one listing's worth of concurrency
    // (8 articles): the neighbour's articles are asked for before the host says to wait.
    let troubled = [
        "/news/tide",
        "/news/ferry",
        "/news/pier",
        "/news/slow",
        "/news/broken",
        "/news/cut",
        "/news/loop",
        "/news/report.pdf",
        "/news/busy",
    ];
    site.ok(
        "/estuary.xml",
        "application/rss+xml",
        rss(&site, "Estuary", &troubled),
    );
    let neighbour = ["/news/dunes", "/news/lock", "/news/tide"];
    site.ok(
        "/coast.xml",
        "application/rss+xml",
        rss(&site, "Coast", &neighbour),
    );
    site
}

#[test]
fn a_hostile_host_bounds_the_run_and_the_next_run_honours_its_hold() {
    let site = hostile_host();
    let dir = tempfile::tempdir().unwrap();
    let fetch = "per_host_delay = \"500ms\"\ntimeout = \"6s\"\n";
    write_config(
        dir.path(),
        &site,
        fetch,
        &[("estuary", "/estuary.xml", ""), ("coast", "/coast.xml", "")],
    );

    let (first, took_first) = once(dir.path());
    let good = |names: &[&str]| {
        let mut urls: Vec<String> = names
            .iter()
            .map(|n| site.url(&format!("/news/{n}")))
            .collect();
        urls.sort();
        urls
    };
    assert_eq!(
        full_articles(dir.path(), "estuary"),
        good(&["ferry", "pier", "tide"]),
        "{}",
        text(&first)
    );
    assert_eq!(
        full_articles(dir.path(), "coast"),
        good(&["dunes", "lock", "tide"]),
        "{}",
        text(&first)
    );
    // Every unreadable article of the troubled feed is there as a marked teaser.
    let estuary = published(dir.path(), "estuary");
    assert_eq!(estuary.len(), 9, "{estuary:?}");
    assert_eq!(estuary.iter().filter(|(_, t)| *t).count(), 6, "{estuary:?}");
    assert_eq!(
        site.hits("/news/busy"),
        1,
        "a long Retry-After is not waited out"
    );
    assert_eq!(
        site.hits("/news/slow"),
        1,
        "a drip that used its timeout is not retried"
    );
    // The 120 s Retry-After is far beyond this bound; the run takes a few seconds.
    assert!(
        took_first < Duration::from_secs(60),
        "first once: {took_first:?}"
    );

    // The hold is kept in the database: the next `once` does not ask the host at all.
    let before = site.seen().len();
    let (second, took_second) = once(dir.path());
    let stdout = String::from_utf8_lossy(&second.stdout);
    assert!(second.status.success(), "{}", text(&second));
    assert!(stdout.contains("source not read"), "{}", text(&second));
    assert_eq!(site.seen().len(), before, "no request to a host on hold");
    assert_eq!(
        full_articles(dir.path(), "coast"),
        good(&["dunes", "lock", "tide"]),
        "still published"
    );
    assert!(
        took_second < Duration::from_secs(60),
        "second once: {took_second:?}"
    );
    eprintln!(
        "timing: first once {:.1} s, second once {:.1} s (Retry-After 120 s, drip at 1 byte/s, timeout 6 s)",
        took_first.as_secs_f64(),
        took_second.as_secs_f64()
    );
}

#[test]
fn a_pass_stops_at_its_run_timeout_and_publishes_what_it_read() {
    let site = Server::start();
    site.ok(
        "/news/tide",
        "text/html; charset=utf-8",
        article("Story tide"),
    );
    site.set("/news/slow", Reply::Trickle);
    site.ok(
        "/tight.xml",
        "application/rss+xml",
        rss(&site, "Tight", &["/news/tide", "/news/slow"]),
    );
    let dir = tempfile::tempdir().unwrap();
    write_config(
        dir.path(),
        &site,
        "per_host_delay = \"0s\"\ntimeout = \"60s\"\n",
        &[("tight", "/tight.xml", "run_timeout = \"3s\"")],
    );
    let (out, took) = once(dir.path());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("cut short: run_timeout of 3s reached"),
        "{}",
        text(&out)
    );
    assert!(stdout.contains("deferred 1"), "{}", text(&out));
    assert_eq!(
        full_articles(dir.path(), "tight"),
        vec![site.url("/news/tide")]
    );
    assert!(
        took < Duration::from_secs(30),
        "{took:?}: the 60 s timeout was not waited out"
    );
}

#[test]
fn sigterm_stops_fetching_and_publishes_what_was_read() {
    let site = Server::start();
    site.ok(
        "/news/tide",
        "text/html; charset=utf-8",
        article("Story tide"),
    );
    site.set("/news/slow", Reply::Trickle);
    site.ok(
        "/term.xml",
        "application/rss+xml",
        rss(&site, "Term", &["/news/tide", "/news/slow"]),
    );
    let dir = tempfile::tempdir().unwrap();
    write_config(
        dir.path(),
        &site,
        "per_host_delay = \"0s\"\ntimeout = \"120s\"\n",
        &[("term", "/term.xml", "")],
    );
    let child = once_command(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the good article was answered and the drip is under way.
    let deadline = Instant::now() + Duration::from_secs(30);
    while site.hits("/news/slow") == 0 || site.hits("/news/tide") == 0 {
        assert!(
            Instant::now() < deadline,
            "the run never reached the articles"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(500));
    let term = Instant::now();
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert!(
        term.elapsed() < Duration::from_secs(15),
        "{:?}",
        term.elapsed()
    );
    assert!(
        !out.status.success(),
        "a run cut short says so: {}",
        text(&out)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("stopped by a signal"),
        "{}",
        text(&out)
    );
    assert_eq!(
        full_articles(dir.path(), "term"),
        vec![site.url("/news/tide")]
    );
}

#[test]
fn on_failure_skip_publishes_nothing_for_an_unread_article() {
    let site = Server::start();
    site.ok(
        "/news/tide",
        "text/html; charset=utf-8",
        article("Story tide"),
    );
    site.set("/news/broken", Reply::status(500));
    let paths = ["/news/tide", "/news/broken"];
    site.ok("/a.xml", "application/rss+xml", rss(&site, "A", &paths));
    site.ok("/b.xml", "application/rss+xml", rss(&site, "B", &paths));
    let dir = tempfile::tempdir().unwrap();
    write_config(
        dir.path(),
        &site,
        "per_host_delay = \"0s\"\nretries = 0\n",
        &[
            ("teasers", "/a.xml", ""),
            ("strict", "/b.xml", "on_failure = \"skip\""),
        ],
    );
    let (out, _) = once(dir.path());
    let (tide, broken) = (site.url("/news/tide"), site.url("/news/broken"));
    assert_eq!(
        published(dir.path(), "teasers"),
        vec![(broken.clone(), true), (tide.clone(), false)],
        "{}",
        text(&out)
    );
    assert_eq!(published(dir.path(), "strict"), vec![(tide.clone(), false)]);
    // Once the article can be read, the strict feed gets it.
    site.ok(
        "/news/broken",
        "text/html; charset=utf-8",
        article("Story broken"),
    );
    let (out, _) = once(dir.path());
    assert_eq!(
        published(dir.path(), "strict"),
        vec![(broken, false), (tide, false)],
        "{}",
        text(&out)
    );
}

#[test]
fn articles_left_for_later_are_read_once_the_hold_ends() {
    let site = Server::start();
    for name in ["tide", "ferry"] {
        site.ok(
            &format!("/news/{name}"),
            "text/html; charset=utf-8",
            article(&format!("Story {name}")),
        );
    }
    site.set(
        "/news/busy",
        Reply::full(429, "text/plain", "slow down\n").header("Retry-After", "4"),
    );
    let paths = ["/news/tide", "/news/busy", "/news/ferry"];
    site.ok(
        "/later.xml",
        "application/rss+xml",
        rss(&site, "Later", &paths),
    );
    let dir = tempfile::tempdir().unwrap();
    // One request at a time in listing order, and a hold of 4 s counts as long.
    let fetch = "per_host_delay = \"0s\"\nconcurrency = 1\nmax_wait = \"1s\"\n";
    write_config(dir.path(), &site, fetch, &[("later", "/later.xml", "")]);
    let (out, _) = once(dir.path());
    let held_at = Instant::now();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(stdout.contains("deferred 1"), "{}", text(&out));
    assert_eq!(site.hits("/news/ferry"), 0, "{}", text(&out));
    assert_eq!(
        published(dir.path(), "later"),
        vec![
            (site.url("/news/busy"), true),
            (site.url("/news/ferry"), true),
            (site.url("/news/tide"), false),
        ],
        "both held-up articles are there as marked teasers"
    );
    site.ok(
        "/news/busy",
        "text/html; charset=utf-8",
        article("Story busy"),
    );
    std::thread::sleep(
        Duration::from_secs(4).saturating_sub(held_at.elapsed()) + Duration::from_millis(300),
    );
    let (out, _) = once(dir.path());
    let mut all = vec![
        site.url("/news/busy"),
        site.url("/news/ferry"),
        site.url("/news/tide"),
    ];
    all.sort();
    assert_eq!(full_articles(dir.path(), "later"), all, "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drip_is_cut_by_read_idle_long_before_the_timeout() {
    use clearfeed::fetch::{FetchConfig, FetchError, FetchRequest, Fetcher};
    let site = Server::start();
    // A byte a second: the whole `timeout` would take a minute.
    site.set("/news/slow", Reply::Trickle);
    let cfg = FetchConfig {
        allow_private_networks: true,
        per_host_delay: Duration::ZERO,
        timeout: Duration::from_secs(60),
        read_idle: Duration::from_secs(3),
        ..FetchConfig::default()
    };
    let fetcher = Fetcher::new(&cfg, "clearfeed-test").unwrap();
    let url = url::Url::parse(&site.url("/news/slow")).unwrap();
    let started = Instant::now();
    let err = fetcher.fetch(&FetchRequest::new(&url)).await.unwrap_err();
    let took = started.elapsed();
    assert!(matches!(err, FetchError::Timeout { .. }), "{err}");
    assert!(
        (Duration::from_secs(3)..Duration::from_secs(20)).contains(&took),
        "cut after {took:?}"
    );
    // One that sends its body at once is read as before.
    site.page(
        "/news/quick",
        "<html><body><p>Quick.</p></body></html>",
        "q",
    );
    let url = url::Url::parse(&site.url("/news/quick")).unwrap();
    assert!(fetcher.fetch(&FetchRequest::new(&url)).await.is_ok());
}

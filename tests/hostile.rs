//! Hostile servers and hostile upstream feeds, end to end: a raw HTTP server on 127.0.0.1
//! (`common::Server`) that can misbehave below the level a framework allows (never answer,
//! promise a longer body than it sends, lie about its charset, send binary as HTML), a real
//! SQLite file in a temp dir, and the library's own pipeline. Each fault must cost at most its own
//! item (or its own feed, for a feed-level fault), be logged with its reason, show in the feed's
//! state and the failure counters, and leave every other feed and every stored item as it was.
//!
//! The faults `tests/pipeline_back.rs` already covers (404/410, oversized body, gzip bomb,
//! dripping page, 5xx retries, Retry-After, ftp redirects, address guard, kill -9 at fixed
//! points) are not repeated here.

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use clearfeed::config::{AppConfig, FeedConfig, FetchConfig};
use clearfeed::pipeline::{FeedReport, Pipeline};
use clearfeed::store::{Item, Store};

use common::{AppServer, Reply, Server};

// ---------------------------------------------------------------------------------------------
// Fixtures

/// An invented article page in ordinary news markup.
fn article(title: &str, para: &str) -> String {
    format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title} - Valley Courier</title></head><body>
<header><nav><a href="/">Home</a> <a href="/news/">News</a></nav></header>
<main><article><h1>{title}</h1><p class="byline">By Rui Okafor</p>
<p>{para}</p>
<p>The council will publish the full minutes of the meeting next week, together with the
engineers' report on the state of the old footbridge and the cost of the repairs.</p>
<p>Residents may send their comments to the town clerk before the end of the month.</p>
</article></main><footer>Valley Courier</footer></body></html>"#
    )
}

/// An RSS feed of (guid, link, title, pubDate) entries; empty fields are left out.
fn rss(items: &[(&str, &str, &str, &str)]) -> String {
    let mut out = String::from(
        r#"<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Valley Courier</title><link>http://courier.invalid/</link><description>Valley news</description>"#,
    );
    for (guid, link, title, date) in items {
        out.push_str("<item>");
        if !guid.is_empty() {
            out.push_str(&format!("<guid isPermaLink=\"false\">{guid}</guid>"));
        }
        if !link.is_empty() {
            out.push_str(&format!("<link>{link}</link>"));
        }
        if !date.is_empty() {
            out.push_str(&format!("<pubDate>{date}</pubDate>"));
        }
        out.push_str(&format!(
            "<title>{title}</title><description>Teaser of {title}</description></item>"
        ));
    }
    out.push_str("</channel></rss>");
    out
}

fn fetch_config() -> FetchConfig {
    FetchConfig {
        allow_private_networks: true,
        per_host_delay: Duration::ZERO,
        retries: 1,
        retry_backoff: Duration::from_millis(5),
        // Real time on real sockets: a silent server costs two attempts of this.
        timeout: Duration::from_millis(800),
        max_page_bytes: 256 * 1024,
        max_redirects: 5,
        ..FetchConfig::default()
    }
}

fn pipeline(dir: &Path, feeds: &[FeedConfig], fetch: FetchConfig) -> Pipeline {
    Pipeline::new(AppConfig {
        data_dir: dir.to_path_buf(),
        feeds: feeds.to_vec(),
        fetch,
        ..AppConfig::default()
    })
    .unwrap()
}

fn feed(server: &Server, id: &str, path: &str) -> FeedConfig {
    FeedConfig::from_feed_url(id, url::Url::parse(&server.url(path)).unwrap())
}

fn ok(report: &FeedReport) {
    assert!(report.error.is_none(), "feed failed: {report:?}");
}

/// Everything a reader sees of a feed's items, to prove a hostile neighbour changed nothing.
fn snapshot(store: &Store, feed: &str) -> Vec<(String, String, String)> {
    let mut items: Vec<_> = store
        .items(feed, 1000)
        .unwrap()
        .into_iter()
        .map(|i: Item| (i.guid, i.content_hash, i.content_html))
        .collect();
    items.sort();
    items
}

fn failures(p: &Pipeline) -> HashMap<&'static str, u64> {
    p.metrics().failures().into_iter().collect()
}

/// `/metrics` as the real server renders it for this pipeline.
async fn served_metrics(p: &Pipeline, data_dir: &Path) -> String {
    let state = clearfeed::serve::AppState::new(data_dir.join("public")).with_pipeline(p.clone());
    let server = AppServer::start_with(state).await;
    let text = reqwest::get(server.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    server.stop().await;
    text
}

/// A neighbouring, well-behaved feed with two articles.
fn neighbour(server: &Server) -> FeedConfig {
    let items = [
        ("n-1", server.url("/n/1"), "Bridge reopens"),
        ("n-2", server.url("/n/2"), "Market moves"),
    ];
    let xml = rss(&items
        .iter()
        .map(|(g, l, t)| (*g, l.as_str(), *t, "Mon, 23 Nov 2026 08:00:00 GMT"))
        .collect::<Vec<_>>());
    server.ok("/neighbour.xml", "application/rss+xml", xml);
    for (_, l, t) in &items {
        let path = url::Url::parse(l).unwrap().path().to_string();
        server.ok(
            &path,
            "text/html; charset=utf-8",
            article(t, "A quiet story."),
        );
    }
    feed(server, "neighbour", "/neighbour.xml")
}

// ---------------------------------------------------------------------------------------------
// Tests

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_hostile_article_server_costs_only_its_item() {
    let server = Server::start();
    let u = |p: &str| server.url(p);
    let near = neighbour(&server);

    let entries = [
        ("ok", "/news/ok", "A normal story"),
        ("silent", "/news/silent", "Server never answers"),
        ("loop", "/loop/a", "Redirect loop"),
        ("chain", "/chain/0", "Too many redirects"),
        ("brotli", "/news/brotli", "Brotli bomb"),
        ("latin-lie", "/news/latin-lie", "Says Latin-1, sends UTF-8"),
        ("utf8-lie", "/news/utf8-lie", "Says UTF-8, sends Latin-1"),
        ("invalid", "/news/invalid", "Invalid UTF-8"),
        ("nul", "/news/nul", "NUL-filled body"),
        ("pdf", "/news/pdf", "A PDF served as HTML"),
        ("png", "/news/png", "A PNG served as HTML"),
        ("cut", "/news/cut", "Truncated body"),
    ];
    let xml = rss(&entries
        .iter()
        .map(|(g, p, t)| (*g, u(p), *t))
        .collect::<Vec<_>>()
        .iter()
        .map(|(g, l, t)| (*g, l.as_str(), *t, ""))
        .collect::<Vec<_>>());
    server.ok("/hostile.xml", "application/rss+xml", xml);

    server.ok(
        "/news/ok",
        "text/html; charset=utf-8",
        article("A normal story", "Nothing strange happened."),
    );
    server.set("/news/silent", Reply::Hang);
    server.redirect("/loop/a", "/loop/b");
    server.redirect("/loop/b", "/loop/a");
    for i in 0..20 {
        server.redirect(&format!("/chain/{i}"), &format!("/chain/{}", i + 1));
    }
    // 16 MiB of spaces inside a page: a few KiB of brotli on the wire, far over the cap unpacked.
    let bomb = {
        let mut raw = b"<html><body><p>".to_vec();
        raw.extend(std::iter::repeat_n(b' ', 16 * 1024 * 1024));
        let mut out = Vec::new();
        let params = brotli::enc::BrotliEncoderParams {
            quality: 5,
            ..Default::default()
        };
        brotli::BrotliCompress(&mut &raw[..], &mut out, &params).unwrap();
        out
    };
    assert!(bomb.len() < 64 * 1024, "the wire size is under the cap");
    server.with_headers(
        "/news/brotli",
        &[("Content-Type", "text/html"), ("Content-Encoding", "br")],
        bomb,
    );
    let accented = "The caf\u{e9} on the square serves cr\u{e8}me br\u{fb}l\u{e9}e again.";
    server.ok(
        "/news/latin-lie",
        "text/html; charset=iso-8859-1",
        article("Says Latin-1, sends UTF-8", accented),
    );
    let latin1: Vec<u8> = article("Says UTF-8, sends Latin-1", accented)
        .chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap())
        .collect();
    server.ok("/news/utf8-lie", "text/html; charset=utf-8", latin1);
    // A UTF-8 page with two stray bytes from some legacy snippet between its paragraphs.
    let mut invalid = article("Invalid UTF-8", "Broken \u{2014} bytes \u{2014} here.").into_bytes();
    let at = invalid
        .windows(12)
        .position(|w| w == b"<p>Residents")
        .unwrap();
    invalid.splice(at..at, [0xff, b' ', 0xc3, b'(']);
    server.ok("/news/invalid", "text/html; charset=utf-8", invalid);
    server.ok("/news/nul", "text/html", vec![0u8; 100_000]);
    let mut pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n".to_vec();
    pdf.extend(std::iter::repeat_n(b'x', 2000));
    server.ok("/news/pdf", "text/html; charset=utf-8", pdf);
    let mut png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR".to_vec();
    png.extend((0..4000u32).map(|i| (i * 7 % 251) as u8));
    server.ok("/news/png", "text/html", png);
    server.set(
        "/news/cut",
        Reply::Truncated {
            declared: 50_000,
            body: article("Truncated body", "It stops").as_bytes()[..300].to_vec(),
        },
    );

    let dir = tempfile::tempdir().unwrap();
    let hostile = feed(&server, "hostile", "/hostile.xml");
    let p = pipeline(dir.path(), &[near.clone(), hostile.clone()], fetch_config());
    ok(&p.run_feed(&near).await);
    let store = Store::open(&dir.path().join("clearfeed.db")).unwrap();
    let before = snapshot(&store, "neighbour");
    assert_eq!(before.len(), 2);

    let r = p.run_feed(&hostile).await;
    ok(&r);
    // ok and the three charset cases are read; the other eight fail, each on its own.
    assert_eq!((r.new, r.failed), (4, 8), "{r:?}");

    let items = store.items("hostile", 100).unwrap();
    let item = |path: &str| {
        items
            .iter()
            .find(|i| i.url.ends_with(path))
            .unwrap_or_else(|| panic!("no item for {path}: {items:#?}"))
    };
    // Every entry is there, the failed ones as marked teaser fallbacks.
    assert_eq!(items.len(), entries.len());
    for path in [
        "/news/silent",
        "/loop/a",
        "/chain/0",
        "/news/brotli",
        "/news/nul",
        "/news/pdf",
        "/news/png",
        "/news/cut",
    ] {
        let it = item(path);
        assert!(it.content_html.contains("could not be read"), "{it:?}");
        assert!(
            it.content_html.len() < 2000,
            "no hostile bytes kept: {it:?}"
        );
    }
    // A lying charset is overruled by the bytes: no mojibake, no replacement characters.
    for path in ["/news/latin-lie", "/news/utf8-lie"] {
        let it = item(path);
        assert!(
            it.content_html.contains("caf\u{e9}") && it.content_html.contains("cr\u{e8}me"),
            "{path}: {}",
            it.content_html
        );
        assert!(!it.content_html.contains('\u{fffd}'));
        assert!(
            !it.content_html.contains("Ã"),
            "mojibake: {}",
            it.content_html
        );
    }
    // Invalid UTF-8 costs at most a few characters, not the article.
    let invalid = item("/news/invalid");
    assert!(
        invalid.content_html.contains("council will publish")
            && invalid
                .content_html
                .contains("Broken \u{2014} bytes \u{2014} here."),
        "{invalid:?}"
    );
    assert!(
        item("/news/ok")
            .content_html
            .contains("Nothing strange happened")
    );

    // Redirects: `max_redirects` of them are followed, so the first request and five more are
    // made and the sixth redirect is refused (and not retried: too many redirects is no
    // transient fault). The chain's last request is /chain/5; the loop goes round three times.
    let max = fetch_config().max_redirects;
    assert_eq!(max, 5);
    let chain: Vec<String> = (0..=max).map(|i| format!("/chain/{i}")).collect();
    assert_eq!(
        server.hits_under("/chain/"),
        chain,
        "the chain is followed to /chain/{max}, no further"
    );
    assert_eq!(
        server.hits_under("/loop/"),
        ["/loop/a", "/loop/b"].repeat(3),
        "the loop is followed for {max} redirects, no further"
    );

    // Logged with the reason, in the fetch log and the failure counters.
    let log = store.fetch_log(200).unwrap();
    let outcome = |path: &str| {
        log.iter()
            .find(|e| e.url.ends_with(path))
            .map(|e| e.outcome.clone())
            .unwrap_or_default()
    };
    assert!(outcome("/news/silent").contains("timed out"), "{log:#?}");
    assert!(
        outcome("/loop/a").contains("more than 5 redirects"),
        "{log:#?}"
    );
    assert!(
        outcome("/chain/0").contains("more than 5 redirects"),
        "{log:#?}"
    );
    assert!(outcome("/news/brotli").contains("larger than"), "{log:#?}");
    assert!(outcome("/news/cut").contains("broken off"), "{log:#?}");
    let f = failures(&p);
    assert!(f.get("timeout").copied().unwrap_or(0) >= 1, "{f:?}");
    assert!(
        f.get("too_many_redirects").copied().unwrap_or(0) >= 2,
        "{f:?}"
    );
    assert!(f.get("too_large").copied().unwrap_or(0) >= 1, "{f:?}");
    assert!(f.get("body_broken").copied().unwrap_or(0) >= 1, "{f:?}");
    assert_eq!(f.get("extract_binary").copied(), Some(3), "{f:?}");
    let metrics = served_metrics(&p, dir.path()).await;
    assert!(
        metrics.contains("clearfeed_failures_total{reason=\"extract_binary\"} 3"),
        "{metrics}"
    );
    assert!(
        metrics.contains("clearfeed_failures_total{reason=\"timeout\"}"),
        "{metrics}"
    );
    assert!(
        metrics.contains("clearfeed_feed_articles_not_read{feed=\"hostile\"} 8"),
        "{metrics}"
    );

    // In the feed's state: the feed was read, eight of its articles were not.
    let state = store.feed_state("hostile").unwrap().unwrap();
    assert_eq!(state.last_error, None);
    assert_eq!(state.consecutive_failures, 0);
    assert_eq!(state.last_run_failed, 8);
    assert!(state.last_item_error.is_some());
    let table = clearfeed::app::commands::status_table(
        &p.settings().feeds,
        &[],
        &store.feed_states().unwrap(),
    );
    assert!(table.contains("8 article(s) not read"), "{table}");

    // The neighbour is untouched, and runs as before.
    assert_eq!(snapshot(&store, "neighbour"), before);
    let again = p.run_feed(&near).await;
    ok(&again);
    assert_eq!(snapshot(&store, "neighbour"), before);
    let n = store.feed_state("neighbour").unwrap().unwrap();
    assert_eq!((n.last_run_failed, n.last_error), (0, None));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_upstream_feed_fails_only_itself() {
    let server = Server::start();
    let u = |p: &str| server.url(p);
    let near = neighbour(&server);
    // A feed that works once, then turns bad: what it stored must survive.
    let good_then_bad = rss(&[
        (
            "t-1",
            &u("/t/1"),
            "First story",
            "Mon, 23 Nov 2026 09:00:00 GMT",
        ),
        (
            "t-2",
            &u("/t/2"),
            "Second story",
            "Mon, 23 Nov 2026 10:00:00 GMT",
        ),
    ]);
    server.ok("/turns.xml", "application/rss+xml", good_then_bad.clone());
    server.ok("/t/1", "text/html", article("First story", "One."));
    server.ok("/t/2", "text/html", article("Second story", "Two."));
    // Cut in the middle of an item, served whole.
    let cut_xml = {
        let full = rss(&[
            ("c-1", &u("/t/1"), "Cut one", ""),
            ("c-2", &u("/t/2"), "Cut two", ""),
        ]);
        full[..full.find("Cut two").unwrap()].to_string()
    };
    server.ok("/cut.xml", "application/rss+xml", cut_xml);
    // Served with a Content-Length longer than what arrives.
    server.set(
        "/short.xml",
        Reply::Truncated {
            declared: 90_000,
            body: good_then_bad.as_bytes()[..200].to_vec(),
        },
    );
    server.ok(
        "/garbage.xml",
        "application/rss+xml",
        (0..5000u32)
            .map(|i| (i * 31 % 256) as u8)
            .collect::<Vec<_>>(),
    );
    server.ok(
        "/html.xml",
        "application/rss+xml",
        "<html><body><p>We moved our feed!</p></body></html>",
    );

    let dir = tempfile::tempdir().unwrap();
    let turns = feed(&server, "turns", "/turns.xml");
    let bad: Vec<FeedConfig> = [
        ("cut", "/cut.xml"),
        ("short", "/short.xml"),
        ("garbage", "/garbage.xml"),
        ("html", "/html.xml"),
    ]
    .iter()
    .map(|(id, path)| feed(&server, id, path))
    .collect();
    let mut all = vec![near.clone(), turns.clone()];
    all.extend(bad.iter().cloned());
    let p = pipeline(dir.path(), &all, fetch_config());
    ok(&p.run_feed(&near).await);
    let r = p.run_feed(&turns).await;
    ok(&r);
    assert_eq!(r.new, 2);
    let store = Store::open(&dir.path().join("clearfeed.db")).unwrap();
    let near_before = snapshot(&store, "neighbour");
    let turns_before = snapshot(&store, "turns");

    // Now it serves a malformed feed (a new ETag-less body: a full fetch).
    server.ok(
        "/turns.xml",
        "application/rss+xml",
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><item><title>unclosed",
    );
    let reports = clearfeed::schedule::run_all(&p, &all[1..], all.len()).await;
    for r in &reports {
        assert!(r.error.is_some(), "a hostile feed fails as a whole: {r:?}");
        assert_eq!(r.new, 0, "{r:?}");
    }
    // Each failure is recorded in its feed's state with the reason.
    for r in &reports {
        let state = store.feed_state(&r.feed).unwrap().unwrap();
        assert_eq!(state.consecutive_failures, 1, "{state:?}");
        let err = state.last_error.unwrap();
        let expected = if r.feed == "short" {
            "broken off"
        } else {
            "not a readable RSS, Atom or JSON feed"
        };
        assert!(err.contains(expected), "{}: {err}", r.feed);
    }
    let f = failures(&p);
    assert_eq!(f.get("feed_unreadable").copied(), Some(4), "{f:?}");
    assert!(f.get("body_broken").copied().unwrap_or(0) >= 1, "{f:?}");
    assert_eq!(
        p.metrics()
            .feed_failures
            .load(std::sync::atomic::Ordering::Relaxed),
        5
    );
    // What was stored before is intact, the neighbour too, and it still runs.
    assert_eq!(snapshot(&store, "turns"), turns_before);
    assert_eq!(snapshot(&store, "neighbour"), near_before);
    ok(&p.run_feed(&near).await);
    assert_eq!(snapshot(&store, "neighbour"), near_before);
    let table = clearfeed::app::commands::status_table(
        &p.settings().feeds,
        &[],
        &store.feed_states().unwrap(),
    );
    assert!(table.contains("not a readable RSS"), "{table}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_feed_of_100_000_items_costs_only_its_newest_max_items() {
    const N: usize = 100_000;
    const MAX: usize = 5;
    let server = Server::start();
    // Oldest first, one minute apart: the newest are at the end.
    let start = chrono::DateTime::parse_from_rfc3339("2026-06-01T00:00:00Z").unwrap();
    let mut xml = String::with_capacity(N * 120);
    xml.push_str(r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Archive</title>"#);
    for i in 0..N {
        let date = (start + chrono::Duration::minutes(i as i64)).to_rfc2822();
        xml.push_str(&format!(
            "<item><link>{}</link><pubDate>{date}</pubDate></item>",
            server.url(&format!("/a/{i}"))
        ));
    }
    xml.push_str("</channel></rss>");
    let size = xml.len();
    server.ok("/archive.xml", "application/rss+xml", xml);
    for i in N - MAX..N {
        server.ok(
            &format!("/a/{i}"),
            "text/html",
            article(&format!("Story {i}"), "Recent."),
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let f = feed(&server, "archive", "/archive.xml");
    let p = Pipeline::new(AppConfig {
        data_dir: dir.path().to_path_buf(),
        feeds: vec![f.clone()],
        max_items: MAX,
        fetch: FetchConfig {
            max_page_bytes: 2 * size as u64,
            ..fetch_config()
        },
        ..AppConfig::default()
    })
    .unwrap();
    let r = p.run_feed(&f).await;
    ok(&r);
    assert_eq!((r.new, r.failed), (MAX, 0), "{r:?}");
    // Only the newest were fetched: no request for any of the other 99 995.
    let mut fetched = server.hits_under("/a/");
    fetched.sort();
    let expected: Vec<String> = (N - MAX..N).map(|i| format!("/a/{i}")).collect();
    assert_eq!(fetched, expected);
    let store = Store::open(&dir.path().join("clearfeed.db")).unwrap();
    assert_eq!(store.items("archive", 1000).unwrap().len(), MAX);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn odd_and_future_dates_neither_fail_nor_float_to_the_top() {
    let server = Server::start();
    let u = |p: &str| server.url(p);
    let entries = [
        ("rfc", "/d/rfc", "Tue, 24 Nov 2026 08:00:00 GMT"),
        ("no-weekday", "/d/no-weekday", "24 Nov 2026 07:00:00 +0000"),
        ("iso", "/d/iso", "2026-11-24T06:00:00Z"),
        ("words", "/d/words", "last Tuesday, around noon"),
        ("empty", "/d/empty", ""),
        ("future", "/d/future", "Fri, 01 Jan 2100 00:00:00 GMT"),
        ("year-zero", "/d/year-zero", "Sat, 01 Jan 0000 00:00:00 GMT"),
    ];
    let links: Vec<(String, String)> = entries
        .iter()
        .map(|(g, p, _)| (g.to_string(), u(p)))
        .collect();
    let xml = rss(&entries
        .iter()
        .zip(&links)
        .map(|((g, _, d), (_, l))| (*g, l.as_str(), *g, *d))
        .collect::<Vec<_>>());
    server.ok("/dates.xml", "application/rss+xml", xml);
    for (g, p, _) in &entries {
        server.ok(p, "text/html", article(&format!("Dated {g}"), "Some news."));
    }
    let dir = tempfile::tempdir().unwrap();
    let f = feed(&server, "dates", "/dates.xml");
    let p = pipeline(dir.path(), std::slice::from_ref(&f), fetch_config());
    let r = p.run_feed(&f).await;
    ok(&r);
    assert_eq!((r.new, r.failed), (entries.len(), 0), "{r:?}");
    let store = Store::open(&dir.path().join("clearfeed.db")).unwrap();
    let items = store.items("dates", 100).unwrap();
    let by = |g: &str| items.iter().find(|i| i.guid == g).unwrap();
    let now = chrono::Utc::now();
    for it in &items {
        if let Some(p) = it.published {
            assert!(p <= now + chrono::Duration::days(1), "{it:?}");
        }
    }
    assert_eq!(
        by("rfc").published.unwrap().to_rfc3339(),
        "2026-11-24T08:00:00+00:00"
    );
    assert_eq!(
        by("future").published,
        None,
        "a date in 2100 is not believed"
    );
    assert_eq!(by("words").published, None);
    assert_eq!(by("empty").published, None);
    assert_ne!(
        items[0].guid, "future",
        "the future-dated item is not pinned on top"
    );
}

/// Markup that must never reach a reader in executable form, embedded in an otherwise ordinary
/// article (the extractor must still find the article around it).
const XSS_CORPUS: &[&str] = &[
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    r#"<img src=x onerror="alert(1)">"#,
    r#"<a href="javascript:alert(1)">more</a>"#,
    r#"<a href="jav&#x09;ascript:alert(1)">tab</a>"#,
    r#"<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">ent</a>"#,
    "<a href=\" \n JaVaScRiPt:alert(1)\">ws</a>",
    r#"<a href="vbscript:msgbox(1)">vb</a>"#,
    r#"<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">d</a>"#,
    r#"<img src="data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=">"#,
    r#"<svg onload=alert(1)><script>alert(2)</script></svg>"#,
    r#"<svg><a><animate attributeName=href values=javascript:alert(1) /><text>x</text></a></svg>"#,
    r#"<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>"#,
    r#"<span style="width: expression(alert(1))">css</span>"#,
    r#"<base href="javascript:alert(1)//">"#,
    r#"<meta http-equiv="refresh" content="0;url=javascript:alert(1)">"#,
    r#"<form action="https://evil.example/"><input name=q><button formaction="javascript:alert(1)">go</button></form>"#,
    r#"<object data="x.swf"></object><embed src="x.swf">"#,
    r#"<iframe srcdoc="<script>alert(1)</script>"></iframe>"#,
    r#"<a href="x" "onmouseover"=alert(1)>mal</a>"#,
    r#"<a/href="x"/onclick=alert(1)>slash</a>"#,
    r#"<b <!-- c --> onclick=alert(1)>comment in tag</b>"#,
    r#"<!--<img src="--><img src=x onerror=alert(1)//">"#,
    r#"<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>"#,
    r#"<a href="https://shop.example/deal?id=4&utm_source=news&fbclid=abc&gclid=z">tracked</a>"#,
];

/// Checks one published item's HTML (as a reader gets it after the feed's own escaping is
/// undone): only plain document tags, no event handler or style attribute, every URL http(s) or
/// mailto, no tracking parameters.
fn assert_inert(what: &str, html: &str) {
    const TAGS: &[&str] = &[
        "a",
        "abbr",
        "b",
        "blockquote",
        "br",
        "caption",
        "cite",
        "code",
        "dd",
        "del",
        "dfn",
        "dl",
        "dt",
        "em",
        "figcaption",
        "figure",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "i",
        "img",
        "ins",
        "kbd",
        "li",
        "mark",
        "ol",
        "p",
        "pre",
        "q",
        "s",
        "samp",
        "small",
        "strong",
        "sub",
        "sup",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "time",
        "tr",
        "u",
        "ul",
        "var",
    ];
    let lower = html.to_ascii_lowercase();
    for bad in [
        "<script", "<svg", "<math", "<iframe", "<object", "<embed", "<form", "<base", "<meta",
        "<style",
    ] {
        assert!(!lower.contains(bad), "{what}: {bad} in {html}");
    }
    let frag = scraper::Html::parse_fragment(html);
    for el in frag.root_element().descendent_elements().skip(1) {
        let tag = el.value().name();
        assert!(TAGS.contains(&tag), "{what}: <{tag}> in {html}");
        for (attr, value) in el.value().attrs() {
            assert!(
                !attr.starts_with("on")
                    && attr != "style"
                    && attr != "srcdoc"
                    && attr != "formaction",
                "{what}: {attr} on <{tag}> in {html}"
            );
            if matches!(attr, "href" | "src") {
                assert!(
                    ["http://", "https://", "mailto:"]
                        .iter()
                        .any(|p| value.starts_with(p)),
                    "{what}: {attr}={value:?}"
                );
                assert!(
                    !value.contains("utm_")
                        && !value.contains("fbclid")
                        && !value.contains("gclid"),
                    "{what}: tracking left in {value}"
                );
            }
        }
    }
}

/// No character XML 1.0 forbids, and none JSON readers choke on.
fn assert_clean_chars(what: &str, text: &str) {
    if let Some(c) = text.chars().find(|&c| {
        (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || c == '\u{fffe}' || c == '\u{ffff}'
    }) {
        panic!("{what}: forbidden character {c:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_xss_corpus_leaves_nothing_executable_in_any_published_format() {
    let server = Server::start();
    let u = |p: &str| server.url(p);
    let mut body = String::from(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Council \u{1}votes\u{b} on the \u{fffe}ferry - Valley Courier</title></head><body><main><article><h1>Council votes on the ferry</h1>",
    );
    for (i, snippet) in XSS_CORPUS.iter().enumerate() {
        body.push_str(&format!(
            "<p>Paragraph {i} of the council report on the ferry timetable, with the figures the \
             harbour office published this week{snippet} and the reactions of the passengers.\u{7}</p>"
        ));
    }
    body.push_str("</article></main></body></html>");
    server.ok("/news/xss", "text/html; charset=utf-8", body);
    // An article that cannot be read: its (hostile) teaser is what gets published.
    server.set(
        "/news/forbidden",
        Reply::Full {
            status: 403,
            headers: vec![],
            body: Vec::new(),
        },
    );
    let teaser: String = XSS_CORPUS.concat();
    let xml = format!(
        r#"<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Courier</title><link>{}</link><description>d</description>
<item><guid>x-1</guid><link>{}</link><title>Council votes</title><description><![CDATA[<p>Teaser</p>]]></description></item>
<item><guid>x-2</guid><link>{}</link><title>Members &lt;script&gt;alert(1)&lt;/script&gt; only</title><description><![CDATA[{}]]></description></item>
</channel></rss>"#,
        u("/"),
        u("/news/xss"),
        u("/news/forbidden"),
        teaser
    );
    server.ok("/xss.xml", "application/rss+xml", xml);

    let dir = tempfile::tempdir().unwrap();
    let f = feed(&server, "xss", "/xss.xml");
    let p = pipeline(dir.path(), std::slice::from_ref(&f), fetch_config());
    let r = p.run_feed(&f).await;
    ok(&r);
    assert_eq!((r.new, r.failed), (1, 1), "{r:?}");
    let public = dir.path().join("public");
    let mut checked = 0;
    for ext in ["rss", "atom", "json"] {
        let bytes = std::fs::read(public.join(format!("xss.{ext}"))).unwrap();
        let text = String::from_utf8(bytes.clone()).expect("published feeds are UTF-8");
        assert_clean_chars(ext, &text);
        if ext == "json" {
            let v: serde_json::Value = serde_json::from_slice(&bytes).expect("well-formed JSON");
            for item in v["items"].as_array().unwrap() {
                for key in ["content_html", "summary"] {
                    if let Some(s) = item[key].as_str() {
                        assert_inert(&format!("json {key}"), s);
                        checked += 1;
                    }
                }
            }
        } else {
            let mut reader = quick_xml::Reader::from_str(&text);
            loop {
                match reader.read_event() {
                    Ok(quick_xml::events::Event::Eof) => break,
                    Ok(_) => {}
                    Err(e) => panic!(
                        "{ext} is not well-formed XML at {}: {e}",
                        reader.buffer_position()
                    ),
                }
            }
        }
        let parsed = feed_rs::parser::parse(&bytes[..]).unwrap_or_else(|e| panic!("{ext}: {e}"));
        assert_eq!(parsed.entries.len(), 2, "{ext}");
        for e in &parsed.entries {
            if let Some(body) = e.content.as_ref().and_then(|c| c.body.as_deref()) {
                assert_inert(&format!("{ext} content"), body);
                checked += 1;
            }
            if let Some(s) = &e.summary {
                assert_inert(&format!("{ext} summary"), &s.content);
                checked += 1;
            }
        }
    }
    assert!(checked >= 8, "only {checked} bodies were checked");
    // The article itself survived its hostile markup.
    let store = Store::open(&dir.path().join("clearfeed.db")).unwrap();
    let item = store
        .items("xss", 10)
        .unwrap()
        .into_iter()
        .find(|i| i.guid == "x-1")
        .unwrap();
    assert!(
        item.content_html
            .contains("Paragraph 20 of the council report")
    );
    assert!(
        item.content_html
            .contains("href=\"https://shop.example/deal?id=4\""),
        "{}",
        item.content_html
    );
}

// ---------------------------------------------------------------------------------------------
// Crash safety: the real binary, killed or starved

/// A config directory for the `clearfeed` binary: one feed of `n` articles on `server`.
fn binary_setup(server: &Server, dir: &Path, n: usize, data_dir: &str) {
    let entries: Vec<(String, String, String)> = (0..n)
        .map(|i| {
            (
                format!("k-{i}"),
                server.url(&format!("/k/{i}")),
                format!("Story {i}"),
            )
        })
        .collect();
    let xml = rss(&entries
        .iter()
        .map(|(g, l, t)| (g.as_str(), l.as_str(), t.as_str(), ""))
        .collect::<Vec<_>>());
    server.ok("/k.xml", "application/rss+xml", xml);
    for i in 0..n {
        server.ok(
            &format!("/k/{i}"),
            "text/html; charset=utf-8",
            article(&format!("Story {i}"), &format!("Paragraph of story {i}.")),
        );
    }
    std::fs::create_dir_all(dir.join("feeds")).unwrap();
    std::fs::write(
        dir.join("clearfeed.toml"),
        format!(
            "data_dir = \"{data_dir}\"\nlisten = \"127.0.0.1:0\"\n[fetch]\nallow_private_networks = true\nper_host_delay = \"0s\"\nconcurrency = 2\ntimeout = \"30s\"\n"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("feeds").join("k.toml"),
        format!("[source]\nurl = \"{}\"\n", server.url("/k.xml")),
    )
    .unwrap();
}

fn clearfeed(dir: &Path, args: &[&str]) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_clearfeed"));
    cmd.arg("--config")
        .arg(dir.join("clearfeed.toml"))
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    cmd
}

fn integrity_ok(db: &Path) {
    let conn = rusqlite::Connection::open(db).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
}

/// Every published file that exists is complete: it parses, as its format.
fn published_files_parse(public: &Path) -> usize {
    let mut n = 0;
    for ext in ["rss", "atom", "json"] {
        let path = public.join(format!("k.{ext}"));
        if let Ok(bytes) = std::fs::read(&path) {
            feed_rs::parser::parse(&bytes[..])
                .unwrap_or_else(|e| panic!("{} is torn: {e}", path.display()));
            n += 1;
        }
    }
    if let Ok(opml) = std::fs::read_to_string(public.join("feeds.opml")) {
        let mut reader = quick_xml::Reader::from_str(&opml);
        while !matches!(
            reader.read_event().expect("feeds.opml is torn"),
            quick_xml::events::Event::Eof
        ) {}
    }
    // Pre-compressed copies are whole too (a torn one would not decode to the end).
    for name in ["k.rss", "k.atom", "k.json", "feeds.opml"] {
        for encoding in clearfeed::publish::Encoding::ALL {
            let path = encoding.path_of(&public.join(name));
            if let Ok(bytes) = std::fs::read(&path) {
                assert!(
                    encoding.decode(&bytes).is_some(),
                    "{} is torn",
                    path.display()
                );
            }
        }
    }
    n
}

/// The stored items of `feed` as (guid, content hash, first seen), sorted: what a kill must
/// neither lose nor change.
fn stored(store: &Store, feed: &str) -> Vec<(String, String, chrono::DateTime<chrono::Utc>)> {
    let mut items: Vec<_> = store
        .items(feed, 1000)
        .unwrap()
        .into_iter()
        .map(|i: Item| (i.guid, i.content_hash, i.first_seen))
        .collect();
    items.sort();
    items
}

/// The kill points come from a seeded generator: `CLEARFEED_KILL_SEED=<n>` replays a run's
/// points (which phase each lands in still depends on the machine's speed).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_at_random_points_never_tears_a_file_or_loses_an_item() {
    use rand::{Rng, SeedableRng};
    use std::os::unix::process::ExitStatusExt;
    const N: usize = 64;
    const SIGKILL: i32 = 9;
    let seed = std::env::var("CLEARFEED_KILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_261_124u64);
    eprintln!("kill points drawn with CLEARFEED_KILL_SEED={seed}");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    binary_setup(&server, dir.path(), N, "data");
    // A second feed whose source never answers: `once` ends only when all its feeds are done, so
    // no killed run can have finished, wherever the `k` feed is in its own run (start-up,
    // listing, articles, storing, publishing, or done and waiting) when the kill comes.
    server.set("/hold.xml", Reply::Hang);
    let hold = dir.path().join("feeds").join("hold.toml");
    std::fs::write(
        &hold,
        format!("[source]\nurl = \"{}\"\n", server.url("/hold.xml")),
    )
    .unwrap();
    let data = dir.path().join("data");
    let db = data.join("clearfeed.db");
    let published_at = || {
        std::fs::metadata(data.join("public").join("k.rss"))
            .and_then(|m| m.modified())
            .ok()
    };
    // What the store held after the previous kill: every later run must keep all of it.
    let mut committed = Vec::new();
    let mut kills = Vec::new();
    for round in 0..8 {
        // Each round lists eight more articles, so every run has work to be interrupted in.
        let listed: Vec<(String, String)> = (0..(round + 1) * N / 8)
            .map(|i| (format!("k-{i}"), server.url(&format!("/k/{i}"))))
            .collect();
        let xml = rss(&listed
            .iter()
            .map(|(g, l)| (g.as_str(), l.as_str(), g.as_str(), ""))
            .collect::<Vec<_>>());
        server.ok("/k.xml", "application/rss+xml", xml);
        let published_before = published_at();
        let mut child = clearfeed(dir.path(), &["once"]).spawn().unwrap();
        // A random point in the run: start-up, listing, articles, storing or publishing.
        let after = Duration::from_millis(rng.random_range(10..600));
        tokio::time::sleep(after).await;
        child.kill().unwrap(); // SIGKILL
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            out.status.signal(),
            Some(SIGKILL),
            "round {round}: the run ended by itself before the kill ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.stdout.is_empty(),
            "round {round}: the run printed its final report, so it had finished: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        let now = if db.exists() {
            integrity_ok(&db);
            stored(&Store::open(&db).unwrap(), "k")
        } else {
            Vec::new()
        };
        let unique: std::collections::HashSet<_> = now.iter().map(|(g, _, _)| g).collect();
        assert_eq!(unique.len(), now.len(), "round {round}: a duplicated item");
        for item in &committed {
            assert!(
                now.contains(item),
                "round {round}: {item:?}, committed before this run, is gone or changed"
            );
        }
        published_files_parse(&data.join("public"));
        // No half-written temp file is ever taken for a feed.
        if let Ok(entries) = std::fs::read_dir(data.join("public")) {
            for e in entries {
                let name = e.unwrap().file_name().to_string_lossy().into_owned();
                // A published file, or its pre-compressed copy.
                let base = name
                    .strip_suffix(".gz")
                    .or_else(|| name.strip_suffix(".br"))
                    .unwrap_or(&name);
                assert!(
                    name.starts_with('.')
                        || ["k.rss", "k.atom", "k.json", "feeds.opml"].contains(&base),
                    "{name}"
                );
            }
        }
        let republished = published_at() != published_before;
        kills.push((after.as_millis(), listed.len(), now.len(), republished));
        committed = now;
    }
    eprintln!("kill points (ms after start, items listed, items stored, k republished): {kills:?}");
    // The next run resumes and completes: every article once, published and parseable, and
    // every item committed before the last kill still there (updated in place at most: the
    // listing's titles change back, so the items' content may change, not their identity).
    std::fs::remove_file(&hold).unwrap();
    binary_setup(&server, dir.path(), N, "data");
    let out = clearfeed(dir.path(), &["once"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    integrity_ok(&db);
    let store = Store::open(&db).unwrap();
    let after = stored(&store, "k");
    assert_eq!(after.len(), N);
    for (guid, _, first_seen) in &committed {
        assert!(
            after.iter().any(|(g, _, f)| g == guid && f == first_seen),
            "{guid}, committed before the last kill, is gone or was stored anew"
        );
    }
    assert_eq!(published_files_parse(&data.join("public")), 3);
    for i in 0..N {
        assert!(server.hits(&format!("/k/{i}")) >= 1);
    }
}

/// The short version of `clearfeed bench-kill`: ten runs of `once`, one more feed file before
/// each, killed with SIGKILL at random moments. The command checks the database and every
/// published file after each kill and exits non-zero on any fault; this test also checks the end
/// state itself: every feed holds and publishes each of its items exactly once.
#[test]
fn kill_9_ten_times_with_one_more_feed_each_time() {
    const KILLS: usize = 10;
    const ARTICLES: usize = 8;
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_clearfeed"))
        .args(["bench-kill", "--kills", &KILLS.to_string()])
        .args(["--articles", &ARTICLES.to_string(), "--keep"])
        .arg(dir.path())
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("{stdout}");
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let field = |name: &str| -> usize {
        let value = stdout
            .split_whitespace()
            .find_map(|w| w.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("no {name} in {stdout}"));
        value.split('/').next().unwrap().parse().unwrap()
    };
    assert_eq!(field("integrity_ok"), KILLS);
    assert_eq!((field("torn_files"), field("duplicate_items")), (0, 0));
    assert!(
        field("mid_run") >= KILLS / 2,
        "most kills must land in a running pass: {stdout}"
    );
    let data = dir.path().join("data");
    integrity_ok(&data.join("clearfeed.db"));
    let store = Store::open(&data.join("clearfeed.db")).unwrap();
    for i in 0..KILLS {
        let feed = format!("f{i}");
        let mut urls: Vec<String> = store
            .items(&feed, 1000)
            .unwrap()
            .into_iter()
            .map(|i: Item| i.url)
            .collect();
        urls.sort();
        urls.dedup();
        assert_eq!(urls.len(), ARTICLES, "{feed}: {urls:?}");
        let json = std::fs::read(data.join("public").join(format!("{feed}.json"))).unwrap();
        let published = feed_rs::parser::parse(&json[..]).unwrap();
        let ids: std::collections::HashSet<_> =
            published.entries.iter().map(|e| e.id.clone()).collect();
        assert_eq!(
            (published.entries.len(), ids.len()),
            (ARTICLES, ARTICLES),
            "{feed}"
        );
    }
}

/// After SIGTERM the daemon's in-flight run stops fetching and publishes what it read (with
/// `SHUTDOWN_GRACE` to do so) while open connections get `CONNECTION_GRACE`, both counted from the
/// signal and running side by side, so it is gone within the longer of the two plus the time the
/// process takes to exit. The test has both in play: a run waiting on an article that never
/// answers, and a client stalled half-way through its request headers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_a_busy_daemon_within_a_bounded_time() {
    use clearfeed::schedule::SHUTDOWN_GRACE;
    use clearfeed::serve::CONNECTION_GRACE;
    use std::io::BufRead;
    use tokio::io::AsyncWriteExt;
    /// Leaving `run_daemon` to the end of the process: dropping the runtime, closing the store.
    const EXIT_SLACK: Duration = Duration::from_secs(2);
    let bound = SHUTDOWN_GRACE.max(CONNECTION_GRACE) + EXIT_SLACK;

    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    binary_setup(&server, dir.path(), 3, "data");
    // One article never answers (and the timeout is 30 s): the run is busy when the signal comes.
    server.set("/k/1", Reply::Hang);
    let mut child = clearfeed(dir.path(), &["--log-format", "json", "run"])
        .spawn()
        .unwrap();
    // The log (JSON lines on stderr) names the address the daemon listens on; all of it is kept
    // for the checks at the end.
    let stderr = child.stderr.take().unwrap();
    let (addr_tx, addr_rx) = std::sync::mpsc::channel::<std::net::SocketAddr>();
    let log = std::thread::spawn(move || {
        let mut lines = Vec::new();
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line)
                && v["fields"]["message"] == "serving feeds"
                && let Some(addr) = v["fields"]["address"].as_str()
            {
                let _ = addr_tx.send(addr.parse().unwrap());
            }
            lines.push(line);
        }
        lines.join("\n")
    });
    let addr = addr_rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the daemon logs the address it serves on");
    tokio::time::timeout(Duration::from_secs(60), server.arrived().notified())
        .await
        .expect("the daemon reaches the silent article");
    let mut stalled = tokio::net::TcpStream::connect(addr).await.unwrap();
    stalled
        .write_all(b"GET /feeds/k.rss HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;

    let pid = child.id().to_string();
    let sent = std::time::Instant::now();
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            sent.elapsed() < bound,
            "still running {bound:?} after SIGTERM (shutdown grace {SHUTDOWN_GRACE:?}, \
             connection grace {CONNECTION_GRACE:?}, {EXIT_SLACK:?} to exit)"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let elapsed = sent.elapsed();
    drop(stalled);
    let log = log.join().unwrap();
    eprintln!(
        "stopped {} ms after SIGTERM with {status}",
        elapsed.as_millis()
    );
    assert!(status.success(), "{status}: {log}");
    // The run really was in flight: it stopped waiting on the silent article and published the
    // articles it had read instead of being abandoned.
    assert!(
        log.contains("stopped by shutdown: stopped fetching; publishing what was read"),
        "{log}"
    );
    assert!(!log.contains("run abandoned at shutdown"), "{log}");
    let rss = std::fs::read_to_string(dir.path().join("data/public/k.rss")).unwrap();
    assert_eq!(rss.matches("<item>").count(), 2, "{rss}");
    // And the stalled connection: the server waited out its own grace for it.
    assert!(
        elapsed >= CONNECTION_GRACE,
        "stopped after {elapsed:?}: {log}"
    );
    assert!(
        log.contains("connections still open after the grace period"),
        "{log}"
    );
    integrity_ok(&dir.path().join("data").join("clearfeed.db"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unwritable_data_directory_is_a_clear_error_and_corrupts_nothing() {
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    // A data directory that cannot be created: its parent is a regular file (this holds even
    // for root, for whom permission bits do not stop writes).
    std::fs::write(dir.path().join("plainfile"), "not a directory").unwrap();
    binary_setup(&server, dir.path(), 2, "plainfile/data");
    let out = clearfeed(dir.path(), &["once"]).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot create data directory") && err.contains("plainfile"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("plainfile")).unwrap(),
        "not a directory"
    );

    // A working data directory whose public directory cannot be written: the run stores its
    // items, reports the publishing error clearly, and leaves the database sound.
    binary_setup(&server, dir.path(), 2, "data");
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("public"), "in the way").unwrap();
    let out = clearfeed(dir.path(), &["once"]).output().unwrap();
    assert!(!out.status.success());
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        text.contains("publishing") && text.contains("public"),
        "{text}"
    );
    integrity_ok(&data.join("clearfeed.db"));
    let store = Store::open(&data.join("clearfeed.db")).unwrap();
    assert_eq!(store.items("k", 10).unwrap().len(), 2);
    // Once the obstacle is gone, the next run publishes.
    std::fs::remove_file(data.join("public")).unwrap();
    let out = clearfeed(dir.path(), &["once"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(published_files_parse(&data.join("public")), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_is_a_clear_error_and_corrupts_nothing() {
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    binary_setup(&server, dir.path(), 2, "data");
    let data = dir.path().join("data");
    let out = clearfeed(dir.path(), &["once"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let before = Store::open(&data.join("clearfeed.db"))
        .unwrap()
        .items("k", 10)
        .unwrap();
    // Now many more articles, and a file size limit standing in for a full disk: writes past it
    // fail with EFBIG (SIGXFSZ ignored), as they would with ENOSPC.
    binary_setup(&server, dir.path(), 400, "data");
    let mut cmd = std::process::Command::new("sh");
    cmd.arg("-c")
        .arg("trap '' XFSZ; ulimit -f 200; exec \"$0\" --config \"$1\" once")
        .arg(env!("CARGO_BIN_EXE_clearfeed"))
        .arg(dir.path().join("clearfeed.toml"));
    let out = cmd.output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    eprintln!("{text}");
    assert!(
        !out.status.success(),
        "the run cannot have succeeded: {text}"
    );
    assert!(
        text.contains("database") || text.contains("cannot write") || text.contains("too large"),
        "a clear error: {text}"
    );
    integrity_ok(&data.join("clearfeed.db"));
    let store = Store::open(&data.join("clearfeed.db")).unwrap();
    let after = store.items("k", 1000).unwrap();
    for item in &before {
        assert!(
            after
                .iter()
                .any(|i| i.guid == item.guid && i.content_hash == item.content_hash)
        );
    }
    published_files_parse(&data.join("public"));
}

//! End to end: the back half of the pipeline (config, source, fetch, store) against a real HTTP
//! server on 127.0.0.1 and a real SQLite file in a temp dir. The server is a small invented news
//! site whose responses each test sets up, and which records every request it sees.

mod common;

use std::path::Path;
use std::time::Duration;

use clearfeed::config::{AppConfig, FeedConfig, FetchConfig, SourceKind};
use clearfeed::pipeline::{FeedReport, Pipeline};
use clearfeed::store::Store;

use common::{Reply, Seen, Server};

// ---------------------------------------------------------------------------------------------
// Pages of the fixture site (served by `common::Server`)

/// An invented article page in ordinary news markup.
fn article_html(title: &str, para: &str) -> String {
    format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title} - Harbour Gazette</title>
<meta property="og:title" content="{title}"></head><body>
<header><nav><a href="/">Home</a> <a href="/news/">News</a></nav></header>
<main><article><h1>{title}</h1><p class="byline">By Ada Marsh</p>
<div class="ad">ADVERTISEMENT</div>
<p>{para}</p>
<p>The harbour master said the new schedule would be reviewed after the winter season, once the
ferry operators had reported on passenger numbers and the condition of the northern pier.</p>
<p>Residents can comment on the plan at the town hall until the end of the month.</p>
</article></main><footer>© Harbour Gazette</footer></body></html>"#
    )
}

fn rss(items: &[(&str, &str, &str, &str)]) -> String {
    // (guid, link, title, teaser)
    let mut out = String::from(
        r#"<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Harbour Gazette</title><link>http://gazette.invalid/</link><description>Local news</description>"#,
    );
    for (guid, link, title, teaser) in items {
        out.push_str("<item>");
        if !guid.is_empty() {
            out.push_str(&format!("<guid isPermaLink=\"false\">{guid}</guid>"));
        }
        if !link.is_empty() {
            out.push_str(&format!("<link>{link}</link>"));
        }
        out.push_str(&format!(
            "<title>{title}</title><description><![CDATA[<p>{teaser}</p><p>Advertisement: buy now</p>]]></description></item>"
        ));
    }
    out.push_str("</channel></rss>");
    out
}

// ---------------------------------------------------------------------------------------------
// Helpers

fn fetch_config(allow_private: bool) -> FetchConfig {
    FetchConfig {
        allow_private_networks: allow_private,
        per_host_delay: Duration::ZERO,
        retries: 1,
        retry_backoff: Duration::from_millis(5),
        timeout: Duration::from_secs(10),
        max_page_bytes: 64 * 1024,
        ..FetchConfig::default()
    }
}

fn app_config(dir: &Path, feeds: Vec<FeedConfig>, fetch: FetchConfig) -> AppConfig {
    AppConfig {
        data_dir: dir.to_path_buf(),
        feeds,
        fetch,
        ..AppConfig::default()
    }
}

fn feed(site: &Server, id: &str, path: &str) -> FeedConfig {
    FeedConfig::from_feed_url(id, url::Url::parse(&site.url(path)).unwrap())
}

fn stored_urls(store: &Store, feed: &str) -> Vec<String> {
    let mut urls: Vec<String> = store
        .items(feed, 100)
        .unwrap()
        .into_iter()
        .map(|i| i.url)
        .collect();
    urls.sort();
    urls
}

fn ok(report: &FeedReport) {
    assert!(report.error.is_none(), "feed failed: {report:?}");
}

// ---------------------------------------------------------------------------------------------
// Tests

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn items_appear_once_and_a_second_run_is_only_conditional() {
    let site = Server::start();
    let u = |p: &str| site.url(p);
    site.feed(
        "/rss.xml",
        &rss(&[
            (
                "h-1",
                &u("/news/ferry"),
                "Ferry timetable changes",
                "Winter ferries",
            ),
            ("h-2", "/news/pier", "Pier repairs begin", "Repairs"),
            ("h-1", &u("/news/ferry-again"), "Duplicate guid", "dup"),
            ("h-3", "", "No link at all", "nothing"),
        ]),
        "rss-1",
        "application/rss+xml",
    );
    site.feed(
        "/atom.xml",
        &format!(
            r#"<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Gazette sport</title><id>urn:gazette:sport</id><updated>2026-11-24T09:00:00Z</updated>
<entry><title>Rowing club wins</title><id>urn:gazette:row</id><link rel="alternate" href="{}"/><updated>2026-11-24T09:00:00Z</updated><summary>Rowing</summary></entry>
<entry><title>Sailing season ends</title><id>urn:gazette:sail</id><link href="/sport/sail"/><updated>2026-11-24T08:00:00Z</updated><summary>Sailing</summary></entry>
</feed>"#,
            u("/sport/row")
        ),
        "atom-1",
        "application/atom+xml",
    );
    for (path, title) in [
        ("/news/ferry", "Ferry timetable changes"),
        ("/news/pier", "Pier repairs begin"),
        ("/sport/row", "Rowing club wins"),
        ("/sport/sail", "Sailing season ends"),
    ] {
        site.page(
            path,
            &article_html(title, "The first paragraph of the story."),
            path,
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let feeds = vec![
        feed(&site, "gazette", "/rss.xml"),
        feed(&site, "sport", "/atom.xml"),
    ];
    let pipeline =
        Pipeline::new(app_config(dir.path(), feeds.clone(), fetch_config(true))).unwrap();

    for f in &feeds {
        let r = pipeline.run_feed(f).await;
        ok(&r);
        assert_eq!((r.new, r.updated, r.failed), (2, 0, 0), "{r:?}");
    }
    let store = Store::open(&dir.path().join("clearfeed.db")).unwrap();
    assert_eq!(
        stored_urls(&store, "gazette"),
        vec![u("/news/ferry"), u("/news/pier")]
    );
    assert_eq!(
        stored_urls(&store, "sport"),
        vec![u("/sport/row"), u("/sport/sail")]
    );
    // Extracted and summarized: the article's own text, not the teaser, and no ad label.
    for item in store.items("gazette", 10).unwrap() {
        assert!(
            item.content_html.contains("first paragraph of the story"),
            "{item:?}"
        );
        assert!(
            item.summary.contains("first paragraph of the story"),
            "{item:?}"
        );
        assert!(!item.content_html.contains("ADVERTISEMENT"), "{item:?}");
        assert!(
            !item.content_html.contains("Advertisement: buy now"),
            "{item:?}"
        );
    }
    for path in ["/news/ferry", "/news/pier", "/sport/row", "/sport/sail"] {
        assert_eq!(site.hits(path), 1, "{path}");
    }
    assert_eq!(
        site.hits("/news/ferry-again"),
        0,
        "duplicate guid not fetched"
    );
    let first_run = site.seen().len();

    for f in &feeds {
        let r = pipeline.run_feed(f).await;
        ok(&r);
        assert!(r.source_not_modified, "{r:?}");
        assert_eq!(r.new, 0);
    }
    let second: Vec<Seen> = site.seen()[first_run..].to_vec();
    assert!(!second.is_empty());
    assert!(
        second.iter().all(|s| s.conditional),
        "unconditional requests on the second run: {second:?}"
    );
    assert!(
        second.iter().filter(|s| s.status == 304).count() >= 2,
        "{second:?}"
    );
    let published = || {
        pipeline
            .metrics()
            .feeds_published
            .load(std::sync::atomic::Ordering::Relaxed)
    };
    assert_eq!(published(), 2, "an unchanged feed is not rendered again");
    assert_eq!(
        store.items("gazette", 100).unwrap().len(),
        2,
        "no duplicates"
    );
    assert_eq!(store.items("sport", 100).unwrap().len(), 2, "no duplicates");
    let state = store.feed_state("gazette").unwrap().unwrap();
    assert_eq!(state.etag.as_deref(), Some("\"rss-1\""));
    assert_eq!(state.title.as_deref(), Some("Harbour Gazette"));
    assert!(state.last_success.is_some());

    // A changed source is read again, and only new entries are fetched.
    site.feed(
        "/rss.xml",
        &rss(&[
            ("h-4", &u("/news/market"), "Market moves indoors", "Market"),
            (
                "h-1",
                &u("/news/ferry"),
                "Ferry timetable changes",
                "Winter ferries",
            ),
            ("h-2", "/news/pier", "Pier repairs begin", "Repairs"),
        ]),
        "rss-2",
        "application/rss+xml",
    );
    site.page(
        "/news/market",
        &article_html("Market moves indoors", "Stalls."),
        "m",
    );
    let r = pipeline.run_feed(&feeds[0]).await;
    ok(&r);
    assert_eq!((r.new, r.unchanged, r.failed), (1, 2, 0), "{r:?}");
    assert_eq!(site.hits("/news/market"), 1);
    assert_eq!(store.items("gazette", 100).unwrap().len(), 3);
    assert_eq!(published(), 3, "a feed with a new item is published");
    let rss_file = dir.path().join("public").join("gazette.rss");
    assert!(
        std::fs::read_to_string(&rss_file)
            .unwrap()
            .contains("Market moves indoors")
    );
    // A published file that went missing is written again, though nothing changed upstream.
    std::fs::remove_file(&rss_file).unwrap();
    ok(&pipeline.run_feed(&feeds[0]).await);
    assert_eq!(published(), 4);
    assert!(rss_file.is_file());
    assert_eq!(
        pipeline
            .metrics()
            .feed_runs
            .load(std::sync::atomic::Ordering::Relaxed),
        6
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_article_is_updated_not_duplicated() {
    let site = Server::start();
    let u = |p: &str| site.url(p);
    site.feed(
        "/rss.xml",
        &rss(&[("s-1", &u("/news/storm"), "Storm closes harbour", "Storm")]),
        "v1",
        "application/rss+xml",
    );
    site.page(
        "/news/storm",
        &article_html(
            "Storm closes harbour",
            "Gales closed the harbour on Monday.",
        ),
        "p1",
    );
    let dir = tempfile::tempdir().unwrap();
    let f = feed(&site, "gazette", "/rss.xml");
    let pipeline =
        Pipeline::new(app_config(dir.path(), vec![f.clone()], fetch_config(true))).unwrap();
    ok(&pipeline.run_feed(&f).await);
    let store = Store::open(&dir.path().join("clearfeed.db")).unwrap();
    let before = store.items("gazette", 10).unwrap();
    assert_eq!(before.len(), 1);

    // The story is corrected: new headline upstream, new page content.
    site.feed(
        "/rss.xml",
        &rss(&[(
            "s-1",
            &u("/news/storm"),
            "Storm closes harbour for two days",
            "Storm, updated",
        )]),
        "v2",
        "application/rss+xml",
    );
    site.page(
        "/news/storm",
        &article_html(
            "Storm closes harbour for two days",
            "Gales closed the harbour on Monday and Tuesday.",
        ),
        "p2",
    );
    let r = pipeline.run_feed(&f).await;
    ok(&r);
    assert_eq!((r.new, r.updated, r.failed), (0, 1, 0), "{r:?}");
    let after = store.items("gazette", 10).unwrap();
    assert_eq!(after.len(), 1, "updated in place, not duplicated");
    assert_eq!(after[0].guid, before[0].guid);
    assert_eq!(after[0].first_seen, before[0].first_seen);
    assert_ne!(after[0].content_hash, before[0].content_hash);
    assert!(after[0].updated > before[0].updated);
    assert!(after[0].title.contains("two days"), "{:?}", after[0].title);
    assert!(after[0].content_html.contains("Monday and Tuesday"));
    assert_eq!(site.hits("/news/storm"), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_hostile_article_costs_only_itself() {
    let site = Server::start();
    let u = |p: &str| site.url(p);
    site.set(
        "/robots.txt",
        Reply::Validated {
            body: b"User-agent: *\nDisallow: /private/\n".to_vec(),
            content_type: "text/plain".into(),
            etag: None,
            last_modified: None,
        },
    );
    site.feed(
        "/rss.xml",
        &rss(&[
            ("ok", &u("/news/ok"), "A normal story", "Normal"),
            (
                "private",
                &u("/private/secret"),
                "Members only",
                "Members teaser",
            ),
            ("gone", &u("/news/gone"), "Deleted story", "Gone teaser"),
            ("huge", &u("/news/huge"), "Enormous page", "Huge teaser"),
            ("ftp", &u("/news/moved"), "Moved to ftp", "Moved teaser"),
            ("flaky", &u("/news/flaky"), "Flaky server", "Flaky teaser"),
            (
                "broken",
                &u("/news/broken"),
                "Broken server",
                "Broken teaser",
            ),
            ("bomb", &u("/news/bomb"), "Compressed bomb", "Bomb teaser"),
            (
                "missing",
                &u("/news/missing"),
                "Never existed",
                "Missing teaser",
            ),
            ("drip", &u("/news/drip"), "Endless page", "Drip teaser"),
        ]),
        "r1",
        "application/rss+xml",
    );
    site.page("/news/ok", &article_html("A normal story", "Fine."), "ok");
    site.set("/news/gone", Reply::status(410));
    site.set(
        "/news/huge",
        Reply::Validated {
            body: article_html("Enormous page", &"word ".repeat(100_000)).into_bytes(),
            content_type: "text/html".into(),
            etag: None,
            last_modified: None,
        },
    );
    site.set(
        "/news/moved",
        Reply::redirect("ftp://files.example/story.txt"),
    );
    site.set(
        "/news/flaky",
        Reply::FailFirst {
            status: 503,
            times: 1,
            then: Box::new(Reply::Validated {
                body: article_html("Flaky server", "Worked the second time.").into_bytes(),
                content_type: "text/html".into(),
                etag: None,
                last_modified: None,
            }),
        },
    );
    site.set("/news/broken", Reply::status(500));
    // 8 MiB of zeros in an HTML page: about 8 KiB gzipped, far over the cap once decompressed.
    let bomb = {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(b"<html><body><p>").unwrap();
        gz.write_all(&vec![b'0'; 8 * 1024 * 1024]).unwrap();
        gz.finish().unwrap()
    };
    assert!(bomb.len() < 64 * 1024, "the wire size is under the cap");
    site.set(
        "/news/bomb",
        Reply::full(200, "text/html", bomb).header("Content-Encoding", "gzip"),
    );
    site.set("/news/drip", Reply::Drip);

    let dir = tempfile::tempdir().unwrap();
    let f = feed(&site, "gazette", "/rss.xml");
    let fetch = FetchConfig {
        // Real time on real sockets: the dripping page costs two attempts of this.
        timeout: Duration::from_millis(700),
        ..fetch_config(true)
    };
    let pipeline = Pipeline::new(app_config(dir.path(), vec![f.clone()], fetch)).unwrap();
    let r = pipeline.run_feed(&f).await;
    ok(&r);
    // ok and flaky are read; private, gone, huge, ftp, broken, bomb, missing and drip fail,
    // each on its own.
    assert_eq!((r.new, r.failed), (2, 8), "{r:?}");

    assert_eq!(site.hits("/robots.txt"), 1);
    assert_eq!(
        site.hits("/private/secret"),
        0,
        "robots.txt disallow respected"
    );
    assert_eq!(site.hits("/news/gone"), 1);
    assert_eq!(site.hits("/news/flaky"), 2, "503 retried once");
    assert_eq!(
        site.hits("/news/broken"),
        2,
        "500 retried `retries` times, then given up"
    );

    let store = Store::open(&dir.path().join("clearfeed.db")).unwrap();
    let items = store.items("gazette", 100).unwrap();
    assert!(
        !items.iter().any(|i| i.url.ends_with("/news/gone")),
        "a 410 article is dropped"
    );
    assert!(items.iter().any(|i| i.url.ends_with("/news/ok")));
    assert!(items.iter().any(|i| i.url.ends_with("/news/flaky")));
    // Articles that could not be read keep the source's teaser, marked, sanitized of nothing
    // executable, and never the bytes of the oversized page.
    let private = items
        .iter()
        .find(|i| i.url.ends_with("/private/secret"))
        .unwrap();
    assert!(private.content_html.contains("Members teaser"));
    assert!(private.content_html.contains("could not be read"));
    let huge = items
        .iter()
        .find(|i| i.url.ends_with("/news/huge"))
        .unwrap();
    assert!(!huge.content_html.contains("word word"));

    let log = store.fetch_log(100).unwrap();
    let outcome = |path: &str| {
        log.iter()
            .find(|e| e.url.ends_with(path))
            .map(|e| e.outcome.clone())
            .unwrap_or_default()
    };
    assert!(
        outcome("/news/huge").contains("larger than 65536 bytes"),
        "{log:#?}"
    );
    assert!(
        outcome("/news/bomb").contains("larger than 65536 bytes"),
        "{log:#?}"
    );
    assert!(outcome("/news/drip").contains("timed out"), "{log:#?}");
    assert!(
        !items.iter().any(|i| i.url.ends_with("/news/missing")),
        "a 404 article is dropped"
    );
    assert!(
        outcome("/news/moved").contains("only http and https"),
        "{log:#?}"
    );
    assert!(
        outcome("/private/secret").contains("robots.txt"),
        "{log:#?}"
    );
    assert_eq!(
        site.hits("/news/moved"),
        1,
        "the ftp redirect is not followed"
    );

    // Next run: the gone article is not asked for again.
    let before = (site.hits("/news/gone"), site.hits("/news/missing"));
    assert_eq!(before, (1, 1));
    ok(&pipeline.run_feed(&f).await);
    assert_eq!(
        (site.hits("/news/gone"), site.hits("/news/missing")),
        before,
        "404/410: no retries"
    );
    assert_eq!(site.hits("/private/secret"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn address_guard_refuses_loopback_unless_allowed() {
    let site = Server::start();
    site.feed(
        "/rss.xml",
        &rss(&[("a", &site.url("/news/a"), "A", "teaser")]),
        "e",
        "application/rss+xml",
    );
    site.page("/news/a", &article_html("A", "Body."), "a");
    let dir = tempfile::tempdir().unwrap();

    // IP literal and a name that resolves to loopback are both refused by default.
    let by_ip = feed(&site, "by-ip", "/rss.xml");
    let mut by_name = feed(&site, "by-name", "/rss.xml");
    by_name.source_url.set_host(Some("localhost")).unwrap();
    let pipeline = Pipeline::new(app_config(
        dir.path(),
        vec![by_ip.clone(), by_name.clone()],
        fetch_config(false),
    ))
    .unwrap();
    for f in [&by_ip, &by_name] {
        let r = pipeline.run_feed(f).await;
        let err = r.error.expect("must be refused");
        assert!(err.contains("not a public address"), "{err}");
    }
    assert!(site.seen().is_empty(), "no request reached the server");

    // A feed's allow_hosts opens the guard for that host only.
    let mut allowed = feed(&site, "allowed", "/rss.xml");
    allowed.allow_hosts = vec!["127.0.0.1".into()];
    let r = pipeline.run_feed(&allowed).await;
    ok(&r);
    assert_eq!(site.hits("/rss.xml"), 1);
    assert_eq!(site.hits("/news/a"), 1);

    // An allowed host may not redirect to one that is not: every hop is checked again, both an
    // IP literal (redirect policy) and a name (resolver).
    let port = site.addr.port();
    site.set(
        "/to-ip",
        Reply::redirect(&format!("http://127.0.0.1:{port}/rss.xml")),
    );
    site.set(
        "/to-name",
        Reply::redirect(&format!("http://localhost:{port}/rss.xml")),
    );
    let mut via_name = feed(&site, "via-name", "/to-ip");
    via_name.source_url.set_host(Some("localhost")).unwrap();
    via_name.allow_hosts = vec!["localhost".into()];
    let mut via_ip = feed(&site, "via-ip", "/to-name");
    via_ip.allow_hosts = vec!["127.0.0.1".into()];
    let feeds_before = site.hits("/rss.xml");
    for f in [&via_name, &via_ip] {
        let r = pipeline.run_feed(f).await;
        let err = r
            .error
            .expect("redirect into a blocked address must be refused");
        assert!(err.contains("not a public address"), "{err}");
    }
    assert_eq!(site.hits("/to-ip"), 1);
    assert_eq!(site.hits("/to-name"), 1);
    assert_eq!(
        site.hits("/rss.xml"),
        feeds_before,
        "the redirect target was never reached"
    );

    let store = Store::open(&dir.path().join("clearfeed.db")).unwrap();
    let state = store.feed_state("by-ip").unwrap().unwrap();
    assert_eq!(state.consecutive_failures, 1);
    assert!(state.next_allowed.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listing_page_source_with_include_exclude() {
    let site = Server::start();
    let u = |p: &str| site.url(p);
    site.page(
        "/news/",
        r#"<html><head><title>News</title></head><body>
<ul class="stories">
<li><a href="/news/2026/lifeboat">Lifeboat launched</a></li>
<li><a href="/news/2026/library?utm_source=home">Library extends hours</a></li>
<li><a href="/news/live/council">Live: council meeting</a></li>
<li><a href="/about">About us</a></li>
</ul></body></html>"#,
        "listing",
    );
    site.page(
        "/news/2026/lifeboat",
        &article_html("Lifeboat launched", "Crowds."),
        "l",
    );
    site.page(
        "/news/2026/library",
        &article_html("Library extends hours", "Books."),
        "b",
    );
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "title = \"Gazette news\"\nschedule = \"*/10 * * * *\"\n[source]\nurl = \"{}\"\nkind = \"page\"\nlinks = \"ul.stories a\"\ninclude = \"/news/2026/\"\nexclude = [\"/live/\"]\n",
        u("/news/")
    );
    let f = clearfeed::config::parse_feed(&dir.path().join("gazette.toml"), &text).unwrap();
    assert!(matches!(f.source, SourceKind::Page(_)));
    let pipeline =
        Pipeline::new(app_config(dir.path(), vec![f.clone()], fetch_config(true))).unwrap();
    let r = pipeline.run_feed(&f).await;
    ok(&r);
    assert_eq!((r.new, r.failed), (2, 0), "{r:?}");
    assert_eq!(site.hits("/news/2026/lifeboat"), 1);
    assert_eq!(site.hits("/news/2026/library"), 1);
    assert_eq!(site.hits("/about"), 0);
    let store = Store::open(&dir.path().join("clearfeed.db")).unwrap();
    assert_eq!(
        stored_urls(&store, "gazette"),
        vec![u("/news/2026/library"), u("/news/2026/lifeboat")],
        "tracking parameters dropped from the stored URL"
    );
    assert_eq!(site.hits("/news/live/council"), 0);
    assert_eq!(
        site.hits("/robots.txt"),
        1,
        "a listing page is crawled: robots.txt consulted"
    );
}

#[test]
fn config_errors_name_file_line_and_nearest_key_and_disable_only_their_feed() {
    let dir = tempfile::tempdir().unwrap();
    let feeds = dir.path().join("feeds");
    std::fs::create_dir(&feeds).unwrap();
    std::fs::write(
        dir.path().join("clearfeed.toml"),
        "data_dir = \"state\"\n[fetch]\nper_host_delay = \"2s\"\nallow_private_networks = true\n",
    )
    .unwrap();
    std::fs::write(
        feeds.join("good.toml"),
        "title = \"Good\"\n[source]\nurl = \"https://news.example/rss.xml\"\n",
    )
    .unwrap();
    std::fs::write(
        feeds.join("bad.toml"),
        "title = \"Bad\"\n\n[source]\nurl = \"https://news.example/rss.xml\"\nknid = \"feed\"\n",
    )
    .unwrap();
    std::fs::write(feeds.join("reference.toml.example"), "this is = not loaded").unwrap();
    std::fs::write(feeds.join("README.md"), "# feeds").unwrap();

    let config = AppConfig::load_from(&dir.path().join("clearfeed.toml"), None).unwrap();
    assert_eq!(config.data_dir, dir.path().join("state"));
    assert_eq!(config.fetch.per_host_delay, Duration::from_secs(2));
    let ids: Vec<_> = config.feeds.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(
        ids,
        vec!["good"],
        "the bad feed is disabled, the good one loads"
    );
    assert_eq!(config.feed_errors.len(), 1);
    let err = &config.feed_errors[0];
    assert_eq!(err.file, feeds.join("bad.toml"));
    assert_eq!(err.line, Some(5));
    assert_eq!(err.hint.as_deref(), Some("did you mean `kind`?"));

    // `clearfeed check` prints it and counts it.
    let (text, errors) = clearfeed::config::check(&dir.path().join("clearfeed.toml"), None);
    assert_eq!(errors, 1, "{text}");
    assert!(
        text.contains("bad.toml:5: unknown key `knid` in [source] (hint: did you mean `kind`?)"),
        "{text}"
    );
    assert!(text.contains("ok  good"), "{text}");

    // An error in clearfeed.toml itself stops everything, with its line.
    std::fs::write(
        dir.path().join("clearfeed.toml"),
        "[fetch]\ntimeout = \"30s\"\nmax_redirect = 3\n",
    )
    .unwrap();
    let errs = AppConfig::load_from(&dir.path().join("clearfeed.toml"), None)
        .unwrap_err()
        .0;
    assert_eq!(errs[0].line, Some(3));
    assert_eq!(
        errs[0].hint.as_deref(),
        Some("did you mean `max_redirects`?")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn once_reports_a_line_per_feed_and_a_failed_source_fails_only_its_feed() {
    let site = Server::start();
    site.feed(
        "/rss.xml",
        &rss(&[("a", &site.url("/news/a"), "A", "teaser")]),
        "e",
        "application/rss+xml",
    );
    site.page("/news/a", &article_html("A", "Body."), "a");
    let dir = tempfile::tempdir().unwrap();
    let feeds = dir.path().join("feeds");
    std::fs::create_dir(&feeds).unwrap();
    std::fs::write(
        dir.path().join("clearfeed.toml"),
        "[fetch]\nallow_private_networks = true\nper_host_delay = \"0s\"\nretries = 0\n",
    )
    .unwrap();
    std::fs::write(
        feeds.join("gazette.toml"),
        format!("[source]\nurl = \"{}\"\n", site.url("/rss.xml")),
    )
    .unwrap();
    std::fs::write(
        feeds.join("missing.toml"),
        format!("[source]\nurl = \"{}\"\n", site.url("/nothing.xml")),
    )
    .unwrap();
    let config = AppConfig::load_from(
        &dir.path().join("clearfeed.toml"),
        Some(dir.path().join("data")),
    )
    .unwrap();
    let pipeline = Pipeline::new(config.clone()).unwrap();

    let only = clearfeed::app::commands::select_feeds(&config, &["gazette".to_string()]).unwrap();
    let reports = clearfeed::schedule::run_all(&pipeline, &only, only.len()).await;
    assert_eq!(reports.len(), 1);
    let line = reports[0].to_string();
    assert!(line.starts_with("gazette: new "), "{line}");
    assert!(line.contains(", unchanged 0, failed "), "{line}");
    assert!(dir.path().join("data").join("clearfeed.db").exists());

    let all = clearfeed::app::commands::select_feeds(&config, &[]).unwrap();
    let reports = clearfeed::schedule::run_all(&pipeline, &all, all.len()).await;
    let lines: Vec<String> = reports.iter().map(|r| r.to_string()).collect();
    assert_eq!(
        lines[0],
        "gazette: new 0, updated 0, unchanged 0, failed 0 (source not modified)"
    );
    assert!(
        lines[1].starts_with("missing: feed failed: source:"),
        "{lines:?}"
    );
    assert!(reports[1].error.as_deref().unwrap().contains("HTTP 404"));

    let states = pipeline.store().feed_states().unwrap();
    let table = clearfeed::app::commands::status_table(&config.feeds, &config.feed_errors, &states);
    let missing = table.lines().find(|l| l.starts_with("missing")).unwrap();
    assert!(missing.contains("HTTP 404"), "{table}");
    assert!(table.lines().any(|l| l.starts_with("gazette ")), "{table}");

    let err = clearfeed::app::commands::select_feeds(&config, &["nope".to_string()]).unwrap_err();
    assert!(err.to_string().contains("no feed \"nope\""), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_asking_for_a_long_pause_is_left_alone_without_holding_up_others() {
    let site = Server::start();
    let port = site.addr.port();
    // Same server under two host names: politeness is per host name.
    let busy = |p: &str| format!("http://127.0.0.1:{port}{p}");
    let other = |p: &str| format!("http://localhost:{port}{p}");
    site.feed(
        "/busy.xml",
        &rss(&[
            ("b1", &busy("/news/busy"), "Busy", "Busy teaser"),
            ("b2", &busy("/news/after"), "After", "After teaser"),
        ]),
        "b",
        "application/rss+xml",
    );
    site.set(
        "/news/busy",
        Reply::status(429).header("Retry-After", "3600"),
    );
    site.page("/news/after", &article_html("After", "Body."), "after");
    site.feed(
        "/other.xml",
        &rss(&[("o1", &other("/news/other"), "Other", "Other teaser")]),
        "o",
        "application/rss+xml",
    );
    site.page("/news/other", &article_html("Other", "Body."), "other");
    let dir = tempfile::tempdir().unwrap();
    let busy_feed = FeedConfig::from_feed_url("busy", url::Url::parse(&busy("/busy.xml")).unwrap());
    let other_feed =
        FeedConfig::from_feed_url("other", url::Url::parse(&other("/other.xml")).unwrap());
    let fetch = FetchConfig {
        // One article at a time, in listing order, so "after" follows the 429.
        concurrency: 1,
        retries: 3,
        ..fetch_config(true)
    };
    let pipeline = Pipeline::new(app_config(
        dir.path(),
        vec![busy_feed.clone(), other_feed.clone()],
        fetch,
    ))
    .unwrap();
    let started = std::time::Instant::now();
    let r = pipeline.run_feed(&busy_feed).await;
    ok(&r);
    assert_eq!((r.failed, r.deferred), (1, 1), "{r:?}");
    assert_eq!(
        site.hits("/news/busy"),
        1,
        "a Retry-After beyond max_wait is not retried"
    );
    assert_eq!(
        site.hits("/news/after"),
        0,
        "the host is on hold: no request at all"
    );
    let r = pipeline.run_feed(&other_feed).await;
    ok(&r);
    assert_eq!(r.new, 1, "another host is not held up: {r:?}");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "nobody waited out the hour"
    );
    let log = pipeline.store().fetch_log(10).unwrap();
    assert!(
        log.iter()
            .any(|e| e.url.ends_with("/news/after") && e.outcome.contains("backing off")),
        "{log:#?}"
    );
}

/// The process the crash test kills: one `once` pass over the config named by the environment.
/// Run only by `a_kill_mid_run_loses_no_committed_item` (as a child process).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "child process of the crash test"]
async fn crash_child() {
    let config = AppConfig::load_from(
        Path::new(&std::env::var("CLEARFEED_CRASH_CONFIG").unwrap()),
        None,
    )
    .unwrap();
    let pipeline = Pipeline::new(config.clone()).unwrap();
    clearfeed::schedule::run_all(&pipeline, &config.feeds, config.feeds.len()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_mid_run_loses_no_committed_item() {
    const ARTICLES: usize = 12;
    let site = Server::start();
    let entries: Vec<(String, String, String)> = (0..ARTICLES)
        .map(|i| {
            (
                format!("k-{i}"),
                site.url(&format!("/news/{i}")),
                format!("Story {i}"),
            )
        })
        .collect();
    let feed_xml = rss(&entries
        .iter()
        .map(|(g, l, t)| (g.as_str(), l.as_str(), t.as_str(), "teaser"))
        .collect::<Vec<_>>());
    for i in 0..ARTICLES {
        site.page(
            &format!("/news/{i}"),
            &article_html(&format!("Story {i}"), &format!("Paragraph of story {i}.")),
            &format!("a{i}"),
        );
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("feeds")).unwrap();
    std::fs::write(
        dir.path().join("clearfeed.toml"),
        "data_dir = \"data\"\n[fetch]\nallow_private_networks = true\nper_host_delay = \"0s\"\nconcurrency = 1\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("feeds").join("gazette.toml"),
        format!("[source]\nurl = \"{}\"\n", site.url("/rss.xml")),
    )
    .unwrap();
    let db = dir.path().join("data").join("clearfeed.db");

    // Kill the run while it waits for article `hang`: every article before it was stored.
    for (round, hang) in [3usize, 7, 10].into_iter().enumerate() {
        // A new feed version each round, so the run reads the listing again.
        site.feed(
            "/rss.xml",
            &feed_xml,
            &format!("round-{round}"),
            "application/rss+xml",
        );
        site.set(&format!("/news/{hang}"), Reply::Hang);
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--ignored", "--exact", "crash_child", "--test-threads", "1"])
            .env("CLEARFEED_CRASH_CONFIG", dir.path().join("clearfeed.toml"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        tokio::time::timeout(Duration::from_secs(60), site.arrived().notified())
            .await
            .expect("the child reaches the hanging article");
        // The items of a run are committed in batches, each within 250 ms of its first item:
        // past that, every article read before the hanging one is committed, though the run is
        // stuck. A kill sooner may lose those of the last batch (still in flight), never more.
        tokio::time::sleep(Duration::from_secs(1)).await;
        child.kill().unwrap(); // SIGKILL: no destructors, no flush
        child.wait().unwrap();

        let conn = rusqlite::Connection::open(&db).unwrap();
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok");
        drop(conn);
        let store = Store::open(&db).unwrap();
        let mut guids: Vec<String> = store
            .items("gazette", 100)
            .unwrap()
            .into_iter()
            .map(|i| i.guid)
            .collect();
        guids.sort_by_key(|g| g[2..].parse::<usize>().unwrap());
        let expected: Vec<String> = (0..hang).map(|i| format!("k-{i}")).collect();
        assert_eq!(
            guids, expected,
            "round {round}: every committed item is there, once"
        );
        site.page(
            &format!("/news/{hang}"),
            &article_html(
                &format!("Story {hang}"),
                &format!("Paragraph of story {hang}."),
            ),
            &format!("a{hang}"),
        );
    }

    // The next run resumes: only what is missing is fetched, nothing is duplicated.
    site.feed("/rss.xml", &feed_xml, "final", "application/rss+xml");
    let config = AppConfig::load_from(&dir.path().join("clearfeed.toml"), None).unwrap();
    let pipeline = Pipeline::new(config.clone()).unwrap();
    let reports = clearfeed::schedule::run_all(&pipeline, &config.feeds, config.feeds.len()).await;
    ok(&reports[0]);
    assert_eq!(reports[0].new, ARTICLES - 10, "{:?}", reports[0]);
    assert_eq!(reports[0].unchanged, 10);
    assert_eq!(
        pipeline.store().items("gazette", 100).unwrap().len(),
        ARTICLES
    );
    for i in 0..ARTICLES {
        // Story 3 and 7 were asked for twice (the hang, then the resumed run); the rest once.
        let expected = if [3, 7, 10].contains(&i) { 2 } else { 1 };
        assert_eq!(site.hits(&format!("/news/{i}")), expected, "article {i}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_refresh_window_young_articles_are_revalidated_conditionally() {
    let site = Server::start();
    let u = |p: &str| site.url(p);
    let listing = rss(&[("r-1", &u("/news/vote"), "Council vote", "Vote")]);
    site.feed("/rss.xml", &listing, "v1", "application/rss+xml");
    site.page(
        "/news/vote",
        &article_html("Council vote", "The council voted on Tuesday."),
        "p1",
    );
    let dir = tempfile::tempdir().unwrap();
    let f = feed(&site, "gazette", "/rss.xml");
    let fetch = FetchConfig {
        refresh: Duration::from_secs(3600),
        ..fetch_config(true)
    };
    let pipeline = Pipeline::new(app_config(dir.path(), vec![f.clone()], fetch)).unwrap();
    ok(&pipeline.run_feed(&f).await);

    // Same headline upstream, page unchanged: a conditional request answered with 304.
    site.feed("/rss.xml", &listing, "v2", "application/rss+xml");
    let before = site.seen().len();
    let r = pipeline.run_feed(&f).await;
    ok(&r);
    assert_eq!((r.new, r.updated, r.unchanged), (0, 0, 1), "{r:?}");
    let article: Vec<Seen> = site.seen()[before..]
        .iter()
        .filter(|s| s.path == "/news/vote")
        .cloned()
        .collect();
    assert_eq!(article.len(), 1);
    assert!(
        article[0].conditional && article[0].status == 304,
        "{article:?}"
    );

    // The page is corrected without any change upstream: the revalidation picks it up.
    site.feed("/rss.xml", &listing, "v3", "application/rss+xml");
    site.page(
        "/news/vote",
        &article_html(
            "Council vote",
            "The council voted on Wednesday, not Tuesday.",
        ),
        "p2",
    );
    let r = pipeline.run_feed(&f).await;
    ok(&r);
    assert_eq!((r.new, r.updated), (0, 1), "{r:?}");
    let items = pipeline.store().items("gazette", 10).unwrap();
    assert_eq!(items.len(), 1);
    assert!(items[0].content_html.contains("Wednesday"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_feed_is_never_run_twice_at_once() {
    let site = Server::start();
    site.set("/rss.xml", Reply::Hang);
    let dir = tempfile::tempdir().unwrap();
    let feeds = vec![feed(&site, "gazette", "/rss.xml")];
    let pipeline =
        Pipeline::new(app_config(dir.path(), feeds.clone(), fetch_config(true))).unwrap();
    let first = tokio::spawn({
        let (pipeline, feed) = (pipeline.clone(), feeds[0].clone());
        async move { pipeline.run_feed(&feed).await }
    });
    tokio::time::timeout(Duration::from_secs(30), site.arrived().notified())
        .await
        .expect("the first pass waits on the source");
    let second = pipeline.run_feed(&feeds[0]).await;
    let error = second.error.expect("the second pass is refused");
    assert!(error.contains("still running"), "{error}");
    let overlaps = &pipeline.metrics().feed_run_overlaps;
    assert_eq!(overlaps.load(std::sync::atomic::Ordering::Relaxed), 1);
    let asked = site.seen().iter().filter(|s| s.path == "/rss.xml").count();
    assert_eq!(asked, 1, "the refused pass asked nothing");
    // Once the first pass is gone (here: abandoned), the feed runs again.
    first.abort();
    let _ = first.await;
    site.feed("/rss.xml", &rss(&[]), "empty", "application/rss+xml");
    ok(&pipeline.run_feed(&feeds[0]).await);
}

/// Counts the daemon's calls of its idle hook.
static IDLE_CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn count_idle() {
    IDLE_CALLS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
}

#[tokio::test]
async fn the_daemon_calls_its_idle_hook_once_no_run_is_in_flight() {
    let site = Server::start();
    site.feed("/rss.xml", &rss(&[]), "empty", "application/rss+xml");
    let dir = tempfile::tempdir().unwrap();
    let feeds = vec![feed(&site, "gazette", "/rss.xml")];
    let pipeline =
        Pipeline::new(app_config(dir.path(), feeds.clone(), fetch_config(true))).unwrap();
    let options = clearfeed::schedule::DaemonOptions {
        idle: Some(count_idle),
        ..Default::default()
    };
    let mut daemon = common::Daemon::start(pipeline, feeds, options);
    let report = tokio::time::timeout(Duration::from_secs(60), daemon.reports.recv())
        .await
        .expect("the start-up run within a minute")
        .unwrap();
    ok(&report);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while IDLE_CALLS.load(std::sync::atomic::Ordering::SeqCst) == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the idle hook was not called"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    daemon.stop().await;
}

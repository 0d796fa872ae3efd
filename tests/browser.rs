//! The index page in a real browser: the demo's sample site goes through the real pipeline (plus a
//! feed whose upstream is down), clearfeed's own server serves the result beside the pipeline, and
//! headless Chromium loads the page. The checks read the document Chromium built, not the HTML
//! string the server sent: the feeds, the items, their key points and the feeds' health as a
//! person sees them, the feed links a reader finds, and the thumbnails the browser fetched.

mod common;

use std::sync::atomic::Ordering;

use clearfeed::pipeline::{FeedConfig, Pipeline};
use clearfeed::serve::AppState;
use scraper::{ElementRef, Html, Selector};

use common::{AppServer, demo_setup, run_chromium, unused_addr};

/// An element's text as a person reads it: whitespace collapsed.
fn text(el: ElementRef<'_>) -> String {
    el.text()
        .collect::<Vec<_>>()
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn select<'a>(root: ElementRef<'a>, css: &str) -> Vec<ElementRef<'a>> {
    root.select(&Selector::parse(css).unwrap()).collect()
}

/// The `<section>` of the feed titled `title`.
fn section<'a>(dom: &'a Html, title: &str) -> ElementRef<'a> {
    select(dom.root_element(), "section")
        .into_iter()
        .find(|s| select(*s, "h2").first().map(|h| text(*h)).as_deref() == Some(title))
        .unwrap_or_else(|| panic!("no section titled {title:?} in {}", dom.html()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_shows_the_feeds_items_key_points_and_health() {
    let Some(chromium) = common::chromium() else {
        return;
    };
    let demo = demo_setup("127.0.0.1:8080".parse().unwrap()).await;
    let articles = clearfeed::app::tools::demo::sample_articles().unwrap();
    let mut settings = demo.config.settings();
    let down = format!("http://{}/feed.xml", unused_addr());
    let mut closed = FeedConfig::from_feed_url("closed", down.parse().unwrap());
    closed.title = "Closed Port Weekly".into();
    settings.feeds.push(closed);
    let feeds = settings.feeds.clone();
    let public = settings.public_dir();
    let pipeline = Pipeline::new(settings).unwrap();
    let reports = clearfeed::schedule::run_all(&pipeline, &feeds, 2).await;
    assert!(
        reports
            .iter()
            .any(|r| r.feed == "closed" && r.error.is_some())
    );

    let server = AppServer::start_with(
        AppState::new(public)
            .with_pipeline(pipeline)
            .with_scheduled_runs(),
    )
    .await;
    let requests_before = demo.site.stats.requests.load(Ordering::Relaxed);
    let url = server.url("/");
    let browser = chromium.clone();
    let dom = tokio::task::spawn_blocking(move || {
        run_chromium(&browser, &url, &["--window-size=1280,4000", "--dump-dom"])
    })
    .await
    .unwrap();
    let images_fetched = demo.site.stats.requests.load(Ordering::Relaxed) - requests_before;
    let dom = Html::parse_document(&dom);
    let root = dom.root_element();

    // A reader given the page's address finds every feed in every format.
    let alternates: Vec<_> = select(root, "head link[rel=alternate]")
        .iter()
        .map(|l| {
            (
                l.attr("type").unwrap().to_string(),
                l.attr("href").unwrap().to_string(),
            )
        })
        .collect();
    for id in ["lakeside", "lakeside-front", "closed"] {
        for (ty, ext) in [
            ("application/rss+xml", "rss"),
            ("application/atom+xml", "atom"),
            ("application/feed+json", "json"),
        ] {
            let want = (ty.to_string(), format!("/feeds/{id}.{ext}"));
            assert!(alternates.contains(&want), "{want:?} in {alternates:?}");
        }
    }

    // Each feed shows its own stories, each with its key points, and a healthy status.
    let mut thumbs = 0;
    for (title, listed) in [
        ("The Lakeside Ledger", true),
        ("The Lakeside Ledger: front page", false),
    ] {
        let feed = section(&dom, title);
        let health = text(select(feed, ".health")[0]);
        assert!(health.starts_with("Working · last success 20"), "{health}");
        assert!(health.contains("· next run 20"), "{health}");
        assert!(!health.contains("error"), "{health}");
        let items = select(feed, "article");
        let stories: Vec<_> = articles.iter().filter(|a| a.in_feed == listed).collect();
        assert_eq!(items.len(), stories.len(), "{title}");
        for story in stories {
            let item = items
                .iter()
                .find(|i| text(select(**i, "h3")[0]) == story.title)
                .unwrap_or_else(|| panic!("{:?} not shown under {title}", story.title));
            let bullets: Vec<_> = select(*item, "li").into_iter().map(text).collect();
            assert_eq!(bullets[0], story.key_points[0], "{}", story.title);
            let thumb = select(*item, "img.thumb");
            assert_eq!(thumb.len(), 1, "{}: no thumbnail", story.title);
            assert!(thumb[0].attr("src").unwrap().ends_with(&story.image));
            thumbs += 1;
        }
    }
    assert_eq!(
        images_fetched, thumbs,
        "the browser fetched every thumbnail from the site"
    );

    // The feed whose upstream is down says so in one short line, and when it is tried again.
    let closed = section(&dom, "Closed Port Weekly");
    let health = select(closed, ".health")[0];
    assert!(health.value().classes().any(|c| c == "failing"));
    let health = text(health);
    assert!(
        health.starts_with("Failing · never read successfully · last error: "),
        "{health}"
    );
    assert!(health.contains("· next run 20"), "{health}");
    assert!(health.len() < 300, "one short line: {health}");
    assert!(select(closed, "article").is_empty());

    // Nothing from the feeds became markup that runs.
    assert!(select(root, "script").is_empty());

    // The page renders: a screenshot is a real PNG image.
    let shot = tempfile::tempdir().unwrap();
    let png = shot.path().join("index.png");
    let arg = format!("--screenshot={}", png.display());
    let url = server.url("/");
    tokio::task::spawn_blocking(move || {
        run_chromium(&chromium, &url, &["--window-size=1000,1400", &arg])
    })
    .await
    .unwrap();
    let bytes = std::fs::read(&png).unwrap();
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.len() > 10_000);

    server.stop().await;
    demo.site.stop().await;
}

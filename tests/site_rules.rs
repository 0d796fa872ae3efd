//! Site rules applied end to end: rule files of our own (ftr-site-config `.txt` and clearfeed
//! `.toml`) written per test, an invented news site on 127.0.0.1 (`common::Server`), the real
//! pipeline and a real SQLite file. Each directive is checked by what a reader gets.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use clearfeed::config::{FeedConfig, FetchConfig};
use clearfeed::model::Item;
use clearfeed::pipeline::{FeedReport, NativeAds, Pipeline, Settings};
use clearfeed::rules::RulesLibrary;
use clearfeed::store::Store;

use common::Server;

fn fetch_config() -> FetchConfig {
    FetchConfig {
        allow_private_networks: true,
        per_host_delay: Duration::ZERO,
        retries: 0,
        timeout: Duration::from_secs(10),
        ..FetchConfig::default()
    }
}

/// An RSS feed of (link, title) items.
fn rss(items: &[(String, &str)]) -> String {
    let mut out = String::from(
        r#"<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Quayside Courier</title><link>http://courier.invalid/</link><description>News</description>"#,
    );
    for (link, title) in items {
        out.push_str(&format!(
            "<item><guid>{link}</guid><link>{link}</link><title>{title}</title><description>teaser</description></item>"
        ));
    }
    out.push_str("</channel></rss>");
    out
}

/// Writes `name` with `text` into `dir`.
fn rule_file(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

/// One pass over a feed at `/rss.xml` of `site` with the rules of `rules_dir`; the report and
/// the stored items, newest first.
async fn run(
    site: &Server,
    rules_dir: &Path,
    native_ads: NativeAds,
    edit: impl FnOnce(&mut FeedConfig),
) -> (FeedReport, Vec<Item>) {
    let data = tempfile::tempdir().unwrap();
    let (library, report) = RulesLibrary::load(Some(rules_dir), None);
    assert!(report.loaded > 0, "{report:?}");
    let mut feed = FeedConfig::from_feed_url("courier", site.url("/rss.xml").parse().unwrap());
    edit(&mut feed);
    let settings = Settings {
        data_dir: data.path().to_path_buf(),
        fetch: fetch_config(),
        feeds: vec![feed.clone()],
        rules: Arc::new(library),
        native_ads,
        ..Settings::default()
    };
    let pipeline = Pipeline::new(settings).unwrap();
    let report = pipeline.run_feed(&feed).await;
    assert!(report.error.is_none(), "{report:?}");
    let items = Store::open(&data.path().join("clearfeed.db"))
        .unwrap()
        .items("courier", 100)
        .unwrap();
    (report, items)
}

const PARA: &str = "The harbour board voted on Tuesday to rebuild the northern pier over the next two summers, after engineers found the timber supports had rotted through in several places.";

/// An invented article page whose markup misleads generic extraction: a long box of other
/// stories, the headline and byline outside the body, share tools and a tracking image inside.
fn story_page(extra_body: &str) -> String {
    format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Courier</title></head><body>
<div class="top-stories"><p>Elsewhere today: the ferry timetable changes next week, the library extends its opening hours, and the rowing club looks for new members before the spring regatta season begins in earnest.</p></div>
<h2 class="headline-main">Pier to be rebuilt over two summers</h2>
<span class="writer">Ada Marsh</span> <span class="when" data-ts="2026-11-20T08:00:00Z">yesterday</span>
<div id="story-text">
<p>{PARA}</p>
<div class="share-tools"><p>Share this story with your friends on every network you use today.</p></div>
<p><img src="/img/tracker-beacon.png" alt=""></p>
<p>Work will start in April, the OLDNAME said, and the pier will stay open to walkers at weekends while the southern half is rebuilt first.</p>
<div class="related-links"><p>Related: Pier closed after storm damage last winter, read the full story here.</p></div>
{extra_body}
</div></body></html>"#
    )
}

const STORY_RULES: &str = "\
# invented rules for the test site
body: //div[@id='story-text']
body: //div[[[not an expression
title: //h2[@class='headline-main']
author: //span[@class='writer']
date: //span[@class='when']/@data-ts
strip: //div[@class='share-tools']
strip_id_or_class: related
strip_image_src: tracker-beacon
find_string: OLDNAME
replace_string: harbour board chair
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ftr_rules_choose_body_meta_and_strip_and_a_bad_expression_costs_only_itself() {
    let site = Server::start();
    site.ok(
        "/rss.xml",
        "application/rss+xml",
        rss(&[(site.url("/news/pier"), "Pier")]),
    );
    site.ok("/news/pier", "text/html; charset=utf-8", story_page(""));
    let rules = tempfile::tempdir().unwrap();
    rule_file(rules.path(), "127.0.0.1.txt", STORY_RULES);
    let (report, items) = run(&site, rules.path(), NativeAds::Mark, |_| {}).await;
    assert_eq!((report.rules_applied, report.rules_missed), (1, 0));
    let item = &items[0];
    assert_eq!(item.title, "Pier to be rebuilt over two summers");
    assert_eq!(item.byline.as_deref(), Some("Ada Marsh"));
    assert_eq!(
        item.published.map(|p| p.to_rfc3339()),
        Some("2026-11-20T08:00:00+00:00".to_string())
    );
    let html = &item.content_html;
    assert!(html.contains("rebuild the northern pier"), "{html}");
    assert!(html.contains("the harbour board chair said"), "{html}");
    for gone in [
        "OLDNAME",
        "Share this",
        "Related:",
        "tracker-beacon",
        "Elsewhere today",
    ] {
        assert!(!html.contains(gone), "{gone} left in {html}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_body_rule_is_counted_and_a_feed_table_wins_over_host_rules() {
    let site = Server::start();
    site.ok(
        "/rss.xml",
        "application/rss+xml",
        rss(&[(site.url("/news/pier"), "Pier")]),
    );
    site.ok("/news/pier", "text/html; charset=utf-8", story_page(""));
    let rules = tempfile::tempdir().unwrap();
    rule_file(
        rules.path(),
        "127.0.0.1.txt",
        "body: //div[@id='renamed-long-ago']\ntitle: //h2[@class='headline-main']\n",
    );
    let (report, items) = run(&site, rules.path(), NativeAds::Mark, |_| {}).await;
    assert_eq!((report.rules_applied, report.rules_missed), (1, 1));
    assert!(items[0].content_html.contains("rebuild the northern pier"));

    // The feed's own [extract] table names the body and the headline: those win.
    let (report, items) = run(&site, rules.path(), NativeAds::Mark, |f| {
        f.extract.body = vec!["div.top-stories".into()];
        f.extract.title = Some("span.writer".into());
    })
    .await;
    assert_eq!((report.rules_applied, report.rules_missed), (1, 0));
    assert!(items[0].content_html.contains("Elsewhere today"));
    assert!(!items[0].content_html.contains("northern pier"));
    assert_eq!(items[0].title, "Ada Marsh");
}

/// Rule files never cost the article: a removal that takes the story with it (here a stale
/// `strip_id_or_class` that now names the story's own container) leaves the article found
/// without the files, and a body rule that found nothing left is counted as missed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_that_strip_the_story_fall_back_to_the_article_found_without_them() {
    let site = Server::start();
    site.ok(
        "/rss.xml",
        "application/rss+xml",
        rss(&[(site.url("/news/pier"), "Pier")]),
    );
    let more = "<p>The board expects the cost to be shared between the port authority and the regional transport fund, which approved a first payment last month after a long debate.</p>\
<p>Fishermen who moor along the northern side will be moved to temporary berths in the inner basin, where new floating pontoons are being laid this winter.</p>";
    site.ok("/news/pier", "text/html; charset=utf-8", story_page(more));
    let rules = tempfile::tempdir().unwrap();
    rule_file(
        rules.path(),
        "127.0.0.1.txt",
        "body: //div[@id='story-text']\nstrip_id_or_class: story-text\n",
    );
    let (report, items) = run(&site, rules.path(), NativeAds::Mark, |_| {}).await;
    assert_eq!((report.rules_applied, report.rules_missed), (1, 1));
    assert_eq!(items.len(), 1, "{report:?}");
    assert!(items[0].content_html.contains("rebuild the northern pier"));

    // Without a body rule: the removal leaves only the box of other stories, under a third of
    // the story's text; the story is what the reader gets, and no body rule was missed.
    rule_file(
        rules.path(),
        "127.0.0.1.txt",
        "strip: //div[@id='story-text']\n",
    );
    let (report, items) = run(&site, rules.path(), NativeAds::Mark, |_| {}).await;
    assert_eq!(
        (report.rules_applied, report.rules_missed),
        (0, 0),
        "{report:?}"
    );
    let html = &items[0].content_html;
    assert!(html.contains("rebuild the northern pier"), "{html}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_of_a_site_that_requires_a_login_are_not_applied() {
    let site = Server::start();
    site.ok(
        "/rss.xml",
        "application/rss+xml",
        rss(&[(site.url("/news/pier"), "Pier")]),
    );
    site.ok("/news/pier", "text/html; charset=utf-8", story_page(""));
    let rules = tempfile::tempdir().unwrap();
    rule_file(
        rules.path(),
        "127.0.0.1.txt",
        &format!("{STORY_RULES}requires_login: yes\n"),
    );
    let (report, items) = run(&site, rules.path(), NativeAds::Mark, |_| {}).await;
    assert_eq!(report.rules_applied, 0);
    assert!(items[0].content_html.contains("OLDNAME"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_headers_go_to_their_host_only() {
    let site = Server::start();
    let other = format!("http://localhost:{}/news/other", site.addr.port());
    site.ok(
        "/rss.xml",
        "application/rss+xml",
        rss(&[(site.url("/news/pier"), "Pier"), (other, "Other")]),
    );
    site.ok("/news/pier", "text/html; charset=utf-8", story_page(""));
    site.ok("/news/other", "text/html; charset=utf-8", story_page(""));
    let rules = tempfile::tempdir().unwrap();
    rule_file(
        rules.path(),
        "127.0.0.1.txt",
        "http_header(user-agent): CourierReader/2.0\nhttp_header(referer): https://www.search.example/\nhttp_header(cookie): consent=yes; edition=uk\n",
    );
    let (report, items) = run(&site, rules.path(), NativeAds::Mark, |_| {}).await;
    assert_eq!(items.len(), 2, "{report:?}");
    let seen = site.seen();
    let pier = seen.iter().find(|s| s.path == "/news/pier").unwrap();
    assert_eq!(pier.header("user-agent"), Some("CourierReader/2.0"));
    assert_eq!(pier.header("referer"), Some("https://www.search.example/"));
    assert_eq!(pier.header("cookie"), Some("consent=yes; edition=uk"));
    let other = seen.iter().find(|s| s.path == "/news/other").unwrap();
    assert_eq!(other.header("cookie"), None, "{other:?}");
    assert_ne!(other.header("user-agent"), Some("CourierReader/2.0"));
}

/// Page `n` of a multi-page article, linking to page `n + 1` unless it is the last.
fn part_page(n: usize, last: usize) -> String {
    let next = if n < last {
        format!(
            r#"<a class="next-part" href="/long?page={}">Next page</a>"#,
            n + 1
        )
    } else {
        String::new()
    };
    story_page(&format!(
        "<p>Part {n} of the story: the board heard evidence from divers, engineers and the ferry operators before the vote was taken.</p>{next}"
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn next_pages_are_fetched_joined_in_order_and_capped() {
    let site = Server::start();
    site.ok(
        "/rss.xml",
        "application/rss+xml",
        rss(&[
            (site.url("/long?page=1"), "Long"),
            (site.url("/endless?page=1"), "Endless"),
        ]),
    );
    for n in 1..=3 {
        site.ok(
            &format!("/long?page={n}"),
            "text/html; charset=utf-8",
            part_page(n, 3),
        );
    }
    // An article whose pages never end: every page links to one more.
    for n in 1..=30 {
        let page = part_page(n, 99).replace("/long?", "/endless?");
        site.ok(
            &format!("/endless?page={n}"),
            "text/html; charset=utf-8",
            page,
        );
    }
    let rules = tempfile::tempdir().unwrap();
    rule_file(
        rules.path(),
        "127.0.0.1.txt",
        "body: //div[@id='story-text']\nnext_page_link: //a[@class='next-part']\n",
    );
    let (_, items) = run(&site, rules.path(), NativeAds::Mark, |_| {}).await;
    let long = items
        .iter()
        .find(|i| i.title == "Long" || i.url.contains("/long"))
        .unwrap();
    let at = |s: &str| long.content_html.find(s).unwrap_or_else(|| panic!("{s}"));
    assert!(at("Part 1 of") < at("Part 2 of") && at("Part 2 of") < at("Part 3 of"));
    let endless = site.hits_under("/endless").len();
    assert_eq!(endless, clearfeed::pipeline::MAX_PAGES, "pages fetched");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_single_page_version_replaces_the_paged_one() {
    let site = Server::start();
    site.ok(
        "/rss.xml",
        "application/rss+xml",
        rss(&[(site.url("/long?page=1"), "Long")]),
    );
    site.ok(
        "/long?page=1",
        "text/html; charset=utf-8",
        story_page(
            r#"<p>First part only.</p><a class="print" href="/long/all">Read on one page</a>"#,
        ),
    );
    site.ok(
        "/long/all",
        "text/html; charset=utf-8",
        story_page(
            "<p>The whole story on one page, with every part the board heard before its vote.</p>",
        ),
    );
    let rules = tempfile::tempdir().unwrap();
    rule_file(
        rules.path(),
        "127.0.0.1.txt",
        "body: //div[@id='story-text']\nsingle_page_link: //a[contains(@class,'print')]\n",
    );
    let (_, items) = run(&site, rules.path(), NativeAds::Mark, |_| {}).await;
    let html = &items[0].content_html;
    assert!(html.contains("whole story on one page"), "{html}");
    assert!(!html.contains("First part only"), "{html}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn native_ads_are_marked_or_dropped() {
    let site = Server::start();
    site.ok(
        "/rss.xml",
        "application/rss+xml",
        rss(&[
            (site.url("/news/pier"), "Pier"),
            (site.url("/partner/boats"), "Boats"),
        ]),
    );
    site.ok("/news/pier", "text/html; charset=utf-8", story_page(""));
    site.ok(
        "/partner/boats",
        "text/html; charset=utf-8",
        story_page(r#"<div class="paid-partner">Presented by Marina Holdings</div>"#),
    );
    let rules = tempfile::tempdir().unwrap();
    // clearfeed's own TOML format for the same directives.
    rule_file(
        rules.path(),
        "127.0.0.1.toml",
        "body = \"#story-text\"\ntitle = \"h2.headline-main\"\nnative_ad_clue = \".paid-partner\"\n",
    );
    let (_, items) = run(&site, rules.path(), NativeAds::Mark, |_| {}).await;
    let mut titles: Vec<&str> = items.iter().map(|i| i.title.as_str()).collect();
    titles.sort();
    assert_eq!(
        titles,
        vec![
            "Pier to be rebuilt over two summers",
            "Sponsored: Pier to be rebuilt over two summers"
        ]
    );
    let (_, items) = run(&site, rules.path(), NativeAds::Drop, |_| {}).await;
    assert_eq!(items.len(), 1);
    assert!(items[0].url.ends_with("/news/pier"));
}

#[test]
fn extract_chooses_rules_by_base_url_or_canonical_link() {
    use clearfeed::app::cli::{ExtractArgs, ExtractFormat};
    let rules = tempfile::tempdir().unwrap();
    rule_file(rules.path(), "courier.example.txt", STORY_RULES);
    let (library, _) = RulesLibrary::load(None, Some(rules.path()));
    let pages = tempfile::tempdir().unwrap();
    let plain = pages.path().join("plain.html");
    std::fs::write(&plain, story_page("")).unwrap();
    let canonical = pages.path().join("canonical.html");
    std::fs::write(
        &canonical,
        story_page("").replace(
            "<title>",
            r#"<link rel="canonical" href="https://www.courier.example/news/pier"><title>"#,
        ),
    )
    .unwrap();
    let ruled = |input: &Path, base: Option<&str>| {
        let args = ExtractArgs {
            format: ExtractFormat::Json,
            base_url: base.map(|b| b.parse().unwrap()),
            allow_private: false,
            rules: None,
            rules_dir: None,
            ftr_rules_dir: None,
            config: None,
            inputs: vec![input.to_string_lossy().into_owned()],
        };
        let mut out = Vec::new();
        let ua = clearfeed::fetch::DEFAULT_USER_AGENT;
        clearfeed::app::extract::run_with(&args, FetchConfig::default(), ua, &library, &mut out)
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        v["text"].as_str().unwrap().contains("harbour board chair")
    };
    assert!(!ruled(&plain, None), "no host, no rules");
    assert!(ruled(&plain, Some("https://courier.example/x")));
    assert!(ruled(&canonical, None));
}

#[test]
fn rules_check_reports_which_rules_went_stale() {
    let site = Server::start();
    site.ok("/news/pier", "text/html; charset=utf-8", story_page(""));
    site.ok(
        "/news/redesign",
        "text/html; charset=utf-8",
        story_page("").replace("story-text", "article-text-v2"),
    );
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("ftr");
    std::fs::create_dir(&rules).unwrap();
    let good = site.url("/news/pier");
    let stale = site.url("/news/redesign");
    rule_file(
        &rules,
        "127.0.0.1.txt",
        &format!(
            "body: //div[@id='story-text']\ntest_url: {good}\ntest_contains: rebuild the northern pier\ntest_url: {stale}\ntest_contains: rebuild the northern pier\n"
        ),
    );
    rule_file(
        &rules,
        "localhost.txt",
        "body: //article\ntest_url: http://localhost:9/never\n",
    );
    std::fs::write(
        dir.path().join("clearfeed.toml"),
        "[fetch]\nper_host_delay = \"0s\"\nretries = 0\n",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_clearfeed"))
        .args(["rules", "check", "127.0.0.1", "--allow-private", "--config"])
        .arg(dir.path().join("clearfeed.toml"))
        .arg("--ftr-rules-dir")
        .arg(&rules)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let line = |url: &str| text.lines().find(|l| l.contains(url)).unwrap_or_default();
    assert!(line(&good).starts_with("ok "), "{text}");
    assert!(line(&good).ends_with("body=matched contains=1/1"), "{text}");
    assert!(line(&stale).starts_with("STALE "), "{text}");
    assert!(line(&stale).ends_with("body=missed contains=1/1"), "{text}");
    assert!(!text.contains("localhost"), "only the named host: {text}");
    assert!(
        text.contains("rules check: tested=2 ok=1 not_ok=1"),
        "{text}"
    );
    // Fetched politely: robots.txt first, each page once.
    assert_eq!(site.hits("/robots.txt"), 1);
    assert_eq!(site.hits("/news/pier"), 1);
}

/// A page of the same site after a redesign: the body the rules name is gone.
fn redesigned_page() -> String {
    story_page("").replace("story-text", "article-text-v2")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rule_that_stops_matching_shows_in_status_metrics_and_the_index() {
    let site = Server::start();
    let pier = site.url("/news/pier");
    // The same server under another name, whose rules need a login.
    let ferry = site.url("/news/ferry").replace("127.0.0.1", "localhost");
    site.ok("/rss.xml", "application/rss+xml", rss(&[(pier, "Pier")]));
    site.ok("/news/pier", "text/html; charset=utf-8", story_page(""));
    site.ok("/news/ferry", "text/html; charset=utf-8", story_page(""));
    site.ok("/news/quay", "text/html; charset=utf-8", redesigned_page());
    let rules = tempfile::tempdir().unwrap();
    rule_file(
        rules.path(),
        "127.0.0.1.txt",
        "body: //div[@id='story-text']\n",
    );
    rule_file(
        rules.path(),
        "localhost.txt",
        "body: //div[@id='story-text']\nrequires_login: yes\n",
    );
    let data = tempfile::tempdir().unwrap();
    let (library, _) = RulesLibrary::load(None, Some(rules.path()));
    let feed = FeedConfig::from_feed_url("courier", site.url("/rss.xml").parse().unwrap());
    let settings = Settings {
        data_dir: data.path().to_path_buf(),
        fetch: fetch_config(),
        feeds: vec![feed.clone()],
        rules: Arc::new(library),
        ..Settings::default()
    };
    let public = settings.public_dir();
    let pipeline = Pipeline::new(settings).unwrap();
    let report = pipeline.run_feed(&feed).await;
    assert_eq!((report.rules_applied, report.rules_missed), (1, 0));
    let state = pipeline.store().feed_state("courier").unwrap().unwrap();
    assert_eq!(
        state.rules.summary().as_deref(),
        Some("site rules matched 1 of 1 article")
    );

    // The site is redesigned: a new article no longer has the body the rule names, and one on
    // the host whose rules need a login appears.
    let quay = site.url("/news/quay");
    site.ok(
        "/rss.xml",
        "application/rss+xml",
        rss(&[(quay, "Quay"), (ferry, "Ferry")]),
    );
    let report = pipeline.run_feed(&feed).await;
    assert_eq!((report.rules_applied, report.rules_missed), (1, 1));
    assert_eq!(report.rules_login, vec!["localhost".to_string()]);
    assert!(
        report.to_string().contains("site rules missed 1 of 1"),
        "{report}"
    );

    let states = pipeline.store().feed_states().unwrap();
    let table = clearfeed::app::commands::status_table(std::slice::from_ref(&feed), &[], &states);
    let row = table.lines().find(|l| l.starts_with("courier")).unwrap();
    assert!(
        row.contains(
            "site rules missed 1 of 1 article; rules not applied, login needed: localhost"
        ),
        "{table}"
    );

    let server = common::AppServer::start_with(
        clearfeed::serve::AppState::new(public).with_pipeline(pipeline.clone()),
    )
    .await;
    let get = |path: &str| {
        let url = server.url(path);
        async move { reqwest::get(url).await.unwrap().text().await.unwrap() }
    };
    let metrics = get("/metrics").await;
    for line in [
        "clearfeed_feed_rules_articles_total{feed=\"courier\"} 2",
        "clearfeed_feed_rules_missed_total{feed=\"courier\"} 1",
        "clearfeed_feed_rules_matched{feed=\"courier\"} 0",
        "clearfeed_feed_rules_login_hosts{feed=\"courier\"} 1",
    ] {
        assert!(
            metrics.lines().any(|l| l == line),
            "{line} not in {metrics}"
        );
    }
    let index = get("/").await;
    assert!(
        index.contains("site rules missed 1 of 1 article"),
        "{index}"
    );
    assert!(index.contains("login needed: localhost"), "{index}");
    server.stop().await;
}

#[test]
fn a_body_rule_joins_every_match_of_its_first_matching_selector_and_too_little_is_a_miss() {
    use clearfeed::extract::{Extractor, HostExtras, SiteRules};
    use clearfeed::model::Page;
    let para = |s: &str| format!("<p>{s} {PARA}</p>");
    let page = format!(
        r#"<html><body><div class="lede">{}</div><aside>{}</aside>
<div class="part">{}{}</div><div class="ad">Advert</div><div class="part">{}{}</div></body></html>"#,
        para("Lede."),
        para("Aside."),
        para("First."),
        para("Second."),
        para("Third."),
        para("Fourth.")
    );
    let article = |body: &[&str]| {
        let rules = SiteRules {
            body: body.iter().map(|s| s.to_string()).collect(),
            host: HostExtras {
                body_from_files: true,
                ..HostExtras::default()
            },
            ..SiteRules::default()
        };
        let page = Page::from_bytes(page.clone().into_bytes(), None);
        Extractor::new(&rules).unwrap().article(&page).unwrap()
    };
    // Both parts, in order, without what lies between them; the earlier `.lede` match of the
    // second selector does not count, since the first selector matched.
    let a = article(&["div.part", "div.lede"]);
    assert_eq!(a.site_body, Some(true));
    let firsts: Vec<&str> = a.paragraphs.iter().map(|p| &p[..6]).collect();
    assert_eq!(firsts, ["First.", "Second", "Third.", "Fourth"], "{a:?}");
    // A selector matching nothing passes to the next.
    let a = article(&["div.gone", "div.part"]);
    assert_eq!(a.site_body, Some(true));
    assert!(a.text.starts_with("First."), "{}", a.text);
    assert!(!a.text.contains("Aside."), "{}", a.text);
    // A body from rule files with far less text than the page's article is not taken: the rule
    // missed.
    let a = article(&["div.ad"]);
    assert_eq!(a.site_body, Some(false));
    assert!(a.text.contains("Fourth."), "{}", a.text);
    // A feed's own table is taken as it is.
    let own = SiteRules {
        body: vec!["div.ad".into()],
        ..SiteRules::default()
    };
    let own = Extractor::new(&own).unwrap();
    let a = own.article(&Page::from_bytes(page.clone().into_bytes(), None));
    assert_eq!(a.unwrap().text, "Advert");
}

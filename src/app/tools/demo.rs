//! The demo: a bundled sample news site served on loopback, and the real pipeline run against it.
//!
//! The sample site (`demo/articles.toml` rendered through `demo/article.html`) is an invented local
//! newspaper whose pages carry the usual cruft: cookie banners, ad slots and labels, share bars,
//! "Reading time", newsletter boxes, video widgets, related links, tracking pixels. Its upstream RSS
//! feed is partial (a one-line teaser per item) and ad-laden. `clearfeed demo` writes a normal
//! configuration pointing at it, runs the real pipeline once and serves the clean feeds, so it
//! works on a machine without internet access.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::site::{LoopbackSite, SitePage};
use crate::publish::escape_html;

const ARTICLES_TOML: &str = include_str!("../../../demo/articles.toml");
const ARTICLE_TEMPLATE: &str = include_str!("../../../demo/article.html");

// ---------------------------------------------------------------------------------------------
// The bundled sample site

#[derive(Debug, Deserialize)]
struct ArticleFile {
    article: Vec<SampleArticle>,
}

/// One invented article of the sample site.
#[derive(Debug, Clone, Deserialize)]
pub struct SampleArticle {
    pub slug: String,
    pub section: String,
    pub title: String,
    pub teaser: String,
    pub author: String,
    pub date: DateTime<Utc>,
    pub minutes: u32,
    pub image: String,
    pub image_alt: String,
    pub caption: String,
    pub credit: String,
    pub key_points: Vec<String>,
    pub body: Vec<String>,
    #[serde(default)]
    pub related: Vec<String>,
    /// Listed in the upstream RSS feed (the default); `false` puts the story on the front page
    /// only, where the listing-page feed finds it.
    #[serde(default = "listed_by_default")]
    pub in_feed: bool,
}

fn listed_by_default() -> bool {
    true
}

/// The sample site's articles, newest first.
pub fn sample_articles() -> anyhow::Result<Vec<SampleArticle>> {
    let mut file: ArticleFile = toml::from_str(ARTICLES_TOML)
        .map_err(|e| anyhow::anyhow!("bundled demo/articles.toml is invalid: {e}"))?;
    file.article.sort_by_key(|a| std::cmp::Reverse(a.date));
    Ok(file.article)
}

fn section_name(section: &str) -> String {
    let mut chars = section.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Fills `{{name}}` placeholders; values are inserted as given (callers escape).
fn fill(template: &str, values: &[(&str, String)]) -> String {
    let mut out = template.to_string();
    for (name, value) in values {
        out = out.replace(&format!("{{{{{name}}}}}"), value);
    }
    out
}

/// Renders one article as a full, cruft-laden news page. `base` ends with `/`.
pub fn render_article_page(article: &SampleArticle, all: &[SampleArticle], base: &str) -> String {
    let e = escape_html;
    let url = format!("{base}news/{}", article.slug);
    let mut body = String::new();
    for (i, para) in article.body.iter().enumerate() {
        let _ = writeln!(body, "    <p>{}</p>", e(para));
        if i == 1 {
            body.push_str(
                "    <div class=\"ad ad-inline\"><span class=\"ad-label\">Advertisement</span>\
                 <p>Story continues below advertisement</p>\
                 <iframe src=\"https://ads.adnetwork.example/slot?size=300x250\"></iframe></div>\n",
            );
        }
        if i == 3
            && let Some(other) = all.iter().find(|a| a.slug != article.slug)
        {
            let _ = writeln!(
                body,
                "    <p class=\"also-read\"><strong>Also read:</strong> <a href=\"/news/{}\">{}</a></p>",
                other.slug,
                e(&other.title)
            );
        }
    }
    let key_points: String = article
        .key_points
        .iter()
        .map(|k| format!("      <li>{}</li>\n", e(k)))
        .collect();
    let related: String = article
        .related
        .iter()
        .filter_map(|slug| all.iter().find(|a| &a.slug == slug))
        .map(|a| {
            format!(
                "      <li><a href=\"/news/{}\">{}</a></li>\n",
                a.slug,
                e(&a.title)
            )
        })
        .collect();
    fill(
        ARTICLE_TEMPLATE,
        &[
            ("title", e(&article.title)),
            ("teaser", e(&article.teaser)),
            ("url", e(&url)),
            (
                "image",
                e(&format!("{}{}", base.trim_end_matches('/'), article.image)),
            ),
            ("image_alt", e(&article.image_alt)),
            ("date", article.date.to_rfc3339()),
            (
                "date_human",
                article.date.format("%-d %B %Y, %H:%M").to_string(),
            ),
            ("author", e(&article.author)),
            (
                "author_slug",
                article.author.to_ascii_lowercase().replace(' ', "-"),
            ),
            ("section", e(&article.section)),
            ("section_name", e(&section_name(&article.section))),
            ("minutes", article.minutes.to_string()),
            ("caption", e(&article.caption)),
            ("credit", e(&article.credit)),
            ("slug", e(&article.slug)),
            ("key_points", key_points.trim_end().to_string()),
            ("related", related.trim_end().to_string()),
            ("body", body.trim_end().to_string()),
        ],
    )
}

/// One headline with its teaser in a front-page list.
fn front_page_teaser(html: &mut String, a: &SampleArticle) {
    let _ = writeln!(
        html,
        "  <li class=\"teaser\"><a class=\"headline\" href=\"/news/{}\">{}</a>\
         <p>{}</p><span class=\"meta\">{} · {} min read</span></li>",
        a.slug,
        escape_html(&a.title),
        escape_html(&a.teaser),
        escape_html(&section_name(&a.section)),
        a.minutes
    );
}

/// The front page, headlines among ads and sponsored links: the top stories (those in the RSS
/// feed), then more stories found only here.
pub fn render_front_page(articles: &[SampleArticle]) -> String {
    let mut html = String::from(concat!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">",
        "<title>The Lakeside Ledger — local news</title>",
        "<script src=\"https://ads.adnetwork.example/loader.js\" async></script></head>\n<body>\n",
        "<header class=\"site-header\"><a class=\"logo\" href=\"/\">The Lakeside Ledger</a>",
        "<nav><a href=\"/section/city\">City</a> <a href=\"/section/culture\">Culture</a> ",
        "<a href=\"/subscribe\">Subscribe</a></nav></header>\n",
        "<div class=\"ad ad-leaderboard\"><span class=\"ad-label\">Advertisement</span></div>\n",
        "<main>\n<h1>Latest news</h1>\n<ul class=\"headlines\">\n",
    ));
    let (top, more): (Vec<_>, Vec<_>) = articles.iter().partition(|a| a.in_feed);
    for (i, a) in top.into_iter().enumerate() {
        front_page_teaser(&mut html, a);
        if i == 1 {
            html.push_str(
                "  <li class=\"teaser sponsored\"><a class=\"headline\" \
                 href=\"https://ads.adnetwork.example/click?id=77\">Sponsored: five cruises you \
                 must take before you turn 60</a></li>\n",
            );
        }
    }
    html.push_str("</ul>\n<h2>More from the Ledger</h2>\n<ul class=\"more-news\">\n");
    for a in more {
        front_page_teaser(&mut html, a);
    }
    html.push_str(concat!(
        "</ul>\n<aside class=\"most-read\"><h2>Most read</h2><ol>",
        "<li><a href=\"/news/lighthouse-lens-restored\">Lighthouse lens restored</a></li></ol></aside>\n",
        "<div class=\"newsletter-signup\"><p>Sign up for the morning briefing</p></div>\n",
        "</main>\n<footer>© 2026 Lakeside Ledger Media</footer>\n</body></html>\n",
    ));
    html
}

/// The upstream RSS feed: partial (teaser only) and padded with ads and a tracking pixel, as many
/// real feeds are.
pub fn render_upstream_rss(articles: &[SampleArticle], base: &str) -> String {
    let e = escape_html;
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version=\"2.0\">\n<channel>\n\
         <title>The Lakeside Ledger</title>\n<link>{}</link>\n\
         <description>Local news from the lakeside</description>\n",
        e(base)
    );
    for a in articles.iter().filter(|a| a.in_feed) {
        let url = format!("{base}news/{}", a.slug);
        let teaser = format!(
            "<p>{}</p><p><a href=\"https://ads.adnetwork.example/click?id=31\">ADVERTISEMENT: \
             Refinance your boat today — rates from 1.9%</a></p><p><a href=\"{}\">Read the full \
             story on our website</a></p><img src=\"https://pixel.tracker.example/rss.gif?id={}\" \
             width=\"1\" height=\"1\">",
            e(&a.teaser),
            e(&url),
            e(&a.slug)
        );
        let _ = write!(
            xml,
            "<item>\n<title>{}</title>\n<link>{}</link>\n<guid isPermaLink=\"true\">{}</guid>\n\
             <pubDate>{}</pubDate>\n<author>newsroom@ledger.example ({})</author>\n\
             <description>{}</description>\n</item>\n",
            e(&a.title),
            e(&url),
            e(&url),
            a.date.to_rfc2822(),
            e(&a.author),
            e(&teaser)
        );
    }
    xml.push_str("</channel>\n</rss>\n");
    xml
}

/// Every page of the sample site, with URLs under `base` (`http://127.0.0.1:<port>/`).
pub fn sample_site_pages(base: &str) -> anyhow::Result<HashMap<String, SitePage>> {
    let articles = sample_articles()?;
    let mut pages = HashMap::new();
    pages.insert(
        "/".to_string(),
        SitePage::html(render_front_page(&articles)),
    );
    pages.insert(
        "/feed.xml".to_string(),
        SitePage::new(
            "application/rss+xml; charset=utf-8",
            render_upstream_rss(&articles, base),
        ),
    );
    pages.insert(
        "/robots.txt".to_string(),
        SitePage::new(
            "text/plain; charset=utf-8",
            "User-agent: *\nDisallow: /search\n",
        ),
    );
    for a in &articles {
        pages.insert(
            format!("/news/{}", a.slug),
            SitePage::html(render_article_page(a, &articles, base)),
        );
        pages.insert(
            a.image.clone(),
            SitePage::new("image/svg+xml", sample_image(&a.slug)),
        );
    }
    Ok(pages)
}

/// A lead image for the sample site: a small landscape (sky, sun, two hills) whose colours come
/// from the article's slug, so every story has its own picture without shipping image files.
fn sample_image(slug: &str) -> String {
    let hash = slug.bytes().fold(2166136261_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(16777619)
    });
    let hue = hash % 360;
    let sun = 120 + (hash >> 9) % 360;
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1200\" height=\"675\" \
         viewBox=\"0 0 160 90\"><rect width=\"160\" height=\"90\" fill=\"hsl({hue},55%,72%)\"/>\
         <circle cx=\"{}\" cy=\"28\" r=\"12\" fill=\"hsl(45,90%,70%)\"/>\
         <path d=\"M0 62 Q40 40 80 60 T160 55 V90 H0Z\" fill=\"hsl({},35%,45%)\"/>\
         <path d=\"M0 75 Q60 58 110 74 T160 70 V90 H0Z\" fill=\"hsl({},40%,30%)\"/></svg>\n",
        30 + sun % 100,
        (hue + 90) % 360,
        (hue + 120) % 360
    )
}

/// Site rules for the sample site, as a feed file's `[extract]` table would give them.
const DEMO_EXTRACT_RULES: &str = r#"
# Optional site rules (data, not code): the generic extractor already finds this site's body, key
# points and cruft; rules pin down what it would otherwise guess.
[extract]
bullets = [".key-points ul"]
remove = [".newsletter-signup", ".related", ".video-widget"]
"#;

/// Writes a configuration for the sample site at `base` into `dir`: `clearfeed.toml` (data in
/// `dir` itself, private networks allowed since the site is on loopback) and two feed files, one
/// reading the upstream RSS feed and one reading the front page's headline links.
pub fn write_demo_config(dir: &Path, base: &str, listen: SocketAddr) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(dir.join("feeds"))?;
    let config = dir.join("clearfeed.toml");
    std::fs::write(
        &config,
        format!(
            "# Written by `clearfeed demo`: the bundled sample site runs on a loopback port.\n\
             data_dir = \".\"\nlisten = \"{listen}\"\nbase_url = \"http://{listen}\"\n\n\
             [fetch]\n# The sample site is on 127.0.0.1, which is refused by default.\n\
             allow_private_networks = true\nper_host_delay = \"50ms\"\nper_host_concurrency = 2\n"
        ),
    )?;
    std::fs::write(
        dir.join("feeds/lakeside.toml"),
        format!(
            "title = \"The Lakeside Ledger\"\nschedule = \"*/30 * * * *\"\n\n\
             [source]\nkind = \"feed\"\nurl = \"{base}feed.xml\"\n{DEMO_EXTRACT_RULES}"
        ),
    )?;
    std::fs::write(
        dir.join("feeds/lakeside-front.toml"),
        format!(
            "title = \"The Lakeside Ledger: front page\"\nschedule = \"*/30 * * * *\"\n\n\
             [source]\nkind = \"page\"\nurl = \"{base}\"\nlinks = \"ul.more-news a.headline\"\n\
             include = \"/news/\"\n"
        ),
    )?;
    Ok(config)
}

/// Marks a directory as the demo's own, so that a later demo run may clear it.
const DEMO_MARKER: &str = ".clearfeed-demo";

/// Prepares the demo directory: created if missing; cleared if it holds an earlier demo (the
/// sample site gets a new port each run, so old items would point nowhere); refused if it holds
/// anything else, so the demo never deletes someone's data.
fn prepare_demo_dir(dir: &Path) -> anyhow::Result<()> {
    if dir.join(DEMO_MARKER).exists() {
        std::fs::remove_dir_all(dir)
            .map_err(|e| anyhow::anyhow!("cannot clear the old demo in {}: {e}", dir.display()))?;
    } else if std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some()) {
        anyhow::bail!(
            "{} is not empty and was not made by `clearfeed demo`; pass an empty --data-dir",
            dir.display()
        );
    }
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join(DEMO_MARKER), "written by clearfeed demo\n")?;
    Ok(())
}

/// `clearfeed demo`: the sample site, one pass over it, then (unless `once`) the clean feeds
/// served on `listen` until Ctrl-C or SIGTERM. The feeds' address is bound first, so a busy port
/// is reported before any work and self links name the real port (also for `--listen …:0`).
pub async fn run_demo(
    dir: PathBuf,
    listen: SocketAddr,
    once: bool,
) -> anyhow::Result<std::process::ExitCode> {
    prepare_demo_dir(&dir)?;
    let listener = tokio::net::TcpListener::bind(listen).await.map_err(|e| {
        anyhow::anyhow!("cannot listen on {listen}: {e} (try --listen 127.0.0.1:0)")
    })?;
    let addr = listener.local_addr()?;
    let site_listener = bind_site(addr).await?;
    let base = format!("http://{}/", site_listener.local_addr()?);
    let site = LoopbackSite::start(site_listener, sample_site_pages(&base)?);
    say!("Sample news site: {base} (upstream feed: {base}feed.xml)")?;

    let config_path = write_demo_config(&dir, &base, addr)?;
    let config = crate::config::AppConfig::load_from(&config_path, Some(dir.clone()))?;
    let public = config.public_dir();
    let pipeline = crate::pipeline::Pipeline::new(config.settings())?;
    let mut failed = false;
    for feed in &config.feeds {
        let r = pipeline.run_feed(feed).await;
        failed |= r.error.is_some();
        print_report(&r)?;
    }
    say!("\nConfiguration: {}", config_path.display())?;
    say!("Published files in {}:", public.display())?;
    let feeds: Vec<String> = config.feeds.iter().map(|f| f.id.clone()).collect();
    for id in &feeds {
        for ext in ["rss", "atom", "json"] {
            say!("  {}", public.join(format!("{id}.{ext}")).display())?;
        }
    }
    print_latest(&public, &feeds)?;

    if !once {
        say!("\nClean feeds, served until Ctrl-C:")?;
        say!("  {:<15} http://{addr}/", "index")?;
        for id in &feeds {
            say!("  {id:<15} http://{addr}/feeds/{id}.rss  (.atom, .json)")?;
        }
        say!("  {:<15} http://{addr}/feeds.opml", "all feeds")?;
        let state = crate::serve::AppState::new(public).with_pipeline(pipeline);
        crate::serve::serve(listener, state, crate::serve::shutdown_signal()).await?;
    }
    site.stop().await;
    Ok(exit_code(failed))
}

/// The sample site's listener: the port after the feeds' port when that is free, so that item
/// links and guids stay the same from one demo run to the next (a reader subscribed to the demo
/// sees no duplicates); any free port otherwise.
async fn bind_site(feeds: SocketAddr) -> anyhow::Result<tokio::net::TcpListener> {
    let loopback = std::net::Ipv4Addr::LOCALHOST;
    if feeds.port() != 0 && feeds.port() < u16::MAX {
        let stable = SocketAddr::from((loopback, feeds.port() + 1));
        if let Ok(l) = tokio::net::TcpListener::bind(stable).await {
            return Ok(l);
        }
    }
    Ok(tokio::net::TcpListener::bind((loopback, 0)).await?)
}

fn print_report(r: &crate::pipeline::FeedReport) -> std::io::Result<()> {
    match &r.error {
        Some(error) => say!("{:<16} failed: {error}", r.feed),
        None => say!(
            "{:<16} {} new, {} updated, {} unchanged, {} failed",
            r.feed,
            r.new,
            r.updated,
            r.unchanged,
            r.failed
        ),
    }
}

fn exit_code(failed: bool) -> std::process::ExitCode {
    if failed {
        std::process::ExitCode::FAILURE
    } else {
        std::process::ExitCode::SUCCESS
    }
}

/// Prints the first few items of each published feed, read back from its JSON Feed file.
fn print_latest(public: &Path, feeds: &[String]) -> std::io::Result<()> {
    for id in feeds {
        let Ok(bytes) = std::fs::read(public.join(format!("{id}.json"))) else {
            continue;
        };
        let Ok(feed) = serde_json::from_slice::<crate::publish::JsonFeed>(&bytes) else {
            continue;
        };
        say!("\n{} ({} items):", feed.title, feed.items.len())?;
        for item in feed.items.iter().take(3) {
            say!("\n  {}", item.title.as_deref().unwrap_or("(untitled)"))?;
            for line in item.summary.as_deref().unwrap_or("").lines() {
                if !line.trim().is_empty() {
                    say!("    {line}")?;
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_articles_load_and_render() {
        let articles = sample_articles().unwrap();
        assert!((6..=8).contains(&articles.len()));
        let in_feed: Vec<_> = articles.iter().filter(|a| a.in_feed).collect();
        assert!(in_feed.len() >= 3 && in_feed.len() < articles.len());
        assert!(articles.windows(2).all(|w| w[0].date >= w[1].date));
        let base = "http://127.0.0.1:4000/";
        let pages = sample_site_pages(base).unwrap();
        let page = std::str::from_utf8(&pages["/news/lighthouse-lens-restored"].body).unwrap();
        assert!(!page.contains("{{"), "unfilled placeholder");
        assert!(page.contains(
            "<h1 class=\"headline\">Volunteers restore the 1889 lighthouse lens at Gull Point</h1>"
        ));
        assert!(page.contains("Advertisement") && page.contains("Reading time: 5 min"));
        assert!(
            page.contains(
                "<li>A group of 14 volunteers spent four winters restoring the lens</li>"
            )
        );
        assert!(page.contains("&quot;Some of the brass frames"));
        let rss = std::str::from_utf8(&pages["/feed.xml"].body).unwrap();
        let upstream = feed_rs::parser::parse(rss.as_bytes()).unwrap();
        assert_eq!(
            upstream.entries.len(),
            in_feed.len(),
            "front-page-only stories stay out"
        );
        assert_eq!(
            upstream.entries[0].links[0].href,
            format!("{base}news/{}", in_feed[0].slug)
        );
        let front = std::str::from_utf8(&pages["/"].body).unwrap();
        assert_eq!(
            front.matches("class=\"headline\" href=\"/news/").count(),
            articles.len()
        );
        let more = front.split("<ul class=\"more-news\">").nth(1).unwrap();
        let more = more.split("</ul>").next().unwrap();
        for a in &articles {
            assert_eq!(more.contains(&a.slug), !a.in_feed, "{}", a.slug);
        }
    }

    #[test]
    fn demo_dir_is_cleared_only_when_it_is_ours() {
        let tmp = tempfile::tempdir().unwrap();
        let ours = tmp.path().join("demo");
        prepare_demo_dir(&ours).unwrap();
        std::fs::write(ours.join("clearfeed.db"), "old").unwrap();
        prepare_demo_dir(&ours).unwrap();
        assert!(!ours.join("clearfeed.db").exists());

        let theirs = tmp.path().join("theirs");
        std::fs::create_dir_all(&theirs).unwrap();
        std::fs::write(theirs.join("precious.db"), "keep").unwrap();
        assert!(prepare_demo_dir(&theirs).is_err());
        assert!(theirs.join("precious.db").exists());
    }
}

//! End to end: the ways in other than an upstream feed — sitemaps (`kind = "sitemap"`) — run by
//! the `clearfeed` binary against an invented news site on 127.0.0.1, with a real SQLite file.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::Command;

use clearfeed::store::Store;
use common::Server;

/// An invented article page in ordinary news markup.
fn article_html(title: &str, para: &str) -> String {
    format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title} - Valley Courier</title>
<meta property="og:title" content="{title}"></head><body>
<header><nav><a href="/">Home</a> <a href="/local/">Local</a></nav></header>
<main><article><h1>{title}</h1><p class="byline">By Tomas Reyes</p>
<p>{para}</p>
<p>Council members said the decision would be reviewed at the spring meeting, after the traffic
survey and the public consultation on the new bus routes had both been published.</p>
<p>Residents can send written comments to the town clerk until the end of the month.</p>
</article></main><footer>Valley Courier</footer></body></html>"#
    )
}

fn gzip(text: &str) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(text.as_bytes()).unwrap();
    gz.finish().unwrap()
}

/// `clearfeed.toml` allowing loopback fetches, and one feed file; returns the config path.
fn configure(dir: &Path, id: &str, feed_toml: &str) -> std::path::PathBuf {
    std::fs::create_dir_all(dir.join("feeds")).unwrap();
    std::fs::write(dir.join("feeds").join(format!("{id}.toml")), feed_toml).unwrap();
    let config = dir.join("clearfeed.toml");
    std::fs::write(
        &config,
        "data_dir = \"data\"\n[fetch]\nallow_private_networks = true\nper_host_delay = \"0s\"\nretries = 0\n",
    )
    .unwrap();
    config
}

/// Runs the binary with `args`, asserting success; returns stdout.
fn clearfeed(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_clearfeed"))
        .args(args)
        .env_remove("CLEARFEED_CONFIG")
        .env_remove("CLEARFEED_DATA_DIR")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "clearfeed {args:?} failed:\n{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn stored(dir: &Path, feed: &str) -> Vec<(String, String)> {
    let store = Store::open(&dir.join("data").join("clearfeed.db")).unwrap();
    store
        .items(feed, 100)
        .unwrap()
        .into_iter()
        .map(|i| (i.url, i.title))
        .collect()
}

#[test]
fn once_over_a_site_root_reads_robots_sitemaps_index_gzip_and_news() {
    let site = Server::start();
    let u = |p: &str| site.url(p);
    site.ok(
        "/robots.txt",
        "text/plain",
        format!(
            "User-agent: *\nDisallow: /private/\n\nSitemap: {}\nSitemap: {}\n",
            u("/sitemap-index.xml"),
            u("/news-sitemap.xml")
        ),
    );
    // An index of a thousand monthly sitemaps: only the newest few may be read.
    let mut index = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">"#,
    );
    for i in 0..1000 {
        let (y, m) = (1950 + i / 12, i % 12 + 1);
        index.push_str(&format!(
            "<sitemap><loc>{}</loc><lastmod>{y}-{m:02}-28</lastmod></sitemap>",
            u(&format!("/maps/{i}.xml.gz"))
        ));
    }
    index.push_str("</sitemapindex>");
    site.ok("/sitemap-index.xml", "application/xml", index);
    site.ok(
        "/maps/999.xml.gz",
        "application/gzip",
        gzip(&format!(
            r#"<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>{}</loc><lastmod>2026-11-20T09:00:00Z</lastmod></url>
<url><loc>{}</loc><lastmod>2026-11-02T09:00:00Z</lastmod></url>
<url><loc>{}</loc><lastmod>2026-11-22T09:00:00Z</lastmod></url></urlset>"#,
            u("/local/library-hours"),
            u("/local/old-news"),
            u("/video/parade")
        )),
    );
    site.ok(
        "/news-sitemap.xml",
        "application/xml",
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>{}</loc><news:news><news:publication><news:name>Valley Courier</news:name><news:language>en</news:language></news:publication>
<news:publication_date>2026-11-24T07:00:00Z</news:publication_date><news:title>Bus routes redrawn</news:title></news:news></url>
<url><loc>{}</loc><news:news><news:publication><news:name>Valley Courier</news:name><news:language>en</news:language></news:publication>
<news:publication_date>2026-11-23T07:00:00Z</news:publication_date><news:title>Bridge repairs finish early</news:title></news:news></url>
</urlset>"#,
            u("/local/bus-routes"),
            u("/local/bridge")
        ),
    );
    for (path, title) in [
        ("/local/bus-routes", "Bus routes redrawn"),
        ("/local/bridge", "Bridge repairs finish early"),
        ("/local/library-hours", "Library extends its hours"),
        ("/local/old-news", "An older story"),
    ] {
        site.ok(
            path,
            "text/html; charset=utf-8",
            article_html(
                title,
                "The story's first paragraph, in the courier's own words.",
            ),
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let config = configure(
        dir.path(),
        "courier",
        &format!(
            "max_items = 3\n[source]\nurl = \"{}\"\nkind = \"sitemap\"\nexclude = \"/video/\"\n",
            u("/")
        ),
    );
    let out = clearfeed(&["once", "--config", config.to_str().unwrap()]);
    assert!(out.contains("courier: new 3"), "{out}");

    let mut got = stored(dir.path(), "courier");
    got.sort();
    assert_eq!(
        got,
        vec![
            (
                u("/local/bridge"),
                "Bridge repairs finish early".to_string()
            ),
            (u("/local/bus-routes"), "Bus routes redrawn".to_string()),
            (
                u("/local/library-hours"),
                "Library extends its hours".to_string()
            ),
        ],
        "the newest three, the video excluded"
    );
    assert_eq!(
        site.hits("/local/old-news"),
        0,
        "past max_items: not fetched"
    );
    assert_eq!(site.hits("/video/parade"), 0);
    let children = site.hits_under("/maps/");
    assert!(
        children.len() <= 3 && children.iter().all(|p| p.starts_with("/maps/99")),
        "only the newest children of the index: {children:?}"
    );
    let published = std::fs::read_to_string(dir.path().join("data/public/courier.json")).unwrap();
    assert!(published.contains("Bus routes redrawn"), "{published}");
    assert!(published.contains("first paragraph"), "{published}");
}

#[test]
fn a_sitemap_url_is_read_directly_and_a_root_without_robots_falls_back_to_sitemap_xml() {
    let site = Server::start();
    let u = |p: &str| site.url(p);
    site.ok(
        "/sitemap.xml",
        "text/xml",
        format!(
            "<urlset><url><loc>{}</loc><lastmod>2026-11-24</lastmod></url></urlset>",
            u("/story/fair")
        ),
    );
    site.ok(
        "/story/fair",
        "text/html",
        article_html(
            "County fair opens",
            "Rides, stalls and a prize-winning pumpkin.",
        ),
    );
    for (id, url) in [("direct", u("/sitemap.xml")), ("root", u("/"))] {
        let dir = tempfile::tempdir().unwrap();
        let feed = format!("[source]\nurl = \"{url}\"\nkind = \"sitemap\"\n");
        let config = configure(dir.path(), id, &feed);
        let out = clearfeed(&["once", "--config", config.to_str().unwrap()]);
        assert!(out.contains(&format!("{id}: new 1")), "{out}");
        assert_eq!(
            stored(dir.path(), id),
            vec![(u("/story/fair"), "County fair opens".to_string())]
        );
    }
}

#[test]
fn a_broken_sitemap_fails_the_feed_with_a_clear_error() {
    let site = Server::start();
    site.ok(
        "/sitemap.xml",
        "text/html",
        "<html><body>Moved</body></html>",
    );
    let dir = tempfile::tempdir().unwrap();
    let feed = format!(
        "[source]\nurl = \"{}\"\nkind = \"sitemap\"\n",
        site.url("/sitemap.xml")
    );
    let config = configure(dir.path(), "broken", &feed);
    let out = Command::new(env!("CARGO_BIN_EXE_clearfeed"))
        .args(["once", "--config", config.to_str().unwrap()])
        .env_remove("CLEARFEED_CONFIG")
        .env_remove("CLEARFEED_DATA_DIR")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success());
    assert!(
        stdout.contains("broken: feed failed: source: not a readable sitemap: expected <urlset> or <sitemapindex>, found <html>"),
        "{stdout}"
    );
}

#[test]
fn filters_drop_before_fetch_on_title_and_url_and_after_extraction_on_the_rest() {
    let site = Server::start();
    let u = |p: &str| site.url(p);
    let item = |path: &str, title: &str, extra: &str| {
        format!(
            "<item><title>{title}</title><link>{}</link><guid isPermaLink=\"false\">{path}</guid>{extra}<description>Teaser</description></item>",
            u(path)
        )
    };
    let rss = format!(
        r#"<?xml version="1.0"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>Courier</title><link>{}</link>{}{}{}{}{}</channel></rss>"#,
        u("/"),
        item(
            "/local/library",
            "Library extends its hours",
            "<category>Local</category>"
        ),
        item("/promo/boats", "SPONSORED: the boat show", ""),
        item("/live/count", "Election count", ""),
        item(
            "/local/column",
            "Why the bus plan fails",
            "<category>Opinion</category>"
        ),
        item(
            "/local/members",
            "Council budget",
            "<dc:creator>Wire Desk</dc:creator>"
        ),
    );
    site.ok("/rss.xml", "application/rss+xml", rss);
    site.ok(
        "/local/library",
        "text/html",
        article_html(
            "Library extends its hours",
            "The library will open until nine.",
        ),
    );
    site.ok(
        "/local/column",
        "text/html",
        article_html("Why the bus plan fails", "A column on the new routes."),
    );
    site.ok(
        "/local/members",
        "text/html",
        article_html(
            "Council budget",
            "This story is for subscribers only. Subscribe to keep reading.",
        ),
    );
    for path in ["/promo/boats", "/live/count"] {
        site.ok(path, "text/html", article_html("Never fetched", "No."));
    }
    let dir = tempfile::tempdir().unwrap();
    let config = configure(
        dir.path(),
        "courier",
        &format!(
            r#"[source]
url = "{}"
[filter]
drop_title = "^sponsored"
drop_url = ["/live/"]
drop_category = "^opinion$"
drop_text = "for subscribers only"
"#,
            u("/rss.xml")
        ),
    );
    let out = clearfeed(&["once", "--config", config.to_str().unwrap()]);
    assert!(
        out.contains("courier: new 1, updated 0, unchanged 0, failed 0, filtered 4"),
        "{out}"
    );
    assert_eq!(
        stored(dir.path(), "courier"),
        vec![(u("/local/library"), "Library extends its hours".to_string())]
    );
    assert_eq!(site.hits("/promo/boats"), 0, "title filter: not fetched");
    assert_eq!(site.hits("/live/count"), 0, "URL filter: not fetched");
    assert_eq!(
        site.hits("/local/column"),
        1,
        "category: judged after extraction"
    );
    assert_eq!(
        site.hits("/local/members"),
        1,
        "text: judged after extraction"
    );
    let published = std::fs::read_to_string(dir.path().join("data/public/courier.json")).unwrap();
    assert!(!published.contains("Council budget"), "{published}");

    // The next run does not fetch a dropped article again.
    let out = clearfeed(&["once", "--config", config.to_str().unwrap()]);
    assert!(out.contains("courier: new 0"), "{out}");
    assert_eq!(site.hits("/local/members"), 1);
    assert_eq!(site.hits("/local/column"), 1);
}

#[test]
fn import_writes_feed_files_without_clobbering_then_once_reads_them_and_export_lists_them() {
    let site = Server::start();
    let u = |p: &str| site.url(p);
    let rss = |title: &str, path: &str, story: &str| {
        format!(
            r#"<?xml version="1.0"?><rss version="2.0"><channel><title>{title}</title><link>{}</link>
<item><title>{story}</title><link>{}</link><guid isPermaLink="false">{path}</guid><description>Teaser</description></item></channel></rss>"#,
            u("/"),
            u(path)
        )
    };
    site.ok(
        "/local.xml",
        "application/rss+xml",
        rss("Local", "/local/fair", "County fair opens"),
    );
    site.ok(
        "/sport.xml",
        "application/rss+xml",
        rss("Sport", "/sport/rowing", "Rowing club wins"),
    );
    site.ok(
        "/local/fair",
        "text/html",
        article_html(
            "County fair opens",
            "Rides, stalls and a prize-winning pumpkin.",
        ),
    );
    site.ok(
        "/sport/rowing",
        "text/html",
        article_html(
            "Rowing club wins",
            "The eight crossed the line a length ahead.",
        ),
    );
    let dir = tempfile::tempdir().unwrap();
    // An existing feed file with the id the first outline's title gives, for another URL.
    let config = configure(
        dir.path(),
        "valley-local",
        "[source]\nurl = \"https://elsewhere.example/rss\"\n",
    );
    let opml_path = dir.path().join("reader.opml");
    std::fs::write(
        &opml_path,
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><opml version="1.0"><head><title>My reader</title></head><body>
<outline text="Valley">
  <outline type="rss" text="Valley Local" title="Valley Local" xmlUrl="{}"/>
  <outline type="rss" text="Valley Sport &amp; Leisure" xmlUrl="{}"/>
</outline>
<outline type="rss" text="Already here" xmlUrl="https://elsewhere.example/rss"/>
<outline type="rss" text="Mail" xmlUrl="mailto:news@valley.example"/>
</body></opml>"#,
            u("/local.xml"),
            u("/sport.xml")
        ),
    )
    .unwrap();
    let cfg = config.to_str().unwrap();
    let out = clearfeed(&["import", opml_path.to_str().unwrap(), "--config", cfg]);
    assert!(out.contains("2 written, 2 skipped"), "{out}");
    assert!(out.contains("valley-local-2.toml (Valley Local)"), "{out}");
    assert!(out.contains("valley-sport-leisure.toml"), "{out}");
    assert!(
        out.contains("skipped Already here: https://elsewhere.example/rss is already configured"),
        "{out}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("feeds/valley-local.toml")).unwrap(),
        "[source]\nurl = \"https://elsewhere.example/rss\"\n",
        "the existing file is untouched"
    );
    // Importing again writes nothing.
    let again = clearfeed(&["import", opml_path.to_str().unwrap(), "--config", cfg]);
    assert!(again.contains("0 written, 4 skipped"), "{again}");

    let out = clearfeed(&[
        "once",
        "valley-local-2",
        "valley-sport-leisure",
        "--config",
        cfg,
    ]);
    assert!(out.contains("valley-local-2: new 1"), "{out}");
    assert!(out.contains("valley-sport-leisure: new 1"), "{out}");
    assert_eq!(
        stored(dir.path(), "valley-sport-leisure"),
        vec![(u("/sport/rowing"), "Rowing club wins".to_string())]
    );
    let published =
        std::fs::read_to_string(dir.path().join("data/public/valley-sport-leisure.json")).unwrap();
    assert!(published.contains("Valley Sport & Leisure"), "{published}");

    let exported = clearfeed(&["export", "--config", cfg]);
    assert_eq!(exported.matches("<outline").count(), 3, "{exported}");
    assert!(
        exported.contains("title=\"Valley Sport &amp; Leisure\""),
        "{exported}"
    );
    assert!(
        exported.contains(&format!("xmlUrl=\"{}\"", u("/sport.xml"))),
        "{exported}"
    );
    // The export reads back as the same sources.
    let round = dir.path().join("round.opml");
    std::fs::write(&round, &exported).unwrap();
    let again = clearfeed(&["import", round.to_str().unwrap(), "--config", cfg]);
    assert!(again.contains("0 written, 3 skipped"), "{again}");
}

/// Four invented paragraphs of a harbour story: the whole article, as a full-text feed carries it.
const HARBOUR_STORY: &str = "<p>The harbour board voted on Tuesday to rebuild the north pier, \
which has been closed to the public since the storms of last winter cracked its concrete deck in \
three places.</p><p>Engineers told the board that repairs would cost almost as much as a new \
structure and would last barely a decade, while a rebuilt pier on steel piles should stand for \
fifty years with ordinary care.</p><p>Fishing crews who moor along the pier said they welcomed \
the decision but asked that work be scheduled outside the autumn season, when most of the catch \
is landed and the quay is at its busiest.</p><p>The board expects to publish the tender in the \
spring, and the chair said the first phase, the removal of the old deck, could begin before the \
summer if the weather allows the divers to work.</p><p>Until then the pier stays fenced off, \
and the ferry company has agreed to keep using the south quay for its morning and evening \
crossings, with a shuttle bus from the car park for passengers with luggage.</p>";

fn rss_item(link: &str, title: &str, body: &str) -> String {
    format!("<item><title>{title}</title><link>{link}</link><guid>{link}</guid>{body}</item>")
}

fn rss_channel(items: &str) -> String {
    format!(
        r#"<?xml version="1.0"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>Harbour News</title><link>http://harbour.example/</link>{items}</channel></rss>"#
    )
}

fn content_of(dir: &Path, feed: &str) -> Vec<(String, String)> {
    let store = Store::open(&dir.join("data").join("clearfeed.db")).unwrap();
    let mut items: Vec<(String, String)> = store
        .items(feed, 100)
        .unwrap()
        .into_iter()
        .map(|i| (i.url, i.content_html))
        .collect();
    items.sort();
    items
}

#[test]
fn fetch_auto_uses_full_feed_content_fetches_teasers_and_always_and_never_do_as_told() {
    let site = Server::start();
    let u = |p: &str| site.url(p);
    let full = format!("<content:encoded><![CDATA[{HARBOUR_STORY}]]></content:encoded>");
    let teaser = "<description>The board met on Tuesday. Read more</description>";
    site.ok(
        "/feed.xml",
        "application/rss+xml",
        rss_channel(&format!(
            "{}{}",
            rss_item(&u("/news/pier"), "North pier to be rebuilt", &full),
            rss_item(&u("/news/ferry"), "Ferry timetable changes", teaser),
        )),
    );
    site.ok(
        "/always.xml",
        "application/rss+xml",
        rss_channel(&rss_item(&u("/always/pier"), "North pier again", &full)),
    );
    site.ok(
        "/never.xml",
        "application/rss+xml",
        rss_channel(&rss_item(&u("/never/ferry"), "Ferry again", teaser)),
    );
    let page = article_html(
        "Ferry timetable changes",
        "The winter ferry leaves at seven.",
    );
    for path in ["/news/pier", "/news/ferry", "/always/pier", "/never/ferry"] {
        site.ok(path, "text/html", page.clone());
    }
    let dir = tempfile::tempdir().unwrap();
    let feed_file = |mode: &str, path: &str| format!("{mode}[source]\nurl = \"{}\"\n", u(path));
    let config = configure(dir.path(), "harbour", &feed_file("", "/feed.xml"));
    let feeds = dir.path().join("feeds");
    std::fs::write(
        feeds.join("always.toml"),
        feed_file("fetch = \"always\"\n", "/always.xml"),
    )
    .unwrap();
    std::fs::write(
        feeds.join("never.toml"),
        feed_file("fetch = \"never\"\n", "/never.xml"),
    )
    .unwrap();
    let out = clearfeed(&["once", "--config", config.to_str().unwrap()]);
    assert!(
        out.contains("harbour: new 2, updated 0, unchanged 0, failed 0, from the feed 1"),
        "{out}"
    );
    assert!(
        out.contains("always: new 1, updated 0, unchanged 0, failed 0\n"),
        "{out}"
    );
    assert!(
        out.contains("never: new 1, updated 0, unchanged 0, failed 0, from the feed 1"),
        "{out}"
    );

    // auto: the full article came from the feed and its page was never requested; the teaser's
    // page was fetched.
    assert_eq!(site.hits("/news/pier"), 0);
    assert_eq!(site.hits("/news/ferry"), 1);
    let harbour = content_of(dir.path(), "harbour");
    assert_eq!(harbour[0].0, u("/news/ferry"));
    assert!(
        harbour[0].1.contains("winter ferry leaves at seven"),
        "{harbour:?}"
    );
    assert_eq!(harbour[1].0, u("/news/pier"));
    for phrase in ["steel piles", "removal of the old deck", "busiest"] {
        assert!(harbour[1].1.contains(phrase), "{phrase}: {}", harbour[1].1);
    }
    // always: fetched although the feed is full; never: not fetched although only a teaser.
    assert_eq!(site.hits("/always/pier"), 1);
    assert_eq!(site.hits("/never/ferry"), 0);
    let never = content_of(dir.path(), "never");
    assert!(never[0].1.contains("The board met on Tuesday"), "{never:?}");
}

#[test]
fn two_feeds_listing_the_same_article_share_one_fetch_and_both_publish_it() {
    let site = Server::start();
    let u = |p: &str| site.url(p);
    let teaser = "<description>Stalls return to the square.</description>";
    site.ok(
        "/harbour.xml",
        "application/rss+xml",
        rss_channel(&format!(
            "{}{}",
            rss_item(&u("/news/market?utm_source=rss"), "Market returns", teaser),
            rss_item(&u("/news/pier"), "Pier closed", teaser),
        )),
    );
    site.ok(
        "/coast.xml",
        "application/rss+xml",
        rss_channel(&rss_item(&u("/news/market#top"), "Market returns", teaser)),
    );
    site.ok(
        "/news/market",
        "text/html",
        article_html(
            "Market returns",
            "The Saturday market returns to the square in May.",
        ),
    );
    site.ok(
        "/news/pier",
        "text/html",
        article_html("Pier closed", "The north pier stays closed."),
    );
    let dir = tempfile::tempdir().unwrap();
    let feed_file = |path: &str| format!("[source]\nurl = \"{}\"\n", u(path));
    let config = configure(dir.path(), "harbour", &feed_file("/harbour.xml"));
    std::fs::write(dir.path().join("feeds/coast.toml"), feed_file("/coast.xml")).unwrap();
    let out = clearfeed(&["once", "--config", config.to_str().unwrap()]);
    assert!(
        out.contains("harbour: new 2, updated 0, unchanged 0, failed 0"),
        "{out}"
    );
    assert!(
        out.contains("coast: new 1, updated 0, unchanged 0, failed 0"),
        "{out}"
    );
    assert_eq!(site.hits("/news/market"), 1, "one fetch for both feeds");
    assert_eq!(site.hits("/news/pier"), 1);
    for feed in ["harbour", "coast"] {
        let items = content_of(dir.path(), feed);
        let market = items.iter().find(|(url, _)| url == &u("/news/market"));
        let (_, html) = market.unwrap_or_else(|| panic!("{feed}: {items:?}"));
        assert!(html.contains("Saturday market returns"), "{feed}: {html}");
    }
}

/// Runs the binary with `args`: exit success, stdout and stderr.
fn clearfeed_status(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_clearfeed"))
        .args(args)
        .env_remove("CLEARFEED_CONFIG")
        .env_remove("CLEARFEED_DATA_DIR")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A site's home page in ordinary markup, with `head` extra and article links in its main list.
fn home_page(head: &str) -> String {
    format!(
        r#"<!doctype html><html><head><title>Harbour News</title>{head}</head><body>
<header><nav><a href="/">Home</a> <a href="/about-us-and-staff">About</a></nav></header>
<main><h1>Latest</h1><ul class="latest">
<li class="teaser"><h2><a href="/news/2026/11/pier-to-be-rebuilt">Pier to be rebuilt</a></h2></li>
<li class="teaser"><h2><a href="/news/2026/11/ferry-timetable">Ferry timetable changes</a></h2></li>
<li class="teaser"><h2><a href="/news/2026/11/market-returns">Market returns</a></h2></li>
</ul></main><footer><a href="/legal/terms-of-use">Terms</a></footer></body></html>"#
    )
}

/// The config and an empty feeds directory; returns the config path.
fn configure_empty(dir: &Path) -> std::path::PathBuf {
    let config = configure(dir, "placeholder", "");
    std::fs::remove_file(dir.join("feeds/placeholder.toml")).unwrap();
    config
}

#[test]
fn add_finds_the_linked_feed_says_what_it_is_and_writes_the_file() {
    let site = Server::start();
    let u = |p: &str| site.url(p);
    let link = r#"<link rel="alternate" type="application/rss+xml" title="RSS" href="/rss.xml">"#;
    site.ok("/", "text/html", home_page(link));
    let full = format!("<content:encoded><![CDATA[{HARBOUR_STORY}]]></content:encoded>");
    site.ok(
        "/rss.xml",
        "application/rss+xml",
        rss_channel(&format!(
            "{}{}",
            rss_item(&u("/news/pier"), "Pier to be rebuilt", &full),
            rss_item(&u("/news/ferry"), "Ferry", &full),
        )),
    );
    let dir = tempfile::tempdir().unwrap();
    let config = configure_empty(dir.path());
    let cfg = config.to_str().unwrap();
    let (ok, out, err) = clearfeed_status(&["add", &u("/"), "--config", cfg, "--dry-run"]);
    assert!(ok, "{out}{err}");
    assert!(
        out.contains(&format!(
            "found feed {}: \"Harbour News\", 2 items, full text (2 of 2 entries carry the whole article)",
            u("/rss.xml")
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!("url = \"{}\"", u("/rss.xml"))),
        "{out}"
    );
    assert!(
        !dir.path().join("feeds/harbour-news.toml").exists(),
        "--dry-run writes nothing"
    );
    assert_eq!(
        site.hits("/feed"),
        0,
        "a linked feed was read: no common path probed"
    );

    let (ok, out, err) = clearfeed_status(&["add", &u("/"), "--config", cfg]);
    assert!(ok, "{out}{err}");
    let written = std::fs::read_to_string(dir.path().join("feeds/harbour-news.toml")).unwrap();
    assert_eq!(
        written,
        format!(
            "title = \"Harbour News\"\n[source]\nurl = \"{}\"\n",
            u("/rss.xml")
        )
    );
    // The file it wrote runs.
    let out = clearfeed(&["once", "--config", cfg]);
    assert!(out.contains("harbour-news: new 2"), "{out}");

    // A second add of the same site is refused and changes nothing.
    let (ok, out, err) = clearfeed_status(&["add", &u("/"), "--config", cfg]);
    assert!(!ok, "{out}");
    assert!(
        err.contains("harbour-news.toml already exists: nothing written"),
        "{err}"
    );
    let again = std::fs::read_to_string(dir.path().join("feeds/harbour-news.toml")).unwrap();
    assert_eq!(again, written);
}

#[test]
fn add_falls_back_past_a_broken_feed_link_and_says_so() {
    let site = Server::start();
    let u = |p: &str| site.url(p);
    let links = r#"<link rel="alternate" type="application/rss+xml" href="/gone.xml">
<link rel="alternate" type="application/atom+xml" href="/broken.xml">"#;
    site.ok("/", "text/html", home_page(links));
    site.set("/gone.xml", common::Reply::status(404));
    site.ok(
        "/broken.xml",
        "application/atom+xml",
        "<feed><entry><title>cut off",
    );
    let teaser = "<description>The board met on Tuesday. Read more</description>";
    site.ok(
        "/feed.xml",
        "application/rss+xml",
        rss_channel(&rss_item(&u("/news/pier"), "Pier", teaser)),
    );
    let dir = tempfile::tempdir().unwrap();
    let config = configure_empty(dir.path());
    let cfg = config.to_str().unwrap();
    let (ok, out, err) = clearfeed_status(&["add", &u("/"), "--config", cfg, "--id", "harbour"]);
    assert!(ok, "{out}{err}");
    assert!(
        out.contains(&format!(
            "the page links to {}: not usable: HTTP 404",
            u("/gone.xml")
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "the page links to {}: not usable: not a readable RSS, Atom or JSON feed",
            u("/broken.xml")
        )) && out.contains(&format!("tried {}: not usable: HTTP 404", u("/feed"))),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "found feed {}: \"Harbour News\", 1 item, partial",
            u("/feed.xml")
        )),
        "{out}"
    );
    let written = std::fs::read_to_string(dir.path().join("feeds/harbour.toml")).unwrap();
    assert!(
        written.contains(&format!("url = \"{}\"", u("/feed.xml"))),
        "{written}"
    );
}

#[test]
fn add_proposes_a_listing_page_for_a_site_without_a_feed_and_says_it_is_a_guess() {
    let site = Server::start();
    let u = |p: &str| site.url(p);
    site.ok("/", "text/html", home_page(""));
    for path in [
        "/news/2026/11/pier-to-be-rebuilt",
        "/news/2026/11/ferry-timetable",
        "/news/2026/11/market-returns",
    ] {
        site.ok(
            path,
            "text/html",
            article_html("Harbour story", "The harbour board met."),
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let config = configure_empty(dir.path());
    let cfg = config.to_str().unwrap();
    let (ok, out, err) = clearfeed_status(&["add", &u("/"), "--config", cfg]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("is a guess"), "{out}");
    let written = std::fs::read_to_string(dir.path().join("feeds/harbour-news.toml")).unwrap();
    assert!(written.contains("kind = \"page\""), "{written}");
    assert!(
        written.contains("links = \"ul.latest li.teaser a\""),
        "{written}"
    );
    // The guess works: the three stories are read.
    let out = clearfeed(&["once", "--config", cfg]);
    assert!(out.contains("harbour-news: new 3"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daemons_feeds_of_one_pass_share_an_articles_fetch() {
    use clearfeed::pipeline::{FeedConfig, Pipeline, Settings};
    let site = Server::start();
    let u = |p: &str| site.url(p);
    let teaser = "<description>Stalls return to the square.</description>";
    for feed in ["/one.xml", "/two.xml"] {
        site.ok(
            feed,
            "application/rss+xml",
            rss_channel(&rss_item(&u("/news/market"), "Market returns", teaser)),
        );
    }
    site.ok(
        "/news/market",
        "text/html",
        article_html(
            "Market returns",
            "The Saturday market returns to the square in May.",
        ),
    );
    let dir = tempfile::tempdir().unwrap();
    let mut settings = Settings {
        data_dir: dir.path().to_path_buf(),
        ..Settings::default()
    };
    settings.fetch.allow_private_networks = true;
    settings.fetch.per_host_delay = std::time::Duration::ZERO;
    settings.fetch.retries = 0;
    let feeds: Vec<FeedConfig> = ["one", "two"]
        .iter()
        .map(|id| {
            FeedConfig::from_feed_url(id, url::Url::parse(&u(&format!("/{id}.xml"))).unwrap())
        })
        .collect();
    let pipeline = Pipeline::new(settings).unwrap();
    let mut daemon = common::Daemon::start(pipeline, feeds, Default::default());
    // Nothing is published yet: both feeds run at start-up, one pass.
    for _ in 0..2 {
        let r = tokio::time::timeout(std::time::Duration::from_secs(60), daemon.reports.recv())
            .await
            .expect("a feed run within a minute")
            .unwrap();
        assert_eq!((r.new, r.error.as_deref()), (1, None), "{r:?}");
    }
    daemon.stop().await;
    assert_eq!(site.hits("/news/market"), 1, "one fetch for both feeds");
}

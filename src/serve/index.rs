//! The HTML index page at `/`: every published feed with its subscribe links, its health and its
//! latest items.
//!
//! Owns: rendering the page from the published JSON Feeds and, when the server runs beside the
//! pipeline, the feeds' stored state (last success, last error, articles not read, next run); the
//! `<link rel="alternate">` list that lets a reader given the page's address find the feeds. All
//! feed text is escaped and only http(s) links and images are kept. Does not own: reading the
//! files (`conditional`), access control (`auth`), the page's security headers (`serve`), or when
//! a feed runs (`schedule`).

use std::collections::HashMap;

use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};

use super::{AppError, AppState, auth};
use crate::publish::{self, Format, JsonFeed, JsonItem};
use crate::store::FeedState;

/// Items per feed shown on the index page.
const INDEX_ITEMS: usize = 8;
/// Longest error shown on the page; the rest is in the logs and `clearfeed status`.
const MAX_ERROR_CHARS: usize = 160;

const STYLE: &str = concat!(
    "body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#222}",
    "h2{margin-top:2.5rem;border-bottom:1px solid #ddd}article{margin:1.2rem 0;overflow:auto}",
    "h3{margin:.2rem 0;font-size:1.05rem}.meta,.subscribe{color:#666;font-size:.9rem}",
    ".health{font-size:.9rem;padding:.3rem .6rem;border-left:4px solid #2a7}",
    ".health.failing{border-color:#c33;background:#fff4f4}.health .state{font-weight:600}",
    ".thumb{float:right;margin:0 0 .5rem 1rem;width:112px;height:63px;object-fit:cover;border-radius:4px}",
    "a{color:#0645ad}ul{padding-left:1.3rem}",
);

/// One feed's runs as the index shows them.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Health {
    pub state: FeedState,
    /// When the daemon runs the feed next; `None` when nothing runs it on a schedule here.
    pub next_run: Option<DateTime<Utc>>,
}

/// Everything the page is rendered from.
struct IndexPage<'a> {
    feeds: &'a [(String, JsonFeed)],
    /// Per feed id; `None` when the server has no access to the feeds' state.
    health: Option<&'a HashMap<String, Health>>,
    /// `?token=…` (escaped) for the page's own links when the feeds are private, else empty.
    suffix: String,
}

/// Only http(s) links become `href`s or image sources on the index page; anything else (e.g.
/// `javascript:`) is shown as text only, or not at all.
fn safe_href(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    matches!(parsed.scheme(), "http" | "https").then(|| publish::escape_html(parsed.as_str()))
}

/// The plain-text summary (`• ` bullet lines, blank line, lead) as escaped HTML.
fn summary_to_html(summary: &str) -> String {
    let mut html = String::new();
    let mut in_list = false;
    for line in summary.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if let Some(bullet) = line.strip_prefix('•') {
            if !in_list {
                html.push_str("<ul>");
                in_list = true;
            }
            html.push_str(&format!("<li>{}</li>", publish::escape_html(bullet.trim())));
        } else {
            if in_list {
                html.push_str("</ul>");
                in_list = false;
            }
            html.push_str(&format!("<p>{}</p>", publish::escape_html(line)));
        }
    }
    if in_list {
        html.push_str("</ul>");
    }
    html
}

fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// An error as one short line: its first line, cut at [`MAX_ERROR_CHARS`].
fn short_line(error: &str) -> String {
    let line = error.lines().map(str::trim).find(|l| !l.is_empty());
    let line = line.unwrap_or("unknown error");
    if line.chars().count() <= MAX_ERROR_CHARS {
        return line.to_string();
    }
    let cut: String = line.chars().take(MAX_ERROR_CHARS - 1).collect();
    format!("{}…", cut.trim_end())
}

/// The feed's health line: working or failing, last success, last error, articles not read, next
/// run. Escaped HTML.
fn health_html(health: Option<&Health>) -> String {
    let e = publish::escape_html;
    let Some(Health { state: s, next_run }) = health else {
        return "<p class=\"health\"><span class=\"state\">Not run yet</span></p>\n".into();
    };
    let failing = s.last_error.is_some();
    let mut parts = vec![if failing {
        "<span class=\"state\">Failing</span>".to_string()
    } else {
        "<span class=\"state\">Working</span>".to_string()
    }];
    parts.push(match s.last_success {
        Some(t) => format!("last success {}", when(t)),
        None => "never read successfully".into(),
    });
    if let Some(err) = &s.last_error {
        let times = match s.consecutive_failures {
            0 | 1 => String::new(),
            n => format!(" ({n} runs in a row)"),
        };
        parts.push(format!("last error{times}: {}", e(&short_line(err))));
    }
    let not_read = u64::from(s.last_run_failed).max(s.teaser_count);
    if not_read > 0 {
        let cause = s
            .last_item_error
            .as_deref()
            .map(|err| format!(": {}", e(&short_line(err))))
            .unwrap_or_default();
        let noun = if not_read == 1 { "article" } else { "articles" };
        parts.push(format!("{not_read} {noun} not read, teaser shown{cause}"));
    }
    if let Some(rules) = s.rules.summary() {
        parts.push(e(&rules));
    }
    parts.push(match next_run {
        Some(t) => format!("next run {}", when(*t)),
        None => "no scheduled runs (not served by <code>clearfeed run</code>)".into(),
    });
    format!(
        "<p class=\"health{}\">{}</p>\n",
        if failing { " failing" } else { "" },
        parts.join(" · ")
    )
}

/// One item: thumbnail, linked headline, date and author, summary.
fn item_html(item: &JsonItem) -> String {
    let e = publish::escape_html;
    let title = e(item.title.as_deref().unwrap_or("(untitled)"));
    let heading = match item.url.as_deref().and_then(safe_href) {
        Some(href) => format!("<a href=\"{href}\" rel=\"noreferrer noopener\">{title}</a>"),
        None => title,
    };
    let thumb = item
        .image
        .as_deref()
        .and_then(safe_href)
        .map(|src| {
            format!(
                "<img class=\"thumb\" src=\"{src}\" alt=\"\" width=\"112\" height=\"63\" \
                 loading=\"lazy\" decoding=\"async\" referrerpolicy=\"no-referrer\">"
            )
        })
        .unwrap_or_default();
    let mut meta = Vec::new();
    if let Some(t) = item.date_published {
        meta.push(when(t));
    }
    if let Some(author) = item.authors.first() {
        meta.push(e(&author.name));
    }
    format!(
        "<article>{thumb}<h3>{heading}</h3><div class=\"meta\">{}</div>{}</article>\n",
        meta.join(" · "),
        summary_to_html(item.summary.as_deref().unwrap_or(""))
    )
}

/// `<link rel="alternate">` for every format of every feed, for readers given the page's address.
fn alternate_links(page: &IndexPage<'_>) -> String {
    let mut html = String::new();
    for (id, feed) in page.feeds {
        for (format, name) in [
            (Format::Rss, "RSS"),
            (Format::Atom, "Atom"),
            (Format::Json, "JSON Feed"),
        ] {
            let mime = format.content_type().split(';').next().unwrap_or_default();
            html.push_str(&format!(
                "<link rel=\"alternate\" type=\"{mime}\" title=\"{} ({name})\" \
                 href=\"/feeds/{id}.{}{}\">\n",
                publish::escape_html(&feed.title),
                format.extension(),
                page.suffix
            ));
        }
    }
    html
}

/// One feed's section: title, description, subscribe links, health, latest items.
fn feed_section(page: &IndexPage<'_>, id: &str, feed: &JsonFeed) -> String {
    let (e, suffix) = (publish::escape_html, &page.suffix);
    // The feed's language, so that browsers hyphenate and read it aloud as such.
    let lang = feed
        .language
        .as_deref()
        .map(|l| format!(" lang=\"{}\"", e(l)))
        .unwrap_or_default();
    let mut html = format!("<section{lang}>\n<h2>{}</h2>\n", e(&feed.title));
    if let Some(desc) = feed.description.as_deref().filter(|d| !d.is_empty()) {
        html.push_str(&format!("<p>{}</p>\n", e(desc)));
    }
    html.push_str(&format!(
        "<p class=\"subscribe\">Subscribe: <a href=\"/feeds/{id}.rss{suffix}\">RSS</a> · \
         <a href=\"/feeds/{id}.atom{suffix}\">Atom</a> · \
         <a href=\"/feeds/{id}.json{suffix}\">JSON Feed</a> · {} items</p>\n",
        feed.items.len()
    ));
    if let Some(health) = page.health {
        html.push_str(&health_html(health.get(id)));
    }
    for item in feed.items.iter().take(INDEX_ITEMS) {
        html.push_str(&item_html(item));
    }
    html.push_str("</section>\n");
    html
}

/// Renders the index page. All text from feeds is escaped; the page needs no script.
fn render_index(page: &IndexPage<'_>) -> String {
    let mut html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>clearfeed</title>\n{}<style>{STYLE}</style></head><body>\n<h1>clearfeed</h1>\n\
         <p>Clean feeds with summaries. Subscribe to any of them in a feed reader, or import them \
         all with <a href=\"/feeds.opml{}\">feeds.opml</a>.</p>\n",
        alternate_links(page),
        page.suffix
    );
    if page.feeds.is_empty() {
        html.push_str("<p>No feeds have been published yet.</p>\n");
    }
    for (id, feed) in page.feeds {
        html.push_str(&feed_section(page, id, feed));
    }
    html.push_str("</body></html>\n");
    html
}

/// The feeds' health from the pipeline's store when the server runs beside the pipeline, else from
/// the read-only store it was given. A store that cannot be read leaves the health out rather than
/// failing the page.
async fn feed_health(state: &AppState) -> Option<HashMap<String, Health>> {
    let pipeline = state.pipeline.as_ref();
    let store = pipeline.map(|p| p.store()).or(state.state_store.as_ref())?;
    let states = match store.call(|s| s.feed_states()).await {
        Ok(states) => states,
        Err(e) => {
            tracing::warn!(error = %e, "index: cannot read feed states");
            return None;
        }
    };
    let now = Utc::now();
    let feeds = pipeline.map_or(&[][..], |p| &p.settings().feeds);
    Some(
        states
            .into_iter()
            .map(|s| {
                let next_run = feeds
                    .iter()
                    .find(|f| f.id == s.id && state.scheduled)
                    .and_then(|f| crate::schedule::next_run(f, s.next_allowed, now));
                (s.id.clone(), Health { state: s, next_run })
            })
            .collect(),
    )
}

pub(super) async fn index(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let feeds = state.files.published_feeds().await?;
    let health = feed_health(&state).await;
    // With private feeds, the page's links carry the token it was opened with, so a reader can
    // subscribe with one click.
    let token = state
        .token_digest
        .as_ref()
        .and(auth::query_token(query.as_deref()));
    let suffix = token
        .map(|t| {
            let q: String = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("token", &t)
                .finish();
            publish::escape_html(&format!("?{q}"))
        })
        .unwrap_or_default();
    let page = IndexPage {
        feeds: &feeds,
        health: health.as_ref(),
        suffix,
    };
    Ok((
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        render_index(&page),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn item(url: &str, title: &str, image: Option<&str>) -> JsonItem {
        JsonItem {
            id: "1".into(),
            url: Some(url.into()),
            title: Some(title.into()),
            summary: Some("• one <i>\n• two\n\nLead & more".into()),
            content_html: None,
            image: image.map(str::to_string),
            date_published: None,
            date_modified: None,
            authors: vec![],
        }
    }

    fn feed(title: &str, items: Vec<JsonItem>) -> JsonFeed {
        JsonFeed {
            version: "https://jsonfeed.org/version/1.1".into(),
            title: title.into(),
            home_page_url: None,
            feed_url: None,
            description: None,
            language: (title == "Hills").then(|| "de".to_string()),
            items,
        }
    }

    fn page<'a>(
        feeds: &'a [(String, JsonFeed)],
        health: Option<&'a HashMap<String, Health>>,
    ) -> IndexPage<'a> {
        IndexPage {
            feeds,
            health,
            suffix: String::new(),
        }
    }

    #[test]
    fn index_escapes_feed_text_and_drops_unsafe_links() {
        let feeds = [(
            "f".to_string(),
            feed(
                "<b>Feed</b>",
                vec![item(
                    "javascript:alert(1)",
                    "<script>alert('x')</script>",
                    Some("javascript:alert(2)"),
                )],
            ),
        )];
        let html = render_index(&page(&feeds, None));
        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
        assert!(!html.contains("javascript:"));
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("<ul><li>one &lt;i&gt;</li><li>two</li></ul><p>Lead &amp; more</p>"));
        assert!(html.contains("&lt;b&gt;Feed&lt;/b&gt;"));
        // Without access to the feeds' state, the page claims no health at all.
        assert!(!html.contains("class=\"health"), "{html}");
    }

    #[test]
    fn the_head_lists_every_feed_in_every_format_and_items_show_their_image() {
        let feeds = [
            (
                "harbour".to_string(),
                feed(
                    "Harbour \"News\"",
                    vec![item(
                        "https://h.example/a",
                        "Ferries",
                        Some("https://h.example/i.jpg?w=1&h=2"),
                    )],
                ),
            ),
            ("hills".to_string(), feed("Hills", vec![])),
        ];
        let html = render_index(&page(&feeds, None));
        let head = &html[..html.find("</head>").unwrap()];
        for (id, title) in [("harbour", "Harbour &quot;News&quot;"), ("hills", "Hills")] {
            for (ty, ext, name) in [
                ("application/rss+xml", "rss", "RSS"),
                ("application/atom+xml", "atom", "Atom"),
                ("application/feed+json", "json", "JSON Feed"),
            ] {
                let link = format!(
                    "<link rel=\"alternate\" type=\"{ty}\" title=\"{title} ({name})\" \
                     href=\"/feeds/{id}.{ext}\">"
                );
                assert!(head.contains(&link), "{link} not in {head}");
            }
        }
        assert!(
            html.contains("<img class=\"thumb\" src=\"https://h.example/i.jpg?w=1&amp;h=2\""),
            "{html}"
        );
        assert!(html.contains("<section>\n<h2>Harbour"), "{html}");
        assert!(
            html.contains("<section lang=\"de\">\n<h2>Hills</h2>"),
            "{html}"
        );
    }

    #[test]
    fn health_shows_last_success_error_unread_articles_and_next_run() {
        let t = |h| Utc.with_ymd_and_hms(2026, 3, 2, h, 5, 0).unwrap();
        let working = Health {
            state: FeedState {
                id: "a".into(),
                last_success: Some(t(9)),
                last_run_failed: 2,
                last_item_error: Some("HTTP 500 <from upstream>\nand more".into()),
                ..Default::default()
            },
            next_run: Some(t(10)),
        };
        let html = health_html(Some(&working));
        assert_eq!(
            html,
            "<p class=\"health\"><span class=\"state\">Working</span> · last success \
             2026-03-02 09:05 UTC · 2 articles not read, teaser shown: HTTP 500 &lt;from \
             upstream&gt; · next run 2026-03-02 10:05 UTC</p>\n"
        );
        let failing = Health {
            state: FeedState {
                id: "b".into(),
                last_error: Some(format!("cannot resolve {} (DNS)", "x".repeat(300))),
                consecutive_failures: 3,
                ..Default::default()
            },
            next_run: None,
        };
        let html = health_html(Some(&failing));
        assert!(html.starts_with("<p class=\"health failing\"><span class=\"state\">Failing"));
        assert!(html.contains("never read successfully · last error (3 runs in a row): cannot"));
        assert!(html.contains("x…"), "{html}");
        assert!(!html.contains("(DNS)"), "cut to one short line: {html}");
        assert!(html.contains("no scheduled runs"));
        assert!(health_html(None).contains("Not run yet"));
    }
}

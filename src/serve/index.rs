//! The HTML index page at `/`: every published feed with its subscribe links and latest items.
//!
//! Owns: rendering the page from the published JSON Feeds, with all feed text escaped and only
//! http(s) links kept. Does not own: reading the files (`conditional`), access control (`auth`),
//! or the page's security headers (`serve`).

use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::{AppError, AppState, auth};
use crate::publish::{self, JsonFeed};

/// Items per feed shown on the index page.
const INDEX_ITEMS: usize = 8;

/// Only http(s) links become `href`s on the index page; anything else (e.g. `javascript:`) is
/// shown as text only.
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

/// Renders the index page: every feed, its subscribe links and latest items with summaries.
/// All text from feeds is escaped; the page needs no script.
fn render_index(feeds: &[(String, JsonFeed)], token: Option<&str>) -> String {
    // With private feeds, the subscribe links carry the token the page was opened with, so a
    // reader can subscribe with one click.
    let suffix = token
        .map(|t| {
            let q: String = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("token", t)
                .finish();
            publish::escape_html(&format!("?{q}"))
        })
        .unwrap_or_default();
    let e = publish::escape_html;
    let mut html = String::from(concat!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">",
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
        "<title>clearfeed</title><style>",
        "body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#222}",
        "h2{margin-top:2.5rem;border-bottom:1px solid #ddd}article{margin:1.2rem 0}",
        "h3{margin:.2rem 0;font-size:1.05rem}.meta,.subscribe{color:#666;font-size:.9rem}",
        "a{color:#0645ad}ul{padding-left:1.3rem}",
        "</style></head><body>\n<h1>clearfeed</h1>\n",
        "<p>Clean feeds with summaries. Subscribe to any of them in a feed reader, ",
        "or import them all with <a href=\"/feeds.opml",
    ));
    html.push_str(&suffix);
    html.push_str("\">feeds.opml</a>.</p>\n");
    if feeds.is_empty() {
        html.push_str("<p>No feeds have been published yet.</p>\n");
    }
    for (id, feed) in feeds {
        html.push_str(&format!("<section>\n<h2>{}</h2>\n", e(&feed.title)));
        if let Some(desc) = feed.description.as_deref().filter(|d| !d.is_empty()) {
            html.push_str(&format!("<p>{}</p>\n", e(desc)));
        }
        html.push_str(&format!(
            "<p class=\"subscribe\">Subscribe: <a href=\"/feeds/{id}.rss{suffix}\">RSS</a> · \
             <a href=\"/feeds/{id}.atom{suffix}\">Atom</a> · \
             <a href=\"/feeds/{id}.json{suffix}\">JSON Feed</a> · {} items</p>\n",
            feed.items.len()
        ));
        for item in feed.items.iter().take(INDEX_ITEMS) {
            let title = e(item.title.as_deref().unwrap_or("(untitled)"));
            let heading = match item.url.as_deref().and_then(safe_href) {
                Some(href) => format!("<a href=\"{href}\" rel=\"noreferrer noopener\">{title}</a>"),
                None => title,
            };
            let mut meta = Vec::new();
            if let Some(t) = item.date_published {
                meta.push(t.format("%Y-%m-%d %H:%M UTC").to_string());
            }
            if let Some(author) = item.authors.first() {
                meta.push(e(&author.name));
            }
            html.push_str(&format!(
                "<article><h3>{heading}</h3><div class=\"meta\">{}</div>{}</article>\n",
                meta.join(" · "),
                summary_to_html(item.summary.as_deref().unwrap_or(""))
            ));
        }
        html.push_str("</section>\n");
    }
    html.push_str("</body></html>\n");
    html
}

pub(super) async fn index(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let feeds = state.files.published_feeds().await?;
    let token = state
        .token_digest
        .as_ref()
        .and(auth::query_token(query.as_deref()));
    Ok((
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        render_index(&feeds, token.as_deref()),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_escapes_feed_text_and_drops_unsafe_links() {
        let feed = JsonFeed {
            version: "https://jsonfeed.org/version/1.1".into(),
            title: "<b>Feed</b>".into(),
            home_page_url: None,
            feed_url: None,
            description: None,
            items: vec![publish::JsonItem {
                id: "1".into(),
                url: Some("javascript:alert(1)".into()),
                title: Some("<script>alert('x')</script>".into()),
                summary: Some("• one <i>\n• two\n\nLead & more".into()),
                content_html: None,
                image: None,
                date_published: None,
                date_modified: None,
                authors: vec![],
            }],
        };
        let html = render_index(&[("f".into(), feed)], None);
        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
        assert!(!html.contains("javascript:"));
        assert!(html.contains("<ul><li>one &lt;i&gt;</li><li>two</li></ul><p>Lead &amp; more</p>"));
        assert!(html.contains("&lt;b&gt;Feed&lt;/b&gt;"));
    }
}

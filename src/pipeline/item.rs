//! Assembly of what is published: the [`Item`] a source entry becomes, from an extracted article
//! and its summary or from the source's teaser when the article could not be read; the content
//! hash that tells an update from an unchanged item; and a feed's [`FeedMeta`].
//!
//! Owns: which URL, title and dates an item gets, the teaser fallback's text, and a feed's
//! published title and description. Does not own: fetching, extracting or summarizing (the
//! stages), whether to fetch at all (`policy`), storing (`store`) or rendering (`publish`).

use chrono::Utc;
use sha2::{Digest, Sha256};

use super::FeedConfig;
use super::policy::{believable_canonical, canonical_url, hex, plausible};
use crate::model::{FeedMeta, Item};
use crate::source::Candidate;
use crate::store::FeedState;

/// The content hash: everything a reader sees.
pub(super) fn content_hash(title: &str, bullets: &[String], lead: &str, html: &str) -> String {
    let mut h = Sha256::new();
    for part in [title, lead, html] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    for b in bullets {
        h.update(b.as_bytes());
        h.update([1]);
    }
    hex(&h.finalize())
}

/// The article's own "last modified" time: the page's modified date, else the source's updated
/// date for the entry, else its publication date, else when we first saw it (never the moment of
/// storing). A later change of content is dated by the store when it replaces the item.
fn own_update(
    page_modified: Option<chrono::DateTime<Utc>>,
    c: &Candidate,
    published: Option<chrono::DateTime<Utc>>,
    first_seen: chrono::DateTime<Utc>,
) -> chrono::DateTime<Utc> {
    plausible(page_modified)
        .or(plausible(c.updated))
        .filter(|u| published.is_none_or(|p| *u >= p))
        .or(published)
        .unwrap_or(first_seen)
}

#[allow(clippy::too_many_arguments)]
pub(super) fn article_item(
    feed: &FeedConfig,
    guid: &str,
    c: &Candidate,
    final_url: Option<url::Url>,
    article: &crate::extract::Article,
    summary: &crate::summarize::Summary,
    first_seen: chrono::DateTime<Utc>,
) -> Item {
    let fetched = final_url.unwrap_or_else(|| c.url.clone());
    // The page's own canonical link wins when it is believable: items are deduplicated by it, so
    // a template that points every page at the home page must not merge all articles into one.
    let url = article
        .url
        .as_deref()
        .and_then(|u| url::Url::parse(u).ok())
        .filter(|u| believable_canonical(u, &fetched))
        .map(|u| canonical_url(&u))
        .unwrap_or_else(|| canonical_url(&fetched));
    let published =
        plausible(article.published.map(|p| p.with_timezone(&Utc))).or(plausible(c.published));
    let title = Some(article.title.trim())
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .or_else(|| c.title.clone())
        .unwrap_or_else(|| url.to_string());
    Item {
        feed: feed.id.clone(),
        guid: guid.to_string(),
        content_hash: content_hash(
            &title,
            &summary.bullets,
            &summary.lead,
            &article.content_html,
        ),
        url: url.to_string(),
        title,
        byline: article.byline.clone(),
        updated: own_update(
            article.modified.map(|m| m.with_timezone(&Utc)),
            c,
            published,
            first_seen,
        ),
        published,
        bullets: summary.bullets.clone(),
        lead: summary.lead.clone(),
        summary: summary.text.clone(),
        content_html: article.content_html.clone(),
        image: article.image.clone(),
        first_seen,
        language: article.language.clone(),
    }
}

/// An item made of the source's teaser, for an article that could not be read. The teaser is
/// upstream HTML: it is sanitized here like everything else that reaches readers.
pub(super) fn teaser_item(
    feed: &FeedConfig,
    guid: &str,
    c: &Candidate,
    canonical: &url::Url,
    teaser: Option<&str>,
    reason: &str,
    first_seen: chrono::DateTime<Utc>,
) -> Item {
    // The same allow-list as extracted articles (tracking parameters out, links absolute).
    let clean =
        crate::extract::sanitize::Sanitizer::new().clean(teaser.unwrap_or(""), Some(canonical));
    let text = scraper::Html::parse_fragment(&clean)
        .root_element()
        .text()
        .collect::<Vec<_>>()
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let note = if teaser.is_some() {
        "Only the source's teaser is shown: the full article could not be read."
    } else {
        "The full article could not be read; follow the link to the source."
    };
    let content_html = format!("<p><em>{note}</em></p>\n{clean}");
    let title = c.title.clone().unwrap_or_else(|| canonical.to_string());
    tracing::debug!(feed = %feed.id, %reason, "teaser fallback");
    Item {
        feed: feed.id.clone(),
        guid: guid.to_string(),
        url: canonical.to_string(),
        content_hash: content_hash(&title, &[], &text, &content_html),
        title,
        byline: None,
        published: plausible(c.published),
        updated: own_update(None, c, plausible(c.published), first_seen),
        bullets: Vec::new(),
        summary: text.clone(),
        lead: text,
        content_html,
        image: None,
        first_seen,
        language: None,
    }
}

/// How a feed presents itself when published: its configured title (else the source's own),
/// the source's description and site link.
pub(super) fn feed_meta(
    feed: &FeedConfig,
    state: Option<&FeedState>,
    base_url: Option<&url::Url>,
) -> FeedMeta {
    let title = match state.and_then(|s| s.title.clone()) {
        Some(t) if feed.title == feed.id && !t.is_empty() => t,
        _ => feed.title.clone(),
    };
    FeedMeta {
        id: feed.id.clone(),
        description: state
            .and_then(|s| s.description.clone())
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| format!("{title}: full articles with summaries")),
        title,
        site_url: state
            .and_then(|s| s.site_url.clone())
            .unwrap_or_else(|| feed.source_url.to_string()),
        base_url: base_url.map(|u| u.to_string()),
        summary_in_content: feed.summary_in_content,
        language: feed.language.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn updated_is_the_articles_own_date_not_the_time_of_storing() {
        use chrono::TimeZone;
        let seen = Utc.with_ymd_and_hms(2026, 5, 2, 9, 0, 0).unwrap();
        let published = Utc.with_ymd_and_hms(2026, 5, 1, 8, 0, 0).unwrap();
        let modified = Utc.with_ymd_and_hms(2026, 5, 1, 12, 0, 0).unwrap();
        let mut c = Candidate {
            url: url::Url::parse("https://e.example/a").unwrap(),
            title: None,
            published: Some(published),
            updated: Some(modified),
            guid: None,
            teaser: None,
            content: None,
            author: None,
            categories: Vec::new(),
        };
        assert_eq!(own_update(None, &c, Some(published), seen), modified);
        // The page's own modified date wins over the source's.
        let page = Utc.with_ymd_and_hms(2026, 5, 1, 15, 0, 0).unwrap();
        assert_eq!(own_update(Some(page), &c, Some(published), seen), page);
        c.updated = None;
        assert_eq!(own_update(None, &c, Some(published), seen), published);
        assert_eq!(own_update(None, &c, None, seen), seen);
        let feed = FeedConfig::from_feed_url("f", c.url.clone());
        let it = teaser_item(&feed, "g", &c, &c.url, None, "x", seen);
        assert_eq!(it.updated, published);
    }

    #[test]
    fn teaser_item_is_sanitized_and_marked() {
        let feed =
            FeedConfig::from_feed_url("f", url::Url::parse("https://e.example/rss").unwrap());
        let c = Candidate {
            url: url::Url::parse("https://e.example/a").unwrap(),
            title: Some("Title".into()),
            published: None,
            updated: None,
            guid: None,
            teaser: None,
            content: None,
            author: None,
            categories: Vec::new(),
        };
        let it = teaser_item(
            &feed,
            "g",
            &c,
            &c.url,
            Some("<p onclick=\"x()\">Short <script>alert(1)</script>teaser</p>"),
            "robots",
            Utc::now(),
        );
        assert!(!it.content_html.contains("script"));
        assert!(!it.content_html.contains("onclick"));
        assert!(it.content_html.contains("teaser"));
        assert!(it.content_html.contains("could not be read"));
        assert_eq!(it.summary, "Short teaser");
    }
}

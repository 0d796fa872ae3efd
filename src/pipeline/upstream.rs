//! Articles read from the feed itself: with `fetch = "auto"` an entry whose own content is the
//! full article ([`crate::source::measure_fullness`]) is cleaned by the same extraction as a page
//! and its page is not fetched; with `fetch = "never"` the entry's content (or teaser) is always
//! used. The decision is logged; the pipeline counts the items it made.
//!
//! Owns: that decision and the page an entry's content is read as. Does not own: extraction or
//! storing (the pipeline's `store_article`).

use std::sync::Arc;

use super::{Done, Entry, FeedConfig, FetchMode, Known, Outcome, Pipeline, StoreError};
use crate::extract::Extractor;
use crate::model::Page;
use crate::source::Candidate;

impl Pipeline {
    /// The entry stored from its own content when the feed's fetch mode says so; `None` when its
    /// page is to be fetched (in `auto`, also when the content could not be extracted).
    pub(super) async fn read_from_feed(
        &self,
        entry: &Entry<'_>,
        known: Option<&Known>,
        extractor: &Arc<Extractor>,
    ) -> Result<Option<Done>, StoreError> {
        let Some(page) = page_of(entry.feed, entry.c) else {
            return Ok(None);
        };
        match self
            .store_article(entry, vec![page], extractor.clone())
            .await?
        {
            Ok((Outcome::Stored(upsert), site_body)) => {
                Ok(Some((Outcome::FromFeed(upsert), site_body)))
            }
            Ok(done) => Ok(Some(done)),
            Err(unread) if entry.feed.fetch == FetchMode::Never => {
                Ok(Some((self.keep_teaser(entry, known, unread).await?, None)))
            }
            Err(unread) => {
                tracing::info!(feed = %entry.feed.id, "{}; fetching the page", unread.reason);
                Ok(None)
            }
        }
    }
}

/// The page to extract instead of fetching `c`'s article, when `feed`'s fetch mode says so.
pub(super) fn page_of(feed: &FeedConfig, c: &Candidate) -> Option<Page> {
    let own = c.content.as_deref().or(c.teaser.as_deref());
    match feed.fetch {
        FetchMode::Always => None,
        FetchMode::Never => Some(wrap(c, own.unwrap_or(""))),
        FetchMode::Auto => {
            let html = own?;
            let m = crate::source::measure_fullness(html);
            if m.is_full() {
                tracing::info!(feed = %feed.id, url = %c.url, "{m} in the feed: page not fetched");
                Some(wrap(c, html))
            } else {
                tracing::debug!(feed = %feed.id, url = %c.url, "{m} in the feed: fetching the page");
                None
            }
        }
    }
}

/// An entry's HTML as an article page at the entry's URL, titled by the entry.
fn wrap(c: &Candidate, html: &str) -> Page {
    let title = escape(c.title.as_deref().unwrap_or(""));
    let doc = format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body><article><h1>{title}</h1>\n{html}\n</article></body></html>"
    );
    let mut page = Page::from_bytes(doc.into_bytes(), Some(c.url.clone()));
    page.content_type = Some("text/html; charset=utf-8".into());
    page
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(content: Option<&str>, teaser: Option<&str>) -> Candidate {
        let mut c = Candidate::new(url::Url::parse("https://e.example/a").unwrap());
        c.title = Some("Tides & <moons>".into());
        c.content = content.map(str::to_string);
        c.teaser = teaser.map(str::to_string);
        c
    }

    fn with_mode(mode: FetchMode) -> FeedConfig {
        let mut f = FeedConfig::from_feed_url("f", url::Url::parse("https://e.example/").unwrap());
        f.fetch = mode;
        f
    }

    #[test]
    fn each_mode_decides_as_documented() {
        let long = format!(
            "<p>{}</p>",
            "many words of a real paragraph here ".repeat(12)
        )
        .repeat(3);
        let full = entry(Some(&long), Some("<p>Short.</p>"));
        let teaser = entry(None, Some("<p>Short teaser.</p>"));
        let auto = with_mode(FetchMode::Auto);
        let page = page_of(&auto, &full).expect("full content is used");
        let body = String::from_utf8(page.body).unwrap();
        assert!(body.contains("<title>Tides &amp; &lt;moons&gt;</title>") && body.contains(&long));
        assert_eq!(page.url.as_ref(), Some(&full.url));
        assert!(page_of(&auto, &teaser).is_none());
        assert!(page_of(&with_mode(FetchMode::Always), &full).is_none());
        let never = with_mode(FetchMode::Never);
        let body = String::from_utf8(page_of(&never, &teaser).unwrap().body).unwrap();
        assert!(body.contains("Short teaser."));
        assert!(page_of(&never, &entry(None, None)).is_some());
    }
}

//! JSON Feed 1.1: the document types (also read back by `serve`) and their rendering.
//!
//! Does not own the shared helpers (XML-safe text, dates: `mod.rs`) or writing files
//! (`write.rs`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::render_error;
use super::{FeedMeta, Format, Item, PublishError, clean, content_html, feed_language, published};

/// JSON Feed 1.1 document. Also read back by `serve` for the index page, hence `Deserialize`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct JsonFeed {
    pub version: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub home_page_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feed_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    pub items: Vec<JsonItem>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct JsonItem {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_html: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_published: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_modified: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authors: Vec<JsonAuthor>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct JsonAuthor {
    pub name: String,
}

/// JSON Feed 1.1. `summary` is the plain-text summary; `content_html` the clean article.
pub fn render_json(meta: &FeedMeta, items: &[Item]) -> Result<String, PublishError> {
    let feed = JsonFeed {
        version: "https://jsonfeed.org/version/1.1".into(),
        title: clean(&meta.title),
        home_page_url: Some(clean(&meta.site_url)),
        feed_url: meta.absolute_feed_url(Format::Json),
        description: Some(clean(&meta.description)).filter(|d| !d.is_empty()),
        language: feed_language(meta, items),
        items: items
            .iter()
            .map(|item| JsonItem {
                id: clean(&item.guid),
                url: Some(clean(&item.url)),
                title: Some(clean(&item.title)),
                summary: Some(clean(&item.summary)),
                content_html: Some(content_html(meta, item)),
                image: item.image.as_deref().map(clean),
                date_published: Some(published(item)),
                date_modified: Some(item.updated),
                authors: item
                    .byline
                    .as_deref()
                    .filter(|b| !b.trim().is_empty())
                    .map(|b| JsonAuthor { name: clean(b) })
                    .into_iter()
                    .collect(),
            })
            .collect(),
    };
    serde_json::to_string_pretty(&feed).map_err(|e| render_error(meta, "JSON", e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::publish::tests::{sample_item, sample_meta};

    #[test]
    fn json_round_trips_through_feed_rs_and_serde() {
        let items = vec![sample_item(1)];
        let json = render_json(&sample_meta(), &items).unwrap();
        let feed = feed_rs::parser::parse(json.as_bytes()).unwrap();
        let e = &feed.entries[0];
        assert_eq!(e.id, items[0].guid);
        assert_eq!(e.title.as_ref().unwrap().content, items[0].title);
        assert_eq!(e.published, items[0].published);
        assert_eq!(e.updated, Some(items[0].updated));
        let ours: JsonFeed = serde_json::from_str(&json).unwrap();
        assert_eq!(ours.version, "https://jsonfeed.org/version/1.1");
        assert_eq!(
            ours.feed_url.as_deref(),
            Some("https://feeds.example.net/feeds/harbour.json")
        );
        assert_eq!(
            ours.items[0].summary.as_deref(),
            Some(items[0].summary.as_str())
        );
        assert_eq!(ours.items[0].authors[0].name, "Ines Marlowe");
        assert_eq!(ours.items[0].image, items[0].image);
        let content = ours.items[0].content_html.as_deref().unwrap();
        assert!(content.starts_with("<aside class=\"clearfeed-summary\"><h2>Key points</h2>"));
        let off = FeedMeta {
            summary_in_content: false,
            ..sample_meta()
        };
        let plain: JsonFeed = serde_json::from_str(&render_json(&off, &items).unwrap()).unwrap();
        assert_eq!(
            plain.items[0].content_html.as_deref(),
            Some(items[0].content_html.as_str())
        );
    }
}

//! Publishing: our `Item` model converted to RSS 2.0, Atom 1.0 and JSON Feed 1.1 (only here), and
//! written atomically to `<data_dir>/public/`.

use std::path::Path;

use crate::store::Item;

/// What a published feed says about itself.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedMeta {
    /// Feed id; the files are `<id>.rss`, `<id>.atom`, `<id>.json`.
    pub id: String,
    pub title: String,
    pub description: String,
    /// The source site (channel link).
    pub site_url: String,
    /// Public base URL the feeds are served under, for self links (`<base>/feeds/<id>.rss`).
    pub base_url: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("cannot write {path}: {source}")]
    Write {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
}

/// Renders and atomically writes the three formats of one feed into `public_dir`.
pub fn write_feed(
    _public_dir: &Path,
    _meta: &FeedMeta,
    _items: &[Item],
) -> Result<(), PublishError> {
    Ok(())
}

/// Writes `feeds.opml` listing every feed.
pub fn write_opml(_public_dir: &Path, _feeds: &[FeedMeta]) -> Result<(), PublishError> {
    Ok(())
}

//! Extraction: one page's bytes and site rules in, one clean article out. Decoding, metadata,
//! main-content detection, cruft removal and sanitizing all happen here; no network, no clock.
//!
//! The order is fixed and this module only sequences it:
//! 1. [`decode`]: bytes to UTF-8 (refusing empty and binary input);
//! 2. HTML or plain text? ([`plain::looks_like_html`]);
//! 3. HTML: [`meta`] reads the document's own metadata, [`content`] finds the body blocks and key
//!    points; plain text: [`plain`] reads structure from lines;
//! 4. assembly here: captions and repeats out of the text, a leading copy of the headline dropped,
//!    language detected when undeclared;
//! 5. [`sanitize`] runs last on the HTML that leaves the program.
//!
//! The `clearfeed extract` command lives in the app (`app::extract`); it reads pages and calls this.

pub mod content;
pub mod cruft;
pub mod decode;
pub mod meta;
pub mod plain;
mod prose;
mod rules;
pub mod sanitize;
mod site;
mod strip;

use std::borrow::Cow;
use std::collections::HashSet;

use chrono::{DateTime, FixedOffset};
use scraper::Html;
use serde::Serialize;
use url::Url;

use crate::model::Page;
use content::{Block, BlockKind, ContentRules};
use meta::MetaRules;
pub use prose::is_real_paragraph;
pub(crate) use prose::{is_metadata_line, opens_body};
pub use rules::{Chosen, HostExtras, SiteRules, choose};
use sanitize::Sanitizer;
pub use site::{PageLinks, canonical_url};

/// A clean article.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Article {
    /// Headline without a " - Site name" suffix (empty when the page has none).
    pub title: String,
    pub byline: Option<String>,
    pub published: Option<DateTime<FixedOffset>>,
    /// When the page says it was last modified.
    pub modified: Option<DateTime<FixedOffset>>,
    /// Canonical URL: link rel=canonical, og:url, or the fetched URL.
    pub url: Option<String>,
    /// Lead image, absolute.
    pub image: Option<String>,
    /// ISO 639-1 code.
    pub language: Option<String>,
    /// The page's own summary line under the headline (dek, standfirst, subtitle), when it has
    /// one: what the page says about the story, never its lead.
    pub dek: Option<String>,
    /// The key points, in order, as plain strings.
    pub bullets: Vec<String>,
    /// The body's prose as plain text, in order: paragraphs, quotes, list items and preformatted
    /// blocks. Headings and figures are not paragraphs (a heading is never a lead), and cruft and
    /// captions are removed. The first real paragraph is the lead.
    pub paragraphs: Vec<String>,
    /// The clean body as plain text: every text block (headings included, so the text reads as
    /// the article does), captions out, blocks separated by one blank line.
    pub text: String,
    /// The clean body as sanitized HTML (figures keep their captions here).
    pub content_html: String,
    /// A site rule's native-ad clue matched: the page is sponsored content.
    pub native_ad: bool,
    /// Whether a site rule's body selector matched (`None`: the rules have no body selector).
    pub site_body: Option<bool>,
}

impl Article {
    /// Words in `text` (whitespace-separated; a run of CJK characters counts per character, since
    /// those scripts do not separate words with spaces).
    pub fn word_count(&self) -> usize {
        word_count(&self.text)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error("empty input")]
    Empty,
    #[error("input looks like binary data ({0}), not a page")]
    Binary(String),
    #[error("no article content found")]
    NoContent,
    #[error("invalid site rule {key}: {reason}")]
    BadRule { key: String, reason: String },
}

/// An extractor with its rules compiled once (selectors, patterns, sanitizer), reused for every page.
#[derive(Debug)]
pub struct Extractor {
    content: ContentRules,
    meta: MetaRules,
    site: site::SiteExtras,
    sanitizer: Sanitizer,
    /// The extractor without the rule files' rules, when files apply (see
    /// [`HostExtras::without_files`]).
    without_files: Option<Box<Extractor>>,
}

impl Extractor {
    /// Compiles the built-in rules merged with `rules`; an invalid selector or pattern is a
    /// [`ExtractError::BadRule`] naming its key.
    pub fn new(rules: &SiteRules) -> Result<Self, ExtractError> {
        Ok(Extractor {
            content: ContentRules::new(rules)?,
            meta: MetaRules::new(rules.title.as_deref())?,
            site: site::SiteExtras::new(&rules.host)?,
            sanitizer: Sanitizer::new(),
            without_files: match &rules.host.without_files {
                Some(r) => Some(Box::new(Extractor::new(r)?)),
                None => None,
            },
        })
    }

    /// Extracts the article from one page. Rule files never cost the article: when their rules
    /// find none, or under a third of the text found without them (a stale body rule, a
    /// removal that takes the story with it), the article found without them is taken, and
    /// counts as a rule miss. The page is decoded once, and parsed once for both unless the
    /// files' replacements changed it.
    pub fn article(&self, page: &Page) -> Result<Article, ExtractError> {
        let page_url = page.url.as_ref();
        let decoded = decode::decode(
            &page.body,
            page.content_type.as_deref(),
            page_url.and_then(Url::host_str),
        )?;
        let text = &decoded.text;
        if !plain::looks_like_html(text) {
            let ruled = self.plain_article(text, page_url);
            let unruled = self
                .without_files
                .as_ref()
                .map(|x| x.plain_article(text, page_url));
            return self.unless_files_cost(ruled, unruled);
        }
        let html = self.site.rewrite(text);
        let doc = parse(&html);
        let ruled = self.html_article(&doc, page_url);
        let unruled = self.without_files.as_ref().map(|x| match html {
            Cow::Borrowed(_) => x.html_article(&doc, page_url),
            Cow::Owned(_) => x.html_article(&parse(text), page_url),
        });
        self.unless_files_cost(ruled, unruled)
    }

    /// The article found with the rule files, unless the one found without them (`unruled`)
    /// holds over three times its text.
    fn unless_files_cost(
        &self,
        ruled: Result<Article, ExtractError>,
        unruled: Option<Result<Article, ExtractError>>,
    ) -> Result<Article, ExtractError> {
        let ruled_len = ruled.as_ref().map_or(0, |a| a.text.len());
        match unruled {
            Some(Ok(mut a)) if ruled_len * 3 < a.text.len() => {
                a.site_body = a
                    .site_body
                    .or(self.content.has_body_rule().then_some(false));
                Ok(a)
            }
            _ => ruled,
        }
    }

    fn html_article(&self, doc: &Html, page_url: Option<&Url>) -> Result<Article, ExtractError> {
        let mut meta = self.meta.extract(doc, page_url);
        self.site.apply_meta(doc, &mut meta);
        let native_ad = self.site.is_native_ad(doc);
        let body = content::extract_body(doc, &self.content, &meta.descriptions);
        let site_body = self.content.has_body_rule().then_some(body.site_body);
        let title = meta.title.clone().unwrap_or_default();
        let bullets = dedupe_strings(body.bullets);
        let dek = body
            .dek
            .map(|d| collapse_whitespace(&d))
            .filter(|d| dedupe_hash(d) != dedupe_hash(&title));
        // The page's own copy of the article wins over a body that missed it (empty, short
        // next to it, or a consent notice); a site rule's body is trusted as it is.
        let mut body_blocks = body.blocks;
        if !body.site_body
            && let Some(declared) = meta.article_body.as_deref()
            && let Some(b) = content::declared_body(&body_blocks, declared, &self.content.cruft)
        {
            body_blocks = b;
        }
        let mut blocks = self.clean_blocks(body_blocks, &title, !bullets.is_empty());
        if let Some(d) = dek.as_deref() {
            lead_with_dek(&mut blocks, d);
        }
        let html: String = blocks.iter().map(|b| b.html.as_str()).collect();
        let content_html = self.sanitizer.clean(&html, meta.base.as_ref());
        // Without a declared lead image, the article's first figure is its picture.
        let image = meta.image.or_else(|| {
            blocks
                .iter()
                .filter(|b| b.kind == BlockKind::Figure)
                .find_map(|b| first_img_src(&b.html))
                .and_then(|src| meta::absolute_http(&src, meta.base.as_ref()))
        });
        self.finish(
            Article {
                title,
                byline: meta.byline,
                published: meta.published,
                modified: meta.modified,
                url: meta.url,
                image,
                language: meta.language,
                dek,
                bullets,
                paragraphs: Vec::new(),
                text: String::new(),
                content_html,
                native_ad,
                site_body,
            },
            &blocks,
        )
    }

    fn plain_article(&self, text: &str, page_url: Option<&Url>) -> Result<Article, ExtractError> {
        let plain = plain::extract(text, &self.content.cruft);
        let mut blocks: Vec<Block> = plain
            .paragraphs
            .into_iter()
            .map(|p| Block {
                kind: BlockKind::Paragraph,
                html: format!("<p>{}</p>", escape_html(&p)),
                text: p,
            })
            .collect();
        content::drop_preamble(&mut blocks);
        let title = plain.title.unwrap_or_default();
        let html: String = blocks.iter().map(|b| b.html.as_str()).collect();
        self.finish(
            Article {
                title,
                byline: plain.byline,
                published: plain.published,
                url: page_url.and_then(|u| meta::absolute_http(u.as_str(), None)),
                bullets: plain.bullets,
                content_html: self.sanitizer.clean(&html, page_url),
                ..Article::default()
            },
            &blocks,
        )
    }

    /// Fills `paragraphs`, `text` and a detected language from the final blocks, or reports that
    /// there is no article.
    fn finish(&self, mut article: Article, blocks: &[Block]) -> Result<Article, ExtractError> {
        let text_blocks = blocks.iter().filter(|b| b.kind != BlockKind::Figure);
        article.text = text_blocks
            .clone()
            .map(|b| b.text.as_str())
            .collect::<Vec<_>>()
            .join("\n\n");
        article.paragraphs = text_blocks
            .filter(|b| b.kind != BlockKind::Heading)
            .map(|b| b.text.clone())
            .collect();
        // Headings with figures under them (a gallery, an image post) are an article too; a page
        // of bare headings or a lone image is not.
        let has_figure = blocks.iter().any(|b| b.kind == BlockKind::Figure);
        let has_heading = blocks.iter().any(|b| b.kind == BlockKind::Heading);
        if article.paragraphs.is_empty() && !(has_figure && has_heading) {
            return Err(ExtractError::NoContent);
        }
        if article.language.is_none() {
            article.language = meta::detect_language(&article.text);
        }
        Ok(article)
    }

    /// The body's blocks as they will be published: empty blocks, stray captions outside figures
    /// (by their "Photo:"/"Credit:" markers) and a leading copy of the headline removed, and,
    /// when the key points were taken out as bullets, their "Key points" heading. Phrase-level
    /// cruft and template repeats are the body engine's job (it applies [`cruft::CruftRules`]; a
    /// declared body drops its own repeats); this pass only adds the structural checks that need
    /// the headline, the bullets or the whole body.
    fn clean_blocks(&self, blocks: Vec<Block>, title: &str, has_bullets: bool) -> Vec<Block> {
        let title_key = dedupe_hash(title);
        let mut out: Vec<Block> = Vec::with_capacity(blocks.len());
        // Only the blocks before the first text block kept are compared with the headline.
        let mut nothing_but_figures_before = true;
        for block in blocks {
            if block.kind == BlockKind::Figure {
                out.push(block);
                continue;
            }
            if !block.text.chars().any(char::is_alphanumeric) {
                continue;
            }
            if cruft::phrases::is_caption_line(&block.text)
                || (has_bullets
                    && block.kind == BlockKind::Heading
                    && self.content.cruft.is_bullet_heading(&block.text))
            {
                continue;
            }
            if nothing_but_figures_before
                && matches!(block.kind, BlockKind::Heading | BlockKind::Paragraph)
                && title_key == dedupe_hash(&block.text)
            {
                continue;
            }
            nothing_but_figures_before = false;
            out.push(block);
        }
        content::drop_preamble(&mut out);
        out
    }
}

/// The document the extractor reads: `html` parsed with the code of its style and script
/// elements cut first (see [`strip`]).
fn parse(html: &str) -> Html {
    Html::parse_document(&strip::strip_code(html))
}
/// Opens the body with the page's dek when the body does not hold it already: the standfirst is
/// part of the story as the page shows it (the summary still never takes it for the lead).
fn lead_with_dek(blocks: &mut Vec<Block>, dek: &str) {
    let key = dedupe_hash(dek);
    // A page with no body text is not made an article by its dek alone.
    let no_body = blocks.iter().all(|b| b.kind == BlockKind::Figure);
    if no_body || key.is_none() || blocks.iter().any(|b| dedupe_hash(&b.text) == key) {
        return;
    }
    let mut html = String::from("<p>");
    content::escape_into(&mut html, dek);
    html.push_str("</p>");
    blocks.insert(
        0,
        Block {
            kind: BlockKind::Paragraph,
            text: dek.to_string(),
            html,
        },
    );
}

/// The `src` of the first `<img>` in HTML the body engine emitted (attributes double-quoted and
/// escaped by it), unescaped.
fn first_img_src(html: &str) -> Option<String> {
    let at = html.find("<img src=\"")? + "<img src=\"".len();
    let end = html[at..].find('"')?;
    let src = html[at..at + end]
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    (!src.trim().is_empty()).then_some(src)
}

/// The largest char boundary of `s` at or below byte `i` (`s.len()` past the end).
pub(crate) fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    if i >= s.len() {
        return s.len();
    }
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The smallest char boundary of `s` at or above byte `i`.
pub(crate) fn ceil_char_boundary(s: &str, mut i: usize) -> usize {
    while i < s.len() && !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// Collapses runs of whitespace (including non-breaking spaces) into single spaces and trims.
pub(crate) fn collapse_whitespace(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// A comparison key that ignores case, spacing and punctuation, so repeats of the same paragraph
/// with different whitespace or quotes are recognised.
pub(crate) fn dedupe_key(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// [`dedupe_key`] hashed, without building the key: this runs on every block of every page.
/// `None` when the text has no letters or digits at all. ASCII bytes, most of any text, are
/// looked up in a table; other characters take the Unicode rules, and the hash is the same.
pub(crate) fn dedupe_hash(s: &str) -> Option<u64> {
    use std::hash::Hasher;
    let mut h = cruft::Fnv::default();
    let mut any = false;
    let mut buf = [0u8; 4];
    let bytes = s.as_bytes();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b.is_ascii() {
            let key = ASCII_KEY[usize::from(b)];
            if key != 0 {
                any = true;
                h.write_u8(key);
            }
            i += 1;
            continue;
        }
        let c = s[i..].chars().next().unwrap_or_default();
        i += c.len_utf8();
        if c.is_alphanumeric() {
            any = true;
            for l in c.to_lowercase() {
                h.write(l.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    any.then(|| h.finish())
}

/// An ASCII byte as [`dedupe_key`] keeps it: lower-cased when a letter or digit, else 0.
const ASCII_KEY: [u8; 128] = {
    let mut t = [0u8; 128];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        if c.is_ascii_alphanumeric() {
            t[b] = c.to_ascii_lowercase();
        }
        b += 1;
    }
    t
};

fn dedupe_strings(items: Vec<String>) -> Vec<String> {
    let mut seen = HashSet::new();
    items
        .into_iter()
        .map(|s| collapse_whitespace(&s))
        .filter(|s| !s.is_empty() && seen.insert(dedupe_key(s)))
        .collect()
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF)
}

/// Words in a text: whitespace-separated tokens, with each CJK character counted as a word.
pub(crate) fn word_count(text: &str) -> usize {
    text.split_whitespace()
        .map(|w| {
            let cjk = w.chars().filter(|&c| is_cjk(c)).count();
            if cjk == 0 {
                1
            } else {
                cjk + usize::from(w.chars().any(|c| c.is_alphanumeric() && !is_cjk(c)))
            }
        })
        .sum()
}

fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    content::escape_into(&mut out, s);
    out
}

#[cfg(test)]
mod tests;

//! Cruft rules: deciding whether a whole block of text is boilerplate (ad labels in several
//! languages, "Reading time", "Why you can trust", video timestamps, newsletter prompts, share
//! bars, captions and credits, ...), whether a heading opens a boilerplate box or the key points,
//! and the line-level phrases ([`phrases`]: bylines, update stamps, caption markers) and class/id
//! tokens ([`tokens`]) the other stages consult. Shared by the HTML and the plain-text paths.
//!
//! The rules are data: `rules/cruft.toml` and `rules/phrases.toml`, loaded once ([`tables`]).
//! Everything there is a general rule that holds across sites; a site's own patterns
//! (`drop_text`) are added on top. The built-in lists are compiled once per process and shared by
//! every rule set, a site's own patterns once in [`CruftRules::new`]; checking a block is a hash
//! lookup plus one pass of a [`RegexSet`]. This module owns no structure: which
//! element or line a block is, is decided by `content` and `plain`.

mod matcher;
pub(crate) mod phrases;
mod tables;
mod tokens;

use std::collections::HashSet;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicBool, Ordering};

use regex::RegexSet;

use matcher::PhraseSet;

use crate::extract::ExtractError;
use crate::extract::SiteRules;
use tables::CRUFT;
pub(crate) use tokens::{
    Fnv, TOKEN_BOILER, TOKEN_BULLET, TOKEN_CONTENT, TOKEN_DEK, TOKEN_HIDDEN, TOKEN_NEGATE,
    for_each_token, is_hidden_class, token_kind,
};

/// Longest block any built-in rule applies to, in characters (the block patterns are bounded).
const LONGEST_CRUFT: usize = 640;

/// How long a block may be for the `short_patterns` to apply, in characters.
const SHORT_BLOCK: usize = 280;

/// Longest caption the caption patterns are tried on, in characters.
const CAPTION_MAX: usize = 400;

/// Compiled cruft rules: the built-in set plus a site's `drop_text` patterns.
#[derive(Debug, Clone)]
pub struct CruftRules {
    builtin: &'static Builtin,
    site: RegexSet,
}

/// The built-in rules, compiled once per process and shared by every rule set: a regex keeps its
/// lazy-DFA caches with the compiled set, so one copy keeps one set of caches, however many sites
/// have rules of their own.
#[derive(Debug)]
struct Builtin {
    labels: HashSet<&'static str>,
    bullet_headings: HashSet<&'static str>,
    block: PhraseSet,
    short: PhraseSet,
    caption: PhraseSet,
    box_heading: PhraseSet,
    consent: PhraseSet,
}

static BUILTIN: LazyLock<Builtin> = LazyLock::new(|| {
    BUILTIN_COMPILED.store(true, Ordering::Release);
    Builtin {
        labels: CRUFT.labels.iter().map(String::as_str).collect(),
        bullet_headings: CRUFT.bullet_headings.iter().map(String::as_str).collect(),
        block: compile(&CRUFT.block_patterns),
        short: compile(&CRUFT.short_patterns),
        caption: compile(&CRUFT.caption_patterns),
        box_heading: compile(&CRUFT.box_heading_patterns),
        consent: compile(&CRUFT.consent_patterns),
    }
});

/// Whether [`BUILTIN`] was compiled (so that releasing its caches does not compile it).
static BUILTIN_COMPILED: AtomicBool = AtomicBool::new(false);

/// Drops the search caches of the built-in sets, kept for the next text: once grown they take
/// megabytes per thread that used them. For a process going quiet between bursts of extraction;
/// the next texts grow them again as far as they need.
pub fn release_caches() {
    if BUILTIN_COMPILED.load(Ordering::Acquire) {
        let b = &*BUILTIN;
        for set in [&b.block, &b.short, &b.caption, &b.box_heading, &b.consent] {
            set.release();
        }
    }
}

fn compile(patterns: &[String]) -> PhraseSet {
    // ASCII word boundaries keep the set on the fast DFA engines (a Unicode `\b` forces the
    // slow NFA simulation); the phrases they delimit are ASCII anyway.
    let anchored: Vec<String> = patterns
        .iter()
        .map(|p| format!("(?i){}", p.replace(r"\b", r"(?-u:\b)")))
        .collect();
    // The built-in patterns are constants covered by tests; failing here is a programming error.
    PhraseSet::new(&anchored).expect("built-in cruft patterns compile")
}

impl CruftRules {
    /// Built-in rules merged with a site's own.
    pub fn new(site: &SiteRules) -> Result<Self, ExtractError> {
        let mut site_patterns = Vec::with_capacity(site.drop_text.len());
        for (i, p) in site.drop_text.iter().enumerate() {
            let anchored = format!("(?i)^(?:{p})$");
            if let Err(e) = regex::Regex::new(&anchored) {
                return Err(ExtractError::BadRule {
                    key: format!("drop_text[{i}]"),
                    reason: e.to_string(),
                });
            }
            site_patterns.push(anchored);
        }
        let site = RegexSet::new(site_patterns).map_err(|e| ExtractError::BadRule {
            key: "drop_text".into(),
            reason: e.to_string(),
        })?;
        Ok(CruftRules {
            builtin: &BUILTIN,
            site,
        })
    }

    /// Whether a whole block (paragraph, line) of text is boilerplate and must be dropped.
    pub fn is_cruft_text(&self, text: &str) -> bool {
        let text = text.trim();
        if text.is_empty() {
            return true;
        }
        if self.site.is_match(text) {
            return true;
        }
        // Every built-in rule is about short blocks: a long paragraph is prose.
        if text.len() > 4 * LONGEST_CRUFT {
            return false;
        }
        let chars = text.chars().count();
        if chars > LONGEST_CRUFT {
            return false;
        }
        if chars <= 80 {
            let label = normalize_label(text);
            if label.is_empty() || self.builtin.labels.contains(label.as_str()) {
                return true;
            }
        }
        if self.builtin.block.is_match(text) {
            return true;
        }
        chars <= SHORT_BLOCK && self.builtin.short.is_match(text)
    }

    /// Whether a block of text is a photo caption or credit ("Photo: …", "Credit: …").
    pub fn is_caption(&self, text: &str) -> bool {
        let text = text.trim();
        !text.is_empty()
            && text.len() <= 4 * CAPTION_MAX
            && text.chars().count() <= CAPTION_MAX
            && self.builtin.caption.is_match(text)
    }

    /// Whether a heading makes the small box it opens boilerplate (the `box_heading_patterns` of `rules/cruft.toml`).
    pub fn is_cruft_box_heading(&self, text: &str) -> bool {
        let text = text.trim();
        text.len() <= 400 && self.builtin.box_heading.is_match(text)
    }

    /// Whether a body opening with `text` is a consent, cookie or copyright notice (the
    /// `consent_patterns` of `rules/cruft.toml`, tried on its first 300 characters).
    pub fn opens_with_consent(&self, text: &str) -> bool {
        let text = text.trim_start();
        let head = &text[..crate::extract::floor_char_boundary(text, 300)];
        self.builtin.consent.is_match(head)
    }

    /// Whether a line is a "read also" pointer: a `read_also_labels` label (`rules/cruft.toml`) followed by a link
    /// that makes up most of the rest (`link_chars` of `chars` characters are inside links).
    pub fn is_read_also_line(&self, text: &str, chars: usize, link_chars: usize) -> bool {
        if chars > SHORT_BLOCK || link_chars == 0 {
            return false;
        }
        let lower = text.trim().to_lowercase();
        CRUFT.read_also_labels.iter().any(|label| {
            lower.strip_prefix(label.as_str()).is_some_and(|rest| {
                if rest.chars().next().is_some_and(char::is_alphanumeric) {
                    return false;
                }
                let rest = rest.trim_start_matches(|c: char| {
                    c.is_whitespace() || matches!(c, ':' | '»' | '>' | '|' | '-' | '–' | '—')
                });
                !rest.is_empty() && link_chars * 5 >= rest.chars().count() * 4
            })
        })
    }

    /// Whether a short text is a heading that introduces the key points ("Key points", ...).
    pub fn is_bullet_heading(&self, text: &str) -> bool {
        text.len() <= 60 && {
            let label = normalize_label(text);
            self.builtin.bullet_headings.contains(label.as_str())
        }
    }
}

/// A short upstream text (a feed's own channel description) as plain text with its cruft out:
/// markup stripped, whitespace collapsed, and each sentence, line or `|`-separated part that is
/// boilerplate by the built-in rules (an ad label, a newsletter prompt) dropped.
pub fn clean_description(raw: &str) -> String {
    static RULES: std::sync::LazyLock<CruftRules> = std::sync::LazyLock::new(|| {
        CruftRules::new(&SiteRules::default()).expect("built-in cruft rules compile")
    });
    let text = if raw.contains('<') {
        scraper::Html::parse_fragment(raw)
            .root_element()
            .text()
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        raw.to_string()
    };
    let mut kept: Vec<&str> = Vec::new();
    for line in text.split(['\n', '|']) {
        let mut rest = line;
        while !rest.trim().is_empty() {
            // One sentence: up to a full stop, "!" or "?" followed by a space, or the line's end.
            let end = rest
                .char_indices()
                .find(|&(i, c)| {
                    matches!(c, '.' | '!' | '?') && rest[i + 1..].starts_with(char::is_whitespace)
                })
                .map_or(rest.len(), |(i, _)| i + 1);
            let sentence = rest[..end].trim();
            if !RULES.is_cruft_text(sentence) {
                kept.push(sentence);
            }
            rest = &rest[end..];
        }
    }
    crate::extract::collapse_whitespace(&kept.join(" "))
}

/// Lower case with surrounding whitespace and punctuation (`:-–—|•·[]()*`) trimmed and inner
/// whitespace collapsed, so "— ADVERTISEMENT —" and "Advertisement:" compare equal.
pub fn normalize_label(text: &str) -> String {
    let trimmed = text.trim_matches(|c: char| {
        c.is_whitespace()
            || matches!(
                c,
                ':' | '-'
                    | '–'
                    | '—'
                    | '|'
                    | '•'
                    | '·'
                    | '['
                    | ']'
                    | '('
                    | ')'
                    | '*'
                    | '>'
                    | '»'
                    | '«'
                    | '.'
            )
    });
    let mut out = String::with_capacity(trimmed.len());
    let mut space = false;
    for c in trimmed.chars() {
        if c.is_whitespace() {
            space = true;
        } else {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.extend(c.to_lowercase());
        }
    }
    // "Loading..." keeps its dots in the list; compare both spellings.
    out
}

#[cfg(test)]
mod tests;

//! Class and id tokens: splitting a `class`/`id` value into lower-case tokens and what each token
//! says (boilerplate, negating, article content, key points), from the token lists of
//! `rules/cruft.toml`. Owns the token vocabulary only; the weights an element gets from it are
//! `content`'s.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::LazyLock;

use super::tables::CRUFT;

/// What a class/id token says: bit 0 boilerplate, bit 1 negates boilerplate, bit 2 article
/// content, bit 3 key points, bit 4 a dek (summary line), bit 5 a hover card (hidden).
pub(crate) const TOKEN_BOILER: u8 = 1;
pub(crate) const TOKEN_NEGATE: u8 = 2;
pub(crate) const TOKEN_CONTENT: u8 = 4;
pub(crate) const TOKEN_BULLET: u8 = 8;
pub(crate) const TOKEN_DEK: u8 = 16;
pub(crate) const TOKEN_HIDDEN: u8 = 32;

/// FNV-1a: the token tables are looked up for every class and id token of every element, where
/// the default SipHash is most of the cost; the keys are our own word lists, so no flooding. Also
/// the paragraph hash of the repeat check.
pub(crate) struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = self.0;
        for &b in bytes {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

type FnvBuild = BuildHasherDefault<Fnv>;

static TOKEN_TABLE: LazyLock<HashMap<&'static str, u8, FnvBuild>> = LazyLock::new(|| {
    let mut m = HashMap::default();
    for (list, bit) in [
        (&CRUFT.boilerplate_tokens, TOKEN_BOILER),
        (&CRUFT.negating_tokens, TOKEN_NEGATE),
        (&CRUFT.content_tokens, TOKEN_CONTENT),
        (&CRUFT.bullet_tokens, TOKEN_BULLET),
        (&CRUFT.dek_tokens, TOKEN_DEK),
        (&CRUFT.hidden_tokens, TOKEN_HIDDEN),
    ] {
        for t in list {
            *m.entry(t.as_str()).or_insert(0) |= bit;
        }
    }
    m
});

/// The kind bits of one lower-case class/id token (0 when it says nothing).
pub(crate) fn token_kind(token: &str) -> u8 {
    TOKEN_TABLE.get(token).copied().unwrap_or(0)
}

/// Splits a class or id value into lower-case tokens on non-alphanumerics and camelCase
/// boundaries, calling `f` for each (`"relatedPosts ad-slot"` → related, posts, ad, slot).
pub(crate) fn for_each_token(value: &str, mut f: impl FnMut(&str)) {
    let mut buf = String::with_capacity(32);
    let mut prev_lower = false;
    for c in value.chars() {
        if c.is_alphanumeric() {
            if c.is_uppercase() && prev_lower && !buf.is_empty() {
                f(&buf);
                buf.clear();
            }
            prev_lower = c.is_lowercase() || c.is_ascii_digit();
            if c.is_ascii() {
                buf.push(c.to_ascii_lowercase());
            } else {
                buf.extend(c.to_lowercase());
            }
        } else {
            if !buf.is_empty() {
                f(&buf);
                buf.clear();
            }
            prev_lower = false;
        }
    }
    if !buf.is_empty() {
        f(&buf);
    }
}

static HIDDEN_CLASSES: LazyLock<HashSet<&'static str, FnvBuild>> =
    LazyLock::new(|| CRUFT.hidden_classes.iter().map(String::as_str).collect());

/// Whether a whole class name hides its element (`sr-only`, `visually-hidden`, `hidden`, ...).
pub(crate) fn is_hidden_class(class: &str) -> bool {
    if class.bytes().any(|b| b.is_ascii_uppercase()) {
        HIDDEN_CLASSES.contains(class.to_ascii_lowercase().as_str())
    } else {
        HIDDEN_CLASSES.contains(class)
    }
}

//! Class and id tokens: splitting a `class`/`id` value into lower-case tokens and what each token
//! says (boilerplate, negating, article content, key points), from the token lists of
//! `rules/cruft.toml`. Owns the token vocabulary only; the weights an element gets from it are
//! `content`'s.

use std::collections::HashMap;
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

/// A word list with a cheap first test. Most class names and tokens of a page are in no list, and
/// most of those differ from every listed word in their first byte or their length: such a word is
/// answered from a table of the listed words' shapes, without hashing it.
struct Vocabulary<V> {
    words: HashMap<&'static str, V, FnvBuild>,
    /// For each first byte, bit `n` set when a listed word of `n` bytes starts with it (only
    /// lengths below [`SHAPE_LENGTHS`]; longer words are always looked up).
    shapes: [u32; 256],
}

/// Word lengths the shape table of a [`Vocabulary`] records.
const SHAPE_LENGTHS: usize = 32;

impl<V> Vocabulary<V> {
    fn new(words: HashMap<&'static str, V, FnvBuild>) -> Self {
        let mut shapes = [0u32; 256];
        for w in words.keys() {
            if let Some(&first) = w.as_bytes().first()
                && w.len() < SHAPE_LENGTHS
            {
                shapes[usize::from(first)] |= 1 << w.len();
            }
        }
        Vocabulary { words, shapes }
    }

    /// Whether a listed word may have `first` byte and `len` bytes (false: certainly none has).
    fn may_hold(&self, first: u8, len: usize) -> bool {
        len >= SHAPE_LENGTHS || self.shapes[usize::from(first)] & (1 << len) != 0
    }

    fn get(&self, word: &str) -> Option<&V> {
        match word.as_bytes().first() {
            Some(&first) if !self.may_hold(first, word.len()) => None,
            _ => self.words.get(word),
        }
    }
}

static TOKEN_TABLE: LazyLock<Vocabulary<u8>> = LazyLock::new(|| {
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
    Vocabulary::new(m)
});

/// The kind bits of one lower-case class/id token (0 when it says nothing).
pub(crate) fn token_kind(token: &str) -> u8 {
    TOKEN_TABLE.get(token).copied().unwrap_or(0)
}

/// Splits a class or id value into lower-case tokens on non-alphanumerics and camelCase
/// boundaries, calling `f` for each (`"relatedPosts ad-slot"` → related, posts, ad, slot).
pub(crate) fn for_each_token(value: &str, f: impl FnMut(&str)) {
    if value.is_ascii() {
        for_each_ascii_token(value, f);
    } else {
        for_each_char_token(value, f);
    }
}

/// [`for_each_token`] for an ASCII value, byte by byte: a token without capitals is handed out
/// as a slice of the value, only one with capitals is copied to be lower-cased.
fn for_each_ascii_token(value: &str, mut f: impl FnMut(&str)) {
    let mut lower = String::new();
    let mut emit = |token: &str, capitals: bool| {
        if capitals {
            lower.clear();
            lower.push_str(token);
            lower.make_ascii_lowercase();
            f(&lower);
        } else {
            f(token);
        }
    };
    // The current token is `value[start..i]`; `capitals` says whether it holds any.
    let mut start = 0;
    let mut capitals = false;
    let mut prev_lower = false;
    for (i, &b) in value.as_bytes().iter().enumerate() {
        if !b.is_ascii_alphanumeric() {
            if i > start {
                emit(&value[start..i], capitals);
            }
            start = i + 1;
            capitals = false;
            prev_lower = false;
            continue;
        }
        if b.is_ascii_uppercase() {
            // A camelCase boundary: `relatedPosts` → related, posts.
            if prev_lower && i > start {
                emit(&value[start..i], capitals);
                start = i;
            }
            capitals = true;
        }
        prev_lower = b.is_ascii_lowercase() || b.is_ascii_digit();
    }
    if value.len() > start {
        emit(&value[start..], capitals);
    }
}

/// [`for_each_token`] for any value, char by char.
fn for_each_char_token(value: &str, mut f: impl FnMut(&str)) {
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

static HIDDEN_CLASSES: LazyLock<Vocabulary<()>> = LazyLock::new(|| {
    Vocabulary::new(
        CRUFT
            .hidden_classes
            .iter()
            .map(|c| (c.as_str(), ()))
            .collect(),
    )
});

/// Whether a whole class name hides its element (`sr-only`, `visually-hidden`, `hidden`, ...).
pub(crate) fn is_hidden_class(class: &str) -> bool {
    let Some(&first) = class.as_bytes().first() else {
        return HIDDEN_CLASSES.get(class).is_some();
    };
    // Lower-casing keeps the length, and the listed names are lower case.
    if !HIDDEN_CLASSES.may_hold(first.to_ascii_lowercase(), class.len()) {
        return false;
    }
    if class.bytes().any(|b| b.is_ascii_uppercase()) {
        HIDDEN_CLASSES
            .get(class.to_ascii_lowercase().as_str())
            .is_some()
    } else {
        HIDDEN_CLASSES.get(class).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tokens of `value` by the ASCII split (`ascii`) or the char split.
    fn tokens(ascii: bool, value: &str) -> Vec<String> {
        let mut out = Vec::new();
        let push = |t: &str| out.push(t.to_string());
        if ascii {
            for_each_ascii_token(value, push);
        } else {
            for_each_char_token(value, push);
        }
        out
    }

    #[test]
    fn the_ascii_split_is_the_char_split() {
        for value in [
            "relatedPosts ad-slot has_sidebar",
            "ID_MAIN xmlHTTPRequest a1B2c3D mainContent2Box",
            "  --lead--  ",
            "Ad",
            "aB",
            "AB cD Ef9G 9x 7Up",
            "",
            "-",
            "post-1234 entry__content wp-block-group",
        ] {
            assert_eq!(tokens(true, value), tokens(false, value), "{value:?}");
        }
        assert_eq!(
            tokens(true, "relatedPosts ad-SLOT"),
            ["related", "posts", "ad", "slot"]
        );
    }

    #[test]
    fn the_shape_test_answers_as_the_table() {
        let words: HashMap<&'static str, u8, FnvBuild> =
            [("ad", 1), ("sidebar", 2), ("", 3)].into_iter().collect();
        let long = "a".repeat(SHAPE_LENGTHS + 3);
        let vocabulary = Vocabulary::new(words.clone());
        for w in [
            "ad",
            "ab",
            "a",
            "sidebar",
            "sidebars",
            "",
            "bd",
            long.as_str(),
        ] {
            assert_eq!(vocabulary.get(w), words.get(w), "{w:?}");
        }
        assert!(is_hidden_class("sr-only") && is_hidden_class("SR-Only"));
        assert!(!is_hidden_class("sr-onl") && !is_hidden_class("") && !is_hidden_class("xr-only"));
    }
}

//! The rule data: `rules/cruft.toml` (block-level phrases, patterns and class/id tokens) and
//! `rules/phrases.toml` (bylines, update stamps, caption markers, sentence ends), compiled into the
//! binary and parsed once on first use. Owns the shape of the data and its validation; what a
//! rule means is decided by the modules that use it.

use std::sync::LazyLock;

use serde::Deserialize;

/// Block-level cruft rules (see `rules/cruft.toml` for what each list is).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CruftTables {
    pub(super) labels: Vec<String>,
    pub(super) block_patterns: Vec<String>,
    pub(super) short_patterns: Vec<String>,
    pub(super) box_heading_patterns: Vec<String>,
    pub(super) read_also_labels: Vec<String>,
    pub(super) caption_patterns: Vec<String>,
    pub(super) consent_patterns: Vec<String>,
    pub(super) bullet_headings: Vec<String>,
    pub(super) boilerplate_tokens: Vec<String>,
    pub(super) negating_tokens: Vec<String>,
    pub(super) content_tokens: Vec<String>,
    pub(super) bullet_tokens: Vec<String>,
    pub(super) dek_tokens: Vec<String>,
    pub(super) hidden_classes: Vec<String>,
    pub(super) hidden_tokens: Vec<String>,
}

/// Line-level phrase rules (see `rules/phrases.toml`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PhraseTables {
    pub(super) byline: BylinePhrases,
    pub(super) stamp: StampPhrases,
    pub(super) caption: CaptionPhrases,
    pub(super) sentence: SentencePhrases,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct BylinePhrases {
    pub(super) header_words: Vec<String>,
    pub(super) strip_prefixes: Vec<String>,
    pub(super) not_names: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StampPhrases {
    pub(super) update: Vec<String>,
    pub(super) not_lead: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CaptionPhrases {
    pub(super) marker: String,
    pub(super) photo_by: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SentencePhrases {
    /// One character each (checked by the tests).
    pub(super) ends: Vec<String>,
}

/// The block-level rules, parsed on first use. The file is part of the binary and covered by the
/// tests below; failing to parse it is a programming error.
pub(super) static CRUFT: LazyLock<CruftTables> = LazyLock::new(|| {
    toml::from_str(include_str!("../rules/cruft.toml")).expect("rules/cruft.toml is valid")
});

/// The line-level phrases, parsed on first use (see [`CRUFT`]).
pub(super) static PHRASES: LazyLock<PhraseTables> = LazyLock::new(|| {
    toml::from_str(include_str!("../rules/phrases.toml")).expect("rules/phrases.toml is valid")
});

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn check_list(name: &str, list: &[String], lower: bool) {
        assert!(!list.is_empty(), "{name} is empty");
        let mut seen = HashSet::new();
        for item in list {
            assert!(!item.trim().is_empty(), "{name}: blank entry");
            assert!(seen.insert(item), "{name}: {item:?} repeated");
            if lower {
                assert_eq!(
                    *item,
                    item.to_lowercase(),
                    "{name}: {item:?} is not lower case"
                );
            }
        }
    }

    fn check_patterns(name: &str, list: &[String]) {
        check_list(name, list, false);
        for p in list {
            assert!(
                regex::Regex::new(p).is_ok(),
                "{name}: {p:?} does not compile"
            );
        }
    }

    #[test]
    fn cruft_tables_are_valid() {
        let t = &*CRUFT;
        for (name, list) in [
            ("labels", &t.labels),
            ("read_also_labels", &t.read_also_labels),
            ("bullet_headings", &t.bullet_headings),
            ("boilerplate_tokens", &t.boilerplate_tokens),
            ("negating_tokens", &t.negating_tokens),
            ("content_tokens", &t.content_tokens),
            ("bullet_tokens", &t.bullet_tokens),
            ("dek_tokens", &t.dek_tokens),
            ("hidden_classes", &t.hidden_classes),
            ("hidden_tokens", &t.hidden_tokens),
        ] {
            check_list(name, list, true);
        }
        for (name, list) in [
            ("block_patterns", &t.block_patterns),
            ("short_patterns", &t.short_patterns),
            ("box_heading_patterns", &t.box_heading_patterns),
            ("caption_patterns", &t.caption_patterns),
            ("consent_patterns", &t.consent_patterns),
        ] {
            check_patterns(name, list);
        }
        // Tokens are compared with split class/id values: alphanumeric runs only.
        let token_lists = [&t.dek_tokens, &t.hidden_tokens, &t.bullet_tokens];
        for t in t
            .boilerplate_tokens
            .iter()
            .chain(&t.content_tokens)
            .chain(token_lists.into_iter().flatten())
        {
            assert!(t.chars().all(char::is_alphanumeric), "token {t:?}");
        }
    }

    #[test]
    fn phrase_tables_are_valid() {
        let p = &*PHRASES;
        for (name, list) in [
            ("byline.header_words", &p.byline.header_words),
            ("byline.strip_prefixes", &p.byline.strip_prefixes),
            ("byline.not_names", &p.byline.not_names),
            ("stamp.update", &p.stamp.update),
            ("stamp.not_lead", &p.stamp.not_lead),
        ] {
            check_list(name, list, true);
        }
        check_list("sentence.ends", &p.sentence.ends, false);
        for e in &p.sentence.ends {
            assert_eq!(
                e.chars().count(),
                1,
                "sentence.ends: {e:?} is not one character"
            );
        }
        check_patterns(
            "caption",
            &[p.caption.marker.clone(), p.caption.photo_by.clone()],
        );
    }
}

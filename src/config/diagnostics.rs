//! Configuration diagnostics: the error types ([`ConfigError`], [`ConfigErrors`]), the per-file
//! context that turns byte offsets into lines, the unknown-key walk with nearest-key hints, and
//! reading a serde struct's field names from its derive.
//!
//! Does not own the file formats or what values are valid (`file.rs`), nor loading (`mod.rs`).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer};
use toml::Spanned;

/// One configuration problem: where it is and what to do about it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}{}: {message}{}", file.display(), line.map(|l| format!(":{l}")).unwrap_or_default(), hint.as_ref().map(|h| format!(" (hint: {h})")).unwrap_or_default())]
pub struct ConfigError {
    pub file: PathBuf,
    /// 1-based line, when the problem has a place in the file.
    pub line: Option<usize>,
    pub message: String,
    pub hint: Option<String>,
}

/// Every error found in one pass over the configuration.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"))]
pub struct ConfigErrors(pub Vec<ConfigError>);

/// One file being parsed: its path (for errors) and text (for line numbers).
pub(super) struct FileCtx<'a> {
    pub(super) path: &'a Path,
    pub(super) text: &'a str,
}

impl FileCtx<'_> {
    fn line_of(&self, offset: usize) -> usize {
        let end = offset.min(self.text.len());
        self.text.as_bytes()[..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    }

    pub(super) fn error(
        &self,
        span: Option<std::ops::Range<usize>>,
        message: String,
        hint: Option<String>,
    ) -> ConfigError {
        ConfigError {
            file: self.path.to_path_buf(),
            line: span.map(|s| self.line_of(s.start)),
            message,
            hint,
        }
    }

    pub(super) fn toml_error(&self, e: &toml::de::Error) -> ConfigError {
        self.error(e.span(), e.message().trim().to_string(), None)
    }

    pub(super) fn syntax(&self) -> Result<Spanned<toml::de::DeTable<'_>>, ConfigErrors> {
        toml::de::DeTable::parse(self.text).map_err(|e| ConfigErrors(vec![self.toml_error(&e)]))
    }

    /// Reports every key of `table` that is not in `known`, recursing into the named sub-tables.
    pub(super) fn unknown_keys(
        &self,
        table: &toml::de::DeTable<'_>,
        known: &[&str],
        prefix: &str,
        nested: &[(&str, &[&str])],
        errors: &mut Vec<ConfigError>,
    ) {
        for (key, value) in table.iter() {
            let name = key.get_ref().as_ref();
            if !known.contains(&name) {
                let place = if prefix.is_empty() {
                    "at the top level".to_string()
                } else {
                    format!("in [{prefix}]")
                };
                let hint = nearest(name, known)
                    .map(|k| format!("did you mean `{k}`?"))
                    .or_else(|| Some(format!("valid keys: {}", known.join(", "))));
                errors.push(self.error(
                    Some(key.span()),
                    format!("unknown key `{name}` {place}"),
                    hint,
                ));
                continue;
            }
            if let Some((_, fields)) = nested.iter().find(|(k, _)| *k == name)
                && let toml::de::DeValue::Table(sub) = value.get_ref()
            {
                self.unknown_keys(sub, fields, name, &[], errors);
            }
        }
    }
}

/// The valid key closest to a misspelt one, if any is close enough to be a likely intent.
fn nearest<'a>(name: &str, known: &[&'a str]) -> Option<&'a str> {
    known
        .iter()
        .map(|k| (strsim::jaro_winkler(name, k), *k))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k)
}

/// The field names serde knows for a derived struct, read from the derive itself so that the
/// unknown-key check can never drift from what deserialization accepts.
pub(super) fn struct_fields<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    use serde::de::{Error as _, Visitor};

    struct Probe<'a>(&'a mut &'static [&'static str]);

    impl<'de> Deserializer<'de> for Probe<'_> {
        type Error = serde::de::value::Error;

        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(Self::Error::custom("probe"))
        }

        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _name: &'static str,
            fields: &'static [&'static str],
            _visitor: V,
        ) -> Result<V::Value, Self::Error> {
            *self.0 = fields;
            Err(Self::Error::custom("probe"))
        }

        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
            bytes byte_buf option unit unit_struct newtype_struct seq tuple
            tuple_struct map enum identifier ignored_any
        }
    }

    let mut fields: &'static [&'static str] = &[];
    let _ = T::deserialize(Probe(&mut fields));
    fields
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SiteRules;

    #[test]
    fn struct_fields_reads_the_derive() {
        assert_eq!(
            struct_fields::<SiteRules>(),
            &["body", "bullets", "remove", "title", "drop_text"]
        );
    }
}

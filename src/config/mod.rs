//! Configuration: `clearfeed.toml` (global settings) and `feeds/<id>.toml` (one feed each), plus
//! the site rules an extractor takes. Everything is validated at load; errors name file, line and key.
//!
//! Loading happens in three passes over each file, so that `clearfeed check` can report every
//! problem rather than the first one:
//! 1. TOML syntax (the parser's span gives the line);
//! 2. unknown keys, found by walking the spanned document against the field names of the serde
//!    structs themselves (no second hand-kept key list), with the nearest valid key as a hint;
//! 3. types and values (durations, URLs, cron lines, CSS selectors, regexes), each error pointing
//!    at the line of the offending value.
//!
//! A broken `clearfeed.toml` stops the program; a broken feed file disables only that feed.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Deserializer};

pub use crate::extract::SiteRules;
use crate::fetch::de_duration;
pub use crate::fetch::{DEFAULT_USER_AGENT, FetchConfig};
pub use crate::pipeline::{DEFAULT_SCHEDULE, FeedConfig, Settings};
use crate::schedule::parse_cron_line as parse_schedule;
pub use crate::source::{PageRules, SourceKind};
use toml::Spanned;

/// Global settings from `clearfeed.toml` plus the feeds found beside it.
///
/// Build one with [`AppConfig::load`]; in tests and tools, start from `AppConfig::default()` and
/// set what matters (`AppConfig { data_dir, feeds, ..Default::default() }`).
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// Where the database and `public/` live.
    pub data_dir: PathBuf,
    /// Address `serve` and `run` listen on.
    pub listen: SocketAddr,
    /// Public base URL the feeds are reachable at (for self links), e.g. `https://feeds.example.org`.
    pub base_url: Option<url::Url>,
    /// Feeds that loaded cleanly.
    pub feeds: Vec<FeedConfig>,
    /// Sent with every request.
    pub user_agent: String,
    /// HTTP client, politeness and address-guard settings (`[fetch]`).
    pub fetch: FetchConfig,
    /// Items kept (and published) per feed unless the feed says otherwise; older ones are pruned.
    pub max_items: usize,
    /// Items older than this (by first sight) are pruned; `None` keeps them until `max_items` does.
    pub retention: Option<Duration>,
    /// The directory feed files were read from.
    pub feeds_dir: PathBuf,
    /// The main configuration file, when one existed.
    pub config_file: Option<PathBuf>,
    /// Feed files that failed to load (their feeds are disabled); `check` prints these.
    pub feed_errors: Vec<ConfigError>,
}

impl Default for AppConfig {
    fn default() -> Self {
        AppConfig {
            data_dir: PathBuf::from("data"),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            base_url: None,
            feeds: Vec::new(),
            user_agent: DEFAULT_USER_AGENT.to_string(),
            fetch: FetchConfig::default(),
            max_items: 100,
            retention: None,
            feeds_dir: PathBuf::from("feeds"),
            config_file: None,
            feed_errors: Vec::new(),
        }
    }
}

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

impl AppConfig {
    /// Loads `config_path` (optional: a missing file means all defaults) and every `*.toml` in the
    /// feeds directory; `data_dir_override` (the `--data-dir` option) wins over the file. Errors in
    /// the main file are returned; errors in a feed file disable that feed, are logged, and are kept
    /// in `feed_errors`.
    pub fn load_from(
        config_path: &Path,
        data_dir_override: Option<PathBuf>,
    ) -> Result<AppConfig, ConfigErrors> {
        let base_dir = config_path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf();
        let mut config = AppConfig::default();
        let mut feeds_dir = base_dir.join("feeds");
        match std::fs::read_to_string(config_path) {
            Ok(text) => {
                config.config_file = Some(config_path.to_path_buf());
                let file = parse_global(config_path, &text)?;
                if let Some(dir) = file.data_dir {
                    config.data_dir = base_dir.join(dir);
                }
                if let Some(dir) = file.feeds_dir {
                    feeds_dir = base_dir.join(dir);
                }
                config.listen = file.listen.unwrap_or(config.listen);
                config.base_url = file.base_url;
                if let Some(ua) = file.user_agent {
                    config.user_agent = ua;
                }
                config.fetch = file.fetch;
                config.max_items = file.max_items.unwrap_or(config.max_items);
                config.retention = file.retention;
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                tracing::debug!(path = %config_path.display(), "no configuration file; using defaults");
            }
            Err(e) => {
                return Err(ConfigErrors(vec![ConfigError {
                    file: config_path.to_path_buf(),
                    line: None,
                    message: format!("cannot read: {e}"),
                    hint: None,
                }]));
            }
        }
        if let Some(dir) = data_dir_override {
            config.data_dir = dir;
        }
        config.feeds_dir = feeds_dir;
        let (feeds, errors) = load_feeds_dir(&config.feeds_dir);
        for err in &errors {
            tracing::warn!("feed disabled: {err}");
        }
        config.feeds = feeds;
        config.feed_errors = errors;
        Ok(config)
    }

    /// The settings every feed run shares, as the pipeline takes them.
    pub fn settings(&self) -> Settings {
        Settings {
            data_dir: self.data_dir.clone(),
            base_url: self.base_url.clone(),
            user_agent: self.user_agent.clone(),
            fetch: self.fetch.clone(),
            max_items: self.max_items,
            retention: self.retention,
            feeds: self.feeds.clone(),
        }
    }

    /// The directory published files are written to.
    pub fn public_dir(&self) -> PathBuf {
        self.settings().public_dir()
    }

    /// The SQLite database file.
    pub fn db_path(&self) -> PathBuf {
        self.settings().db_path()
    }
}

impl From<AppConfig> for Settings {
    fn from(c: AppConfig) -> Settings {
        c.settings()
    }
}

/// Reads every `*.toml` file in `dir` (sorted by name) as one feed. Files with other names, such as
/// `README.md` or `reference.toml.example`, are not feeds. A missing directory means no feeds.
pub fn load_feeds_dir(dir: &Path) -> (Vec<FeedConfig>, Vec<ConfigError>) {
    let mut paths: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "toml") && p.is_file())
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return (Vec::new(), Vec::new()),
        Err(e) => {
            return (
                Vec::new(),
                vec![ConfigError {
                    file: dir.to_path_buf(),
                    line: None,
                    message: format!("cannot read the feeds directory: {e}"),
                    hint: None,
                }],
            );
        }
    };
    paths.sort();
    let mut feeds = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        match std::fs::read_to_string(&path) {
            Ok(text) => match parse_feed(&path, &text) {
                Ok(feed) => feeds.push(feed),
                Err(mut errs) => errors.append(&mut errs.0),
            },
            Err(e) => errors.push(ConfigError {
                file: path.clone(),
                line: None,
                message: format!("cannot read: {e}"),
                hint: None,
            }),
        }
    }
    (feeds, errors)
}

/// What `check` prints, and how many errors it found.
pub fn check(config_path: &Path, data_dir: Option<PathBuf>) -> (String, usize) {
    let mut out = String::new();
    let errors = match AppConfig::load_from(config_path, data_dir) {
        Ok(config) => {
            if config.config_file.is_none() {
                out.push_str(&format!(
                    "{}: not found; using defaults\n",
                    config_path.display()
                ));
            }
            for feed in &config.feeds {
                out.push_str(&format!("ok  {} ({})\n", feed.id, feed.file.display()));
            }
            if config.feeds.is_empty() && config.feed_errors.is_empty() {
                out.push_str(&format!(
                    "no feed files (*.toml) in {}\n",
                    config.feeds_dir.display()
                ));
            }
            config.feed_errors
        }
        Err(errs) => errs.0,
    };
    for err in &errors {
        out.push_str(&format!("error  {err}\n"));
    }
    if !errors.is_empty() {
        out.push_str(&format!(
            "{} error{}\n",
            errors.len(),
            if errors.len() == 1 { "" } else { "s" }
        ));
    }
    (out, errors.len())
}

// ---------------------------------------------------------------------------------------------
// File formats

/// `clearfeed.toml` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct GlobalFile {
    data_dir: Option<PathBuf>,
    feeds_dir: Option<PathBuf>,
    listen: Option<SocketAddr>,
    #[serde(deserialize_with = "de_opt_url")]
    base_url: Option<url::Url>,
    user_agent: Option<String>,
    max_items: Option<usize>,
    #[serde(deserialize_with = "de_opt_duration")]
    retention: Option<Duration>,
    fetch: FetchConfig,
}

/// `feeds/<id>.toml` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FeedFile {
    title: Option<String>,
    schedule: Option<Spanned<String>>,
    #[serde(default)]
    allow_hosts: Vec<String>,
    max_items: Option<usize>,
    source: SourceSection,
    #[serde(default)]
    extract: Option<Spanned<SiteRules>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceSection {
    url: Spanned<String>,
    #[serde(default)]
    kind: SourceKindName,
    links: Option<Spanned<String>>,
    include: Option<Spanned<OneOrMany>>,
    exclude: Option<Spanned<OneOrMany>>,
}

#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "lowercase")]
enum SourceKindName {
    #[default]
    Feed,
    Page,
}

/// A string or a list of strings.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn items(&self) -> &[String] {
        match self {
            OneOrMany::One(s) => std::slice::from_ref(s),
            OneOrMany::Many(v) => v,
        }
    }
}

fn de_opt_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    de_duration(d).map(Some)
}

fn de_opt_url<'de, D: Deserializer<'de>>(d: D) -> Result<Option<url::Url>, D::Error> {
    let text = String::deserialize(d)?;
    url::Url::parse(&text)
        .map(Some)
        .map_err(|e| serde::de::Error::custom(format!("invalid URL {text:?}: {e}")))
}

// ---------------------------------------------------------------------------------------------
// Parsing with places

fn parse_global(path: &Path, text: &str) -> Result<GlobalFile, ConfigErrors> {
    let ctx = FileCtx { path, text };
    let doc = ctx.syntax()?;
    let mut errors = Vec::new();
    ctx.unknown_keys(
        doc.get_ref(),
        struct_fields::<GlobalFile>(),
        "",
        &[("fetch", struct_fields::<FetchConfig>())],
        &mut errors,
    );
    if !errors.is_empty() {
        return Err(ConfigErrors(errors));
    }
    toml::from_str::<GlobalFile>(text).map_err(|e| ConfigErrors(vec![ctx.toml_error(&e)]))
}

/// Parses and validates one feed file.
pub fn parse_feed(path: &Path, text: &str) -> Result<FeedConfig, ConfigErrors> {
    let ctx = FileCtx { path, text };
    let id = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut errors = Vec::new();
    if id.is_empty()
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        errors.push(ctx.error(
            None,
            format!("{id:?} is not a usable feed id (it names the published files and URLs)"),
            Some("rename the file to letters, digits, '-' and '_' only".into()),
        ));
    }
    let doc = ctx.syntax()?;
    ctx.unknown_keys(
        doc.get_ref(),
        struct_fields::<FeedFile>(),
        "",
        &[
            ("source", struct_fields::<SourceSection>()),
            ("extract", struct_fields::<SiteRules>()),
        ],
        &mut errors,
    );
    if !errors.is_empty() {
        return Err(ConfigErrors(errors));
    }
    let file: FeedFile =
        toml::from_str(text).map_err(|e| ConfigErrors(vec![ctx.toml_error(&e)]))?;

    let source_url = match url::Url::parse(file.source.url.get_ref()) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => Some(u),
        Ok(u) => {
            errors.push(ctx.error(
                Some(file.source.url.span()),
                format!("source url scheme {:?} is not fetched", u.scheme()),
                Some("use an http:// or https:// URL".into()),
            ));
            None
        }
        Err(e) => {
            errors.push(ctx.error(
                Some(file.source.url.span()),
                format!("invalid source url {:?}: {e}", file.source.url.get_ref()),
                Some("write an absolute URL such as \"https://example.org/rss.xml\"".into()),
            ));
            None
        }
    };
    let schedule = match &file.schedule {
        Some(s) => {
            if let Err(e) = parse_schedule(s.get_ref()) {
                errors.push(ctx.error(
                    Some(s.span()),
                    format!("invalid schedule {:?}: {e}", s.get_ref()),
                    Some("e.g. \"*/30 * * * *\" (every 30 minutes)".into()),
                ));
            }
            s.get_ref().clone()
        }
        None => DEFAULT_SCHEDULE.to_string(),
    };
    let mut compile = |pats: &Option<Spanned<OneOrMany>>, key: &str| -> Vec<regex::Regex> {
        let Some(pats) = pats else { return Vec::new() };
        pats.get_ref()
            .items()
            .iter()
            .filter_map(|p| match regex::Regex::new(p) {
                Ok(r) => Some(r),
                Err(e) => {
                    errors.push(ctx.error(
                        Some(pats.span()),
                        format!("invalid regular expression in source.{key}: {e}"),
                        None,
                    ));
                    None
                }
            })
            .collect()
    };
    let include = compile(&file.source.include, "include");
    let exclude = compile(&file.source.exclude, "exclude");
    let source = match file.source.kind {
        SourceKindName::Feed => {
            if let Some(links) = &file.source.links {
                errors.push(ctx.error(
                    Some(links.span()),
                    "`links` applies to listing pages only".into(),
                    Some("set kind = \"page\" or remove `links`".into()),
                ));
            }
            SourceKind::Feed
        }
        SourceKindName::Page => match &file.source.links {
            Some(links) => {
                if let Err(e) = scraper::Selector::parse(links.get_ref()) {
                    errors.push(ctx.error(
                        Some(links.span()),
                        format!("invalid CSS selector {:?}: {e}", links.get_ref()),
                        None,
                    ));
                }
                SourceKind::Page(PageRules {
                    links: links.get_ref().clone(),
                    include,
                    exclude,
                })
            }
            None => {
                errors.push(ctx.error(
                    Some(file.source.url.span()),
                    "a listing page source needs `links`, the CSS selector of its article links"
                        .into(),
                    Some("add e.g. links = \"article h2 a\" under [source]".into()),
                ));
                SourceKind::Feed
            }
        },
    };
    let extract = file
        .extract
        .map(|s| {
            let span = s.span();
            let rules = s.into_inner();
            if let Err(e) = crate::extract::Extractor::new(&rules) {
                errors.push(ctx.error(Some(span), format!("[extract]: {e}"), None));
            }
            rules
        })
        .unwrap_or_default();
    if !errors.is_empty() {
        return Err(ConfigErrors(errors));
    }
    Ok(FeedConfig {
        title: file.title.unwrap_or_else(|| id.clone()),
        id,
        schedule,
        source_url: source_url.expect("checked above"),
        extract,
        source,
        allow_hosts: file
            .allow_hosts
            .into_iter()
            .map(|h| h.to_ascii_lowercase())
            .collect(),
        max_items: file.max_items,
        file: path.to_path_buf(),
    })
}

struct FileCtx<'a> {
    path: &'a Path,
    text: &'a str,
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

    fn error(
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

    fn toml_error(&self, e: &toml::de::Error) -> ConfigError {
        self.error(e.span(), e.message().trim().to_string(), None)
    }

    fn syntax(&self) -> Result<Spanned<toml::de::DeTable<'_>>, ConfigErrors> {
        toml::de::DeTable::parse(self.text).map_err(|e| ConfigErrors(vec![self.toml_error(&e)]))
    }

    /// Reports every key of `table` that is not in `known`, recursing into the named sub-tables.
    fn unknown_keys(
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
fn struct_fields<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
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

    fn feed(text: &str) -> Result<FeedConfig, ConfigErrors> {
        parse_feed(Path::new("feeds/example.toml"), text)
    }

    #[test]
    fn minimal_feed_file_gets_defaults() {
        let f = feed("[source]\nurl = \"https://example.org/rss.xml\"\n").unwrap();
        assert_eq!(f.id, "example");
        assert_eq!(f.title, "example");
        assert_eq!(f.schedule, DEFAULT_SCHEDULE);
        assert!(matches!(f.source, SourceKind::Feed));
        assert!(parse_schedule(&f.schedule).is_ok());
    }

    #[test]
    fn five_and_six_field_schedules_are_accepted() {
        assert!(parse_schedule("*/15 * * * *").is_ok());
        assert!(parse_schedule("0 */15 * * * *").is_ok());
        assert!(parse_schedule("* *").is_err());
        assert!(parse_schedule("99 * * * *").is_err());
    }

    #[test]
    fn unknown_key_names_line_and_nearest_key() {
        let errs = feed("title = \"x\"\nshedule = \"* * * * *\"\n[source]\nurl = \"https://e.org/\"\nknd = \"feed\"\n")
            .unwrap_err()
            .0;
        assert_eq!(errs.len(), 2, "{errs:?}");
        assert_eq!(errs[0].line, Some(2));
        assert_eq!(errs[0].hint.as_deref(), Some("did you mean `schedule`?"));
        assert_eq!(errs[1].line, Some(5));
        assert_eq!(errs[1].hint.as_deref(), Some("did you mean `kind`?"));
        let shown = errs[0].to_string();
        assert!(
            shown.starts_with("feeds/example.toml:2: unknown key `shedule`"),
            "{shown}"
        );
    }

    #[test]
    fn unknown_extract_key_uses_site_rules_fields() {
        let errs = feed("[source]\nurl = \"https://e.org/\"\n[extract]\nbodyy = [\"main\"]\n")
            .unwrap_err()
            .0;
        assert_eq!(errs[0].line, Some(4));
        assert_eq!(errs[0].hint.as_deref(), Some("did you mean `body`?"));
    }

    #[test]
    fn bad_values_point_at_their_line() {
        let errs = feed(
            "schedule = \"every day\"\n[source]\nurl = \"ftp://e.org/\"\nkind = \"page\"\nlinks = \"a[\"\ninclude = \"(\"\n",
        )
        .unwrap_err()
        .0;
        let lines: Vec<_> = errs.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![Some(3), Some(1), Some(6), Some(5)], "{errs:#?}");
    }

    #[test]
    fn page_source_needs_links() {
        let errs = feed("[source]\nurl = \"https://e.org/\"\nkind = \"page\"\n")
            .unwrap_err()
            .0;
        assert!(errs[0].message.contains("needs `links`"), "{errs:?}");
        let ok = feed("[source]\nurl = \"https://e.org/\"\nkind = \"page\"\nlinks = \"h2 a\"\ninclude = [\"/news/\"]\n").unwrap();
        match ok.source {
            SourceKind::Page(p) => {
                assert_eq!(p.links, "h2 a");
                assert_eq!(p.include.len(), 1);
            }
            SourceKind::Feed => panic!("expected a page source"),
        }
    }

    #[test]
    fn global_file_durations_and_unknown_fetch_key() {
        let ok = parse_global(
            Path::new("clearfeed.toml"),
            "listen = \"0.0.0.0:9000\"\n[fetch]\nper_host_delay = \"250ms\"\nallow_private_networks = true\n",
        )
        .unwrap();
        assert_eq!(ok.fetch.per_host_delay, Duration::from_millis(250));
        assert!(ok.fetch.allow_private_networks);
        assert_eq!(ok.fetch.retries, FetchConfig::default().retries);

        let errs = parse_global(Path::new("clearfeed.toml"), "[fetch]\nconcurency = 3\n")
            .unwrap_err()
            .0;
        assert_eq!(errs[0].line, Some(2));
        assert_eq!(errs[0].hint.as_deref(), Some("did you mean `concurrency`?"));

        let errs = parse_global(
            Path::new("clearfeed.toml"),
            "\n[fetch]\ntimeout = \"soon\"\n",
        )
        .unwrap_err()
        .0;
        assert_eq!(errs[0].line, Some(3));
        assert!(errs[0].message.contains("invalid duration"), "{errs:?}");
    }

    #[test]
    fn syntax_error_has_a_line() {
        let errs = parse_global(Path::new("c.toml"), "a = 1\nb = = 2\n")
            .unwrap_err()
            .0;
        assert_eq!(errs[0].line, Some(2));
    }

    #[test]
    fn shipped_examples_load_cleanly() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let config = AppConfig::load_from(&root.join("clearfeed.toml.example"), None).unwrap();
        assert_eq!(
            config.fetch,
            FetchConfig::default(),
            "the example shows the defaults"
        );
        assert_eq!(config.max_items, AppConfig::default().max_items);
        assert!(config.feed_errors.is_empty(), "{:?}", config.feed_errors);
        let ids: Vec<_> = config.feeds.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(
            ids,
            vec!["apnews-world", "bbc-news", "guardian-world", "npr-news"],
            "only *.toml files are feeds"
        );
        let reference = root.join("feeds").join("reference.toml.example");
        let text = std::fs::read_to_string(&reference).unwrap();
        // Parsed under the name a copy would have.
        let as_feed = root.join("feeds").join("reference.toml");
        let feed = parse_feed(&as_feed, &text).unwrap();
        assert_eq!(feed.allow_hosts, vec!["news.intranet.example"]);
        assert!(!feed.extract.body.is_empty() && feed.extract.title.is_some());
        // Every key the reference file documents in comments also parses when uncommented.
        let uncommented = text
            .lines()
            .map(|l| {
                l.strip_prefix("# ")
                    .filter(|r| {
                        r.starts_with("links")
                            || r.starts_with("include")
                            || r.starts_with("exclude")
                    })
                    .unwrap_or(l)
            })
            .collect::<Vec<_>>()
            .join("\n")
            .replace("kind = \"feed\"", "kind = \"page\"");
        let page = parse_feed(&as_feed, &uncommented).unwrap();
        assert!(matches!(page.source, SourceKind::Page(_)));
    }

    #[test]
    fn struct_fields_reads_the_derive() {
        assert_eq!(
            struct_fields::<SiteRules>(),
            &["body", "bullets", "remove", "title", "drop_text"]
        );
    }
}

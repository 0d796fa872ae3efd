//! The configuration files as written: the serde formats of `clearfeed.toml` ([`GlobalFile`]) and
//! `feeds/<id>.toml` (`FeedFile` and its sections), and the parsers that turn one file's text into
//! settings, checking keys and values with places.
//!
//! Does not own the loaded configuration or the walk over the feeds directory (`mod.rs`), nor the
//! error types and the unknown-key machinery (`diagnostics.rs`).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Deserializer};
use toml::Spanned;

use super::diagnostics::{ConfigError, ConfigErrors, FileCtx, struct_fields};
use super::{
    DEFAULT_SCHEDULE, FeedConfig, FetchConfig, FetchMode, NativeAds, OnFailure, PageRules,
    SiteRules, SourceKind, UrlPatterns,
};
use crate::fetch::de_duration;
use crate::filter::{Filters, Pattern};
use crate::schedule::parse_cron_line as parse_schedule;

/// `clearfeed.toml` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct GlobalFile {
    pub(super) data_dir: Option<PathBuf>,
    pub(super) feeds_dir: Option<PathBuf>,
    pub(super) listen: Option<SocketAddr>,
    #[serde(deserialize_with = "de_opt_url")]
    pub(super) base_url: Option<url::Url>,
    pub(super) user_agent: Option<String>,
    pub(super) max_items: Option<usize>,
    #[serde(deserialize_with = "de_opt_duration")]
    pub(super) retention: Option<Duration>,
    pub(super) rules_dir: Option<PathBuf>,
    pub(super) ftr_rules_dir: Option<PathBuf>,
    pub(super) native_ads: Option<NativeAds>,
    pub(super) fetch: FetchConfig,
    /// A PostgreSQL database shared by several workers (`postgres://…`); SQLite when absent.
    #[serde(deserialize_with = "de_opt_database_url")]
    pub(super) database_url: Option<String>,
    /// How long a worker's claim on a feed lasts unless renewed (PostgreSQL only).
    #[serde(deserialize_with = "de_opt_duration")]
    pub(super) worker_lease: Option<Duration>,
    /// Publish to a bucket prefix (`s3://bucket/prefix`) instead of `data_dir/public`.
    #[serde(deserialize_with = "de_opt_s3")]
    pub(super) publish_to: Option<crate::publish::S3Location>,
    /// The endpoint of an S3-compatible server (`http://127.0.0.1:9000`) for `publish_to`.
    #[serde(deserialize_with = "de_opt_url")]
    pub(super) s3_endpoint: Option<url::Url>,
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
    summary_in_content: Option<bool>,
    language: Option<Spanned<String>>,
    #[serde(default, deserialize_with = "de_opt_duration")]
    run_timeout: Option<Duration>,
    #[serde(default)]
    on_failure: OnFailure,
    #[serde(default)]
    fetch: FetchMode,
    source: SourceSection,
    #[serde(default)]
    extract: Option<Spanned<SiteRules>>,
    #[serde(default)]
    filter: Option<FilterSection>,
}

/// `[filter]`: regular expressions per field; see [`crate::filter`].
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FilterSection {
    keep_title: Option<Spanned<OneOrMany>>,
    keep_url: Option<Spanned<OneOrMany>>,
    keep_author: Option<Spanned<OneOrMany>>,
    keep_category: Option<Spanned<OneOrMany>>,
    keep_text: Option<Spanned<OneOrMany>>,
    drop_title: Option<Spanned<OneOrMany>>,
    drop_url: Option<Spanned<OneOrMany>>,
    drop_author: Option<Spanned<OneOrMany>>,
    drop_category: Option<Spanned<OneOrMany>>,
    drop_text: Option<Spanned<OneOrMany>>,
    /// Patterns match regardless of case unless this is true (or a pattern says `(?-i)`).
    #[serde(default)]
    case_sensitive: bool,
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
    Sitemap,
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

fn de_opt_s3<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<crate::publish::S3Location>, D::Error> {
    let text = String::deserialize(d)?;
    crate::publish::S3Location::parse(&text, None)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

fn de_opt_database_url<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let text = String::deserialize(d)?;
    crate::store::Database::from_url(Some(&text), PathBuf::new())
        .map(|_| Some(text))
        .map_err(serde::de::Error::custom)
}

pub(super) fn parse_global(path: &Path, text: &str) -> Result<GlobalFile, ConfigErrors> {
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
    let mut errors = Vec::new();
    let id = feed_id(&ctx, &mut errors);
    let file = read_feed_file(&ctx, &mut errors)?;
    let source_url = check_source_url(&ctx, &file.source.url, &mut errors);
    let schedule = feed_schedule(&ctx, file.schedule.as_ref(), &mut errors);
    let include = compile_patterns(&ctx, &file.source.include, "include", &mut errors);
    let exclude = compile_patterns(&ctx, &file.source.exclude, "exclude", &mut errors);
    let source = source_kind(&ctx, &file.source, include, exclude, &mut errors);
    let extract = extract_rules(&ctx, file.extract, &mut errors);
    let filters = filters(&ctx, file.filter.unwrap_or_default(), &mut errors);
    let language = feed_language(&ctx, file.language.as_ref(), &mut errors);
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
        summary_in_content: file.summary_in_content.unwrap_or(true),
        filters,
        language,
        run_timeout: file.run_timeout,
        on_failure: file.on_failure,
        fetch: file.fetch,
        file: path.to_path_buf(),
    })
}

/// The feed id, from the file name; an unusable one is an error.
fn feed_id(ctx: &FileCtx<'_>, errors: &mut Vec<ConfigError>) -> String {
    let id = ctx
        .path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
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
    id
}

/// Syntax, then unknown keys, then types: the first pass that fails ends parsing, with every
/// error found so far (a syntax error alone, since nothing else can be checked without it).
fn read_feed_file(
    ctx: &FileCtx<'_>,
    errors: &mut Vec<ConfigError>,
) -> Result<FeedFile, ConfigErrors> {
    let doc = ctx.syntax()?;
    ctx.unknown_keys(
        doc.get_ref(),
        struct_fields::<FeedFile>(),
        "",
        &[
            ("source", struct_fields::<SourceSection>()),
            ("extract", struct_fields::<SiteRules>()),
            ("filter", struct_fields::<FilterSection>()),
        ],
        errors,
    );
    if !errors.is_empty() {
        return Err(ConfigErrors(std::mem::take(errors)));
    }
    toml::from_str(ctx.text).map_err(|e| ConfigErrors(vec![ctx.toml_error(&e)]))
}

/// The source URL, which must be absolute http(s).
fn check_source_url(
    ctx: &FileCtx<'_>,
    url: &Spanned<String>,
    errors: &mut Vec<ConfigError>,
) -> Option<url::Url> {
    match url::Url::parse(url.get_ref()) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => Some(u),
        Ok(u) => {
            errors.push(ctx.error(
                Some(url.span()),
                format!("source url scheme {:?} is not fetched", u.scheme()),
                Some("use an http:// or https:// URL".into()),
            ));
            None
        }
        Err(e) => {
            errors.push(ctx.error(
                Some(url.span()),
                format!("invalid source url {:?}: {e}", url.get_ref()),
                Some("write an absolute URL such as \"https://example.org/rss.xml\"".into()),
            ));
            None
        }
    }
}

/// The declared language: a language tag such as `en` or `pt-BR` (letters, then `-` and letters or
/// digits), as feeds carry it.
fn feed_language(
    ctx: &FileCtx<'_>,
    language: Option<&Spanned<String>>,
    errors: &mut Vec<ConfigError>,
) -> Option<String> {
    let lang = language?;
    let text = lang.get_ref().trim();
    let mut parts = text.split('-');
    let primary = parts.next().unwrap_or_default();
    let valid = (2..=3).contains(&primary.len())
        && primary.chars().all(|c| c.is_ascii_alphabetic())
        && parts
            .all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()));
    if !valid {
        errors.push(ctx.error(
            Some(lang.span()),
            format!("invalid language {:?}", lang.get_ref()),
            Some("use a language tag such as \"en\", \"de\" or \"pt-BR\"".into()),
        ));
        return None;
    }
    Some(text.to_string())
}

/// The cron schedule as written (checked), or the default.
fn feed_schedule(
    ctx: &FileCtx<'_>,
    schedule: Option<&Spanned<String>>,
    errors: &mut Vec<ConfigError>,
) -> String {
    match schedule {
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
    }
}

/// The regular expressions of `source.<key>`; each invalid one is an error.
fn compile_patterns(
    ctx: &FileCtx<'_>,
    pats: &Option<Spanned<OneOrMany>>,
    key: &str,
    errors: &mut Vec<ConfigError>,
) -> Vec<regex::Regex> {
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
}

/// A feed source, or a listing page with its link selector (`links` belongs to pages only).
fn source_kind(
    ctx: &FileCtx<'_>,
    section: &SourceSection,
    include: Vec<regex::Regex>,
    exclude: Vec<regex::Regex>,
    errors: &mut Vec<ConfigError>,
) -> SourceKind {
    if let (false, Some(links)) = (section.kind == SourceKindName::Page, &section.links) {
        errors.push(ctx.error(
            Some(links.span()),
            "`links` applies to listing pages only".into(),
            Some("set kind = \"page\" or remove `links`".into()),
        ));
    }
    match section.kind {
        SourceKindName::Feed => SourceKind::Feed,
        SourceKindName::Sitemap => SourceKind::Sitemap(UrlPatterns { include, exclude }),
        SourceKindName::Page => match &section.links {
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
                    Some(section.url.span()),
                    "a listing page source needs `links`, the CSS selector of its article links"
                        .into(),
                    Some("add e.g. links = \"article h2 a\" under [source]".into()),
                ));
                SourceKind::Feed
            }
        },
    }
}

/// The `[filter]` patterns, compiled (case-insensitive unless `case_sensitive`); each invalid one
/// is an error.
fn filters(ctx: &FileCtx<'_>, section: FilterSection, errors: &mut Vec<ConfigError>) -> Filters {
    use crate::filter::Field::*;
    let mut filters = Filters::default();
    let keys = [
        (&section.keep_title, Title, true),
        (&section.keep_url, Url, true),
        (&section.keep_author, Author, true),
        (&section.keep_category, Category, true),
        (&section.keep_text, Text, true),
        (&section.drop_title, Title, false),
        (&section.drop_url, Url, false),
        (&section.drop_author, Author, false),
        (&section.drop_category, Category, false),
        (&section.drop_text, Text, false),
    ];
    for (pats, field, keep) in keys {
        let Some(pats) = pats else { continue };
        let key = format!("{}_{}", if keep { "keep" } else { "drop" }, field.name());
        for p in pats.get_ref().items() {
            let built = regex::RegexBuilder::new(p)
                .case_insensitive(!section.case_sensitive)
                .build();
            match built {
                Ok(regex) => {
                    let list = if keep {
                        &mut filters.keep
                    } else {
                        &mut filters.drop
                    };
                    list.push(Pattern { field, regex });
                }
                Err(e) => errors.push(ctx.error(
                    Some(pats.span()),
                    format!("invalid regular expression in filter.{key}: {e}"),
                    None,
                )),
            }
        }
    }
    filters
}

/// The `[extract]` site rules, checked by building an extractor from them.
fn extract_rules(
    ctx: &FileCtx<'_>,
    extract: Option<Spanned<SiteRules>>,
    errors: &mut Vec<ConfigError>,
) -> SiteRules {
    extract
        .map(|s| {
            let span = s.span();
            let rules = s.into_inner();
            if let Err(e) = crate::extract::Extractor::new(&rules) {
                errors.push(ctx.error(Some(span), format!("[extract]: {e}"), None));
            }
            rules
        })
        .unwrap_or_default()
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
        assert!(f.summary_in_content);
    }

    #[test]
    fn summary_in_content_can_be_turned_off_and_is_type_checked() {
        let f = feed("summary_in_content = false\n[source]\nurl = \"https://e.org/\"\n").unwrap();
        assert!(!f.summary_in_content);
        let errs = feed("summary_in_content = \"no\"\n[source]\nurl = \"https://e.org/\"\n")
            .unwrap_err()
            .0;
        assert_eq!(errs[0].line, Some(1), "{errs:?}");
        let errs = feed("summary_in_contents = true\n[source]\nurl = \"https://e.org/\"\n")
            .unwrap_err()
            .0;
        assert_eq!(
            errs[0].hint.as_deref(),
            Some("did you mean `summary_in_content`?")
        );
    }

    #[test]
    fn language_is_a_checked_language_tag() {
        let f = feed("language = \"pt-BR\"\n[source]\nurl = \"https://e.org/\"\n").unwrap();
        assert_eq!(f.language.as_deref(), Some("pt-BR"));
        let f = feed("[source]\nurl = \"https://e.org/\"\n").unwrap();
        assert_eq!(f.language, None);
        for bad in ["english", "e", "en_GB", "", "en-"] {
            let text = format!("language = \"{bad}\"\n[source]\nurl = \"https://e.org/\"\n");
            let errs = feed(&text).unwrap_err().0;
            assert_eq!(errs[0].line, Some(1), "{bad}: {errs:?}");
            assert!(errs[0].to_string().contains("invalid language"), "{errs:?}");
        }
    }

    #[test]
    fn run_timeout_and_on_failure_are_read_and_checked() {
        let src = "[source]\nurl = \"https://e.org/\"\n";
        let f = feed(src).unwrap();
        assert_eq!((f.run_timeout, f.on_failure), (None, OnFailure::Teaser));
        let f = feed(&format!(
            "run_timeout = \"90s\"\non_failure = \"skip\"\n{src}"
        ))
        .unwrap();
        assert_eq!(f.run_timeout, Some(Duration::from_secs(90)));
        assert_eq!(f.on_failure, OnFailure::Skip);
        let errs = feed(&format!("on_failure = \"drop\"\n{src}"))
            .unwrap_err()
            .to_string();
        assert!(errs.contains("teaser") && errs.contains("skip"), "{errs}");
        let errs = feed(&format!("run_timeout = \"soon\"\n{src}"))
            .unwrap_err()
            .to_string();
        assert!(errs.contains("invalid duration"), "{errs}");
    }

    #[test]
    fn fetch_mode_defaults_to_auto_and_is_checked() {
        let src = "[source]\nurl = \"https://e.org/\"\n";
        assert_eq!(feed(src).unwrap().fetch, FetchMode::Auto);
        for (text, mode) in [("always", FetchMode::Always), ("never", FetchMode::Never)] {
            let f = feed(&format!("fetch = \"{text}\"\n{src}")).unwrap();
            assert_eq!(f.fetch, mode);
        }
        let errs = feed(&format!("fetch = \"sometimes\"\n{src}"))
            .unwrap_err()
            .to_string();
        assert!(errs.contains("auto") && errs.contains("never"), "{errs}");
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
            other => panic!("expected a page source, got {other:?}"),
        }
    }

    #[test]
    fn sitemap_source_takes_patterns_but_no_links() {
        let ok = feed(
            "[source]\nurl = \"https://e.org/\"\nkind = \"sitemap\"\nexclude = [\"/video/\"]\n",
        )
        .unwrap();
        match ok.source {
            SourceKind::Sitemap(p) => assert_eq!(p.exclude.len(), 1),
            other => panic!("expected a sitemap source, got {other:?}"),
        }
        let errs = feed("[source]\nurl = \"https://e.org/\"\nkind = \"sitemap\"\nlinks = \"a\"\n")
            .unwrap_err()
            .0;
        assert_eq!(errs[0].line, Some(4), "{errs:?}");
        assert!(errs[0].message.contains("listing pages only"), "{errs:?}");
    }

    #[test]
    fn filters_compile_case_insensitive_with_places_for_errors() {
        let f = feed(
            "[source]\nurl = \"https://e.org/\"\n[filter]\ndrop_title = [\"^sponsored\", \"advertorial\"]\nkeep_category = \"local\"\n",
        )
        .unwrap();
        assert_eq!(f.filters.drop.len(), 2);
        assert_eq!(f.filters.keep.len(), 1);
        assert!(f.filters.drop[0].regex.is_match("Sponsored: a boat"));
        let f = feed("[source]\nurl = \"https://e.org/\"\n[filter]\ncase_sensitive = true\ndrop_text = \"Paid\"\n")
            .unwrap();
        assert!(!f.filters.drop[0].regex.is_match("paid post"));
        let errs = feed(
            "[source]\nurl = \"https://e.org/\"\n[filter]\ndrop_titel = \"x\"\nkeep_url = \"(\"\n",
        )
        .unwrap_err()
        .0;
        assert_eq!(errs[0].line, Some(4), "{errs:?}");
        assert_eq!(errs[0].hint.as_deref(), Some("did you mean `drop_title`?"));
        let errs = feed("[source]\nurl = \"https://e.org/\"\n[filter]\nkeep_url = \"(\"\n")
            .unwrap_err()
            .0;
        assert_eq!(errs[0].line, Some(4), "{errs:?}");
        assert!(errs[0].message.contains("filter.keep_url"), "{errs:?}");
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
}

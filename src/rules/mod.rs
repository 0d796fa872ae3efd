//! Per-host site rules: the plain [`HostRules`] data type, and a [`RulesLibrary`] of them loaded
//! from rule directories. Owns the rule data and its two file formats; applying rules to pages
//! is the extractor's and fetcher's job, not this module's.
//!
//! # Sources
//! * clearfeed's own TOML files (`example.com.toml`, CSS selectors directly), see [`toml_rules`];
//! * ftr-site-config `.txt` files (XPath, translated to CSS at load time), see [`ftr`] and
//!   [`xpath`].
//!
//! A file's name is the host it covers: `example.com.toml` covers `example.com` and
//! `www.example.com`; a leading dot (`.example.com.txt`) covers every subdomain of
//! `example.com` (not `example.com` or `www.example.com` themselves).
//!
//! ```no_run
//! use clearfeed::rules::{RulesLibrary, stats_line};
//! use std::path::Path;
//! let (library, report) = RulesLibrary::load(Some(Path::new("rules")), None);
//! println!("{}", stats_line(&report));
//! for rules in library.for_host("www.example.com") {
//!     println!("{}: {:?}", rules.path.display(), rules.body);
//! }
//! ```

pub mod ftr;
mod library;
mod report;
pub mod toml_rules;
pub mod xpath;

use std::collections::BTreeMap;
use std::path::PathBuf;

pub use library::RulesLibrary;
pub use report::{DirectiveCount, Failure, LoadReport, Skipped, Tally, stats_line};

/// Which file format a [`HostRules`] came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Origin {
    /// clearfeed's own `.toml` rule file.
    Clearfeed,
    /// An ftr-site-config `.txt` file.
    Ftr,
}

/// A CSS selector, and the attribute to read from matched elements (`None`: their text).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RuleSelector {
    pub css: String,
    pub attr: Option<String>,
}

impl RuleSelector {
    /// A selector whose matches are read as text.
    pub fn css(css: impl Into<String>) -> Self {
        RuleSelector {
            css: css.into(),
            attr: None,
        }
    }
}

/// A literal find-and-replace applied to the page's HTML before extraction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replace {
    pub find: String,
    pub with: String,
}

/// A page known to be covered by the rules, and phrases its extracted text must contain.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TestUrl {
    pub url: String,
    pub contains: Vec<String>,
}

/// The rules for one host, as plain data. Every selector is CSS that `scraper` accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostRules {
    /// The host the file names, without its leading dot.
    pub host: String,
    /// The file name had a leading dot: the rules cover every subdomain of `host`.
    pub subdomains: bool,
    pub origin: Origin,
    /// The file the rules were read from.
    pub path: PathBuf,
    /// Article body; the first selector that matches wins.
    pub body: Vec<RuleSelector>,
    pub title: Vec<RuleSelector>,
    pub author: Vec<RuleSelector>,
    pub date: Vec<RuleSelector>,
    /// Elements removed before extraction.
    pub strip: Vec<String>,
    /// Images whose `src` contains one of these substrings are removed.
    pub strip_image_src: Vec<String>,
    /// Whether to prune non-content elements inside the body (`None`: the extractor decides).
    pub prune: Option<bool>,
    /// Literal replacements on the page's HTML, in order.
    pub replace: Vec<Replace>,
    /// Selectors whose presence marks a page as a native ad (sponsored content).
    pub native_ad_clues: Vec<String>,
    /// HTTP request headers for the host, names in lower case (user-agent, referer, cookie).
    pub headers: BTreeMap<String, String>,
    /// Link to a single-page version of a multi-page article.
    pub single_page_link: Vec<RuleSelector>,
    /// Link to the next page of a multi-page article.
    pub next_page_link: Vec<RuleSelector>,
    pub tests: Vec<TestUrl>,
    /// The site needs a login to show whole articles.
    pub requires_login: bool,
    /// Key-point selectors (lists or their items); clearfeed's own files only.
    pub bullets: Vec<String>,
    /// Regular expressions for paragraphs dropped as cruft; clearfeed's own files only.
    pub drop_text: Vec<String>,
    /// Known ftr directives that are recorded but not applied (`tidy`, `autodetect_on_failure`,
    /// `login_uri`, ...), as (directive, value) in file order.
    pub other: Vec<(String, String)>,
}

impl HostRules {
    /// Empty rules for `host`, read from `path`.
    pub fn new(host: impl Into<String>, subdomains: bool, origin: Origin, path: PathBuf) -> Self {
        HostRules {
            host: host.into(),
            subdomains,
            origin,
            path,
            body: Vec::new(),
            title: Vec::new(),
            author: Vec::new(),
            date: Vec::new(),
            strip: Vec::new(),
            strip_image_src: Vec::new(),
            prune: None,
            replace: Vec::new(),
            native_ad_clues: Vec::new(),
            headers: BTreeMap::new(),
            single_page_link: Vec::new(),
            next_page_link: Vec::new(),
            tests: Vec::new(),
            requires_login: false,
            bullets: Vec::new(),
            drop_text: Vec::new(),
            other: Vec::new(),
        }
    }

    /// Whether the rules hold anything an extractor or fetcher could use.
    pub fn is_empty(&self) -> bool {
        let HostRules {
            body,
            title,
            author,
            date,
            strip,
            strip_image_src,
            prune,
            replace,
            native_ad_clues,
            headers,
            single_page_link,
            next_page_link,
            tests,
            requires_login,
            bullets,
            drop_text,
            ..
        } = self;
        body.is_empty()
            && title.is_empty()
            && author.is_empty()
            && date.is_empty()
            && strip.is_empty()
            && strip_image_src.is_empty()
            && prune.is_none()
            && replace.is_empty()
            && native_ad_clues.is_empty()
            && headers.is_empty()
            && single_page_link.is_empty()
            && next_page_link.is_empty()
            && tests.is_empty()
            && !requires_login
            && bullets.is_empty()
            && drop_text.is_empty()
    }
}

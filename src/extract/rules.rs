//! The site rules an [`Extractor`](super::Extractor) takes: selectors and phrases as data, and the
//! one place where a feed's `[extract]` table and the rule files of an article's host become one
//! rule set ([`choose`]). Owns the types and that merge; reading rule files is `rules`' job,
//! compiling the result is the extractor's.

use std::path::PathBuf;

use serde::Deserialize;

use crate::rules::{HostRules, Replace, RuleSelector, RulesLibrary};

/// Site-specific extraction rules, as data. Given in a feed's `[extract]` table or a `--rules` file.
/// Every field is optional; rules that are given win over the generic algorithm.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SiteRules {
    /// CSS selectors for the article body; the first that matches is the body.
    pub body: Vec<String>,
    /// CSS selectors for the key points: either list containers (their `li` become bullets) or the items.
    pub bullets: Vec<String>,
    /// CSS selectors for elements removed before anything else.
    pub remove: Vec<String>,
    /// CSS selector for the headline.
    pub title: Option<String>,
    /// Regular expressions; a paragraph whose whole text matches one is dropped as cruft.
    pub drop_text: Vec<String>,
    /// What only rule files give (never a feed's table): see [`HostExtras`].
    #[serde(skip)]
    pub host: HostExtras,
}

/// The part of a rule set that comes from rule files (`rules_dir`, `ftr_rules_dir`) only.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HostExtras {
    /// Headline, author and date selectors (read as text, or from an attribute); the first
    /// that yields something wins over the document's own metadata.
    pub title: Vec<RuleSelector>,
    pub author: Vec<RuleSelector>,
    pub date: Vec<RuleSelector>,
    /// Literal replacements on the decoded HTML, in order, before it is parsed.
    pub replace: Vec<Replace>,
    /// Selectors whose presence marks the page as a native ad.
    pub native_ad_clues: Vec<String>,
    /// Link to the next page of a multi-page article.
    pub next_page: Vec<RuleSelector>,
    /// Link to a single-page version of the article.
    pub single_page: Vec<RuleSelector>,
    /// `Some(false)`: the rule's body is taken as it is, without removing boxes inside it.
    pub prune: Option<bool>,
    /// The body selectors come from rule files, not the feed's own table: a body they give
    /// that holds under a third of the text generic extraction finds is not taken (the rule
    /// counts as missed). A feed's own table is taken as it is.
    pub body_from_files: bool,
    /// The rules before any rule file was merged in (the feed's own table), when a file
    /// applies: what the article is extracted with when the files' rules find no article, or
    /// under a third of the text these find (a stale body rule, a removal that takes the story).
    pub without_files: Option<Box<SiteRules>>,
}

/// The rules one article gets, and what its host's rule files said beyond extraction.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Chosen {
    pub rules: SiteRules,
    /// Request headers for the article's host (lower-case names: user-agent, referer, cookie).
    pub headers: Vec<(String, String)>,
    /// The rule files applied, most specific first.
    pub files: Vec<PathBuf>,
    /// Rule files not applied because the site needs a login to show whole articles.
    pub login_skipped: Vec<PathBuf>,
}

impl Chosen {
    /// Whether any rule file applies.
    pub fn has_host_rules(&self) -> bool {
        !self.files.is_empty()
    }
}

/// The rules for an article at `url`: the feed's own `[extract]` table (`feed`) over the rule
/// files of the URL's host, most specific first. For selections (body, title, author, date,
/// bullets, page links, prune) the first source that gives one wins; removals, replacements,
/// cruft phrases and native-ad clues add up. Files marked `requires_login` are skipped (and
/// listed in [`Chosen::login_skipped`]).
pub fn choose(library: &RulesLibrary, feed: &SiteRules, url: Option<&url::Url>) -> Chosen {
    let mut chosen = Chosen {
        rules: feed.clone(),
        ..Chosen::default()
    };
    let Some(host) = url.and_then(url::Url::host_str) else {
        return chosen;
    };
    for file in library.for_host(host) {
        if file.requires_login {
            chosen.login_skipped.push(file.path.clone());
            continue;
        }
        if chosen.files.is_empty() {
            chosen.rules.host.without_files = Some(Box::new(feed.clone()));
        }
        chosen.files.push(file.path.clone());
        merge(&mut chosen, file);
    }
    chosen
}

fn merge(chosen: &mut Chosen, file: &HostRules) {
    let r = &mut chosen.rules;
    if r.body.is_empty() {
        // Elements only: a body is never read from an attribute.
        let body = file.body.iter().filter(|s| s.attr.is_none());
        r.body = body.map(|s| s.css.clone()).collect();
        r.host.body_from_files = !r.body.is_empty();
    }
    if r.bullets.is_empty() {
        r.bullets = file.bullets.clone();
    }
    add_new(&mut r.remove, file.strip.iter().cloned());
    add_new(
        &mut r.remove,
        file.strip_image_src.iter().map(|s| image_src_selector(s)),
    );
    add_new(&mut r.drop_text, file.drop_text.iter().cloned());
    let x = &mut r.host;
    if r.title.is_none() {
        first_given(&mut x.title, &file.title);
    }
    first_given(&mut x.author, &file.author);
    first_given(&mut x.date, &file.date);
    first_given(&mut x.next_page, &file.next_page_link);
    first_given(&mut x.single_page, &file.single_page_link);
    x.prune = x.prune.or(file.prune);
    add_new(&mut x.replace, file.replace.iter().cloned());
    add_new(&mut x.native_ad_clues, file.native_ad_clues.iter().cloned());
    for (name, value) in &file.headers {
        if !chosen.headers.iter().any(|(n, _)| n == name) {
            chosen.headers.push((name.clone(), value.clone()));
        }
    }
}

fn first_given<T: Clone>(into: &mut Vec<T>, from: &[T]) {
    if into.is_empty() {
        *into = from.to_vec();
    }
}

fn add_new<T: PartialEq>(into: &mut Vec<T>, from: impl Iterator<Item = T>) {
    for item in from {
        if !into.contains(&item) {
            into.push(item);
        }
    }
}

/// `strip_image_src: x` as CSS: images whose `src` contains `x`.
fn image_src_selector(part: &str) -> String {
    let escaped = part.replace('\\', "\\\\").replace('"', "\\\"");
    format!("img[src*=\"{escaped}\"]")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Origin;

    fn file(name: &str, edit: impl FnOnce(&mut HostRules)) -> HostRules {
        let mut r = HostRules::new("x", false, Origin::Ftr, PathBuf::from(name));
        edit(&mut r);
        r
    }

    #[test]
    fn feed_table_wins_and_removals_add_up() {
        let mut chosen = Chosen {
            rules: SiteRules {
                body: vec!["main.feed".into()],
                remove: vec![".ad".into()],
                ..SiteRules::default()
            },
            ..Chosen::default()
        };
        let near = file("near.txt", |r| {
            r.body = vec![RuleSelector::css("div.near")];
            r.strip = vec![".share".into(), ".ad".into()];
            r.strip_image_src = vec!["pixel\"gif".into()];
            r.author = vec![RuleSelector::css(".by")];
            r.headers.insert("referer".into(), "https://near/".into());
        });
        let far = file("far.txt", |r| {
            r.author = vec![RuleSelector::css(".far-by")];
            r.strip = vec![".promo".into()];
            r.headers.insert("referer".into(), "https://far/".into());
            r.headers.insert("cookie".into(), "a=1".into());
        });
        merge(&mut chosen, &near);
        merge(&mut chosen, &far);
        let r = &chosen.rules;
        assert_eq!(r.body, vec!["main.feed"]);
        assert_eq!(
            r.remove,
            vec![".ad", ".share", "img[src*=\"pixel\\\"gif\"]", ".promo"]
        );
        assert!(scraper::Selector::parse(&r.remove[2]).is_ok());
        assert_eq!(r.host.author, vec![RuleSelector::css(".by")]);
        assert_eq!(
            chosen.headers,
            vec![
                ("referer".to_string(), "https://near/".to_string()),
                ("cookie".to_string(), "a=1".to_string())
            ]
        );
    }
}

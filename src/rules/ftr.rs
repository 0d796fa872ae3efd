//! Parser for ftr-site-config `.txt` rule files (the Full-Text RSS / Instapaper site pattern
//! format) into [`HostRules`]. Owns the line syntax and what each directive becomes.
//!
//! # Syntax
//! One `directive: value` per line; `#` starts a comment line; blank lines are ignored.
//! `directive(arg): value` carries an argument: `http_header(user-agent): ...` and
//! `replace_string(find): replacement`. The argument runs to the first `):`, so it may hold
//! colons (`replace_string(http://a): https://a`).
//!
//! # Directives
//! * XPath-valued, translated to CSS with [`xpath::translate`]: `body`, `title`, `author`,
//!   `date`, `strip`, `native_ad_clue`, `single_page_link`, `next_page_link`. An untranslatable
//!   expression is skipped and counted; the rest of the file is kept.
//! * `strip_id_or_class: x` removes elements whose class or id contains `x`:
//!   `[class*="x"], [id*="x"]`. `strip_image_src: s` is kept as a substring.
//! * `prune`, `requires_login`: `yes` or `no`.
//! * `find_string: a` then `replace_string: b` pair up in order; `replace_string(a): b` is a
//!   pair by itself. An empty replacement deletes.
//! * `http_header(user-agent|referer|cookie): v`; other headers are skipped.
//! * `test_url: u`, then any number of `test_contains: phrase` for that URL.
//! * Known directives that clearfeed does not apply (`tidy`, `autodetect_on_failure`,
//!   `login_uri`, `wrap_in(...)`, ...) are recorded in [`HostRules::other`] and counted.
//! * Anything else is counted as unknown, per name; never an error.

use std::path::Path;

use super::report::{Skipped, Tally};
use super::xpath::{self, css_string};
use super::{HostRules, Origin, Replace, RuleSelector, TestUrl};

/// The directives whose values are XPath expressions.
pub const XPATH_DIRECTIVES: &[&str] = &[
    "body",
    "title",
    "author",
    "date",
    "strip",
    "native_ad_clue",
    "single_page_link",
    "next_page_link",
];

/// Known directives that are recorded in [`HostRules::other`] but not applied.
const RECORDED: &[&str] = &[
    "tidy",
    "autodetect_on_failure",
    "autodetect_next_page",
    "parser",
    "login_uri",
    "login_username_field",
    "login_password_field",
    "login_extra_fields",
    "not_logged_in_xpath",
    "strip_attr",
    "post_strip_attr",
    "wrap_in",
    "move_into",
    "dissolve",
    "insert_detected_image",
    "convert_double_br_tags",
    "skip_json_ld",
    "footnotes",
    "if_page_contains",
    "strip_comments",
    "skip_id_or_class",
    "src_lazy_load_attr",
    "single_page_link_in_feed",
    "fingerprint",
];

/// Headers an `http_header(name)` directive may set.
const HEADERS: &[&str] = &["user-agent", "referer", "cookie"];

/// One ftr file, parsed.
#[derive(Debug, Clone)]
pub struct FtrFile {
    /// The rules; `host` and `subdomains` are left for the caller, who knows the file name.
    pub rules: HostRules,
    pub tally: Tally,
}

/// One meaningful line: `directive(arg): value`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Line<'a> {
    number: usize,
    directive: &'a str,
    arg: Option<&'a str>,
    value: &'a str,
}

/// Splits a line into directive, argument and value; `None` for blank and comment lines.
/// `Err` holds the line's text when it has no `directive:` form.
fn split_line(number: usize, raw: &str) -> Option<Result<Line<'_>, &str>> {
    let line = raw.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let name_len = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(line.len());
    let (directive, rest) = line.split_at(name_len);
    let rest = rest.trim_start();
    if directive.is_empty() {
        return Some(Err(line));
    }
    let (arg, value) = if let Some(after) = rest.strip_prefix('(') {
        match after.find("):") {
            Some(end) => (Some(&after[..end]), &after[end + 2..]),
            None => return Some(Err(line)),
        }
    } else if let Some(value) = rest.strip_prefix(':') {
        (None, value)
    } else {
        return Some(Err(line));
    };
    Some(Ok(Line {
        number,
        directive,
        arg,
        value: value.trim(),
    }))
}

/// Parses an ftr-site-config file. Never fails: what cannot be used is counted in the tally.
pub fn parse(text: &str, file: &Path) -> FtrFile {
    let mut p = FileParser {
        file,
        rules: HostRules::new("", false, Origin::Ftr, file.to_path_buf()),
        tally: Tally::default(),
        finds: Vec::new(),
    };
    for (i, raw) in text.lines().enumerate() {
        match split_line(i + 1, raw) {
            None => {}
            Some(Ok(line)) => p.directive(&line),
            Some(Err(_)) => {
                *p.tally
                    .unknown
                    .entry("(not a directive line)".into())
                    .or_default() += 1
            }
        }
    }
    for (line, find) in std::mem::take(&mut p.finds) {
        p.skip_raw(
            line,
            "find_string",
            &find,
            "find_string without a replace_string",
        );
    }
    FtrFile {
        rules: p.rules,
        tally: p.tally,
    }
}

struct FileParser<'f> {
    file: &'f Path,
    rules: HostRules,
    tally: Tally,
    /// `find_string` values waiting for their `replace_string`, with line numbers.
    finds: Vec<(usize, String)>,
}

impl FileParser<'_> {
    fn skip(&mut self, line: &Line<'_>, reason: impl Into<String>) {
        self.skip_raw(line.number, line.directive, line.value, reason);
    }

    fn skip_raw(&mut self, line: usize, directive: &str, value: &str, reason: impl Into<String>) {
        self.tally.skip(Skipped {
            file: self.file.to_path_buf(),
            line,
            directive: directive.to_string(),
            value: value.to_string(),
            reason: reason.into(),
        });
    }

    fn directive(&mut self, line: &Line<'_>) {
        let d = line.directive;
        if line.value.is_empty() && d != "replace_string" {
            if XPATH_DIRECTIVES.contains(&d) || d == "strip_id_or_class" {
                self.skip(line, "empty value");
            }
            return;
        }
        match d {
            _ if XPATH_DIRECTIVES.contains(&d) => self.expression(line),
            "strip_id_or_class" => self.strip_id_or_class(line),
            "strip_image_src" => {
                self.rules.strip_image_src.push(line.value.to_string());
                self.tally.honoured(d);
            }
            "prune" => self.flag(line, |r, v| r.prune = Some(v)),
            "requires_login" => self.flag(line, |r, v| r.requires_login = v),
            "find_string" => self.finds.push((line.number, line.value.to_string())),
            "replace_string" => self.replace(line),
            "http_header" => self.header(line),
            "test_url" => {
                self.rules.tests.push(TestUrl {
                    url: line.value.to_string(),
                    contains: Vec::new(),
                });
                self.tally.honoured(d);
            }
            "test_contains" => match self.rules.tests.last_mut() {
                Some(t) => {
                    t.contains.push(line.value.to_string());
                    self.tally.honoured(d);
                }
                None => self.skip(line, "test_contains before any test_url"),
            },
            _ if RECORDED.contains(&d) => {
                let name = match line.arg {
                    Some(a) => format!("{d}({a})"),
                    None => d.to_string(),
                };
                self.rules.other.push((name, line.value.to_string()));
                *self.tally.recorded.entry(d.to_string()).or_default() += 1;
            }
            _ => *self.tally.unknown.entry(d.to_string()).or_default() += 1,
        }
    }

    fn expression(&mut self, line: &Line<'_>) {
        if line.arg.is_some() {
            return self.skip(line, "argument on a directive that takes none");
        }
        let t = match xpath::translate(line.value) {
            Ok(t) => t,
            Err(e) => return self.skip(line, e.reason),
        };
        let r = &mut self.rules;
        let list: &mut Vec<String> = match line.directive {
            "strip" | "native_ad_clue" if t.attr.is_some() => {
                return self.skip(line, "selects an attribute, not elements");
            }
            "strip" => &mut r.strip,
            "native_ad_clue" => &mut r.native_ad_clues,
            other => {
                let sel = RuleSelector {
                    css: t.css,
                    attr: t.attr,
                };
                match other {
                    "body" => r.body.push(sel),
                    "title" => r.title.push(sel),
                    "author" => r.author.push(sel),
                    "date" => r.date.push(sel),
                    "single_page_link" => r.single_page_link.push(sel),
                    _ => r.next_page_link.push(sel),
                }
                return self.tally.honoured(line.directive);
            }
        };
        list.push(t.css);
        self.tally.honoured(line.directive);
    }

    fn strip_id_or_class(&mut self, line: &Line<'_>) {
        // As Full-Text RSS does: quotes are dropped, then a substring match on class or id.
        let needle: String = line
            .value
            .chars()
            .filter(|c| !matches!(c, '\'' | '"'))
            .collect();
        let needle = needle.trim();
        if needle.is_empty() {
            return self.skip(line, "empty value");
        }
        let q = css_string(needle);
        self.rules.strip.push(format!("[class*={q}], [id*={q}]"));
        self.tally.honoured(line.directive);
    }

    fn flag(&mut self, line: &Line<'_>, set: impl FnOnce(&mut HostRules, bool)) {
        match line.value.to_ascii_lowercase().as_str() {
            "yes" | "true" | "1" => set(&mut self.rules, true),
            "no" | "false" | "0" => set(&mut self.rules, false),
            _ => return self.skip(line, "expects yes or no"),
        }
        self.tally.honoured(line.directive);
    }

    fn replace(&mut self, line: &Line<'_>) {
        let find = match line.arg {
            Some("") => return self.skip(line, "empty find string"),
            Some(a) => a.to_string(),
            None if self.finds.is_empty() => {
                return self.skip(line, "replace_string without a find_string");
            }
            None => {
                let (_, f) = self.finds.remove(0);
                self.tally.honoured("find_string");
                f
            }
        };
        self.rules.replace.push(Replace {
            find,
            with: line.value.to_string(),
        });
        self.tally.honoured(line.directive);
    }

    fn header(&mut self, line: &Line<'_>) {
        let Some(name) = line.arg.map(|a| a.trim().to_ascii_lowercase()) else {
            return self.skip(line, "http_header without a header name");
        };
        if !HEADERS.contains(&name.as_str()) {
            return self.skip(line, "header other than user-agent, referer or cookie");
        }
        self.rules.headers.insert(name, line.value.to_string());
        self.tally.honoured(line.directive);
    }
}

#[cfg(test)]
mod tests;

//! What loading rule files found: per-file tallies, the library-wide [`LoadReport`], and the
//! one-line summary [`stats_line`]. Owns counting and its presentation only.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use super::ftr::XPATH_DIRECTIVES;

/// How many values of one directive were honoured (kept as rules) or skipped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DirectiveCount {
    pub honoured: usize,
    pub skipped: usize,
}

impl DirectiveCount {
    fn add(&mut self, other: DirectiveCount) {
        self.honoured += other.honoured;
        self.skipped += other.skipped;
    }
}

/// One skipped directive value (an untranslatable XPath expression, a bad yes/no, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub file: PathBuf,
    /// 1-based line number in the file.
    pub line: usize,
    pub directive: String,
    pub value: String,
    /// A short, stable phrase; skips are grouped by it.
    pub reason: String,
}

/// What parsing one file counted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Honoured and skipped values per known, applied directive.
    pub directives: BTreeMap<String, DirectiveCount>,
    /// Known directives that are recorded but not applied (`tidy`, `login_uri`, ...).
    pub recorded: BTreeMap<String, usize>,
    /// Directives this parser does not know, with how often each occurred.
    pub unknown: BTreeMap<String, usize>,
    pub skipped: Vec<Skipped>,
}

impl Tally {
    pub(crate) fn honoured(&mut self, directive: &str) {
        self.entry(directive).honoured += 1;
    }

    pub(crate) fn skip(&mut self, s: Skipped) {
        self.entry(&s.directive).skipped += 1;
        self.skipped.push(s);
    }

    fn entry(&mut self, directive: &str) -> &mut DirectiveCount {
        self.directives.entry(directive.to_string()).or_default()
    }

    /// Adds another tally's counts to this one.
    pub fn merge(&mut self, other: Tally) {
        for (k, v) in other.directives {
            self.entry(&k).add(v);
        }
        for (k, v) in other.recorded {
            *self.recorded.entry(k).or_default() += v;
        }
        for (k, v) in other.unknown {
            *self.unknown.entry(k).or_default() += v;
        }
        self.skipped.extend(other.skipped);
    }
}

/// A rule file that could not be used at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub file: PathBuf,
    pub reason: String,
}

/// What [`RulesLibrary::load`](super::RulesLibrary::load) found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadReport {
    /// Rule files seen (`.toml` and `.txt`).
    pub files: usize,
    /// Files that became a [`HostRules`](super::HostRules).
    pub loaded: usize,
    pub failed: Vec<Failure>,
    /// Counts summed over all loaded files.
    pub tally: Tally,
}

impl LoadReport {
    /// Honoured and skipped values summed over the XPath-valued ftr directives (body, title,
    /// author, date, strip, native_ad_clue, single_page_link, next_page_link).
    pub fn expressions(&self) -> DirectiveCount {
        let mut sum = DirectiveCount::default();
        for d in XPATH_DIRECTIVES {
            if let Some(c) = self.tally.directives.get(*d) {
                sum.add(*c);
            }
        }
        sum
    }

    /// Skipped values grouped by reason, most frequent first.
    pub fn skip_reasons(&self) -> Vec<(String, usize)> {
        let mut by: BTreeMap<&str, usize> = BTreeMap::new();
        for s in &self.tally.skipped {
            *by.entry(s.reason.as_str()).or_default() += 1;
        }
        let mut v: Vec<(String, usize)> = by.into_iter().map(|(k, n)| (k.to_string(), n)).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v
    }
}

fn percent(c: DirectiveCount) -> String {
    let total = c.honoured + c.skipped;
    if total == 0 {
        return "100".into();
    }
    let p = c.honoured as f64 * 100.0 / total as f64;
    let s = format!("{p:.1}");
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

/// `rules: files=N loaded=N body_honoured=P% expressions_honoured=P%`, then one line per
/// directive (`  body honoured=N skipped=N`), recorded-only and unknown directives, and the
/// reasons expressions were skipped.
pub fn stats_line(report: &LoadReport) -> String {
    let body = report
        .tally
        .directives
        .get("body")
        .copied()
        .unwrap_or_default();
    let mut out = format!(
        "rules: files={} loaded={} body_honoured={}% expressions_honoured={}%",
        report.files,
        report.loaded,
        percent(body),
        percent(report.expressions()),
    );
    let width = report
        .tally
        .directives
        .keys()
        .chain(report.tally.recorded.keys())
        .chain(report.tally.unknown.keys())
        .map(String::len)
        .max()
        .unwrap_or(0);
    for (name, c) in &report.tally.directives {
        let _ = write!(
            out,
            "\n  {name:<width$} honoured={:<5} skipped={}",
            c.honoured, c.skipped
        );
    }
    for (name, n) in &report.tally.recorded {
        let _ = write!(out, "\n  {name:<width$} recorded={n}");
    }
    for (name, n) in &report.tally.unknown {
        let _ = write!(out, "\n  {name:<width$} unknown={n}");
    }
    for (reason, n) in report.skip_reasons() {
        let _ = write!(out, "\n  skipped {n:>5}: {reason}");
    }
    if !report.failed.is_empty() {
        let _ = write!(out, "\n  failed files: {}", report.failed.len());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_line_first_line_is_exact() {
        let mut r = LoadReport {
            files: 3,
            loaded: 2,
            ..Default::default()
        };
        r.tally.directives.insert(
            "body".into(),
            DirectiveCount {
                honoured: 3,
                skipped: 1,
            },
        );
        r.tally.directives.insert(
            "strip".into(),
            DirectiveCount {
                honoured: 6,
                skipped: 0,
            },
        );
        r.tally.directives.insert(
            "prune".into(),
            DirectiveCount {
                honoured: 9,
                skipped: 9,
            },
        );
        let s = stats_line(&r);
        let first = s.lines().next().unwrap();
        assert_eq!(
            first,
            "rules: files=3 loaded=2 body_honoured=75% expressions_honoured=90%"
        );
        assert!(s.contains("\n  prune honoured=9     skipped=9"), "{s}");
    }

    #[test]
    fn nothing_counted_is_full_marks() {
        let s = stats_line(&LoadReport::default());
        assert_eq!(
            s,
            "rules: files=0 loaded=0 body_honoured=100% expressions_honoured=100%"
        );
    }
}

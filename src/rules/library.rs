//! [`RulesLibrary`]: every rule file of one or two directories, indexed by host. Owns loading
//! (which files, how they are named, what counts as a failure) and host lookup.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use super::report::{Failure, LoadReport};
use super::{HostRules, ftr, toml_rules};

/// Site rules by host. Built once by [`RulesLibrary::load`]; lookups borrow from it.
#[derive(Debug, Clone, Default)]
pub struct RulesLibrary {
    /// Files named `host.ext`, by host; clearfeed's own rules before ftr's.
    exact: HashMap<String, Vec<HostRules>>,
    /// Files named `.host.ext` (every subdomain of host), by host.
    subdomains: HashMap<String, Vec<HostRules>>,
}

/// The kind of a rule file, from its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Toml,
    Ftr,
}

impl RulesLibrary {
    /// Loads every `.toml` (clearfeed) and `.txt` (ftr-site-config) file of `rules_dir` and then
    /// of `ftr_dir`; other files are ignored. Never fails: unreadable directories and files,
    /// and files that yield no usable rule, are listed in the report's `failed`.
    pub fn load(rules_dir: Option<&Path>, ftr_dir: Option<&Path>) -> (RulesLibrary, LoadReport) {
        let mut lib = RulesLibrary::default();
        let mut report = LoadReport::default();
        for dir in [rules_dir, ftr_dir].into_iter().flatten() {
            lib.load_dir(dir, &mut report);
        }
        for list in lib.exact.values_mut().chain(lib.subdomains.values_mut()) {
            // Stable: within one origin, the first directory's file stays first.
            list.sort_by_key(|r| r.origin);
        }
        (lib, report)
    }

    fn load_dir(&mut self, dir: &Path, report: &mut LoadReport) {
        let entries = match fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) => {
                report.failed.push(Failure {
                    file: dir.to_path_buf(),
                    reason: format!("cannot read the directory: {e}"),
                });
                return;
            }
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| kind_of(p).is_some() && p.is_file())
            .collect();
        files.sort();
        for path in files {
            report.files += 1;
            match self.load_file(&path, report) {
                Ok(()) => report.loaded += 1,
                Err(reason) => report.failed.push(Failure { file: path, reason }),
            }
        }
    }

    fn load_file(&mut self, path: &Path, report: &mut LoadReport) -> Result<(), String> {
        let kind = kind_of(path).ok_or("not a rule file")?;
        let (host, subdomains) = host_of(path).ok_or("the file name is not a host name")?;
        let bytes = fs::read(path).map_err(|e| format!("cannot read: {e}"))?;
        let mut rules = match kind {
            Kind::Toml => {
                let text = String::from_utf8(bytes).map_err(|_| "not UTF-8".to_string())?;
                toml_rules::parse(&text, path).map_err(|e| e.to_string())?
            }
            Kind::Ftr => {
                let parsed = ftr::parse(&String::from_utf8_lossy(&bytes), path);
                report.tally.merge(parsed.tally);
                if parsed.rules.is_empty() {
                    return Err("no usable directive".into());
                }
                parsed.rules
            }
        };
        rules.host = host.clone();
        rules.subdomains = subdomains;
        let map = if subdomains {
            &mut self.subdomains
        } else {
            &mut self.exact
        };
        map.entry(host).or_default().push(rules);
        Ok(())
    }

    /// The rules that apply to `host`, most specific first: files named for the exact host,
    /// then for the host without `www.`, then dotted files (`.example.com`) of each parent
    /// domain, nearest first. For the same name, clearfeed's TOML comes before ftr's file.
    pub fn for_host(&self, host: &str) -> Vec<&HostRules> {
        let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
        let mut out = Vec::new();
        out.extend(self.exact.get(host.as_str()).into_iter().flatten());
        let base = host.strip_prefix("www.").unwrap_or(&host);
        if base.len() != host.len() {
            out.extend(self.exact.get(base).into_iter().flatten());
        }
        let mut rest = base;
        while let Some(dot) = rest.find('.') {
            rest = &rest[dot + 1..];
            out.extend(self.subdomains.get(rest).into_iter().flatten());
        }
        out
    }

    /// Every rule file's rules, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &HostRules> {
        self.exact
            .values()
            .chain(self.subdomains.values())
            .flatten()
    }

    /// How many rule files the library holds.
    pub fn len(&self) -> usize {
        self.exact
            .values()
            .chain(self.subdomains.values())
            .map(Vec::len)
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn kind_of(path: &Path) -> Option<Kind> {
    match path.extension()?.to_str()? {
        "toml" => Some(Kind::Toml),
        "txt" => Some(Kind::Ftr),
        _ => None,
    }
}

/// `example.com.txt` → ("example.com", false); `.example.com.txt` → ("example.com", true).
fn host_of(path: &Path) -> Option<(String, bool)> {
    let stem = path.file_stem()?.to_str()?;
    let (host, subdomains) = match stem.strip_prefix('.') {
        Some(h) => (h, true),
        None => (stem, false),
    };
    let ok = !host.is_empty()
        && host.split('.').all(|label| {
            !label.is_empty()
                && label
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
        });
    ok.then(|| (host.to_lowercase(), subdomains))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names_from_file_names() {
        let cases: &[(&str, Option<(&str, bool)>)] = &[
            ("example.com.txt", Some(("example.com", false))),
            (".example.com.txt", Some(("example.com", true))),
            ("Example.COM.toml", Some(("example.com", false))),
            ("news.bbc.co.uk.txt", Some(("news.bbc.co.uk", false))),
            ("localhost.txt", Some(("localhost", false))),
            ("a..b.txt", None),
            ("..txt", None),
            ("my site.com.txt", None),
        ];
        for (name, want) in cases {
            let got = host_of(Path::new(name));
            assert_eq!(got, want.map(|(h, s)| (h.to_string(), s)), "{name}");
        }
    }
}

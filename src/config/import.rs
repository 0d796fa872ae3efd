//! `clearfeed import FILE.opml`: one feed file per OPML outline with an `xmlUrl`, the feed id made
//! from the outline's title. Nothing is overwritten: an outline whose URL is already configured is
//! skipped, and a title whose id is taken gets the next free `<id>-2`, `<id>-3`, ...
//!
//! Owns: reading the OPML outlines, the ids, and writing the new feed files. Does not own the feed
//! file format's parsing (`file.rs`) or printing the summary (the app).

use std::io::Write;
use std::path::{Path, PathBuf};

use quick_xml::events::Event;

use super::FeedConfig;

/// What an import did.
#[derive(Debug, Default, PartialEq)]
pub struct ImportReport {
    /// The files written, with the feed title.
    pub written: Vec<(PathBuf, String)>,
    /// Outlines not imported, with the reason.
    pub skipped: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("not a readable OPML file: {0}")]
    Opml(String),
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// One outline's feed.
struct Outline {
    title: String,
    url: String,
}

/// Writes a feed file into `feeds_dir` for every outline of `opml` not already `configured`.
pub fn import_opml(
    opml: &str,
    feeds_dir: &Path,
    configured: &[FeedConfig],
) -> Result<ImportReport, ImportError> {
    let outlines = read_outlines(opml)?;
    let mut report = ImportReport::default();
    let mut urls: Vec<String> = configured
        .iter()
        .map(|f| f.source_url.to_string())
        .collect();
    std::fs::create_dir_all(feeds_dir).map_err(|source| ImportError::Write {
        path: feeds_dir.to_path_buf(),
        source,
    })?;
    for outline in outlines {
        let url = match url::Url::parse(&outline.url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => u,
            _ => {
                let why = format!("{}: {:?} is not an http(s) URL", outline.title, outline.url);
                report.skipped.push(why);
                continue;
            }
        };
        if urls.contains(&url.to_string()) {
            let why = format!("{}: {url} is already configured", outline.title);
            report.skipped.push(why);
            continue;
        }
        let path = write_new(feeds_dir, &feed_id(&outline.title, &url), &outline, &url)?;
        urls.push(url.to_string());
        report.written.push((path, outline.title));
    }
    Ok(report)
}

/// Every outline with an `xmlUrl`, in document order (folders are walked into).
fn read_outlines(opml: &str) -> Result<Vec<Outline>, ImportError> {
    let mut reader = quick_xml::Reader::from_str(opml);
    let mut outlines = Vec::new();
    let mut root = None;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| ImportError::Opml(e.to_string()))?;
        let e = match event {
            Event::Start(e) | Event::Empty(e) => e,
            Event::Eof => break,
            _ => continue,
        };
        let name = e.local_name().as_ref().to_ascii_lowercase();
        root.get_or_insert_with(|| name.clone());
        if name != "outline" {
            continue;
        }
        let (mut url, mut title, mut text) = (None, None, None);
        for attr in e.attributes().flatten() {
            let value = attr
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map(|v| v.trim().to_string())
                .unwrap_or_default();
            match attr.key.local_name().as_ref().to_ascii_lowercase().as_str() {
                "xmlurl" => url = Some(value),
                "title" => title = Some(value),
                "text" => text = Some(value),
                _ => {}
            }
        }
        if let Some(url) = url.filter(|u| !u.is_empty()) {
            let title = title.filter(|t| !t.is_empty()).or(text).unwrap_or_default();
            outlines.push(Outline { title, url });
        }
    }
    if root.as_deref() != Some("opml") {
        return Err(ImportError::Opml(format!(
            "expected <opml>, found {}",
            root.map_or("no element".into(), |r| format!("<{r}>"))
        )));
    }
    Ok(outlines)
}

/// A feed id from a title: lower-case ASCII letters and digits, other runs become one `-`, at
/// most 60 characters; the URL's host when the title gives nothing.
pub fn feed_id(title: &str, url: &url::Url) -> String {
    let slug = |s: &str| {
        let mut out = String::new();
        for c in s.chars().flat_map(char::to_lowercase) {
            if c.is_ascii_alphanumeric() {
                out.push(c);
            } else if !out.ends_with('-') {
                out.push('-');
            }
        }
        let out: String = out.trim_matches('-').chars().take(60).collect();
        out.trim_end_matches('-').to_string()
    };
    Some(slug(title))
        .filter(|s| !s.is_empty())
        .or_else(|| url.host_str().map(slug).filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "feed".into())
}

/// Writes `<id>.toml` (or `<id>-2.toml`, ... when taken) without ever replacing a file.
fn write_new(
    dir: &Path,
    id: &str,
    outline: &Outline,
    url: &url::Url,
) -> Result<PathBuf, ImportError> {
    let quote = |s: &str| toml::Value::String(s.to_string()).to_string();
    let mut text = String::new();
    if !outline.title.is_empty() {
        text.push_str(&format!("title = {}\n", quote(&outline.title)));
    }
    text.push_str(&format!("[source]\nurl = {}\n", quote(url.as_str())));
    for n in 1.. {
        let name = if n == 1 {
            format!("{id}.toml")
        } else {
            format!("{id}-{n}.toml")
        };
        let path = dir.join(name);
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(mut file) => {
                return file
                    .write_all(text.as_bytes())
                    .map(|_| path.clone())
                    .map_err(|source| ImportError::Write { path, source });
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(source) => return Err(ImportError::Write { path, source }),
        }
    }
    unreachable!("some numbered name is free")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_from_titles() {
        let u = url::Url::parse("https://www.news.example/rss").unwrap();
        assert_eq!(feed_id("BBC News — World", &u), "bbc-news-world");
        assert_eq!(feed_id("  Ça va? 2026!  ", &u), "a-va-2026");
        assert_eq!(feed_id("", &u), "www-news-example");
        assert_eq!(feed_id("日本", &u), "www-news-example");
        assert_eq!(feed_id(&"x".repeat(100), &u).len(), 60);
    }

    #[test]
    fn outlines_nested_and_escaped_and_bad_files_refused() {
        let opml = r#"<?xml version="1.0"?><opml version="2.0"><head><title>Mine</title></head><body>
<outline text="News"><outline type="rss" text="Harbour &amp; Pier" xmlUrl="https://h.example/rss?a=1&amp;b=2"/></outline>
<outline text="No feed here"/><outline title="Plain" text="ignored" xmlUrl="https://p.example/atom"/></body></opml>"#;
        let got: Vec<_> = read_outlines(opml)
            .unwrap()
            .into_iter()
            .map(|o| (o.title, o.url))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "Harbour & Pier".into(),
                    "https://h.example/rss?a=1&b=2".into()
                ),
                ("Plain".to_string(), "https://p.example/atom".to_string())
            ]
        );
        assert!(matches!(
            read_outlines("<html><body></body></html>"),
            Err(ImportError::Opml(_))
        ));
        assert!(matches!(
            read_outlines("<opml><body><outline></body></opml>"),
            Err(ImportError::Opml(_))
        ));
    }
}

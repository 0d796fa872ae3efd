//! `clearfeed bench DIR`: extraction speed, memory and quality over a corpus directory.
//!
//! Two corpus layouts are understood:
//! - **snippets** (`cases.json` + `pages/`): each case lists snippets the extracted text must contain
//!   (`with`) and boilerplate it must not (`without`); scored as precision/recall/F1 over snippets.
//! - **reference** (one folder per page with `source.html` + `expected.html`): F1 of overlapping
//!   4-word shingles of our text against the text of `expected.html`; page precision and recall are
//!   averaged over pages, and F1 is their harmonic mean.
//!
//! Pages are read into memory first so that only extraction is timed, and the same pages are also
//! parsed by html5ever alone to give the `extract_vs_parse` ratio (the two kinds of pass alternate).
//!
//! Owns: reading corpora, timing, scoring and the report. Does not own: extraction itself
//! (`extract`), nor the whole-pipeline benchmark (`bench_pipeline`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde::Deserialize;

use super::bench_pipeline::{peak_memory_kb, proc_status};
use crate::app::cli::BenchArgs;
use crate::extract::Extractor;
use crate::extract::SiteRules;
use crate::model::Page;

mod rules;

/// One page of a corpus with what it is scored against.
struct CorpusPage {
    name: String,
    /// The page as the extractor takes it (read once, so that no pass pays for a copy).
    page: Page,
    reference: Reference,
    /// Where the page was taken from, when the corpus says (`cases.json`'s `url`).
    url: Option<url::Url>,
}

enum Reference {
    Snippets {
        with: Vec<String>,
        without: Vec<String>,
    },
    /// Shingles of the reference text.
    Text(Shingles),
}

#[derive(Deserialize)]
struct Case {
    file: String,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    with: Vec<String>,
    #[serde(default)]
    without: Vec<String>,
}

/// Multiset of 4-token windows.
type Shingles = HashMap<String, u32>;

/// Quality of one page, for the corpus totals and the worst-pages list.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
struct PageScore {
    precision: f64,
    recall: f64,
    f1: f64,
    tp: u32,
    fp: u32,
    fn_: u32,
    tn: u32,
}

/// What one bench run measured, for the report.
struct Measured {
    name: String,
    pages: Vec<CorpusPage>,
    /// The scored text of each page; `None` where no article was found.
    texts: Vec<Option<String>>,
    scores: Vec<PageScore>,
    passes: usize,
    best_extract: Duration,
    best_parse: Duration,
    /// Resident memory with the corpus loaded, and the process's peak (VmHWM) at the end of the
    /// run, the parse-only pass included.
    rss_loaded_kb: u64,
    peak_kb: u64,
}

/// `clearfeed bench DIR`.
pub fn command(args: &BenchArgs) -> anyhow::Result<ExitCode> {
    let (name, pages) = load_pages(args)?;
    let rss_loaded_kb = proc_status("self", "VmRSS").unwrap_or(0);

    let extractor = Extractor::new(&SiteRules::default())?;
    let passes = args.passes.max(1);

    // Untimed pass: the texts that are scored. Extraction is pure, so every pass gives the same.
    let texts: Vec<Option<String>> = pages
        .iter()
        .map(|p| extractor.article(&p.page).ok().map(|a| a.text))
        .collect();

    let (best_extract, best_parse) = time_passes(&extractor, &pages, passes);

    let scores: Vec<PageScore> = pages
        .iter()
        .zip(&texts)
        .map(|(p, text)| score_page(&p.reference, text.as_deref()))
        .collect();
    if args.rules_dir.is_some() || args.ftr_rules_dir.is_some() {
        rules::compare(&name, &pages, args)?;
    }
    // Read last, so that the peak covers every pass of the run.
    let peak_kb = peak_memory_kb().unwrap_or(0);
    report(
        &Measured {
            name,
            pages,
            texts,
            scores,
            passes,
            best_extract,
            best_parse,
            rss_loaded_kb,
            peak_kb,
        },
        args.worst,
    );
    Ok(ExitCode::SUCCESS)
}

/// The corpus's display name and its pages (at most `--limit`); an empty corpus is an error.
fn load_pages(args: &BenchArgs) -> anyhow::Result<(String, Vec<CorpusPage>)> {
    let name = args
        .dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| args.dir.display().to_string());
    let mut pages = load_corpus(&args.dir)?;
    if let Some(limit) = args.limit {
        pages.truncate(limit);
    }
    if pages.is_empty() {
        bail!("no pages found in {}", args.dir.display());
    }
    Ok((name, pages))
}

/// The shortest extraction pass and the shortest parse-only pass (html5ever building the same
/// DOM, nothing else) of `passes` each. The two alternate, so that both see the same load on a
/// shared machine. Decoding happens outside the parse-only loop, so the extractor is charged for
/// its own decoding and the parser is not.
fn time_passes(extractor: &Extractor, pages: &[CorpusPage], passes: usize) -> (Duration, Duration) {
    let sources: Vec<_> = pages
        .iter()
        .map(|p| String::from_utf8_lossy(&p.page.body))
        .collect();
    let (mut extract, mut parse) = (Duration::MAX, Duration::MAX);
    for _ in 0..passes {
        let start = Instant::now();
        for page in pages {
            let _ = std::hint::black_box(extractor.article(&page.page));
        }
        extract = extract.min(start.elapsed());
        let start = Instant::now();
        for html in &sources {
            std::hint::black_box(scraper::Html::parse_document(html));
        }
        parse = parse.min(start.elapsed());
    }
    (extract, parse)
}

/// Prints speed, memory and quality, the worst pages, and the one-line summary.
fn report(m: &Measured, worst: usize) {
    let Measured { name, pages, .. } = m;
    let total_bytes: usize = pages.iter().map(|p| p.page.body.len()).sum();
    let mb = total_bytes as f64 / 1e6;
    let failures = m.texts.iter().filter(|t| t.is_none()).count();
    let (precision, recall, f1, accuracy) = corpus_quality(pages, &m.scores);
    let passes = m.passes;

    let secs = m.best_extract.as_secs_f64();
    let pages_per_s = pages.len() as f64 / secs;
    let ratio = secs / m.best_parse.as_secs_f64();
    let peak_mb = m.peak_kb as f64 / 1024.0;

    println!(
        "corpus {name}: {} pages, {mb:.1} MB, {failures} without article",
        pages.len()
    );
    println!(
        "extract: {:.3} s best of {passes}, {pages_per_s:.0} pages/s, {:.1} MB/s",
        secs,
        mb / secs
    );
    println!(
        "parse only (html5ever): {:.3} s, {:.0} pages/s; extract/parse = {ratio:.2}",
        m.best_parse.as_secs_f64(),
        pages.len() as f64 / m.best_parse.as_secs_f64()
    );
    println!(
        "memory: {:.0} MB resident with the corpus loaded, {peak_mb:.0} MB peak (the whole run, parse pass included), {:.0} MB above the loaded corpus",
        m.rss_loaded_kb as f64 / 1024.0,
        m.peak_kb.saturating_sub(m.rss_loaded_kb) as f64 / 1024.0
    );
    if let Some(acc) = accuracy {
        let (tp, fp, fn_, tn) = m.scores.iter().fold((0, 0, 0, 0), |acc, s| {
            (acc.0 + s.tp, acc.1 + s.fp, acc.2 + s.fn_, acc.3 + s.tn)
        });
        println!("snippets: tp={tp} fp={fp} fn={fn_} tn={tn} accuracy={acc:.3}");
    }
    print_worst(m, worst);
    println!(
        "bench: corpus={name} pages={} f1={f1:.3} precision={precision:.3} recall={recall:.3} page_f1_mean={:.3} pages_per_s={pages_per_s:.0} extract_vs_parse={ratio:.2} peak_mb={peak_mb:.0}",
        pages.len(),
        mean_page_f1(&m.scores)
    );
}

/// The mean of the pages' own F1 scores, beside the corpus figure (which pools counts or averages
/// precision and recall before combining them).
fn mean_page_f1(scores: &[PageScore]) -> f64 {
    scores.iter().map(|s| s.f1).sum::<f64>() / scores.len().max(1) as f64
}

/// The `worst` pages by F1, lowest first.
fn print_worst(m: &Measured, worst: usize) {
    let (pages, scores) = (&m.pages, &m.scores);
    let mut order: Vec<usize> = (0..pages.len()).collect();
    order.sort_by(|&a, &b| scores[a].f1.total_cmp(&scores[b].f1));
    println!("worst {} pages:", worst.min(pages.len()));
    for &i in order.iter().take(worst) {
        let s = scores[i];
        println!(
            "  f1={:.3} p={:.3} r={:.3} {}{}",
            s.f1,
            s.precision,
            s.recall,
            pages[i].name,
            if m.texts[i].is_none() {
                " (no article)"
            } else {
                ""
            }
        );
    }
}

/// Reads a corpus of either layout into memory, sorted by name for stable output.
fn load_corpus(dir: &Path) -> anyhow::Result<Vec<CorpusPage>> {
    let cases_path = dir.join("cases.json");
    if cases_path.is_file() {
        let raw = std::fs::read(&cases_path)
            .with_context(|| format!("cannot read {}", cases_path.display()))?;
        let cases: Vec<Case> = serde_json::from_slice(&raw)
            .with_context(|| format!("{} is not a list of cases", cases_path.display()))?;
        return cases
            .into_iter()
            .map(|case| {
                let path = dir.join("pages").join(&case.file);
                let bytes = std::fs::read(&path)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                Ok(CorpusPage {
                    name: case.file,
                    page: Page::from_bytes(bytes, None),
                    reference: Reference::Snippets {
                        with: case.with.iter().map(|s| collapse(s)).collect(),
                        without: case.without.iter().map(|s| collapse(s)).collect(),
                    },
                    url: case.url.as_deref().and_then(|u| url::Url::parse(u).ok()),
                })
            })
            .collect();
    }
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read corpus directory {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("source.html").is_file() && p.join("expected.html").is_file())
        .collect();
    dirs.sort();
    if dirs.is_empty() {
        bail!(
            "{} has neither cases.json nor page folders with source.html and expected.html",
            dir.display()
        );
    }
    dirs.into_iter()
        .map(|d| {
            let bytes = std::fs::read(d.join("source.html"))
                .with_context(|| format!("cannot read {}", d.join("source.html").display()))?;
            let expected = std::fs::read_to_string(d.join("expected.html"))
                .with_context(|| format!("cannot read {}", d.join("expected.html").display()))?;
            let text = scraper::Html::parse_fragment(&expected)
                .root_element()
                .text()
                .collect::<Vec<_>>()
                .join(" ");
            Ok(CorpusPage {
                name: d
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                page: Page::from_bytes(bytes, None),
                reference: Reference::Text(shingles(&text)),
                url: None,
            })
        })
        .collect()
}

/// Scores one page's extracted text (`None`: no article was extracted) against its reference.
fn score_page(reference: &Reference, text: Option<&str>) -> PageScore {
    match reference {
        Reference::Snippets { with, without } => {
            let text = collapse(text.unwrap_or(""));
            let mut s = PageScore::default();
            for snippet in with {
                if text.contains(snippet.as_str()) {
                    s.tp += 1
                } else {
                    s.fn_ += 1
                }
            }
            for snippet in without {
                if text.contains(snippet.as_str()) {
                    s.fp += 1
                } else {
                    s.tn += 1
                }
            }
            s.precision = ratio(s.tp, s.tp + s.fp);
            s.recall = ratio(s.tp, s.tp + s.fn_);
            s.f1 = harmonic(s.precision, s.recall);
            s
        }
        // No article is no recall, whatever the reference holds.
        Reference::Text(_) if text.is_none() => PageScore::default(),
        Reference::Text(expected) => {
            let ours = shingles(text.unwrap_or(""));
            let inter: u32 = ours
                .iter()
                .map(|(k, &n)| n.min(expected.get(k).copied().unwrap_or(0)))
                .sum();
            let ours_n: u32 = ours.values().sum();
            let expected_n: u32 = expected.values().sum();
            // Only a page whose reference and extraction are both without a single word is
            // perfect by default; a missing article was scored above.
            let (precision, recall) = if ours_n == 0 && expected_n == 0 {
                (1.0, 1.0)
            } else {
                (ratio(inter, ours_n), ratio(inter, expected_n))
            };
            PageScore {
                precision,
                recall,
                f1: harmonic(precision, recall),
                ..Default::default()
            }
        }
    }
}

/// Corpus precision, recall, F1 and (for snippet corpora) accuracy. Snippet corpora pool the
/// counts over all pages; reference corpora average page precision and recall.
fn corpus_quality(pages: &[CorpusPage], scores: &[PageScore]) -> (f64, f64, f64, Option<f64>) {
    let snippets = matches!(
        pages.first().map(|p| &p.reference),
        Some(Reference::Snippets { .. })
    );
    if snippets {
        let (tp, fp, fn_, tn) = scores.iter().fold((0, 0, 0, 0), |acc, s| {
            (acc.0 + s.tp, acc.1 + s.fp, acc.2 + s.fn_, acc.3 + s.tn)
        });
        let p = ratio(tp, tp + fp);
        let r = ratio(tp, tp + fn_);
        (
            p,
            r,
            harmonic(p, r),
            Some(ratio(tp + tn, tp + fp + fn_ + tn)),
        )
    } else {
        let n = scores.len().max(1) as f64;
        let p = scores.iter().map(|s| s.precision).sum::<f64>() / n;
        let r = scores.iter().map(|s| s.recall).sum::<f64>() / n;
        (p, r, harmonic(p, r), None)
    }
}

fn ratio(a: u32, b: u32) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

fn harmonic(p: f64, r: f64) -> f64 {
    if p + r == 0.0 {
        0.0
    } else {
        2.0 * p * r / (p + r)
    }
}

/// Whitespace collapsed to single spaces and trimmed, as the snippet metric prescribes.
fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The multiset of windows of 4 consecutive word tokens (`\w+`, Unicode-aware).
/// Overlapping 4-token windows; a text of one to three tokens is one window of all of them, so
/// that a short page is compared by its words rather than counted as empty.
fn shingles(text: &str) -> Shingles {
    let tokens: Vec<&str> = text
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|t| !t.is_empty())
        .collect();
    let mut out = Shingles::new();
    for w in tokens.windows(4.min(tokens.len().max(1))) {
        *out.entry(w.join(" ")).or_insert(0) += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shingles_are_a_multiset_of_four_token_windows() {
        let s = shingles("one two, three four five one two three four");
        assert_eq!(s.get("one two three four"), Some(&2));
        assert_eq!(s.get("two three four five"), Some(&1));
        assert_eq!(s.values().sum::<u32>(), 6);
        let short = shingles("too short here");
        assert_eq!(
            short.get("too short here"),
            Some(&1),
            "one window of all three words"
        );
        assert!(shingles("").is_empty());
    }

    #[test]
    fn snippet_scoring_counts_each_class() {
        let reference = Reference::Snippets {
            with: vec!["main text here".into(), "missing part".into()],
            without: vec!["Imprint".into(), "cookie notice".into()],
        };
        let s = score_page(&reference, Some("The  main\ntext here and the Imprint"));
        assert_eq!((s.tp, s.fn_, s.fp, s.tn), (1, 1, 1, 1));
        assert!((s.f1 - 0.5).abs() < 1e-9);
    }

    #[test]
    fn reference_scoring_uses_multiset_intersection() {
        let reference = Reference::Text(shingles("a b c d e f"));
        let s = score_page(&reference, Some("a b c d e f a b c d"));
        // ours: 7 windows, expected: 3, shared: 3
        assert!((s.recall - 1.0).abs() < 1e-9);
        assert!((s.precision - 3.0 / 7.0).abs() < 1e-9);
        let empty = score_page(&reference, Some(""));
        assert_eq!(empty.f1, 0.0);
    }

    #[test]
    fn no_article_scores_zero_even_against_a_short_reference() {
        // Both sides under four words: this once scored as a perfect page.
        let reference = Reference::Text(shingles("Page moved"));
        let failed = score_page(&reference, None);
        assert_eq!(
            (failed.precision, failed.recall, failed.f1),
            (0.0, 0.0, 0.0)
        );
        let right = score_page(&reference, Some("Page moved"));
        assert_eq!(right.f1, 1.0);
        let wrong = score_page(&reference, Some("Cookie settings"));
        assert_eq!(wrong.f1, 0.0);
    }

    #[test]
    fn snippet_corpus_pools_counts_and_reports_accuracy() {
        let pages = vec![CorpusPage {
            name: "x".into(),
            page: Page::from_bytes(vec![], None),
            reference: Reference::Snippets {
                with: vec![],
                without: vec![],
            },
            url: None,
        }];
        let scores = [PageScore {
            tp: 3,
            fp: 1,
            fn_: 1,
            tn: 5,
            ..Default::default()
        }];
        let (p, r, f1, acc) = corpus_quality(&pages, &scores);
        assert!((p - 0.75).abs() < 1e-9 && (r - 0.75).abs() < 1e-9 && (f1 - 0.75).abs() < 1e-9);
        assert_eq!(acc, Some(0.8));
    }
}

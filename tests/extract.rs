//! End-to-end tests of `clearfeed extract`: the real binary run over invented article pages, and its
//! command-line behaviour (formats, stdin, `--base-url`, URLs on a loopback server, bad input).
//!
//! Each `tests/fixtures/<case>/` holds one page (`page.html` or `page.txt`) and `expected.toml`:
//! what a careful human reader says the article is (headline, key points, first body paragraph,
//! metadata), the body sentences that must survive (`present`), the cruft that must not
//! (`absent`: nowhere in text, lead, summary, bullets or content_html), and photo captions/credits
//! (`captions`: kept out of text, lead, summary and bullets; `content_html` may keep them in a
//! `<figure>`). The table test checks every case and reports every failing case and field at once.
//!
//! A second table test checks the fixtures themselves with an independent HTML parser, so a typo in
//! an expectation cannot make a check vacuous: every expected sentence occurs in its page, and every
//! `absent` string really is in the page and is not part of the expected article.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde::Deserialize;
use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// Fixtures

/// `expected.toml`. Optional metadata fields are checked only when given; `""` means "must be null".
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    title: String,
    bullets: Vec<String>,
    lead: String,
    byline: Option<String>,
    /// The page's summary line under the headline; `""`: none (null).
    dek: Option<String>,
    published: Option<String>,
    language: Option<String>,
    image: Option<String>,
    url: Option<String>,
    #[serde(default)]
    present: Vec<String>,
    #[serde(default)]
    absent: Vec<String>,
    #[serde(default)]
    captions: Vec<String>,
    /// Extra arguments for `extract` (e.g. `--base-url`).
    #[serde(default)]
    args: Vec<String>,
    /// Every `href`/`src` in `content_html` must be an absolute URL.
    #[serde(default)]
    absolute_links: bool,
    /// Absolute link targets that must appear as an `href` in `content_html`.
    #[serde(default)]
    links: Vec<String>,
    /// The least number of paragraphs `text` must have.
    min_paragraphs: Option<usize>,
}

struct Fixture {
    name: String,
    page: PathBuf,
    expected: Expected,
}

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn load_fixtures() -> Vec<Fixture> {
    let mut out = Vec::new();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(fixtures_dir())
        .expect("tests/fixtures exists")
        .map(|e| e.expect("readable fixtures dir").path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for dir in dirs {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let page = ["page.html", "page.txt"]
            .iter()
            .map(|f| dir.join(f))
            .find(|p| p.is_file())
            .unwrap_or_else(|| panic!("fixture {name}: no page.html or page.txt"));
        let toml_text = std::fs::read_to_string(dir.join("expected.toml"))
            .unwrap_or_else(|e| panic!("fixture {name}: expected.toml: {e}"));
        let expected: Expected = toml::from_str(&toml_text)
            .unwrap_or_else(|e| panic!("fixture {name}: expected.toml: {e}"));
        out.push(Fixture {
            name,
            page,
            expected,
        });
    }
    assert!(
        out.len() >= 12,
        "expected at least twelve fixture pages, found {}",
        out.len()
    );
    out
}

// ---------------------------------------------------------------------------------------------
// Running the binary

fn clearfeed() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_clearfeed"));
    // Run outside the repository so no stray clearfeed.toml is picked up.
    cmd.current_dir(std::env::temp_dir());
    cmd.env_remove("CLEARFEED_CONFIG")
        .env_remove("CLEARFEED_DATA_DIR");
    cmd
}

fn run(args: &[&str]) -> Output {
    clearfeed()
        .args(args)
        .output()
        .expect("clearfeed binary runs")
}

fn run_with_stdin(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = clearfeed()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("clearfeed binary runs");
    // Feed stdin from a thread so a large page cannot deadlock against a full stdout pipe; a
    // process that rejects the input early may close stdin, which is not a test failure.
    let mut pipe = child.stdin.take().unwrap();
    let input = stdin.to_vec();
    let writer = std::thread::spawn(move || match pipe.write_all(&input) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => panic!("write stdin: {e}"),
        _ => {}
    });
    let out = child.wait_with_output().expect("clearfeed finishes");
    writer.join().expect("stdin writer");
    out
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Exactly one JSON object on stdout.
fn single_json(o: &Output) -> Result<Value, String> {
    let out = stdout(o);
    let mut values = serde_json::Deserializer::from_str(&out).into_iter::<Value>();
    let first = match values.next() {
        Some(Ok(v)) => v,
        Some(Err(e)) => return Err(format!("stdout is not JSON ({e}): {}", clip(&out))),
        None => return Err("stdout is empty".into()),
    };
    if values.next().is_some() {
        return Err("stdout holds more than one JSON value".into());
    }
    if !first.is_object() {
        return Err(format!("stdout is not a JSON object: {}", clip(&out)));
    }
    Ok(first)
}

fn assert_no_panic(o: &Output, what: &str) {
    let err = stderr(o);
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "{what}: the binary panicked:\n{err}"
    );
}

// ---------------------------------------------------------------------------------------------
// Text helpers

/// Collapses all whitespace runs to one space: HTML whitespace carries no meaning.
fn norm(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn clip(s: &str) -> String {
    const MAX: usize = 300;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(MAX).collect::<String>())
    }
}

fn words(s: &str) -> usize {
    s.split_whitespace().count()
}

/// Words that contain a letter or digit (a count that skips stand-alone dashes and bullets).
fn alnum_words(s: &str) -> usize {
    s.split_whitespace()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .count()
}

fn is_ideograph(c: char) -> bool {
    matches!(c, '\u{3040}'..='\u{30ff}' | '\u{3400}'..='\u{4dbf}' | '\u{4e00}'..='\u{9fff}' | '\u{f900}'..='\u{faff}')
}

fn str_field<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

// ---------------------------------------------------------------------------------------------
// The checks for one extracted article

const FIELDS: [&str; 13] = [
    "title",
    "dek",
    "byline",
    "published",
    "url",
    "image",
    "language",
    "bullets",
    "lead",
    "summary",
    "text",
    "content_html",
    "word_count",
];

/// Checks one article object against its expectations; returns one message per failed field.
fn check_article(exp: &Expected, v: &Value) -> Vec<String> {
    let mut f = Vec::new();
    for key in FIELDS {
        if v.get(key).is_none() {
            f.push(format!("{key}: field missing from the JSON object"));
        }
    }
    let title = str_field(v, "title").unwrap_or_default();
    let lead = str_field(v, "lead").unwrap_or_default();
    let summary = str_field(v, "summary").unwrap_or_default();
    let text = str_field(v, "text").unwrap_or_default();
    let html = str_field(v, "content_html").unwrap_or_default();
    let bullets: Vec<String> = v
        .get("bullets")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|b| b.as_str().unwrap_or("<not a string>").to_string())
                .collect()
        })
        .unwrap_or_default();
    let bullets_joined = bullets.join("\n");
    let ntext = norm(text);

    // Headline, key points, lead.
    if norm(title) != norm(&exp.title) {
        f.push(format!("title: expected {:?}, got {:?}", exp.title, title));
    }
    let got_b: Vec<String> = bullets.iter().map(|b| norm(b)).collect();
    let exp_b: Vec<String> = exp.bullets.iter().map(|b| norm(b)).collect();
    if got_b != exp_b {
        f.push(format!("bullets: expected {exp_b:#?}, got {got_b:#?}"));
    }
    if norm(lead) != norm(&exp.lead) {
        f.push(format!(
            "lead: expected {:?}, got {:?}",
            exp.lead,
            clip(lead)
        ));
    }

    // Summary shape: "• " bullet lines, a blank line, the lead; or the lead alone (extended with
    // the next paragraph only when the lead is short).
    if exp.bullets.is_empty() {
        let (ns, nl) = (norm(summary), norm(&exp.lead));
        let lead_words = words(&exp.lead);
        // "~25 words" is not defined for unspaced scripts: there either form is accepted.
        let unspaced = exp.lead.chars().any(is_ideograph);
        if summary.trim_start().starts_with('•') {
            f.push(format!(
                "summary: starts with a bullet but the article has none: {:?}",
                clip(summary)
            ));
        } else if !ns.starts_with(&nl) {
            f.push(format!(
                "summary: expected to start with the lead, got {:?}",
                clip(summary)
            ));
        } else if lead_words >= 30 && ns != nl && !unspaced {
            f.push(format!(
                "summary: the lead has {lead_words} words, so the summary is the lead alone; got {:?}",
                clip(summary)
            ));
        } else if ns != nl {
            let rest = ns[nl.len()..].trim().to_string();
            let paras: Vec<String> = text
                .split("\n\n")
                .map(norm)
                .filter(|p| !p.is_empty())
                .collect();
            let second = paras
                .iter()
                .position(|p| *p == nl)
                .and_then(|i| paras.get(i + 1));
            if second.map(String::as_str) != Some(rest.as_str()) {
                f.push(format!(
                    "summary: after the lead expected the next paragraph {:?}, got {:?}",
                    second, rest
                ));
            }
        } else if lead_words < 20 && !unspaced {
            f.push(format!(
                "summary: the lead has only {lead_words} words; expected it extended with the next paragraph"
            ));
        }
    } else {
        let mut want: Vec<String> = exp
            .bullets
            .iter()
            .map(|b| format!("• {}", norm(b)))
            .collect();
        want.push(String::new());
        want.push(norm(&exp.lead));
        let got: Vec<String> = summary.trim_end().lines().map(norm).collect();
        if got != want {
            f.push(format!("summary: expected {want:#?}, got {got:#?}"));
        }
    }

    // Body text.
    if text.trim().is_empty() {
        f.push("text: empty".into());
    }
    if text.contains("\n\n\n") {
        f.push("text: paragraphs separated by more than one blank line".into());
    }
    // The body's first paragraph is the lead (`Article::paragraphs[0]`): nothing before it.
    // The page's own summary line may stand above the story in the body (as on the page).
    let dek = exp.dek.as_deref().map(norm).filter(|d| !d.is_empty());
    let first_para = text
        .split("\n\n")
        .map(norm)
        .find(|p| !p.is_empty() && Some(p) != dek.as_ref())
        .unwrap_or_default();
    if first_para != norm(&exp.lead) {
        f.push(format!(
            "text: the first paragraph should be the lead, got {:?}",
            clip(&first_para)
        ));
    }
    let mut last_pos = 0;
    for p in &exp.present {
        let np = norm(p);
        match ntext.matches(np.as_str()).count() {
            0 => f.push(format!("present: {p:?} missing from text")),
            1 => {
                let pos = ntext.find(&np).unwrap();
                if pos < last_pos {
                    f.push(format!("present: {p:?} is out of order in text"));
                }
                last_pos = pos;
            }
            n => f.push(format!(
                "present: {p:?} appears {n} times in text (repeated paragraph kept)"
            )),
        }
    }
    if let Some(min) = exp.min_paragraphs {
        let paras = text.split("\n\n").filter(|p| !p.trim().is_empty()).count();
        if paras < min {
            f.push(format!(
                "text: expected at least {min} paragraphs, got {paras}"
            ));
        }
    }

    // Word count consistent with text.
    match v.get("word_count").and_then(Value::as_u64) {
        Some(wc) => {
            // Unspaced scripts (Chinese, Japanese) may count each ideograph as a word.
            let ideographs = text.chars().filter(|c| is_ideograph(*c)).count();
            let (lo, hi) = (alnum_words(text) as u64, (words(text) + ideographs) as u64);
            if wc < lo || wc > hi {
                f.push(format!(
                    "word_count: {wc} is not the number of words in text ({lo}..={hi})"
                ));
            }
        }
        None => f.push("word_count: not a non-negative integer".into()),
    }

    // Decoding: output is UTF-8 with no replacement characters from a wrong charset guess.
    for (field, value) in [("title", title), ("lead", lead), ("text", text)] {
        if value.contains('\u{fffd}') {
            f.push(format!(
                "{field}: contains U+FFFD (bytes decoded with the wrong charset)"
            ));
        }
    }

    // Cruft: nowhere. Captions: not in the plain-text fields.
    // content_html is checked both as markup and as the text a reader sees (entities decoded).
    let html_text: String = scraper::Html::parse_fragment(html)
        .root_element()
        .text()
        .collect::<Vec<_>>()
        .join(" ");
    let everywhere = [
        ("title", title),
        ("bullets", bullets_joined.as_str()),
        ("lead", lead),
        ("summary", summary),
        ("text", text),
        ("content_html", html),
        ("content_html text", html_text.as_str()),
    ];
    for a in &exp.absent {
        let mut seen_in_html = false;
        for (field, value) in everywhere {
            if field == "content_html text" && seen_in_html {
                continue;
            }
            if value.contains(a.as_str()) || norm(value).contains(&norm(a)) {
                seen_in_html |= field == "content_html";
                f.push(format!("absent: {a:?} survives in {field}"));
            }
        }
    }
    for c in &exp.captions {
        for &(field, value) in &everywhere[..5] {
            if norm(value).contains(&norm(c)) {
                f.push(format!("captions: {c:?} appears in {field}"));
            }
        }
    }

    // content_html is a security boundary.
    f.extend(html_safety(html));
    if html.trim().is_empty() {
        f.push("content_html: empty".into());
    }
    if exp.absolute_links {
        for (attr, url) in link_attrs(html) {
            let ok = url.starts_with("https://")
                || url.starts_with("http://")
                || url.starts_with("mailto:")
                || url.starts_with('#');
            if !ok {
                f.push(format!("content_html: relative {attr}={url:?}"));
            }
        }
    }
    for l in &exp.links {
        if !link_attrs(html).iter().any(|(a, u)| a == "href" && u == l) {
            f.push(format!("content_html: no href={l:?}"));
        }
    }

    if let Some(want) = &exp.dek {
        let got = v.get("dek").and_then(Value::as_str);
        match (want.is_empty(), got) {
            (true, None) => {}
            (true, Some(g)) => f.push(format!("dek: expected null, got {g:?}")),
            (false, g) if g.map(norm) != Some(norm(want)) => {
                f.push(format!("dek: expected {want:?}, got {g:?}"))
            }
            _ => {}
        }
    }

    // Metadata. A byline must name the expected author without a "By"/"Von"/"Par"/"Por" prefix;
    // a trailing role or outlet ("Jane Doe, Staff Writer") is tolerated.
    if let Some(want) = &exp.byline {
        let got = v.get("byline").and_then(Value::as_str);
        match (want.is_empty(), got) {
            (true, None) => {}
            (true, Some(g)) => f.push(format!("byline: expected null, got {g:?}")),
            (false, None) => f.push(format!("byline: expected {want:?}, got null")),
            (false, Some(g)) => {
                if !norm(g).contains(&norm(want))
                    || ["by ", "von ", "par ", "por "]
                        .iter()
                        .any(|p| norm(g).to_lowercase().starts_with(p))
                {
                    f.push(format!("byline: expected {want:?}, got {g:?}"));
                }
            }
        }
    }
    if let Some(want) = &exp.published {
        let got = v.get("published").and_then(Value::as_str);
        match (want.is_empty(), got) {
            (true, None) => {}
            (true, Some(g)) => f.push(format!("published: expected null, got {g:?}")),
            (false, None) => f.push(format!("published: expected {want:?}, got null")),
            (false, Some(g)) => {
                let w = chrono::DateTime::parse_from_rfc3339(want).expect("expected.toml date");
                match chrono::DateTime::parse_from_rfc3339(g) {
                    Ok(d) if d == w => {}
                    Ok(d) => f.push(format!("published: expected {want}, got {d}")),
                    Err(e) => f.push(format!("published: {g:?} is not RFC 3339 ({e})")),
                }
            }
        }
    }
    for (key, want) in [
        ("language", &exp.language),
        ("image", &exp.image),
        ("url", &exp.url),
    ] {
        let Some(want) = want else { continue };
        let got = v.get(key).and_then(Value::as_str);
        let ok = if want.is_empty() {
            got.is_none()
        } else {
            got == Some(want.as_str())
        };
        if !ok {
            let shown = if want.is_empty() {
                "null"
            } else {
                want.as_str()
            };
            f.push(format!("{key}: expected {shown:?}, got {got:?}"));
        }
    }
    f
}

/// What must never reach a feed reader from `content_html`.
fn html_safety(html: &str) -> Vec<String> {
    let lower = html.to_lowercase();
    let mut f = Vec::new();
    for bad in [
        "<script",
        "javascript:",
        "<iframe",
        "style=",
        "<style",
        "<form",
        "<object",
        "<embed",
    ] {
        if lower.contains(bad) {
            f.push(format!("content_html: contains {bad:?}"));
        }
    }
    for (attr, url) in link_attrs(html) {
        let u = url.trim().to_lowercase();
        if (attr == "href" && u.starts_with("data:")) || u.starts_with("data:text/html") {
            f.push(format!("content_html: {attr}={:?}", clip(&url)));
        }
    }
    let handler = regex::Regex::new(r#"(?i)<[^>]*[\s/"']on[a-z]+\s*="#).unwrap();
    if let Some(m) = handler.find(html) {
        f.push(format!(
            "content_html: event handler in {:?}",
            clip(m.as_str())
        ));
    }
    f
}

/// Every `href` / `src` attribute value in an HTML string (entity `&amp;` decoded).
fn link_attrs(html: &str) -> Vec<(String, String)> {
    let re = regex::Regex::new(r#"(?i)\s(href|src)\s*=\s*(?:"([^"]*)"|'([^']*)')"#).unwrap();
    re.captures_iter(html)
        .map(|c| {
            let v = c.get(2).or(c.get(3)).map_or("", |m| m.as_str());
            (c[1].to_lowercase(), v.replace("&amp;", "&"))
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The fixture table

fn extract_fixture(fx: &Fixture) -> Result<Value, String> {
    let page = fx.page.to_string_lossy().into_owned();
    let mut args: Vec<&str> = vec!["extract", "--format", "json"];
    args.extend(fx.expected.args.iter().map(String::as_str));
    args.push(&page);
    let o = run(&args);
    assert_no_panic(&o, &fx.name);
    if !o.status.success() {
        return Err(format!(
            "exit {:?}: {}",
            o.status.code(),
            clip(stderr(&o).trim())
        ));
    }
    single_json(&o)
}

#[test]
fn every_fixture_extracts_as_a_reader_would_say() {
    // `FIXTURE=name` narrows the run to the cases whose name contains it, while working on one.
    let only = std::env::var("FIXTURE").unwrap_or_default();
    let all = load_fixtures();
    let names: Vec<String> = all.iter().map(|f| f.name.clone()).collect();
    let fixtures: Vec<Fixture> = all
        .into_iter()
        .filter(|f| f.name.contains(only.as_str()))
        .collect();
    assert!(
        !fixtures.is_empty(),
        "FIXTURE={only:?} matches no fixture, so nothing would be checked; the fixtures are: {}",
        names.join(", ")
    );
    let mut report = Vec::new();
    let mut failing = Vec::new();
    for fx in &fixtures {
        let problems = match extract_fixture(fx) {
            Err(e) => vec![format!("run: {e}")],
            Ok(v) => check_article(&fx.expected, &v),
        };
        // Shown by the test harness on failure (or with --nocapture): which cases pass.
        println!(
            "{:<28} {}",
            fx.name,
            if problems.is_empty() { "ok" } else { "FAIL" }
        );
        if !problems.is_empty() {
            failing.push(fx.name.as_str());
        }
        report.extend(problems.into_iter().map(|m| format!("{}: {m}", fx.name)));
    }
    assert!(
        report.is_empty(),
        "{} of {} fixtures fail ({}):\n\n{}",
        failing.len(),
        fixtures.len(),
        failing.join(", "),
        report.join("\n")
    );
}

/// `--format jsonl` over every fixture in one process gives, line for line, the same objects as
/// one `--format json` run per page: nothing carries over from one page to the next.
#[test]
fn jsonl_batch_matches_single_runs() {
    let fixtures: Vec<Fixture> = load_fixtures()
        .into_iter()
        .filter(|f| f.expected.args.is_empty())
        .collect();
    let pages: Vec<String> = fixtures
        .iter()
        .map(|f| f.page.to_string_lossy().into_owned())
        .collect();
    let mut args = vec!["extract", "--format", "jsonl"];
    args.extend(pages.iter().map(String::as_str));
    let o = run(&args);
    assert_no_panic(&o, "jsonl over all fixtures");
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), fixtures.len(), "one line per input:\n{out}");
    let mut report = Vec::new();
    for ((fx, page), line) in fixtures.iter().zip(&pages).zip(lines) {
        let mut batch: Value = match serde_json::from_str(line) {
            Ok(v) => v,
            Err(e) => {
                report.push(format!("{}: line is not JSON: {e}", fx.name));
                continue;
            }
        };
        if str_field(&batch, "source") != Some(page.as_str()) {
            report.push(format!("{}: source is {:?}", fx.name, batch.get("source")));
        }
        batch.as_object_mut().unwrap().remove("source");
        match extract_fixture(fx) {
            Ok(single) if single == batch => {}
            Ok(_) => report.push(format!(
                "{}: jsonl object differs from the json run",
                fx.name
            )),
            Err(e) => {
                // Both failing is consistent; the table test reports the failure itself.
                if batch.get("error").is_none() {
                    report.push(format!(
                        "{}: json run failed ({e}) but jsonl did not",
                        fx.name
                    ));
                }
            }
        }
    }
    assert!(report.is_empty(), "{}", report.join("\n"));
}

/// The text a reader sees of an element: hidden subtrees (the `hidden` attribute,
/// `aria-hidden="true"`, an inline `display:none`, screen-reader-only and hover-card classes) are
/// left out, as a browser leaves them off the screen.
fn visible_text(el: scraper::ElementRef, out: &mut String) {
    let e = el.value();
    let style: String = e
        .attr("style")
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let class = e.attr("class").unwrap_or("");
    if e.attr("hidden").is_some()
        || e.attr("aria-hidden") == Some("true")
        || style.contains("display:none")
        || ["sr-only", "visually-hidden", "hovercard"]
            .iter()
            .any(|c| class.contains(c))
    {
        return;
    }
    for child in el.children() {
        if let Some(t) = child.value().as_text() {
            out.push_str(t);
        } else if let Some(c) = scraper::ElementRef::wrap(child) {
            visible_text(c, out);
        }
    }
}

/// Checks the fixtures against their own pages with an independent parser (scraper), so every
/// expectation is about text that is really there: expected sentences occur in the page, and every
/// cruft string occurs in the page but not in the expected article.
#[test]
fn fixtures_are_self_consistent() {
    let mut report = Vec::new();
    for fx in load_fixtures() {
        let bytes = std::fs::read(&fx.page).unwrap();
        let source = match std::str::from_utf8(&bytes) {
            Ok(s) => s.to_string(),
            // The one legacy-encoded fixture is windows-1252 (declared in its <meta http-equiv>).
            Err(_) => encoding_rs::WINDOWS_1252.decode(&bytes).0.into_owned(),
        };
        // Key points may sit in a box collapsed behind a button: they are checked against all of
        // the page's text, everything else against what is on the screen.
        let (page_text, all_text) = if fx.page.extension().is_some_and(|e| e == "html") {
            let doc = scraper::Html::parse_document(&source);
            let mut text = String::new();
            visible_text(doc.root_element(), &mut text);
            (
                norm(&text),
                norm(&doc.root_element().text().collect::<String>()),
            )
        } else {
            (norm(&source), norm(&source))
        };
        let e = &fx.expected;
        let article: Vec<&String> = std::iter::once(&e.title)
            .chain(std::iter::once(&e.lead))
            .chain(&e.bullets)
            .chain(&e.present)
            .collect();
        for s in article
            .iter()
            .chain(e.captions.iter().collect::<Vec<_>>().iter())
            .chain(
                e.dek
                    .iter()
                    .filter(|d| !d.is_empty())
                    .collect::<Vec<_>>()
                    .iter(),
            )
        {
            let haystack = if e.bullets.contains(s) {
                &all_text
            } else {
                &page_text
            };
            if !haystack.contains(&norm(s)) {
                report.push(format!("{}: {s:?} does not occur in the page", fx.name));
            }
        }
        for a in &e.absent {
            if !page_text.contains(&norm(a)) && !source.contains(a.as_str()) {
                report.push(format!(
                    "{}: absent {a:?} does not occur in the page",
                    fx.name
                ));
            }
            for s in &article {
                if s.contains(a.as_str()) {
                    report.push(format!(
                        "{}: absent {a:?} is part of expected {s:?}",
                        fx.name
                    ));
                }
            }
        }
        for c in &e.captions {
            for s in &article {
                if s.contains(c.as_str()) {
                    report.push(format!(
                        "{}: caption {c:?} is part of expected {s:?}",
                        fx.name
                    ));
                }
            }
        }
        if e.present.len() + 1 < 4 {
            report.push(format!(
                "{}: fewer than four body paragraphs checked",
                fx.name
            ));
        }
    }
    assert!(report.is_empty(), "{}", report.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// Command-line behaviour

fn fixture_page(name: &str) -> PathBuf {
    load_fixtures()
        .into_iter()
        .find(|f| f.name == name)
        .map(|f| f.page)
        .unwrap_or_else(|| panic!("no fixture {name}"))
}

fn fixture_expected(name: &str) -> Expected {
    load_fixtures()
        .into_iter()
        .find(|f| f.name == name)
        .map(|f| f.expected)
        .unwrap_or_else(|| panic!("no fixture {name}"))
}

#[test]
fn jsonl_reports_a_missing_file_and_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let wire = fixture_page("wire-dateline").to_string_lossy().into_owned();
    let missing = dir
        .path()
        .join("no-such-page.html")
        .to_string_lossy()
        .into_owned();
    let german = fixture_page("german-anzeige")
        .to_string_lossy()
        .into_owned();
    let o = run(&["extract", "--format", "jsonl", &wire, &missing, &german]);
    assert_no_panic(&o, "jsonl with a missing file");
    let out = stdout(&o);
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert_eq!(lines.len(), 3, "one object per input, one per line:\n{out}");
    for (line, src) in lines.iter().zip([&wire, &missing, &german]) {
        assert_eq!(str_field(line, "source"), Some(src.as_str()), "{line}");
    }
    let err = str_field(&lines[1], "error").expect("the missing file gets an error field");
    assert!(
        err.contains(&format!("cannot read {missing}"))
            && err.to_lowercase().contains("no such file"),
        "the error says which input and why: {err:?}"
    );
    assert!(lines[1].get("title").is_none(), "{}", lines[1]);
    assert_eq!(
        str_field(&lines[0], "title"),
        Some(fixture_expected("wire-dateline").title.as_str())
    );
    assert_eq!(
        str_field(&lines[2], "title"),
        Some(fixture_expected("german-anzeige").title.as_str())
    );
    assert!(lines[0].get("error").is_none() && lines[2].get("error").is_none());
}

#[test]
fn text_format_prints_summary_then_clean_text() {
    let exp = fixture_expected("aside-ol-keypoints");
    let page = fixture_page("aside-ol-keypoints");
    let o = run(&["extract", "--format", "text", &page.to_string_lossy()]);
    assert_no_panic(&o, "--format text");
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let nout = norm(&out);
    let mut last = 0;
    for b in &exp.bullets {
        let line = format!("• {b}");
        let pos = out
            .find(&line)
            .unwrap_or_else(|| panic!("bullet line {line:?} missing:\n{out}"));
        assert!(pos >= last, "bullets out of order:\n{out}");
        last = pos;
    }
    assert!(nout.contains(&norm(&exp.lead)), "lead missing:\n{out}");
    for p in &exp.present {
        assert!(nout.contains(&norm(p)), "{p:?} missing:\n{out}");
    }
    for a in &exp.absent {
        assert!(
            !out.contains(a.as_str()),
            "cruft {a:?} in text output:\n{out}"
        );
    }
    assert!(
        serde_json::from_str::<Value>(&out).is_err(),
        "text format is for people, not JSON"
    );
}

#[test]
fn html_format_prints_clean_sanitized_html() {
    let exp = fixture_expected("inline-ads");
    let page = fixture_page("inline-ads");
    let o = run(&["extract", "--format", "html", &page.to_string_lossy()]);
    assert_no_panic(&o, "--format html");
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("<p"), "no paragraphs in HTML output:\n{out}");
    assert!(
        out.contains("Fares will not change during the trial"),
        "{out}"
    );
    let problems = html_safety(&out);
    assert!(problems.is_empty(), "{problems:?}\n{out}");
    for a in &exp.absent {
        assert!(
            !out.contains(a.as_str()),
            "cruft {a:?} in HTML output:\n{out}"
        );
    }
}

#[test]
fn stdin_dash_reads_the_page_from_standard_input() {
    let exp = fixture_expected("wordpress-blog");
    let bytes = std::fs::read(fixture_page("wordpress-blog")).unwrap();
    let o = run_with_stdin(&["extract", "--format", "json", "-"], &bytes);
    assert_no_panic(&o, "stdin");
    assert!(o.status.success(), "{}", stderr(&o));
    let v = single_json(&o).unwrap();
    assert_eq!(str_field(&v, "title"), Some(exp.title.as_str()));
    assert_eq!(
        str_field(&v, "lead").map(norm),
        Some(norm(&exp.lead)),
        "lead from stdin"
    );
}

/// An invented page with only relative URLs and no `<base>`, canonical or og tags.
const RELATIVE_PAGE: &str = r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Ferry timetable changes for the winter season</title></head>
<body>
<nav><a href="/">Home</a> <a href="/news/">News</a> <a href="/sport/">Sport</a></nav>
<article>
<h1>Ferry timetable changes for the winter season</h1>
<figure><img src="../images/ferry-winter.jpg" alt="The island ferry at the pier"><figcaption>The island ferry at the pier. Photo: Harbour Office</figcaption></figure>
<p>The island ferry will run four times a day instead of six from the first of November, the harbour office said on Monday, citing fewer passengers and the shorter daylight hours of the winter months.</p>
<p>The first sailing will leave the mainland pier at 7.15 and the last will return from the island at 18.40. The full <a href="timetables/winter-2026.pdf">winter timetable</a> is on the harbour office website.</p>
<p>Residents who commute to the mainland asked for an earlier boat on weekdays, but the operator said it could not find crew for a sailing before seven o'clock.</p>
<p>The summer timetable returns on the first weekend of April, as it did this year, and <a href="/news/2026/ferry-fares">fares stay the same</a> throughout the winter.</p>
</article>
<footer><a href="/contact">Contact</a></footer>
</body></html>"#;

#[test]
fn base_url_makes_relative_urls_absolute() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("ferry.html");
    std::fs::write(&page, RELATIVE_PAGE).unwrap();
    let o = run(&[
        "extract",
        "--format",
        "json",
        "--base-url",
        "https://islandnews.example/news/2026/10/ferry-winter.html",
        &page.to_string_lossy(),
    ]);
    assert_no_panic(&o, "--base-url");
    assert!(o.status.success(), "{}", stderr(&o));
    let v = single_json(&o).unwrap();
    let html = str_field(&v, "content_html").unwrap_or_default();
    let links = link_attrs(html);
    for want in [
        "https://islandnews.example/news/2026/10/timetables/winter-2026.pdf",
        "https://islandnews.example/news/2026/ferry-fares",
    ] {
        assert!(
            links.iter().any(|(a, u)| a == "href" && u == want),
            "no href={want:?} in {html}"
        );
    }
    for (attr, u) in &links {
        assert!(
            u.starts_with("https://") || u.starts_with('#'),
            "relative {attr}={u:?} left in {html}"
        );
    }
    assert_eq!(
        str_field(&v, "title"),
        Some("Ferry timetable changes for the winter season")
    );
    assert_eq!(
        str_field(&v, "image"),
        Some("https://islandnews.example/news/2026/images/ferry-winter.jpg"),
        "the article's first figure image is its lead image, resolved against --base-url"
    );
}

#[test]
fn without_base_url_relative_urls_resolve_against_the_canonical_url() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("ferry.html");
    let canonical = "<link rel=\"canonical\" \
                     href=\"https://islandnews.example/news/2026/10/ferry-winter.html\"></head>";
    std::fs::write(&page, RELATIVE_PAGE.replacen("</head>", canonical, 1)).unwrap();
    let o = run(&["extract", "--format", "json", &page.to_string_lossy()]);
    assert_no_panic(&o, "canonical base");
    assert!(o.status.success(), "{}", stderr(&o));
    let v = single_json(&o).unwrap();
    let html = str_field(&v, "content_html").unwrap_or_default();
    let links = link_attrs(html);
    for want in [
        "https://islandnews.example/news/2026/10/timetables/winter-2026.pdf",
        "https://islandnews.example/news/2026/ferry-fares",
    ] {
        assert!(
            links.iter().any(|(a, u)| a == "href" && u == want),
            "no href={want:?} in {html}"
        );
    }
    assert_eq!(
        str_field(&v, "image"),
        Some("https://islandnews.example/news/2026/images/ferry-winter.jpg")
    );
    assert_eq!(
        str_field(&v, "url"),
        Some("https://islandnews.example/news/2026/10/ferry-winter.html")
    );
}

/// A failing run whose stderr says one of `needles` (case aside). Each needle must name the
/// cause, so that no other failure (or the input's own name) can pass for it.
fn assert_fails_clearly(o: &Output, what: &str, needles: &[&str]) {
    assert_no_panic(o, what);
    assert!(
        !o.status.success(),
        "{what}: expected a non-zero exit, got success with stdout:\n{}",
        clip(&stdout(o))
    );
    let err = stderr(o).to_lowercase();
    assert!(
        needles.iter().any(|n| err.contains(&n.to_lowercase())),
        "{what}: stderr should say {needles:?}, got:\n{err}"
    );
}

/// A failing run whose stderr says every one of `needles` (case aside).
fn assert_fails_saying_all(o: &Output, what: &str, needles: &[&str]) {
    for needle in needles {
        assert_fails_clearly(o, what, &[needle]);
    }
}

#[test]
fn empty_input_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.html");
    std::fs::write(&empty, b"").unwrap();
    let o = run(&["extract", "--format", "json", &empty.to_string_lossy()]);
    assert_fails_clearly(&o, "empty file", &["empty input"]);
    let o = run_with_stdin(&["extract", "--format", "json", "-"], b"");
    assert_fails_clearly(&o, "empty stdin", &["empty input"]);
    let blank = dir.path().join("blank.html");
    std::fs::write(&blank, b" \n\t\n  \r\n").unwrap();
    let o = run(&["extract", "--format", "json", &blank.to_string_lossy()]);
    assert_fails_clearly(
        &o,
        "whitespace-only file",
        &["empty input", "no article content found"],
    );
}

#[test]
fn binary_input_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    // A PNG: signature, an IHDR chunk, then compressed-looking bytes.
    let mut png =
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x06\0\0\0\x1f\xf3\xffa".to_vec();
    png.extend((0u32..2048).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    let png_path = dir.path().join("photo.html");
    std::fs::write(&png_path, &png).unwrap();
    let o = run(&["extract", "--format", "json", &png_path.to_string_lossy()]);
    assert_fails_clearly(&o, "PNG bytes", &["binary data (png)"]);

    // A PDF: text-looking header, then a binary stream.
    let mut pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n4 0 obj\n<< /Length 2048 /Filter /FlateDecode >>\nstream\n".to_vec();
    pdf.extend((0u32..2048).map(|i| (i.wrapping_mul(2_246_822_519) >> 11) as u8));
    pdf.extend(b"\nendstream\nendobj\n%%EOF\n");
    let pdf_path = dir.path().join("report.pdf");
    std::fs::write(&pdf_path, &pdf).unwrap();
    let o = run(&["extract", "--format", "json", &pdf_path.to_string_lossy()]);
    assert_fails_clearly(&o, "PDF bytes", &["binary data (pdf)"]);
    let o = run_with_stdin(&["extract", "--format", "json", "-"], &pdf);
    assert_fails_clearly(&o, "PDF on stdin", &["binary data (pdf)"]);
}

/// An invented section front: navigation, teasers that are all links, a footer; no article.
const NAV_ONLY_PAGE: &str = r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Sport | The Riverside Gazette</title></head>
<body>
<header><a href="/">The Riverside Gazette</a>
<nav><ul><li><a href="/news/">News</a></li><li><a href="/sport/">Sport</a></li><li><a href="/business/">Business</a></li>
<li><a href="/culture/">Culture</a></li><li><a href="/opinion/">Opinion</a></li><li><a href="/weather/">Weather</a></li></ul></nav></header>
<main>
<h1>Sport</h1>
<ul class="teasers">
<li><a href="/sport/2026/10/rowing-club-wins-regatta">Rowing club wins autumn regatta</a></li>
<li><a href="/sport/2026/10/new-stand-approved">New stand approved for town football ground</a></li>
<li><a href="/sport/2026/10/marathon-route">Marathon route changed after bridge closure</a></li>
<li><a href="/sport/2026/10/cricket-awards">Cricket club honours volunteers at awards night</a></li>
</ul>
<div class="ad"><span>Advertisement</span></div>
</main>
<footer><ul><li><a href="/about">About us</a></li><li><a href="/contact">Contact</a></li><li><a href="/privacy">Privacy</a></li></ul>
<p>© 2026 The Riverside Gazette</p></footer>
</body></html>"#;

#[test]
fn a_page_without_an_article_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("sport.html");
    std::fs::write(&page, NAV_ONLY_PAGE).unwrap();
    let o = run(&["extract", "--format", "json", &page.to_string_lossy()]);
    assert_fails_clearly(&o, "nav-only page", &["no article content found"]);
}

// ---------------------------------------------------------------------------------------------
// URLs against a real loopback HTTP server

/// An invented article in windows-1252 whose charset is given only by the HTTP Content-Type.
const CP1252_ARTICLE: &str = "<!DOCTYPE html>
<html lang=\"en\"><head><title>Caf\u{e9} owners\u{2019} \u{20ac}2 coffee pledge wins over Hilltown \u{2013} Hilltown Herald</title></head>
<body><nav><a href=\"/\">Home</a> <a href=\"/news\">News</a></nav>
<article><h1>Caf\u{e9} owners\u{2019} \u{20ac}2 coffee pledge wins over Hilltown</h1>
<p>The owners of the Caf\u{e9} Rosier on Hilltown\u{2019}s main square have promised to keep a cup of filter coffee at \u{20ac}2 for the whole of next year, despite the rising price of beans.</p>
<div class=\"ad\">Advertisement</div>
<p>\u{201c}People come here every morning, some of them twice,\u{201d} said co-owner Am\u{e9}lie Roux. \u{201c}We would rather earn a little less on coffee than lose them.\u{201d}</p>
<p>The caf\u{e9} will make up part of the difference by roasting its own beans in a small roaster it bought second-hand this autumn.</p>
<p>Two other caf\u{e9}s on the square said they would review their prices in January.</p>
</article></body></html>";

#[test]
fn urls_are_fetched_and_failures_name_the_status() {
    let (body, _, unmappable) = encoding_rs::WINDOWS_1252.encode(CP1252_ARTICLE);
    assert!(
        !unmappable,
        "the test page is representable in windows-1252"
    );
    let server = common::Server::start();
    server.ok(
        "/news/cafe-coffee-pledge",
        "text/html; charset=windows-1252",
        body.into_owned(),
    );
    server.set(
        "/news/broken",
        common::Reply::full(
            500,
            "text/html",
            b"<html><body>Internal Server Error</body></html>".to_vec(),
        ),
    );
    let mut pdf =
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\nstream\n".to_vec();
    pdf.extend((0u32..4096).map(|i| (i.wrapping_mul(2_246_822_519) >> 11) as u8));
    server.ok("/files/annual-report.pdf", "application/pdf", pdf);
    let addr = server.addr;

    // Loopback is refused by default for article links; this configuration allows it.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("clearfeed.toml");
    std::fs::write(&config, "[fetch]\nallow_private_networks = true\n").unwrap();
    let with_config = |args: &[&str]| {
        clearfeed()
            .env("CLEARFEED_CONFIG", &config)
            .args(args)
            .output()
            .expect("clearfeed binary runs")
    };

    let ok_url = format!("http://{addr}/news/cafe-coffee-pledge");
    let o = with_config(&["extract", "--format", "json", &ok_url]);
    assert_no_panic(&o, "fetch");
    assert!(o.status.success(), "fetching {ok_url}: {}", stderr(&o));
    let v = single_json(&o).unwrap();
    assert_eq!(
        str_field(&v, "title"),
        Some("Caf\u{e9} owners\u{2019} \u{20ac}2 coffee pledge wins over Hilltown"),
        "decoded with the charset from the HTTP header"
    );
    assert_eq!(
        str_field(&v, "lead").map(norm),
        Some(norm(
            "The owners of the Caf\u{e9} Rosier on Hilltown\u{2019}s main square have promised to keep a cup of filter coffee at \u{20ac}2 for the whole of next year, despite the rising price of beans."
        ))
    );
    assert_eq!(
        str_field(&v, "url"),
        Some(ok_url.as_str()),
        "no canonical link: the fetched URL"
    );
    let text = str_field(&v, "text").unwrap_or_default();
    assert!(
        !text.contains("Advertisement") && !text.contains('\u{fffd}'),
        "{text}"
    );

    let missing = format!("http://{addr}/news/gone");
    let o = with_config(&["extract", "--format", "json", &missing]);
    assert_fails_clearly(&o, "404 URL", &["HTTP 404 (gone)"]);

    let broken = format!("http://{addr}/news/broken");
    let o = with_config(&["extract", "--format", "json", &broken]);
    assert_fails_clearly(&o, "500 URL", &[": HTTP 500"]);

    let pdf_url = format!("http://{addr}/files/annual-report.pdf");
    let o = with_config(&["extract", "--format", "json", &pdf_url]);
    assert_fails_clearly(&o, "PDF over HTTP", &["binary data (pdf)"]);

    // Nothing listens on this port any more: connection refused.
    let closed = common::unused_addr();
    let refused = format!("http://{closed}/news/anything");
    let o = with_config(&["extract", "--format", "json", &refused]);
    assert_fails_saying_all(
        &o,
        "refused connection",
        &[&refused, "connection failed", "refused"],
    );

    // In a batch, the failing URL is one error line and the good one still comes through.
    let o = with_config(&["extract", "--format", "jsonl", &missing, &ok_url]);
    assert_no_panic(&o, "jsonl over URLs");
    let out = stdout(&o);
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(
        str_field(&lines[0], "error").is_some_and(|e| e.contains("HTTP 404 (gone)")),
        "{out}"
    );
    assert_eq!(str_field(&lines[1], "source"), Some(ok_url.as_str()));
    assert!(str_field(&lines[1], "title").is_some(), "{out}");
}

// ---------------------------------------------------------------------------------------------
// Site rules as data (`--rules FILE`, the same keys as a feed's `[extract]` table)

/// An invented page whose key points are paragraphs in a custom box and whose body ends with a
/// sponsor note that reads like an ordinary paragraph: only site rules can know.
const RULES_PAGE: &str = r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Lakeside school switches to a four-day week | Lakeside Ledger</title></head>
<body>
<nav><a href="/">Home</a> <a href="/schools/">Schools</a> <a href="/sports/">Sports</a></nav>
<article>
<h1 class="story-title">Lakeside school switches to a four-day week</h1>
<div class="quick-read">
<p class="qr-item">Classes will run Monday to Thursday from next August</p>
<p class="qr-item">School days get 70 minutes longer</p>
<p class="qr-item">Fridays become optional tutoring and sports days</p>
</div>
<div class="story-text">
<p>Lakeside Consolidated School will move to a four-day week from next August after its board voted five to two on Tuesday, making it the first school in the county to drop Friday classes.</p>
<p>The school day will start 35 minutes earlier and finish 35 minutes later, so pupils will spend about the same number of hours in class each year as they do now.</p>
<p>Principal Aaron Whitfield said the change would save about $180,000 a year in bus and heating costs and help the school keep teachers who live in the city, an hour's drive away.</p>
<p>Parents at the meeting were divided. Several said they could not find or afford childcare on Fridays, and the board agreed to keep the building open for tutoring and sports on that day.</p>
<p class="sponsor-note">This article is part of our Rural Schools series, supported by the Hartwell Family Foundation.</p>
</div>
</article>
<footer><a href="/contact">Contact</a></footer>
</body></html>"#;

#[test]
fn site_rules_pick_bullets_and_remove_what_the_site_says() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("school.html");
    std::fs::write(&page, RULES_PAGE).unwrap();
    let rules = dir.path().join("rules.toml");
    std::fs::write(
        &rules,
        "body = [\".story-text\"]\nbullets = [\".quick-read .qr-item\"]\nremove = [\".sponsor-note\"]\n",
    )
    .unwrap();
    let o = run(&[
        "extract",
        "--format",
        "json",
        "--rules",
        &rules.to_string_lossy(),
        &page.to_string_lossy(),
    ]);
    assert_no_panic(&o, "--rules");
    assert!(o.status.success(), "{}", stderr(&o));
    let v = single_json(&o).unwrap();
    let exp = Expected {
        title: "Lakeside school switches to a four-day week".into(),
        bullets: vec![
            "Classes will run Monday to Thursday from next August".into(),
            "School days get 70 minutes longer".into(),
            "Fridays become optional tutoring and sports days".into(),
        ],
        lead: "Lakeside Consolidated School will move to a four-day week from next August after its board voted five to two on Tuesday, making it the first school in the county to drop Friday classes.".into(),
        byline: None,
        dek: None,
        published: None,
        language: Some("en".into()),
        image: None,
        url: None,
        present: vec![
            "The school day will start 35 minutes earlier".into(),
            "Principal Aaron Whitfield said the change would save about $180,000".into(),
            "Parents at the meeting were divided.".into(),
        ],
        absent: vec!["Rural Schools series".into(), "Hartwell Family Foundation".into()],
        captions: vec![],
        args: vec![],
        absolute_links: false,
        links: vec![],
        min_paragraphs: Some(4),
    };
    let problems = check_article(&exp, &v);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn an_invalid_site_rule_is_a_clear_error_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("school.html");
    std::fs::write(&page, RULES_PAGE).unwrap();
    let rules = dir.path().join("rules.toml");
    std::fs::write(&rules, "body = [\"div[[class=\"]\n").unwrap();
    let o = run(&[
        "extract",
        "--format",
        "json",
        "--rules",
        &rules.to_string_lossy(),
        &page.to_string_lossy(),
    ]);
    assert_fails_clearly(&o, "invalid body selector", &["invalid site rule body"]);
}

// ---------------------------------------------------------------------------------------------
// Charsets without an HTTP header: byte-order marks, and detection when nothing is declared

/// An invented German article with plenty of non-ASCII letters and no charset declaration.
const UNDECLARED_ARTICLE: &str = "<html lang=\"de\"><head><title>Fähre über die Förde fährt wieder</title></head><body>
<nav><a href=\"/\">Startseite</a> <a href=\"/region\">Region</a></nav>
<article><h1>Fähre über die Förde fährt wieder</h1>
<p>Nach fünf Wochen Pause fährt die Fähre zwischen Möltenort und Friedrichsort seit Montag wieder nach dem gewohnten Fahrplan. Die Reparatur des Getriebes hatte länger gedauert als zunächst geplant.</p>
<p>Pendler, die in der Zwischenzeit über die Brücke ausweichen mussten, begrüßten die Rückkehr der Fähre. „Das spart mir jeden Tag fast eine Stunde“, sagte eine Krankenschwester aus Möltenort.</p>
<p>Die Betreibergesellschaft kündigte an, für die Zukunft ein Ersatzgetriebe vorrätig zu halten, damit sich ein so langer Ausfall nicht wiederholt.</p>
<p>Die Fahrkarten, die während der Pause gültig gewesen wären, können bis Ende des Monats zurückgegeben werden.</p>
</article></body></html>";

#[test]
fn charsets_from_byte_order_marks_and_detection() {
    let title = "Fähre über die Förde fährt wieder";
    let lead = "Nach fünf Wochen Pause fährt die Fähre zwischen Möltenort und Friedrichsort seit Montag wieder nach dem gewohnten Fahrplan. Die Reparatur des Getriebes hatte länger gedauert als zunächst geplant.";
    let dir = tempfile::tempdir().unwrap();

    let mut utf8_bom = b"\xef\xbb\xbf".to_vec();
    utf8_bom.extend(UNDECLARED_ARTICLE.as_bytes());
    let mut utf16le_bom = b"\xff\xfe".to_vec();
    utf16le_bom.extend(
        UNDECLARED_ARTICLE
            .encode_utf16()
            .flat_map(|u| u.to_le_bytes()),
    );
    let (cp1252, _, unmappable) = encoding_rs::WINDOWS_1252.encode(UNDECLARED_ARTICLE);
    assert!(!unmappable);

    let mut report = Vec::new();
    for (name, bytes) in [
        ("utf-8 with BOM", utf8_bom),
        ("utf-16le with BOM", utf16le_bom),
        ("windows-1252, undeclared", cp1252.into_owned()),
    ] {
        let path = dir.path().join("faehre.html");
        std::fs::write(&path, &bytes).unwrap();
        let o = run(&["extract", "--format", "json", &path.to_string_lossy()]);
        assert_no_panic(&o, name);
        let v = match (o.status.success(), single_json(&o)) {
            (true, Ok(v)) => v,
            (_, r) => {
                report.push(format!(
                    "{name}: failed: {} {:?}",
                    stderr(&o).trim(),
                    r.err()
                ));
                continue;
            }
        };
        if str_field(&v, "title") != Some(title) {
            report.push(format!("{name}: title {:?}", str_field(&v, "title")));
        }
        if str_field(&v, "lead").map(norm) != Some(norm(lead)) {
            report.push(format!("{name}: lead {:?}", str_field(&v, "lead")));
        }
        let text = str_field(&v, "text").unwrap_or_default();
        if text.contains('\u{fffd}') || text.contains('\u{feff}') || text.contains("Ã") {
            report.push(format!("{name}: mis-decoded text {:?}", clip(text)));
        }
    }
    assert!(report.is_empty(), "{}", report.join("\n"));
}

/// Broken or hostile markup nests thousands of elements deep (unclosed tags, generated wrappers):
/// the extractor must neither overflow its stack nor lose the article.
#[test]
fn deeply_nested_markup_does_not_crash() {
    let article: String = std::iter::once("<article><h1>Deep page</h1>".to_string())
        .chain((0..5).map(|i| {
            format!(
                "<p>Paragraph {i} of a page whose markup nests far deeper than any sane template, yet still carries an ordinary article inside it.</p>"
            )
        }))
        .chain(std::iter::once("</article>".to_string()))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    for (name, page) in [
        (
            "5000 nested divs",
            format!(
                "<html><body>{}{article}{}</body></html>",
                "<div>".repeat(5000),
                "</div>".repeat(5000)
            ),
        ),
        (
            "5000 unclosed inline tags",
            format!(
                "<html><body>{}{article}</body></html>",
                "<font><b><i>".repeat(5000)
            ),
        ),
    ] {
        let path = dir.path().join("deep.html");
        std::fs::write(&path, page).unwrap();
        let o = run(&["extract", "--format", "json", &path.to_string_lossy()]);
        assert_no_panic(&o, name);
        assert!(
            o.status.code().is_some(),
            "{name}: killed by a signal (stack overflow?): {}",
            stderr(&o)
        );
        assert!(o.status.success(), "{name}: {}", stderr(&o));
        let v = single_json(&o).unwrap();
        assert_eq!(str_field(&v, "title"), Some("Deep page"), "{name}");
        assert!(
            str_field(&v, "lead").is_some_and(|l| l.starts_with("Paragraph 0 of a page")),
            "{name}: {v}"
        );
    }
}

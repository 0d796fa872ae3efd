//! `clearfeed rules check [HOST…]`: fetch each rule file's `test_url` through the pipeline's
//! polite fetcher (robots.txt, per-host pacing, the host's own headers), extract it with the
//! rules that apply to it (multi-page included), and say whether the body rule matched and the
//! `test_contains` phrases are in the text. A health report for rules that went stale.

use std::process::ExitCode;
use std::sync::Arc;

use crate::config::AppConfig;
use crate::extract::{Extractor, SiteRules, choose};
use crate::fetch::{FetchRequest, Fetched, Fetcher};
use crate::rules::{HostRules, RulesLibrary, TestUrl};

/// What one test URL showed.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// The body rule matched (or there is none) and every phrase is in the text.
    Ok,
    /// Fetched and extracted, but the body rule did not match or a phrase is missing.
    Stale,
    /// Not fetched or not extracted; why.
    Failed(String),
    /// The site needs a login; its rules are not applied.
    Login,
}

/// One line of the report.
#[derive(Debug, Clone)]
pub struct Checked {
    pub file: String,
    pub url: String,
    /// `Some(matched)` when the rules name a body.
    pub body: Option<bool>,
    /// Phrases found, of those the test lists.
    pub found: usize,
    pub phrases: usize,
    pub verdict: Verdict,
}

/// `clearfeed rules check`: prints one line per test URL and a summary; exit status 1 when
/// any test was not ok.
pub async fn command(config: &AppConfig, hosts: &[String]) -> anyhow::Result<ExitCode> {
    let fetcher = Fetcher::new(&config.fetch, &config.user_agent)?;
    let results = check(&config.rules, hosts, &fetcher).await;
    if results.is_empty() {
        say!("no rule file with a test_url")?;
    }
    let mut bad = 0;
    for r in &results {
        let label = match &r.verdict {
            Verdict::Ok => "ok",
            Verdict::Stale => "STALE",
            Verdict::Failed(_) => "FAILED",
            Verdict::Login => "login",
        };
        bad += usize::from(matches!(r.verdict, Verdict::Stale | Verdict::Failed(_)));
        let detail = match &r.verdict {
            Verdict::Failed(why) => why.clone(),
            Verdict::Login => "requires_login: rules not applied".into(),
            _ => {
                let body = match r.body {
                    Some(true) => "matched",
                    Some(false) => "missed",
                    None => "none",
                };
                format!("body={body} contains={}/{}", r.found, r.phrases)
            }
        };
        say!("{label:<6} {}  {}  {detail}", r.file, r.url)?;
    }
    say!(
        "rules check: tested={} ok={} not_ok={bad}",
        results.len(),
        results.iter().filter(|r| r.verdict == Verdict::Ok).count()
    )?;
    Ok(super::commands::exit_code(bad == 0))
}

/// Every test of the rule files that apply to `hosts` (all files when empty), by file name.
pub async fn check(library: &RulesLibrary, hosts: &[String], fetcher: &Fetcher) -> Vec<Checked> {
    let mut files: Vec<&HostRules> = if hosts.is_empty() {
        library.iter().collect()
    } else {
        hosts.iter().flat_map(|h| library.for_host(h)).collect()
    };
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files.dedup_by(|a, b| a.path == b.path);
    let mut out = Vec::new();
    for file in files {
        for test in &file.tests {
            out.push(check_one(library, file, test, fetcher).await);
        }
    }
    out
}

async fn check_one(
    library: &RulesLibrary,
    file: &HostRules,
    test: &TestUrl,
    fetcher: &Fetcher,
) -> Checked {
    let mut checked = Checked {
        file: file.path.display().to_string(),
        url: test.url.clone(),
        body: None,
        found: 0,
        phrases: test.contains.len(),
        verdict: Verdict::Ok,
    };
    if file.requires_login {
        checked.verdict = Verdict::Login;
        return checked;
    }
    match read(library, &test.url, fetcher).await {
        Ok(article) => {
            let text = crate::extract::collapse_whitespace(&article.text);
            checked.body = article.site_body;
            checked.found = (test.contains.iter())
                .filter(|p| text.contains(&crate::extract::collapse_whitespace(p)))
                .count();
            if checked.body == Some(false) || checked.found < checked.phrases {
                checked.verdict = Verdict::Stale;
            }
        }
        Err(why) => checked.verdict = Verdict::Failed(why),
    }
    checked
}

/// The article at `url` as the pipeline would read it with the rules for its host.
async fn read(
    library: &RulesLibrary,
    url: &str,
    fetcher: &Fetcher,
) -> Result<crate::extract::Article, String> {
    let url = url::Url::parse(url).map_err(|e| format!("invalid test_url: {e}"))?;
    let chosen = choose(library, &SiteRules::default(), Some(&url));
    let extractor = Arc::new(Extractor::new(&chosen.rules).map_err(|e| e.to_string())?);
    let request = FetchRequest {
        check_robots: true,
        headers: &chosen.headers,
        ..FetchRequest::new(&url)
    };
    let page = match fetcher.fetch(&request).await {
        Ok(Fetched::Page(page)) => page,
        Ok(Fetched::NotModified) => return Err("HTTP 304 to an unconditional request".into()),
        Err(e) => return Err(e.to_string()),
    };
    let pages = crate::pipeline::article_pages(fetcher, &extractor, page, &request).await;
    tokio::task::spawn_blocking(move || extractor.article_of_pages(&pages))
        .await
        .map_err(|e| format!("extraction panicked: {e}"))?
        .map_err(|e| format!("extraction: {e}"))
}

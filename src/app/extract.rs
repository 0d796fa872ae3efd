//! `clearfeed extract`: read pages (files, stdin, http(s) URLs), extract and summarize each, print
//! them as JSON, JSON lines, text for people, or clean HTML. The extractor is built once for all
//! inputs; a failing input in `jsonl` mode is reported on its own line and the others go on. URLs
//! are fetched by the pipeline's own [`Fetcher`] (address guard, size cap, redirect checks, user
//! agent); `--allow-private` lets it reach loopback and private addresses for local use.

use std::io::{Read, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, bail};
use serde::Serialize;

use crate::app::cli::{ExtractArgs, ExtractFormat};
use crate::extract::{Article, Chosen, Extractor, SiteRules, choose};
use crate::fetch::{FetchConfig, FetchRequest, Fetched, Fetcher, Page};
use crate::rules::RulesLibrary;
use crate::summarize::{Summary, summarize};

/// Pages larger than this are refused rather than read into memory.
const MAX_PAGE_BYTES: usize = 20 * 1024 * 1024;

/// The JSON shape of one extracted article. Every field is always present (null when unknown), so
/// consumers never have to distinguish "missing" from "empty".
#[derive(Debug, Serialize)]
pub struct ArticleJson<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<&'a str>,
    pub title: Option<&'a str>,
    pub byline: Option<&'a str>,
    pub published: Option<String>,
    pub url: Option<&'a str>,
    pub image: Option<&'a str>,
    pub language: Option<&'a str>,
    /// The page's own summary line under the headline (dek, standfirst), null when none.
    pub dek: Option<&'a str>,
    pub bullets: &'a [String],
    pub lead: Option<&'a str>,
    pub summary: Option<&'a str>,
    pub text: &'a str,
    pub content_html: &'a str,
    pub word_count: usize,
    /// A site rule recognised the page as a native ad (sponsored content).
    pub native_ad: bool,
}

impl<'a> ArticleJson<'a> {
    pub fn new(article: &'a Article, summary: &'a Summary, source: Option<&'a str>) -> Self {
        let non_empty = |s: &'a str| (!s.is_empty()).then_some(s);
        ArticleJson {
            source,
            title: non_empty(&article.title),
            byline: article.byline.as_deref(),
            published: article.published.map(|d| d.to_rfc3339()),
            url: article.url.as_deref(),
            image: article.image.as_deref(),
            language: article.language.as_deref(),
            dek: article.dek.as_deref(),
            bullets: &article.bullets,
            lead: non_empty(&summary.lead),
            summary: non_empty(&summary.text),
            text: &article.text,
            content_html: &article.content_html,
            word_count: article.word_count(),
            native_ad: article.native_ad,
        }
    }
}

/// `clearfeed extract`. Exit status: 0 when every input was extracted; 1 when any failed (with
/// `--format jsonl` after all inputs have been tried, each failure printed as an `error` line).
pub fn command(
    args: &ExtractArgs,
    fetch: FetchConfig,
    user_agent: &str,
    library: &RulesLibrary,
) -> anyhow::Result<ExitCode> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    run_with(args, fetch, user_agent, library, &mut out)
}

/// The command with its output stream as a parameter (tests capture it), fetching URLs with the
/// default `[fetch]` settings.
pub fn run(args: &ExtractArgs, out: &mut impl Write) -> anyhow::Result<ExitCode> {
    let ua = crate::fetch::DEFAULT_USER_AGENT;
    run_with(
        args,
        FetchConfig::default(),
        ua,
        &RulesLibrary::default(),
        out,
    )
}

/// The command with the `[fetch]` settings and user agent URLs are fetched with (from
/// `clearfeed.toml` when there is one); `--allow-private` adds to them.
pub fn run_with(
    args: &ExtractArgs,
    mut fetch: FetchConfig,
    user_agent: &str,
    library: &RulesLibrary,
    out: &mut impl Write,
) -> anyhow::Result<ExitCode> {
    let rules = match &args.rules {
        Some(path) => load_rules(path)?,
        None => SiteRules::default(),
    };
    let mut extractors = Extractors::new(args, &rules)?;
    fetch.allow_private_networks |= args.allow_private;
    fetch.max_page_bytes = fetch.max_page_bytes.max(MAX_PAGE_BYTES as u64);
    let mut reader = Reader::new(args.base_url.clone(), fetch, user_agent.to_string());

    if args.format != ExtractFormat::Jsonl && args.inputs.len() > 1 {
        bail!(
            "{} inputs given: use --format jsonl to extract several pages in one run",
            args.inputs.len()
        );
    }

    let mut failed = 0usize;
    for input in &args.inputs {
        let result = reader
            .article(input, library, &rules, &mut extractors)
            .with_context(|| input.clone());
        match (args.format, result) {
            (ExtractFormat::Jsonl, Ok(article)) => {
                let summary = summarize(&article);
                let json = ArticleJson::new(&article, &summary, Some(input));
                serde_json::to_writer(&mut *out, &json)?;
                writeln!(out)?;
            }
            (ExtractFormat::Jsonl, Err(err)) => {
                failed += 1;
                let line = serde_json::json!({ "source": input, "error": format!("{err:#}") });
                writeln!(out, "{line}")?;
            }
            (_, Err(err)) => return Err(err),
            (ExtractFormat::Json, Ok(article)) => {
                let summary = summarize(&article);
                serde_json::to_writer_pretty(
                    &mut *out,
                    &ArticleJson::new(&article, &summary, None),
                )?;
                writeln!(out)?;
            }
            (ExtractFormat::Text, Ok(article)) => {
                write!(out, "{}", render_text(&article, &summarize(&article)))?;
            }
            (ExtractFormat::Html, Ok(article)) => {
                writeln!(out, "{}", article.content_html)?;
            }
        }
        out.flush()?;
    }
    Ok(if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// One extractor per rule set met so far (the `--rules` file's, and each host's over it).
struct Extractors {
    built: Vec<(SiteRules, std::sync::Arc<Extractor>)>,
}

impl Extractors {
    /// Checks the `--rules` file's rules by building their extractor.
    fn new(args: &ExtractArgs, rules: &SiteRules) -> anyhow::Result<Self> {
        let extractor = Extractor::new(rules).with_context(|| match &args.rules {
            Some(path) => format!("rules file {}", path.display()),
            None => "built-in rules".to_owned(),
        })?;
        Ok(Extractors {
            built: vec![(rules.clone(), std::sync::Arc::new(extractor))],
        })
    }

    fn get(&mut self, chosen: &Chosen) -> anyhow::Result<std::sync::Arc<Extractor>> {
        if let Some((_, x)) = self.built.iter().find(|(r, _)| *r == chosen.rules) {
            return Ok(x.clone());
        }
        let files: Vec<_> = chosen
            .files
            .iter()
            .map(|f| f.display().to_string())
            .collect();
        let x = Extractor::new(&chosen.rules)
            .with_context(|| format!("site rules {}", files.join(", ")))?;
        let x = std::sync::Arc::new(x);
        self.built.push((chosen.rules.clone(), x.clone()));
        Ok(x)
    }
}

/// Says on stderr which site rules were skipped because the site needs a login.
fn note_login(chosen: &Chosen) {
    for file in &chosen.login_skipped {
        eprintln!(
            "note: site rules {} not applied: the site requires a login",
            file.display()
        );
    }
}

/// Reads a `--rules` TOML file into [`SiteRules`]; errors name the file (and, from toml, the line).
pub fn load_rules(path: &Path) -> anyhow::Result<SiteRules> {
    let raw = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read rules file {}", path.display()))?;
    toml::from_str(&raw).with_context(|| format!("invalid rules file {}", path.display()))
}

/// The article for people: headline, what is known about it, the summary, then the full text.
pub fn render_text(article: &Article, summary: &Summary) -> String {
    let mut s = String::new();
    if !article.title.is_empty() {
        s.push_str(&article.title);
        s.push('\n');
    }
    let published = article.published.map(|d| d.to_rfc3339());
    let about: Vec<&str> = [
        article.byline.as_deref(),
        published.as_deref(),
        article.url.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !about.is_empty() {
        s.push_str(&about.join(" · "));
        s.push('\n');
    }
    s.push('\n');
    if !summary.text.is_empty() {
        s.push_str(&summary.text);
        s.push_str("\n\n――――\n\n");
    }
    s.push_str(&article.text);
    s.push('\n');
    s
}

/// Reads inputs: files, `-` (stdin), and http(s) URLs. The fetcher and its runtime are built on
/// the first URL and reused for the rest.
struct Reader {
    base_url: Option<url::Url>,
    fetch: FetchConfig,
    user_agent: String,
    http: Option<(tokio::runtime::Runtime, Fetcher)>,
}

impl Reader {
    fn new(base_url: Option<url::Url>, fetch: FetchConfig, user_agent: String) -> Self {
        Reader {
            base_url,
            fetch,
            user_agent,
            http: None,
        }
    }

    /// Reads one input and extracts its article with the site rules of its host: the URL's, or
    /// for a file or stdin `--base-url`'s or the page's canonical URL's. A fetched article's
    /// further pages (the rules' page links) are fetched and joined.
    fn article(
        &mut self,
        input: &str,
        library: &RulesLibrary,
        rules: &SiteRules,
        extractors: &mut Extractors,
    ) -> anyhow::Result<Article> {
        if input.starts_with("http://") || input.starts_with("https://") {
            let url = url::Url::parse(input).context("invalid URL")?;
            let chosen = choose(library, rules, Some(&url));
            note_login(&chosen);
            let extractor = extractors.get(&chosen)?;
            let page = self.fetch(&url, &chosen.headers)?;
            let (runtime, fetcher) = self.http.as_ref().expect("fetched above");
            let request = FetchRequest {
                headers: &chosen.headers,
                ..FetchRequest::new(&url)
            };
            let pages = runtime.block_on(crate::pipeline::article_pages(
                fetcher, &extractor, page, &request,
            ));
            return Ok(extractor.article_of_pages(&pages)?);
        }
        let page = self.read(input)?;
        let url = page
            .url
            .clone()
            .or_else(|| crate::extract::canonical_url(&page));
        let chosen = choose(library, rules, url.as_ref());
        note_login(&chosen);
        Ok(extractors.get(&chosen)?.article(&page)?)
    }

    /// A file or `-` (stdin).
    fn read(&mut self, input: &str) -> anyhow::Result<Page> {
        if input == "-" {
            let mut body = Vec::new();
            std::io::stdin()
                .lock()
                .take(MAX_PAGE_BYTES as u64 + 1)
                .read_to_end(&mut body)
                .context("cannot read standard input")?;
            check_size(body.len())?;
            return Ok(Page::from_bytes(body, self.base_url.clone()));
        }
        let path = Path::new(input);
        if let Some((scheme, _)) = input.split_once("://")
            && !path.exists()
            && !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        {
            bail!("unsupported URL scheme {scheme:?}: only http:// and https:// URLs are fetched");
        }
        let len = std::fs::metadata(path)
            .with_context(|| format!("cannot read {}", path.display()))?
            .len();
        check_size(usize::try_from(len).unwrap_or(usize::MAX))?;
        let body =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        Ok(Page::from_bytes(body, self.base_url.clone()))
    }

    /// GETs a page through the pipeline's fetcher; a failure names its cause (status, refusal,
    /// timeout, size).
    fn fetch(&mut self, url: &url::Url, headers: &[(String, String)]) -> anyhow::Result<Page> {
        if self.http.is_none() {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .context("cannot start the HTTP runtime")?;
            let fetcher = Fetcher::new(&self.fetch, &self.user_agent)?;
            self.http = Some((runtime, fetcher));
        }
        let (runtime, fetcher) = self.http.as_ref().expect("just initialised");
        // The input (the URL) is named by the caller's context: say only the cause here.
        let prefix = format!("{url}: ");
        let request = FetchRequest {
            headers,
            ..FetchRequest::new(url)
        };
        match runtime.block_on(fetcher.fetch(&request)) {
            Ok(Fetched::Page(page)) => Ok(page),
            Ok(Fetched::NotModified) => bail!("HTTP 304 to an unconditional request"),
            Err(err) => {
                let message = err.to_string();
                bail!("{}", message.strip_prefix(&prefix).unwrap_or(&message))
            }
        }
    }
}

fn check_size(len: usize) -> anyhow::Result<()> {
    if len > MAX_PAGE_BYTES {
        bail!(
            "input is larger than {} MiB; not a page",
            MAX_PAGE_BYTES / (1024 * 1024)
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_file_errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("site.toml");
        std::fs::write(&path, "body = [\".story\"]\nunknown_key = 1\n").unwrap();
        let err = format!("{:#}", load_rules(&path).unwrap_err());
        assert!(err.contains("site.toml"), "{err}");
        assert!(err.contains("unknown_key"), "{err}");

        let missing = dir.path().join("missing.toml");
        let err = format!("{:#}", load_rules(&missing).unwrap_err());
        assert!(err.contains("missing.toml"), "{err}");

        std::fs::write(&path, "body = [\".story\"]\ntitle = \"h1.headline\"\n").unwrap();
        let rules = load_rules(&path).unwrap();
        assert_eq!(rules.body, vec![".story"]);
        assert_eq!(rules.title.as_deref(), Some("h1.headline"));
    }

    fn args(format: ExtractFormat, inputs: &[&str]) -> ExtractArgs {
        ExtractArgs {
            format,
            base_url: None,
            allow_private: true,
            rules: None,
            rules_dir: None,
            ftr_rules_dir: None,
            config: None,
            inputs: inputs.iter().map(|s| s.to_string()).collect(),
        }
    }

    const STORY: &str = "Night ferry returns after winter break\n\n• Crossings resume on Friday\n\nThe night ferry between the two islands returns on Friday after its winter break, the operator said on Tuesday.\n";

    /// A loopback HTTP server answering 404 on every path except `/story`, on its own thread and
    /// runtime (the command builds its own runtime, as it does in real use).
    fn serve_story() -> std::net::SocketAddr {
        use axum::{Router, http::StatusCode, routing::get};
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let app = Router::new()
                    .route(
                        "/story",
                        get(|| async { ([("content-type", "text/plain; charset=utf-8")], STORY) }),
                    )
                    .fallback(|| async { (StatusCode::NOT_FOUND, "gone") });
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(listener.local_addr().unwrap()).unwrap();
                axum::serve(listener, app).await.unwrap();
            });
        });
        rx.recv().unwrap()
    }

    #[test]
    fn other_url_schemes_are_named_not_taken_for_files() {
        for input in ["ftp://news.example/story.html", "gopher://news.example/1"] {
            let err = run(&args(ExtractFormat::Json, &[input]), &mut Vec::new()).unwrap_err();
            let msg = format!("{err:#}");
            assert!(msg.contains("unsupported URL scheme"), "{msg}");
            assert!(!msg.contains("No such file"), "{msg}");
        }
    }

    #[test]
    fn loopback_urls_are_refused_unless_allowed() {
        let addr = serve_story();
        let url = format!("http://{addr}/story");
        let mut refused = args(ExtractFormat::Json, &[url.as_str()]);
        refused.allow_private = false;
        let err = run(&refused, &mut Vec::new()).unwrap_err();
        assert!(
            format!("{err:#}").contains("private"),
            "the address guard names the refusal: {err:#}"
        );
        let mut out = Vec::new();
        let code = run(&args(ExtractFormat::Json, &[url.as_str()]), &mut out).unwrap();
        assert_eq!(code, ExitCode::SUCCESS);
        assert!(String::from_utf8(out).unwrap().contains("Night ferry"));
    }

    #[test]
    fn jsonl_reports_each_failure_and_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("good.txt");
        std::fs::write(&good, STORY).unwrap();
        let empty = dir.path().join("empty.html");
        std::fs::write(&empty, "").unwrap();
        let missing = dir.path().join("missing.html");
        let addr = serve_story();
        let url_ok = format!("http://{addr}/story");
        let url_404 = format!("http://{addr}/nope");
        let inputs = [
            good.to_str().unwrap(),
            empty.to_str().unwrap(),
            missing.to_str().unwrap(),
            url_404.as_str(),
            url_ok.as_str(),
        ];
        let mut out = Vec::new();
        let code = run(&args(ExtractFormat::Jsonl, &inputs), &mut out).unwrap();
        assert_eq!(code, ExitCode::FAILURE);
        let lines: Vec<serde_json::Value> = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 5);
        for (line, input) in lines.iter().zip(inputs) {
            assert_eq!(line["source"], input);
        }
        assert_eq!(lines[0]["title"], "Night ferry returns after winter break");
        assert_eq!(
            lines[0]["bullets"],
            serde_json::json!(["Crossings resume on Friday"])
        );
        assert!(lines[1]["error"].as_str().unwrap().contains("empty input"));
        assert!(lines[2]["error"].as_str().unwrap().contains("cannot read"));
        let err = lines[3]["error"].as_str().unwrap();
        assert!(err.ends_with(": HTTP 404 (gone)"), "{err}");
        assert_eq!(lines[4]["url"], url_ok.as_str());
        assert_eq!(
            lines[4]["summary"],
            "• Crossings resume on Friday\n\nThe night ferry between the two islands returns on Friday after its winter break, the operator said on Tuesday."
        );
    }

    #[test]
    fn single_input_failure_is_an_error_and_several_need_jsonl() {
        let mut out = Vec::new();
        let err = run(
            &args(ExtractFormat::Json, &["/nonexistent/page.html"]),
            &mut out,
        )
        .unwrap_err();
        assert!(format!("{err:#}").contains("/nonexistent/page.html"));
        let err = run(&args(ExtractFormat::Text, &["a", "b"]), &mut out).unwrap_err();
        assert!(err.to_string().contains("--format jsonl"));
        assert!(out.is_empty());
    }

    #[test]
    fn text_and_html_formats() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("good.txt");
        std::fs::write(&good, STORY).unwrap();
        let mut out = Vec::new();
        run(
            &args(ExtractFormat::Text, &[good.to_str().unwrap()]),
            &mut out,
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("Night ferry returns after winter break\n\n• Crossings resume on Friday\n\nThe night ferry"), "{text}");
        let mut out = Vec::new();
        run(
            &args(ExtractFormat::Html, &[good.to_str().unwrap()]),
            &mut out,
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "<p>The night ferry between the two islands returns on Friday after its winter break, the operator said on Tuesday.</p>\n"
        );
    }

    #[test]
    fn rules_file_is_applied_and_bad_rules_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let page = dir.path().join("page.txt");
        std::fs::write(
            &page,
            format!("{STORY}\nSponsored by Harbour Ferries Ltd\n\nThe timetable is unchanged from last year.\n"),
        )
        .unwrap();
        let rules = dir.path().join("site.toml");
        std::fs::write(&rules, "drop_text = [\"Sponsored by .*\"]\n").unwrap();
        let mut a = args(ExtractFormat::Jsonl, &[page.to_str().unwrap()]);
        a.rules = Some(rules.clone());
        let mut out = Vec::new();
        assert_eq!(run(&a, &mut out).unwrap(), ExitCode::SUCCESS);
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        let text = v["text"].as_str().unwrap();
        assert!(!text.contains("Sponsored"), "{text}");
        assert!(text.ends_with("The timetable is unchanged from last year."));

        std::fs::write(&rules, "title = \"h1[\"\n").unwrap();
        let err = format!("{:#}", run(&a, &mut Vec::new()).unwrap_err());
        assert!(err.contains("site.toml") && err.contains("title"), "{err}");
    }

    #[test]
    fn json_has_every_field_even_when_unknown() {
        let article = Article {
            paragraphs: vec!["Only a paragraph here.".into()],
            text: "Only a paragraph here.".into(),
            ..Article::default()
        };
        let summary = summarize(&article);
        let v = serde_json::to_value(ArticleJson::new(&article, &summary, None)).unwrap();
        let obj = v.as_object().unwrap();
        for key in [
            "title",
            "byline",
            "published",
            "url",
            "image",
            "language",
            "dek",
            "bullets",
            "lead",
            "summary",
            "text",
            "content_html",
            "word_count",
        ] {
            assert!(obj.contains_key(key), "missing {key}");
        }
        assert!(!obj.contains_key("source"));
        assert_eq!(obj["title"], serde_json::Value::Null);
        assert_eq!(obj["bullets"], serde_json::json!([]));
        assert_eq!(obj["word_count"], 4);
    }
}

//! `clearfeed add URL [--id ID] [--dry-run]`: finds a site's feeds (the ones its page links to,
//! then the common paths, then its sitemap), fetches each through the polite fetcher, says what
//! each is (title, items, full text or partial), and writes `feeds/<id>.toml` for the best one.
//! Without any, it proposes a listing-page source with a guessed selector, and says it is a guess.
//! Never overwrites a file.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, bail};

use crate::config::AppConfig;
use crate::fetch::{FetchRequest, Fetched, Fetcher};
use crate::source::{Listing, SourceKind, UrlPatterns, discover, measure_fullness, read_listing};

/// How many entries of a candidate are read to describe it.
const MAX_ENTRIES: usize = 100;

/// A source found for the site.
struct Found {
    url: url::Url,
    /// `feed`, `sitemap` or `page` (with its `links` selector).
    kind: &'static str,
    links: Option<String>,
    title: Option<String>,
    items: usize,
    /// Entries that carry the whole article.
    full: usize,
}

impl Found {
    fn of(url: url::Url, kind: &'static str, listing: &Listing) -> Found {
        let full = listing
            .entries
            .iter()
            .filter_map(|c| c.content.as_deref().or(c.teaser.as_deref()))
            .filter(|html| measure_fullness(html).is_full())
            .count();
        Found {
            url,
            kind,
            links: None,
            title: listing.title.clone(),
            items: listing.entries.len(),
            full,
        }
    }

    fn is_full_text(&self) -> bool {
        self.items > 0 && self.full * 2 > self.items
    }

    fn describe(&self) -> String {
        let title = self.title.as_deref().unwrap_or("(no title)");
        let text = match self.kind {
            "feed" if self.is_full_text() => format!(
                "full text ({} of {} entries carry the whole article)",
                self.full, self.items
            ),
            "feed" => format!(
                "partial: teasers ({} of {} entries carry the whole article)",
                self.full, self.items
            ),
            _ => "articles fetched from their pages".to_string(),
        };
        let s = if self.items == 1 { "" } else { "s" };
        format!(
            "{} {}: {title:?}, {} item{s}, {text}",
            self.kind, self.url, self.items
        )
    }
}

/// `clearfeed add URL`: see the module doc.
pub async fn add(
    config: &AppConfig,
    url: &str,
    id: Option<&str>,
    dry_run: bool,
) -> anyhow::Result<ExitCode> {
    let url = url::Url::parse(url).with_context(|| format!("{url:?} is not a URL"))?;
    let fetcher = Fetcher::new(&config.fetch, &config.user_agent)?;
    let (page_url, body) = fetch(&fetcher, &url)
        .await
        .with_context(|| format!("cannot read {url}"))?;
    let chosen = match crate::source::parse_feed(&body, &page_url) {
        Ok(listing) => Found::of(page_url, "feed", &listing),
        Err(_) => find(&fetcher, &page_url, &String::from_utf8_lossy(&body)).await?,
    };
    let id = match id {
        Some(id) => id.to_string(),
        None => crate::config::feed_id(chosen.title.as_deref().unwrap_or(""), &chosen.url),
    };
    if id.is_empty()
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b))
    {
        bail!("--id {id:?}: an id is made of letters, digits, '-' and '_'");
    }
    let text = feed_file(&chosen);
    let path = config.feeds_dir.join(format!("{id}.toml"));
    crate::config::parse_feed(&path, &text)
        .map_err(|e| anyhow::anyhow!("the proposed feed file is not valid: {e}"))?;
    if dry_run {
        say!("# {} (not written: --dry-run)\n{text}", path.display())?;
        return Ok(ExitCode::SUCCESS);
    }
    write_new(&path, &text)?;
    say!("wrote {}", path.display())?;
    Ok(ExitCode::SUCCESS)
}

/// Fetches `url`: its final URL and body.
async fn fetch(fetcher: &Fetcher, url: &url::Url) -> anyhow::Result<(url::Url, Vec<u8>)> {
    let request = FetchRequest {
        url: Some(url),
        ..Default::default()
    };
    match fetcher.fetch(&request).await? {
        Fetched::Page(page) => Ok((page.url.unwrap_or_else(|| url.clone()), page.body)),
        Fetched::NotModified => bail!("{url}: 304 Not Modified to an unconditional request"),
    }
}

/// The best source for the site whose page at `base` is `html`: its feeds, else its sitemap,
/// else a guessed listing page.
async fn find(fetcher: &Fetcher, base: &url::Url, html: &str) -> anyhow::Result<Found> {
    let (linked, common) = discover::feed_candidates(html, base);
    let mut feeds = try_feeds(fetcher, &linked, "the page links to").await?;
    // The common paths only when none of the page's own feed links could be read.
    if feeds.is_empty() {
        feeds = try_feeds(fetcher, &common, "tried").await?;
    }
    // Full text first, then the most items; the page's own links before the common paths.
    feeds.sort_by_key(|f| (!f.is_full_text(), std::cmp::Reverse(f.items)));
    if let Some(best) = feeds.into_iter().next() {
        say!("chose {}", best.url)?;
        return Ok(best);
    }
    let sitemap = base.join("/sitemap.xml")?;
    let kind = SourceKind::Sitemap(UrlPatterns::default());
    match read(fetcher, &sitemap, &kind).await {
        Ok((url, listing)) if !listing.entries.is_empty() || !listing.follow.is_empty() => {
            let found = Found::of(url, "sitemap", &listing);
            say!("no feed; found {}", found.describe())?;
            return Ok(found);
        }
        Ok(_) => say!("tried {sitemap}: no URLs in it")?,
        Err(e) => say!("tried {sitemap}: {e:#}")?,
    }
    guess(base, html)
}

/// Each candidate fetched and read as a feed, said as it goes; the ones that are (each once).
async fn try_feeds(
    fetcher: &Fetcher,
    candidates: &[url::Url],
    verb: &str,
) -> anyhow::Result<Vec<Found>> {
    let mut feeds: Vec<Found> = Vec::new();
    for candidate in candidates {
        match read(fetcher, candidate, &SourceKind::Feed).await {
            Ok((url, listing)) if !feeds.iter().any(|f| f.url == url) => {
                let found = Found::of(url, "feed", &listing);
                say!("found {}", found.describe())?;
                feeds.push(found);
            }
            Ok(_) => {}
            Err(e) => {
                let why = format!("{e:#}");
                let why = why.strip_prefix(&format!("{candidate}: ")).unwrap_or(&why);
                say!("{verb} {candidate}: not usable: {why}")?;
            }
        }
    }
    Ok(feeds)
}

/// A listing-page source for the page itself, with a guessed selector.
fn guess(base: &url::Url, html: &str) -> anyhow::Result<Found> {
    let Some(guess) = discover::guess_listing(html, base) else {
        bail!("no feed, no sitemap and no list of article links found at {base}");
    };
    let title = scraper::Html::parse_document(html)
        .select(&scraper::Selector::parse("title").expect("static selector"))
        .next()
        .map(|t| t.text().collect::<String>().trim().to_string())
        .filter(|t| !t.is_empty());
    say!(
        "no feed and no sitemap: a listing-page source is proposed; its selector `{}` (matching {} \
         article links) is a guess: check it with `clearfeed once` and edit `links` if needed",
        guess.links,
        guess.count
    )?;
    Ok(Found {
        url: base.clone(),
        kind: "page",
        links: Some(guess.links),
        title,
        items: guess.count,
        full: 0,
    })
}

/// Fetches a candidate and reads it as `kind`.
async fn read(
    fetcher: &Fetcher,
    url: &url::Url,
    kind: &SourceKind,
) -> anyhow::Result<(url::Url, Listing)> {
    let (url, body) = fetch(fetcher, url).await?;
    let listing = read_listing(kind, &body, &url, MAX_ENTRIES)?;
    Ok((url, listing))
}

/// The feed file for a found source.
fn feed_file(found: &Found) -> String {
    let quote = |s: &str| toml::Value::String(s.to_string()).to_string();
    let mut text = String::new();
    if let Some(title) = &found.title {
        text.push_str(&format!("title = {}\n", quote(title)));
    }
    text.push_str(&format!("[source]\nurl = {}\n", quote(found.url.as_str())));
    if found.kind != "feed" {
        text.push_str(&format!("kind = \"{}\"\n", found.kind));
    }
    if let Some(links) = &found.links {
        text.push_str(&format!(
            "# A guess from the links on the page: check it.\nlinks = {}\n",
            quote(links)
        ));
    }
    text
}

/// Writes a new file; an existing one is never replaced.
fn write_new(path: &Path, text: &str) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    use std::io::Write as _;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => anyhow::anyhow!(
                "{} already exists: nothing written (choose another id with --id)",
                path.display()
            ),
            _ => anyhow::Error::new(e).context(format!("cannot write {}", path.display())),
        })?;
    file.write_all(text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))
}

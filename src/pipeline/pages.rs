//! Multi-page articles: after the first page of an article is fetched, the site rules'
//! `single_page_link` (a whole-article version) or `next_page_link` (the next page) are
//! followed through the same polite [`Fetcher`], up to [`MAX_PAGES`] pages. Owns the walk;
//! finding the links and joining the pages is the extractor's job.

use std::sync::Arc;

use crate::extract::{Extractor, PageLinks};
use crate::fetch::{FetchRequest, Fetched, Fetcher, Page, Validators};

/// The most pages one article is read from (the first page included).
pub const MAX_PAGES: usize = 10;

/// The pages of the article whose first page is `first`: the single-page version alone when
/// the rules find one that can be fetched, else `first` and the next pages in order, stopping
/// at [`MAX_PAGES`], at a page already read, or at one that cannot be fetched (what was read is
/// kept). `request` gives the article request's hosts and headers; the headers go only to the
/// first page's host.
pub async fn article_pages(
    fetcher: &Fetcher,
    extractor: &Arc<Extractor>,
    first: Page,
    request: &FetchRequest<'_>,
) -> Vec<Page> {
    if !extractor.follows_pages() {
        return vec![first];
    }
    let host = first
        .url
        .as_ref()
        .and_then(|u| u.host_str().map(str::to_owned));
    let get = |url: url::Url| {
        let same_host = url.host_str().map(str::to_owned) == host;
        let req = FetchRequest {
            url: None,
            validators: Validators::default(),
            allow_hosts: request.allow_hosts,
            check_robots: request.check_robots,
            headers: if same_host { request.headers } else { &[] },
        };
        async move {
            match fetcher
                .fetch(&FetchRequest {
                    url: Some(&url),
                    ..req
                })
                .await
            {
                Ok(Fetched::Page(page)) => Some(page),
                Ok(Fetched::NotModified) => None,
                Err(e) => {
                    tracing::warn!(%url, "page of a multi-page article not read: {e}");
                    None
                }
            }
        }
    };
    let links = links_of(extractor, &first).await;
    if let Some(single) = links.single
        && let Some(page) = get(single).await
    {
        return vec![page];
    }
    let mut seen: Vec<url::Url> = first.url.iter().cloned().collect();
    let mut next = links.next;
    let mut pages = vec![first];
    while let Some(url) = next.take() {
        if pages.len() >= MAX_PAGES || seen.contains(&url) {
            break;
        }
        seen.push(url.clone());
        let Some(page) = get(url).await else { break };
        next = links_of(extractor, &page).await.next;
        pages.push(page);
    }
    pages
}

/// [`Extractor::page_links`] off the async threads (it parses the page).
async fn links_of(extractor: &Arc<Extractor>, page: &Page) -> PageLinks {
    let (x, page) = (extractor.clone(), page.clone());
    super::cpu::run("page-link finder", move || x.page_links(&page))
        .await
        .unwrap_or_default()
}

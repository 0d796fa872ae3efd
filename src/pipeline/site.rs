//! Site rules per article: the rule set an article gets (its feed's `[extract]` table over its
//! host's rule files, see [`choose`]), the bounded cache of compiled extractors shared by every feed
//! and host with the same rules, and extraction of an article's pages. Owns that choice and
//! the cache; the rules themselves are `rules`' and `extract`'s.

use std::sync::Arc;

use super::metrics::bump;
use super::{Entry, FeedConfig, NativeAds, Pipeline};
use crate::extract::Article;
use crate::extract::{Chosen, Extractor, SiteRules, choose};
use crate::fetch::FetchError;
use crate::model::Page;
use crate::store::StoreError;

/// How many compiled extractors the pipeline keeps (the most recently used): enough for the
/// plain rules and the busiest hosts with rules of a large subscription list, small enough that
/// a list of thousands of hosts does not keep thousands of compiled rule sets.
pub(super) const EXTRACTORS_KEPT: usize = 32;

impl Pipeline {
    /// The source's host may have site rules too; only their request headers apply to it.
    pub(super) fn source_rules(&self, feed: &FeedConfig) -> Chosen {
        choose(
            &self.settings.rules,
            &SiteRules::default(),
            Some(&feed.source_url),
        )
    }

    /// A native ad (a site rule's `native_ad_clue` matched) is marked in its headline, or with
    /// `native_ads = "drop"` marked gone so it is neither published nor fetched again: `true`.
    pub(super) async fn native_ad_dropped(
        &self,
        entry: &Entry<'_>,
        article: &mut Article,
    ) -> Result<bool, StoreError> {
        if !article.native_ad {
            return Ok(false);
        }
        bump(&self.metrics.native_ads, 1);
        if self.settings.native_ads == NativeAds::Drop {
            let e = FetchError::Other {
                url: entry.c.url.to_string(),
                reason: "a native ad (sponsored content), dropped".into(),
            };
            self.drop_gone(entry, e).await?;
            return Ok(true);
        }
        article.title = format!("Sponsored: {}", article.title);
        Ok(false)
    }

    /// The hosts of `entries` whose rule files need a login (`requires_login`), each once.
    pub(super) fn login_hosts(&self, entries: &[crate::source::Candidate]) -> Vec<String> {
        let mut hosts: Vec<String> = Vec::new();
        for host in entries.iter().filter_map(|c| c.url.host_str()) {
            let login = || {
                self.settings
                    .rules
                    .for_host(host)
                    .iter()
                    .any(|f| f.requires_login)
            };
            if !hosts.iter().any(|h| h == host) && login() {
                hosts.push(host.to_string());
            }
        }
        hosts
    }

    pub(super) fn extractor(
        &self,
        rules: &SiteRules,
    ) -> Result<Arc<Extractor>, crate::extract::ExtractError> {
        let mut cache = self.extractors.lock().expect("extractor cache poisoned");
        if let Some(at) = cache.iter().position(|(r, _)| r == rules) {
            let hit = cache.remove(at);
            let x = hit.1.clone();
            cache.push(hit);
            return Ok(x);
        }
        let x = Arc::new(Extractor::new(rules)?);
        if cache.len() >= EXTRACTORS_KEPT {
            cache.remove(0);
        }
        cache.push((rules.clone(), x.clone()));
        Ok(x)
    }

    /// The site rules for an article at `url` (the feed's `[extract]` table over its host's rule
    /// files) and their extractor. Host rules the extractor rejects are dropped with a warning.
    pub(super) fn site_rules(
        &self,
        feed: &FeedConfig,
        url: &url::Url,
    ) -> Result<(Chosen, Arc<Extractor>), crate::extract::ExtractError> {
        let chosen = choose(&self.settings.rules, &feed.extract, Some(url));
        for file in &chosen.login_skipped {
            tracing::debug!(%url, file = %file.display(), "site rules need a login; not applied");
        }
        match self.extractor(&chosen.rules) {
            Ok(x) => Ok((chosen, x)),
            Err(e) => {
                tracing::warn!(%url, "site rules not applied: {e}");
                Ok((Chosen::default(), self.extractor(&feed.extract)?))
            }
        }
    }
}

pub(super) fn extract_and_summarize(
    extractor: &Extractor,
    pages: &[Page],
) -> Result<(crate::extract::Article, crate::summarize::Summary), crate::extract::ExtractError> {
    let article = extractor.article_of_pages(pages)?;
    let summary = crate::summarize::summarize(&article);
    Ok((article, summary))
}

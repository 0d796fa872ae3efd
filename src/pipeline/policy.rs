//! Pipeline policy as pure functions: when a stored entry is fetched again, how long a failed feed
//! waits, which URL identifies an article, and which dates are believed.
//!
//! An entry already stored is not fetched again unless its source signals a change (another title
//! or `updated` date), it is younger than `[fetch] refresh`, or it is still a teaser fallback
//! (tried up to [`MAX_FALLBACK_ATTEMPTS`] times); a retention-pruned entry is never fetched again.
//!
//! Owns: those decisions, each a function of its inputs (the clock is a parameter). Does not own:
//! carrying them out (`pipeline`), nor storing what they are decided from (`store`).

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::source::Candidate;
use crate::store::Known;

/// How many runs a teaser fallback is retried before it is left as it is.
pub const MAX_FALLBACK_ATTEMPTS: u32 = 3;

/// Whether a stored entry is worth fetching again at `now`: not pruned, and either a teaser
/// fallback with attempts left, changed at the source (`sig` differs from the stored one), or
/// first seen less than `refresh` ago (a zero `refresh` turns that off).
pub(super) fn should_refetch(
    known: &Known,
    sig: &str,
    refresh: std::time::Duration,
    now: DateTime<Utc>,
) -> bool {
    let young = !refresh.is_zero()
        && chrono::Duration::from_std(refresh).is_ok_and(|r| now - known.first_seen < r);
    !known.pruned
        && ((known.meta.fallback && known.attempts < MAX_FALLBACK_ATTEMPTS)
            || known.meta.source_sig != sig
            || young)
}

/// Whether a fetch failure leaves the request for a later run rather than failing it: its host is
/// on hold for longer than a run waits, or its robots.txt cannot be read for now.
pub(super) fn defers(e: &crate::fetch::FetchError) -> bool {
    use crate::fetch::FetchError;
    matches!(
        e,
        FetchError::HostOnHold { .. } | FetchError::RobotsUnreachable { .. }
    )
}

/// Back-off before a failed feed should run again: 5 minutes doubling per failure, at most 6
/// hours, or what the server asked for if longer.
pub(super) fn feed_backoff(
    failures: u32,
    retry_after: Option<std::time::Duration>,
) -> chrono::Duration {
    let exp = chrono::Duration::minutes(5) * 2i32.pow(failures.saturating_sub(1).min(10));
    let wait = exp.min(chrono::Duration::hours(6));
    match retry_after.and_then(|r| chrono::Duration::from_std(r).ok()) {
        Some(r) if r > wait => r,
        _ => wait,
    }
}

/// The article URL without its fragment and without tracking parameters (`utm_*`, `fbclid`, ...).
pub fn canonical_url(url: &url::Url) -> url::Url {
    let mut url = url.clone();
    url.set_fragment(None);
    if url.query().is_some() {
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| !crate::extract::sanitize::is_tracking_param(k))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        if kept.is_empty() {
            url.set_query(None);
        } else {
            url.query_pairs_mut().clear().extend_pairs(kept);
        }
    }
    url
}

/// What the source says about an entry that, when it changes, makes the article worth fetching
/// again (the teaser is left out: it often carries rotating ad text).
pub(super) fn source_sig(c: &Candidate) -> String {
    let mut h = Sha256::new();
    h.update(c.title.as_deref().unwrap_or("").as_bytes());
    h.update([0]);
    if let Some(u) = c.updated {
        h.update(u.to_rfc3339().as_bytes());
    }
    hex(&h.finalize()[..12])
}

/// Lower-case hex digits of `bytes`.
pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A canonical link is taken when it is http(s), on the fetched page's host (give or take `www.`),
/// and names a page rather than the site root.
pub(super) fn believable_canonical(canonical: &url::Url, fetched: &url::Url) -> bool {
    let bare = |u: &url::Url| {
        u.host_str()
            .map(|h| h.trim_start_matches("www.").to_ascii_lowercase())
    };
    matches!(canonical.scheme(), "http" | "https")
        && bare(canonical) == bare(fetched)
        && !canonical.path().trim_matches('/').is_empty()
}

/// A publication date, unless it lies more than a day in the future (a wrong clock or a wrong
/// time zone upstream); such an item would otherwise stay on top of every reader's list.
pub(super) fn plausible(t: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    t.filter(|t| *t <= Utc::now() + chrono::Duration::days(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::ItemMeta;

    #[test]
    fn canonical_links_are_checked_before_they_dedupe() {
        let page = url::Url::parse("https://www.news.example/2026/story?ref=rss").unwrap();
        let ok = |s: &str| believable_canonical(&url::Url::parse(s).unwrap(), &page);
        assert!(ok("https://news.example/2026/story"));
        assert!(!ok("https://news.example/"), "the site root");
        assert!(!ok("https://other.example/2026/story"), "another site");
        assert!(!ok("ftp://news.example/2026/story"));
    }

    #[test]
    fn future_dates_are_not_trusted() {
        let now = Utc::now();
        assert_eq!(plausible(Some(now)), Some(now));
        assert_eq!(plausible(Some(now + chrono::Duration::days(400))), None);
        assert_eq!(plausible(None), None);
    }

    #[test]
    fn canonical_url_drops_fragment_and_trackers() {
        let u = url::Url::parse("https://e.example/a?id=3&utm_source=x&fbclid=y#top").unwrap();
        assert_eq!(canonical_url(&u).as_str(), "https://e.example/a?id=3");
        let u = url::Url::parse("https://e.example/a?utm_medium=rss").unwrap();
        assert_eq!(canonical_url(&u).as_str(), "https://e.example/a");
    }

    #[test]
    fn source_sig_follows_title_and_updated_not_teaser() {
        let c = Candidate {
            url: url::Url::parse("https://e.example/a").unwrap(),
            title: Some("A".into()),
            published: None,
            updated: None,
            guid: None,
            teaser: Some("ad 1".into()),
            content: None,
            author: None,
            categories: Vec::new(),
        };
        let same = Candidate {
            teaser: Some("ad 2".into()),
            ..c.clone()
        };
        assert_eq!(source_sig(&c), source_sig(&same));
        let edited = Candidate {
            title: Some("A (corrected)".into()),
            ..c.clone()
        };
        assert_ne!(source_sig(&c), source_sig(&edited));
        let updated = Candidate {
            updated: Some(Utc::now()),
            ..c.clone()
        };
        assert_ne!(source_sig(&c), source_sig(&updated));
    }

    #[test]
    fn feed_backoff_doubles_and_honours_retry_after() {
        assert_eq!(feed_backoff(1, None), chrono::Duration::minutes(5));
        assert_eq!(feed_backoff(3, None), chrono::Duration::minutes(20));
        assert_eq!(feed_backoff(30, None), chrono::Duration::hours(6));
        assert_eq!(
            feed_backoff(1, Some(std::time::Duration::from_secs(3600))),
            chrono::Duration::hours(1)
        );
    }

    #[test]
    fn stored_entries_are_refetched_only_for_a_reason() {
        let now = Utc::now();
        let day = std::time::Duration::from_secs(86_400);
        let settled = Known {
            guid: "g".into(),
            url: "https://e.example/a".into(),
            content_hash: "h".into(),
            meta: ItemMeta {
                source_sig: "sig".into(),
                ..Default::default()
            },
            attempts: 0,
            first_seen: now - chrono::Duration::days(2),
            pruned: false,
        };
        let refetch = |k: &Known, sig: &str, refresh| should_refetch(k, sig, refresh, now);
        assert!(!refetch(&settled, "sig", day), "unchanged and old");
        assert!(refetch(&settled, "other", day), "changed at the source");
        let young = Known {
            first_seen: now - chrono::Duration::hours(1),
            ..settled.clone()
        };
        assert!(refetch(&young, "sig", day), "younger than refresh");
        assert!(
            !refetch(&young, "sig", std::time::Duration::ZERO),
            "refresh off"
        );
        let teaser = |attempts| Known {
            meta: ItemMeta {
                fallback: true,
                ..settled.meta.clone()
            },
            attempts,
            ..settled.clone()
        };
        assert!(refetch(&teaser(MAX_FALLBACK_ATTEMPTS - 1), "sig", day));
        assert!(
            !refetch(&teaser(MAX_FALLBACK_ATTEMPTS), "sig", day),
            "attempts used up"
        );
        let pruned = Known {
            pruned: true,
            ..young
        };
        assert!(
            !refetch(&pruned, "other", day),
            "pruned entries stay as they are"
        );
    }
}

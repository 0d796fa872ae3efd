//! The pipeline's process-wide counters, which `serve` renders at `/metrics`.
//!
//! Owns: the counters, failure counts by kind, and the failure label of an extraction error. Does
//! not own: rendering them (`serve::metrics`) or deciding what counts as a failure (`pipeline`).

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Process-wide counters, rendered by `serve` at `/metrics`.
#[derive(Debug, Default)]
pub struct Metrics {
    pub fetches: AtomicU64,
    pub fetch_errors: AtomicU64,
    pub not_modified: AtomicU64,
    pub items_new: AtomicU64,
    pub items_updated: AtomicU64,
    /// Entries dropped by feed filters.
    pub items_filtered: AtomicU64,
    /// Articles stored from their feed entry's own content, their page not fetched (`fetch`).
    pub items_from_feed: AtomicU64,
    pub feed_runs: AtomicU64,
    pub feed_failures: AtomicU64,
    /// Feeds whose files were rendered and written (an unchanged feed is skipped).
    pub feeds_published: AtomicU64,
    /// Articles a site rule's `native_ad_clue` marked as sponsored (published marked, or dropped).
    pub native_ads: AtomicU64,
    /// Total seconds spent in feed runs, in milliseconds.
    pub run_millis: AtomicU64,
    /// Failures by kind ([`crate::fetch::FetchError::reason`], `extract_*`, `feed_*`): a total
    /// alone cannot tell a host that times out from a site that started serving PDFs.
    failures: Mutex<std::collections::BTreeMap<&'static str, u64>>,
}

impl Metrics {
    /// Counts one failure of kind `reason`.
    pub fn count_failure(&self, reason: &'static str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        *map.entry(reason).or_default() += 1;
    }

    /// Failures counted so far, by kind, sorted by kind.
    pub fn failures(&self) -> Vec<(&'static str, u64)> {
        let map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.iter().map(|(k, v)| (*k, *v)).collect()
    }
}

/// The failure-counter label of an extraction error.
pub(super) fn extract_reason(e: &crate::extract::ExtractError) -> &'static str {
    use crate::extract::ExtractError::*;
    match e {
        Empty => "extract_empty",
        Binary(_) => "extract_binary",
        NoContent => "extract_no_content",
        BadRule { .. } => "extract_rule",
    }
}

pub(super) fn bump(counter: &AtomicU64, by: u64) {
    counter.fetch_add(by, Ordering::Relaxed);
}

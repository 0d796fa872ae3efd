//! A feed that failed as a whole: the error is reported and counted by cause, and the feed's
//! back-off (from its failure streak or the source's Retry-After) is recorded in the store.

use chrono::Utc;

use super::metrics::bump;
use super::policy::feed_backoff;
use super::{FeedConfig, FeedError, FeedReport, Pipeline};
use crate::fetch::FetchError;

impl Pipeline {
    /// A feed that failed as a whole: counted, and its back-off recorded.
    pub(super) async fn record_failure(
        &self,
        feed: &FeedConfig,
        err: &FeedError,
        report: &mut FeedReport,
    ) {
        report.error = Some(err.to_string());
        bump(&self.metrics.feed_failures, 1);
        // A source that could not be fetched is already counted under its fetch reason.
        match err {
            FeedError::Source(_) => {}
            FeedError::Parse(_) => self.metrics.count_failure("feed_unreadable"),
            FeedError::Store(_) => self.metrics.count_failure("feed_store"),
            FeedError::Publish(_) => self.metrics.count_failure("feed_publish"),
        }
        // Said once: by the command's report (`once`) or the scheduler's log (`run`).
        tracing::debug!(feed = %feed.id, "feed failed: {err}");
        let (id, msg) = (feed.id.clone(), err.to_string());
        let retry_after = match err {
            FeedError::Source(FetchError::Status { retry_after, .. }) => *retry_after,
            _ => None,
        };
        let stored = self
            .store
            .call(move |s| {
                s.record_feed_failure(&id, &msg, Utc::now(), |n| feed_backoff(n, retry_after))
            })
            .await;
        if let Err(e) = stored {
            tracing::error!(feed = %feed.id, "cannot record the failure: {e}");
        }
    }
}

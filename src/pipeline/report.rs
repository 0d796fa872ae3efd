//! What one pass over one feed did: the [`FeedReport`] and the line it prints as.

/// What one pass over one feed did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FeedReport {
    pub feed: String,
    pub new: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Articles that could not be fetched or extracted (the feed itself was read). Except for
    /// 404/410 (dropped), they are stored with the source's teaser as content, marked as such, and
    /// retried on the next runs.
    pub failed: usize,
    /// Set when the feed failed as a whole (its source could not be read).
    pub error: Option<String>,
    /// The source answered 304 Not Modified: nothing to look at this time.
    pub source_not_modified: bool,
    /// Why the last of the `failed` articles failed.
    pub last_item_error: Option<String>,
    /// Articles left for a later run: their host is on hold (a long Retry-After, a failure
    /// streak, robots.txt unreachable), or the pass was cut short before reaching them.
    pub deferred: usize,
    /// The pass stopped fetching early (its `run_timeout`, or shutdown); why.
    pub cut_short: Option<String>,
    /// The source was not read because its host is on hold; the stored items were published.
    pub source_held: Option<String>,
    /// Entries dropped by the feed's filters (not stored as items).
    pub filtered: usize,
    /// Articles read whose host's site rules name a body, and how many of those the body
    /// selector did not match (a stale rule).
    pub rules_applied: usize,
    pub rules_missed: usize,
    /// Hosts of the feed's articles whose site rules were not applied because the site needs a
    /// login (`requires_login`).
    pub rules_login: Vec<String>,
    /// Articles stored from the content their entry carries, without fetching the page
    /// (`fetch = "auto"` found the full text in the feed, or `fetch = "never"`).
    pub from_feed: usize,
}

impl FeedReport {
    /// Counts one stored item.
    pub(super) fn count_stored(&mut self, upsert: crate::store::Upsert) {
        use crate::store::Upsert::*;
        match upsert {
            New => self.new += 1,
            Updated => self.updated += 1,
            Unchanged => self.unchanged += 1,
        }
    }
}

impl std::fmt::Display for FeedReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.error {
            Some(err) => write!(f, "{}: feed failed: {err}", self.feed),
            None => {
                write!(
                    f,
                    "{}: new {}, updated {}, unchanged {}, failed {}",
                    self.feed, self.new, self.updated, self.unchanged, self.failed
                )?;
                if self.deferred > 0 {
                    write!(f, ", deferred {}", self.deferred)?;
                }
                if self.from_feed > 0 {
                    write!(f, ", from the feed {}", self.from_feed)?;
                }
                if self.filtered > 0 {
                    write!(f, ", filtered {}", self.filtered)?;
                }
                if self.rules_missed > 0 {
                    let (missed, applied) = (self.rules_missed, self.rules_applied);
                    write!(f, ", site rules missed {missed} of {applied}")?;
                }
                if self.source_not_modified {
                    write!(f, " (source not modified)")?;
                }
                if let Some(why) = &self.source_held {
                    write!(f, " (source not read: {why})")?;
                }
                if let Some(why) = &self.cut_short {
                    write!(f, " (cut short: {why}; published what was read)")?;
                }
                Ok(())
            }
        }
    }
}

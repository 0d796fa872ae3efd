//! `/metrics`: the Prometheus text exposition, rendered from a table with one row per metric.
//!
//! Owns: metric names, help texts and types, where each value comes from, and label escaping.
//! Does not own: the counters themselves (`pipeline::Metrics`, the request counter in `serve`) or
//! the feed states (`store`).

use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::{AppError, AppState};
use crate::pipeline::Metrics;
use crate::publish::JsonFeed;
use crate::store::FeedState;

/// Everything the metrics are read from, gathered once per request.
struct Sources<'a> {
    /// The pipeline's counters, when the server runs inside the daemon.
    pipeline: Option<&'a Metrics>,
    requests: u64,
    feeds: &'a [(String, JsonFeed)],
    states: &'a [FeedState],
}

/// One sample line: its label set as written between braces (empty for none) and its value.
type Sample = (String, String);

/// One metric family: name, help text, type, and its samples, or `None` when it is not exposed
/// at all (no `# HELP` either), e.g. the pipeline's counters when there is no pipeline.
type Row = (
    &'static str,
    &'static str,
    &'static str,
    fn(&Sources<'_>) -> Option<Vec<Sample>>,
);

/// The families in the order they are written.
const METRICS: &[Row] = &[
    (
        "clearfeed_fetches_total",
        "HTTP fetches made upstream.",
        "counter",
        |s| counter(s, |m| &m.fetches),
    ),
    (
        "clearfeed_fetch_errors_total",
        "Upstream fetches that failed.",
        "counter",
        |s| counter(s, |m| &m.fetch_errors),
    ),
    (
        "clearfeed_not_modified_total",
        "Upstream fetches answered 304 Not Modified.",
        "counter",
        |s| counter(s, |m| &m.not_modified),
    ),
    (
        "clearfeed_items_new_total",
        "Items added.",
        "counter",
        |s| counter(s, |m| &m.items_new),
    ),
    (
        "clearfeed_items_updated_total",
        "Items whose content changed.",
        "counter",
        |s| counter(s, |m| &m.items_updated),
    ),
    (
        "clearfeed_items_filtered_total",
        "Entries dropped by feed filters (not stored).",
        "counter",
        |s| counter(s, |m| &m.items_filtered),
    ),
    (
        "clearfeed_items_from_feed_total",
        "Articles stored from the full text their feed entry carries (page not fetched).",
        "counter",
        |s| counter(s, |m| &m.items_from_feed),
    ),
    (
        "clearfeed_feed_runs_total",
        "Feed passes run.",
        "counter",
        |s| counter(s, |m| &m.feed_runs),
    ),
    (
        "clearfeed_feed_failures_total",
        "Feed passes that failed as a whole.",
        "counter",
        |s| counter(s, |m| &m.feed_failures),
    ),
    (
        "clearfeed_feed_run_seconds_total",
        "Time spent in feed passes.",
        "counter",
        |s| {
            let millis = s.pipeline?.run_millis.load(Ordering::Relaxed);
            Some(unlabelled(format!("{:.3}", millis as f64 / 1000.0)))
        },
    ),
    (
        "clearfeed_http_requests_total",
        "HTTP requests received by this server.",
        "counter",
        |s| Some(unlabelled(s.requests.to_string())),
    ),
    (
        "clearfeed_published_feeds",
        "Feeds with published files.",
        "gauge",
        |s| Some(unlabelled(s.feeds.len().to_string())),
    ),
    (
        "clearfeed_feed_items",
        "Items in the published feed.",
        "gauge",
        // Ids are `[A-Za-z0-9_-]`, so they need no label escaping.
        |s| {
            let per_feed = s.feeds.iter();
            Some(
                per_feed
                    .map(|(id, feed)| (format!("{{feed=\"{id}\"}}"), feed.items.len().to_string()))
                    .collect(),
            )
        },
    ),
    (
        "clearfeed_feed_consecutive_failures",
        "Failed runs since the feed's last success.",
        "gauge",
        |s| per_state(s, |st| Some(st.consecutive_failures.to_string())),
    ),
    (
        "clearfeed_feed_articles_not_read",
        "Articles the feed's last successful run could not read.",
        "gauge",
        |s| per_state(s, |st| Some(st.last_run_failed.to_string())),
    ),
    (
        "clearfeed_feed_rules_articles_total",
        "Articles read whose host's site rules name a body.",
        "counter",
        |s| per_state(s, |st| Some(st.rules.applied_total.to_string())),
    ),
    (
        "clearfeed_feed_rules_missed_total",
        "Articles read whose host's site rules name a body the page did not have (stale rules).",
        "counter",
        |s| per_state(s, |st| Some(st.rules.missed_total.to_string())),
    ),
    (
        "clearfeed_feed_rules_matched",
        "Whether the site rules matched every article of the latest run that read articles with rules (1), or missed some (0).",
        "gauge",
        |s| {
            per_state(s, |st| {
                let r = &st.rules;
                (r.applied > 0).then(|| u8::from(r.missed == 0).to_string())
            })
        },
    ),
    (
        "clearfeed_feed_rules_login_hosts",
        "Article hosts whose site rules were not applied because the site needs a login.",
        "gauge",
        |s| per_state(s, |st| Some(st.rules.login_hosts.len().to_string())),
    ),
    (
        "clearfeed_feed_last_success_timestamp_seconds",
        "When the feed last ran successfully.",
        "gauge",
        |s| per_state(s, |st| st.last_success.map(|t| t.timestamp().to_string())),
    ),
    (
        "clearfeed_failures_total",
        "Failures by kind: fetch errors, extraction errors, feed errors.",
        "counter",
        // Reasons are fixed `[a-z0-9_]` names from the code, so they need no label escaping.
        |s| {
            let failures = s.pipeline?.failures().into_iter();
            Some(
                failures
                    .map(|(reason, n)| (format!("{{reason=\"{reason}\"}}"), n.to_string()))
                    .collect(),
            )
        },
    ),
];

/// A pipeline counter, present only with a pipeline.
fn counter(s: &Sources<'_>, field: fn(&Metrics) -> &AtomicU64) -> Option<Vec<Sample>> {
    let value = field(s.pipeline?).load(Ordering::Relaxed);
    Some(unlabelled(value.to_string()))
}

fn unlabelled(value: String) -> Vec<Sample> {
    vec![(String::new(), value)]
}

/// One sample per feed state that has a value, labelled with the feed; the family is left out
/// when no feed has a state.
fn per_state(s: &Sources<'_>, value: fn(&FeedState) -> Option<String>) -> Option<Vec<Sample>> {
    if s.states.is_empty() {
        return None;
    }
    let samples = s.states.iter().filter_map(|st| {
        let v = value(st)?;
        Some((format!("{{feed=\"{}\"}}", label(&st.id)), v))
    });
    Some(samples.collect())
}

/// Writes every family of the table that has samples.
fn render(sources: &Sources<'_>) -> String {
    let mut out = String::new();
    for (name, help, kind, samples) in METRICS {
        let Some(samples) = samples(sources) else {
            continue;
        };
        out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n"));
        for (labels, value) in samples {
            out.push_str(&format!("{name}{labels} {value}\n"));
        }
    }
    out
}

/// Prometheus text exposition: the pipeline's counters (when running inside the daemon) and the
/// published item counts per feed.
pub(super) async fn metrics(State(state): State<AppState>) -> Result<Response, AppError> {
    let states = match &state.pipeline {
        Some(pipeline) => pipeline
            .store()
            .call(|s| s.feed_states())
            .await
            .unwrap_or_else(|e| {
                tracing::warn!(error = %e, "metrics: cannot read feed states");
                Vec::new()
            }),
        None => Vec::new(),
    };
    let requests = state.requests.load(Ordering::Relaxed);
    let feeds = state.files.published_feeds().await?;
    let out = render(&Sources {
        pipeline: state.pipeline.as_ref().map(|p| p.metrics()),
        requests,
        feeds: &feeds,
        states: &states,
    });
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
        .into_response())
}

/// Escapes a Prometheus label value (backslash, quote, newline).
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_labels_are_escaped() {
        assert_eq!(label("plain-id"), "plain-id");
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }

    #[test]
    fn without_a_pipeline_only_server_and_published_figures_are_written() {
        let out = render(&Sources {
            pipeline: None,
            requests: 7,
            feeds: &[],
            states: &[],
        });
        assert_eq!(
            out,
            concat!(
                "# HELP clearfeed_http_requests_total HTTP requests received by this server.\n",
                "# TYPE clearfeed_http_requests_total counter\n",
                "clearfeed_http_requests_total 7\n",
                "# HELP clearfeed_published_feeds Feeds with published files.\n",
                "# TYPE clearfeed_published_feeds gauge\n",
                "clearfeed_published_feeds 0\n",
                "# HELP clearfeed_feed_items Items in the published feed.\n",
                "# TYPE clearfeed_feed_items gauge\n",
            )
        );
    }
}

//! clearfeed turns partial, ad-laden news feeds and listing pages into clean feeds with summaries.
//!
//! # Layout
//! One module per pipeline stage; plain data types flow between them:
//!
//! ```text
//! config     clearfeed.toml + feeds/<id>.toml ─▶ AppConfig, FeedConfig, SiteRules
//! source     FeedConfig ─▶ Listing { entries: [Candidate] }   (upstream feed or listing page)
//! fetch      url ─▶ Page   (politeness, robots.txt, conditional GET, size caps, address guard)
//! extract    Page + SiteRules ─▶ Article   (decode, metadata, main content, cruft removal, sanitize)
//! summarize  Article ─▶ Summary   (key points + lead paragraph)
//! store      Article + Summary ─▶ Item   (SQLite: dedupe, updates, fetch state)
//! publish    FeedMeta + [Item] ─▶ RSS 2.0 / Atom 1.0 / JSON Feed 1.1 files, OPML
//! serve      axum router over the published files (ETag, 304, gzip), index page, metrics
//! pipeline   one pass over one feed: the stages above in order
//! schedule   cron timers per feed, the daemon, graceful shutdown
//! ```
//!
//! `extract` and `summarize` are pure (bytes and rules in, values out): no network, no clock.

pub mod app;
pub mod config;
pub mod extract;
pub mod fetch;
pub mod model;
pub mod pipeline;
pub mod publish;
pub mod rules;
pub mod schedule;
pub mod serve;
pub mod source;
pub mod store;
pub mod summarize;

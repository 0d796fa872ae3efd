//! clearfeed turns partial, ad-laden news feeds and listing pages into clean feeds with summaries.
//!
//! # Layout
//! One module per pipeline stage, each with one main verb; plain data types flow between them,
//! and the normalized model lives in [`model`]:
//!
//! ```text
//! config     clearfeed.toml + feeds/<id>.toml ─▶ AppConfig, and each stage's own options
//! source     FeedConfig ─▶ Listing { entries: [Candidate] }   (upstream feed, listing page, sitemap)
//! fetch      url ─▶ Page   (politeness, robots.txt, conditional GET, size caps, address guard)
//! extract    Page + SiteRules ─▶ Article   (decode, metadata, main content, cruft removal, sanitize)
//! rules      rules directories ─▶ RulesLibrary: site rules by host (clearfeed TOML, ftr-site-config)
//! summarize  Article ─▶ Summary   (key points + lead paragraph)
//! filter     Candidate (+ Article) ─▶ kept or dropped   (a feed's keep/drop patterns)
//! store      Article + Summary ─▶ Item   (SQLite or PostgreSQL: dedupe, updates, fetch state)
//! publish    FeedMeta + [Item] ─▶ RSS 2.0 / Atom 1.0 / JSON Feed 1.1 files, OPML
//! serve      axum router over the published files (ETag, 304, gzip), index page, metrics
//! pipeline   one pass over one feed: the stages above in order
//! schedule   cron timers per feed, the daemon loop, graceful shutdown
//! workers    the daemon over a shared PostgreSQL store: feeds claimed under leases
//! app        the `clearfeed` program: clap, set-up, one function per command, tools
//! ```
//!
//! `extract` and `summarize` are pure (bytes and rules in, values out): no network, no clock. No
//! stage imports `config` or `app`: `config` builds the stages' option types from files, and the
//! app hands them over as plain values.

// In pipeline order (blank lines keep rustfmt from sorting them).
pub mod model;

pub mod config;

pub mod source;

pub mod fetch;

pub mod extract;

pub mod rules;

pub mod summarize;

pub mod filter;

pub mod store;

pub mod publish;

pub mod serve;

pub mod pipeline;

pub mod schedule;

pub mod workers;

pub mod app;

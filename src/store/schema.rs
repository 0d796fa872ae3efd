//! Schema migrations, kept in code and applied in order when a [`Store`](super::Store) opens;
//! `PRAGMA user_version` counts those applied.
//!
//! Owns the table definitions and the upgrade step. Does not own the connection set-up (pragmas,
//! locking: `mod.rs`) or any query against the tables (`items.rs`, `state.rs`).

use std::path::Path;

use rusqlite::Connection;

use super::StoreError;

/// Schema migrations, applied in order; `PRAGMA user_version` counts those applied.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE feeds (
    id TEXT PRIMARY KEY,
    etag TEXT,
    last_modified TEXT,
    title TEXT,
    site_url TEXT,
    description TEXT,
    last_attempt TEXT,
    last_success TEXT,
    last_error TEXT,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    next_allowed TEXT
);
CREATE TABLE items (
    id INTEGER PRIMARY KEY,
    feed TEXT NOT NULL,
    guid TEXT NOT NULL,
    url TEXT NOT NULL,
    link TEXT NOT NULL,
    title TEXT NOT NULL,
    byline TEXT,
    published TEXT,
    updated TEXT NOT NULL,
    bullets TEXT NOT NULL,
    lead TEXT NOT NULL,
    summary TEXT NOT NULL,
    content_html TEXT NOT NULL,
    image TEXT,
    content_hash TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    etag TEXT,
    last_modified TEXT,
    source_sig TEXT NOT NULL DEFAULT '',
    fallback INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    checked_at TEXT,
    pruned INTEGER NOT NULL DEFAULT 0,
    UNIQUE (feed, guid)
);
CREATE INDEX items_url ON items (feed, url);
CREATE INDEX items_link ON items (feed, link);
CREATE INDEX items_order ON items (feed, pruned, published, first_seen);
CREATE TABLE fetch_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    feed TEXT NOT NULL,
    url TEXT NOT NULL,
    status INTEGER,
    outcome TEXT NOT NULL,
    millis INTEGER NOT NULL,
    bytes INTEGER NOT NULL
);
CREATE INDEX fetch_log_at ON fetch_log (at);
"#,
    r#"
ALTER TABLE feeds ADD COLUMN last_run_failed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE feeds ADD COLUMN last_item_error TEXT;
"#,
    r#"
CREATE TABLE host_holds (
    host TEXT PRIMARY KEY,
    until TEXT NOT NULL
);
"#,
    r#"
ALTER TABLE items ADD COLUMN language TEXT;
"#,
    r#"
ALTER TABLE feeds ADD COLUMN rules_applied INTEGER NOT NULL DEFAULT 0;
ALTER TABLE feeds ADD COLUMN rules_missed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE feeds ADD COLUMN rules_applied_total INTEGER NOT NULL DEFAULT 0;
ALTER TABLE feeds ADD COLUMN rules_missed_total INTEGER NOT NULL DEFAULT 0;
ALTER TABLE feeds ADD COLUMN rules_login TEXT;
"#,
    r#"
ALTER TABLE host_holds ADD COLUMN reason TEXT NOT NULL DEFAULT '';
"#,
];

/// The database's schema version, refused when it is newer than the migrations we know.
pub(super) fn check_version(conn: &Connection, path: &Path) -> Result<i64, StoreError> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let known = MIGRATIONS.len() as i64;
    if version > known {
        return Err(StoreError::TooNew {
            path: path.to_path_buf(),
            found: version,
            known,
        });
    }
    Ok(version)
}

pub(super) fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let version = check_version(conn, path)?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}

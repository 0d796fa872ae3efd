//! The PostgreSQL engine of the store: the same items, feed state and fetch log as the SQLite
//! engine, with the same semantics, for several workers on several machines sharing one database.
//!
//! The store's interface is synchronous (async code goes through [`Store::call`](super::Store),
//! which runs on tokio's blocking pool). This engine drives `tokio-postgres` that way: each
//! connection's I/O runs on a thread of its own with a small runtime, and a call waits for the
//! client's answer with a plain executor, so no caller needs, or may be inside, a tokio runtime.
//! One connection serves the process, behind a mutex like the SQLite one; a connection the server
//! dropped is opened again on the next call.
//!
//! This file owns the connection, its opening, the schema migrations (kept in code, counted in a
//! `schema_version` table, applied under an advisory lock so workers starting together do not race)
//! and the value conversions. Item queries are in `items.rs`, feed state and the fetch log in
//! `state.rs` (with hosts on hold), worker leases and shared host spacing in `claims.rs`.

mod claims;
mod items;
mod state;

use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use tokio_postgres::{Client, NoTls};

use super::StoreError;

/// How long opening a connection may take when the URL does not say (`connect_timeout`).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Any migration step holds this advisory lock, so that two workers never migrate at once.
const MIGRATION_LOCK: i64 = 0x636c_6561_7266_6564; // "clearfed"

/// Schema migrations, applied in order; the `schema_version` table counts those applied. The
/// tables match the SQLite engine's, plus what workers need to share feeds (`next_run_at`, the
/// lease) and hosts (`host_slots`).
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE feeds (
    id TEXT PRIMARY KEY,
    etag TEXT,
    last_modified TEXT,
    title TEXT,
    site_url TEXT,
    description TEXT,
    last_attempt TIMESTAMPTZ,
    last_success TIMESTAMPTZ,
    last_error TEXT,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    next_allowed TIMESTAMPTZ,
    last_run_failed INTEGER NOT NULL DEFAULT 0,
    last_item_error TEXT,
    next_run_at TIMESTAMPTZ,
    lease_owner TEXT,
    lease_until TIMESTAMPTZ
);
CREATE INDEX feeds_due ON feeds (next_run_at);
CREATE TABLE items (
    id BIGSERIAL PRIMARY KEY,
    feed TEXT NOT NULL,
    guid TEXT NOT NULL,
    url TEXT NOT NULL,
    link TEXT NOT NULL,
    title TEXT NOT NULL,
    byline TEXT,
    published TIMESTAMPTZ,
    updated TIMESTAMPTZ NOT NULL,
    bullets TEXT NOT NULL,
    lead TEXT NOT NULL,
    summary TEXT NOT NULL,
    content_html TEXT NOT NULL,
    image TEXT,
    content_hash TEXT NOT NULL,
    first_seen TIMESTAMPTZ NOT NULL,
    etag TEXT,
    last_modified TEXT,
    source_sig TEXT NOT NULL DEFAULT '',
    fallback BOOLEAN NOT NULL DEFAULT FALSE,
    attempts INTEGER NOT NULL DEFAULT 0,
    checked_at TIMESTAMPTZ,
    pruned BOOLEAN NOT NULL DEFAULT FALSE,
    language TEXT,
    UNIQUE (feed, guid)
);
CREATE INDEX items_url ON items (feed, url);
CREATE INDEX items_link ON items (feed, link);
CREATE INDEX items_order ON items (feed, pruned, published, first_seen);
CREATE TABLE fetch_log (
    id BIGSERIAL PRIMARY KEY,
    at TIMESTAMPTZ NOT NULL,
    feed TEXT NOT NULL,
    url TEXT NOT NULL,
    status INTEGER,
    outcome TEXT NOT NULL,
    millis BIGINT NOT NULL,
    bytes BIGINT NOT NULL
);
CREATE INDEX fetch_log_at ON fetch_log (at);
CREATE TABLE host_slots (
    host TEXT PRIMARY KEY,
    next_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE host_holds (
    host TEXT PRIMARY KEY,
    until TIMESTAMPTZ NOT NULL
);
"#,
    r#"
ALTER TABLE feeds ADD COLUMN rules_applied INTEGER NOT NULL DEFAULT 0;
ALTER TABLE feeds ADD COLUMN rules_missed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE feeds ADD COLUMN rules_applied_total BIGINT NOT NULL DEFAULT 0;
ALTER TABLE feeds ADD COLUMN rules_missed_total BIGINT NOT NULL DEFAULT 0;
ALTER TABLE feeds ADD COLUMN rules_login TEXT;
"#,
    r#"
ALTER TABLE host_holds ADD COLUMN reason TEXT NOT NULL DEFAULT '';
"#,
];

/// One PostgreSQL connection (opened again when the server dropped it).
pub(super) struct PgStore {
    config: tokio_postgres::Config,
    /// The URL without its password, for messages.
    shown: String,
    client: Mutex<Option<Client>>,
}

impl PgStore {
    /// Connects to `url` (`postgres://user@host:port/db`) and brings the schema up to date.
    pub(super) fn open(url: &str) -> Result<PgStore, StoreError> {
        let shown = redact(url);
        let mut config: tokio_postgres::Config =
            url.parse().map_err(|source| StoreError::OpenPg {
                url: shown.clone(),
                source,
            })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        let store = PgStore {
            config,
            shown,
            client: Mutex::new(None),
        };
        store.with(migrate)?;
        Ok(store)
    }

    /// The URL without its password.
    pub(super) fn shown(&self) -> &str {
        &self.shown
    }

    /// Runs `f` with the connection (opening it first if needed), waiting for its future here.
    pub(super) fn with<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        F: AsyncFnOnce(&mut Client) -> Result<T, StoreError>,
    {
        let mut guard = self.client.lock().unwrap_or_else(|p| p.into_inner());
        if guard.as_ref().is_none_or(|c| c.is_closed()) {
            *guard = Some(connect(&self.config, &self.shown)?);
        }
        let client = guard.as_mut().expect("connected above");
        futures_executor::block_on(f(client))
    }
}

/// Opens a connection whose I/O runs on a thread of its own until the client is dropped.
fn connect(config: &tokio_postgres::Config, shown: &str) -> Result<Client, StoreError> {
    let config = config.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    let open_err = |source| StoreError::OpenPg {
        url: shown.to_string(),
        source,
    };
    std::thread::Builder::new()
        .name("clearfeed-pg".into())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(r) => r,
                Err(e) => return drop(tx.send(Err(e.to_string()))),
            };
            runtime.block_on(async move {
                match config.connect(NoTls).await {
                    Ok((client, connection)) => {
                        let _ = tx.send(Ok(Ok(client)));
                        if let Err(e) = connection.await {
                            tracing::warn!("database connection ended: {e}");
                        }
                    }
                    Err(e) => drop(tx.send(Ok(Err(e)))),
                }
            });
        })
        .map_err(|e| StoreError::Task(e.to_string()))?;
    match rx.recv() {
        Ok(Ok(Ok(client))) => Ok(client),
        Ok(Ok(Err(e))) => Err(open_err(e)),
        Ok(Err(reason)) => Err(StoreError::Task(reason)),
        Err(_) => Err(StoreError::Task(
            "the database connection thread ended".into(),
        )),
    }
}

async fn migrate(client: &mut Client) -> Result<(), StoreError> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        .await?;
    let found: Option<i32> = tx
        .query_opt("SELECT version FROM schema_version", &[])
        .await?
        .map(|r| r.get(0));
    let version = i64::from(found.unwrap_or(0));
    let known = MIGRATIONS.len() as i64;
    if version > known {
        return Err(StoreError::TooNew {
            path: "postgres".into(),
            found: version,
            known,
        });
    }
    for sql in &MIGRATIONS[version as usize..] {
        tx.batch_execute(sql).await?;
    }
    if found.is_none() {
        tx.execute("INSERT INTO schema_version VALUES ($1)", &[&(known as i32)])
            .await?;
    } else {
        tx.execute("UPDATE schema_version SET version = $1", &[&(known as i32)])
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// `url` with any password replaced by `***`.
fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ if url.contains("password=") => "postgres (password not shown)".to_string(),
        _ => url.to_string(),
    }
}

/// Times are stored to the millisecond, like the SQLite engine stores them.
fn ms(t: DateTime<Utc>) -> DateTime<Utc> {
    t.trunc_subsecs(3)
}

fn int(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn uint(n: i32) -> u32 {
    u32::try_from(n).unwrap_or(0)
}

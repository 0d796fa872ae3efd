//! Storage: items (deduplicated by guid and canonical URL, updated when their content changes),
//! feed fetch state, and the fetch log, in one of two engines behind the one [`Store`] handle:
//! SQLite in the data directory (the default), or PostgreSQL (`pg/`) for several workers sharing
//! one database ([`Database`]). Migrations live in code for both; both pass the same tests.
//!
//! With SQLite, one [`Store`] is one connection behind a `std::sync::Mutex`, shared by cloning. SQLite runs
//! one writer at a time anyway; a single connection means our own tasks never meet
//! `SQLITE_BUSY` among themselves, and every call is a short statement or transaction, so the lock
//! is held briefly. Async code must not block its runtime thread on it: use [`Store::call`], which
//! runs the closure on tokio's blocking pool. A reader elsewhere in the process (the web server)
//! can open its own `Store` on the same file: WAL mode lets it read while a run writes.
//!
//! Durability: WAL with `synchronous = NORMAL`; the item writes of a feed run are committed in
//! batches ([`Store::upsert_items`], one transaction each), so a crash or kill loses at most the
//! batch in flight, never a committed item, and a batch is stored whole or not at all.
//!
//! Times are stored as RFC 3339 UTC text with milliseconds (sortable, readable in the sqlite shell).
//!
//! This file owns the [`Store`] handle, opening it, the SQLite connection and its lock,
//! [`Store::call`], the errors and the time encoding. Each query method of `items.rs` and
//! `state.rs` hands a PostgreSQL store to its counterpart in `pg/`. It does not own the schema (`schema.rs`), item queries
//! (`items.rs`) or feed state and the fetch log (`state.rs`).

mod items;
mod pg;
mod schema;
mod state;
mod workers;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::Connection;

pub use crate::model::Item;
pub use items::{ItemMeta, Known, Upsert};
pub use state::{FeedState, FetchLogEntry, HostHold, RulesHealth};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open database {path}: {source}")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("cannot create data directory {path}: {source}")]
    Dir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "database {path} has schema version {found}, newer than this clearfeed knows ({known}); upgrade clearfeed"
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database: bad stored value in {column}: {reason}")]
    Value {
        column: &'static str,
        reason: String,
    },
    #[error("database task failed: {0}")]
    Task(String),
    #[error("cannot open database {url}: {source}")]
    OpenPg {
        url: String,
        source: tokio_postgres::Error,
    },
    #[error("database: {0}")]
    Postgres(#[from] tokio_postgres::Error),
    #[error("{0} needs a PostgreSQL database (database_url = \"postgres://…\")")]
    NeedsPostgres(&'static str),
    #[error("{0} is not available with a PostgreSQL database yet")]
    NotOnPostgres(&'static str),
}

/// Which database a store is: the SQLite file (the default) or a PostgreSQL server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    Sqlite(PathBuf),
    /// A `postgres://` (or `postgresql://`) URL, or a `key=value` connection string.
    Postgres(String),
}

impl Database {
    /// `url` when it names a PostgreSQL database (`postgres://…`, `postgresql://…`), else the
    /// SQLite file `sqlite_path`.
    pub fn from_url(url: Option<&str>, sqlite_path: PathBuf) -> Result<Database, String> {
        match url.map(str::trim).filter(|u| !u.is_empty()) {
            None => Ok(Database::Sqlite(sqlite_path)),
            Some(u) if u.starts_with("postgres://") || u.starts_with("postgresql://") => {
                Ok(Database::Postgres(u.to_string()))
            }
            Some(u) => Err(format!(
                "database_url {:?} is not a PostgreSQL URL (postgres://user@host:port/db); \
                 leave it out to use SQLite in the data directory",
                u.split('@').next_back().unwrap_or(u)
            )),
        }
    }
}

/// The store. Cheap to clone (one shared connection).
#[derive(Clone)]
pub struct Store {
    engine: Engine,
    path: PathBuf,
    /// Per feed, how many writes through this handle changed what the feed publishes (an item
    /// added, its content replaced, items pruned). Kept in memory only, one counter per feed: a
    /// publisher compares it with the value it last published to skip reloading unchanged items.
    revisions: Arc<Mutex<std::collections::HashMap<String, u64>>>,
}

#[derive(Clone)]
enum Engine {
    Sqlite(Arc<Mutex<Connection>>),
    Postgres(Arc<pg::PgStore>),
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn parse_ts(column: &'static str, s: Option<String>) -> Result<Option<DateTime<Utc>>, StoreError> {
    s.map(|s| {
        DateTime::parse_from_rfc3339(&s)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| StoreError::Value {
                column,
                reason: format!("{s:?}: {e}"),
            })
    })
    .transpose()
}

fn req_ts(column: &'static str, s: String) -> Result<DateTime<Utc>, StoreError> {
    parse_ts(column, Some(s)).map(|t| t.expect("given Some"))
}

impl Store {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Dir {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let open_err = |source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        };
        let mut conn = Connection::open(path).map_err(open_err)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(open_err)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(open_err)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(open_err)?;
        schema::migrate(&mut conn, path)?;
        Ok(Store {
            engine: Engine::Sqlite(Arc::new(Mutex::new(conn))),
            path: path.to_path_buf(),
            revisions: Default::default(),
        })
    }

    /// Opens `db`: the SQLite file as [`Store::open`] does, or connects to the PostgreSQL server
    /// and brings its schema up to date.
    pub fn open_database(db: &Database) -> Result<Store, StoreError> {
        match db {
            Database::Sqlite(path) => Store::open(path),
            Database::Postgres(url) => {
                let pg = pg::PgStore::open(url)?;
                Ok(Store {
                    path: PathBuf::from(pg.shown()),
                    engine: Engine::Postgres(Arc::new(pg)),
                    revisions: Default::default(),
                })
            }
        }
    }

    /// Opens an existing database for reading only: nothing is created (no file, no directory, no
    /// migration), so a look at the state never changes it. A database newer than this clearfeed is
    /// refused like in [`Store::open`].
    pub fn open_read_only(path: &Path) -> Result<Store, StoreError> {
        use rusqlite::OpenFlags;
        let open_err = |source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        };
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(open_err)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(open_err)?;
        schema::check_version(&conn, path)?;
        Ok(Store {
            engine: Engine::Sqlite(Arc::new(Mutex::new(conn))),
            path: path.to_path_buf(),
            revisions: Default::default(),
        })
    }

    /// Opens `<data_dir>/clearfeed.db`.
    pub fn open_in(data_dir: &Path) -> Result<Store, StoreError> {
        Store::open(&data_dir.join("clearfeed.db"))
    }

    /// The SQLite file, or the PostgreSQL URL without its password.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether this store is a PostgreSQL database that several workers can share.
    pub fn is_shared(&self) -> bool {
        matches!(self.engine, Engine::Postgres(_))
    }

    /// The PostgreSQL engine, when this store is one: each query method hands it the call.
    fn pg(&self) -> Option<&pg::PgStore> {
        match &self.engine {
            Engine::Postgres(pg) => Some(pg),
            Engine::Sqlite(_) => None,
        }
    }

    /// Runs `f` with the SQLite connection. A PostgreSQL store has none: a query written for
    /// SQLite only is refused there with an error naming the caller's `what`.
    fn with<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let Engine::Sqlite(conn) = &self.engine else {
            return Err(StoreError::NotOnPostgres("this query"));
        };
        // A panic while holding the lock cannot leave a half-done transaction behind (rusqlite
        // rolls back on drop), so a poisoned lock is safe to keep using.
        let mut conn = conn.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut conn)
    }

    /// How many writes through this handle (and its clones) changed what `feed` publishes. Starts
    /// at 0 in every process, so a new process always publishes once before it can skip.
    pub fn feed_revision(&self, feed: &str) -> u64 {
        let map = self.revisions.lock().unwrap_or_else(|p| p.into_inner());
        map.get(feed).copied().unwrap_or(0)
    }

    /// Counts a change to what `feed` publishes (see [`Store::feed_revision`]).
    fn bump_revision(&self, feed: &str) {
        let mut map = self.revisions.lock().unwrap_or_else(|p| p.into_inner());
        match map.get_mut(feed) {
            Some(n) => *n += 1,
            None => {
                map.insert(feed.to_string(), 1);
            }
        }
    }

    /// Runs `f` on tokio's blocking pool: how async code should use the store.
    pub async fn call<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    {
        let store = self.clone();
        tokio::task::spawn_blocking(move || f(&store))
            .await
            .map_err(|e| StoreError::Task(e.to_string()))?
    }
}

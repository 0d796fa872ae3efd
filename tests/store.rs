//! The store's behaviour, one suite run against both engines: SQLite files in a temporary
//! directory, and databases on a throwaway PostgreSQL server (`common::pg`). Then what only a
//! shared (PostgreSQL) store does: feed claims under leases and host spacing across workers.

mod common;

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use clearfeed::store::{
    Database, FeedState, FetchLogEntry, HostHold, Item, ItemMeta, RulesHealth, Store, StoreError,
    Upsert,
};

fn item(guid: &str, url: &str, body: &str) -> Item {
    let now = Utc::now();
    Item {
        feed: "f".into(),
        guid: guid.into(),
        url: url.into(),
        title: "T".into(),
        byline: None,
        published: None,
        updated: now,
        bullets: vec!["one".into(), "two".into()],
        lead: "Lead.".into(),
        summary: "• one\n• two\n\nLead.".into(),
        content_html: format!("<p>{body}</p>"),
        image: None,
        content_hash: body.into(),
        first_seen: now,
        language: Some("en".into()),
    }
}

fn meta(link: &str) -> ItemMeta {
    ItemMeta {
        link: link.into(),
        ..Default::default()
    }
}

/// Times as both engines keep them: to the millisecond.
fn stored_time(t: DateTime<Utc>) -> DateTime<Utc> {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
        .parse()
        .unwrap()
}

/// Each test body runs once per engine: `sqlite::NAME` and `postgres::NAME`.
macro_rules! both_engines {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $name() {
                    let dir = tempfile::tempdir().unwrap();
                    super::$name(&clearfeed::store::Database::Sqlite(
                        dir.path().join("db").join("c.db"),
                    ));
                }
            )*
        }
        mod postgres {
            $(
                #[test]
                fn $name() {
                    if let Some(url) = crate::common::pg::database() {
                        super::$name(&clearfeed::store::Database::Postgres(url));
                    }
                }
            )*
        }
    };
}

both_engines!(
    upsert_dedupes_by_guid_and_url_and_updates_on_change,
    a_batch_of_item_writes_is_stored_in_order_and_dedupes_within_itself,
    a_change_of_content_is_dated_when_it_happens,
    retention_keeps_newest_and_leaves_tombstones,
    gone_articles_leave_a_tombstone_and_touch_moves_the_signal,
    fallbacks_count_attempts_and_a_real_article_resets_them,
    feed_state_round_trip_and_failures,
    reopening_keeps_items_and_the_fetch_log,
    host_holds_keep_the_later_time_and_expire,
    site_rule_figures_add_up_and_a_run_without_any_keeps_the_last,
);

fn upsert_dedupes_by_guid_and_url_and_updates_on_change(db: &Database) {
    let store = Store::open_database(db).unwrap();
    let a = item("g1", "https://e.example/a", "v1");
    let listed = meta("https://e.example/a?x");
    assert_eq!(store.upsert_item(&a, &listed).unwrap(), Upsert::New);
    assert_eq!(store.upsert_item(&a, &listed).unwrap(), Upsert::Unchanged);
    // Same canonical URL under another guid is the same article.
    let same_url = item("g-other", "https://e.example/a", "v1");
    assert_eq!(
        store.upsert_item(&same_url, &meta("x")).unwrap(),
        Upsert::Unchanged
    );
    let mut changed = item("g1", "https://e.example/a", "v2");
    changed.updated = a.updated + chrono::Duration::seconds(5);
    assert_eq!(
        store.upsert_item(&changed, &meta("x")).unwrap(),
        Upsert::Updated
    );
    let items = store.items("f", 10).unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].guid, "g1");
    assert_eq!(items[0].content_html, "<p>v2</p>");
    assert_eq!(items[0].bullets, vec!["one", "two"]);
    assert_eq!(items[0].updated, stored_time(changed.updated));
    assert_eq!(items[0].first_seen, stored_time(a.first_seen));
    assert_eq!(items[0].language.as_deref(), Some("en"));

    let k = store
        .known("f", "nope", &["https://e.example/a?x"])
        .unwrap()
        .unwrap();
    assert_eq!(k.guid, "g1");
    assert_eq!(k.content_hash, "v2");
    let none: &[&str] = &["https://e.example/zzz"];
    assert!(store.known("f", "nope", none).unwrap().is_none());
    assert!(store.known("other-feed", "g1", &[]).unwrap().is_none());
}

fn a_batch_of_item_writes_is_stored_in_order_and_dedupes_within_itself(db: &Database) {
    let store = Store::open_database(db).unwrap();
    let a = item("g1", "https://e.example/a", "v1");
    let b = item("g2", "https://e.example/b", "v1");
    // The same article listed again under another guid, changed: the batch's own first write is
    // what it matches.
    let a_again = item("g3", "https://e.example/a", "v2");
    let (ma, mb) = (meta("https://e.example/a"), meta("https://e.example/b"));
    let outcomes = store
        .upsert_items(&[(&a, &ma), (&b, &mb), (&a_again, &ma)])
        .unwrap();
    assert_eq!(outcomes, [Upsert::New, Upsert::New, Upsert::Updated]);
    let stored = store.items("f", 10).unwrap();
    assert_eq!(stored.len(), 2, "{stored:?}");
    let first = stored.iter().find(|i| i.url == a.url).unwrap();
    assert_eq!(
        (first.guid.as_str(), first.content_hash.as_str()),
        ("g1", "v2")
    );
    assert!(store.feed_revision("f") >= 3, "every change counted");
    // The same batch again changes nothing.
    let outcomes = store.upsert_items(&[(&a_again, &ma), (&b, &mb)]).unwrap();
    assert_eq!(outcomes, [Upsert::Unchanged, Upsert::Unchanged]);
    assert!(store.upsert_items(&[]).unwrap().is_empty());
}

fn a_change_of_content_is_dated_when_it_happens(db: &Database) {
    let store = Store::open_database(db).unwrap();
    // An item dated long ago (its own modified date) that changes now is dated now.
    let mut old_date = item("g-old", "https://e.example/old", "v1");
    old_date.updated = Utc::now() - chrono::Duration::days(30);
    store.upsert_item(&old_date, &meta("o")).unwrap();
    old_date.content_html = "<p>v2</p>".into();
    old_date.content_hash = "v2".into();
    let before = Utc::now() - chrono::Duration::milliseconds(5);
    assert_eq!(
        store.upsert_item(&old_date, &meta("o")).unwrap(),
        Upsert::Updated
    );
    let stored = store.items("f", 10).unwrap();
    let stored = stored.iter().find(|i| i.guid == "g-old").unwrap();
    assert!(stored.updated >= before, "{:?}", stored.updated);
}

fn retention_keeps_newest_and_leaves_tombstones(db: &Database) {
    let store = Store::open_database(db).unwrap();
    let base = Utc::now();
    for i in 0..5 {
        let mut it = item(&format!("g{i}"), &format!("https://e.example/{i}"), "x");
        it.published = Some(base + chrono::Duration::minutes(i));
        store.upsert_item(&it, &meta("")).unwrap();
    }
    assert_eq!(store.prune("f", 3, None).unwrap(), 2);
    let guids: Vec<_> = store
        .items("f", 10)
        .unwrap()
        .into_iter()
        .map(|i| i.guid)
        .collect();
    assert_eq!(guids, vec!["g4", "g3", "g2"]);
    let tomb = store.known("f", "g0", &[]).unwrap().unwrap();
    assert!(tomb.pruned);
    // Older than a cut-off goes too, whatever the count.
    assert_eq!(
        store
            .prune("f", 10, Some(Utc::now() + chrono::Duration::seconds(1)))
            .unwrap(),
        3
    );
    assert!(store.items("f", 10).unwrap().is_empty());
    // A pruned article whose content changes is published again.
    let mut back = item("g4", "https://e.example/4", "new text");
    back.published = Some(base);
    assert_eq!(
        store.upsert_item(&back, &meta("")).unwrap(),
        Upsert::Updated
    );
    assert_eq!(store.items("f", 10).unwrap().len(), 1);
}

fn gone_articles_leave_a_tombstone_and_touch_moves_the_signal(db: &Database) {
    let store = Store::open_database(db).unwrap();
    store
        .mark_gone("f", "g-gone", "https://e.example/gone", "sig1")
        .unwrap();
    // Twice is harmless.
    store
        .mark_gone("f", "g-gone", "https://e.example/gone", "sig1")
        .unwrap();
    let tomb = store
        .known("f", "other", &["https://e.example/gone"])
        .unwrap()
        .unwrap();
    assert!(tomb.pruned);
    assert_eq!(tomb.meta.source_sig, "sig1");
    assert!(store.items("f", 10).unwrap().is_empty());

    store
        .upsert_item(&item("g", "https://e.example/a", "x"), &meta("l"))
        .unwrap();
    store.touch_item("f", "g", "sig2").unwrap();
    let k = store.known("f", "g", &[]).unwrap().unwrap();
    assert_eq!(k.meta.source_sig, "sig2");
    assert!(!k.pruned);
}

fn fallbacks_count_attempts_and_a_real_article_resets_them(db: &Database) {
    let store = Store::open_database(db).unwrap();
    let teaser = ItemMeta {
        link: "https://e.example/a".into(),
        fallback: true,
        etag: Some("\"t1\"".into()),
        ..Default::default()
    };
    let it = item("g", "https://e.example/a", "teaser");
    store.upsert_item(&it, &teaser).unwrap();
    store.upsert_item(&it, &teaser).unwrap();
    let k = store.known("f", "g", &[]).unwrap().unwrap();
    assert_eq!(k.attempts, 2);
    assert!(k.meta.fallback);
    assert_eq!(k.meta.etag.as_deref(), Some("\"t1\""));
    let state = FeedState {
        id: "f".into(),
        ..Default::default()
    };
    store.record_feed_success(&state, Utc::now()).unwrap();
    assert_eq!(store.feed_state("f").unwrap().unwrap().teaser_count, 1);
    let real = item("g", "https://e.example/a", "the whole article");
    store
        .upsert_item(&real, &meta("https://e.example/a"))
        .unwrap();
    let k = store.known("f", "g", &[]).unwrap().unwrap();
    assert_eq!(k.attempts, 0);
    assert!(!k.meta.fallback);
    assert_eq!(k.meta.etag, None);
}

fn feed_state_round_trip_and_failures(db: &Database) {
    let store = Store::open_database(db).unwrap();
    let now = Utc::now();
    let minutes = |n: u32| chrono::Duration::minutes(n as i64);
    assert_eq!(
        store
            .record_feed_failure("f", "boom", now, minutes)
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .record_feed_failure("f", "boom again", now, minutes)
            .unwrap(),
        2
    );
    let s = store.feed_state("f").unwrap().unwrap();
    assert_eq!(s.last_error.as_deref(), Some("boom again"));
    assert_eq!(s.next_allowed, Some(stored_time(now + minutes(2))));
    assert_eq!(s.last_attempt, Some(stored_time(now)));
    let first = FeedState {
        id: "f".into(),
        etag: Some("\"e1\"".into()),
        title: Some("Feed".into()),
        last_run_failed: 2,
        last_item_error: Some("timeout".into()),
        ..Default::default()
    };
    store.record_feed_success(&first, now).unwrap();
    // A later success without new validators keeps the stored ones.
    let bare = FeedState {
        id: "f".into(),
        ..Default::default()
    };
    store.record_feed_success(&bare, now).unwrap();
    store
        .upsert_item(&item("g", "https://e.example/a", "x"), &meta(""))
        .unwrap();
    let s = store.feed_state("f").unwrap().unwrap();
    assert_eq!(s.etag.as_deref(), Some("\"e1\""));
    assert_eq!(s.consecutive_failures, 0);
    assert_eq!(s.last_error, None);
    assert_eq!(s.next_allowed, None);
    assert_eq!(s.title.as_deref(), Some("Feed"));
    assert_eq!(s.last_success, Some(stored_time(now)));
    assert_eq!((s.last_run_failed, s.last_item_error), (0, None));
    assert_eq!(s.item_count, 1);
    assert_eq!(s.teaser_count, 0);
    assert_eq!(store.feed_states().unwrap().len(), 1);
    assert!(store.feed_state("other").unwrap().is_none());
}

fn site_rule_figures_add_up_and_a_run_without_any_keeps_the_last(db: &Database) {
    let store = Store::open_database(db).unwrap();
    let state = FeedState {
        id: "f".into(),
        ..Default::default()
    };
    store.record_feed_success(&state, Utc::now()).unwrap();
    let run = |applied, missed, login: &[&str]| RulesHealth {
        applied,
        missed,
        login_hosts: login.iter().map(|h| h.to_string()).collect(),
        ..Default::default()
    };
    store.record_rules_run("f", &run(4, 0, &[])).unwrap();
    store
        .record_rules_run("f", &run(3, 2, &["news.example", "paper.example"]))
        .unwrap();
    // A run that read no article with rules says nothing about them.
    store.record_rules_run("f", &run(0, 0, &[])).unwrap();
    let rules = store.feed_state("f").unwrap().unwrap().rules;
    assert_eq!(
        rules,
        RulesHealth {
            applied: 3,
            missed: 2,
            applied_total: 7,
            missed_total: 2,
            login_hosts: vec!["news.example".into(), "paper.example".into()],
        }
    );
}

fn reopening_keeps_items_and_the_fetch_log(db: &Database) {
    let at = Utc::now();
    {
        let store = Store::open_database(db).unwrap();
        store.upsert_item(&item("g", "u", "x"), &meta("u")).unwrap();
        for (i, status) in [Some(200), None].into_iter().enumerate() {
            store
                .log_fetch(&FetchLogEntry {
                    at: at + chrono::Duration::seconds(i as i64),
                    feed: "f".into(),
                    url: format!("https://e.example/{i}"),
                    status,
                    outcome: if status.is_some() { "ok" } else { "timeout" }.into(),
                    millis: 3,
                    bytes: 10,
                })
                .unwrap();
        }
    }
    let store = Store::open_database(db).unwrap();
    assert_eq!(store.items("f", 10).unwrap().len(), 1);
    let log = store.fetch_log(5).unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!((log[0].status, log[0].outcome.as_str()), (None, "timeout"));
    assert_eq!(log[1].status, Some(200));
    assert_eq!(log[1].at, stored_time(at));
    assert_eq!((log[1].millis, log[1].bytes), (3, 10));
}

fn hold(host: &str, until: DateTime<Utc>, reason: &str) -> HostHold {
    HostHold {
        host: host.into(),
        until,
        reason: reason.into(),
    }
}

fn host_holds_keep_the_later_time_and_expire(db: &Database) {
    let store = Store::open_database(db).unwrap();
    let now = Utc::now();
    let later = now + chrono::Duration::minutes(2);
    let sooner = now + chrono::Duration::minutes(1);
    let retry = "HTTP 429 with Retry-After 120s";
    store
        .hold_hosts(&[hold("a.example", later, retry)], now)
        .unwrap();
    let streak = "3 failed requests in a row";
    let both = [
        hold("a.example", sooner, streak),
        hold("b.example", sooner, streak),
    ];
    store.hold_hosts(&both, now).unwrap();
    drop(store);
    let store = Store::open_database(db).unwrap();
    // The later hold stays, with its own reason.
    assert_eq!(
        store.host_holds(now).unwrap(),
        vec![
            hold("a.example", stored_time(later), retry),
            hold("b.example", stored_time(sooner), streak)
        ]
    );
    let longest = now + chrono::Duration::minutes(3);
    store
        .hold_hosts(&[hold("b.example", longest, retry)], now)
        .unwrap();
    assert_eq!(
        store.host_holds(now).unwrap()[1],
        hold("b.example", stored_time(longest), retry)
    );
    let after = now + chrono::Duration::seconds(150);
    assert_eq!(store.host_holds(after).unwrap().len(), 1, "a's hold ended");
    store.hold_hosts(&[], after).unwrap();
    // Forgotten, not only ended: asked about a time before it ended, it is gone.
    assert_eq!(
        store.host_holds(now).unwrap().len(),
        1,
        "ended holds are forgotten"
    );
}

// ---------------------------------------------------------------------------------------------
// What only the SQLite engine does: a schema version in the file, read-only opening

#[test]
fn reopening_keeps_data_and_schema_version() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.db");
    {
        let store = Store::open(&path).unwrap();
        store.upsert_item(&item("g", "u", "x"), &meta("u")).unwrap();
        store
            .log_fetch(&FetchLogEntry {
                at: Utc::now(),
                feed: "f".into(),
                url: "u".into(),
                status: Some(200),
                outcome: "ok".into(),
                millis: 3,
                bytes: 10,
            })
            .unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(store.items("f", 10).unwrap().len(), 1);
    assert_eq!(store.fetch_log(5).unwrap()[0].status, Some(200));
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    drop(store);
    assert!(matches!(Store::open(&path), Err(StoreError::TooNew { .. })));
    assert!(matches!(
        Store::open_read_only(&path),
        Err(StoreError::TooNew { .. })
    ));
}

#[test]
fn read_only_open_creates_nothing_and_cannot_write() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub").join("c.db");
    assert!(matches!(
        Store::open_read_only(&path),
        Err(StoreError::Open { .. })
    ));
    assert!(!dir.path().join("sub").exists());
    Store::open(&path)
        .unwrap()
        .upsert_item(&item("g", "u", "x"), &meta("u"))
        .unwrap();
    let store = Store::open_read_only(&path).unwrap();
    assert_eq!(store.items("f", 10).unwrap().len(), 1);
    assert!(store.feed_states().unwrap().is_empty());
    assert!(store.upsert_item(&item("h", "v", "y"), &meta("v")).is_err());
}

// ---------------------------------------------------------------------------------------------
// What only a shared store does

fn shared_store() -> Option<Store> {
    let url = common::pg::database()?;
    Some(Store::open_database(&Database::Postgres(url)).unwrap())
}

#[test]
fn a_sqlite_store_refuses_worker_claims_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("c.db")).unwrap();
    assert!(!store.is_shared());
    let err = store
        .claim_due("w", &["f".into()], Duration::from_secs(5), 1)
        .unwrap_err();
    assert!(matches!(err, StoreError::NeedsPostgres(_)), "{err}");
    assert!(err.to_string().contains("postgres://"), "{err}");
}

#[test]
fn two_workers_never_claim_the_same_feed_and_a_dead_ones_lease_expires() {
    let Some(store) = shared_store() else { return };
    let ids: Vec<String> = (0..6).map(|i| format!("feed-{i}")).collect();
    store.register_feeds(&ids).unwrap();
    // Registering again (a restarted worker) keeps the feeds due, not duplicated.
    store.register_feeds(&ids).unwrap();
    let lease = Duration::from_millis(800);
    let a = store.claim_due("a", &ids, lease, 4).unwrap();
    let b = store.claim_due("b", &ids, lease, 4).unwrap();
    assert_eq!(a.len(), 4);
    assert_eq!(b.len(), 2, "only the feeds a did not claim: {a:?} {b:?}");
    assert!(a.iter().all(|id| !b.contains(id)));
    assert!(store.claim_due("c", &ids, lease, 4).unwrap().is_empty());
    // Only configured feeds are claimed: c knows none of these.
    assert!(
        store
            .claim_due("c", &["x".into()], lease, 4)
            .unwrap()
            .is_empty()
    );

    // b finishes one feed; it is next due in an hour.
    let later = Utc::now() + chrono::Duration::hours(1);
    assert!(store.release_feed("b", &b[0], later).unwrap());
    assert!(
        store
            .renew_lease("b", &b[1], Duration::from_secs(30))
            .unwrap()
    );
    // a dies: its leases expire and c takes its feeds; b's renewed lease holds.
    std::thread::sleep(Duration::from_millis(900));
    let c = store.claim_due("c", &ids, lease, 10).unwrap();
    let mut expected = a.clone();
    expected.sort();
    let mut got = c.clone();
    got.sort();
    assert_eq!(got, expected, "c takes over exactly a's feeds");
    assert!(!store.renew_lease("a", &a[0], lease).unwrap(), "a lost it");
    assert!(!store.release_feed("a", &a[0], later).unwrap());
}

#[test]
fn concurrent_claims_from_many_connections_split_the_feeds() {
    let Some(first) = shared_store() else { return };
    let url = first.path().to_string_lossy().to_string();
    let ids: Vec<String> = (0..40).map(|i| format!("feed-{i}")).collect();
    first.register_feeds(&ids).unwrap();
    let claimed: Vec<Vec<String>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|w| {
                let (ids, url) = (&ids, &url);
                s.spawn(move || {
                    let store = Store::open_database(&Database::Postgres(url.clone())).unwrap();
                    let mut mine = Vec::new();
                    loop {
                        let got = store
                            .claim_due(&format!("w{w}"), ids, Duration::from_secs(30), 3)
                            .unwrap();
                        if got.is_empty() {
                            return mine;
                        }
                        mine.extend(got);
                    }
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut all: Vec<&String> = claimed.iter().flatten().collect();
    all.sort();
    let n = all.len();
    all.dedup();
    assert_eq!(n, all.len(), "a feed was claimed twice: {claimed:?}");
    assert_eq!(n, ids.len());
}

#[test]
fn host_slots_space_requests_from_every_worker() {
    let Some(store) = shared_store() else { return };
    let spacing = Duration::from_millis(200);
    let waits: Vec<Duration> = (0..4)
        .map(|_| store.reserve_host("news.example", spacing).unwrap())
        .collect();
    assert!(waits[0] < Duration::from_millis(50), "{waits:?}");
    for (i, w) in waits.iter().enumerate().skip(1) {
        let expected = spacing * i as u32;
        assert!(
            *w > expected - Duration::from_millis(60) && *w <= expected,
            "request {i} waits {w:?}, expected about {expected:?}"
        );
    }
    // Another host has its own slots.
    assert!(store.reserve_host("other.example", spacing).unwrap() < Duration::from_millis(50));
}

//! Several `clearfeed run` workers over one PostgreSQL database (a throwaway server, see
//! `common::pg`): three real worker processes share 30 feeds of a loopback site, one is killed
//! with SIGKILL in the middle, and the others take its feeds over. Every feed runs, no feed is run
//! by two live workers, and requests to the one host keep the configured spacing across workers.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use clearfeed::store::{Database, Store};
use common::{Seen, Server};

const FEEDS: usize = 30;
const ARTICLES: usize = 4;
/// `per_host_delay` of every worker.
const SPACING: Duration = Duration::from_millis(100);

fn article(f: usize, a: usize) -> String {
    let para = format!(
        "Harbour officials in town {f} said on Tuesday that the ferry schedule for route {a} \
         will change next month, after a year of delays blamed on the weather and repairs."
    );
    format!(
        "<!doctype html><html><head><title>Story {f}-{a}</title></head><body><article>\
         <h1>Story {f}-{a}</h1><p>{para}</p><p>{para} More details follow.</p>\
         <p>{para} Residents welcomed the news.</p></article></body></html>"
    )
}

fn rss(server: &Server, f: usize) -> String {
    let items: String = (0..ARTICLES)
        .map(|a| {
            format!(
                "<item><title>Story {f}-{a}</title><link>{}</link><guid>g-{f}-{a}</guid></item>",
                server.url(&format!("/f{f}/a{a}.html"))
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Feed {f}</title>\
         <link>{}</link><description>d</description>{items}</channel></rss>",
        server.url("/")
    )
}

/// The site, the feed files and one configuration file per worker (its user agent names it).
fn set_up(server: &Server, dir: &std::path::Path, db: &str) -> Vec<std::path::PathBuf> {
    std::fs::create_dir_all(dir.join("feeds")).unwrap();
    for f in 0..FEEDS {
        server.ok(
            &format!("/feed-{f}.xml"),
            "application/rss+xml",
            rss(server, f),
        );
        for a in 0..ARTICLES {
            server.ok(&format!("/f{f}/a{a}.html"), "text/html", article(f, a));
        }
        let feed = format!(
            "title = \"Feed {f}\"\nschedule = \"0 0 1 1 *\"\n[source]\nurl = \"{}\"\n",
            server.url(&format!("/feed-{f}.xml"))
        );
        std::fs::write(dir.join(format!("feeds/feed-{f}.toml")), feed).unwrap();
    }
    (0..3)
        .map(|w| {
            let path = dir.join(format!("worker-{w}.toml"));
            let config = format!(
                "data_dir = \"data\"\ndatabase_url = \"{db}\"\nworker_lease = \"2s\"\n\
                 user_agent = \"worker-{w}\"\n[fetch]\nallow_private_networks = true\n\
                 per_host_delay = \"{}ms\"\nconcurrency = 2\n",
                SPACING.as_millis()
            );
            std::fs::write(&path, config).unwrap();
            path
        })
        .collect()
}

/// The worker processes, killed when the test ends, also when it fails half-way.
struct Workers(Vec<Child>);

impl Drop for Workers {
    fn drop(&mut self) {
        for w in &mut self.0 {
            let _ = w.kill();
            let _ = w.wait();
        }
    }
}

fn start_worker(config: &std::path::Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_clearfeed"))
        .args(["run", "--listen", "127.0.0.1:0", "--config"])
        .arg(config)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start a worker")
}

fn by(seen: &Seen) -> &str {
    seen.header("user-agent").unwrap_or_default()
}

/// Polls `done` every 200 ms for at most `limit`.
fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    false
}

#[test]
fn three_workers_share_the_feeds_and_take_over_from_a_killed_one() {
    let Some(url) = common::pg::database() else {
        return;
    };
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    let configs = set_up(&server, dir.path(), &url);
    let mut workers = Workers(configs.iter().map(|c| start_worker(c)).collect());

    // Kill the first worker to be in the middle of its runs (on a loaded machine one worker can
    // start late and find every feed claimed by the others).
    let mut victim = None;
    let started = wait_until(Duration::from_secs(60), || {
        let seen = server.seen();
        victim = (0..3).find(|w| {
            let name = format!("worker-{w}");
            seen.iter().filter(|s| by(s) == name).count() >= 6
        });
        victim.is_some()
    });
    assert!(
        started,
        "no worker got going: {} requests",
        server.seen().len()
    );
    let victim = victim.unwrap();
    let killed = format!("worker-{victim}");
    workers.0[victim].kill().unwrap();
    workers.0[victim].wait().unwrap();
    let killed_at = Instant::now();

    // Every feed has run and is published (a live worker writes the files just after it records
    // the run; a feed whose run the killed worker recorded but did not publish is run again by the
    // worker that takes its lease over).
    let store = Store::open_database(&Database::Postgres(url)).unwrap();
    let all_ran = wait_until(Duration::from_secs(120), || {
        let states = store.feed_states().unwrap();
        let published =
            (0..FEEDS).all(|f| (dir.path().join(format!("data/public/feed-{f}.rss"))).exists());
        published && states.iter().filter(|s| s.last_success.is_some()).count() == FEEDS
    });
    for (w, child) in workers.0.iter_mut().enumerate() {
        if w != victim {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }
    assert!(all_ran, "not every feed ran: {:?}", store.feed_states());

    // Nothing lost: every article of every feed stored and published.
    for f in 0..FEEDS {
        let id = format!("feed-{f}");
        assert_eq!(store.items(&id, 50).unwrap().len(), ARTICLES, "{id}");
    }

    // Who read each feed's source: one live worker, or the killed one and then its successor.
    let seen = server.seen();
    let mut taken_over = 0;
    for f in 0..FEEDS {
        let path = format!("/feed-{f}.xml");
        let reads: Vec<&Seen> = seen.iter().filter(|s| s.path == path).collect();
        let live: std::collections::BTreeSet<&str> = reads
            .iter()
            .map(|s| by(s))
            .filter(|w| *w != killed)
            .collect();
        assert!(live.len() <= 1, "{path} was run by {live:?}");
        let by_killed = reads.iter().filter(|s| by(s) == killed).count();
        assert!(by_killed <= 1, "{path} read {by_killed} times by {killed}");
        if by_killed == 1 && !live.is_empty() {
            taken_over += 1;
            let after = reads.iter().filter(|s| by(s) != killed);
            assert!(
                after
                    .into_iter()
                    .all(|s| s.at > killed_at - Duration::from_millis(50))
            );
        }
    }
    assert!(
        taken_over >= 1,
        "no feed of the killed worker was taken over"
    );

    // Politeness across workers: request starts to the one host stay spaced.
    let mut times: Vec<Instant> = seen.iter().map(|s| s.at).collect();
    times.sort();
    // Arrival times carry the scheduling noise of a loaded machine (a request reserved on time can
    // leave late and arrive just before the next one), so the rate is checked over windows of ten
    // spacings: at most ten requests and a little slack. Three unspaced workers make three times
    // as many.
    let window = SPACING * 10;
    let busiest = (0..times.len())
        .map(|i| {
            times[i..]
                .iter()
                .take_while(|t| **t - times[i] < window)
                .count()
        })
        .max()
        .unwrap();
    assert!(
        busiest <= 13,
        "{busiest} requests within {window:?}, spacing {SPACING:?}"
    );
    let span = *times.last().unwrap() - times[0];
    let most = (span.as_secs_f64() / SPACING.as_secs_f64()).ceil() as usize + 2;
    assert!(times.len() <= most, "{} requests in {span:?}", times.len());
}

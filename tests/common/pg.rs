//! A throwaway PostgreSQL server for the tests that need one, and a fresh database on it per test.
//!
//! With `CLEARFEED_TEST_DATABASE_URL` set (a superuser's URL on a server someone else runs), the
//! databases are made there. Otherwise the first test to ask starts a server of its own: `initdb`
//! and `postgres` from `/usr/lib/postgresql/*/bin` (Debian's `postgresql` package) or the `PATH`,
//! in a temporary directory, listening on a free loopback port, trusting local connections.
//! PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user (made if
//! missing). A watcher beside the server stops it and deletes its directory once the test process
//! has gone, so nothing is left behind however the tests end.
//!
//! When neither is possible the test skips loudly, or fails with `CLEARFEED_REQUIRE_POSTGRES=1`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// A superuser URL of a PostgreSQL server the tests may create databases on.
const EXTERNAL: &str = "CLEARFEED_TEST_DATABASE_URL";
/// The user the server runs as when the tests run as root.
const SERVER_USER: &str = "postgres";

/// The URL of a new, empty database, or `None` (said loudly) when no server can be had and
/// skipping is allowed.
pub fn database() -> Option<String> {
    static ADMIN: OnceLock<Result<String, String>> = OnceLock::new();
    static COUNT: AtomicUsize = AtomicUsize::new(0);
    let admin = match ADMIN.get_or_init(admin_url) {
        Ok(url) => url,
        Err(reason) => {
            super::system_package_missing(
                "a PostgreSQL server",
                reason,
                "CLEARFEED_REQUIRE_POSTGRES",
            );
            return None;
        }
    };
    let name = format!(
        "clearfeed_test_{}_{}",
        std::process::id(),
        COUNT.fetch_add(1, Ordering::Relaxed)
    );
    admin_sql(admin, &format!("CREATE DATABASE {name}"))
        .unwrap_or_else(|e| panic!("cannot create a test database: {e}"));
    Some(with_database(admin, &name))
}

/// `url` naming database `name` instead of its own.
fn with_database(url: &str, name: &str) -> String {
    let mut u = url::Url::parse(url).expect("the admin URL parsed before");
    u.set_path(&format!("/{name}"));
    u.to_string()
}

/// Runs one statement on the admin connection (on a thread of its own, so that async tests may
/// call this too).
fn admin_sql(url: &str, sql: &str) -> Result<(), String> {
    let (url, sql) = (url.to_string(), sql.to_string());
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        runtime.block_on(async move {
            let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                .await
                .map_err(|e| e.to_string())?;
            tokio::spawn(conn);
            client.batch_execute(&sql).await.map_err(|e| e.to_string())
        })
    })
    .join()
    .map_err(|_| "the admin connection panicked".to_string())?
}

fn admin_url() -> Result<String, String> {
    if let Ok(url) = std::env::var(EXTERNAL) {
        return Ok(url);
    }
    let bin = find_binaries().ok_or_else(|| {
        format!(
            "no PostgreSQL server binaries (initdb, postgres) in /usr/lib/postgresql/*/bin or on \
             PATH; install Debian's `postgresql` package or set {EXTERNAL}"
        )
    })?;
    start_server(&bin)
}

/// The directory holding `initdb` and `postgres`: the newest Debian one, else one on `PATH`.
fn find_binaries() -> Option<PathBuf> {
    let has_both = |d: &Path| d.join("initdb").is_file() && d.join("postgres").is_file();
    let mut debian: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|d| has_both(d))
        .collect();
    debian.sort_by_key(|d| {
        let version = d.parent().and_then(|v| v.file_name());
        version.and_then(|v| v.to_str()?.parse::<u32>().ok())
    });
    debian
        .pop()
        .or_else(|| std::env::split_paths(&std::env::var_os("PATH")?).find(|d| has_both(d)))
}

/// Starts a server from `bin` and returns its superuser URL.
fn start_server(bin: &Path) -> Result<String, String> {
    let root = unsafe { libc::geteuid() } == 0;
    let dir = std::env::temp_dir().join(format!("clearfeed-pg-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    if root {
        ensure_user()?;
        run(Command::new("chown").arg(SERVER_USER).arg(&dir))?;
    }
    let as_server = |program: &Path| {
        if root {
            let mut c = Command::new("runuser");
            c.args(["-u", SERVER_USER, "--"]).arg(program);
            c
        } else {
            Command::new(program)
        }
    };
    let data = dir.join("data");
    run(as_server(&bin.join("initdb")).arg("-D").arg(&data).args([
        "-U",
        "clearfeed",
        "--auth=trust",
        "-E",
        "UTF8",
        "--no-sync",
    ]))?;
    let port = super::unused_addr().port();
    let watcher = format!(
        "\"$0\" -D \"$1\" -p {port} -k \"$2\" -c listen_addresses=127.0.0.1 -c fsync=off \
         -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 \
         >\"$2/server.log\" 2>&1 & server=$!; \
         while kill -0 $server 2>/dev/null && [ -d /proc/{pid} ]; do sleep 0.5; done; \
         kill -INT $server 2>/dev/null; wait $server; rm -rf \"$2\"",
        pid = std::process::id()
    );
    as_server(Path::new("sh"))
        .args(["-c", &watcher])
        .arg(bin.join("postgres"))
        .arg(&data)
        .arg(&dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start postgres: {e}"))?;
    let url = format!("postgres://clearfeed@127.0.0.1:{port}/postgres");
    wait_ready(&url, &dir)?;
    Ok(url)
}

/// Waits (at most 30 s) until the server takes connections.
fn wait_ready(url: &str, dir: &Path) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match admin_sql(url, "SELECT 1") {
            Ok(()) => return Ok(()),
            Err(e) if Instant::now() > deadline => {
                let log = std::fs::read_to_string(dir.join("server.log")).unwrap_or_default();
                return Err(format!("the test server did not start: {e}\n{log}"));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

/// Makes the server's user when it does not exist (Debian's package makes `postgres`).
fn ensure_user() -> Result<(), String> {
    let exists = Command::new("id")
        .arg(SERVER_USER)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if exists {
        return Ok(());
    }
    run(Command::new("useradd").args(["--system", "--no-create-home", SERVER_USER]))
}

fn run(command: &mut Command) -> Result<(), String> {
    let out = command
        .output()
        .map_err(|e| format!("cannot run {command:?}: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    Err(format!(
        "{command:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    ))
}

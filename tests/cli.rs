//! The binary as a shell user meets it: closed pipes, exit codes.

use std::io::Read;
use std::process::{Command, Stdio};

/// Runs `clearfeed args…` with its stdout read for `keep` bytes and then closed, as `| head -c`
/// does, and returns the exit status and what it wrote on stderr.
fn run_into_closed_pipe(args: &[&str], keep: usize) -> (std::process::ExitStatus, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_clearfeed"))
        .args(args)
        .env_remove("CLEARFEED_CONFIG")
        .env_remove("CLEARFEED_DATA_DIR")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("clearfeed runs");
    let mut stdout = child.stdout.take().unwrap();
    let mut first = vec![0u8; keep];
    stdout.read_exact(&mut first).expect("some output first");
    drop(stdout);
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    (child.wait().unwrap(), stderr)
}

/// Writes `feeds/<id>.toml` under `dir`: one feed read from the upstream feed at `url`.
fn write_feed(dir: &std::path::Path, id: &str, url: &str) {
    std::fs::create_dir_all(dir.join("feeds")).unwrap();
    let file = dir.join("feeds").join(format!("{id}.toml"));
    std::fs::write(file, format!("[source]\nurl = \"{url}\"\n")).unwrap();
}

#[test]
fn a_closed_pipe_ends_extract_quietly_with_status_0() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("page.txt");
    // Long enough that the output does not fit the pipe's buffer: writes after the close fail.
    let para = "The harbour authority said on Monday that the northern pier would close. ";
    let body = format!("Pier to close\n\n{}\n", para.repeat(20_000));
    std::fs::write(&page, body).unwrap();
    let (status, stderr) =
        run_into_closed_pipe(&["extract", "--format", "text", page.to_str().unwrap()], 10);
    assert!(status.success(), "{status:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stderr.contains("error"), "{stderr}");
}

#[test]
fn a_closed_pipe_ends_demo_quietly_with_status_0() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("demo");
    let (status, stderr) = run_into_closed_pipe(
        &[
            "--data-dir",
            data.to_str().unwrap(),
            "demo",
            "--once",
            "--listen",
            "127.0.0.1:0",
        ],
        1,
    );
    assert!(status.success(), "{status:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn logs_written_to_a_file_carry_no_colour_codes() {
    let dir = tempfile::tempdir().unwrap();
    // A feed whose source cannot be reached: `once` reports it on stdout and, at debug level, logs
    // the failure's whole chain on stderr.
    write_feed(dir.path(), "gone", "http://127.0.0.1:9/feed.xml");
    let out = Command::new(env!("CARGO_BIN_EXE_clearfeed"))
        .args(["--config"])
        .arg(dir.path().join("clearfeed.toml"))
        .arg("once")
        .env_remove("NO_COLOR")
        .env("RUST_LOG", "debug")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.is_empty(), "something was logged");
    assert!(!stderr.contains('\u{1b}'), "{stderr:?}");
}

fn help_of(command: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_clearfeed"))
        .args([command, "--help"])
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn each_command_lists_only_the_options_it_uses() {
    for command in ["run", "once", "serve"] {
        let help = help_of(command);
        for option in ["--config", "--data-dir", "--log-format"] {
            assert!(
                help.contains(option),
                "{command} --help lacks {option}:\n{help}"
            );
        }
    }
    let bench = help_of("bench");
    for option in ["--config", "--data-dir", "--log-format"] {
        assert!(!bench.contains(option), "bench takes no {option}:\n{bench}");
    }
    let extract = help_of("extract");
    assert!(
        extract.contains("--config") && !extract.contains("--data-dir"),
        "{extract}"
    );
    assert!(!help_of("check").contains("--log-format"));
}

#[test]
fn options_before_the_command_name_still_work() {
    let dir = tempfile::tempdir().unwrap();
    write_feed(dir.path(), "harbour", "https://news.example/rss.xml");
    let config = dir.path().join("clearfeed.toml");
    for args in [
        vec!["--config", config.to_str().unwrap(), "check"],
        vec!["check", "--config", config.to_str().unwrap()],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_clearfeed"))
            .args(&args)
            .env_remove("CLEARFEED_CONFIG")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{args:?}: {stdout}");
        assert!(stdout.contains("ok  harbour"), "{args:?}: {stdout}");
    }
}

#[test]
fn demo_on_port_0_publishes_self_links_to_the_bound_port() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("demo");
    let out = Command::new(env!("CARGO_BIN_EXE_clearfeed"))
        .args(["demo", "--once", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&data)
        .env_remove("CLEARFEED_DATA_DIR")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json = std::fs::read_to_string(data.join("public/lakeside.json")).unwrap();
    let feed: serde_json::Value = serde_json::from_str(&json).unwrap();
    let own = feed["feed_url"].as_str().unwrap();
    assert!(own.starts_with("http://127.0.0.1:"), "{own}");
    assert!(
        !own.starts_with("http://127.0.0.1:0/"),
        "a self link to port 0: {own}"
    );
}

#[test]
fn a_busy_demo_port_is_reported_before_any_work() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("demo");
    let out = Command::new(env!("CARGO_BIN_EXE_clearfeed"))
        .args(["demo", "--listen", &port, "--data-dir"])
        .arg(&data)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot listen on"), "{stderr}");
    assert!(
        !data.join("public").exists(),
        "nothing was fetched or published"
    );
}

#[test]
fn rules_stats_reports_files_and_expressions() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("news.example.txt"),
        "body: //div[@class='story']\nstrip: //aside\ntitle: substring-before(//title, ' | ')\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_clearfeed"))
        .args(["rules", "stats"])
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    let first = stdout.lines().next().unwrap();
    assert_eq!(
        first,
        "rules: files=1 loaded=1 body_honoured=100% expressions_honoured=66.7%"
    );
}

/// `clearfeed status` with this config file and data directory, nothing from the environment.
fn status(config: &std::path::Path, data: &std::path::Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_clearfeed"))
        .args(["status", "--config", config.to_str().unwrap()])
        .args(["--data-dir", data.to_str().unwrap()])
        .env_remove("CLEARFEED_CONFIG")
        .env_remove("CLEARFEED_DATA_DIR")
        .output()
        .unwrap()
}

#[test]
fn status_without_a_database_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    write_feed(dir.path(), "harbour", "https://news.example/rss.xml");
    let config = dir.path().join("clearfeed.toml");
    let data = dir.path().join("data");
    let out = status(&config, &data);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("no database at"), "{stdout}");
    assert!(stdout.contains("harbour"), "{stdout}");
    assert!(!data.join("clearfeed.db").exists());
    assert!(!data.exists(), "not even the data directory is created");
}

#[test]
fn status_lists_the_hosts_on_hold_until_when_and_why() {
    let dir = tempfile::tempdir().unwrap();
    write_feed(dir.path(), "harbour", "https://news.example/rss.xml");
    let config = dir.path().join("clearfeed.toml");
    let data = dir.path().join("data");
    let store = clearfeed::store::Store::open(&data.join("clearfeed.db")).unwrap();
    let now = chrono::Utc::now();
    let until = now + chrono::Duration::hours(2);
    let hold = |host: &str, until, reason: &str| clearfeed::store::HostHold {
        host: host.into(),
        until,
        reason: reason.into(),
    };
    let holds = [
        hold("news.example", until, "HTTP 429 with Retry-After 7200s"),
        hold("gone.example", now - chrono::Duration::hours(1), "old"),
    ];
    store.hold_hosts(&holds, now).unwrap();
    drop(store);
    let out = status(&config, &data);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("ON HOLD UNTIL"), "{stdout}");
    let row = stdout
        .lines()
        .find(|l| l.starts_with("news.example"))
        .unwrap_or_else(|| panic!("no hold row: {stdout}"));
    assert!(
        row.ends_with(&format!(
            "{}  HTTP 429 with Retry-After 7200s",
            until.format("%Y-%m-%d %H:%M:%S")
        )),
        "{row}"
    );
    assert!(stdout.contains("REASON"), "{stdout}");
    assert!(!stdout.contains("gone.example"), "an ended hold: {stdout}");
}

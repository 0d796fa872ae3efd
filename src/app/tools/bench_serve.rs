//! `clearfeed bench-serve`: requests per second from `clearfeed serve` for one published feed of
//! about 200 KB, plain, revalidated (`If-None-Match` → 304) and gzip- and brotli-encoded, measured
//! by a built-in load generator over loopback keep-alive connections.
//!
//! The server is a separate `clearfeed serve` child process over a fresh data directory, as in
//! production; `--target` points the same load generator at any other server instead (nginx
//! serving a copy of the files, for a comparison on the same machine).
//!
//! Owns: the published benchmark feed, the child server, the load generator and the report. Does
//! not own: the server (`serve`) or the rendering (`publish`).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use super::bench_pipeline::generated_article;
use crate::app::cli::BenchServeArgs;
use crate::publish::{self, FeedMeta};
use crate::store::Item;

/// Items in the benchmark feed, paragraphs per item and words per paragraph: about 200 KB of RSS,
/// like a busy feed with full content.
const ITEMS: usize = 20;
const PARAGRAPHS: usize = 12;
const WORDS: usize = 110;

/// One measured case: the request sent on every connection and what must come back.
struct Case {
    name: &'static str,
    extra_headers: String,
    expect_status: u16,
}

/// `clearfeed bench-serve`.
pub fn command(args: &BenchServeArgs) -> anyhow::Result<std::process::ExitCode> {
    if let Some(dir) = &args.dir {
        return crate::app::block_on(run(dir, args));
    }
    let dir = std::env::temp_dir().join(format!("clearfeed-bench-serve-{}", std::process::id()));
    let result = crate::app::block_on(run(&dir, args));
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn run(dir: &Path, args: &BenchServeArgs) -> anyhow::Result<std::process::ExitCode> {
    let (addr, path, child) = match &args.target {
        Some(url) => (target_addr(url)?, url.path().to_string(), None),
        None => {
            let (addr, child) = start_server(dir).await?;
            (addr, "/feeds/bench.rss".to_string(), Some(child))
        }
    };
    let result = measure(addr, &path, args).await;
    if let Some(mut child) = child {
        let _ = child.kill();
        let _ = child.wait();
    }
    result?;
    Ok(std::process::ExitCode::SUCCESS)
}

fn target_addr(url: &url::Url) -> anyhow::Result<SocketAddr> {
    url.socket_addrs(|| Some(80))?
        .into_iter()
        .next()
        .context("the target URL names no address")
}

/// Runs every case and prints the figures.
async fn measure(addr: SocketAddr, path: &str, args: &BenchServeArgs) -> anyhow::Result<()> {
    let plain = fetch_once(addr, path, "").await?;
    let etag = plain.etag.clone().context("the server sent no ETag")?;
    let gzip = fetch_once(addr, path, "Accept-Encoding: gzip\r\n").await?;
    let br = fetch_once(addr, path, "Accept-Encoding: br\r\n").await?;
    println!(
        "bench-serve: {path} on {addr}: {} bytes plain, {} gzip, {} brotli; {} connections, {} s per case",
        plain.body_len, gzip.body_len, br.body_len, args.connections, args.seconds
    );
    let cases = [
        Case {
            name: "plain",
            extra_headers: String::new(),
            expect_status: 200,
        },
        Case {
            name: "not_modified",
            extra_headers: format!("If-None-Match: {etag}\r\n"),
            expect_status: 304,
        },
        Case {
            name: "gzip",
            extra_headers: "Accept-Encoding: gzip\r\n".into(),
            expect_status: 200,
        },
        Case {
            name: "brotli",
            extra_headers: "Accept-Encoding: br\r\n".into(),
            expect_status: 200,
        },
    ];
    let mut figures = Vec::new();
    for case in &cases {
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: clearfeed-bench\r\n{}\r\n",
            case.extra_headers
        );
        let rps = load(addr, request, case.expect_status, args).await?;
        println!("  {}: {rps:.0} req/s", case.name);
        figures.push(format!("{}_rps={rps:.0}", case.name));
    }
    println!(
        "bench: serve {} connections={} bytes={} gzip_bytes={} br_bytes={}",
        figures.join(" "),
        args.connections,
        plain.body_len,
        gzip.body_len,
        br.body_len
    );
    Ok(())
}

/// What one response told us.
struct Reply {
    status: u16,
    etag: Option<String>,
    body_len: usize,
}

async fn fetch_once(addr: SocketAddr, path: &str, extra: &str) -> anyhow::Result<Reply> {
    let stream = TcpStream::connect(addr).await?;
    let mut conn = BufReader::with_capacity(64 * 1024, stream);
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n{extra}\r\n");
    conn.get_mut().write_all(request.as_bytes()).await?;
    let reply = read_response(&mut conn).await?;
    anyhow::ensure!(reply.status == 200, "GET {path} answered {}", reply.status);
    Ok(reply)
}

/// Reads one response with a `Content-Length` body (what static servers send) and discards the
/// body. Chunked bodies are refused: they would mean on-the-fly compression.
async fn read_response(conn: &mut BufReader<TcpStream>) -> anyhow::Result<Reply> {
    let mut line = String::new();
    conn.read_line(&mut line).await?;
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .context("not an HTTP response")?;
    let (mut length, mut etag) = (0usize, None);
    loop {
        line.clear();
        if conn.read_line(&mut line).await? == 0 {
            anyhow::bail!("connection closed in the response head");
        }
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        let Some((name, value)) = header.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            length = value.parse().context("bad Content-Length")?;
        } else if name.eq_ignore_ascii_case("etag") {
            etag = Some(value.to_string());
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            anyhow::bail!("chunked response: the body was not served from a file");
        }
    }
    let mut left = length;
    while left > 0 {
        let buf = conn.fill_buf().await?;
        anyhow::ensure!(!buf.is_empty(), "connection closed in the body");
        let n = buf.len().min(left);
        conn.consume(n);
        left -= n;
    }
    Ok(Reply {
        status,
        etag,
        body_len: length,
    })
}

/// `connections` keep-alive connections sending `request` back to back for `seconds`; the rate
/// of complete responses. Any unexpected status or error fails the case.
async fn load(
    addr: SocketAddr,
    request: String,
    expect_status: u16,
    args: &BenchServeArgs,
) -> anyhow::Result<f64> {
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let request = Arc::new(request.into_bytes());
    let mut tasks = Vec::new();
    for _ in 0..args.connections {
        let (done, stop, request) = (done.clone(), stop.clone(), request.clone());
        tasks.push(tokio::spawn(async move {
            let stream = TcpStream::connect(addr).await?;
            stream.set_nodelay(true)?;
            let mut conn = BufReader::with_capacity(64 * 1024, stream);
            while !stop.load(Ordering::Relaxed) {
                conn.get_mut().write_all(&request).await?;
                let reply = read_response(&mut conn).await?;
                anyhow::ensure!(
                    reply.status == expect_status,
                    "expected {expect_status}, got {}",
                    reply.status
                );
                done.fetch_add(1, Ordering::Relaxed);
            }
            anyhow::Ok(())
        }));
    }
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs_f64(args.seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let count = done.load(Ordering::Relaxed);
    let secs = started.elapsed().as_secs_f64();
    for task in tasks {
        task.await??;
    }
    Ok(count as f64 / secs)
}

/// Publishes the benchmark feed into `dir` and starts `clearfeed serve` on it; returns once the
/// server answers.
async fn start_server(dir: &Path) -> anyhow::Result<(SocketAddr, std::process::Child)> {
    publish_feed(&dir.join("public"))?;
    let config = dir.join("clearfeed.toml");
    std::fs::write(&config, "data_dir = \".\"\n")?;
    let addr = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    let mut command = std::process::Command::new(std::env::current_exe()?);
    own_session(&mut command);
    let mut child = command
        .arg("serve")
        .arg("--config")
        .arg(&config)
        .arg("--data-dir")
        .arg(dir)
        .arg("--listen")
        .arg(addr.to_string())
        .env("RUST_LOG", "warn")
        .spawn()
        .context("cannot start clearfeed serve")?;
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(addr).await.is_err() {
        if Instant::now() > deadline || child.try_wait()?.is_some() {
            let _ = child.kill();
            anyhow::bail!("clearfeed serve did not start");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok((addr, child))
}

/// Starts the server in a session of its own, as a daemon runs (nginx started by hand detaches
/// into one too): with the kernel's autogroup scheduling each session gets its own share of a busy
/// machine, so a server sharing the load generator's session would get half the share of one
/// that does not, and the comparison would measure that instead of the servers. Out of the
/// terminal's session it would miss a Ctrl-C, so on Linux it is told to stop when the benchmark
/// ends, however it ends.
fn own_session(command: &mut std::process::Command) {
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt as _;
        // SAFETY: setsid and prctl are async-signal-safe and change nothing but the child's own
        // session and signal settings.
        unsafe {
            command.pre_exec(|| {
                if libc::setsid() < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                #[cfg(target_os = "linux")]
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                Ok(())
            });
        }
    }
    #[cfg(not(unix))]
    let _ = command;
}

/// Writes the benchmark feed (RSS, Atom, JSON and their variants) into `public`.
pub fn publish_feed(public: &Path) -> anyhow::Result<()> {
    let meta = FeedMeta {
        id: "bench".into(),
        title: "Bench feed".into(),
        description: "A generated feed with full article content".into(),
        site_url: "http://127.0.0.1/".into(),
        base_url: None,
        summary_in_content: true,
        language: Some("en".into()),
    };
    let items: Vec<Item> = (0..ITEMS).map(bench_item).collect();
    publish::write_feed(public, &meta, &items)?;
    Ok(())
}

fn bench_item(n: usize) -> Item {
    let article = generated_article(0, n);
    let paragraphs: Vec<String> = (0..PARAGRAPHS)
        .map(|k| format!("<p>{}</p>", prose((n * PARAGRAPHS + k) as u64, WORDS)))
        .collect();
    Item {
        feed: "bench".into(),
        guid: format!("http://127.0.0.1/news/{}", article.slug),
        url: format!("http://127.0.0.1/news/{}", article.slug),
        title: article.title,
        byline: Some(article.author),
        published: Some(article.date),
        updated: article.date,
        bullets: article.key_points,
        lead: article.teaser.clone(),
        summary: article.teaser,
        content_html: paragraphs.concat(),
        image: None,
        content_hash: format!("bench-{n}"),
        first_seen: article.date,
        language: Some("en".into()),
    }
}

/// Invented prose that compresses about as well as real text (a few times, not fifty times like
/// the handful of sentences the generated site repeats): words of one to three syllables drawn
/// from a fixed pseudo-random sequence.
fn prose(seed: u64, words: usize) -> String {
    const SYLLABLES: [&str; 24] = [
        "ba", "ren", "to", "mi", "sal", "ker", "du", "vo", "lan", "es", "pri", "go", "tha", "mor",
        "ni", "quel", "ar", "fen", "li", "sto", "wu", "ca", "dre", "on",
    ];
    let mut state = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut next = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as usize
    };
    let mut out = String::new();
    for w in 0..words {
        if w > 0 {
            out.push_str(if next() % 12 == 0 { ". " } else { " " });
        }
        for _ in 0..1 + next() % 3 {
            out.push_str(SYLLABLES[next() % SYLLABLES.len()]);
        }
    }
    out.push('.');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bench_feed_is_large_and_compresses() {
        let dir = tempfile::tempdir().unwrap();
        publish_feed(dir.path()).unwrap();
        let rss = std::fs::metadata(dir.path().join("bench.rss"))
            .unwrap()
            .len();
        let gz = std::fs::metadata(dir.path().join("bench.rss.gz"))
            .unwrap()
            .len();
        assert!((150_000..400_000).contains(&rss), "{rss}");
        assert!(
            gz * 2 < rss && gz * 10 > rss,
            "{gz} of {rss}: compresses like text"
        );
    }
}

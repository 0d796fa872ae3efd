//! Publishing to S3-compatible object storage and serving from it, against a real S3-compatible
//! server (moto, see `common::s3`): `once` with `publish_to = "s3://…"` writes the feeds as
//! objects with their content types, `serve` reading that prefix answers with validators and 304s,
//! and a feed updated by a later run is served once the server has listed the prefix again.

mod common;

use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::Server;

const BUCKET: &str = "news";

fn article(n: usize) -> String {
    let para = format!(
        "The harbour board said on Monday that the ferry timetable for route {n} will change \
         in the spring, after a winter of cancelled crossings and long queues at the pier."
    );
    format!(
        "<!doctype html><html><head><title>Ferry story {n}</title></head><body><article>\
         <h1>Ferry story {n}</h1><p>{para}</p><p>{para} Officials apologised.</p>\
         <p>{para} Residents asked for more boats.</p></article></body></html>"
    )
}

fn rss(server: &Server, stories: usize) -> String {
    let items: String = (0..stories)
        .map(|n| {
            format!(
                "<item><title>Ferry story {n}</title><link>{}</link><guid>ferry-{n}</guid></item>",
                server.url(&format!("/news/{n}.html"))
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Harbour news</title>\
         <link>{}</link><description>d</description>{items}</channel></rss>",
        server.url("/")
    )
}

fn clearfeed(config: &std::path::Path, s3: &common::s3::S3Server) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_clearfeed"));
    command.arg("--config").arg(config).envs(s3.env());
    command
}

fn once(config: &std::path::Path, s3: &common::s3::S3Server) -> Output {
    let out = clearfeed(config, s3).arg("once").output().unwrap();
    assert!(
        out.status.success(),
        "once failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The value of header `name` in a raw reply.
fn header<'a>(reply: &'a str, name: &str) -> Option<&'a str> {
    let head = reply.split("\r\n\r\n").next()?;
    head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

fn get(addr: std::net::SocketAddr, target: &str, extra: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET {target} HTTP/1.1\r\nHost: localhost\r\n{extra}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut reply = Vec::new();
    let _ = stream.read_to_end(&mut reply);
    String::from_utf8_lossy(&reply).into_owned()
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn feeds_published_to_a_bucket_are_served_from_it() {
    let Some(s3) = common::s3::server() else {
        return;
    };
    s3.create_bucket(BUCKET);
    let site = Server::start();
    site.ok("/feed.xml", "application/rss+xml", rss(&site, 2));
    for n in 0..3 {
        site.ok(&format!("/news/{n}.html"), "text/html", article(n));
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("feeds")).unwrap();
    std::fs::write(
        dir.path().join("feeds/harbour.toml"),
        format!(
            "title = \"Harbour\"\n[source]\nurl = \"{}\"\n",
            site.url("/feed.xml")
        ),
    )
    .unwrap();
    let config = dir.path().join("clearfeed.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = \"data\"\npublish_to = \"s3://{BUCKET}/clean/\"\ns3_endpoint = \"{}\"\n\
             [fetch]\nallow_private_networks = true\n",
            s3.endpoint()
        ),
    )
    .unwrap();
    once(&config, &s3);

    // The objects, each with its content type; nothing in the local public directory.
    for (name, kind) in [
        ("harbour.rss", "application/rss+xml"),
        ("harbour.atom", "application/atom+xml"),
        ("harbour.json", "application/feed+json"),
        ("feeds.opml", "text/x-opml"),
        ("harbour.rss.gz", "application/gzip"),
        ("harbour.json.br", "application/x-brotli"),
    ] {
        let reply = s3.request("GET", &format!("/{BUCKET}/clean/{name}"));
        assert!(reply.starts_with("HTTP/1.1 200"), "{name}: {reply}");
        let got = header(&reply, "content-type").unwrap_or_default();
        assert!(got.starts_with(kind), "{name}: {got}");
    }
    let rss_object = s3.request("GET", &format!("/{BUCKET}/clean/harbour.rss"));
    assert!(rss_object.contains("Ferry story 1"));
    assert!(!dir.path().join("data/public").exists());

    // `serve` reading the prefix: validators, and 304 for a matching If-None-Match.
    let addr = common::unused_addr();
    let serve = clearfeed(&config, &s3)
        .args(["serve", "--listen", &addr.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _serve = Killed(serve);
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(addr).is_err() {
        assert!(Instant::now() < deadline, "serve did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    let first = get(addr, "/feeds/harbour.rss", "");
    assert!(first.starts_with("HTTP/1.1 200"), "{first}");
    assert!(
        header(&first, "content-type")
            .unwrap()
            .starts_with("application/rss+xml")
    );
    assert!(header(&first, "last-modified").is_some(), "{first}");
    let etag = header(&first, "etag").unwrap().to_string();
    assert!(first.contains("Ferry story 1") && !first.contains("Ferry story 2"));
    let again = get(
        addr,
        "/feeds/harbour.rss",
        &format!("If-None-Match: {etag}\r\n"),
    );
    assert!(again.starts_with("HTTP/1.1 304"), "{again}");
    let gz = get(addr, "/feeds/harbour.rss", "Accept-Encoding: gzip\r\n");
    assert_eq!(header(&gz, "content-encoding"), Some("gzip"), "{gz}");
    let index = get(addr, "/", "");
    assert!(
        index.contains("Harbour"),
        "the index lists the feed: {index}"
    );

    // A later run adds a story: served after the server's next listing of the prefix.
    site.ok("/feed.xml", "application/rss+xml", rss(&site, 3));
    once(&config, &s3);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let now = get(
            addr,
            "/feeds/harbour.rss",
            &format!("If-None-Match: {etag}\r\n"),
        );
        if now.starts_with("HTTP/1.1 200") {
            assert!(now.contains("Ferry story 2"), "{now}");
            assert_ne!(header(&now, "etag"), Some(etag.as_str()));
            break;
        }
        assert!(now.starts_with("HTTP/1.1 304"), "{now}");
        assert!(Instant::now() < deadline, "the update was never served");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_bad_publish_to_is_refused_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("clearfeed.toml");
    std::fs::write(&config, "publish_to = \"/srv/public\"\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_clearfeed"))
        .arg("--config")
        .arg(&config)
        .arg("once")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("s3://bucket/prefix"), "{stderr}");
}

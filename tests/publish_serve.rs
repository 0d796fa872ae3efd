//! Publishing and serving end to end: feeds written by `publish`, served by the real axum app on a
//! loopback port, fetched with a real HTTP client, and read back by independent parsers (feed-rs
//! and Python's feedparser).

mod common;

use std::io::Read;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use chrono::{TimeZone, Utc};
use clearfeed::publish::{self, FeedMeta};
use clearfeed::serve::AppState;
use clearfeed::store::Item;
use reqwest::StatusCode;
use reqwest::header;

use common::{AppServer, demo_setup, loopback_listener, raw_get, raw_request};

fn item(n: u32, title: &str) -> Item {
    let t = Utc.with_ymd_and_hms(2026, 4, 1 + n, 7, 15, 0).unwrap();
    Item {
        feed: "riverside".into(),
        guid: format!("https://riverside.example.com/news/{n}"),
        url: format!("https://riverside.example.com/news/{n}"),
        title: title.into(),
        byline: Some("Tomasz Elder".into()),
        published: Some(t),
        updated: t,
        bullets: vec![
            "The footbridge reopens on Friday".into(),
            "Cyclists must dismount".into(),
        ],
        lead: "After eight months of repairs the footbridge is ready.".into(),
        summary: "• The footbridge reopens on Friday\n• Cyclists must dismount\n\nAfter eight months of repairs the footbridge is ready.".into(),
        content_html: "<p>After eight months of repairs the footbridge is ready.</p><p>The council thanked residents.</p>".into(),
        image: Some("https://riverside.example.com/img/bridge.jpg".into()),
        content_hash: format!("h{n}"),
        first_seen: t,
        language: Some("en".into()),
    }
}

fn meta() -> FeedMeta {
    FeedMeta {
        id: "riverside".into(),
        title: "Riverside Chronicle".into(),
        description: "Local news, without the clutter".into(),
        site_url: "https://riverside.example.com/".into(),
        base_url: Some("http://127.0.0.1:9/".into()),
        summary_in_content: true,
        language: None,
    }
}

/// A data directory with published feeds, and a secret file beside `public/` that must never be
/// served.
fn published() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let public = dir.path().join("public");
    let items = vec![
        item(2, "Footbridge <script>alert(1)</script> reopens"),
        item(1, "Market hall gets a new roof & solar panels"),
    ];
    publish::write_feed(&public, &meta(), &items).unwrap();
    publish::write_opml(&public, &[meta()]).unwrap();
    std::fs::write(dir.path().join("secret.rss"), "TOP-SECRET-DATA").unwrap();
    std::fs::write(dir.path().join("secret.json"), "TOP-SECRET-DATA").unwrap();
    (dir, public)
}

/// A client that does not decompress, so the test sees exactly what the server sent.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_gzip()
        .no_brotli()
        .no_deflate()
        .build()
        .unwrap()
}

#[tokio::test]
async fn feeds_are_served_with_types_validators_and_304s() {
    let (_dir, public) = published();
    let server = AppServer::start(&public).await;
    let c = client();
    for (path, ctype) in [
        ("/feeds/riverside.rss", "application/rss+xml; charset=utf-8"),
        (
            "/feeds/riverside.atom",
            "application/atom+xml; charset=utf-8",
        ),
        (
            "/feeds/riverside.json",
            "application/feed+json; charset=utf-8",
        ),
        ("/feeds.opml", "text/x-opml; charset=utf-8"),
    ] {
        let res = c.get(server.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert_eq!(res.headers()[header::CONTENT_TYPE], ctype, "{path}");
        assert!(
            res.headers()[header::CACHE_CONTROL]
                .to_str()
                .unwrap()
                .contains("max-age")
        );
        assert_eq!(res.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        let etag = etag_of(&res);
        assert!(etag.starts_with('"'), "strong etag expected: {etag}");
        let last_modified = res.headers()[header::LAST_MODIFIED]
            .to_str()
            .unwrap()
            .to_string();
        let body = res.bytes().await.unwrap();
        let file = public.join(path.trim_start_matches("/feeds/").trim_start_matches('/'));
        assert_eq!(body.as_ref(), std::fs::read(file).unwrap().as_slice());

        // If-None-Match round trip.
        let res = revalidate(&c, &server.url(path), &etag).await;
        assert_eq!(res.status(), StatusCode::NOT_MODIFIED, "{path}");
        assert_eq!(res.headers()[header::ETAG], etag.as_str());
        assert!(res.bytes().await.unwrap().is_empty());

        // If-Modified-Since round trip.
        let res = c
            .get(server.url(path))
            .header(header::IF_MODIFIED_SINCE, &last_modified)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_MODIFIED, "{path}");

        // A stale validator gets the full body.
        let res = c
            .get(server.url(path))
            .header(header::IF_NONE_MATCH, "\"0000\"")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let res = c
            .get(server.url(path))
            .header(header::IF_MODIFIED_SINCE, "Thu, 01 Jan 2015 00:00:00 GMT")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }
    server.stop().await;
}

/// A response's ETag header.
fn etag_of(res: &reqwest::Response) -> String {
    res.headers()[header::ETAG].to_str().unwrap().to_string()
}

/// A GET of `url` that asks whether the copy tagged `etag` is still current.
async fn revalidate(c: &reqwest::Client, url: &str, etag: &str) -> reqwest::Response {
    c.get(url)
        .header(header::IF_NONE_MATCH, etag)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_republished_feed_gets_a_new_etag() {
    let (_dir, public) = published();
    let server = AppServer::start(&public).await;
    let c = client();
    let url = server.url("/feeds/riverside.rss");
    let first = c.get(&url).send().await.unwrap();
    let etag = etag_of(&first);

    publish::write_feed(&public, &meta(), &[item(3, "A third story")]).unwrap();
    let res = revalidate(&c, &url, &etag).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_ne!(res.headers()[header::ETAG], etag.as_str());
    assert!(res.text().await.unwrap().contains("A third story"));
    server.stop().await;
}

#[tokio::test]
async fn gzip_only_when_asked_with_its_own_etag() {
    let (_dir, public) = published();
    let server = AppServer::start(&public).await;
    let c = client();
    let url = server.url("/feeds/riverside.atom");
    let plain = c.get(&url).send().await.unwrap();
    assert!(plain.headers().get(header::CONTENT_ENCODING).is_none());
    let plain_etag = etag_of(&plain);
    let plain_body = plain.bytes().await.unwrap();

    let gz = c
        .get(&url)
        .header(header::ACCEPT_ENCODING, "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(gz.headers()[header::CONTENT_ENCODING], "gzip");
    assert!(
        gz.headers()[header::VARY]
            .to_str()
            .unwrap()
            .to_ascii_lowercase()
            .contains("accept-encoding")
    );
    let gz_etag = etag_of(&gz);
    assert_ne!(
        gz_etag, plain_etag,
        "the encoded variant needs its own strong tag"
    );
    let compressed = gz.bytes().await.unwrap();
    assert!(compressed.len() < plain_body.len());
    let mut decoded = Vec::new();
    flate2::read::GzDecoder::new(compressed.as_ref())
        .read_to_end(&mut decoded)
        .unwrap();
    assert_eq!(decoded, plain_body.as_ref());

    // The gzip variant's tag revalidates too.
    let res = c
        .get(&url)
        .header(header::ACCEPT_ENCODING, "gzip")
        .header(header::IF_NONE_MATCH, &gz_etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
    server.stop().await;
}

#[tokio::test]
async fn brotli_is_preferred_and_neither_variant_is_compressed_per_request() {
    let (_dir, public) = published();
    let server = AppServer::start(&public).await;
    let c = client();
    let url = server.url("/feeds/riverside.rss");
    let plain = c.get(&url).send().await.unwrap().bytes().await.unwrap();
    let br = c
        .get(&url)
        .header(header::ACCEPT_ENCODING, "gzip, deflate, br")
        .send()
        .await
        .unwrap();
    assert_eq!(br.headers()[header::CONTENT_ENCODING], "br");
    let tag = etag_of(&br);
    assert!(tag.ends_with("-br\""), "{tag}");
    let body = br.bytes().await.unwrap();
    // The bytes written beside the feed at publish time, exactly.
    assert_eq!(
        body,
        std::fs::read(public.join("riverside.rss.br")).unwrap()
    );
    let mut decoded = Vec::new();
    brotli::Decompressor::new(body.as_ref(), 4096)
        .read_to_end(&mut decoded)
        .unwrap();
    assert_eq!(decoded, plain.as_ref());
    let gz = c
        .get(&url)
        .header(header::ACCEPT_ENCODING, "br;q=0, gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(gz.headers()[header::CONTENT_ENCODING], "gzip");
    assert_eq!(
        gz.bytes().await.unwrap(),
        std::fs::read(public.join("riverside.rss.gz")).unwrap()
    );
    // A 304 names the variant the client would get.
    let res = c
        .get(&url)
        .header(header::ACCEPT_ENCODING, "br")
        .header(header::IF_NONE_MATCH, &tag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(res.headers()[header::ETAG], tag.as_str());
    assert!(res.headers().get(header::CONTENT_ENCODING).is_none());
    server.stop().await;
}

/// Large files leave from memory the kernel sends without copying; what arrives must still be
/// the file byte for byte, in every encoding, on a reused connection, for HEAD, and after the file
/// is republished.
#[tokio::test]
async fn large_files_arrive_byte_for_byte_in_every_encoding() {
    let (_dir, public) = published();
    let text = |version: &str| -> Vec<u8> {
        let lines: String = (0..20_000)
            .map(|i| {
                format!(
                    "{version} line {i:06} of a large feed {}\n",
                    i * 7919 % 1000
                )
            })
            .collect();
        format!("{{\"version\":\"https://jsonfeed.org/version/1.1\",\"title\":\"Big\",\"items\":[],\"x\":\"{}\"}}", lines.replace('\n', " ")).into_bytes()
    };
    let path = public.join("big.json");
    let first = text("first");
    assert!(first.len() > 500_000);
    publish::write_published(&path, &first).unwrap();
    let server = AppServer::start(&public).await;
    let c = client();
    let url = server.url("/feeds/big.json");
    for _ in 0..3 {
        let res = c.get(&url).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.bytes().await.unwrap() == first, "plain bytes differ");
        for encoding in publish::Encoding::ALL {
            let res = c
                .get(&url)
                .header(header::ACCEPT_ENCODING, encoding.token())
                .send()
                .await
                .unwrap();
            assert_eq!(res.headers()[header::CONTENT_ENCODING], encoding.token());
            let body = res.bytes().await.unwrap();
            assert!(encoding.decode(&body).unwrap() == first, "{encoding:?}");
        }
    }
    let head = c.head(&url).send().await.unwrap();
    assert_eq!(
        head.headers()[header::CONTENT_LENGTH],
        first.len().to_string().as_str()
    );
    assert!(head.bytes().await.unwrap().is_empty());
    let second = text("second");
    publish::write_published(&path, &second).unwrap();
    let res = c.get(&url).send().await.unwrap();
    assert!(
        res.bytes().await.unwrap() == second,
        "republished bytes differ"
    );
    let (status, raw) = raw_get(server.addr, "/feeds/big.json").await;
    assert_eq!(status, 200);
    assert!(raw.ends_with(std::str::from_utf8(&second).unwrap()));
    server.stop().await;
}

/// The server answers from memory; a file replaced by another process (which does not move this
/// process's publish counter) is noticed by the watcher within a couple of seconds.
#[tokio::test]
async fn files_are_served_from_memory_and_outside_changes_are_noticed() {
    let (_dir, public) = published();
    let server = AppServer::start(&public).await;
    let c = client();
    let url = server.url("/feeds/riverside.json");
    // Each round replaces the file the way another writer would (new file, rename over the old
    // one) and asks at once whether the copy it holds is still current. Answered from memory,
    // that is a 304 until the watcher's next look; a server that read the file for each request
    // would answer 200 every round. A round may lose the race against the watcher's tick, or
    // overlap a publish by another test of this binary (which makes the server check its
    // files): those rounds prove nothing, so one clean 304 in a few rounds is asked for.
    let mut from_memory = false;
    for round in 0..5 {
        let etag = etag_of(&c.get(&url).send().await.unwrap());
        let generation = publish::generation();
        let tmp = public.join(".outside.tmp");
        let changed = format!(
            r#"{{"version":"https://jsonfeed.org/version/1.1","title":"Changed {round}","items":[]}}"#
        );
        std::fs::write(&tmp, &changed).unwrap();
        std::fs::rename(&tmp, public.join("riverside.json")).unwrap();
        let res = revalidate(&c, &url, &etag).await;
        from_memory =
            res.status() == StatusCode::NOT_MODIFIED && publish::generation() == generation;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let body = c.get(&url).send().await.unwrap().text().await.unwrap();
            if body.contains(&format!("Changed {round}")) {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the change was never noticed"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        if from_memory {
            break;
        }
    }
    assert!(from_memory, "every round was answered from the file");
    server.stop().await;
}

#[tokio::test]
async fn path_traversal_is_refused() {
    let (_dir, public) = published();
    let server = AppServer::start(&public).await;
    let c = client();
    for target in [
        "/feeds/..%2fsecret.rss",
        "/feeds/..%2f..%2fetc%2fpasswd",
        "/feeds/..%2F..%2Fetc%2Fpasswd",
        "/feeds/%2e%2e%2fsecret.json",
        "/feeds/..%5csecret.rss",
        "/feeds/%252e%252e%252fsecret.rss",
        "/feeds/riverside.rss%00.json",
        "/feeds/%2fetc%2fpasswd",
    ] {
        let res = c.get(server.url(target)).send().await.unwrap();
        let status = res.status();
        let body = res.text().await.unwrap();
        assert!(status.is_client_error(), "{target}: {status}");
        assert!(
            !body.contains("TOP-SECRET") && !body.contains("root:"),
            "{target}"
        );
    }
    // Dot segments sent raw (a normal client would resolve them before sending).
    for target in [
        "/feeds/../secret.rss",
        "/feeds/../../../../etc/passwd",
        "/feeds/%2e%2e/secret.json",
        "/../secret.rss",
    ] {
        let (status, response) = raw_get(server.addr, target).await;
        assert!((400..500).contains(&status), "{target}: {status}");
        assert!(
            !response.contains("TOP-SECRET") && !response.contains("root:"),
            "{target}"
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn index_page_is_escaped_and_locked_down() {
    let (_dir, public) = published();
    let server = AppServer::start(&public).await;
    let res = client().get(server.url("/")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()[header::CONTENT_TYPE],
        "text/html; charset=utf-8"
    );
    let csp = res.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    assert!(
        csp.contains("default-src 'none'") && !csp.contains("script-src"),
        "{csp}"
    );
    assert_eq!(res.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(res.headers()[header::REFERRER_POLICY], "no-referrer");
    let html = res.text().await.unwrap();
    assert!(!html.contains("<script"), "{html}");
    assert!(html.contains("Footbridge &lt;script&gt;alert(1)&lt;/script&gt; reopens"));
    assert!(html.contains("Market hall gets a new roof &amp; solar panels"));
    assert!(html.contains("<li>The footbridge reopens on Friday</li>"));
    assert!(html.contains("href=\"/feeds/riverside.rss\""));
    assert!(html.contains("href=\"https://riverside.example.com/news/2\""));
    server.stop().await;
}

#[tokio::test]
async fn health_metrics_and_bad_requests() {
    let (_dir, public) = published();
    let server = AppServer::start(&public).await;
    let c = client();
    let res = c.get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let metrics = c
        .get(server.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("clearfeed_feed_items{feed=\"riverside\"} 2"),
        "{metrics}"
    );
    assert!(metrics.contains("clearfeed_published_feeds 1"));
    assert!(metrics.contains("# TYPE clearfeed_http_requests_total counter"));

    let res = c.get(server.url("/nope")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(res.text().await.unwrap(), "not found\n");
    let res = c
        .get(server.url("/feeds/missing.rss"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    let long = format!("/feeds/{}.rss", "a".repeat(5000));
    let res = c.get(server.url(&long)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::URI_TOO_LONG);
    let res = c
        .get(server.url("/feeds/riverside.rss"))
        .body(vec![b'x'; 10_000])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // A hundred headers and more are refused by hyper itself, before the app's own limits (see
    // `the_apps_own_request_limits_are_exact` for those).
    let mut req = c.get(server.url("/"));
    for i in 0..100 {
        req = req.header(format!("x-filler-{i}"), "y");
    }
    assert_eq!(
        req.send().await.unwrap().status(),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
    );
    let res = c
        .post(server.url("/feeds/riverside.rss"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);

    // HEAD: the validators without the body.
    let get = c
        .get(server.url("/feeds/riverside.rss"))
        .send()
        .await
        .unwrap();
    let head = c
        .head(server.url("/feeds/riverside.rss"))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(head.headers()[header::ETAG], get.headers()[header::ETAG]);
    assert!(head.bytes().await.unwrap().is_empty());

    // A malformed request gets a 400, and the server keeps serving.
    let (status, _) = raw_request(
        server.addr,
        b"GET /feeds/riverside.rss HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n",
    )
    .await;
    assert_eq!(status, 400);
    let res = c.get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    server.stop().await;
}

/// A raw GET of `target` with exactly these header lines, so that the test knows every header
/// the server sees.
async fn get_with_headers(
    addr: SocketAddr,
    target: &str,
    headers: &[(String, String)],
) -> (u16, String) {
    let mut request = format!("GET {target} HTTP/1.1\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    raw_request(addr, request.as_bytes()).await
}

/// `Host` and `Connection: close`, then `n` more headers whose names and values add up to
/// `filler_bytes`: the app counts a header as the bytes of its name and its value.
fn headers(n: usize, filler_bytes: usize) -> Vec<(String, String)> {
    let mut out = vec![
        ("Host".to_string(), "localhost".to_string()),
        ("Connection".to_string(), "close".to_string()),
    ];
    let names: Vec<String> = (0..n).map(|i| format!("x-pad-{i:02}")).collect();
    let mut left = filler_bytes - names.iter().map(String::len).sum::<usize>();
    for (i, name) in names.into_iter().enumerate() {
        let len = if i + 1 == n { left } else { left / (n - i) };
        left -= len;
        out.push((name, "v".repeat(len)));
    }
    out
}

/// What the app counts against its header limits: the number of headers, and the bytes of their
/// names and values.
fn header_load(headers: &[(String, String)]) -> (usize, usize) {
    let bytes = headers.iter().map(|(k, v)| k.len() + v.len()).sum();
    (headers.len(), bytes)
}

/// The app's own limits (`serve.rs`: 64 headers, 16 KiB of header names and values, a 2048-byte
/// request target), each reached exactly: a request at the limit is served, one past it is
/// refused with the app's own response (a plain-text body naming the reason), which hyper's
/// refusals beneath the app never carry.
#[tokio::test]
async fn the_apps_own_request_limits_are_exact() {
    let (_dir, public) = published();
    let server = AppServer::start(&public).await;
    let refused_by_app = |response: &str, message: &str| {
        let head = response
            .split("\r\n\r\n")
            .next()
            .unwrap()
            .to_ascii_lowercase();
        head.contains("content-type: text/plain; charset=utf-8") && response.contains(message)
    };

    // The number of headers: 64 pass, 65 are too many (hyper's own limit is 100).
    let at = headers(62, 62 * 10);
    assert_eq!(header_load(&at).0, 64);
    let (status, response) = get_with_headers(server.addr, "/healthz", &at).await;
    assert_eq!(status, 200, "{response}");
    assert!(response.ends_with("ok\n"), "{response}");
    let over = headers(63, 63 * 10);
    assert_eq!(header_load(&over).0, 65);
    let (status, response) = get_with_headers(server.addr, "/healthz", &over).await;
    assert_eq!(status, 431, "{response}");
    assert!(
        refused_by_app(&response, "request headers too large\n"),
        "not the app's refusal: {response}"
    );

    // The bytes of the headers: 16 KiB pass, one byte more is too much, in eight headers of about
    // 2 KiB each (hyper takes headers of any size up to its buffer, some 400 KiB).
    let base = header_load(&headers(0, 0)).1;
    let at = headers(8, 16 * 1024 - base);
    assert_eq!(header_load(&at), (10, 16 * 1024));
    let (status, response) = get_with_headers(server.addr, "/healthz", &at).await;
    assert_eq!(status, 200, "{response}");
    let over = headers(8, 16 * 1024 + 1 - base);
    assert_eq!(header_load(&over), (10, 16 * 1024 + 1));
    assert!(over.iter().all(|(k, v)| k.len() + v.len() < 2100));
    let (status, response) = get_with_headers(server.addr, "/healthz", &over).await;
    assert_eq!(status, 431, "{response}");
    assert!(
        refused_by_app(&response, "request headers too large\n"),
        "not the app's refusal: {response}"
    );

    // The request target: 2048 bytes are looked up (and not found), 2049 are too long.
    let at = format!("/{}", "a".repeat(2047));
    let (status, response) = raw_get(server.addr, &at).await;
    assert_eq!(status, 404, "{response}");
    assert!(
        refused_by_app(&response, "not found\n"),
        "not the app's answer: {response}"
    );
    let over = format!("/{}", "a".repeat(2048));
    let (status, response) = raw_get(server.addr, &over).await;
    assert_eq!(status, 414, "{response}");
    assert!(
        refused_by_app(&response, "request target too long\n"),
        "not the app's refusal: {response}"
    );
    server.stop().await;
}

#[tokio::test]
async fn private_feeds_need_the_token() {
    let (_dir, public) = published();
    let server =
        AppServer::start_with(AppState::new(&public).with_access_token(Some("s3cret"))).await;
    let c = client();
    let rss = "/feeds/riverside.rss";
    for (url, auth) in [
        (server.url(rss), None),
        (server.url(&format!("{rss}?token=wrong")), None),
        (server.url(&format!("{rss}?token=")), None),
        (server.url(rss), Some("Bearer s3cre")),
        (server.url(rss), Some("Basic cmVhZGVyOnMzY3JldFg=")), // reader:s3cretX
        (server.url("/"), None),
        (server.url("/metrics"), None),
        (server.url("/feeds.opml"), None),
    ] {
        let mut req = c.get(&url);
        if let Some(auth) = auth {
            req = req.header(header::AUTHORIZATION, auth);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{url} {auth:?}");
        assert!(res.headers().contains_key(header::WWW_AUTHENTICATE));
        assert!(!res.text().await.unwrap().contains("Riverside"));
    }
    for (url, auth) in [
        (server.url(&format!("{rss}?token=s3cret")), None),
        (server.url(rss), Some("Bearer s3cret")),
        (server.url(rss), Some("Basic cmVhZGVyOnMzY3JldA==")), // reader:s3cret
    ] {
        let mut req = c.get(&url);
        if let Some(auth) = auth {
            req = req.header(header::AUTHORIZATION, auth);
        }
        assert_eq!(
            req.send().await.unwrap().status(),
            StatusCode::OK,
            "{url} {auth:?}"
        );
    }
    // Health stays open for probes; the index's links carry the token it was opened with.
    assert_eq!(
        c.get(server.url("/healthz")).send().await.unwrap().status(),
        StatusCode::OK
    );
    let index = c
        .get(server.url("/?token=s3cret"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        index.contains("href=\"/feeds/riverside.rss?token=s3cret\""),
        "{index}"
    );
    server.stop().await;
}

#[tokio::test(start_paused = true)]
async fn shutdown_is_bounded_even_with_a_stalled_client() {
    use tokio::io::AsyncWriteExt;
    let (_dir, public) = published();
    let server = AppServer::start(&public).await;
    let mut stalled = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    // Headers that never end.
    stalled
        .write_all(b"GET /feeds/riverside.rss HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .unwrap();
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
    // Time is paused: the grace period passes without waiting, but only if the server bounds it.
    tokio::time::timeout(std::time::Duration::from_secs(3600), server.stop())
        .await
        .expect("the server stops after its grace period");
    drop(stalled);
}

/// Python's feedparser (an independent, widely used client) reads our RSS and Atom without
/// complaint and sees the same fields. It does not read JSON Feed; feed-rs covers that.
#[test]
fn feedparser_and_feed_rs_read_the_published_files() {
    let Some(python) = common::feedparser_python() else {
        return;
    };
    let (_dir, public) = published();
    let script = r#"
import json, sys, feedparser
d = feedparser.parse(sys.argv[1])
e = d.entries[0]
print(json.dumps({
    "bozo": bool(d.bozo), "error": str(d.get("bozo_exception", "")),
    "version": d.version, "title": d.feed.title, "n": len(d.entries),
    "entry_title": e.title, "link": e.link, "id": e.id, "author": e.get("author"),
    "summary": e.summary, "content": e.content[0].value if "content" in e else None,
    "published": list(e.published_parsed[:6]),
}))
"#;
    for (ext, version) in [("rss", "rss20"), ("atom", "atom10")] {
        let path = public.join(format!("riverside.{ext}"));
        let out = std::process::Command::new(&python)
            .args(["-c", script])
            .arg(&path)
            .output()
            .expect("the Python with feedparser runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["bozo"], false, "{ext}: {}", v["error"]);
        assert_eq!(v["version"], version);
        assert_eq!(v["title"], "Riverside Chronicle");
        assert_eq!(v["n"], 2);
        assert_eq!(
            v["entry_title"],
            "Footbridge <script>alert(1)</script> reopens"
        );
        assert_eq!(v["link"], "https://riverside.example.com/news/2");
        assert_eq!(v["id"], "https://riverside.example.com/news/2");
        assert_eq!(v["author"], "Tomasz Elder");
        assert!(
            v["summary"]
                .as_str()
                .unwrap()
                .contains("The footbridge reopens on Friday"),
            "{ext}: {v}"
        );
        assert!(
            v["content"]
                .as_str()
                .unwrap()
                .contains("The council thanked residents."),
            "{ext}: {v}"
        );
        // The key points open the content, for readers that show only the content.
        let content = v["content"].as_str().unwrap();
        let points = content.find("Key points").expect("the summary box");
        assert!(
            points < content.find("After eight months").unwrap(),
            "{ext}: {content}"
        );
        assert!(
            content.contains("<li>Cyclists must dismount</li>"),
            "{ext}: {content}"
        );
        assert_eq!(v["published"], serde_json::json!([2026, 4, 3, 7, 15, 0]));
    }
    for ext in ["rss", "atom", "json"] {
        let bytes = std::fs::read(public.join(format!("riverside.{ext}"))).unwrap();
        let feed = feed_rs::parser::parse(bytes.as_slice()).unwrap();
        assert_eq!(feed.entries.len(), 2, "{ext}");
        assert_eq!(
            feed.entries[1].title.as_ref().unwrap().content,
            "Market hall gets a new roof & solar panels"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// End to end: the bundled sample site → the real pipeline → published files → server → readers.

/// Runs Python's feedparser (with the interpreter `python`) on a published file and returns what
/// it saw.
fn feedparser(python: &Path, path: &Path) -> serde_json::Value {
    let script = r#"
import json, sys, feedparser
d = feedparser.parse(sys.argv[1])
print(json.dumps({
    "bozo": bool(d.bozo), "error": str(d.get("bozo_exception", "")), "title": d.feed.get("title"),
    "language": d.feed.get("language"),
    "entries": [{"title": e.title, "link": e.link, "id": e.id, "summary": e.get("summary", ""),
                 "content": e.content[0].value if "content" in e else ""} for e in d.entries],
}))
"#;
    let out = std::process::Command::new(python)
        .args(["-c", script])
        .arg(path)
        .output()
        .expect("the Python with feedparser runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Strings from the sample site's cruft that must never reach a reader.
const CRUFT: [&str; 12] = [
    "Advertisement",
    "ADVERTISEMENT",
    "Reading time",
    "Refinance your boat",
    "Sign up",
    "Related stories",
    "Copy link",
    "Story continues below",
    "Watch: the week",
    "Accept all",
    "pixel.tracker.example",
    "Doctors hate",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sample_site_through_the_pipeline_reads_clean_in_feedparser() {
    let Some(python) = common::feedparser_python() else {
        return;
    };
    let demo = demo_setup("127.0.0.1:8080".parse().unwrap()).await;
    let articles = clearfeed::app::tools::demo::sample_articles().unwrap();
    let public = demo.config.public_dir();
    let pipeline = clearfeed::pipeline::Pipeline::new(demo.config.clone()).unwrap();
    let feeds = demo.config.feeds.clone();

    // The RSS feed carries the stories its upstream feed lists; the front-page feed the others,
    // found by its listing-page selector: the two demo feeds show different stories.
    let stories_of = |feed: &str| -> Vec<_> {
        let listed = feed == "lakeside";
        articles
            .iter()
            .filter(|a| a.in_feed == listed)
            .cloned()
            .collect()
    };
    assert!(stories_of("lakeside").len() >= 3 && stories_of("lakeside-front").len() >= 2);
    let reports = clearfeed::schedule::run_all(&pipeline, &feeds, 2).await;
    for r in &reports {
        assert_eq!(r.error, None, "{r:?}");
        assert_eq!((r.new, r.failed), (stories_of(&r.feed).len(), 0), "{r:?}");
    }

    for feed in &feeds {
        let articles = stories_of(&feed.id);
        for ext in ["rss", "atom"] {
            let seen = feedparser(&python, &public.join(format!("{}.{ext}", feed.id)));
            assert_eq!(seen["bozo"], false, "{} {ext}: {}", feed.id, seen["error"]);
            // The sample pages are in English: the feed says so (RSS `language`, Atom `xml:lang`).
            assert_eq!(seen["language"], "en", "{} {ext}", feed.id);
            let entries = seen["entries"].as_array().unwrap();
            assert_eq!(entries.len(), articles.len());
            for a in &articles {
                let e = entries
                    .iter()
                    .find(|e| e["title"] == a.title.as_str())
                    .unwrap_or_else(|| panic!("{} missing from {}.{ext}", a.title, feed.id));
                assert!(
                    e["link"]
                        .as_str()
                        .unwrap()
                        .ends_with(&format!("/news/{}", a.slug))
                );
                let summary = e["summary"].as_str().unwrap();
                // The summary comes from the article's key points, not from the upstream teaser.
                assert!(
                    summary.contains(&a.key_points[0]),
                    "{} {ext}: {summary}",
                    feed.id
                );
                let content = e["content"].as_str().unwrap();
                assert!(
                    content.contains(&a.body[2].replace('"', "&quot;"))
                        || content.contains(&a.body[2]),
                    "{} {ext} lacks the body: {content}",
                    feed.id
                );
                for cruft in CRUFT {
                    assert!(
                        !summary.contains(cruft) && !content.contains(cruft),
                        "{} {ext}: {cruft:?} in {}",
                        feed.id,
                        a.slug
                    );
                }
            }
        }
        let json = std::fs::read(public.join(format!("{}.json", feed.id))).unwrap();
        let parsed = feed_rs::parser::parse(json.as_slice()).unwrap();
        assert_eq!(parsed.entries.len(), articles.len());
        let ours: clearfeed::publish::JsonFeed = serde_json::from_slice(&json).unwrap();
        assert_eq!(ours.language.as_deref(), Some("en"), "{}", feed.id);
    }
    let opml = std::fs::read_to_string(public.join("feeds.opml")).unwrap();
    assert!(opml.contains("lakeside.rss") && opml.contains("lakeside-front.rss"));

    // A second pass over unchanged content: only conditional requests, nothing new or duplicated.
    let (before, cond_before, _) = demo.site.stats.snapshot();
    let again = clearfeed::schedule::run_all(&pipeline, &feeds, 2).await;
    for r in &again {
        assert_eq!(
            (r.new, r.updated, r.failed, r.error.as_deref()),
            (0, 0, 0, None),
            "{r:?}"
        );
    }
    let (after, cond_after, _) = demo.site.stats.snapshot();
    assert!(after > before);
    assert_eq!(
        after - before,
        cond_after - cond_before,
        "unconditional requests on the second pass"
    );
    let seen = feedparser(&python, &public.join("lakeside.rss"));
    assert_eq!(
        seen["entries"].as_array().unwrap().len(),
        stories_of("lakeside").len()
    );
    demo.site.stop().await;
}

/// `serve` runs no pipeline: given the database read-only, the index page still shows each feed's
/// health, claims no scheduled run, and the database is left as it was.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_index_reads_feed_health_from_a_read_only_store() {
    let demo = demo_setup("127.0.0.1:8080".parse().unwrap()).await;
    let pipeline = clearfeed::pipeline::Pipeline::new(demo.config.clone()).unwrap();
    let reports = clearfeed::schedule::run_all(&pipeline, &demo.config.feeds, 2).await;
    assert!(reports.iter().all(|r| r.error.is_none()), "{reports:?}");
    drop(pipeline);
    let db = demo.config.db_path();
    let before = std::fs::read(&db).unwrap();
    let store = clearfeed::store::Store::open_read_only(&db).unwrap();
    let public = demo.config.public_dir();
    let plain = AppServer::start(&public).await;
    let with_state = AppServer::start_with(AppState::new(&public).with_feed_state(store)).await;
    let get = |url: String| async move {
        let res = client().get(url).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        res.text().await.unwrap()
    };
    let html = get(with_state.url("/")).await;
    for id in ["lakeside", "lakeside-front"] {
        let at = html.find(&format!("href=\"/feeds/{id}.rss\">RSS")).unwrap();
        let section = &html[at..];
        let health = &section[..section.find("</section>").unwrap()];
        assert!(
            health.contains(
                "<p class=\"health\"><span class=\"state\">Working</span> · last success 20"
            ) && health.contains("no scheduled runs"),
            "{id}: {health}"
        );
    }
    assert!(!get(plain.url("/")).await.contains("class=\"health"));
    with_state.stop().await;
    plain.stop().await;
    assert_eq!(
        std::fs::read(&db).unwrap(),
        before,
        "the database was changed"
    );
    demo.site.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daemon_runs_feeds_serves_them_and_stops_on_request() {
    let listener = loopback_listener().await;
    let addr = listener.local_addr().unwrap();
    let demo = demo_setup(addr).await;
    let pipeline = clearfeed::pipeline::Pipeline::new(demo.config.clone()).unwrap();
    let (report_tx, mut report_rx) = tokio::sync::mpsc::unbounded_channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let options = clearfeed::schedule::DaemonOptions {
        reports: Some(report_tx),
        ..Default::default()
    };
    let daemon = tokio::spawn(clearfeed::app::commands::daemon(
        pipeline,
        demo.config.feeds.clone(),
        Some(listener),
        options,
        None,
        async move {
            let _ = stop_rx.await;
        },
    ));

    // Nothing is published yet, so both feeds run at start-up (their cron slots are far away).
    let mut done = Vec::new();
    for _ in 0..2 {
        let r = tokio::time::timeout(std::time::Duration::from_secs(60), report_rx.recv())
            .await
            .expect("a feed run within a minute")
            .unwrap();
        assert_eq!(r.error, None, "{r:?}");
        done.push(r.feed);
    }
    done.sort();
    assert_eq!(done, ["lakeside", "lakeside-front"]);

    let c = client();
    let base = format!("http://{addr}");
    let rss = c
        .get(format!("{base}/feeds/lakeside.rss"))
        .send()
        .await
        .unwrap();
    assert_eq!(rss.status(), StatusCode::OK);
    let body = rss.text().await.unwrap();
    assert!(body.contains("Volunteers restore the 1889 lighthouse lens at Gull Point"));
    assert!(
        body.contains(&format!("{base}/feeds/lakeside.rss")),
        "self link under base_url"
    );
    let index = c
        .get(format!("{base}/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(index.contains("The Lakeside Ledger"));
    assert!(index.contains("A group of 14 volunteers spent four winters restoring the lens"));
    let metrics = c
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("clearfeed_feed_runs_total 2"), "{metrics}");
    assert!(
        metrics.contains("clearfeed_feed_consecutive_failures{feed=\"lakeside-front\"} 0"),
        "{metrics}"
    );
    assert!(metrics.contains("clearfeed_feed_last_success_timestamp_seconds{feed=\"lakeside\"} "));
    assert!(
        metrics.contains("clearfeed_feed_items{feed=\"lakeside\"} 5"),
        "{metrics}"
    );

    stop_tx.send(()).unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(30), daemon)
        .await
        .expect("the daemon stops promptly")
        .unwrap()
        .unwrap();
    assert!(
        c.get(format!("{base}/healthz")).send().await.is_err(),
        "server closed"
    );
    demo.site.stop().await;
}

/// Every status the server sends carries the security headers, the early refusals of the request
/// limits included.
#[tokio::test]
async fn every_status_carries_the_security_headers() {
    let (_dir, public) = published();
    let open = AppServer::start(&public).await;
    let private =
        AppServer::start_with(AppState::new(&public).with_access_token(Some("s3cret"))).await;
    let (_, ok) = raw_get(open.addr, "/feeds/riverside.rss").await;
    let etag = ok
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("etag").then_some(value)
        })
        .expect("an ETag")
        .trim()
        .to_string();
    let conditional = format!(
        "GET /feeds/riverside.rss HTTP/1.1\r\nHost: localhost\r\nIf-None-Match: {etag}\r\nConnection: close\r\n\r\n"
    );
    let body = "POST /feeds/riverside.rss HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello";
    let many: String = (0..70).map(|i| format!("X-H{i}: v\r\n")).collect();
    let too_many = format!("GET / HTTP/1.1\r\nHost: localhost\r\n{many}Connection: close\r\n\r\n");
    let long = format!(
        "GET /{} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
        "a".repeat(3000)
    );
    let cases: Vec<(u16, std::net::SocketAddr, String)> = vec![
        (
            200,
            open.addr,
            "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".into(),
        ),
        (304, open.addr, conditional),
        (
            401,
            private.addr,
            "GET /feeds/riverside.rss HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                .into(),
        ),
        (
            404,
            open.addr,
            "GET /nothing HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".into(),
        ),
        (413, open.addr, body.into()),
        (414, open.addr, long),
        (431, open.addr, too_many),
    ];
    for (want, addr, request) in cases {
        let (status, response) = raw_request(addr, request.as_bytes()).await;
        assert_eq!(status, want, "{response}");
        let head = response
            .split("\r\n\r\n")
            .next()
            .unwrap()
            .to_ascii_lowercase();
        for header in [
            "x-content-type-options: nosniff",
            "referrer-policy:",
            "x-frame-options: deny",
            "content-security-policy:",
        ] {
            assert!(head.contains(header), "{want} lacks {header}:\n{head}");
        }
    }
    open.stop().await;
    private.stop().await;
}

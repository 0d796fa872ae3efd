//! A throwaway S3-compatible server for the object-storage tests: moto's server mode (from PyPI,
//! installed in a virtual environment under the target directory on first use, like feedparser),
//! on a free loopback port, with a bucket made for the test. The server ends with its handle.
//!
//! When it cannot be provided (no `python3 -m venv`, no package index) the test skips loudly, or
//! fails with `CLEARFEED_REQUIRE_S3=1`, as `.ci/run` sets.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// moto with what its server mode needs, for S3 only.
const MOTO: &str = "moto[s3]==5.2.5 flask==3.1.3 flask-cors==6.0.5";

/// A running moto server; killed when dropped.
pub struct S3Server {
    child: Child,
    pub addr: SocketAddr,
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl S3Server {
    /// `http://127.0.0.1:PORT`, for `s3_endpoint`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The environment a clearfeed process needs to reach this server (moto takes any keys).
    pub fn env(&self) -> [(&'static str, &'static str); 3] {
        [
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_REGION", "us-east-1"),
        ]
    }

    /// Makes the bucket `name` (moto's REST API: `PUT /<bucket>`, no signature checked).
    pub fn create_bucket(&self, name: &str) {
        let reply = self.request("PUT", &format!("/{name}"));
        assert!(
            reply.starts_with("HTTP/1.1 200"),
            "cannot make the bucket: {reply}"
        );
    }

    /// One plain request to the server (`GET /bucket/key`, ...): the whole reply as text. moto
    /// checks no signature but refuses anonymous reads, so the request carries a made-up one.
    pub fn request(&self, method: &str, target: &str) -> String {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(self.addr).unwrap();
        let auth = "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/s3/aws4_request, \
                    SignedHeaders=host, Signature=0";
        write!(
            stream,
            "{method} {target} HTTP/1.1\r\nHost: {}\r\nAuthorization: {auth}\r\n\
             Content-Length: 0\r\nConnection: close\r\n\r\n",
            self.addr
        )
        .unwrap();
        let mut reply = Vec::new();
        let _ = stream.read_to_end(&mut reply);
        String::from_utf8_lossy(&reply).into_owned()
    }
}

/// A fresh moto server, or `None` (said loudly) when it cannot be provided and skipping is
/// allowed.
pub fn server() -> Option<S3Server> {
    static PYTHON: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let provide = || super::provide_venv("test-venv-moto", MOTO, "moto.server");
    let python = match PYTHON.get_or_init(provide) {
        Ok(python) => python,
        Err(reason) => {
            super::system_package_missing(
                "an S3-compatible server (moto)",
                reason,
                "CLEARFEED_REQUIRE_S3",
            );
            return None;
        }
    };
    let addr = super::unused_addr();
    let child = Command::new(python)
        .args(["-m", "moto.server", "-H", "127.0.0.1", "-p"])
        .arg(addr.port().to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start moto: {e}"));
    let server = S3Server { child, addr };
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(addr).is_err() {
        assert!(Instant::now() < deadline, "moto did not start on {addr}");
        std::thread::sleep(Duration::from_millis(100));
    }
    Some(server)
}

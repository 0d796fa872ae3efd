//! Access control for private feeds: the access token's digest, the places a request may present
//! a token (`?token=`, a bearer token, basic auth's password) and the constant-time comparison.
//!
//! Owns: token parsing and matching, and reading the token from the environment. Does not own:
//! where the check runs among the request limits (`serve`), nor the 401 response (`AppError`).

use axum::http::{HeaderMap, Uri, header};
use sha2::{Digest, Sha256};

/// SHA-256 of a non-empty access token; an empty or missing token means no protection.
pub(super) fn token_digest(token: Option<&str>) -> Option<[u8; 32]> {
    token
        .filter(|t| !t.is_empty())
        .map(|t| Sha256::digest(t.as_bytes()).into())
}

/// Whether the request (its target and headers) presents a token matching `digest`.
pub(super) fn authorized(digest: &[u8; 32], uri: &Uri, headers: &HeaderMap) -> bool {
    presented_tokens(uri, headers)
        .iter()
        .any(|t| token_matches(digest, t))
}

/// Tokens a request presents: `?token=`, `Authorization: Bearer`, or basic auth's password.
fn presented_tokens(uri: &Uri, headers: &HeaderMap) -> Vec<String> {
    let mut tokens = query_token(uri.query()).into_iter().collect::<Vec<_>>();
    if let Some(auth) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        if let Some(bearer) = auth.strip_prefix("Bearer ") {
            tokens.push(bearer.trim().to_string());
        } else if let Some(basic) = auth.strip_prefix("Basic ") {
            let password = base64_decode(basic.trim())
                .and_then(|raw| String::from_utf8(raw).ok())
                .and_then(|pair| pair.split_once(':').map(|(_, p)| p.to_string()));
            tokens.extend(password);
        }
    }
    tokens
}

/// The `token` parameter of a query string, percent-decoded.
pub(super) fn query_token(query: Option<&str>) -> Option<String> {
    url::form_urlencoded::parse(query?.as_bytes())
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
}

/// Hashes the candidate and compares digests without an early exit.
fn token_matches(digest: &[u8; 32], candidate: &str) -> bool {
    let other: [u8; 32] = Sha256::digest(candidate.as_bytes()).into();
    let diff = digest
        .iter()
        .zip(other.iter())
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    std::hint::black_box(diff) == 0
}

/// Standard base64 (RFC 4648, padding optional), for basic auth credentials.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut buf, mut bits) = (0u32, 0u32);
    for c in text.trim_end_matches('=').bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        buf = (buf << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
            buf &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// The access token for `serve` and `run`, from `CLEARFEED_ACCESS_TOKEN` (kept out of config
/// files and command lines, where it would be readable by others).
pub fn access_token_from_env() -> Option<String> {
    std::env::var("CLEARFEED_ACCESS_TOKEN")
        .ok()
        .filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_compared_by_digest_and_decoded_from_basic_auth() {
        let digest: [u8; 32] = Sha256::digest(b"s3cret").into();
        assert!(token_matches(&digest, "s3cret"));
        assert!(!token_matches(&digest, "s3cre"));
        assert!(!token_matches(&digest, ""));
        // "reader:s3cret" and "a:b" in base64, with and without padding.
        assert_eq!(
            base64_decode("cmVhZGVyOnMzY3JldA==").unwrap(),
            b"reader:s3cret"
        );
        assert_eq!(base64_decode("YTpi").unwrap(), b"a:b");
        assert_eq!(base64_decode("YTpiYw").unwrap(), b"a:bc");
        assert!(base64_decode("not base64!").is_none());
        assert_eq!(query_token(Some("a=1&token=x%20y")), Some("x y".into()));
        assert_eq!(query_token(Some("tokens=1")), None);
    }
}

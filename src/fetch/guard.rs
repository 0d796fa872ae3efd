//! The address guard: article links come from third parties, so by default clearfeed refuses to
//! connect to private, loopback, link-local (cloud metadata endpoints live at 169.254.169.254),
//! unique-local, multicast and unspecified addresses.
//!
//! The check runs on the *resolved* address of every connection, inside the HTTP client's DNS
//! resolver ([`GuardedResolver`]), so a redirect to an internal name or a DNS record that changes
//! between two lookups (rebinding) is caught at the moment of connecting. URLs whose host is an IP
//! literal never reach a resolver, so [`check_literal`] covers them before the request and on every
//! redirect hop. Operators open the guard with `[fetch] allow_private_networks = true` or per feed
//! with `allow_hosts`.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

/// Who may be reached besides the public internet.
#[derive(Debug, Clone, Default)]
pub struct Access {
    /// Everything may be reached (the `allow_private_networks` escape hatch).
    pub allow_private: bool,
    /// Host names (lowercase) that may resolve to private addresses.
    pub allow_hosts: Arc<HashSet<String>>,
}

impl Access {
    fn host_allowed(&self, host: &str) -> bool {
        self.allow_private
            || self
                .allow_hosts
                .contains(host.trim_end_matches('.').to_ascii_lowercase().as_str())
    }
}

/// A connection the guard refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "refusing to connect to {host} ({ip}): not a public address (set [fetch] allow_private_networks or the feed's allow_hosts to allow it)"
)]
pub struct Blocked {
    pub host: String,
    pub ip: IpAddr,
}

/// Whether an address is one clearfeed must not reach by default.
pub fn is_blocked(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_blocked_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_blocked_v4(v4);
            }
            let seg = v6.segments();
            // NAT64 (64:ff9b::/96) embeds an IPv4 address: judge that one.
            if seg[0] == 0x64 && seg[1] == 0xff9b && seg[2..6] == [0, 0, 0, 0] {
                let o = v6.octets();
                return is_blocked_v4(Ipv4Addr::new(o[12], o[13], o[14], o[15]));
            }
            v6.is_unspecified()
                || v6.is_loopback()
                || v6.is_multicast()
                || (seg[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (seg[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (seg[0] & 0xffc0) == 0xfec0 // old site-local fec0::/10
                || v6 == Ipv6Addr::new(0, 0, 0, 0, 0, 0, 0, 1)
                // IPv4-compatible ::a.b.c.d (deprecated; some stacks still route it)
                || (seg[0..6] == [0, 0, 0, 0, 0, 0] && {
                    let o = v6.octets();
                    is_blocked_v4(Ipv4Addr::new(o[12], o[13], o[14], o[15]))
                })
        }
    }
}

fn is_blocked_v4(ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    ip.is_unspecified()
        || o[0] == 0 // "this network" 0.0.0.0/8
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || (o[0] == 100 && (o[1] & 0xc0) == 64) // shared address space 100.64.0.0/10
        || (o[0] == 192 && o[1] == 0 && o[2] == 0) // IETF protocol assignments 192.0.0.0/24
        || (o[0] == 198 && (o[1] & 0xfe) == 18) // benchmarking 198.18.0.0/15
        || ip.is_multicast()
        || o[0] >= 240 // reserved and broadcast
}

/// Checks a URL whose host is an IP literal (those bypass DNS resolution and so the resolver).
/// Names pass here; the resolver judges them once they resolve.
pub fn check_literal(url: &url::Url, access: &Access) -> Result<(), Blocked> {
    let ip = match url.host() {
        Some(url::Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(url::Host::Ipv6(v6)) => IpAddr::V6(v6),
        _ => return Ok(()),
    };
    let host = url.host_str().unwrap_or_default().to_string();
    if is_blocked(ip) && !access.host_allowed(&host) {
        return Err(Blocked { host, ip });
    }
    Ok(())
}

/// A DNS resolver that drops blocked addresses from every answer and fails when none is left.
#[derive(Debug, Clone)]
pub struct GuardedResolver {
    pub access: Access,
}

impl GuardedResolver {
    /// Resolves `host` and keeps only addresses the access rules allow.
    pub async fn resolve_host(&self, host: &str) -> Result<Vec<SocketAddr>, ResolveError> {
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, 0))
            .await
            .map_err(|e| ResolveError::Lookup(host.to_string(), e))?
            .collect();
        if self.access.host_allowed(host) {
            return Ok(addrs);
        }
        let (allowed, refused): (Vec<_>, Vec<_>) =
            addrs.into_iter().partition(|a| !is_blocked(a.ip()));
        match (allowed.is_empty(), refused.first()) {
            (true, Some(first)) => Err(ResolveError::Blocked(Blocked {
                host: host.to_string(),
                ip: first.ip(),
            })),
            _ => Ok(allowed),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    #[error(transparent)]
    Blocked(Blocked),
    #[error("cannot resolve {0}: {1}")]
    Lookup(String, std::io::Error),
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let this = self.clone();
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs = this.resolve_host(&host).await.map_err(|e| match e {
                // Surface the refusal itself so the caller can tell it from a DNS failure.
                ResolveError::Blocked(b) => Box::new(b) as Box<dyn std::error::Error + Send + Sync>,
                other => Box::new(other),
            })?;
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_addresses() {
        let blocked = [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a00:1",
        ];
        for ip in blocked {
            assert!(is_blocked(ip.parse().unwrap()), "{ip} should be blocked");
        }
        let public = [
            "93.184.216.34",
            "8.8.8.8",
            "172.32.0.1",
            "2606:4700::1",
            "::ffff:8.8.8.8",
        ];
        for ip in public {
            assert!(!is_blocked(ip.parse().unwrap()), "{ip} should be public");
        }
    }

    #[test]
    fn literal_hosts_checked_with_escape_hatches() {
        let url = url::Url::parse("http://127.0.0.1:8080/x").unwrap();
        assert!(check_literal(&url, &Access::default()).is_err());
        let open = Access {
            allow_private: true,
            ..Default::default()
        };
        assert!(check_literal(&url, &open).is_ok());
        let listed = Access {
            allow_private: false,
            allow_hosts: Arc::new(HashSet::from(["127.0.0.1".to_string()])),
        };
        assert!(check_literal(&url, &listed).is_ok());
        let v6 = url::Url::parse("http://[::1]/").unwrap();
        assert!(check_literal(&v6, &listed).is_err());
        let name = url::Url::parse("http://localhost/").unwrap();
        assert!(
            check_literal(&name, &Access::default()).is_ok(),
            "names go to the resolver"
        );
    }

    #[tokio::test]
    async fn resolver_refuses_names_that_resolve_to_loopback() {
        let guard = GuardedResolver {
            access: Access::default(),
        };
        match guard.resolve_host("localhost").await {
            Err(ResolveError::Blocked(b)) => assert!(b.ip.is_loopback()),
            other => panic!("expected a refusal, got {other:?}"),
        }
        let hatch = GuardedResolver {
            access: Access {
                allow_private: false,
                allow_hosts: Arc::new(HashSet::from(["localhost".to_string()])),
            },
        };
        assert!(!hatch.resolve_host("localhost").await.unwrap().is_empty());
    }
}

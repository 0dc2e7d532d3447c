//! Server configuration: one struct, filled from flags or `ATELIER_*` environment variables.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

/// How `atelier serve` runs. Every field has a flag and an environment fallback.
#[derive(Debug, Clone, clap::Args)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "ATELIER_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Data directory (git repositories, the SQLite database, the search index, bundles).
    /// Created when missing.
    #[arg(long, env = "ATELIER_DATA", default_value = "atelier-data")]
    pub data: PathBuf,
    /// The built single-page app (`index.html` and `assets/`), as written by `cargo xtask build`.
    #[arg(long, env = "ATELIER_DIST", default_value = "dist")]
    pub dist: PathBuf,
    /// Sample designs imported into a new data directory on first start.
    #[arg(long, env = "ATELIER_DESIGNS", default_value = "designs")]
    pub designs: PathBuf,
    /// The URL people use to reach this server, e.g. `https://atelier.example.org`. With an
    /// `https` URL the session cookie is marked `Secure`; it is also the origin accepted for
    /// cookie-authenticated writes. Unset: the request's `Host` is trusted.
    #[arg(long, env = "ATELIER_PUBLIC_URL", value_parser = parse_public_url)]
    pub public_url: Option<String>,
    /// The database of record: absent → SQLite at `<data>/atelier.db`; a `postgres://` URL →
    /// that PostgreSQL database (created by its admin beforehand; migrations run at start).
    #[arg(long, env = "ATELIER_DATABASE", value_parser = parse_database)]
    pub database: Option<String>,
    /// Largest file one upload may carry, in bytes (larger ones get 413).
    #[arg(long, env = "ATELIER_MAX_UPLOAD", default_value_t = 100 * 1024 * 1024)]
    pub max_upload: u64,
    /// Largest push over git (the pack the client sends), in bytes.
    #[arg(long, env = "ATELIER_MAX_PUSH", default_value_t = 4 << 30)]
    pub max_push: u64,
    /// The `atelier` program git runs as the pre-receive hook of pushes. Unset: this program.
    #[arg(long, env = "ATELIER_HOOK_PROGRAM")]
    pub hook_program: Option<PathBuf>,
    /// Hosts (`host` or `host:port`; repeat the flag, or separate with commas) that designs may
    /// be imported from by `https://` URL (`POST /api/designs/import` with a `url`). Unset: no
    /// imports from URLs, and the server never fetches from the outside world.
    #[arg(
        long = "allow-import-from",
        env = "ATELIER_ALLOW_IMPORT_FROM",
        value_delimiter = ','
    )]
    pub allow_import_from: Vec<String>,
    /// A PEM file of the certificate authorities git trusts for URL imports, instead of the
    /// system's (a locality's own forge with its own CA). Unset: the system's.
    #[arg(long, env = "ATELIER_IMPORT_CA_FILE")]
    pub import_ca_file: Option<PathBuf>,
    /// Whether README images hosted on other sites are shown through this instance's image
    /// proxy (`GET /api/images/…`: signed URLs only, short fetches of images, never to private
    /// addresses). `false`: the server fetches no images; they show as links to themselves.
    #[arg(long, env = "ATELIER_IMAGE_PROXY", default_value_t = true, action = clap::ArgAction::Set)]
    pub image_proxy: bool,
    /// Lets the image proxy fetch from loopback and private addresses. For tests only: on a
    /// real instance it would let any README reach the instance's own network.
    #[arg(long, env = "ATELIER_IMAGE_PROXY_ALLOW_PRIVATE")]
    pub image_proxy_allow_private: bool,
    /// Addresses of reverse proxies in front of this server (repeat the flag, or separate with
    /// commas). A request from one of them is attributed to the client its
    /// `--client-ip-header` names, for rate limits and connection and upload caps; from any
    /// other peer the header is ignored. Unset: every peer is the client.
    #[arg(
        long = "trusted-proxy",
        env = "ATELIER_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// The header a trusted proxy writes the client's address to: `X-Forwarded-For` (the last
    /// address that is not a trusted proxy counts) or one holding a single address, such as
    /// `X-Real-IP`.
    #[arg(
        long,
        env = "ATELIER_CLIENT_IP_HEADER",
        default_value = "x-forwarded-for"
    )]
    pub client_ip_header: String,
}

fn parse_database(url: &str) -> Result<String, String> {
    crate::db::Location::new(std::path::Path::new("."), Some(url)).map(|_| url.to_owned())
}

impl Config {
    /// What URL imports may fetch: the allowed hosts (lower-case), within `--max-push`.
    pub fn url_policy(&self) -> crate::store::UrlPolicy {
        crate::store::UrlPolicy {
            allowed_hosts: self
                .allow_import_from
                .iter()
                .map(|h| h.trim().to_ascii_lowercase())
                .filter(|h| !h.is_empty())
                .collect(),
            ca_file: self.import_ca_file.clone(),
            max_size: self.max_push,
        }
    }

    /// Where the database of record lives.
    pub fn database(&self) -> crate::db::Location {
        // Checked when parsed (`parse_database`); a hand-built Config may hold anything.
        crate::db::Location::new(&self.data, self.database.as_deref())
            .unwrap_or_else(|_| crate::db::Location::in_data(&self.data))
    }

    /// Whether `ip` is one of the `--trusted-proxy` addresses (compared in canonical form).
    pub fn is_trusted_proxy(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.trusted_proxies.iter().any(|t| t.to_canonical() == ip)
    }

    /// The client behind a request that came from `peer`: `peer` itself, unless `peer` is a
    /// trusted proxy and the client-address header names someone else. Addresses are compared
    /// in canonical form (an IPv4-mapped IPv6 address is its IPv4 address).
    pub fn client_ip(&self, peer: IpAddr, headers: &axum::http::HeaderMap) -> IpAddr {
        let peer = peer.to_canonical();
        let trusted = |ip: &IpAddr| self.is_trusted_proxy(*ip);
        if !trusted(&peer) {
            return peer;
        }
        // Proxies append: walk from the right past our own proxies; the first other entry is
        // the client. One that does not parse ends the walk at the proxy (fail closed): the
        // entries left of it were written by the client.
        let entries: Vec<&str> = headers
            .get_all(self.client_ip_header.as_str())
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .collect();
        for entry in entries.into_iter().rev() {
            let Some(ip) = parse_forwarded(entry.trim()) else {
                return peer;
            };
            if !trusted(&ip) {
                return ip;
            }
        }
        peer
    }
}

/// The key per-address limits count `ip` under: an IPv4 address itself, an IPv6 address's /64
/// (one subscriber's usual allocation, which its owner can fill with fresh addresses at will).
pub fn limit_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(std::net::Ipv6Addr::from(bits))
        }
        v4 => v4,
    }
}

/// One address of a forwarding header: `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1` or
/// `[2001:db8::1]:5678`, canonical.
fn parse_forwarded(entry: &str) -> Option<IpAddr> {
    if let Ok(ip) = entry.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    if let Ok(socket) = entry.parse::<SocketAddr>() {
        return Some(socket.ip().to_canonical());
    }
    entry
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .and_then(|inner| inner.parse::<IpAddr>().ok())
        .map(|ip| ip.to_canonical())
}

fn parse_public_url(url: &str) -> Result<String, String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or("must start with http:// or https://")?;
    let rest = rest.trim_end_matches('/');
    if rest.is_empty() || rest.contains('/') {
        return Err(
            "must be an origin (scheme and host, no path), e.g. https://atelier.example.org".into(),
        );
    }
    Ok(url.trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser as _;

    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        config: Config,
    }

    fn config(proxies: &str) -> Config {
        let mut args = vec!["atelier".to_owned()];
        for proxy in proxies.split(',').filter(|p| !p.is_empty()) {
            args.extend(["--trusted-proxy".to_owned(), proxy.to_owned()]);
        }
        Cli::parse_from(args).config
    }

    fn from(config: &Config, peer: &str, forwarded: &str) -> String {
        let mut headers = axum::http::HeaderMap::new();
        headers.insert("x-forwarded-for", forwarded.parse().unwrap());
        config
            .client_ip(peer.parse().unwrap(), &headers)
            .to_string()
    }

    #[test]
    fn the_client_is_the_last_untrusted_hop_and_nothing_unparseable_is_skipped() {
        let proxied = config("10.0.0.5,10.0.0.6");
        assert_eq!(from(&proxied, "10.0.0.5", "198.51.100.7"), "198.51.100.7");
        // The client's own claims sit left of what our proxies appended.
        assert_eq!(
            from(&proxied, "10.0.0.5", "6.6.6.6, 198.51.100.7, 10.0.0.6"),
            "198.51.100.7"
        );
        // Ports and brackets, as some proxies write them.
        assert_eq!(
            from(&proxied, "10.0.0.5", "6.6.6.6, 198.51.100.7:5123"),
            "198.51.100.7"
        );
        assert_eq!(
            from(&proxied, "10.0.0.5", "[2001:db8::7]:443"),
            "2001:db8::7"
        );
        // Something that is not an address stops the walk at the proxy.
        assert_eq!(from(&proxied, "10.0.0.5", "6.6.6.6, unknown"), "10.0.0.5");
        // An IPv4 peer on an IPv6 listener is still the trusted proxy.
        assert_eq!(
            from(&proxied, "::ffff:10.0.0.5", "198.51.100.7"),
            "198.51.100.7"
        );
        // Any other peer is the client, whatever it claims.
        assert_eq!(from(&proxied, "203.0.113.1", "6.6.6.6"), "203.0.113.1");
        assert_eq!(from(&config(""), "203.0.113.1", "6.6.6.6"), "203.0.113.1");
    }

    #[test]
    fn limits_count_an_ipv6_slash_64_as_one_address() {
        let key = |ip: &str| limit_key(ip.parse().unwrap()).to_string();
        assert_eq!(key("2001:db8:1:2:aaaa::1"), key("2001:db8:1:2:bbbb::9"));
        assert_eq!(key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::");
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_eq!(key("198.51.100.7"), "198.51.100.7");
        assert_eq!(key("::ffff:198.51.100.7"), "198.51.100.7");
    }
}

//! The image proxy for README images hosted elsewhere (GitHub's camo, in small). A rendered
//! page names an external image by a URL on this instance signed with the instance's key
//! (HMAC-SHA256), so the proxy fetches only what Atelier itself rendered. A fetch is short
//! ([`TIMEOUT`]), capped ([`MAX_IMAGE`]), sends no cookies or credentials, accepts image
//! content types only, never connects to loopback, private or link-local addresses (checked on
//! the resolved address of every hop, so DNS and redirects cannot reach inside; a flag allows
//! them for tests), and the answers are cached in memory.
//!
//! Invariant: nothing but a URL signed with this instance's key is ever fetched.

use std::collections::HashMap;
use std::io::{self, Read as _, Write as _};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac as _};
use sha2::Sha256;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};

/// Where the proxy answers; a signed URL is `{PATH}{signature}/{base64url of the URL}`.
pub const PATH: &str = "/api/images/";
/// The largest image fetched.
pub const MAX_IMAGE: u64 = 5 << 20;
/// How long one fetch may take in all (connect, redirects, body).
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// The longest image URL signed; longer ones are not proxied.
const MAX_URL: usize = 2048;
/// How many bytes of images the cache holds, and for how long.
const CACHE_BYTES: usize = 64 << 20;
const CACHE_FOR: Duration = Duration::from_secs(3600);
/// The key file in the data directory.
const KEY_FILE: &str = "image-proxy.key";
/// How many fetches from one host run at once; one slow host cannot take every fetch.
const PER_HOST: usize = 2;
/// The User-Agent prefix of every fetch; a request bearing it is another proxy (or this one)
/// fetching through the proxy, which would loop.
pub const USER_AGENT: &str = concat!("atelier-image-proxy/", env!("CARGO_PKG_VERSION"));
/// Image types shown; anything else (even another `image/…`) is refused.
const IMAGE_TYPES: &[&str] = &[
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "image/avif",
    "image/svg+xml",
    "image/bmp",
    "image/x-icon",
    "image/vnd.microsoft.icon",
];

type HmacSha256 = Hmac<Sha256>;

/// Signs external image URLs (cheap to clone: the key is shared).
#[derive(Clone)]
pub struct Signer {
    key: Arc<[u8; 32]>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer(..)")
    }
}

impl Signer {
    fn mac(&self, url: &str) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.key[..]).expect("HMAC takes any key length");
        mac.update(url.as_bytes());
        mac
    }

    /// The proxy URL showing `url` (returned unchanged when it is too long to sign: the
    /// page's CSP then blocks it, as before the proxy).
    pub fn url(&self, url: &str) -> String {
        if url.len() > MAX_URL {
            return url.to_owned();
        }
        let signature = URL_SAFE_NO_PAD.encode(self.mac(url).finalize().into_bytes());
        format!("{PATH}{signature}/{}", URL_SAFE_NO_PAD.encode(url))
    }

    /// A signer with a fixed key, for tests of what renders signed URLs.
    #[cfg(test)]
    pub fn for_tests() -> Self {
        Self {
            key: Arc::new([7; 32]),
        }
    }

    /// The URL a proxy path names, if `signature` is this instance's signature of it.
    pub fn verify(&self, signature: &str, encoded: &str) -> Result<String, Error> {
        let url = URL_SAFE_NO_PAD
            .decode(encoded)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .ok_or(Error::BadSignature)?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| Error::BadSignature)?;
        self.mac(&url)
            .verify_slice(&signature)
            .map_err(|_| Error::BadSignature)?;
        Ok(url)
    }
}

/// Why an image is not shown.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("this instance does not fetch images from other sites")]
    Disabled,
    #[error("the image address is not signed by this instance")]
    BadSignature,
    #[error("the image URL must be http or https: {0}")]
    Scheme(String),
    #[error("the image host is a loopback, private or link-local address, which is refused")]
    Private,
    #[error("the image host answered HTTP {0}")]
    Status(u16),
    #[error("the image host sent {0}, not an image")]
    NotAnImage(String),
    #[error("the image is larger than {MAX_IMAGE} bytes")]
    TooLarge,
    #[error("the image host could not be reached: {0}")]
    Unreachable(String),
    #[error("the image is another image proxy's address, which would loop")]
    Loop,
    #[error("the image proxy is busy with {0}; try again shortly")]
    Busy(String),
}

/// A fetched image.
#[derive(Debug, Clone)]
pub struct Image {
    /// The host's `image/…` content type, without parameters.
    pub content_type: String,
    pub bytes: bytes::Bytes,
}

/// The proxy: the signer, the fetching agent and the cache.
pub struct ImageProxy {
    signer: Signer,
    enabled: bool,
    agent: ureq::Agent,
    cache: Mutex<Cache>,
    /// Fetches running, by host.
    hosts: Mutex<HashMap<String, usize>>,
}

impl std::fmt::Debug for ImageProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImageProxy")
            .field("enabled", &self.enabled)
            .finish_non_exhaustive()
    }
}

impl ImageProxy {
    /// Opens the proxy of the data directory `data`: its key is `image-proxy.key` there
    /// (created, readable by the owner only, on first start), so signed URLs outlive restarts.
    /// `enabled: false` turns outbound fetches off; `allow_private` lets them reach loopback
    /// and private addresses (tests only).
    pub fn open(data: &Path, enabled: bool, allow_private: bool) -> anyhow::Result<Self> {
        let key = load_key(&data.join(KEY_FILE))?;
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(TIMEOUT))
            .max_redirects(3)
            .proxy(None)
            // The build has native-tls only; ureq's default provider (rustls) would panic on
            // every https URL.
            .tls_config(
                ureq::tls::TlsConfig::builder()
                    .provider(ureq::tls::TlsProvider::NativeTls)
                    .build(),
            )
            .user_agent(USER_AGENT)
            .build();
        let agent = ureq::Agent::with_parts(
            config,
            DefaultConnector::default(),
            PublicOnly { allow_private },
        );
        Ok(Self {
            signer: Signer { key: Arc::new(key) },
            enabled,
            agent,
            cache: Mutex::new(Cache::default()),
            hosts: Mutex::default(),
        })
    }

    /// The signer for rendering, or `None` when outbound fetches are off.
    pub fn signer(&self) -> Option<&Signer> {
        self.enabled.then_some(&self.signer)
    }

    /// The image a signed proxy path names: from the cache, else fetched (blocking: call off
    /// the async runtime).
    pub fn get(&self, signature: &str, encoded: &str) -> Result<Image, Error> {
        if !self.enabled {
            return Err(Error::Disabled);
        }
        let url = self.signer.verify(signature, encoded)?;
        if let Some(image) = self.cache.lock().expect("cache lock").get(&url) {
            return Ok(image);
        }
        let host = host_of(&url);
        let _slot = self.slot(&host)?;
        let image = self.fetch(&url)?;
        self.cache
            .lock()
            .expect("cache lock")
            .put(url, image.clone());
        Ok(image)
    }

    /// The image a signed proxy path names if it is in the cache (cheap: no fetch).
    pub fn cached(&self, signature: &str, encoded: &str) -> Result<Option<Image>, Error> {
        if !self.enabled {
            return Err(Error::Disabled);
        }
        let url = self.signer.verify(signature, encoded)?;
        Ok(self.cache.lock().expect("cache lock").get(&url))
    }

    /// One of `host`'s [`PER_HOST`] fetch slots, given back when dropped.
    fn slot(&self, host: &str) -> Result<HostSlot<'_>, Error> {
        let mut hosts = self.hosts.lock().expect("hosts lock");
        let running = hosts.entry(host.to_owned()).or_default();
        if *running >= PER_HOST {
            return Err(Error::Busy(host.to_owned()));
        }
        *running += 1;
        Ok(HostSlot {
            hosts: &self.hosts,
            host: host.to_owned(),
        })
    }

    fn fetch(&self, url: &str) -> Result<Image, Error> {
        let lower = url.to_ascii_lowercase();
        if !(lower.starts_with("http://") || lower.starts_with("https://")) {
            return Err(Error::Scheme(url.to_owned()));
        }
        if lower.contains(PATH) {
            return Err(Error::Loop);
        }
        let mut response = self
            .agent
            .get(url)
            .header("Accept", "image/*")
            .call()
            .map_err(unreachable)?;
        let status = response.status().as_u16();
        if status != 200 {
            return Err(Error::Status(status));
        }
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        if !IMAGE_TYPES.contains(&content_type.as_str()) {
            return Err(Error::NotAnImage(if content_type.is_empty() {
                "no content type".into()
            } else {
                content_type
            }));
        }
        let mut bytes = Vec::new();
        response
            .body_mut()
            .as_reader()
            .take(MAX_IMAGE + 1)
            .read_to_end(&mut bytes)
            .map_err(|err| Error::Unreachable(err.to_string()))?;
        if bytes.len() as u64 > MAX_IMAGE {
            return Err(Error::TooLarge);
        }
        Ok(Image {
            content_type,
            bytes: bytes.into(),
        })
    }
}

/// A running fetch from one host; dropping it frees the slot.
struct HostSlot<'a> {
    hosts: &'a Mutex<HashMap<String, usize>>,
    host: String,
}

impl Drop for HostSlot<'_> {
    fn drop(&mut self) {
        let mut hosts = self.hosts.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(running) = hosts.get_mut(&self.host) {
            *running -= 1;
            if *running == 0 {
                hosts.remove(&self.host);
            }
        }
    }
}

/// The host (and port) of `url`, lowercased; the whole URL when it has none.
fn host_of(url: &str) -> String {
    ureq::http::Uri::try_from(url)
        .ok()
        .and_then(|uri| uri.authority().map(|a| a.as_str().to_ascii_lowercase()))
        .map(|authority| authority.rsplit('@').next().unwrap_or_default().to_owned())
        .unwrap_or_else(|| url.chars().take(100).collect())
}

fn unreachable(err: ureq::Error) -> Error {
    match err {
        ureq::Error::Io(io) if io.kind() == io::ErrorKind::PermissionDenied => Error::Private,
        ureq::Error::Timeout(_) => Error::Unreachable(format!("no answer within {TIMEOUT:?}")),
        ureq::Error::TooManyRedirects => Error::Unreachable("too many redirects".into()),
        other => Error::Unreachable(other.to_string()),
    }
}

fn load_key(path: &Path) -> anyhow::Result<[u8; 32]> {
    use anyhow::Context as _;
    match std::fs::read(path) {
        Ok(bytes) => bytes
            .try_into()
            .map_err(|_| anyhow::anyhow!("{} is not a 32-byte key", path.display())),
        Err(err) if err.kind() == io::ErrorKind::NotFound => {
            use argon2::password_hash::rand_core::{OsRng, RngCore as _};
            use std::os::unix::fs::OpenOptionsExt as _;
            let mut key = [0u8; 32];
            OsRng.fill_bytes(&mut key);
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)
                .with_context(|| format!("creating {}", path.display()))?;
            file.write_all(&key)?;
            file.sync_all()?;
            Ok(key)
        }
        Err(err) => Err(err).with_context(|| format!("reading {}", path.display())),
    }
}

/// Resolves as usual, then keeps only public addresses (unless `allow_private`). ureq calls
/// it for every connection, redirects included, and connects to what it returns, so a host
/// name that resolves inside (or a redirect there) is refused.
#[derive(Debug)]
struct PublicOnly {
    allow_private: bool,
}

impl Resolver for PublicOnly {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &ureq::config::Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let all = DefaultResolver::default().resolve(uri, config, timeout)?;
        if self.allow_private {
            return Ok(all);
        }
        let mut public = self.empty();
        for addr in all.iter().filter(|addr| is_public(addr.ip())) {
            public.push(*addr);
        }
        if public.is_empty() {
            return Err(ureq::Error::Io(io::Error::new(
                io::ErrorKind::PermissionDenied,
                "private address",
            )));
        }
        Ok(public)
    }
}

/// Whether `ip` is an address on the public internet (not loopback, private, link-local,
/// shared, documentation, benchmarking, multicast, reserved or unspecified).
pub fn is_public(ip: IpAddr) -> bool {
    match ip.to_canonical() {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && c == 0)
        // The retired 6to4 relay anycast.
        || (a == 192 && b == 88 && c == 99)
        || (a == 198 && (18..20).contains(&b))
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let segments = ip.segments();
    // NAT64 (64:ff9b::/96) reaches the IPv4 address it embeds.
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let [.., a, b, c, d] = ip.octets();
        return is_public_v4(Ipv4Addr::new(a, b, c, d));
    }
    // 6to4 (2002::/16) reaches the IPv4 address in its next 32 bits.
    if segments[0] == 0x2002 {
        let [_, _, a, b, c, d, ..] = ip.octets();
        return is_public_v4(Ipv4Addr::new(a, b, c, d));
    }
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (segments[0] & 0xfe00) == 0xfc00
        || (segments[0] & 0xffc0) == 0xfe80
        // Site-local (deprecated, still routed inside some networks).
        || (segments[0] & 0xffc0) == 0xfec0
        // Teredo tunnels to an address it hides; local-use NAT64.
        || (segments[0] == 0x2001 && segments[1] == 0)
        || segments[..3] == [0x64, 0xff9b, 1]
        || (segments[0] == 0x2001 && segments[1] == 0x0db8)
        || segments[..6] == [0, 0, 0, 0, 0, 0])
}

/// Images by URL, at most [`CACHE_BYTES`] in all, each for [`CACHE_FOR`]; the oldest go first.
#[derive(Default)]
struct Cache {
    /// Each image with when it came and its place in the order of arrival (two may come at
    /// the same `Instant`).
    entries: HashMap<String, (Instant, u64, Image)>,
    bytes: usize,
    arrivals: u64,
}

impl Cache {
    fn get(&mut self, url: &str) -> Option<Image> {
        let (at, _, image) = self.entries.get(url)?;
        if at.elapsed() < CACHE_FOR {
            return Some(image.clone());
        }
        if let Some((_, _, old)) = self.entries.remove(url) {
            self.bytes -= old.bytes.len();
        }
        None
    }

    fn put(&mut self, url: String, image: Image) {
        let size = image.bytes.len();
        if size > CACHE_BYTES / 4 {
            return;
        }
        while self.bytes + size > CACHE_BYTES {
            let Some(oldest) = self
                .entries
                .iter()
                .min_by_key(|(_, (_, arrival, _))| *arrival)
                .map(|(url, _)| url.clone())
            else {
                break;
            };
            if let Some((_, _, old)) = self.entries.remove(&oldest) {
                self.bytes -= old.bytes.len();
            }
        }
        self.bytes += size;
        self.arrivals += 1;
        if let Some((_, _, old)) = self
            .entries
            .insert(url, (Instant::now(), self.arrivals, image))
        {
            self.bytes -= old.bytes.len();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer() -> Signer {
        Signer::for_tests()
    }

    #[test]
    fn a_signed_url_verifies_and_a_changed_one_does_not() {
        let url = "https://img.shields.io/badge/license-CERN--OHL--S-blue";
        let signed = signer().url(url);
        let rest = signed.strip_prefix(PATH).unwrap();
        let (signature, encoded) = rest.split_once('/').unwrap();
        assert_eq!(signer().verify(signature, encoded).unwrap(), url);
        let other = URL_SAFE_NO_PAD.encode("http://169.254.169.254/latest/meta-data");
        assert!(matches!(
            signer().verify(signature, &other),
            Err(Error::BadSignature)
        ));
        let foreign = Signer {
            key: Arc::new([8; 32]),
        };
        assert!(matches!(
            foreign.verify(signature, encoded),
            Err(Error::BadSignature)
        ));
        assert!(matches!(
            signer().verify("not base64!", encoded),
            Err(Error::BadSignature)
        ));
    }

    #[test]
    fn only_public_addresses_are_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "64:ff9b::a00:1",
            "64:ff9b:1::5db8:d822",
            "2002:7f00:1::",
            "2002:c0a8:101::1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "fec0::1",
            "192.88.99.1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in [
            "93.184.216.34",
            "140.82.112.3",
            "2606:4700::6810:84e5",
            "2002:5db8:d822::1",
        ] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn the_cache_keeps_within_its_budget() {
        let mut cache = Cache::default();
        let image = |n: usize| Image {
            content_type: "image/png".into(),
            bytes: vec![0; n].into(),
        };
        for i in 0..10 {
            cache.put(
                format!("https://example.org/{i}.png"),
                image(CACHE_BYTES / 5),
            );
        }
        assert!(cache.bytes <= CACHE_BYTES);
        assert!(cache.get("https://example.org/9.png").is_some());
        assert!(cache.get("https://example.org/0.png").is_none());
    }
}

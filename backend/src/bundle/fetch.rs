//! `atelier fetch`: downloads a bundle from an Atelier server with a progress bar, verifies it
//! ([`super::verify`]) and unpacks it safely; what a manufacturer runs.

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use sha2::{Digest as _, Sha256};

use super::{Format, hex, verify};

/// Where to fetch from: `<server>/<owner>/<slug>[@rev]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// `http(s)://host[:port][/prefix]`, without a trailing slash.
    pub server: String,
    pub owner: String,
    pub slug: String,
    pub rev: Option<String>,
}

impl std::str::FromStr for Target {
    type Err = anyhow::Error;

    fn from_str(text: &str) -> anyhow::Result<Self> {
        let usage = || {
            anyhow::anyhow!(
                "{text:?} is not <server>/<owner>/<slug>[@rev], e.g. https://atelier.example/coop/trailer@v1.0"
            )
        };
        let text = text.trim_end_matches('/');
        let (rest, design) = text.rsplit_once('/').ok_or_else(usage)?;
        let (server, owner) = rest.rsplit_once('/').ok_or_else(usage)?;
        let (slug, rev) = match design.split_once('@') {
            Some((slug, rev)) if !rev.is_empty() => (slug, Some(rev.to_owned())),
            Some(_) => return Err(usage()),
            None => (design, None),
        };
        let server = if server.contains("://") {
            server.to_owned()
        } else {
            format!("https://{server}")
        };
        if owner.is_empty() || slug.is_empty() || server.ends_with("://") {
            return Err(usage());
        }
        Ok(Self {
            server,
            owner: owner.to_owned(),
            slug: slug.to_owned(),
            rev,
        })
    }
}

/// Downloads, verifies and unpacks `target` into `into`; prints what was fetched.
pub fn fetch(target: &Target, into: &Path, format: Format) -> anyhow::Result<PathBuf> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(Duration::from_secs(15)))
        .tls_config(
            ureq::tls::TlsConfig::builder()
                .provider(ureq::tls::TlsProvider::NativeTls)
                .build(),
        )
        .user_agent(concat!("atelier-fetch/", env!("CARGO_PKG_VERSION")))
        .build()
        .into();
    let design_url = format!(
        "{}/api/designs/{}/{}",
        target.server, target.owner, target.slug
    );
    let rev = match &target.rev {
        Some(rev) => rev.clone(),
        None => match newest_release(&agent, &design_url)? {
            Some(tag) => tag,
            None => default_branch(&agent, &design_url)?,
        },
    };
    let url = format!(
        "{design_url}/bundle/{}.{}",
        crate::format::percent_encode(&rev, b""),
        format.extension()
    );
    let mut response = agent
        .get(&url)
        .call()
        .with_context(|| format!("cannot reach {}", target.server))?;
    if !response.status().is_success() {
        bail!("{}", server_error(&mut response, &url));
    }
    let total = response
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    let promised_sha = response
        .headers()
        .get("x-atelier-sha256")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);

    std::fs::create_dir_all(into).with_context(|| format!("cannot create {}", into.display()))?;
    let mut download = tempfile::Builder::new()
        .prefix(".atelier-fetch-")
        .suffix(&format!(".{}", format.extension()))
        .tempfile_in(into)?;
    let mut body = response.body_mut().with_config().limit(u64::MAX).reader();
    let (size, sha256) = copy_with_progress(&mut body, download.as_file_mut(), total)?;
    if let Some(total) = total
        && size != total
    {
        bail!("the download stopped after {size} of {total} bytes; try again");
    }
    if let Some(promised) = &promised_sha
        && *promised != sha256
    {
        bail!("the archive's sha256 is {sha256} but the server announced {promised}");
    }

    let report = verify::verify(download.path())?;
    if !report.is_intact() {
        let mut message = format!("the bundle from {url} failed verification:");
        for problem in &report.problems {
            message.push_str("\n  ");
            message.push_str(problem);
        }
        bail!(message);
    }
    let folder = verify::unpack(download.path(), &report, into)?;
    let manifest = report.manifest.as_ref().expect("intact bundles have one");
    print_summary(manifest, &report, &folder);
    Ok(folder)
}

/// The newest release's tag, if the design has any.
fn newest_release(agent: &ureq::Agent, design_url: &str) -> anyhow::Result<Option<String>> {
    let url = format!("{design_url}/releases");
    let mut response = agent.get(&url).call().context("cannot reach the server")?;
    if !response.status().is_success() {
        bail!("{}", server_error(&mut response, &url));
    }
    let text = response.body_mut().read_to_string()?;
    let list: api::ReleaseList =
        serde_json::from_str(&text).context("the server's release list is unreadable")?;
    Ok(list.releases.into_iter().next().map(|r| r.tag))
}

/// The design's default branch (a design without releases is fetched at its tip).
fn default_branch(agent: &ureq::Agent, design_url: &str) -> anyhow::Result<String> {
    #[derive(serde::Deserialize)]
    struct Design {
        default_branch: String,
    }
    let mut response = agent
        .get(design_url)
        .call()
        .context("cannot reach the server")?;
    if !response.status().is_success() {
        bail!("{}", server_error(&mut response, design_url));
    }
    let text = response
        .body_mut()
        .with_config()
        .limit(64 << 20)
        .read_to_string()?;
    let design: Design =
        serde_json::from_str(&text).context("the server's design page is unreadable")?;
    Ok(design.default_branch)
}

/// The server's error message (`{"error": {"message"}}`), or the status.
fn server_error(response: &mut ureq::http::Response<ureq::Body>, url: &str) -> String {
    let status = response.status();
    let text = response.body_mut().read_to_string().unwrap_or_default();
    match serde_json::from_str::<api::ApiError>(&text) {
        Ok(body) => format!("{url}: {} ({status})", body.error.message),
        Err(_) => format!("{url}: the server answered {status}"),
    }
}

/// Copies `from` into `to`, drawing a progress bar on standard error; size and sha256.
fn copy_with_progress(
    from: &mut dyn Read,
    to: &mut std::fs::File,
    total: Option<u64>,
) -> io::Result<(u64, String)> {
    let started = Instant::now();
    let mut last_draw = Instant::now() - Duration::from_secs(1);
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 64 * 1024];
    let mut done = 0u64;
    let draw = |done: u64| {
        let rate = done as f64 / started.elapsed().as_secs_f64().max(0.001) / 1e6;
        match total {
            Some(total) if total > 0 => {
                let width = 30;
                let filled = ((done * width) / total).min(width) as usize;
                eprint!(
                    "\rdownloading [{}{}] {:>5.1} % {:.1} MB/s",
                    "#".repeat(filled),
                    " ".repeat(width as usize - filled),
                    done as f64 * 100.0 / total as f64,
                    rate
                );
            }
            _ => eprint!("\rdownloading {:.1} MB {:.1} MB/s", done as f64 / 1e6, rate),
        }
        let _ = io::stderr().flush();
    };
    loop {
        let n = from.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        to.write_all(&buffer[..n])?;
        hasher.update(&buffer[..n]);
        done += n as u64;
        if last_draw.elapsed() >= Duration::from_millis(100) {
            draw(done);
            last_draw = Instant::now();
        }
    }
    draw(done);
    eprintln!();
    to.sync_all()?;
    Ok((done, hex(&hasher.finalize())))
}

fn print_summary(manifest: &api::BundleManifest, report: &verify::Report, folder: &Path) {
    let release = manifest
        .tag
        .as_deref()
        .map(|tag| format!(" (release {tag})"))
        .unwrap_or_default();
    println!("fetched  {} {}{release}", manifest.design, manifest.version);
    println!("commit   {}", manifest.commit);
    println!(
        "license  {}",
        if manifest.licenses.is_empty() {
            "none declared: ask the designers before you build it".to_owned()
        } else {
            manifest.licenses.join(", ")
        }
    );
    println!(
        "verified {} files against atelier-bundle.json; archive sha256 {}",
        manifest.files.len(),
        report.sha256
    );
    if manifest.labor.contributors.is_empty() {
        println!("labor    no labor recorded");
    } else {
        println!("labor    {} units; top contributors:", manifest.labor.units);
        for share in manifest.labor.contributors.iter().take(5) {
            let who = match &share.account {
                Some(account) => account.clone(),
                None => format!("{} (unclaimed)", share.contributor),
            };
            println!(
                "         {who:<24} {:>6.2} %  {} units",
                share.share, share.units
            );
        }
    }
    println!("into     {}", folder.display());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse() {
        let t: Target = "http://127.0.0.1:8080/atelier/anvil@v1.0".parse().unwrap();
        assert_eq!(
            t,
            Target {
                server: "http://127.0.0.1:8080".into(),
                owner: "atelier".into(),
                slug: "anvil".into(),
                rev: Some("v1.0".into()),
            }
        );
        let t: Target = "atelier.example/coop/trailer/".parse().unwrap();
        assert_eq!(t.server, "https://atelier.example");
        assert_eq!(t.rev, None);
        for bad in ["anvil", "http://host/anvil@", "/a/b", "http:///a/b"] {
            assert!(bad.parse::<Target>().is_err(), "{bad}");
        }
    }
}

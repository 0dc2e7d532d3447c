//! `cargo xtask bench paint`: how soon Explore shows something, and its first design card, on
//! localhost and on a throttled phone, cold (no cache) and warm. The phone is Lighthouse's
//! DevTools throttling of "Slow 4G" (150 ms round trips, 1.6 Mbit/s down, 750 kbit/s up): as
//! DevTools delays each request once rather than each round trip, that is 562.5 ms of latency
//! and 90 % of the throughput; CPU 4× slower; 390 × 844 px. Prints min/median/max over the
//! runs; asserts nothing about speed.
//!
//! Needs the built SPA and chromedriver, as the browser tests do (`cargo xtask bench paint`
//! provides both). `cargo xtask bench paint quick` runs 2 rounds instead of 5.
use anyhow::{Context as _, Result};
use atelier_tests::{Browser, TestServer, dist_dir};
use serde_json::json;

/// Runs before the page's own scripts: notes when the first card has been painted (the frame
/// after the one in which it entered the document).
const OBSERVER: &str = r#"
window.__firstCard = null;
new MutationObserver((_, observer) => {
  if (document.querySelector('.design-list .card')) {
    observer.disconnect();
    requestAnimationFrame(() => requestAnimationFrame(() => {
      window.__firstCard = performance.now();
    }));
  }
}).observe(document, {subtree: true, childList: true});
"#;

struct Profile {
    name: &'static str,
    width: u32,
    height: u32,
    /// Latency (ms), download and upload (bytes/s); `None` for the plain network.
    network: Option<(u32, u32, u32)>,
    cpu: u32,
}

fn summary(values: &mut [f64]) -> String {
    atelier_tests::min_med_max(values, 7)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<()> {
    // The server's git hook runs this program (`<exe> hook pre-receive`, as it would run
    // `atelier`): answer as `atelier` does, rather than start another benchmark.
    if std::env::args().nth(1).as_deref() == Some("hook") {
        std::process::exit(backend::hooks::run_pre_receive());
    }
    let quick = std::env::args().any(|a| a == "quick");
    let rounds = if quick { 3 } else { 5 };
    let tmp = atelier_tests::bench_tmp();
    let server = TestServer::start(dist_dir(&tmp)?).await?;
    server.state.indexer.flush().await;
    let profiles = [
        Profile {
            name: "localhost, desktop",
            width: 1280,
            height: 900,
            network: None,
            cpu: 1,
        },
        Profile {
            name: "phone: slow 4G, 4x CPU",
            width: 390,
            height: 844,
            network: Some((563, 1_638_400 * 9 / 80, 750 * 1024 * 9 / 80)),
            cpu: 4,
        },
    ];
    println!(
        "Explore (/) in headless Chromium, {rounds} rounds; milliseconds from navigation start"
    );
    println!(
        "{:<24} {:<5} {:>23} {:>23}",
        "profile", "cache", "first paint min/med/max", "first card min/med/max"
    );
    for profile in &profiles {
        for cold in [true, false] {
            let (mut paints, mut cards) = (Vec::new(), Vec::new());
            for _ in 0..rounds {
                // A new browser each round: nothing but the HTTP cache carries over.
                let browser = Browser::start(&tmp).await?;
                browser
                    .client
                    .set_window_size(profile.width, profile.height)
                    .await?;
                browser.cdp("Network.enable", json!({})).await?;
                browser
                    .cdp("Network.setCacheDisabled", json!({"cacheDisabled": cold}))
                    .await?;
                if !cold {
                    // Warm: the same browser has loaded the page once before.
                    browser.goto(&server.url("/")).await?;
                    browser.wait_for(".design-list .card").await?;
                    // Leave, so the measured visit is a new one, not a reload.
                    browser.goto("about:blank").await?;
                }
                if let Some((latency, down, up)) = profile.network {
                    browser
                        .cdp(
                            "Network.emulateNetworkConditions",
                            json!({"offline": false, "latency": latency,
                                   "downloadThroughput": down, "uploadThroughput": up}),
                        )
                        .await?;
                }
                browser
                    .cdp(
                        "Emulation.setCPUThrottlingRate",
                        json!({"rate": profile.cpu}),
                    )
                    .await?;
                browser
                    .cdp(
                        "Page.addScriptToEvaluateOnNewDocument",
                        json!({"source": OBSERVER}),
                    )
                    .await?;
                browser.goto(&server.url("/")).await?;
                browser.wait_for(".design-list .card").await?;
                let mut times = serde_json::Value::Null;
                for _ in 0..100 {
                    times = browser
                        .client
                        .execute(
                            "const p = performance.getEntriesByName('first-contentful-paint')[0];
                         return [p ? p.startTime : null, window.__firstCard];",
                            vec![],
                        )
                        .await?;
                    if times[1].is_number() {
                        break;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
                let paint = times[0]
                    .as_f64()
                    .context("no first-contentful-paint entry")?;
                let card = times[1]
                    .as_f64()
                    .context("the first card was not observed")?;
                paints.push(paint);
                cards.push(card);
                browser.close().await?;
            }
            println!(
                "{:<24} {:<5} {:>23} {:>23}",
                profile.name,
                if cold { "cold" } else { "warm" },
                summary(&mut paints),
                summary(&mut cards)
            );
        }
    }
    Ok(())
}

//! Browser tests: the real server and the built SPA in headless Chromium.

use std::path::Path;

use atelier_tests::{Browser, TestServer, dist_dir, sample_designs};
use fantoccini::Locator;
use fantoccini::key::Key;

const TMP: &str = env!("CARGO_TARGET_TMPDIR");

async fn start() -> anyhow::Result<(TestServer, Browser)> {
    let server = TestServer::start(dist_dir(Path::new(TMP))?).await?;
    let browser = Browser::start(Path::new(TMP)).await?;
    Ok((server, browser))
}

#[tokio::test(flavor = "multi_thread")]
async fn explore_lists_every_sample_design() -> anyhow::Result<()> {
    let (server, browser) = start().await?;
    browser.goto(&server.url("/")).await?;
    browser.wait_for(".design-list .card-title a").await?;
    let mut shown = browser.texts(".design-list .card-title").await?;
    shown.sort();
    let mut expected: Vec<String> = sample_designs().into_iter().map(|(_, name)| name).collect();
    expected.sort();
    assert!(expected.len() >= 6, "at least 6 sample designs");
    assert_eq!(shown, expected);
    let count = browser.texts(".count").await?;
    assert_eq!(count, [format!("{} designs", expected.len())]);
    browser.screenshot("explore").await?;
    browser.close().await
}

#[tokio::test(flavor = "multi_thread")]
async fn header_search_box_finds_a_design_by_keyboard() -> anyhow::Result<()> {
    let (server, browser) = start().await?;
    browser.goto(&server.url("/")).await?;
    browser.wait_for(".design-list").await?;
    let input = browser.wait_for("#header-q").await?;
    input.send_keys("trailer").await?;
    input.send_keys(&char::from(Key::Enter).to_string()).await?;
    browser.wait_for(".search .design-list .card-title").await?;
    let url = browser.client.current_url().await?;
    assert_eq!(url.path(), "/search");
    assert_eq!(url.query(), Some("q=trailer"));
    let titles = browser.texts(".search .card-title").await?;
    let trailer = sample_designs()
        .into_iter()
        .find(|(slug, _)| slug == "cargo-bike-trailer")
        .expect("the cargo-bike-trailer sample exists")
        .1;
    assert!(titles.contains(&trailer), "{titles:?}");
    browser.screenshot("search-trailer").await?;

    // Following a result opens the design page.
    browser
        .client
        .find(Locator::LinkText(&trailer))
        .await?
        .click()
        .await?;
    let heading = browser.wait_for(".design h1").await?;
    assert_eq!(heading.text().await?, trailer);
    assert!(
        browser
            .client
            .current_url()
            .await?
            .path()
            .ends_with("/atelier/cargo-bike-trailer")
    );
    browser.screenshot("design").await?;
    browser.close().await
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_pages_and_designs_say_so() -> anyhow::Result<()> {
    let (server, browser) = start().await?;
    browser.goto(&server.url("/no/such/page/here")).await?;
    let heading = browser.wait_for(".not-found h1").await?;
    assert_eq!(heading.text().await?, "Page not found");
    browser.screenshot("not-found").await?;

    browser.goto(&server.url("/atelier/no-such-design")).await?;
    let alert = browser.wait_for(".error[role=alert]").await?;
    assert!(
        alert
            .text()
            .await?
            .contains("design atelier/no-such-design not found")
    );
    browser.screenshot("design-not-found").await?;
    browser.close().await
}

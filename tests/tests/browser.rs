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

#[tokio::test(flavor = "multi_thread")]
async fn sign_up_sign_out_sign_in_and_create_a_token() -> anyhow::Result<()> {
    let (server, browser) = start().await?;
    browser.goto(&server.url("/signup")).await?;
    let fill = |css: &'static str, text: &'static str| {
        let browser = &browser;
        async move {
            let input = browser.wait_for(css).await?;
            input.clear().await?;
            input.send_keys(text).await?;
            anyhow::Ok(())
        }
    };

    // Field-level errors first.
    fill("#field-username", "Ada Lovelace").await?;
    fill("#field-email", "ada").await?;
    fill("#field-password", "short").await?;
    browser
        .client
        .find(Locator::Css("main form button[type=submit]"))
        .await?
        .click()
        .await?;
    let error = browser
        .wait_for("#field-username-error:not(:empty)")
        .await?;
    assert_eq!(
        error.text().await?,
        "username 'A' is not allowed (use a-z, 0-9 and '-')"
    );
    assert_eq!(
        browser.texts("#field-password-error").await?,
        ["password must be at least 10 characters long"]
    );
    browser.screenshot("sign-up-errors").await?;

    fill("#field-username", "ada").await?;
    fill("#field-email", "ada@example.org").await?;
    fill("#field-password", "analytical-engine").await?;
    browser
        .client
        .find(Locator::Css("main form button[type=submit]"))
        .await?
        .click()
        .await?;
    let heading = browser.wait_for(".profile h1").await?;
    assert_eq!(heading.text().await?, "@ada");
    assert_eq!(browser.client.current_url().await?.path(), "/@ada");
    browser.screenshot("profile").await?;

    // Sign out through the account menu (keyboard-usable <details>).
    browser
        .wait_for(".account-menu summary")
        .await?
        .click()
        .await?;
    browser
        .client
        .find(Locator::XPath("//button[normalize-space()='Sign out']"))
        .await?
        .click()
        .await?;
    browser.wait_for("nav a[href='/signin']").await?;
    assert!(browser.texts(".account-menu").await?.is_empty());

    // Sign in again.
    browser.goto(&server.url("/signin")).await?;
    fill("#field-username", "ada").await?;
    fill("#field-password", "wrong-password").await?;
    browser
        .client
        .find(Locator::Css("main form button[type=submit]"))
        .await?
        .click()
        .await?;
    let alert = browser.wait_for(".form-error").await?;
    assert_eq!(alert.text().await?, "wrong username or password");
    fill("#field-password", "analytical-engine").await?;
    browser
        .client
        .find(Locator::Css("main form button[type=submit]"))
        .await?
        .click()
        .await?;
    let menu = browser.wait_for(".account-menu summary").await?;
    assert_eq!(menu.text().await?, "ada");

    // Create a token: its secret is shown once, then listed without it.
    browser.goto(&server.url("/settings")).await?;
    browser.wait_for(".emails code").await?;
    assert_eq!(browser.texts(".emails code").await?, ["ada@example.org"]);
    fill("#field-name", "workshop laptop").await?;
    browser
        .client
        .find(Locator::XPath("//button[normalize-space()='Create token']"))
        .await?
        .click()
        .await?;
    let secret = browser.wait_for(".new-token .secret").await?.text().await?;
    assert!(
        secret.starts_with("atl_") && secret.len() == 68,
        "{secret:?}"
    );
    browser.wait_for(".tokens .token-name").await?;
    assert_eq!(
        browser.texts(".tokens .token-name").await?,
        ["workshop laptop"]
    );
    browser.screenshot("settings-token").await?;

    // The secret works as a bearer token.
    let session = server
        .state
        .accounts
        .token_account(&secret)
        .await?
        .expect("the shown secret is a valid token");
    assert_eq!(session.0.username, "ada");

    // After a reload the secret is gone for good.
    browser.client.refresh().await?;
    browser.wait_for(".tokens .token-name").await?;
    assert!(browser.texts(".new-token").await?.is_empty());
    browser.close().await
}

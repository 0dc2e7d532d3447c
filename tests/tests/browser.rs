//! Browser tests: the real server and the built SPA in headless Chromium.

use std::path::Path;

use anyhow::Context as _;
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
    // Every card shows its manifest picture, served by the instance.
    let pictures = r#"return [...document.querySelectorAll('.design-list .card')]
        .map(c => { const i = c.querySelector('img.card-image');
                    return i !== null && i.complete && i.naturalWidth > 0; });"#;
    let mut shown = serde_json::Value::Null;
    for _ in 0..100 {
        shown = browser.client.execute(pictures, vec![]).await?;
        if shown
            .as_array()
            .is_some_and(|a| a.iter().all(|v| v == true))
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        shown
            .as_array()
            .is_some_and(|a| a.len() == expected.len() && a.iter().all(|v| v == true)),
        "every card has a loaded picture: {shown}"
    );
    browser.checkpoint("explore").await?;

    // Filters on the page itself: a license (from the index's values), then forks left out.
    let mut with_license: Vec<String> = sample_designs()
        .into_iter()
        .filter(|(slug, _)| {
            std::fs::read_to_string(
                atelier_tests::sample_designs_dir()
                    .join(slug)
                    .join("okh.toml"),
            )
            .unwrap()
            .contains("license = \"CERN-OHL-S-2.0\"")
        })
        .map(|(_, name)| name)
        .collect();
    with_license.sort();
    assert!(with_license.len() >= 2, "{with_license:?}");
    browser
        .wait_for("#explore-license option[value='CERN-OHL-S-2.0']")
        .await?
        .click()
        .await?;
    let mut shown = Vec::new();
    for _ in 0..100 {
        shown = browser
            .texts(".design-list .card-title")
            .await
            .unwrap_or_default();
        shown.sort();
        if shown == with_license {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(shown, with_license);
    let url = browser.client.current_url().await?;
    assert_eq!(url.query(), Some("license=CERN-OHL-S-2.0"));
    browser.wait_for("#explore-forks").await?.click().await?;
    for _ in 0..100 {
        if browser.client.current_url().await?.query() == Some("license=CERN-OHL-S-2.0&forks=hide")
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        browser.client.current_url().await?.query(),
        Some("license=CERN-OHL-S-2.0&forks=hide")
    );
    // The samples are no one's forks: the same designs stay.
    browser.wait_for(".design-list .card-title").await?;
    let mut kept = browser.texts(".design-list .card-title").await?;
    kept.sort();
    assert_eq!(kept, with_license);

    // The search page shows the pictures too, and never scrolls sideways at 1280 px.
    browser.client.set_window_size(1280, 900).await?;
    browser.goto(&server.url("/search?q=trailer")).await?;
    browser.wait_for(".hits .hit img.card-image").await?;
    let widths = browser
        .client
        .execute(
            r#"const w = document.documentElement.clientWidth;
               const wide = [...document.querySelectorAll('body *')]
                 .filter(e => e.getBoundingClientRect().right > w + 1)
                 .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right));
               return [document.documentElement.scrollWidth, w, wide.slice(0, 8)]"#,
            vec![],
        )
        .await?;
    assert!(
        widths[0].as_f64() <= widths[1].as_f64(),
        "the search page scrolls sideways: {widths}"
    );
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
    browser.wait_for(".search .hits .card-title").await?;
    let url = browser.client.current_url().await?;
    assert_eq!(url.path(), "/search");
    assert_eq!(url.query(), Some("q=trailer"));
    let titles = browser.texts(".search .hits .card-title").await?;
    let trailer = sample_designs()
        .into_iter()
        .find(|(slug, _)| slug == "cargo-bike-trailer")
        .expect("the cargo-bike-trailer sample exists")
        .1;
    assert!(titles.contains(&trailer), "{titles:?}");
    browser.checkpoint("search-trailer").await?;

    // Following a result opens the design page.
    browser
        .client
        .find(Locator::LinkText(&trailer))
        .await?
        .click()
        .await?;
    let heading = browser.wait_for(".design-title h1").await?;
    assert_eq!(heading.text().await?, trailer);
    assert!(
        browser
            .client
            .current_url()
            .await?
            .path()
            .ends_with("/atelier/cargo-bike-trailer")
    );
    browser.checkpoint("design").await?;
    browser.close().await
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_pages_and_designs_say_so() -> anyhow::Result<()> {
    let (server, browser) = start().await?;
    browser.goto(&server.url("/no/such/page/here")).await?;
    let heading = browser.wait_for(".not-found h1").await?;
    assert_eq!(heading.text().await?, "Page not found");
    browser.checkpoint("not-found").await?;

    browser.goto(&server.url("/atelier/no-such-design")).await?;
    let alert = browser.wait_for(".error[role=alert]").await?;
    assert!(
        alert
            .text()
            .await?
            .contains("design atelier/no-such-design not found")
    );
    browser.checkpoint("design-not-found").await?;
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
        "username may not contain the capital 'A' (use lowercase: 'a')"
    );
    assert_eq!(
        browser.texts("#field-password-error").await?,
        ["password must be at least 10 characters long"]
    );
    browser.checkpoint("sign-up-errors").await?;

    fill("#field-username", "ada").await?;
    fill("#field-email", "ada@example.org").await?;
    fill("#field-password", "analytical-engine").await?;
    browser
        .client
        .find(Locator::Css("main form button[type=submit]"))
        .await?
        .click()
        .await?;
    // A new account lands on what to do next.
    let heading = browser.wait_for(".welcome h1").await?;
    assert_eq!(heading.text().await?, "Welcome to Atelier");
    assert_eq!(browser.client.current_url().await?.path(), "/welcome");
    assert_eq!(browser.client.title().await?, "Welcome · Atelier");
    browser
        .client
        .find(Locator::LinkText("Your profile"))
        .await?
        .click()
        .await?;
    let heading = browser.wait_for(".profile h1").await?;
    assert_eq!(heading.text().await?, "@ada");
    assert_eq!(browser.client.current_url().await?.path(), "/@ada");
    browser.checkpoint("profile").await?;

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
    assert_eq!(alert.text().await?, "wrong username, email or password");
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
    browser.checkpoint("settings-token").await?;

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

/// Signs up through the form and waits for the profile page.
async fn sign_up(browser: &Browser, server: &TestServer, username: &str) -> anyhow::Result<()> {
    browser.goto(&server.url("/signup")).await?;
    for (field, value) in [
        ("#field-username", username.to_owned()),
        ("#field-email", format!("{username}@example.org")),
        ("#field-password", format!("{username}-password")),
    ] {
        browser.wait_for(field).await?.send_keys(&value).await?;
    }
    browser
        .client
        .find(Locator::Css("main form button[type=submit]"))
        .await?
        .click()
        .await?;
    browser.wait_for(".welcome h1").await?;
    Ok(())
}

async fn click_button(browser: &Browser, text: &str) -> anyhow::Result<()> {
    browser
        .client
        .find(Locator::XPath(&format!(
            "//button[normalize-space()='{text}']"
        )))
        .await?
        .click()
        .await?;
    Ok(())
}

/// Clicks one of the design's tabs ("Files", "History", …).
async fn click_tab(browser: &Browser, tab: &str) -> anyhow::Result<()> {
    browser
        .client
        .find(Locator::XPath(&format!(
            "//nav[@aria-label='Design']//a[normalize-space()='{tab}']"
        )))
        .await?
        .click()
        .await?;
    Ok(())
}

/// Replaces the editor's text (select all, then type).
async fn set_editor_text(browser: &Browser, text: &str) -> anyhow::Result<()> {
    let area = browser.wait_for("#editor-text").await?;
    // Wait until the file's content has loaded into the editor.
    for _ in 0..100 {
        if !area.prop("value").await?.unwrap_or_default().is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    area.clear().await?;
    area.send_keys(text).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn fork_edit_the_readme_commit_and_see_it() -> anyhow::Result<()> {
    let (server, browser) = start().await?;
    sign_up(&browser, &server, "ada").await?;
    browser
        .goto(&server.url("/atelier/solar-food-dryer"))
        .await?;
    browser.wait_for(".readme").await?;
    assert!(
        !browser.texts(".bom tbody tr").await?.is_empty(),
        "the BOM table is shown"
    );
    browser.checkpoint("design-overview").await?;
    click_button(&browser, "Fork").await?;
    browser.wait_for(".lineage").await?;
    assert_eq!(
        browser.client.current_url().await?.path(),
        "/ada/solar-food-dryer"
    );
    assert!(browser.texts(".lineage").await?[0].contains("atelier/solar-food-dryer"));

    browser
        .goto(&server.url("/ada/solar-food-dryer/blob/main/README.md"))
        .await?;
    browser.wait_for(".markdown").await?;
    browser
        .client
        .find(Locator::XPath("//a[normalize-space()='Edit']"))
        .await?
        .click()
        .await?;
    set_editor_text(
        &browser,
        "# Solar dryer, Lisbon variant\n\nTested in the Lisbon summer.\n",
    )
    .await?;
    // Preview shows the Markdown as it will render.
    click_button(&browser, "Preview").await?;
    let heading = browser.wait_for(".editor-preview h1").await?;
    assert_eq!(heading.text().await?, "Solar dryer, Lisbon variant");
    click_button(&browser, "Preview").await?;
    // Unsaved: leaving by a link asks first, and staying keeps the text; the browser's own
    // leaving is held up too.
    click_tab(&browser, "History").await?;
    assert!(
        browser
            .client
            .get_alert_text()
            .await?
            .contains("not committed"),
        "a confirmation is asked"
    );
    browser.client.dismiss_alert().await?;
    let text = browser
        .wait_for("#editor-text")
        .await?
        .prop("value")
        .await?;
    assert_eq!(
        text.as_deref(),
        Some("# Solar dryer, Lisbon variant\n\nTested in the Lisbon summer.\n")
    );
    let held = browser
        .client
        .execute(
            "const e = new Event('beforeunload', {cancelable: true}); window.dispatchEvent(e); return e.defaultPrevented",
            vec![],
        )
        .await?;
    assert_eq!(held, serde_json::Value::Bool(true));
    browser
        .wait_for("#field-message")
        .await?
        .send_keys("Describe the Lisbon variant")
        .await?;
    browser
        .wait_for("#field-labor\\.hours")
        .await?
        .send_keys("1.5")
        .await?;
    browser.checkpoint("editor").await?;
    click_button(&browser, "Commit changes").await?;
    // The file's own page, not the editor's preview.
    let heading = browser
        .wait_for(".markdown:not(.editor-preview) h1")
        .await?;
    assert_eq!(heading.text().await?, "Solar dryer, Lisbon variant");

    browser
        .goto(&server.url("/ada/solar-food-dryer/commits/main"))
        .await?;
    let first = browser.wait_for(".commit-list .commit-summary").await?;
    assert_eq!(first.text().await?, "Describe the Lisbon variant");
    let meta = browser.texts(".commit-list li:first-child .muted").await?;
    assert!(
        meta[0].contains("@ada") && meta[0].contains("1.5 h"),
        "{meta:?}"
    );
    browser.checkpoint("history").await?;
    first.click().await?;
    browser.wait_for(".file-diff").await?;
    let trailers = browser.texts(".commit-head dd").await?;
    assert!(trailers.contains(&"design".to_owned()), "{trailers:?}");
    browser.checkpoint("commit").await?;
    // The time reads in the reader's language and zone; the exact moment is on hover.
    let time = browser.wait_for(".commit-head time").await?;
    let iso = time.attr("datetime").await?.unwrap_or_default();
    let title = time.attr("title").await?.unwrap_or_default();
    let local = browser
        .client
        .execute(
            "return new Date(arguments[0]).toLocaleString(navigator.language, \
             {dateStyle: 'medium', timeStyle: 'short'})",
            vec![iso.clone().into()],
        )
        .await?;
    assert!(
        iso.ends_with('Z') && title.ends_with(&format!("({iso})")),
        "{iso} / {title}"
    );
    assert_eq!(Some(time.text().await?.as_str()), local.as_str());
    assert_ne!(time.text().await?, iso);

    // A large change starts collapsed, so the page stays short; it opens on request.
    let made = browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             (async () => {
               const design = await (await fetch('/api/designs/ada/solar-food-dryer')).json();
               const rows = Array.from({length: 1500}, (_, i) => 'cut ' + i).join('\\n') + '\\n';
               const r = await fetch('/api/designs/ada/solar-food-dryer/commits', {
                 method: 'POST',
                 headers: {'content-type': 'application/json', 'x-atelier-csrf': '1'},
                 body: JSON.stringify({branch: 'main', expected_head: design.head,
                   message: 'Add the cut list', changes: [{op: 'put', path: 'cut-list.txt', content: rows}]}),
               });
               done([r.status, (await r.json()).id]);
             })().catch(e => done(['failed', String(e)]));",
            vec![],
        )
        .await?;
    assert_eq!(made[0], 201, "{made}");
    let big = made[1].as_str().unwrap_or_default().to_owned();
    browser
        .goto(&server.url(&format!("/ada/solar-food-dryer/commit/{big}")))
        .await?;
    let note = browser
        .wait_for_text(".file-diff .diff-note", "1500 changed lines")
        .await?;
    assert!(note.contains("large change"), "{note}");
    let height = browser
        .client
        .execute("return document.documentElement.scrollHeight", vec![])
        .await?;
    assert!(
        height.as_f64().unwrap() < 3000.0,
        "collapsed page is {height} px tall"
    );
    let added = "return document.querySelectorAll('.file-diff tr.added').length";
    assert_eq!(browser.client.execute(added, vec![]).await?, 0);
    click_button(&browser, "Show the diff").await?;
    browser.wait_for(".file-diff tr.added").await?;
    assert_eq!(browser.client.execute(added, vec![]).await?, 1500);

    // Uploads: a file sent to the drop zone's input, committed, then confirmed and listed.
    let part = tempfile::tempdir()?;
    let stl = part.path().join("bracket.stl");
    std::fs::write(&stl, "solid bracket\nendsolid bracket\n")?;
    browser
        .goto(&server.url("/ada/solar-food-dryer/tree/main"))
        .await?;
    browser
        .wait_for(".upload input[type=file]")
        .await?
        .send_keys(&stl.display().to_string())
        .await?;
    browser.wait_for_text(".uploads li", "uploaded").await?;
    click_button(&browser, "Commit uploaded files").await?;
    let confirmed = browser
        .wait_for_text(".upload [role=status]", "Committed")
        .await?;
    assert!(confirmed.contains("Add bracket.stl"), "{confirmed}");
    browser
        .wait_for_text(".file-list a, table a", "bracket.stl")
        .await?;

    browser.goto(&server.url("/ada/solar-food-dryer")).await?;
    let readme = browser.wait_for(".readme h1").await?;
    assert_eq!(readme.text().await?, "Solar dryer, Lisbon variant");
    // Upstream is untouched.
    browser
        .goto(&server.url("/atelier/solar-food-dryer"))
        .await?;
    let upstream = browser.wait_for(".readme h1").await?;
    assert_ne!(upstream.text().await?, "Solar dryer, Lisbon variant");
    browser.close().await
}

#[tokio::test(flavor = "multi_thread")]
async fn two_editors_of_one_file_get_a_conflict_and_lose_nothing() -> anyhow::Result<()> {
    let (server, first) = start().await?;
    let second = Browser::start(Path::new(TMP)).await?;
    sign_up(&first, &server, "olga").await?;
    first
        .goto(&server.url("/atelier/gravity-water-filter"))
        .await?;
    first.wait_for(".readme").await?;
    click_button(&first, "Fork").await?;
    first.wait_for(".lineage").await?;
    // The same person in a second browser.
    second.goto(&server.url("/signin")).await?;
    second
        .wait_for("#field-username")
        .await?
        .send_keys("olga")
        .await?;
    second
        .wait_for("#field-password")
        .await?
        .send_keys("olga-password")
        .await?;
    second
        .client
        .find(Locator::Css("main form button[type=submit]"))
        .await?
        .click()
        .await?;
    second.wait_for(".account-menu").await?;

    let editor = server.url("/olga/gravity-water-filter/edit/main/README.md");
    first.goto(&editor).await?;
    second.goto(&editor).await?;
    set_editor_text(&first, "# Filter\n\nFirst browser's text.\n").await?;
    set_editor_text(&second, "# Filter\n\nSecond browser's text.\n").await?;
    first
        .wait_for("#field-message")
        .await?
        .send_keys("First edit")
        .await?;
    click_button(&first, "Commit changes").await?;
    first.wait_for(".markdown h1").await?;

    second
        .wait_for("#field-message")
        .await?
        .send_keys("Second edit")
        .await?;
    click_button(&second, "Commit changes").await?;
    let dialog = second.wait_for(".conflict[role=alertdialog]").await?;
    assert!(
        dialog.text().await?.contains("First edit"),
        "{}",
        dialog.text().await?
    );
    // The second browser's text is still in its editor.
    let kept = second
        .wait_for("#editor-text")
        .await?
        .prop("value")
        .await?
        .unwrap_or_default();
    assert!(kept.contains("Second browser's text."), "{kept}");
    second.checkpoint("conflict").await?;
    click_button(&second, "Reapply my changes on top").await?;
    second.wait_for(".markdown h1").await?;

    // Both commits are in the history; the file holds the reapplied text.
    let (log, _) = server.state.store.log(
        &backend::store::DesignId::parse("olga/gravity-water-filter")?,
        "main",
        None,
        0,
        2,
    )?;
    let summaries: Vec<&str> = log.iter().map(|c| c.summary()).collect();
    assert_eq!(summaries, ["Second edit", "First edit"]);
    let (_, text) = server.state.store.file(
        &backend::store::DesignId::parse("olga/gravity-water-filter")?,
        "main",
        "README.md",
    )?;
    assert_eq!(
        String::from_utf8(text)?,
        "# Filter\n\nSecond browser's text.\n"
    );
    second.close().await?;
    first.close().await
}

#[tokio::test(flavor = "multi_thread")]
async fn instant_search_facets_and_where_used() -> anyhow::Result<()> {
    let (server, browser) = start().await?;
    server.state.indexer.flush().await;
    browser.goto(&server.url("/search")).await?;
    let input = browser.wait_for("#search-q").await?;
    input.send_keys("NEMA").await?;
    // Results arrive as you type (debounced), without pressing Enter.
    browser
        .wait_for_text(".search-results .count", "for “NEMA”")
        .await?;
    let titles = browser.texts(".hits .card-title").await?;
    assert!(titles.iter().any(|t| t.contains("CNC")), "{titles:?}");
    assert!(
        browser
            .texts(".snippet mark")
            .await?
            .iter()
            .any(|m| m.eq_ignore_ascii_case("nema"))
    );
    browser.checkpoint("search-nema").await?;
    // Category codes show their names.
    let facets = browser.texts(".facet a").await?;
    assert!(
        facets.iter().any(|f| f.starts_with("CNC milling (CNC)")),
        "{facets:?}"
    );

    // A facet narrows the results and shows as a removable chip.
    let facet = browser.wait_for(".facet a").await?;
    facet.click().await?;
    browser.wait_for(".active-filters .chip").await?;
    browser
        .wait_for_text(".search-results .count", "for “NEMA”")
        .await?;
    assert!(
        browser
            .client
            .current_url()
            .await?
            .query()
            .unwrap_or_default()
            .contains("license=")
    );
    // Only the chosen value claims to be current.
    let current = browser.texts(".facet a[aria-current]").await?;
    assert_eq!(current.len(), 1, "{current:?}");

    // On a phone the filters fold behind a button, so the first result is in view.
    browser.client.set_window_size(390, 844).await?;
    browser.goto(&server.url("/search?q=bolt")).await?;
    browser.wait_for(".hits .card-title").await?;
    let in_view = "const r = document.querySelector('.hits .hit').getBoundingClientRect(); \
                   return r.top < window.innerHeight";
    assert_eq!(
        browser.client.execute(in_view, vec![]).await?,
        serde_json::Value::Bool(true)
    );
    assert!(!browser.wait_for(".facet a").await?.is_displayed().await?);
    let toggle = browser.wait_for(".filters-toggle").await?;
    assert_eq!(
        toggle.attr("aria-expanded").await?.as_deref(),
        Some("false")
    );
    toggle.click().await?;
    assert!(browser.wait_for(".facet a").await?.is_displayed().await?);
    assert_eq!(toggle.attr("aria-expanded").await?.as_deref(), Some("true"));
    browser.client.set_window_size(1280, 900).await?;
    browser.goto(&server.url("/search?q=NEMA")).await?;

    // The component list leads to where-used.
    browser.wait_for(".component-results a").await?;
    browser
        .client
        .find(Locator::Css(".component-results a"))
        .await?
        .click()
        .await?;
    browser.wait_for(".where-used tbody tr").await?;
    let designs = browser.texts(".where-used tbody td:first-child").await?;
    assert!(
        designs.contains(&"atelier/cnc-router-3axis".to_owned()),
        "{designs:?}"
    );
    assert!(
        designs.contains(&"atelier/community-3d-printer".to_owned()),
        "{designs:?}"
    );
    browser.checkpoint("where-used").await?;
    browser.close().await
}

#[tokio::test(flavor = "multi_thread")]
async fn labor_shows_on_designs_profiles_and_entries() -> anyhow::Result<()> {
    let (server, browser) = start().await?;
    server.state.labor.recompute().await?;
    browser
        .goto(&server.url("/atelier/cargo-bike-trailer/contributors"))
        .await?;
    browser.wait_for(".shares tbody tr").await?;
    let shares = browser.texts(".shares tbody td:last-child").await?;
    let total: f64 = shares
        .iter()
        .map(|s| s.trim_end_matches(" %").parse::<f64>().unwrap())
        .sum();
    assert!((total - 100.0).abs() < 0.5, "{shares:?}");
    assert!(
        !browser.texts(".shares .badge").await?.is_empty(),
        "unclaimed authors are marked"
    );
    browser.checkpoint("contributors").await?;

    // A person who commits gets a labor section with an explained entry.
    sign_up(&browser, &server, "ada").await?;
    browser
        .goto(&server.url("/atelier/solar-food-dryer"))
        .await?;
    browser.wait_for(".readme").await?;
    click_button(&browser, "Fork").await?;
    browser.wait_for(".lineage").await?;
    browser
        .goto(&server.url("/ada/solar-food-dryer/edit/main/README.md"))
        .await?;
    set_editor_text(&browser, "# Dryer\n\nMeasured drying times.\n").await?;
    browser
        .wait_for("#field-labor\\.hours")
        .await?
        .send_keys("2")
        .await?;
    click_button(&browser, "Commit changes").await?;
    browser.wait_for(".markdown h1").await?;
    // The ledger follows ref changes in the background.
    let mut found = false;
    for _ in 0..50 {
        browser.goto(&server.url("/@ada")).await?;
        if browser
            .wait_for(".labor-account .empty, .labor-entries")
            .await
            .is_ok()
            && !browser.texts(".labor-entries tbody tr").await?.is_empty()
        {
            found = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(found, "the commit shows in ada's labor");
    let totals = browser.texts(".labor-totals dd").await?;
    assert_eq!(totals[0], "2.00", "{totals:?}");
    browser.checkpoint("labor-profile").await?;
    browser
        .client
        .find(Locator::LinkText("explain"))
        .await?
        .click()
        .await?;
    let lede = browser.wait_for(".labor-entry .lede").await?;
    assert_eq!(lede.text().await?, "2.00 × 1 × 1 = 2.00 units");
    browser.checkpoint("labor-entry").await?;
    browser.close().await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_release_page_offers_verifiable_bundles() -> anyhow::Result<()> {
    let (server, browser) = start().await?;
    sign_up(&browser, &server, "olga").await?; // the first account is an admin
    browser
        .goto(&server.url("/atelier/gravity-water-filter/releases"))
        .await?;
    browser
        .wait_for("#field-tag")
        .await?
        .send_keys("v9.9.9")
        .await?;
    click_button(&browser, "Create release").await?;
    browser.wait_for_text(".release-list h2", "v9.9.9").await?;
    // Bundles are built in the background; the page looks again until their sha256 shows.
    let sha = browser
        .wait_for(".bundle-links .sha code")
        .await?
        .text()
        .await?;
    assert_eq!(sha.len(), 64, "{sha:?}");
    let link = browser
        .wait_for(".bundle-links li:first-child a")
        .await?
        .attr("href")
        .await?
        .expect("the download link has an href");
    assert_eq!(
        link,
        "/api/designs/atelier/gravity-water-filter/bundle/v9.9.9.zip"
    );
    browser.checkpoint("release-bundles").await?;

    // What the link downloads is the archive the page vouches for, and it verifies.
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("filter.zip");
    let status = std::process::Command::new("curl")
        .args(["-sSfL", "-o"])
        .arg(&file)
        .arg(server.url(&link))
        .status()?;
    assert!(status.success());
    let report = backend::bundle::verify::verify(&file)?;
    assert!(report.is_intact(), "{:?}", report.problems);
    assert_eq!(report.sha256, sha);
    assert_eq!(
        report.manifest.as_ref().and_then(|m| m.tag.as_deref()),
        Some("v9.9.9")
    );

    // The file browser offers the folder it shows as a bundle too.
    browser
        .goto(&server.url("/atelier/gravity-water-filter/tree/main"))
        .await?;
    let download = browser.wait_for(".files-bar a[download]").await?;
    assert_eq!(
        download.attr("href").await?.as_deref(),
        Some("/api/designs/atelier/gravity-water-filter/bundle/main.zip")
    );
    Ok(())
}

/// Polls `check` (reloading `url` each time) until it holds.
async fn eventually(
    browser: &Browser,
    url: &str,
    what: &str,
    check: impl AsyncFn(&Browser) -> anyhow::Result<bool>,
) -> anyhow::Result<()> {
    for _ in 0..60 {
        browser.goto(url).await?;
        match check(browser).await {
            Ok(true) => return Ok(()),
            Ok(false) => {}
            Err(err) => eprintln!("{what}: {err:#}"),
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    anyhow::bail!("{what}: not seen at {url}")
}

/// Edits the README of ada's fork with declared hours and commits it.
async fn commit_readme(
    browser: &Browser,
    server: &TestServer,
    text: &str,
    hours: &str,
) -> anyhow::Result<()> {
    browser
        .goto(&server.url("/ada/solar-food-dryer/edit/main/README.md"))
        .await?;
    set_editor_text(browser, text).await?;
    browser
        .wait_for("#field-labor\\.hours")
        .await?
        .send_keys(hours)
        .await?;
    click_button(browser, "Commit changes").await?;
    browser.wait_for(".markdown h1").await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn propose_review_revise_approve_merge_and_see_validated_labor() -> anyhow::Result<()> {
    let server = TestServer::start(dist_dir(Path::new(TMP))?).await?;
    let maintainer = Browser::start(Path::new(TMP)).await?;
    let proposer = Browser::start(Path::new(TMP)).await?;
    // The first account is an instance admin: it maintains the samples.
    sign_up(&maintainer, &server, "olga").await?;
    sign_up(&proposer, &server, "ada").await?;

    // Fork, edit, and propose the change back.
    proposer
        .goto(&server.url("/atelier/solar-food-dryer"))
        .await?;
    proposer.wait_for(".readme").await?;
    click_button(&proposer, "Fork").await?;
    proposer.wait_for(".lineage").await?;
    commit_readme(
        &proposer,
        &server,
        "# Dryer\n\nMeasured drying times.\nTomatoes: 9 hours.\n",
        "2",
    )
    .await?;
    proposer.goto(&server.url("/ada/solar-food-dryer")).await?;
    let upstream = proposer
        .wait_for_text(".upstream", "1 commit ahead")
        .await?;
    assert!(
        upstream.contains("0 behind atelier/solar-food-dryer"),
        "{upstream}"
    );
    proposer
        .client
        .find(Locator::LinkText("Propose changes"))
        .await?
        .click()
        .await?;
    let head = proposer.wait_for("#field-head").await?;
    assert_eq!(
        head.prop("value").await?.as_deref(),
        Some("ada/solar-food-dryer:main")
    );
    proposer
        .wait_for("#field-title")
        .await?
        .send_keys("Measured drying times")
        .await?;
    proposer.checkpoint("proposal-new").await?;
    click_button(&proposer, "Propose changes").await?;
    proposer
        .wait_for_text(".proposal-header h2", "Measured drying times")
        .await?;
    assert!(
        proposer
            .client
            .current_url()
            .await?
            .path()
            .ends_with("/atelier/solar-food-dryer/proposals/1")
    );

    // The maintainer reviews: a line comment in the diff, then "request changes".
    let page = server.url("/atelier/solar-food-dryer/proposals/1");
    maintainer.goto(&page).await?;
    maintainer
        .wait_for_text(".merge-box", "No conflicts")
        .await?;
    click_button(&maintainer, "Files").await?;
    maintainer.wait_for(".file-diff").await?;
    click_button(&maintainer, "Show diff").await?;
    maintainer
        .wait_for("button[aria-label='Comment on new line 4']")
        .await?
        .click()
        .await?;
    maintainer
        .wait_for("#line-comment-new-4")
        .await?
        .send_keys("Which tomatoes, and how thick were the slices?")
        .await?;
    click_button(&maintainer, "Add to review").await?;
    maintainer
        .wait_for_text(".review-form", "1 line comment will be sent")
        .await?;
    maintainer
        .wait_for("#verdict-request_changes")
        .await?
        .click()
        .await?;
    maintainer
        .wait_for("#review-body")
        .await?
        .send_keys("Please say how the tomatoes were cut.")
        .await?;
    maintainer.checkpoint("proposal-review").await?;
    click_button(&maintainer, "Submit review").await?;
    maintainer
        .wait_for_text(".review-form", "Add line comments from the Files tab")
        .await?;
    click_button(&maintainer, "Conversation").await?;
    maintainer
        .wait_for_text(".timeline", "requested changes")
        .await?;
    let timeline = maintainer.texts(".timeline").await?.join("\n");
    assert!(timeline.contains("README.md:4 (new)"), "{timeline}");

    // A new revision answers the review.
    commit_readme(
        &proposer,
        &server,
        "# Dryer\n\nMeasured drying times.\nTomatoes, 5 mm slices: 9 hours.\n",
        "1",
    )
    .await?;
    eventually(&maintainer, &page, "revision 2", async |b: &Browser| {
        Ok(b.wait_for_text(".proposal-header", "revision 2")
            .await
            .is_ok())
    })
    .await?;
    maintainer.wait_for_text(".timeline", "stale").await?;
    maintainer
        .wait_for("#verdict-approve")
        .await?
        .click()
        .await?;
    click_button(&maintainer, "Submit review").await?;
    maintainer.wait_for_text(".timeline", "approved").await?;
    maintainer
        .wait_for_text(".merge-box", "No conflicts")
        .await?;
    click_button(&maintainer, "Merge proposal").await?;
    maintainer
        .wait_for_text(".proposal-header", "Merged")
        .await?;
    maintainer.checkpoint("proposal-merged").await?;

    // The proposer's work is validated: 2 h + 1 h of design (the commit form's default type).
    eventually(
        &proposer,
        &server.url("/@ada"),
        "validated units",
        async |b: &Browser| {
            b.wait_for(".labor-totals dd").await?;
            let totals = b.texts(".labor-totals dd").await?;
            Ok(totals.get(2).map(String::as_str) == Some("3.00"))
        },
    )
    .await?;
    let totals = proposer.texts(".labor-totals dd").await?;
    assert_eq!(totals[3], "0.00", "nothing pending: {totals:?}");
    proposer.checkpoint("proposal-labor-validated").await?;
    maintainer.close().await?;
    proposer.close().await
}

/// `git` in `dir`, isolated from the machine's configuration; panics on failure.
fn git(dir: &Path, args: &[&str]) {
    let out = std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn new_designs_start_empty_for_a_push_or_from_an_uploaded_bundle() -> anyhow::Result<()> {
    let (server, browser) = start().await?;
    sign_up(&browser, &server, "ada").await?;

    // Empty: the page says how to push, with this server's URL.
    browser.goto(&server.url("/new")).await?;
    browser.wait_for("fieldset.start").await?;
    browser
        .client
        .find(Locator::XPath(
            "//label[contains(., 'An empty repository')]/input",
        ))
        .await?
        .click()
        .await?;
    browser
        .wait_for("#field-name")
        .await?
        .send_keys("Old cart")
        .await?;
    browser
        .wait_for("#field-slug")
        .await?
        .send_keys("old-cart")
        .await?;
    browser
        .wait_for("#field-function")
        .await?
        .send_keys("Carries things")
        .await?;
    click_button(&browser, "Create design").await?;
    let help = browser.wait_for_text(".push-help", "git push").await?;
    assert!(
        help.contains(&format!(
            "git remote add atelier {}",
            server.url("/ada/old-cart.git")
        )),
        "{help}"
    );
    browser.checkpoint("new-design-empty").await?;

    // A bundle of a history on master: uploaded with a progress bar, then the imported
    // design's page, whose pages follow master.
    let work = tempfile::tempdir()?;
    let repo = work.path().join("trailer");
    std::fs::create_dir(&repo)?;
    git(&repo, &["init", "-q", "-b", "master"]);
    std::fs::write(
        repo.join("README.md"),
        "# Imported trailer\n\nFrom elsewhere.\n",
    )?;
    git(&repo, &["add", "."]);
    git(
        &repo,
        &[
            "-c",
            "user.name=Cy",
            "-c",
            "user.email=cy@example.org",
            "commit",
            "-q",
            "-m",
            "First",
        ],
    );
    git(
        &repo,
        &["bundle", "create", "-q", "../trailer.bundle", "--all"],
    );
    browser.goto(&server.url("/new")).await?;
    browser.wait_for("fieldset.start").await?;
    browser
        .client
        .find(Locator::XPath(
            "//label[contains(., 'A git bundle file')]/input",
        ))
        .await?
        .click()
        .await?;
    browser
        .wait_for("#field-slug")
        .await?
        .send_keys("trailer")
        .await?;
    browser
        .wait_for("#bundle")
        .await?
        .send_keys(work.path().join("trailer.bundle").to_str().unwrap())
        .await?;
    click_button(&browser, "Import design").await?;
    let heading = browser.wait_for(".readme h1").await?;
    assert_eq!(heading.text().await?, "Imported trailer");
    assert_eq!(browser.client.current_url().await?.path(), "/ada/trailer");
    // The design page offers its clone URL.
    let url = browser.wait_for("#clone-url").await?;
    assert_eq!(
        url.prop("value").await?.unwrap_or_default(),
        server.url("/ada/trailer.git")
    );
    browser.checkpoint("design-clone-url").await?;
    browser
        .client
        .find(Locator::XPath(
            "//nav[@class='tabs']//a[normalize-space()='Files']",
        ))
        .await?
        .click()
        .await?;
    browser.wait_for_text(".files", "README.md").await?;
    assert_eq!(
        browser.client.current_url().await?.path(),
        "/ada/trailer/tree/master"
    );
    browser.close().await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bom_shows_its_assembly_tree_and_the_page_never_scrolls_sideways() -> anyhow::Result<()> {
    let (server, browser) = start().await?;
    browser.client.set_window_size(1280, 900).await?;
    browser
        .goto(&server.url("/atelier/gravity-water-filter"))
        .await?;
    browser.wait_for(".bom tbody tr").await?;
    // The sBoM's PARENT-ASM: each assembly's parts come right after it, indented.
    let top = browser.texts(".bom td.part.depth-0").await?;
    assert_eq!(top, ["Gravity water filter"]);
    let parts = browser.texts(".bom td.part > a").await?;
    let upper = parts.iter().position(|p| p == "Upper vessel").unwrap();
    assert_eq!(parts[upper + 1], "Food-grade bucket 20 L with lid");
    // Screen readers hear what each part belongs to.
    let nested = browser.texts(".bom td.part.depth-2").await?;
    assert!(nested[0].contains(", part of Upper vessel"), "{nested:?}");
    let headers = browser.texts(".bom thead th").await?;
    assert_eq!(
        headers,
        ["Part", "Qty", "Notes"],
        "only the columns rows fill"
    );
    let widths = browser
        .client
        .execute(
            "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]",
            vec![],
        )
        .await?;
    let (scroll, client) = (widths[0].as_f64().unwrap(), widths[1].as_f64().unwrap());
    assert!(
        scroll <= client,
        "the page scrolls sideways: {scroll} > {client}"
    );
    browser.checkpoint("bom-tree").await?;
    browser.close().await
}

/// Serves one PNG (a 3×2 green picture) at `/photo.png` on a free local port, as a site
/// hosting a README's pictures would.
async fn picture_host() -> anyhow::Result<u16> {
    use axum::http::header;
    use axum::response::IntoResponse;
    const PNG: &[u8] = &[
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x02, 0x08, 0x02, 0x00, 0x00, 0x00, 0x12,
        0x16, 0xf1, 0x4d, 0x00, 0x00, 0x00, 0x0f, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x60,
        0x58, 0xe0, 0x00, 0x45, 0x70, 0x16, 0x00, 0x33, 0x14, 0x05, 0x41, 0x8b, 0x7c, 0xae, 0x2c,
        0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
    ];
    let app = axum::Router::new().route(
        "/photo.png",
        axum::routing::get(|| async {
            ([(header::CONTENT_TYPE, "image/png")], PNG).into_response()
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(port)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_readme_shows_raw_html_images_anchor_links_and_proxied_pictures() -> anyhow::Result<()> {
    let (server, browser) = start().await?;
    let port = picture_host().await?;
    let filler = "Text that pushes the next section below the fold.\n\n".repeat(60);
    let readme = format!(
        "# Lamp\n\n[Jump to assembly](#assembly-steps)\n\n\
         <p align=\"center\"><img src=\"docs/side.svg\" alt=\"side view\" width=\"120\"></p>\n\n\
         ![photo](http://127.0.0.1:{port}/photo.png)\n\n> [!TIP]\n> Print the shade in PETG.\n\n\
         {filler}## Assembly steps\n\nScrew it together.\n\n{filler}"
    );
    let svg = r##"<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect width="40" height="20" fill="#c7601a"/></svg>"##;
    let person = backend::store::Person {
        name: "Ada".into(),
        email: "ada@example.org".into(),
        time: 1_700_000_000,
    };
    let files = [
        ("README.md", readme.as_bytes()),
        ("docs/side.svg", svg.as_bytes()),
    ]
    .into_iter()
    .map(|(path, bytes)| (path.to_owned(), bytes.to_vec()))
    .collect();
    let store = server.state.store.clone();
    tokio::task::spawn_blocking(move || {
        store.create(
            &backend::store::DesignId::new("atelier", "lamp")?,
            &[backend::store::NewCommit {
                author: person.clone(),
                committer: person,
                message: "A lamp".into(),
                files,
            }],
        )
    })
    .await??;
    server.state.settled().await;

    browser.client.set_window_size(1280, 900).await?;
    browser.goto(&server.url("/atelier/lamp")).await?;
    browser.wait_for(".readme h1").await?;
    // Both pictures load: the raw-HTML one from the design, the external one through the
    // instance's proxy (the page's CSP allows no other site).
    let loaded = r#"
        const images = [...document.querySelectorAll('.readme img')];
        return images.map(i => [i.getAttribute('src'), i.complete && i.naturalWidth > 0]);
    "#;
    let mut images = serde_json::Value::Null;
    for _ in 0..100 {
        images = browser.client.execute(loaded, vec![]).await?;
        let all = images
            .as_array()
            .map(|a| a.len() == 2 && a.iter().all(|i| i[1] == serde_json::Value::Bool(true)));
        if all == Some(true) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let sources: Vec<&str> = images
        .as_array()
        .into_iter()
        .flatten()
        .filter(|i| i[1] == serde_json::Value::Bool(true))
        .filter_map(|i| i[0].as_str())
        .collect();
    assert_eq!(sources.len(), 2, "both pictures load: {images}");
    assert!(
        sources[0].contains("/raw/") && sources[0].ends_with("/docs/side.svg"),
        "{images}"
    );
    assert!(sources[1].starts_with(backend::images::PATH), "{images}");
    let centred = browser
        .client
        .execute(
            "return document.querySelector('.readme p[align=center] img') !== null",
            vec![],
        )
        .await?;
    assert_eq!(centred, serde_json::Value::Bool(true));
    browser
        .wait_for_text(".readme .markdown-alert-tip", "PETG")
        .await?;
    browser.checkpoint("readme-github-like").await?;

    // The anchor link scrolls to its heading and keeps the page.
    browser
        .client
        .find(Locator::LinkText("Jump to assembly"))
        .await?
        .click()
        .await?;
    let mut place = serde_json::Value::Null;
    for _ in 0..50 {
        place = browser
            .client
            .execute(
                "const h = document.getElementById('user-content-assembly-steps'); \
                 return [location.hash, h ? h.getBoundingClientRect().top : null, window.scrollY];",
                vec![],
            )
            .await?;
        if place[0] == "#user-content-assembly-steps"
            && place[1]
                .as_f64()
                .is_some_and(|top| (-5.0..200.0).contains(&top))
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(place[0], "#user-content-assembly-steps", "{place}");
    let top = place[1].as_f64().unwrap_or(f64::MAX);
    assert!(
        (-5.0..200.0).contains(&top),
        "the heading is in view: {place}"
    );
    assert!(
        place[2].as_f64().unwrap_or(0.0) > 500.0,
        "the page scrolled: {place}"
    );
    assert_eq!(browser.client.current_url().await?.path(), "/atelier/lamp");
    browser.wait_for(".readme h1").await?;
    browser.close().await
}

/// The HTTP status `path` answers with, read off the wire.
async fn status_of(server: &TestServer, path: &str) -> anyhow::Result<u16> {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut stream = tokio::net::TcpStream::connect(server.addr).await?;
    stream
        .write_all(
            format!(
                "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
                server.addr
            )
            .as_bytes(),
        )
        .await?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).await?;
    Ok(std::str::from_utf8(&head[9..12])?.parse()?)
}

/// Whether the page scrolls sideways: its scroll width and its width.
async fn sideways(browser: &Browser) -> anyhow::Result<Option<(f64, f64)>> {
    let widths = browser
        .client
        .execute(
            "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]",
            vec![],
        )
        .await?;
    let (scroll, client) = (widths[0].as_f64().unwrap(), widths[1].as_f64().unwrap());
    Ok((scroll > client).then_some((scroll, client)))
}

#[tokio::test(flavor = "multi_thread")]
async fn every_page_fits_phones_and_desktops_has_its_title_and_status() -> anyhow::Result<()> {
    let (server, browser) = start().await?;
    let design = "/atelier/gravity-water-filter";
    // Each page, what its title says, and the status the server gives it.
    let pages: Vec<(String, &str, u16)> = vec![
        ("/".into(), "Explore designs · Atelier", 200),
        ("/?sort=name".into(), "Explore designs · Atelier", 200),
        ("/search?q=bucket".into(), "Search · Atelier", 200),
        ("/signin".into(), "Sign in · Atelier", 200),
        ("/signup".into(), "Sign up · Atelier", 200),
        ("/labor/policy".into(), "Labor policy · Atelier", 200),
        ("/@atelier".into(), "@atelier · Atelier", 200),
        (
            design.into(),
            "Gravity Water Filter · atelier · Atelier",
            200,
        ),
        (
            format!("{design}/tree/main"),
            "Files · Gravity Water Filter · atelier · Atelier",
            200,
        ),
        (
            format!("{design}/blob/main/README.md"),
            "Files · Gravity Water Filter · atelier · Atelier",
            200,
        ),
        (
            format!("{design}/blob/main/bom.csv"),
            "Files · Gravity Water Filter · atelier · Atelier",
            200,
        ),
        (
            format!("{design}/commits/main"),
            "History · Gravity Water Filter · atelier · Atelier",
            200,
        ),
        (
            format!("{design}/releases"),
            "Releases · Gravity Water Filter · atelier · Atelier",
            200,
        ),
        (
            format!("{design}/network"),
            "Network · Gravity Water Filter · atelier · Atelier",
            200,
        ),
        (
            format!("{design}/contributors"),
            "Contributors · Gravity Water Filter · atelier · Atelier",
            200,
        ),
        (
            format!("{design}/proposals"),
            "Proposals · Gravity Water Filter · atelier · Atelier",
            200,
        ),
        ("/no/such/page/here".into(), "Page not found · Atelier", 404),
    ];
    // Pages whose addresses are found by following the app's own links.
    let mut pages = pages;
    for (from, link, title) in [
        (
            format!("{design}/commits/main"),
            "a[href*='/commit/']",
            "Commit · Gravity Water Filter · atelier · Atelier",
        ),
        ("/search?q=bucket".to_owned(), "a[href^='/components/']", ""),
    ] {
        browser.goto(&server.url(&from)).await?;
        let href = browser
            .wait_for(link)
            .await?
            .attr("href")
            .await?
            .with_context(|| format!("{link} on {from} has no href"))?;
        pages.push((href, title, 200));
    }
    for (path, _, status) in &pages {
        assert_eq!(status_of(&server, path).await?, *status, "{path}");
    }
    let mut inaccessible = Vec::new();
    assert_eq!(status_of(&server, "/atelier/no-such-design").await?, 404);
    assert_eq!(status_of(&server, "/@nobody").await?, 404);

    for (width, height) in [(390, 844), (1280, 900)] {
        browser.client.set_window_size(width, height).await?;
        for (path, title, _) in &pages {
            browser.goto(&server.url(path)).await?;
            browser.wait_for("main h1").await?;
            // Wait for the page's data: the title names the design once it has loaded.
            let mut seen = String::new();
            for _ in 0..100 {
                seen = browser.client.title().await?;
                if seen == *title {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            if !title.is_empty() {
                assert_eq!(seen, *title, "{path}");
            }
            if width == 390 && path == design {
                // On a phone the design's header and tabs leave most of the screen to content.
                let bottom = browser
                    .client
                    .execute(
                        "return document.querySelector('nav.tabs').getBoundingClientRect().bottom",
                        vec![],
                    )
                    .await?;
                eprintln!("header and tabs end at {bottom} px of 844");
                assert!(bottom.as_f64().unwrap() < 422.0, "tabs end at {bottom} px");
            }
            if let Some((scroll, client)) = sideways(&browser).await? {
                browser.screenshot(&format!("sideways-{width}")).await?;
                panic!("{path} at {width} px scrolls sideways: {scroll} > {client}");
            }
            for violation in browser.accessibility_violations().await? {
                inaccessible.push(format!("{path} at {width} px: {violation}"));
            }
        }
    }
    assert!(
        inaccessible.is_empty(),
        "axe-core found critical or serious violations:\n{}",
        inaccessible.join("\n")
    );

    // In-app navigation moves focus to the new page's heading.
    browser.client.set_window_size(1280, 900).await?;
    browser.goto(&server.url("/")).await?;
    browser
        .wait_for("a[href='/atelier/gravity-water-filter']")
        .await?
        .click()
        .await?;
    browser.wait_for(".design-title h1").await?;
    let mut focused = serde_json::Value::Null;
    for _ in 0..50 {
        focused = browser
            .client
            .execute(
                "return document.activeElement.tagName + ' ' + document.activeElement.textContent",
                vec![],
            )
            .await?;
        if focused.as_str().is_some_and(|f| f.starts_with("H1")) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(focused.as_str(), Some("H1 Gravity Water Filter"));

    // The Overview offers the downloads; switching tabs keeps the design's header as it is
    // (not reloaded: the very element stays).
    let zip = browser
        .wait_for(".download a[href$='/bundle/main.zip']")
        .await?;
    assert_eq!(zip.text().await?, "main (.zip)");
    browser
        .wait_for(".download a[href$='/bundle/main.tar.gz']")
        .await?;
    browser
        .client
        .execute(
            "document.querySelector('.design-title h1').dataset.kept = 'yes'",
            vec![],
        )
        .await?;
    for tab in ["Files", "History", "Releases", "Overview"] {
        click_tab(&browser, tab).await?;
        browser.wait_for("nav.tabs a[aria-current='page']").await?;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let kept = browser
            .client
            .execute(
                "const h = document.querySelector('.design-title h1'); return h && h.dataset.kept",
                vec![],
            )
            .await?;
        assert_eq!(
            kept.as_str(),
            Some("yes"),
            "the header was redrawn on {tab}"
        );
    }
    // Leaving a page cancels the reads it still waits for: with every read held up, open
    // Files and leave it for History at once; the Files reads are aborted, History loads.
    browser
        .client
        .execute(
            "window.__aborted = [];
             const real = window.fetch;
             window.__realFetch = real;
             window.fetch = (input, init) => {
               const url = String(input.url || input);
               const signal = (init && init.signal) || input.signal;
               signal && signal.addEventListener('abort', () => window.__aborted.push(url));
               return new Promise(r => setTimeout(r, 1500)).then(() => real(input, init));
             };",
            vec![],
        )
        .await?;
    for tab in ["Files", "History"] {
        click_tab(&browser, tab).await?;
    }
    browser.wait_for(".commit-list .commit-summary").await?;
    let aborted = browser
        .client
        .execute("return window.__aborted", vec![])
        .await?;
    assert!(
        aborted.as_array().is_some_and(|a| a
            .iter()
            .any(|u| u.as_str().is_some_and(|u| u.contains("/tree/")))),
        "the Files page's reads were not cancelled: {aborted}"
    );
    browser
        .client
        .execute("window.fetch = window.__realFetch", vec![])
        .await?;
    click_tab(&browser, "Overview").await?;

    // The Overview's contributor count is the Contributors tab's list of commit authors.
    let counted = browser
        .wait_for(".facts a[href$='/contributors']")
        .await?
        .text()
        .await?;
    browser
        .client
        .find(Locator::Css(".facts a[href$='/contributors']"))
        .await?
        .click()
        .await?;
    browser.wait_for(".authors li").await?;
    let authors = browser.texts(".authors li").await?;
    assert_eq!(counted, authors.len().to_string(), "{authors:?}");

    // Fork while signed out: sign in, and come back to the design.
    sign_up(&browser, &server, "ada").await?;
    browser.client.set_window_size(390, 844).await?;
    browser.goto(&server.url("/settings")).await?;
    browser.wait_for(".emails code").await?;
    assert!(
        sideways(&browser).await?.is_none(),
        "settings scroll sideways"
    );
    // The account menu opens on the screen of a phone, and Escape closes it.
    browser
        .wait_for(".account-menu summary")
        .await?
        .click()
        .await?;
    let rect = browser
        .client
        .execute(
            "const r = document.querySelector('.account-menu ul').getBoundingClientRect(); \
             return [r.left, r.right, document.documentElement.clientWidth]",
            vec![],
        )
        .await?;
    let (left, right, viewport) = (
        rect[0].as_f64().unwrap(),
        rect[1].as_f64().unwrap(),
        rect[2].as_f64().unwrap(),
    );
    assert!(
        left >= 0.0 && right <= viewport,
        "menu at {left}..{right} of {viewport}"
    );
    browser
        .client
        .find(Locator::Css(".account-menu summary"))
        .await?
        .send_keys(&Key::Escape.to_string())
        .await?;
    let open = browser
        .client
        .execute(
            "return document.querySelector('.account-menu').open",
            vec![],
        )
        .await?;
    assert_eq!(open, serde_json::Value::Bool(false));
    for path in ["/settings", "/new", "/welcome"] {
        browser.goto(&server.url(path)).await?;
        browser.wait_for("main h1").await?;
        assert!(
            sideways(&browser).await?.is_none(),
            "{path} scrolls sideways"
        );
        let violations = browser.accessibility_violations().await?;
        assert!(violations.is_empty(), "{path}: {violations:#?}");
    }
    browser
        .wait_for(".account-menu summary")
        .await?
        .click()
        .await?;
    click_button(&browser, "Sign out").await?;
    browser.wait_for("nav a[href='/signin']").await?;

    browser.client.set_window_size(1280, 900).await?;
    browser.goto(&server.url(design)).await?;
    browser.wait_for(".design-title h1").await?;
    click_button(&browser, "Fork").await?;
    browser
        .wait_for("#field-username")
        .await?
        .send_keys("ada")
        .await?;
    browser
        .wait_for("#field-password")
        .await?
        .send_keys("ada-password")
        .await?;
    browser
        .client
        .find(Locator::Css("main form button[type=submit]"))
        .await?
        .click()
        .await?;
    browser.wait_for(".account-menu summary").await?;
    browser.wait_for(".design-title h1").await?;
    assert_eq!(browser.client.current_url().await?.path(), design);

    // A fork of one's own fork asks for a new slug instead of refusing.
    click_button(&browser, "Fork").await?;
    browser.wait_for(".lineage").await?;
    assert_eq!(
        browser.client.current_url().await?.path(),
        "/ada/gravity-water-filter"
    );
    click_button(&browser, "Fork").await?;
    let slug = browser.wait_for("#fork-slug").await?;
    assert_eq!(
        slug.prop("value").await?.as_deref(),
        Some("gravity-water-filter-2")
    );
    click_button(&browser, "Fork under this name").await?;
    for _ in 0..100 {
        if browser.client.current_url().await?.path() == "/ada/gravity-water-filter-2" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        browser.client.current_url().await?.path(),
        "/ada/gravity-water-filter-2"
    );
    browser.close().await
}

/// The viewer's canvas under `scope`: how many of its pixels are drawn (not transparent), of
/// how many, and a fingerprint of the picture.
async fn canvas_pixels(browser: &Browser, scope: &str) -> anyhow::Result<(u64, u64, u64)> {
    let found = browser
        .client
        .execute(
            "const c = document.querySelector(arguments[0] + ' canvas');
             const copy = document.createElement('canvas');
             copy.width = c.width; copy.height = c.height;
             const g = copy.getContext('2d');
             g.drawImage(c, 0, 0);
             const d = g.getImageData(0, 0, copy.width, copy.height).data;
             let drawn = 0, print = 0;
             for (let i = 3; i < d.length; i += 4) if (d[i] > 0) drawn++;
             for (let i = 0; i < d.length; i += 61) print = (print * 31 + d[i]) >>> 0;
             return [drawn, copy.width * copy.height, print];",
            vec![scope.into()],
        )
        .await?;
    let at = |i: usize| found[i].as_u64().unwrap_or_default();
    Ok((at(0), at(1), at(2)))
}

/// How many frames the viewer under `scope` has drawn.
async fn frames(browser: &Browser, scope: &str) -> anyhow::Result<u64> {
    let found = browser
        .client
        .execute(
            "return Number(document.querySelector(arguments[0] + ' canvas').dataset.frames || 0);",
            vec![scope.into()],
        )
        .await?;
    Ok(found.as_u64().unwrap_or_default())
}

/// Waits until the viewer under `scope` has drawn more than `after` frames.
async fn next_frame(browser: &Browser, scope: &str, after: u64) -> anyhow::Result<()> {
    for _ in 0..100 {
        if frames(browser, scope).await? > after {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    anyhow::bail!("the viewer under {scope} drew no new frame")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_model_is_shown_in_3d_turned_by_keys_and_measured() -> anyhow::Result<()> {
    let (server, browser) = start().await?;
    let path = "cad/candle-spacer.stl";
    // What the sample measures, by the parser itself.
    let bytes = std::fs::read(
        atelier_tests::sample_designs_dir()
            .join("gravity-water-filter")
            .join(path),
    )?;
    let size = backend::mesh::parse(backend::mesh::Format::Stl, &bytes)?
        .stats()
        .context("no triangles")?
        .size();
    for (width, height) in [(1280, 900), (390, 844)] {
        browser.client.set_window_size(width, height).await?;
        browser
            .goto(&server.url(&format!("/atelier/gravity-water-filter/blob/main/{path}")))
            .await?;
        let scope = "figure.model-view[data-state=\"shown\"]";
        browser.wait_for(scope).await?;
        next_frame(&browser, scope, 0).await?;
        let (drawn, all, before) = canvas_pixels(&browser, scope).await?;
        assert!(
            drawn * 50 > all,
            "{width} px: only {drawn} of {all} pixels are drawn"
        );
        // The caption gives the measurements.
        let expected = format!("{:.1} × {:.1} × {:.1} mm", size[0], size[1], size[2]);
        let caption = browser
            .wait_for(&format!("{scope} figcaption"))
            .await?
            .text()
            .await?;
        assert!(
            caption.starts_with(&expected),
            "{caption:?} lacks {expected:?}"
        );
        assert_eq!(
            sideways(&browser).await?,
            None,
            "{width} px scrolls sideways"
        );
        browser.checkpoint(&format!("model-{width}")).await?;

        // Keys on the focused view turn it; W switches the wireframe, as its button says.
        let canvas = browser.wait_for(&format!("{scope} canvas")).await?;
        let seen = frames(&browser, scope).await?;
        canvas.send_keys(&char::from(Key::Left).to_string()).await?;
        next_frame(&browser, scope, seen).await?;
        let (_, _, turned) = canvas_pixels(&browser, scope).await?;
        assert_ne!(turned, before, "the arrow key did not turn the view");
        let seen = frames(&browser, scope).await?;
        canvas.send_keys("w").await?;
        next_frame(&browser, scope, seen).await?;
        let pressed = browser
            .wait_for(&format!("{scope} .model-tools button[aria-pressed]"))
            .await?
            .attr("aria-pressed")
            .await?;
        assert_eq!(pressed.as_deref(), Some("true"));
        // Reset brings the first picture back.
        let seen = frames(&browser, scope).await?;
        canvas.send_keys("w").await?;
        canvas.send_keys("0").await?;
        next_frame(&browser, scope, seen).await?;
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let (_, _, reset) = canvas_pixels(&browser, scope).await?;
        assert_eq!(reset, before, "Reset did not bring the first view back");
    }

    // The Overview shows the manifest's first part model.
    browser.client.set_window_size(1280, 900).await?;
    browser
        .goto(&server.url("/atelier/gravity-water-filter"))
        .await?;
    let scope = ".overview-model figure.model-view[data-state=\"shown\"]";
    browser.wait_for(scope).await?;
    next_frame(&browser, scope, 0).await?;
    let (drawn, all, _) = canvas_pixels(&browser, scope).await?;
    assert!(drawn * 50 > all, "overview: only {drawn} of {all} pixels");
    let heading = browser.wait_for(".overview-model h2").await?.text().await?;
    assert!(heading.contains(path), "{heading:?}");
    browser.close().await?;

    // Without WebGL the page says so and still gives the measurements.
    let plain = Browser::start_without_webgl(Path::new(TMP)).await?;
    plain
        .goto(&server.url(&format!("/atelier/gravity-water-filter/blob/main/{path}")))
        .await?;
    let note = plain
        .wait_for_text(
            "figure.model-view[data-state=\"no-webgl\"] .model-note",
            "WebGL",
        )
        .await?;
    assert!(note.contains("cannot draw 3D"), "{note:?}");
    let caption = plain
        .wait_for("figure.model-view figcaption")
        .await?
        .text()
        .await?;
    assert!(caption.contains(" mm · "), "{caption:?}");
    plain.checkpoint("model-no-webgl").await?;
    plain.close().await
}

/// The natural widths of the images matching `css`, once `count` of them have loaded (waits
/// up to 10 s; an image not loaded by then counts 0).
async fn image_widths(browser: &Browser, css: &str, count: usize) -> anyhow::Result<Vec<u64>> {
    browser.wait_for(css).await?;
    let widths = "return Array.from(document.querySelectorAll(arguments[0]))
                    .map(i => i.complete ? i.naturalWidth : 0);";
    let mut seen = Vec::new();
    for _ in 0..100 {
        let found = browser.client.execute(widths, vec![css.into()]).await?;
        seen = found
            .as_array()
            .map(|a| a.iter().filter_map(serde_json::Value::as_u64).collect())
            .unwrap_or_default();
        if seen.len() >= count && seen.iter().all(|w| *w > 0) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Ok(seen)
}

/// The viewer's canvas under `scope`: how many pixels are clearly green and clearly red (the
/// overlay's added and removed colours).
async fn green_and_red(browser: &Browser, scope: &str) -> anyhow::Result<(u64, u64)> {
    let found = browser
        .client
        .execute(
            "const c = document.querySelector(arguments[0] + ' canvas');
             const copy = document.createElement('canvas');
             copy.width = c.width; copy.height = c.height;
             const g = copy.getContext('2d');
             g.drawImage(c, 0, 0);
             const d = g.getImageData(0, 0, copy.width, copy.height).data;
             let green = 0, red = 0;
             for (let i = 0; i < d.length; i += 4) {
               if (d[i + 3] < 200) continue;
               if (d[i + 1] > d[i] + 40 && d[i + 1] > d[i + 2] + 20) green++;
               if (d[i] > d[i + 1] + 60 && d[i] > d[i + 2] + 40) red++;
             }
             return [green, red];",
            vec![scope.into()],
        )
        .await?;
    let at = |i: usize| found[i].as_u64().unwrap_or_default();
    Ok((at(0), at(1)))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_changed_model_shows_side_by_side_and_overlaid_on_its_commit_page() -> anyhow::Result<()>
{
    let (server, browser) = start().await?;
    sign_up(&browser, &server, "ada").await?;
    // A design with a 10 mm cube, then a second change that adds a smaller block beside it.
    let made = browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const cube = (x, s, first) => {
               const v = [];
               for (const [a, b, c] of [[0,0,0],[1,0,0],[1,1,0],[0,1,0],[0,0,1],[1,0,1],[1,1,1],[0,1,1]])
                 v.push(`v ${x + a * s} ${b * s} ${c * s}`);
               const f = ['1 4 3 2', '5 6 7 8', '1 2 6 5', '2 3 7 6', '3 4 8 7', '4 1 5 8']
                 .map(q => 'f ' + q.split(' ').map(i => Number(i) + first).join(' '));
               return [v, f];
             };
             const [v1, f1] = cube(0, 10, 0);
             const [v2, f2] = cube(14, 4, 8);
             const post = (url, body) => fetch(url, {method: 'POST',
               headers: {'content-type': 'application/json', 'x-atelier-csrf': '1'},
               body: JSON.stringify(body)});
             (async () => {
               let r = await post('/api/designs', {slug: 'bracket', name: 'Bracket',
                 function: 'Holds a shelf', license: 'CERN-OHL-S-2.0', readme: true});
               if (r.status !== 201) return done(['create', r.status, await r.text()]);
               const commit = async (id, text) => {
                 const design = await (await fetch(`/api/designs/${id}`)).json();
                 const r = await post(`/api/designs/${id}/commits`, {branch: design.default_branch,
                   expected_head: design.head, message: 'The bracket',
                   changes: [{op: 'put', path: 'cad/bracket.obj', content: text.join('\\n') + '\\n'}]});
                 if (r.status !== 201) throw new Error(`commit: ${r.status} ${await r.text()}`);
                 return (await r.json()).id;
               };
               await commit('ada/bracket', [...v1, ...f1]);
               // The block comes on a fork, proposed back.
               r = await post('/api/designs/ada/bracket/forks', {slug: 'bracket-two'});
               if (r.status !== 201) return done(['fork', r.status, await r.text()]);
               const id = await commit('ada/bracket-two', [...v1, ...v2, ...f1, ...f2]);
               r = await post('/api/designs/ada/bracket/proposals',
                 {title: 'A block beside it', head: 'ada/bracket-two:main'});
               if (r.status !== 201) return done(['propose', r.status, await r.text()]);
               done([id, (await r.json()).number]);
             })().catch(e => done(['failed', String(e)]));",
            vec![],
        )
        .await?;
    let second = made[0]
        .as_str()
        .filter(|id| id.len() == 40)
        .with_context(|| format!("{made}"))?
        .to_owned();
    let proposal = made[1].as_u64().with_context(|| format!("{made}"))?;

    for (width, height) in [(1280, 900), (390, 844)] {
        browser.client.set_window_size(width, height).await?;
        browser
            .goto(&server.url(&format!("/ada/bracket-two/commit/{second}")))
            .await?;
        // Side by side first: two views, and the table of what changed.
        let side = ".model-pair figure.model-view[data-state=\"shown\"]";
        browser.wait_for(side).await?;
        for _ in 0..100 {
            if browser.texts(side).await?.len() == 2 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(browser.texts(side).await?.len(), 2, "{width} px: two views");
        let volume = browser
            .wait_for(".model-delta .delta-volume")
            .await?
            .text()
            .await?;
        assert!(
            volume.starts_with("+64"),
            "{width} px: volume change {volume:?}"
        );

        // Overlaid: one view with the unchanged cube and the added block in green, none red.
        click_button(&browser, "Overlay").await?;
        let overlay = ".model-overlay figure.model-view[data-state=\"shown\"]";
        let figure = browser.wait_for(overlay).await?;
        assert_eq!(
            figure.attr("data-triangles").await?.as_deref(),
            Some("24"),
            "{width} px: 12 unchanged and 12 added triangles drawn"
        );
        let legend = browser.texts(".overlay-legend li").await?;
        assert_eq!(
            legend,
            [
                "Unchanged (grey, see-through): 12 triangles",
                "Added (green): 12",
                "Removed (red): 0"
            ],
            "{width} px"
        );
        next_frame(&browser, overlay, 0).await?;
        let (green, red) = green_and_red(&browser, overlay).await?;
        assert!(green > 100, "{width} px: {green} green pixels");
        assert_eq!(red, 0, "{width} px: nothing was removed");
        let pressed = browser
            .wait_for(".model-modes button[aria-pressed=\"true\"]")
            .await?
            .text()
            .await?;
        assert_eq!(pressed, "Overlay");
        assert_eq!(
            sideways(&browser).await?,
            None,
            "{width} px scrolls sideways"
        );
        browser
            .checkpoint(&format!("model-overlay-{width}"))
            .await?;
        // And back: the two views return.
        click_button(&browser, "Side by side").await?;
        browser.wait_for(side).await?;
    }

    // The proposal's Files panel shows the model beside the text diff, and overlays it too.
    browser.client.set_window_size(1280, 900).await?;
    browser
        .goto(&server.url(&format!("/ada/bracket/proposals/{proposal}")))
        .await?;
    browser.wait_for(".proposal-header h2").await?;
    click_button(&browser, "Files").await?;
    browser.wait_for(".file-diff h3").await?;
    click_button(&browser, "Show diff").await?;
    browser
        .wait_for(".file-diff .model-pair figure.model-view[data-state=\"shown\"]")
        .await?;
    click_button(&browser, "Overlay").await?;
    let figure = browser
        .wait_for(".file-diff .model-overlay figure.model-view[data-state=\"shown\"]")
        .await?;
    assert_eq!(figure.attr("data-triangles").await?.as_deref(), Some("24"));
    browser.checkpoint("proposal-model-overlay").await?;

    // A 2D OpenSCAD design shows as OpenSCAD's drawing, beside its Customizer.
    let made = browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             (async () => {
               const ids = [];
               for (const w of [30, 45]) {
                 const design = await (await fetch('/api/designs/ada/bracket')).json();
                 const r = await fetch('/api/designs/ada/bracket/commits', {method: 'POST',
                   headers: {'content-type': 'application/json', 'x-atelier-csrf': '1'},
                   body: JSON.stringify({branch: design.default_branch, expected_head: design.head,
                     message: 'The outline', changes: [{op: 'put', path: 'cad/outline.scad',
                     content: `w = ${w}; // [10:5:60]\\nsquare([w, 12]);\\n`}]})});
                 if (r.status !== 201) return done(r.status);
                 ids.push((await r.json()).id);
               }
               done(ids);
             })().catch(e => done(String(e)));",
            vec![],
        )
        .await?;
    let widened = made[1]
        .as_str()
        .with_context(|| format!("{made}"))?
        .to_owned();
    browser
        .goto(&server.url("/ada/bracket/blob/main/cad/outline.scad"))
        .await?;
    let width = image_widths(&browser, ".scad-drawing img", 1).await?;
    assert!(
        width.first().is_some_and(|w| *w > 0),
        "the drawing loaded: {width:?}"
    );
    browser.checkpoint("scad-2d-drawing").await?;
    // Its change shows as two drawings on the commit page, 30 and 45 mm wide.
    browser
        .goto(&server.url(&format!("/ada/bracket/commit/{widened}")))
        .await?;
    let seen = image_widths(&browser, ".drawing-pair img", 2).await?;
    // 30 mm before, 45 mm after, at the same scale.
    assert_eq!(seen.len(), 2, "two drawings: {seen:?}");
    assert!(
        (seen[1] as f64 / seen[0] as f64 - 1.5).abs() < 0.05,
        "{seen:?}"
    );

    // The network tree shows each design's picture (here, its model drawn) and its name.
    browser.goto(&server.url("/ada/bracket/network")).await?;
    let widths = image_widths(&browser, ".network-tree img.network-thumb", 2).await?;
    assert_eq!(widths, [640, 640], "both pictures loaded");
    let names = browser.texts(".network-tree .network-name").await?;
    assert_eq!(names.len(), 2, "the design and its fork: {names:?}");
    assert!(names.iter().all(|n| n.contains("Bracket")), "{names:?}");
    browser.checkpoint("network-pictures").await?;
    browser.close().await
}

#[tokio::test(flavor = "multi_thread")]
async fn step_and_kicad_files_show_through_their_converters() -> anyhow::Result<()> {
    // A STEP solid as OpenCASCADE writes it (gmsh is installed by set-up).
    let work = tempfile::tempdir()?;
    std::fs::write(
        work.path().join("b.geo"),
        "SetFactory(\"OpenCASCADE\");\nBox(1) = {0, 0, 0, 40, 25, 8};\n",
    )?;
    let made = std::process::Command::new("gmsh")
        .args(["b.geo", "-0", "-o", "bracket.step", "-nopopup"])
        .current_dir(work.path())
        .output()?;
    anyhow::ensure!(made.status.success(), "gmsh: {made:?}");
    let step = std::fs::read_to_string(work.path().join("bracket.step"))?;
    let (server, browser) = start().await?;
    sign_up(&browser, &server, "ada").await?;
    let made = browser
        .client
        .execute_async(
            "const [step, board, done] = [arguments[0], arguments[1], arguments[arguments.length - 1]];
             const post = (url, body) => fetch(url, {method: 'POST',
               headers: {'content-type': 'application/json', 'x-atelier-csrf': '1'},
               body: JSON.stringify(body)});
             (async () => {
               let r = await post('/api/designs', {slug: 'bracket', name: 'Bracket',
                 function: 'Holds a shelf', license: 'CERN-OHL-S-2.0'});
               if (r.status !== 201) return done(['create', r.status]);
               const design = await (await fetch('/api/designs/ada/bracket')).json();
               r = await post('/api/designs/ada/bracket/commits', {branch: design.default_branch,
                 expected_head: design.head, message: 'The bracket as STEP',
                 changes: [{op: 'put', path: 'cad/bracket.step', content: step},
                   {op: 'put', path: 'pcb/driver.kicad_pcb', content: board}]});
               done(r.status);
             })().catch(e => done(String(e)));",
            vec![step.into(), KICAD_BOARD.into()],
        )
        .await?;
    assert_eq!(made, 201);
    browser
        .goto(&server.url("/ada/bracket/blob/main/cad/bracket.step"))
        .await?;
    let scope = "figure.model-view[data-state=\"shown\"]";
    browser.wait_for(scope).await?;
    next_frame(&browser, scope, 0).await?;
    let (drawn, all, _) = canvas_pixels(&browser, scope).await?;
    assert!(drawn * 50 > all, "only {drawn} of {all} pixels are drawn");
    let caption = browser
        .wait_for(&format!("{scope} figcaption"))
        .await?
        .text()
        .await?;
    assert!(caption.starts_with("40.0 × 25.0 × 8.0 mm"), "{caption:?}");
    browser.checkpoint("step-model").await?;

    // A KiCad board is drawn by kicad-cli, with its text one click away.
    browser
        .goto(&server.url("/ada/bracket/blob/main/pcb/driver.kicad_pcb"))
        .await?;
    let width = image_widths(&browser, ".drawing-view img", 1).await?;
    assert!(
        width.first().is_some_and(|w| *w > 0),
        "the board drawing loaded: {width:?}"
    );
    let summary = browser
        .wait_for(".drawing-text summary")
        .await?
        .text()
        .await?;
    assert_eq!(summary, "The board file");
    browser.checkpoint("kicad-board").await?;
    browser.close().await
}

/// A 80 × 20 mm board with one track, as KiCad writes boards (S-expressions).
const KICAD_BOARD: &str = r#"(kicad_pcb (version 20221018) (generator pcbnew)
  (general (thickness 1.6))
  (paper "A4")
  (layers (0 "F.Cu" signal) (31 "B.Cu" signal) (44 "Edge.Cuts" user))
  (gr_rect (start 100 100) (end 180 120) (layer "Edge.Cuts") (stroke (width 0.1) (type default)))
  (gr_line (start 105 105) (end 175 115) (layer "F.Cu") (stroke (width 1) (type default)))
)
"#;

#[tokio::test(flavor = "multi_thread")]
async fn saving_a_parameter_set_commits_it_to_the_readers_fork_and_it_loads_back()
-> anyhow::Result<()> {
    let (server, browser) = start().await?;
    sign_up(&browser, &server, "mei").await?;
    browser
        .goto(&server.url("/atelier/gravity-water-filter/blob/main/cad/candle-spacer.scad"))
        .await?;
    let scope = "figure.model-view[data-state=\"shown\"]";
    browser.wait_for(scope).await?;
    let outer = browser.wait_for("#scad-outer_d").await?;
    outer.clear().await?;
    outer.send_keys("55").await?;
    click_button(&browser, "Render").await?;
    browser
        .wait_for_text(&format!("{scope} figcaption"), "55.0 × 55.0")
        .await?;
    let download = browser
        .wait_for(".customizer-form a[download]")
        .await?
        .attr("href")
        .await?
        .unwrap_or_default();
    assert!(
        download.contains("/stl/") && download.contains("outer_d"),
        "{download}"
    );
    browser
        .wait_for("#field-name")
        .await?
        .send_keys("wide ring")
        .await?;
    browser
        .wait_for("#field-hours")
        .await?
        .send_keys("0.25")
        .await?;
    click_button(&browser, "Save parameter set").await?;
    let done = browser
        .wait_for_text(".customizer-save .success", "mei/gravity-water-filter")
        .await?;
    assert!(done.contains("a fork made for you"), "{done:?}");
    assert!(done.contains("cad/candle-spacer.json"), "{done:?}");
    browser.checkpoint("parameter set saved").await?;

    // The commit is on mei's fork, credited as design work; upstream is untouched.
    browser
        .goto(&server.url("/api/designs/mei/gravity-water-filter/commits?per_page=1"))
        .await?;
    let commits = browser.wait_for("body").await?.text().await?;
    assert!(
        commits.contains(r#"Save parameter set \"wide ring\""#),
        "{commits}"
    );
    assert!(commits.contains("Labor-Type: design"), "{commits}");
    browser
        .goto(&server.url("/api/designs/mei/gravity-water-filter/raw/main/cad/candle-spacer.json"))
        .await?;
    let file = browser.wait_for("body").await?.text().await?;
    let file: serde_json::Value = serde_json::from_str(&file)?;
    assert_eq!(
        file["parameterSets"]["wide ring"]["outer_d"], "55",
        "{file}"
    );
    browser
        .goto(
            &server
                .url("/api/designs/atelier/gravity-water-filter/raw/main/cad/candle-spacer.json"),
        )
        .await?;
    let upstream = browser.wait_for("body").await?.text().await?;
    assert!(upstream.contains("\"error\""), "{upstream}");

    // On the fork the set is listed, and choosing it renders it.
    browser
        .goto(&server.url("/mei/gravity-water-filter/blob/main/cad/candle-spacer.scad"))
        .await?;
    browser.wait_for(scope).await?;
    browser
        .wait_for("#scad-set")
        .await?
        .select_by_value("wide ring")
        .await?;
    let caption = browser
        .wait_for_text(&format!("{scope} figcaption"), "55.0 × 55.0")
        .await?;
    assert!(caption.starts_with("55.0 × 55.0"), "{caption:?}");
    browser.close().await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dxf_file_shows_as_a_drawing_with_its_text_one_click_away() -> anyhow::Result<()> {
    let (server, browser) = start().await?;
    browser
        .goto(&server.url("/atelier/gravity-water-filter/blob/main/cad/stand-side.dxf"))
        .await?;
    let width = image_widths(&browser, ".drawing-view img", 1).await?;
    assert!(
        width.first().is_some_and(|w| *w > 0),
        "the drawing loaded: {width:?}"
    );
    // The text is folded away; opening it shows the group codes.
    browser
        .wait_for(".drawing-text summary")
        .await?
        .click()
        .await?;
    browser
        .wait_for_text(".drawing-text .code", "SECTION")
        .await?;
    browser.checkpoint("dxf drawing").await?;
    browser.close().await
}

#[tokio::test(flavor = "multi_thread")]
async fn the_customizer_changes_a_parameter_and_the_model_follows() -> anyhow::Result<()> {
    let (server, browser) = start().await?;
    browser
        .goto(&server.url("/atelier/gravity-water-filter/blob/main/cad/candle-spacer.scad"))
        .await?;
    let scope = "figure.model-view[data-state=\"shown\"]";
    browser.wait_for(scope).await?;
    let caption = browser
        .wait_for(&format!("{scope} figcaption"))
        .await?
        .text()
        .await?;
    assert!(caption.starts_with("42.0 × 42.0 × 4.0 mm"), "{caption:?}");
    // The tab and the description come from the file's own comments.
    let legend = browser
        .wait_for(".customizer-form legend")
        .await?
        .text()
        .await?;
    assert_eq!(legend, "Ring");
    let outer = browser.wait_for("#scad-outer_d").await?;
    outer.clear().await?;
    outer.send_keys("60").await?;
    click_button(&browser, "Render").await?;
    let caption = browser
        .wait_for_text(&format!("{scope} figcaption"), "60.0 × 60.0")
        .await?;
    assert!(caption.starts_with("60.0 × 60.0 × 4.0 mm"), "{caption:?}");
    let (drawn, all, _) = canvas_pixels(&browser, scope).await?;
    assert!(drawn * 50 > all, "only {drawn} of {all} pixels");
    browser.checkpoint("customizer").await?;
    browser.close().await
}

//! Search over the real sample designs: relevance, filters, facets, components and where-used,
//! freshness after a commit, and bad input.

mod common;

use std::time::{Duration, Instant};

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use common::{As, TestApp};

/// The app over `designs/`, with the first index build finished.
async fn samples() -> TestApp {
    let designs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../designs");
    let app = TestApp::with(|config| config.designs = designs).await;
    app.state.indexer.flush().await;
    app
}

async fn ids(app: &TestApp, query: &str) -> Vec<String> {
    let (status, body) = app.json(&format!("/api/search?{query}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["designs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_owned())
        .collect()
}

fn in_top(ids: &[String], id: &str, n: usize) -> bool {
    ids.iter().take(n).any(|i| i == id)
}

#[tokio::test]
async fn relevance_on_the_sample_designs() {
    let app = samples().await;
    let plain = ids(&app, "q=trailer").await;
    assert_eq!(
        plain.first().map(String::as_str),
        Some("atelier/cargo-bike-trailer"),
        "{plain:?}"
    );

    // A `tsdc` code is found by its name: `CNC` parts are "CNC milling", a word no sample's
    // README or other manifest text uses (the CNC router's manifest says "milling" itself).
    let milling = ids(&app, "q=milling&per_page=50").await;
    for id in ["atelier/solar-food-dryer", "atelier/timber-tiny-house"] {
        assert!(milling.contains(&id.to_owned()), "milling: {milling:?}");
    }

    let typo = ids(&app, "q=turbne").await;
    assert!(
        in_top(&typo, "atelier/small-wind-turbine", 3),
        "typo: {typo:?}"
    );

    let prefix = ids(&app, "q=chimn").await;
    assert!(
        in_top(&prefix, "atelier/solar-food-dryer", 3),
        "prefix: {prefix:?}"
    );

    let phrase = ids(&app, "q=%22water%20filter%22").await;
    assert_eq!(
        phrase.first().map(String::as_str),
        Some("atelier/gravity-water-filter"),
        "phrase: {phrase:?}"
    );

    let filtered = ids(&app, "q=license:GPL-3.0-or-later").await;
    assert_eq!(filtered, ["atelier/community-3d-printer"]);
    let param = ids(&app, "q=&license=gpl-3.0-or-later").await;
    assert_eq!(param, ["atelier/community-3d-printer"]);
    // Every design that has plywood somewhere, and only those.
    let material = ids(&app, "q=material:plywood").await;
    assert!(
        material.contains(&"atelier/solar-food-dryer".to_owned()),
        "{material:?}"
    );
    assert!(material.len() < 8, "{material:?}");
}

#[tokio::test]
async fn facets_snippets_sorting_and_paging() {
    let app = samples().await;
    let (_, all) = app.json("/api/search?q=&per_page=3&sort=updated").await;
    assert_eq!(all["total"], 8);
    assert_eq!(all["designs"].as_array().unwrap().len(), 3);
    let licenses: u64 = all["facets"]["license"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["count"].as_u64().unwrap())
        .sum();
    assert_eq!(licenses, 8);
    assert!(!all["facets"]["material"].as_array().unwrap().is_empty());
    let dates: Vec<&str> = all["designs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["updated"].as_str().unwrap())
        .collect();
    let mut sorted = dates.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(dates, sorted);

    assert!(
        all["designs"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["license"].is_string()),
        "{all}"
    );
    let (_, nema) = app.json("/api/search?q=NEMA").await;
    let snippet = nema["designs"][0]["snippet_html"].as_str().unwrap();
    assert!(snippet.contains("<mark>NEMA</mark>"), "{snippet}");
    let (_, hits) = app.json("/api/search?q=solar").await;
    let snippet = hits["designs"][0]["snippet_html"].as_str().unwrap();
    assert!(
        snippet.to_lowercase().contains("<mark>solar</mark>"),
        "{snippet}"
    );
}

#[tokio::test]
async fn components_and_where_used() {
    let app = samples().await;
    let (status, found) = app.json("/api/components?q=NEMA%2017").await;
    assert_eq!(status, StatusCode::OK);
    let top = &found["components"][0];
    assert_eq!(top["key"], "17hs4401", "{found}");
    assert!(top["used_in"].as_u64().unwrap() >= 2);

    let (status, used) = app.json("/api/components/17hs4401").await;
    assert_eq!(status, StatusCode::OK);
    let designs: Vec<&str> = used["uses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["design"].as_str().unwrap())
        .collect();
    assert!(designs.contains(&"atelier/cnc-router-3axis"), "{designs:?}");
    assert!(
        designs.contains(&"atelier/community-3d-printer"),
        "{designs:?}"
    );
    assert_eq!(used["used_in"], 2);
    assert!(used["uses"][0]["quantity"].is_number());

    // Spelling differences of the same bolt meet under one key.
    let (_, bolts) = app.json("/api/components?q=M8%20bolt").await;
    let keys: Vec<&str> = bolts["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["key"].as_str().unwrap())
        .collect();
    assert!(keys.contains(&"iso-4017-m8x40"), "{keys:?}");
    let (_, bolt) = app.json("/api/components/iso-4017-m8x40").await;
    assert!(bolt["used_in"].as_u64().unwrap() >= 4, "{bolt}");

    let (status, _) = app.json("/api/components/no-such-part").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_commit_is_searchable_within_two_seconds() {
    let app = samples().await;
    let cookie = app.sign_up("ada").await;
    let fork = app
        .request(
            Method::POST,
            "/api/designs/atelier/solar-food-dryer/forks",
            &As::Cookie(cookie.clone()),
            None,
        )
        .await;
    assert_eq!(fork.status, StatusCode::CREATED);
    let head = fork.json()["head"].as_str().unwrap().to_owned();
    let commit = app
        .request(
            Method::POST,
            "/api/designs/ada/solar-food-dryer/commits",
            &As::Cookie(cookie),
            Some(json!({"branch": "main", "expected_head": head, "message": "Note the quokka test",
                "changes": [{"op": "put", "path": "NOTES.md", "content": "x"},
                            {"op": "put", "path": "README.md", "content": "# Dryer\n\nTested with quokkaberries.\n"}]})),
        )
        .await;
    assert_eq!(commit.status, StatusCode::CREATED);
    let started = Instant::now();
    let found = loop {
        let hits = ids(&app, "q=quokkaberries").await;
        if hits.contains(&"ada/solar-food-dryer".to_owned()) {
            break started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "not searchable after 2 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    eprintln!("searchable after {found:?}");
    // The fork shows in its parent's fork count.
    let (_, parent) = app
        .json("/api/search?q=&owner=atelier&sort=forks&per_page=1")
        .await;
    assert_eq!(parent["designs"][0]["id"], "atelier/solar-food-dryer");
    assert_eq!(parent["designs"][0]["forks"], 1);
}

#[tokio::test]
async fn an_upstream_ranks_above_its_forks_for_the_same_text() {
    let app = samples().await;
    // Two levels of forks of the water filter, each the same text as its upstream.
    let ada = app.sign_up("ada").await;
    let bob = app.sign_up("bob").await;
    for (who, from) in [
        (&ada, "atelier/gravity-water-filter"),
        (&bob, "ada/gravity-water-filter"),
    ] {
        let fork = app
            .request(
                Method::POST,
                &format!("/api/designs/{from}/forks"),
                &As::Cookie(who.clone()),
                None,
            )
            .await;
        assert_eq!(fork.status, StatusCode::CREATED, "{:?}", fork.json());
        if from.starts_with("atelier/") {
            // The fork's README is a little shorter (its task list dropped), which on text
            // alone would rank it first.
            let readme = app
                .get("/api/designs/atelier/gravity-water-filter/raw/main/README.md")
                .await;
            let text = String::from_utf8(readme.body.to_vec()).unwrap();
            let shorter: String = text
                .lines()
                .filter(|line| !line.starts_with("- ["))
                .map(|line| format!("{line}\n"))
                .collect();
            assert!(shorter.len() < text.len());
            app.commit_changes(
                who,
                "ada/gravity-water-filter",
                "Drop the task list",
                json!([{"op": "put", "path": "README.md", "content": shorter}]),
            )
            .await;
        }
    }
    let expected = [
        "atelier/gravity-water-filter",
        "ada/gravity-water-filter",
        "bob/gravity-water-filter",
    ];
    let started = Instant::now();
    loop {
        let hits = ids(&app, "q=%22water%20filter%22").await;
        let network: Vec<&str> = hits
            .iter()
            .map(String::as_str)
            .filter(|id| id.ends_with("/gravity-water-filter"))
            .collect();
        if network.len() == 3 {
            assert_eq!(network, expected, "{hits:?}");
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "{hits:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // `forks=false` leaves both forks out, and so do the facet counts.
    let roots = ids(&app, "q=%22water%20filter%22&forks=false").await;
    assert!(roots.contains(&expected[0].to_owned()), "{roots:?}");
    assert!(
        !roots
            .iter()
            .any(|id| id.starts_with("ada/") || id.starts_with("bob/")),
        "{roots:?}"
    );
    let count = |search: &serde_json::Value| search["total"].as_u64().unwrap();
    let (_, everything) = app.json("/api/search?per_page=1").await;
    let (_, upstreams) = app.json("/api/search?per_page=1&forks=false").await;
    assert_eq!(count(&everything), count(&upstreams) + 2);
    let licensed = |search: &serde_json::Value| -> u64 {
        search["facets"]["license"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["count"].as_u64().unwrap())
            .sum()
    };
    assert_eq!(licensed(&everything), licensed(&upstreams) + 2);
}

#[tokio::test]
async fn bad_input_never_fails() {
    let app = samples().await;
    for q in [
        "%22unclosed",
        "(((",
        "AND%20OR%20NOT",
        "license:",
        ":::",
        "*",
        "~~2",
        "title:%5B1%20TO",
    ] {
        let (status, body) = app.json(&format!("/api/search?q={q}")).await;
        assert_eq!(status, StatusCode::OK, "{q}: {body}");
    }
    let long = "trailer%20".repeat(100);
    let (_, body) = app.json(&format!("/api/search?q={long}")).await;
    assert_eq!(body["query"].as_str().unwrap().chars().count(), 256);
    let (_, body) = app.json("/api/search?q=&per_page=5000").await;
    assert_eq!(body["per_page"], 100);
    let (status, body) = app.json("/api/search?q=x&sort=stars").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"]["message"].as_str().unwrap().contains("stars"));
    let _: Value = body;
}

/// A design `ada/{slug}` with this manifest, README and BOM, indexed.
async fn design(
    app: &TestApp,
    cookie: &str,
    slug: &str,
    manifest_extra: &str,
    readme: &str,
    bom: &str,
) {
    app.create_design(cookie, slug).await;
    let manifest = format!(
        "okhv = \"OKH-LOSHv1.0\"\nname = \"{slug}\"\nversion = \"1\"\nlicense = \"MIT\"\nlicensor = \"Ada\"\n\
         function = \"A test design\"\nbom = \"bom.csv\"\n{manifest_extra}"
    );
    app.commit_changes(
        cookie,
        &format!("ada/{slug}"),
        "Describe",
        json!([
            {"op": "put", "path": "okh.toml", "content": manifest},
            {"op": "put", "path": "README.md", "content": readme},
            {"op": "put", "path": "bom.csv", "content": bom},
        ]),
    )
    .await;
}

#[tokio::test]
async fn part_numbers_are_exact_joined_words_meet_and_codes_are_text() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    design(
        &app,
        &ada,
        "small-clamp",
        "",
        "# Clamp\n\nHeld by **four** screws.\n",
        "name,qty\nSocket screw M3x12,4\n",
    )
    .await;
    design(
        &app,
        &ada,
        "big-clamp",
        "",
        "# Clamp\n\nHeld by screws.\n",
        "name,qty\nSocket screw M5x12,4\n",
    )
    .await;
    design(
        &app,
        &ada,
        "keyboard",
        "",
        "# Keyboard\n\nRuns on a Pro Micro board.\n",
        "name,qty\nDiode,40\n",
    )
    .await;
    design(
        &app,
        &ada,
        "macropad",
        "",
        "# Macropad\n\nA ProMicro clone drives it.\n",
        "name,qty\nSwitch,9\n",
    )
    .await;
    design(
        &app,
        &ada,
        "certified",
        "technology-readiness-level = \"OTRL-5\"\nstandard-compliance = \"DIN SPEC 3105\"\n",
        "# Certified\n\nSee the [audit report](docs/audit.md) and `make` it: **strong** *frame*.\n",
        "name,qty\nFrame,1\n",
    )
    .await;
    app.state.indexer.flush().await;

    // Digits are exact: no typo tolerance on part numbers, in designs and components alike.
    let (_, components) = app.json("/api/components?q=M3x12").await;
    let found: Vec<&str> = components["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(found, ["Socket screw M3x12"], "{components}");
    assert_eq!(ids(&app, "q=M3x12").await, ["ada/small-clamp"]);
    assert_eq!(ids(&app, "q=M5x12").await, ["ada/big-clamp"]);
    // Typos are still forgiven in words.
    assert!(
        ids(&app, "q=keybaord")
            .await
            .contains(&"ada/keyboard".to_owned())
    );

    // Two words or one.
    let mut two = ids(&app, "q=Pro%20Micro").await;
    two.sort();
    assert_eq!(two, ["ada/keyboard", "ada/macropad"]);
    let mut one = ids(&app, "q=ProMicro").await;
    one.sort();
    assert_eq!(one, ["ada/keyboard", "ada/macropad"]);

    // Readiness codes and standards are text.
    assert_eq!(ids(&app, "q=OTRL-5").await, ["ada/certified"]);
    assert_eq!(ids(&app, "q=DIN%20SPEC%203105").await, ["ada/certified"]);

    // Snippets come from the text a reader sees.
    let (_, found) = app.json("/api/search?q=audit").await;
    let snippet = found["designs"][0]["snippet_html"]
        .as_str()
        .unwrap_or_else(|| panic!("{found}"));
    assert!(snippet.contains("<mark>audit</mark> report"), "{snippet}");
    for syntax in ["](", "**", "`", "# "] {
        assert!(!snippet.contains(syntax), "{syntax:?} in {snippet}");
    }
}

#[tokio::test]
async fn cards_carry_the_manifest_picture_served_by_the_instance() {
    let app = samples().await;
    let (_, list) = app.json("/api/designs?per_page=100").await;
    let designs = list["designs"].as_array().unwrap();
    assert!(designs.len() >= 8);
    let trailer = designs
        .iter()
        .find(|d| d["id"] == "atelier/cargo-bike-trailer")
        .unwrap();
    let head = trailer["head"].as_str().unwrap();
    let expected =
        format!("/api/designs/atelier/cargo-bike-trailer/raw/{head}/images/trailer-side.svg");
    assert_eq!(trailer["image_url"], expected.as_str());
    let (_, found) = app.json("/api/search?q=trailer").await;
    assert_eq!(
        found["designs"][0]["image_url"],
        expected.as_str(),
        "{found}"
    );
    let picture = app.get(&expected).await;
    assert_eq!(picture.status, StatusCode::OK);
    assert_eq!(picture.headers["content-type"], "image/svg+xml");
    assert!(designs.iter().all(|d| d["image_url"].is_string()), "{list}");
}

#[tokio::test]
async fn a_part_number_finds_every_design_whose_bom_uses_it() {
    let app = samples().await;
    // Five sample BOMs list ISO 4017 M8x40 bolts, however each spells them.
    let users = [
        "atelier/cargo-bike-trailer",
        "atelier/gravity-water-filter",
        "atelier/microcar-chassis",
        "atelier/small-wind-turbine",
        "atelier/solar-food-dryer",
    ];
    for query in ["q=M8x40", "q=m8x40", "q=M8X40"] {
        let found = ids(&app, query).await;
        for user in users {
            assert!(
                found.contains(&user.to_owned()),
                "{query}: {user} missing from {found:?}"
            );
        }
    }
    // The component list's count and the design search agree.
    let (_, bolt) = app.json("/api/components/iso-4017-m8x40").await;
    let used: Vec<&str> = bolt["uses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["design"].as_str().unwrap())
        .collect();
    assert!(used.len() >= 5, "{bolt}");
    let found = ids(&app, "q=M8x40").await;
    for id in used {
        assert!(
            found.contains(&id.to_owned()),
            "{id} uses the bolt but is not found"
        );
    }
}

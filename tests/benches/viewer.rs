//! `cargo xtask bench viewer`: how long a large binary STL takes to show in the 3D viewer, and
//! whether the tab stays responsive meanwhile. For each size (5 MB and 50 MB, about 100,000
//! and 1,000,000 triangles) it uploads a generated model, then opens its file page in headless
//! Chromium and measures, from navigation start: the measured model's answer (server parse,
//! and simplification above 500,000 triangles), the first frame drawn, and the longest task
//! on the page's main thread while that happened (Long Tasks API; the tab is "frozen" for that
//! long). Cold is the first open after the upload (nothing cached on the server); warm opens
//! it again in a new browser (the server's mesh cache is warm, the browser's is empty).
//! Prints min/median/max; asserts nothing about speed.
//!
//! Needs the built SPA and chromedriver, as the browser tests do (`cargo xtask bench viewer`
//! provides both). `cargo xtask bench viewer quick` runs 2 warm rounds instead of 5.

use std::path::Path;

use anyhow::{Context as _, Result, bail};
use atelier_tests::{Browser, TestServer, dist_dir};
use serde_json::{Value, json};

/// Runs before the page's own scripts: records long tasks (over 50 ms) from the start.
const OBSERVER: &str = r#"
window.__longest = 0;
new PerformanceObserver(list => {
  for (const entry of list.getEntries()) window.__longest = Math.max(window.__longest, entry.duration);
}).observe({type: 'longtask', buffered: true});
"#;

/// Signs up, creates a design and commits one generated binary STL of `triangles` triangles
/// (a wavy plate, so the simplifier has real work) at `cad/big-{triangles}.stl`.
const MAKE: &str = r#"
const [triangles, done] = [arguments[0], arguments[arguments.length - 1]];
const post = (url, body, json = true) => fetch(url, {method: 'POST',
  headers: json ? {'content-type': 'application/json', 'x-atelier-csrf': '1'} : {'x-atelier-csrf': '1'},
  body: json ? JSON.stringify(body) : body});
(async () => {
  let r = await fetch('/api/session');
  if (!(await r.json()).account) {
    r = await post('/api/accounts', {username: 'bench', email: 'bench@example.org', password: 'bench-password-1'});
    if (r.status !== 201) return done(['sign up', r.status, await r.text()]);
    r = await post('/api/designs', {slug: 'big', name: 'Big', function: 'A large model', license: 'CERN-OHL-S-2.0'});
    if (r.status !== 201) return done(['create', r.status, await r.text()]);
  }
  const side = Math.ceil(Math.sqrt(triangles / 2));
  const count = side * side * 2;
  const buffer = new ArrayBuffer(84 + count * 50);
  const view = new DataView(buffer);
  view.setUint32(80, count, true);
  const z = (i, j) => Math.sin(i / 7) * Math.cos(j / 5) * 3;
  let at = 84;
  const corner = (i, j) => {
    view.setFloat32(at, i * 0.2, true); view.setFloat32(at + 4, j * 0.2, true);
    view.setFloat32(at + 8, z(i, j), true); at += 12;
  };
  for (let i = 0; i < side; i++) for (let j = 0; j < side; j++) {
    for (const t of [[[i, j], [i + 1, j], [i + 1, j + 1]], [[i, j], [i + 1, j + 1], [i, j + 1]]]) {
      at += 12;
      for (const [a, b] of t) corner(a, b);
      at += 2;
    }
  }
  const form = new FormData();
  const name = `big-${triangles}.stl`;
  form.append('file', new Blob([buffer]), name);
  r = await post('/api/designs/bench/big/uploads', form, false);
  if (r.status !== 201) return done(['upload', r.status, await r.text()]);
  const upload = (await r.json()).upload_id;
  const design = await (await fetch('/api/designs/bench/big')).json();
  r = await post('/api/designs/bench/big/commits', {branch: design.default_branch,
    expected_head: design.head, message: `A model of ${count} triangles`,
    changes: [{op: 'put', path: `cad/${name}`, upload_id: upload}]});
  if (r.status !== 201) return done(['commit', r.status, await r.text()]);
  done([buffer.byteLength, count]);
})().catch(e => done(['failed', String(e)]));
"#;

fn summary(values: &mut [f64]) -> String {
    atelier_tests::min_med_max(values, 6)
}

/// Opens `path` in a new browser and waits for the viewer's first frame: milliseconds to the
/// model's answer, to the first frame, the longest main-thread task, and the viewer's own
/// stages (fetching the triangles, preparing the scene, the longest frame).
async fn open(server: &TestServer, tmp: &Path, path: &str) -> Result<[f64; 6]> {
    let browser = Browser::start(tmp).await?;
    browser.client.set_window_size(1280, 900).await?;
    browser.cdp("Network.enable", json!({})).await?;
    browser
        .cdp("Network.setCacheDisabled", json!({"cacheDisabled": true}))
        .await?;
    browser
        .cdp(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({"source": OBSERVER}),
        )
        .await?;
    browser.goto(&server.url(path)).await?;
    let mut found = Value::Null;
    for _ in 0..1200 {
        found = browser
            .client
            .execute(
                "const figure = document.querySelector('figure.model-view');
                 const canvas = figure && figure.querySelector('canvas');
                 const state = figure ? figure.dataset.state : null;
                 if (state === 'failed') return ['failed', figure.textContent];
                 if (state !== 'shown' || !canvas || !Number(canvas.dataset.frames)) return null;
                 const model = performance.getEntriesByType('resource')
                   .find(e => e.name.includes('/model/'));
                 const longest = name => Math.max(0, ...performance.getEntriesByName(name)
                   .map(e => e.duration));
                 return [model ? model.responseEnd : 0, performance.now(), window.__longest,
                   longest('viewer fetch'), longest('viewer prepare'), longest('viewer frame')];",
                vec![],
            )
            .await?;
        if found.is_array() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    browser.close().await?;
    if found[0] == "failed" {
        bail!("the viewer failed: {}", found[1]);
    }
    let at = |i: usize| found[i].as_f64().context("the viewer did not draw in 30 s");
    Ok([at(0)?, at(1)?, at(2)?, at(3)?, at(4)?, at(5)?])
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<()> {
    // The server's git hook runs this program (`<exe> hook pre-receive`, as it would run
    // `atelier`): answer as `atelier` does, rather than start another benchmark.
    if std::env::args().nth(1).as_deref() == Some("hook") {
        std::process::exit(backend::hooks::run_pre_receive());
    }
    let quick = std::env::args().any(|a| a == "quick");
    let rounds = if quick { 2 } else { 5 };
    let tmp = atelier_tests::bench_tmp();
    let server = TestServer::start(dist_dir(&tmp)?).await?;
    let maker = Browser::start(&tmp).await?;
    maker.goto(&server.url("/")).await?;
    println!("The file page of a generated binary STL in headless Chromium, 1280 x 900;");
    println!("milliseconds from navigation start (cold: 1 round, warm: {rounds} rounds)");
    println!(
        "{:<28} {:<5} {:>20} {:>20} {:>20} {:>20} {:>20} {:>20}",
        "model",
        "cache",
        "measured min/med/max",
        "drawn min/med/max",
        "longest task",
        "viewer: fetch",
        "viewer: prepare",
        "viewer: frame"
    );
    for triangles in [100_000u64, 1_000_000] {
        let made = maker
            .client
            .execute_async(MAKE, vec![triangles.into()])
            .await?;
        let (Some(bytes), Some(count)) = (made[0].as_u64(), made[1].as_u64()) else {
            bail!("could not make the model: {made}");
        };
        let path = format!("/bench/big/blob/main/cad/big-{triangles}.stl");
        let label = format!("{:.1} MB, {} triangles", bytes as f64 / 1e6, count);
        for (cache, runs) in [("cold", 1), ("warm", rounds)] {
            let mut columns: [Vec<f64>; 6] = Default::default();
            for _ in 0..runs {
                let figures = open(&server, &tmp, &path).await?;
                for (column, figure) in columns.iter_mut().zip(figures) {
                    column.push(figure);
                }
            }
            let cells: Vec<String> = columns.iter_mut().map(|c| summary(c)).collect();
            println!(
                "{label:<28} {cache:<5} {:>20} {:>20} {:>20} {:>20} {:>20} {:>20}",
                cells[0], cells[1], cells[2], cells[3], cells[4], cells[5]
            );
        }
    }
    maker.close().await
}

//! Test support shared by the cross-crate and browser tests: the real server on a free port
//! over a temporary data directory, and headless Chromium driven through chromedriver.

use std::net::{SocketAddr, TcpListener as StdListener};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use fantoccini::{Client, ClientBuilder, Locator};
use tokio::sync::oneshot;

/// The workspace's `designs/` folder.
pub fn sample_designs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../designs")
}

/// `(slug, manifest name)` of every sample design, in slug order.
pub fn sample_designs() -> Vec<(String, String)> {
    let mut samples = Vec::new();
    for entry in std::fs::read_dir(sample_designs_dir()).expect("designs/ exists") {
        let path = entry.unwrap().path();
        if !path.is_dir() {
            continue;
        }
        let text = std::fs::read_to_string(path.join("okh.toml")).expect("sample has okh.toml");
        let manifest = backend::manifest::parse(&text).expect("sample manifest parses");
        let slug = path.file_name().unwrap().to_string_lossy().into_owned();
        samples.push((slug, manifest.name.expect("sample manifest has a name")));
    }
    samples.sort();
    samples
}

/// The real server (the same `backend::http::app` as `atelier serve`) on a free port, with a new
/// data directory imported from `designs/`. Stops when dropped.
pub struct TestServer {
    pub addr: SocketAddr,
    pub state: backend::AppState,
    stop: Option<oneshot::Sender<()>>,
    _data: tempfile::TempDir,
}

impl TestServer {
    /// `dist` is the built single-page app (see [`dist_dir`]).
    pub async fn start(dist: PathBuf) -> Result<Self> {
        let data = tempfile::tempdir()?;
        let config = backend::Config {
            addr: "127.0.0.1:0".parse()?,
            data: data.path().join("data"),
            dist,
            designs: sample_designs_dir(),
            public_url: None,
            database: backend::db::test_database().await,
            max_upload: 100 * 1024 * 1024,
            max_push: 4 << 30,
            hook_program: None,
            allow_import_from: Vec::new(),
            import_ca_file: None,
            image_proxy: true,
            image_proxy_allow_private: true,
            trusted_proxies: Vec::new(),
            client_ip_header: "x-forwarded-for".into(),
        };
        let state = backend::App::open(config).await?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let serving = state.clone();
        tokio::spawn(async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            if let Err(err) = backend::server::serve(listener, serving, shutdown).await {
                eprintln!("test server failed: {err}");
            }
        });
        Ok(Self {
            addr,
            state,
            stop: Some(stop),
            _data: data,
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The built single-page app: `$ATELIER_TEST_DIST` (set by `cargo xtask test`), else
/// `<target>/dist` next to the test's `CARGO_TARGET_TMPDIR`.
pub fn dist_dir(target_tmpdir: &Path) -> Result<PathBuf> {
    let dist = std::env::var_os("ATELIER_TEST_DIST")
        .map(PathBuf::from)
        .unwrap_or_else(|| target_tmpdir.join("../dist"));
    if !dist.join("index.html").is_file() {
        bail!(
            "no built single-page app at {}: browser tests need it; run them with `cargo xtask test` \
             (or build it first with `cargo xtask build`)",
            dist.display()
        );
    }
    Ok(dist)
}

/// Headless Chromium through a private chromedriver. Dropping it kills chromedriver's whole
/// process group, Chromium included, so a failed test leaves no browser running.
pub struct Browser {
    pub client: Client,
    driver: Child,
    screenshots: PathBuf,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver and a browser session. Screenshots go to `<target>/screenshots/`.
    pub async fn start(target_tmpdir: &Path) -> Result<Self> {
        Self::start_with(target_tmpdir, &[]).await
    }

    /// A browser whose WebGL is switched off (`--disable-3d-apis`), as on machines without it.
    pub async fn start_without_webgl(target_tmpdir: &Path) -> Result<Self> {
        Self::start_with(target_tmpdir, &["--disable-3d-apis"]).await
    }

    async fn start_with(target_tmpdir: &Path, args: &[&str]) -> Result<Self> {
        let chromedriver = std::env::var_os("ATELIER_CHROMEDRIVER")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("chromedriver"));
        let port = free_port()?;
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .with_context(|| {
                format!(
                    "cannot start {}: install Debian's chromium-driver (`cargo xtask setup` does)",
                    chromedriver.display()
                )
            })?;
        std::fs::create_dir_all(target_tmpdir)?;
        let profile = tempfile::tempdir_in(target_tmpdir)?;
        let browser = Self {
            client: connect(port, profile.path(), args).await?,
            driver,
            screenshots: target_tmpdir.join("../screenshots"),
            _profile: profile,
        };
        browser.client.set_window_size(1280, 900).await?;
        std::fs::create_dir_all(&browser.screenshots)?;
        Ok(browser)
    }

    pub async fn goto(&self, url: &str) -> Result<()> {
        self.client.goto(url).await?;
        Ok(())
    }

    /// Waits up to 20 s for an element matching `css`.
    pub async fn wait_for(&self, css: &str) -> Result<fantoccini::elements::Element> {
        self.client
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::Css(css))
            .await
            .with_context(|| format!("no element matches {css:?} within 20 s"))
    }

    /// Waits up to 20 s until an element matching `css` contains `needle`; returns its text.
    pub async fn wait_for_text(&self, css: &str, needle: &str) -> Result<String> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            // An element the app re-renders meanwhile goes stale: look again.
            for text in self.texts(css).await.unwrap_or_default() {
                if text.contains(needle) {
                    return Ok(text);
                }
            }
            if Instant::now() > deadline {
                bail!("no {css:?} contains {needle:?} within 20 s");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Texts of every element matching `css`.
    pub async fn texts(&self, css: &str) -> Result<Vec<String>> {
        let mut texts = Vec::new();
        for element in self.client.find_all(Locator::Css(css)).await? {
            texts.push(element.text().await?);
        }
        Ok(texts)
    }

    /// Saves a PNG of the viewport as `<target>/screenshots/{name}.png`.
    pub async fn screenshot(&self, name: &str) -> Result<PathBuf> {
        let png = self.client.screenshot().await?;
        let path = self.screenshots.join(format!("{name}.png"));
        std::fs::write(&path, png)?;
        Ok(path)
    }

    /// A page the test has reached: saves its screenshot, then fails if axe-core finds a
    /// critical or serious accessibility violation on it.
    pub async fn checkpoint(&self, name: &str) -> Result<()> {
        self.screenshot(name).await?;
        let violations = self.accessibility_violations().await?;
        if !violations.is_empty() {
            bail!(
                "{name}: axe-core found critical or serious violations:\n{}",
                violations.join("\n")
            );
        }
        Ok(())
    }

    /// Runs axe-core (`$ATELIER_AXE`, installed by `cargo xtask setup`) on the current page and
    /// returns its critical and serious violations, one line each: rule, impact, the elements.
    pub async fn accessibility_violations(&self) -> Result<Vec<String>> {
        let path = std::env::var_os("ATELIER_AXE").map(PathBuf::from).context(
            "ATELIER_AXE is not set: run the browser tests with `cargo xtask test` \
             (setup installs axe-core)",
        )?;
        let source = std::fs::read_to_string(&path)
            .with_context(|| format!("reading axe-core from {}", path.display()))?;
        self.client
            .execute(&format!("{source}\n;return typeof axe;"), vec![])
            .await?;
        let found = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 // target-size (WCAG 2.2: touch targets of 24 px) is off by default; on here.
                 axe.run(document, {resultTypes: ['violations'],
                                    rules: {'target-size': {enabled: true}}}).then(
                   r => done(r.violations
                     .filter(v => v.impact === 'critical' || v.impact === 'serious')
                     .map(v => v.id + ' (' + v.impact + '): ' + v.help + ' | ' +
                       v.nodes.slice(0, 4).map(n => n.target.join(' ') +
                         (n.failureSummary ? ' [' + n.failureSummary.replace(/\\s+/g, ' ') + ']' : ''))
                       .join('; '))),
                   e => done(['axe failed: ' + e]));",
                vec![],
            )
            .await?;
        Ok(serde_json::from_value(found)?)
    }

    /// Sends a Chrome DevTools Protocol command through chromedriver (throttling, emulation,
    /// scripts that run before a page's own) and returns its result.
    pub async fn cdp(
        &self,
        cmd: &'static str,
        params: serde_json::Value,
    ) -> Result<serde_json::Value> {
        Ok(self.client.issue_cmd(Cdp { cmd, params }).await?)
    }

    pub async fn close(self) -> Result<()> {
        self.client.clone().close().await?;
        Ok(())
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let group = format!("-{}", self.driver.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.driver.wait();
    }
}

/// chromedriver's `goog/cdp/execute` endpoint.
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: serde_json::Value,
}

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (axum::http::Method, Option<String>) {
        let body = serde_json::json!({"cmd": self.cmd, "params": self.params});
        (axum::http::Method::POST, Some(body.to_string()))
    }
}

fn free_port() -> Result<u16> {
    Ok(StdListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Connects to chromedriver once it listens (it takes a moment to start).
async fn connect(port: u16, profile: &Path, extra: &[&str]) -> Result<Client> {
    let mut args = vec![
        "--headless".to_owned(),
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        // WebGL on the CPU (SwiftShader), for the 3D viewer: there is no GPU here.
        "--use-angle=swiftshader".into(),
        "--enable-unsafe-swiftshader".into(),
        "--disable-quic".into(),
        "--no-first-run".into(),
        "--disable-background-networking".into(),
        "--disable-component-update".into(),
        "--disable-sync".into(),
        "--disable-dev-shm-usage".into(),
        "--window-size=1280,900".into(),
        format!("--user-data-dir={}", profile.display()),
    ];
    args.extend(extra.iter().map(|a| (*a).to_owned()));
    let mut chrome = serde_json::json!({ "args": args });
    if Path::new("/usr/bin/chromium").exists() {
        chrome["binary"] = "/usr/bin/chromium".into();
    }
    let mut caps = serde_json::Map::new();
    caps.insert("goog:chromeOptions".into(), chrome);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match ClientBuilder::native()
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(client) => return Ok(client),
            Err(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(err) => return Err(err).context("chromedriver did not accept a session"),
        }
    }
}

/// For the browser benchmarks: the scratch directory they share with the browser tests,
/// `$CARGO_TARGET_DIR/tmp`, else the workspace's `target/tmp`.
pub fn bench_tmp() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(|t| Path::new(&t).join("tmp"))
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/tmp"))
}

/// For the benchmarks: "min median max" of `values` (sorted in place), each right-aligned in
/// `width` columns, in whole units.
pub fn min_med_max(values: &mut [f64], width: usize) -> String {
    values.sort_by(f64::total_cmp);
    let [min, med, max] = [0, values.len() / 2, values.len() - 1].map(|i| values[i]);
    format!("{min:width$.0} {med:width$.0} {max:width$.0}")
}

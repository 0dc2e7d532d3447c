//! `cargo xtask bench search`: a synthetic commons of 100,000 designs and 1,000,000 component
//! rows. Prints indexing throughput, index size, p50/p99 latency of each query type in-process
//! and over HTTP with 32 concurrent keep-alive connections, requests per second, the ratio of
//! HTTP p50 to in-process p50, and the server's peak memory while serving.
//!
//! `cargo xtask bench search -- quick` runs a tenth of the size.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tantivy::TantivyDocument;
use tantivy::schema::Facet;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use backend::search::normalize::{component_key, material_family, normalize};
use backend::search::{ComponentQuery, DesignQuery, Search};

const LICENSES: &[&str] = &[
    "CERN-OHL-S-2.0",
    "CERN-OHL-W-2.0",
    "CERN-OHL-P-2.0",
    "CC-BY-SA-4.0",
    "GPL-3.0-or-later",
    "MIT",
];
const MATERIALS: &[&str] = &[
    "S235 steel",
    "6061 aluminium",
    "birch plywood",
    "PLA",
    "PETG",
    "stainless steel",
    "oak",
    "copper",
];
const CATEGORIES: &[&str] = &["WEL", "MEC", "3DP", "CNC", "ASM", "ELE", "WOD"];
const LEVELS: &[&str] = &[
    "OTRL-1", "OTRL-2", "OTRL-3", "OTRL-4", "OTRL-5", "OTRL-6", "OTRL-7", "OTRL-8",
];
const MAKERS: &[&str] = &[
    "Würth",
    "Bossard",
    "SKF",
    "igus",
    "Misumi",
    "Bosch Rexroth",
    "Hiwin",
    "Nanotec",
    "Mean Well",
    "Fischer",
];

/// Reproducible pseudo-random numbers (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// 3,000 pronounceable words, so the text has a realistic spread of term frequencies.
fn vocabulary() -> Vec<String> {
    const SYLLABLES: &[&str] = &[
        "ka", "lo", "mer", "tin", "sa", "ver", "dro", "pul", "ne", "ra", "fen", "gor", "bi", "str",
        "an", "el", "ox", "um", "tek", "vis",
    ];
    let mut rng = Rng(0xA5A5_1234_5678_9ABC);
    let mut words = std::collections::BTreeSet::new();
    while words.len() < 3000 {
        let n = 2 + rng.below(3);
        let word: String = (0..n).map(|_| *rng.pick(SYLLABLES)).collect();
        words.insert(word);
    }
    words.into_iter().collect()
}

/// Zipf-like pick: low indexes are much more frequent.
fn zipf<'a>(rng: &mut Rng, words: &'a [String]) -> &'a str {
    let r = (rng.below(1_000_000) as f64 / 1_000_000.0).powi(3);
    &words[(r * words.len() as f64) as usize % words.len()]
}

fn sentence(rng: &mut Rng, words: &[String], n: usize) -> String {
    (0..n)
        .map(|_| zipf(rng, words))
        .collect::<Vec<_>>()
        .join(" ")
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(str::to_owned)
        })
        .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

fn build(
    search: &Search,
    designs: usize,
    components_per_design: usize,
    words: &[String],
) -> (Duration, Vec<String>) {
    let f = *search.fields();
    let mut writer: tantivy::IndexWriter = search.index().writer(512 << 20).unwrap();
    let mut rng = Rng(0x1234_5678_9ABC_DEF1);
    let mut phrases = Vec::new();
    let started = Instant::now();
    for i in 0..designs {
        let id = format!("owner{}/design-{i}", i % 5000);
        let n = 2 + rng.below(3);
        let name = sentence(&mut rng, words, n);
        let n = 10 + rng.below(6);
        let function = sentence(&mut rng, words, n);
        if i % 997 == 0 {
            let w: Vec<&str> = function.split(' ').collect();
            phrases.push(format!("{} {}", w[3], w[4]));
        }
        let n = 100 + rng.below(100);
        let readme = sentence(&mut rng, words, n);
        let license = *rng.pick(LICENSES);
        let material = *rng.pick(MATERIALS);
        let category = *rng.pick(CATEGORIES);
        let level = *rng.pick(LEVELS);
        let mut doc = TantivyDocument::default();
        doc.add_text(f.kind, "design");
        doc.add_text(f.design_id, &id);
        doc.add_text(f.head, format!("{:040x}", i));
        doc.add_text(f.name, normalize(&name));
        doc.add_text(f.display_name, &name);
        doc.add_text(f.function, &function);
        doc.add_text(f.readme, &readme);
        doc.add_text(
            f.readme_excerpt,
            readme.chars().take(3000).collect::<String>(),
        );
        doc.add_text(f.license, license.to_lowercase());
        doc.add_facet(f.license_facet, Facet::from_path([license]));
        doc.add_text(f.readiness, level.to_lowercase());
        doc.add_facet(f.readiness_facet, Facet::from_path([level]));
        doc.add_text(f.category, category.to_lowercase());
        doc.add_facet(f.category_facet, Facet::from_path([category]));
        doc.add_text(f.material, normalize(material));
        doc.add_facet(
            f.material_facet,
            Facet::from_path([material_family(material)]),
        );
        doc.add_text(f.owner, format!("owner{}", i % 5000));
        doc.add_i64(f.updated, 1_600_000_000 + i as i64 * 60);
        doc.add_u64(f.forks, (rng.below(100) as u64).pow(2) / 100);
        doc.add_u64(f.commits, 1 + rng.below(200) as u64);
        doc.add_u64(f.contributors, 1 + rng.below(10) as u64);
        doc.add_text(f.version, "1.0.0");
        writer.add_document(doc).unwrap();
        for _ in 0..components_per_design {
            let size = [3, 4, 5, 6, 8, 10, 12][rng.below(7)];
            let length = [10, 12, 16, 20, 25, 30, 40, 50][rng.below(8)];
            let (name, pn) = match rng.below(5) {
                0 => (
                    format!("Hex bolt M{size}x{length}"),
                    format!("ISO 4017 M{size}x{length}"),
                ),
                1 => (format!("Hex nut M{size}"), format!("ISO 4032 M{size}")),
                2 => (
                    format!("Ball bearing 6{:02}-2RS", rng.below(30)),
                    String::new(),
                ),
                3 => (
                    format!("Stepper motor NEMA {}", [14, 17, 23][rng.below(3)]),
                    format!("{}HS{}", [14, 17, 23][rng.below(3)], 1000 + rng.below(9000)),
                ),
                _ => (
                    format!("{} {}", zipf(&mut rng, words), zipf(&mut rng, words)),
                    format!("P-{}", rng.below(50_000)),
                ),
            };
            let maker = *rng.pick(MAKERS);
            let material = *rng.pick(MATERIALS);
            let mut c = TantivyDocument::default();
            c.add_text(f.kind, "component");
            c.add_text(f.design_id, &id);
            c.add_text(f.head, format!("{:040x}", i));
            c.add_text(f.version, "1.0.0");
            c.add_text(f.name, normalize(&name));
            c.add_text(f.display_name, &name);
            if !pn.is_empty() {
                c.add_text(f.part_number, normalize(&pn));
                c.add_text(f.part_number_raw, &pn);
            }
            c.add_text(f.part_key, component_key(Some(&pn), &name));
            c.add_text(f.manufacturer, maker);
            c.add_facet(f.manufacturer_facet, Facet::from_path([maker]));
            c.add_text(f.material, normalize(material));
            c.add_facet(
                f.material_facet,
                Facet::from_path([material_family(material)]),
            );
            c.add_f64(f.quantity, (1 + rng.below(12)) as f64);
            c.add_text(f.quantity_text, "4");
            writer.add_document(c).unwrap();
        }
    }
    writer.commit().unwrap();
    writer.wait_merging_threads().unwrap();
    let elapsed = started.elapsed();
    search.reader().reload().unwrap();
    (elapsed, phrases)
}

/// The five design query types plus a component query, each as (label, API path, in-process run).
fn queries(words: &[String], phrases: &[String], n: usize) -> Vec<(&'static str, Vec<String>)> {
    let mut rng = Rng(0xDEAD_BEEF_CAFE_F00D);
    let common: Vec<&String> = words.iter().take(1500).collect();
    let mut kinds: Vec<(&'static str, Vec<String>)> = vec![
        ("plain word", vec![]),
        ("typo", vec![]),
        ("prefix", vec![]),
        ("phrase", vec![]),
        ("filter", vec![]),
        ("component", vec![]),
    ];
    for _ in 0..n {
        let w = common[rng.below(common.len())];
        kinds[0].1.push(w.clone());
        let mut typo: Vec<char> = w.chars().collect();
        let at = 1 + rng.below(typo.len() - 1);
        typo[at] = if typo[at] == 'a' { 'e' } else { 'a' };
        kinds[1].1.push(typo.into_iter().collect());
        kinds[2].1.push(w.chars().take(3).collect());
        kinds[3]
            .1
            .push(format!("\"{}\"", phrases[rng.below(phrases.len())]));
        kinds[4].1.push(format!(
            "{w} license:{}",
            LICENSES[rng.below(LICENSES.len())]
        ));
        kinds[5].1.push(
            ["M8 bolt", "NEMA 17", "608-2RS", "hex nut M6", "bearing"][rng.below(5)].to_owned(),
        );
    }
    kinds
}

fn in_process(search: &Search, kind: &str, q: &str) {
    if kind == "component" {
        search
            .components(&ComponentQuery {
                q: q.to_owned(),
                page: 1,
                per_page: 20,
                ..Default::default()
            })
            .unwrap();
    } else {
        search
            .designs(&DesignQuery {
                q: q.to_owned(),
                page: 1,
                per_page: 20,
                ..Default::default()
            })
            .unwrap();
    }
}

fn encode(q: &str) -> String {
    q.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

async fn http_get(stream: &mut tokio::net::TcpStream, path: &str, buf: &mut Vec<u8>) -> u16 {
    let request = format!("GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    buf.clear();
    let mut chunk = [0u8; 16384];
    loop {
        let n = stream.read(&mut chunk).await.unwrap();
        assert!(n > 0, "server closed the connection");
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .expect("content-length");
            while buf.len() < end + 4 + length {
                let n = stream.read(&mut chunk).await.unwrap();
                assert!(n > 0);
                buf.extend_from_slice(&chunk[..n]);
            }
            return head[9..12].parse().unwrap();
        }
    }
}

fn main() {
    let quick = std::env::args().any(|a| a == "quick");
    let (designs, per_design) = if quick { (10_000, 10) } else { (100_000, 10) };
    let tmp = std::env::var("CARGO_TARGET_TMPDIR")
        .unwrap_or_else(|_| std::env::temp_dir().display().to_string());
    std::fs::create_dir_all(&tmp).unwrap();
    let dir = tempfile::tempdir_in(&tmp).unwrap();
    let data = dir.path().join("data");
    let words = vocabulary();

    let search = Search::open(&data.join("search")).unwrap();
    let (took, phrases) = build(&search, designs, per_design, &words);
    let docs = designs * (1 + per_design);
    let size = Search::size_on_disk(&data.join("search"));
    println!(
        "synthetic commons: {designs} designs, {} component rows",
        designs * per_design
    );
    println!(
        "indexing: {:.1} s, {:.0} docs/s; index size {:.0} MB",
        took.as_secs_f64(),
        docs as f64 / took.as_secs_f64(),
        size as f64 / 1e6
    );

    // In-process latency.
    let kinds = queries(&words, &phrases, 400);
    let mut inproc_p50 = Vec::new();
    println!(
        "\n{:<12} {:>12} {:>12} {:>12} {:>12} {:>10} {:>8}",
        "query", "in-proc p50", "in-proc p99", "HTTP p50", "HTTP p99", "req/s", "ratio"
    );
    let mut rows = Vec::new();
    for (kind, qs) in &kinds {
        for q in qs.iter().take(20) {
            in_process(&search, kind, q); // warm up
        }
        let mut times: Vec<Duration> = qs
            .iter()
            .map(|q| {
                let t = Instant::now();
                in_process(&search, kind, q);
                t.elapsed()
            })
            .collect();
        times.sort();
        inproc_p50.push(percentile(&times, 0.5));
        rows.push((*kind, percentile(&times, 0.5), percentile(&times, 0.99)));
    }

    // Over HTTP: the real router, 32 concurrent keep-alive connections.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let http: Vec<(Duration, Duration, f64)> = runtime.block_on(async {
        let state = open_app(&data, search.clone()).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(backend::server::serve(
            listener,
            state,
            std::future::pending(),
        ));
        // Peak memory counts from here: serving, not building.
        let _ = std::fs::write("/proc/self/clear_refs", "5");
        let mut out = Vec::new();
        for (kind, qs) in &kinds {
            let qs = Arc::new(qs.clone());
            let endpoint = if *kind == "component" {
                "/api/components"
            } else {
                "/api/search"
            };
            let started = Instant::now();
            let mut tasks = Vec::new();
            for c in 0..32 {
                let qs = qs.clone();
                tasks.push(tokio::spawn(async move {
                    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
                    let mut buf = Vec::new();
                    let mut times = Vec::new();
                    for i in 0..25 {
                        let q = &qs[(c * 25 + i) % qs.len()];
                        let path = format!("{endpoint}?q={}&per_page=20", encode(q));
                        let t = Instant::now();
                        let status = http_get(&mut stream, &path, &mut buf).await;
                        times.push(t.elapsed());
                        assert_eq!(status, 200, "{path}");
                    }
                    times
                }));
            }
            let mut times = Vec::new();
            for task in tasks {
                times.extend(task.await.unwrap());
            }
            let wall = started.elapsed();
            times.sort();
            out.push((
                percentile(&times, 0.5),
                percentile(&times, 0.99),
                times.len() as f64 / wall.as_secs_f64(),
            ));
        }
        out
    });
    for ((kind, p50, p99), (hp50, hp99, rps)) in rows.iter().zip(&http) {
        println!(
            "{:<12} {:>9.2} ms {:>9.2} ms {:>9.2} ms {:>9.2} ms {:>10.0} {:>7.1}x",
            kind,
            p50.as_secs_f64() * 1e3,
            p99.as_secs_f64() * 1e3,
            hp50.as_secs_f64() * 1e3,
            hp99.as_secs_f64() * 1e3,
            rps,
            hp50.as_secs_f64() / p50.as_secs_f64()
        );
    }
    println!(
        "\npeak RSS while serving: {:.0} MiB",
        peak_rss_kib() as f64 / 1024.0
    );
    let _ = inproc_p50;
}

/// The real application over `data`, serving the prebuilt index read-only.
async fn open_app(data: &std::path::Path, search: Search) -> backend::AppState {
    let config = backend::Config {
        addr: "127.0.0.1:0".parse().unwrap(),
        data: data.to_owned(),
        dist: data.join("dist"),
        designs: data.join("no-samples"),
        public_url: None,
        database: None,
        max_upload: 1 << 20,
        max_push: 4 << 30,
        hook_program: None,
        allow_import_from: Vec::new(),
        import_ca_file: None,
        image_proxy: true,
        image_proxy_allow_private: false,
        trusted_proxies: Vec::new(),
        client_ip_header: "x-forwarded-for".into(),
    };
    let events = backend::events::Events::new();
    let store = backend::store::Store::open(data.join("store"), events.clone()).unwrap();
    let pool = backend::db::open(&backend::db::Location::in_data(data))
        .await
        .unwrap();
    let accounts = backend::accounts::Accounts::new(pool.clone());
    let labor = backend::labor::Labor::new(
        pool.clone(),
        store.clone(),
        backend::labor::Policy::default_policy(),
    );
    let catalog = backend::catalog::Catalog::read_only(pool.clone(), store.clone());
    let proposals = backend::proposals::Proposals::read_only(
        pool.clone(),
        store.clone(),
        &events,
        labor.clone(),
    );
    let bundles =
        backend::bundle::Bundles::open(data.join("bundles"), store.clone(), labor.clone(), pool)
            .unwrap();
    let blobs = backend::blobs::Blobs::open(data.join("blob-cache"), store.clone()).unwrap();
    backend::AppState(Arc::new(backend::App {
        config,
        store,
        accounts,
        events,
        uploads: backend::uploads::Uploads::open(data.join("uploads")).unwrap(),
        search,
        indexer: backend::search::Indexer::read_only(),
        labor,
        bundles,
        blobs,
        images: backend::images::ImageProxy::open(data, true, false).unwrap(),
        meshes: backend::mesh::Cache::default(),
        pictures: backend::mesh::Cache::new(1 << 20),
        model_diffs: backend::mesh::Cache::new(1 << 20),
        catalog,
        proposals,
        consumers: Vec::new(),
        hooks: backend::hooks::Hooks::start(data, &std::env::current_exe().unwrap()).unwrap(),
    }))
}

//! `cargo xtask bench list`: `GET /api/designs?page=1` and `?page=50` through the real router
//! (in-process, `oneshot`) with 10,000 and 100,000 design rows inserted directly into the
//! `designs` table, p50 and p99; beside it the work the handler did before design rows
//! existed: open every repository (`Store::ids`, `Store::record` and `Store::fork_counts`),
//! sort and page, on a store that really holds 10,000 designs (one root and its forks).
//! `quick`: 10,000 rows only.

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use backend::store::{DesignId, NewCommit, Person, Store};
use http_body_util::BodyExt as _;
use tower::ServiceExt as _;

fn bench_person() -> Person {
    Person {
        name: "Bench".into(),
        email: "bench@example.org".into(),
        time: 1_700_000_000,
    }
}

fn percentile(times: &mut [Duration], p: f64) -> Duration {
    times.sort();
    times[((times.len() - 1) as f64 * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

async fn insert_rows(data: &std::path::Path, count: usize) {
    let pool = backend::db::open(&backend::db::Location::in_data(data))
        .await
        .unwrap();
    let mut tx = backend::db::begin_write(&pool).await.unwrap();
    for n in 0..count {
        let id = format!("owner{}/design-{n:06}", n % 997);
        let (owner, slug) = id.split_once('/').unwrap();
        sqlx::query(
            "INSERT INTO designs (id, owner, slug, network, parent, forked_at, created_at, \
             default_branch, head, name, name_key, function, license, version, readiness, \
             manifest_error, updated, forks) VALUES ($1, $2, $3, $4, NULL, NULL, $5, 'main', \
             $6, $7, $8, $9, 'CERN-OHL-S-2.0', '1.0', 'OTRL-4', NULL, $10, $11)",
        )
        .bind(&id)
        .bind(owner)
        .bind(slug)
        .bind(format!("net-{n}"))
        .bind(1_700_000_000 + n as i64)
        .bind(format!("{:040x}", n))
        .bind(format!("Design {n}"))
        .bind(format!("design {n}"))
        .bind("A synthetic design for the list benchmark")
        .bind(1_700_000_000 + ((n * 7919) % 1_000_000) as i64)
        .bind((n % 13) as i64)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    pool.close().await;
}

async fn get(app: &axum::Router, uri: &str) -> Duration {
    let started = Instant::now();
    let response = app
        .clone()
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{uri}");
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert!(body.len() > 100);
    started.elapsed()
}

/// What `GET /api/designs` did per request before design rows: every repository opened.
fn old_list(store: &Store, page: usize, per_page: usize) -> usize {
    let mut records: Vec<_> = store
        .ids()
        .unwrap()
        .iter()
        .filter_map(|id| store.record(id).ok())
        .collect();
    let forks = store.fork_counts().unwrap();
    records.sort_by(|a, b| b.updated.cmp(&a.updated).then_with(|| a.id.cmp(&b.id)));
    records
        .iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .map(|r| std::hint::black_box(forks.get(&r.id).copied().unwrap_or(0)))
        .collect::<Vec<u64>>()
        .len()
}

#[tokio::main]
async fn main() {
    let quick = std::env::args().nth(1).as_deref() == Some("quick");
    let sizes: &[usize] = if quick { &[10_000] } else { &[10_000, 100_000] };
    let target = std::env::var("CARGO_TARGET_TMPDIR")
        .unwrap_or_else(|_| std::env::temp_dir().display().to_string());
    std::fs::create_dir_all(&target).unwrap();
    println!(
        "{:<10} {:<16} {:>12} {:>12} {:>8}",
        "designs", "request", "p50", "p99", "runs"
    );
    for &count in sizes {
        let dir = tempfile::tempdir_in(&target).unwrap();
        let data = dir.path().join("data");
        let empty = dir.path().join("no-samples");
        std::fs::create_dir_all(&empty).unwrap();
        std::fs::create_dir_all(&data).unwrap();
        insert_rows(&data, count).await;
        let state = backend::App::open(backend::Config {
            addr: "127.0.0.1:0".parse().unwrap(),
            data: data.clone(),
            dist: data.join("dist"),
            designs: empty,
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
        })
        .await
        .unwrap();
        let app = backend::http::app(state);
        for uri in ["/api/designs?page=1", "/api/designs?page=50"] {
            for _ in 0..20 {
                get(&app, uri).await;
            }
            let mut times = Vec::new();
            for _ in 0..300 {
                times.push(get(&app, uri).await);
            }
            println!(
                "{:<10} {:<16} {:>12} {:>12} {:>8}",
                count,
                uri.trim_start_matches("/api/designs"),
                ms(percentile(&mut times, 0.5)),
                ms(percentile(&mut times, 0.99)),
                times.len()
            );
        }
    }

    // Before: the same list computed by opening every repository of a real store.
    let count = 10_000;
    let dir = tempfile::tempdir_in(&target).unwrap();
    let store = Store::open(dir.path().join("store"), backend::events::Events::new()).unwrap();
    let root = DesignId::new("bench", "root").unwrap();
    store
        .create(
            &root,
            &[NewCommit {
                author: bench_person(),
                committer: bench_person(),
                message: "Start\n".into(),
                files: [(
                    "okh.toml".to_owned(),
                    b"name = \"Root\"\nlicense = \"CERN-OHL-S-2.0\"\n".to_vec(),
                )]
                .into(),
            }],
        )
        .unwrap();
    let started = Instant::now();
    for n in 1..count {
        let fork = DesignId::new(&format!("owner{}", n % 997), &format!("fork-{n:06}")).unwrap();
        store.fork(&root, &fork).unwrap();
    }
    println!(
        "\nbefore (every repository opened per request), {count} designs; forks written in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    for (label, page) in [("?page=1", 1), ("?page=50", 50)] {
        let mut times = Vec::new();
        for _ in 0..12 {
            let started = Instant::now();
            assert_eq!(old_list(&store, page, 20), 20);
            times.push(started.elapsed());
        }
        println!(
            "{:<10} {:<16} {:>12} {:>12} {:>8}",
            count,
            label,
            ms(percentile(&mut times, 0.5)),
            ms(percentile(&mut times, 0.99)),
            times.len()
        );
    }
}

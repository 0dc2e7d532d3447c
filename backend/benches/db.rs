//! `cargo xtask bench db`: the database of record on SQLite and on PostgreSQL side by side —
//! sign-in (argon2id verify plus a new session), session lookup, inserting 100,000 ledger
//! entries in one transaction, and one account's entries (10,000 of them) for its labor page.
//! PostgreSQL is the throwaway cluster `cargo xtask bench db` starts (`ATELIER_BENCH_POSTGRES`);
//! without it only SQLite is measured.

use std::time::{Duration, Instant};

use backend::accounts::Accounts;
use backend::db::{self, Location};
use backend::labor::{Entry, Labor, Policy};
use backend::store::Store;

const ENTRIES: usize = 100_000;
const ACCOUNTS: usize = 10;

fn percentile(times: &mut [Duration], p: f64) -> Duration {
    times.sort();
    times[((times.len() - 1) as f64 * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

fn entry(n: usize) -> Entry {
    Entry {
        id: format!("{n:016x}"),
        network: "bench-net".into(),
        design: "bench/machine".into(),
        commit: format!("{:040x}", n / 2),
        committed_at: 1_700_000_000 + n as i64,
        contributor_name: format!("Person {}", n % ACCOUNTS),
        contributor_email: format!("p{}@example.org", n % ACCOUNTS),
        account: Some(format!("p{}", n % ACCOUNTS)),
        work_type: "design".into(),
        hours: 1.5,
        estimated: n.is_multiple_of(3),
        weight: 1.0,
        skill: "standard".into(),
        multiplier: 1.0,
        units: 1.5,
        status: if n.is_multiple_of(2) {
            "validated"
        } else {
            "pending"
        },
        policy_version: "bench".into(),
        rule: "Labor-Hours trailer".into(),
        warnings: Vec::new(),
    }
}

struct Row {
    what: &'static str,
    figures: Vec<String>,
}

async fn measure(location: &Location, store: &Store) -> Vec<String> {
    let pool = db::open(location).await.unwrap();
    let accounts = Accounts::new(pool.clone());
    accounts
        .create("ada", "ada@example.org", "analytical-engine")
        .await
        .unwrap();
    let mut out = Vec::new();

    let mut times = Vec::new();
    let mut secret = String::new();
    for _ in 0..20 {
        let started = Instant::now();
        let account = accounts
            .authenticate("ada", "analytical-engine")
            .await
            .unwrap()
            .unwrap();
        secret = accounts.create_session(&account).await.unwrap().0;
        times.push(started.elapsed());
    }
    out.push(ms(percentile(&mut times, 0.5)));

    let mut times = Vec::new();
    for _ in 0..2000 {
        let started = Instant::now();
        assert!(accounts.session(&secret).await.unwrap().is_some());
        times.push(started.elapsed());
    }
    out.push(format!(
        "{} / {}",
        ms(percentile(&mut times, 0.5)),
        ms(percentile(&mut times, 0.99))
    ));

    let labor = Labor::new(pool.clone(), store.clone(), Policy::default_policy());
    let entries: Vec<Entry> = (0..ENTRIES).map(entry).collect();
    let started = Instant::now();
    labor.replace("bench-net", &entries).await.unwrap();
    let took = started.elapsed();
    out.push(format!(
        "{:.2} s ({:.0}/s)",
        took.as_secs_f64(),
        ENTRIES as f64 / took.as_secs_f64()
    ));

    let mut times = Vec::new();
    for _ in 0..20 {
        let started = Instant::now();
        let mine = labor.account_entries("p3").await.unwrap();
        assert_eq!(mine.len(), ENTRIES / ACCOUNTS);
        times.push(started.elapsed());
    }
    out.push(format!(
        "{} / {}",
        ms(percentile(&mut times, 0.5)),
        ms(percentile(&mut times, 0.99))
    ));
    pool.close().await;
    out
}

#[tokio::main]
async fn main() {
    let target = std::env::var("CARGO_TARGET_TMPDIR")
        .unwrap_or_else(|_| std::env::temp_dir().display().to_string());
    std::fs::create_dir_all(&target).unwrap();
    let dir = tempfile::tempdir_in(&target).unwrap();
    let store = Store::open(dir.path().join("store"), backend::events::Events::new()).unwrap();

    let mut columns = vec![("SQLite", Location::in_data(dir.path()))];
    match std::env::var("ATELIER_BENCH_POSTGRES") {
        Ok(cluster) => columns.push((
            "PostgreSQL",
            Location::Postgres(db::create_test_database(&cluster).await),
        )),
        Err(_) => eprintln!("ATELIER_BENCH_POSTGRES is not set: SQLite only"),
    }
    let mut rows = vec![
        Row {
            what: "sign-in (p50)",
            figures: Vec::new(),
        },
        Row {
            what: "session lookup (p50 / p99)",
            figures: Vec::new(),
        },
        Row {
            what: "insert 100,000 ledger entries",
            figures: Vec::new(),
        },
        Row {
            what: "account entries, 10,000 (p50 / p99)",
            figures: Vec::new(),
        },
    ];
    for (_, location) in &columns {
        for (row, figure) in rows.iter_mut().zip(measure(location, &store).await) {
            row.figures.push(figure);
        }
    }
    print!("| {:<38} |", "");
    for (name, _) in &columns {
        print!(" {name:<24} |");
    }
    println!();
    for row in rows {
        print!("| {:<38} |", row.what);
        for figure in row.figures {
            print!(" {figure:<24} |");
        }
        println!();
    }
}

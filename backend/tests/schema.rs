//! The two dialects' migrations stay in step: after migrating a new SQLite database and a new
//! PostgreSQL database, both have the same tables, the same columns in the same order and the
//! same indexes; and no PostgreSQL integer column is narrower than `BIGINT` (Rust reads every
//! integer as `i64`). Needs the cluster `cargo xtask test` starts (`ATELIER_TEST_POSTGRES`).

use std::collections::BTreeMap;

use backend::db::{self, Location};

type Schema = BTreeMap<String, (Vec<String>, Vec<String>)>;

async fn strings(pool: &db::Pool, sql: &str, bind: Option<&str>) -> Vec<String> {
    let mut query = sqlx::query_scalar::<_, String>(sql);
    if let Some(value) = bind {
        query = query.bind(value.to_owned());
    }
    query.fetch_all(pool).await.unwrap()
}

async fn sqlite_schema(pool: &db::Pool) -> Schema {
    let mut schema = Schema::new();
    for table in strings(
        pool,
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
         AND name <> '_sqlx_migrations' ORDER BY name",
        None,
    )
    .await
    {
        let columns = strings(
            pool,
            "SELECT name FROM pragma_table_info($1) ORDER BY cid",
            Some(&table),
        )
        .await;
        let indexes = strings(
            pool,
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = $1 \
             AND name NOT LIKE 'sqlite_autoindex_%' ORDER BY name",
            Some(&table),
        )
        .await;
        schema.insert(table, (columns, indexes));
    }
    schema
}

async fn postgres_schema(pool: &db::Pool) -> Schema {
    let mut schema = Schema::new();
    for table in strings(
        pool,
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' \
         AND table_name <> '_sqlx_migrations' ORDER BY table_name",
        None,
    )
    .await
    {
        let columns = strings(
            pool,
            "SELECT column_name::text FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position",
            Some(&table),
        )
        .await;
        // Primary keys and UNIQUE constraints have implicit indexes in both dialects.
        let indexes = strings(
            pool,
            "SELECT indexname::text FROM pg_indexes WHERE schemaname = 'public' \
             AND tablename = $1 AND indexname NOT LIKE '%\\_pkey' AND indexname NOT LIKE '%\\_key' \
             ORDER BY indexname",
            Some(&table),
        )
        .await;
        schema.insert(table, (columns, indexes));
    }
    schema
}

#[tokio::test]
async fn both_dialects_migrate_to_the_same_schema() {
    let cluster = std::env::var("ATELIER_TEST_POSTGRES")
        .expect("run through `cargo xtask test`, which starts PostgreSQL (ATELIER_TEST_POSTGRES)");
    let dir = tempfile::tempdir().unwrap();
    let sqlite = db::open(&Location::in_data(dir.path())).await.unwrap();
    let postgres = db::open(&Location::Postgres(
        db::create_test_database(&cluster).await,
    ))
    .await
    .unwrap();

    let (lite, pg) = (
        sqlite_schema(&sqlite).await,
        postgres_schema(&postgres).await,
    );
    assert!(
        lite.contains_key("events") && lite.contains_key("designs"),
        "{lite:?}"
    );
    assert_eq!(
        lite.keys().collect::<Vec<_>>(),
        pg.keys().collect::<Vec<_>>(),
        "tables"
    );
    for (table, (columns, indexes)) in &lite {
        assert_eq!(*columns, pg[table].0, "columns of {table}");
        assert_eq!(*indexes, pg[table].1, "indexes of {table}");
    }

    let narrow = strings(
        &postgres,
        "SELECT (table_name || '.' || column_name)::text FROM information_schema.columns \
         WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations' \
         AND data_type IN ('smallint', 'integer') ORDER BY 1",
        None,
    )
    .await;
    assert!(
        narrow.is_empty(),
        "integer columns narrower than BIGINT: {narrow:?}"
    );
}

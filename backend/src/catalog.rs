//! Designs as rows: the `designs` table, what lists, fork counts, fork lists, network trees
//! (built here, [`tree`]) and profiles read, so no request opens every repository.
//!
//! Invariant: derived data. Consumer `catalog` of the event log refreshes the row of every
//! design an event names (and its parent's fork count) from the store; [`Catalog::rebuild`]
//! (`atelier reindex`) recreates the table from the repositories, which stay the truth.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::db::{self, Pool};
use crate::events::{Consumer, Events};
use crate::manifest::{MAX_FUNCTION, MAX_SHORT_FIELD, clip};
use crate::store::{self, DesignId, Store};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Store(#[from] store::Error),
    #[error(transparent)]
    Join(#[from] tokio::task::JoinError),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One design row.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DesignRow {
    pub id: String,
    pub owner: String,
    pub slug: String,
    pub network: String,
    pub parent: Option<String>,
    pub forked_at: Option<String>,
    pub created_at: i64,
    pub default_branch: String,
    pub head: String,
    pub name: String,
    pub function: String,
    pub license: Option<String>,
    pub version: Option<String>,
    pub readiness: Option<String>,
    pub manifest_error: Option<String>,
    pub updated: i64,
    pub forks: i64,
    /// The manifest's first `image`, as written (a path in the design, or a URL).
    pub image: Option<String>,
}

const COLUMNS: &str = "id, owner, slug, network, parent, forked_at, created_at, default_branch, \
    head, name, function, license, version, readiness, manifest_error, updated, forks, image";

/// How a list is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Newest head first.
    Updated,
    /// Case-insensitive name.
    Name,
    /// Most direct forks first.
    Forks,
    /// Most bundle downloads first (the `bundle_downloads` counts, every commit and format).
    Downloads,
}

/// Which designs a list shows.
#[derive(Debug, Clone)]
pub struct ListQuery {
    pub owner: Option<String>,
    /// Only designs under this SPDX expression (compared without case, as SPDX ids are).
    pub license: Option<String>,
    /// Only designs at this technology readiness level (compared without case).
    pub readiness: Option<String>,
    /// Forks are listed too; `false` lists only designs that are no one's fork.
    pub include_forks: bool,
    pub order: Order,
    /// Rows to skip and to return.
    pub offset: u64,
    pub limit: u64,
}

/// How long a read waits for the consumer to apply events appended before it (a writer then
/// sees its own write in lists); past it the read answers from the rows as they are.
const READ_YOUR_WRITES: Duration = Duration::from_secs(2);

/// The design rows and the consumer that keeps them.
#[derive(Debug, Clone)]
pub struct Catalog {
    pool: Pool,
    store: Store,
    consumer: Option<Consumer>,
}

impl Catalog {
    /// The rows in `pool`, kept current from `events` (consumer `catalog`).
    pub fn follow(pool: Pool, store: Store, events: &Events) -> Self {
        let mut catalog = Self {
            pool,
            store,
            consumer: None,
        };
        let follower = catalog.clone();
        catalog.consumer = Some(events.follow("catalog", move |batch| {
            let catalog = follower.clone();
            async move {
                let ids: BTreeSet<DesignId> = batch
                    .into_iter()
                    .filter(|e| e.payload.touches_repository())
                    .map(|e| e.design)
                    .collect();
                catalog.refresh(ids).await?;
                Ok(())
            }
        }));
        catalog
    }

    /// Rows only, nothing follows the log (tools and benchmarks).
    pub fn read_only(pool: Pool, store: Store) -> Self {
        Self {
            pool,
            store,
            consumer: None,
        }
    }

    pub fn consumer(&self) -> Option<&Consumer> {
        self.consumer.as_ref()
    }

    /// Waits (bounded) until events appended before the call are applied.
    async fn caught_up(&self) {
        if let Some(consumer) = &self.consumer {
            let _ = tokio::time::timeout(READ_YOUR_WRITES, consumer.settled()).await;
        }
    }

    /// Re-reads these designs from the store: a row per existing design, none for a design
    /// that is gone; then the fork counts of their parents (old and new).
    pub async fn refresh(&self, ids: BTreeSet<DesignId>) -> Result<()> {
        let store = self.store.clone();
        let rows =
            tokio::task::spawn_blocking(move || -> Result<Vec<(DesignId, Option<DesignRow>)>> {
                ids.into_iter()
                    .map(|id| Ok((id.clone(), read_row(&store, &id)?)))
                    .collect()
            })
            .await??;
        let mut parents = BTreeSet::new();
        let mut tx = db::begin_write(&self.pool).await?;
        for (id, row) in rows {
            let id = id.to_string();
            let old_parent: Option<Option<String>> =
                sqlx::query_scalar("SELECT parent FROM designs WHERE id = $1")
                    .bind(&id)
                    .fetch_optional(&mut *tx)
                    .await?;
            parents.extend(old_parent.flatten());
            sqlx::query("DELETE FROM designs WHERE id = $1")
                .bind(&id)
                .execute(&mut *tx)
                .await?;
            if let Some(row) = row {
                parents.extend(row.parent.clone());
                insert(&mut tx, &row).await?;
                parents.insert(id);
            }
        }
        for parent in parents {
            sqlx::query(
                "UPDATE designs SET forks = (SELECT COUNT(*) FROM designs c WHERE c.parent = $1) \
                 WHERE id = $1",
            )
            .bind(&parent)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Replaces every row with what the store holds now; returns how many designs there are.
    pub async fn rebuild(&self) -> Result<usize> {
        let store = self.store.clone();
        let rows = tokio::task::spawn_blocking(move || -> Result<Vec<DesignRow>> {
            let mut rows = Vec::new();
            for id in store.ids()? {
                rows.extend(read_row(&store, &id)?);
            }
            Ok(rows)
        })
        .await??;
        let mut tx = db::begin_write(&self.pool).await?;
        sqlx::query("DELETE FROM designs").execute(&mut *tx).await?;
        for row in &rows {
            insert(&mut tx, row).await?;
        }
        sqlx::query(
            "UPDATE designs SET forks = (SELECT COUNT(*) FROM designs c WHERE c.parent = designs.id)",
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(rows.len())
    }

    /// A page of designs and how many match.
    pub async fn list(&self, query: &ListQuery) -> Result<(Vec<DesignRow>, u64)> {
        self.caught_up().await;
        let order = match query.order {
            Order::Updated => "updated DESC, id",
            Order::Name => "name_key, id",
            Order::Forks => "forks DESC, id",
            Order::Downloads => {
                "(SELECT COALESCE(SUM(b.downloads), 0) FROM bundle_downloads b \
                 WHERE b.design = designs.id) DESC, id"
            }
        };
        // Every value is a bound parameter; only the fixed column names enter the SQL text.
        let mut clauses = Vec::new();
        let mut values: Vec<&str> = Vec::new();
        for (clause, value) in [
            ("owner = ", &query.owner),
            ("LOWER(license) = LOWER(", &query.license),
            ("LOWER(readiness) = LOWER(", &query.readiness),
        ] {
            if let Some(value) = value {
                values.push(value);
                let close = if clause.ends_with('(') { ")" } else { "" };
                clauses.push(format!("{clause}${}{close}", values.len()));
            }
        }
        if !query.include_forks {
            clauses.push("parent IS NULL".to_owned());
        }
        let filter = if clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", clauses.join(" AND "))
        };
        let count_sql = format!("SELECT COUNT(*) FROM designs {filter}");
        let mut count = sqlx::query_scalar::<_, i64>(&count_sql);
        for value in &values {
            count = count.bind(*value);
        }
        let total = count.fetch_one(&self.pool).await?;
        let sql = format!(
            "SELECT {COLUMNS} FROM designs {filter} ORDER BY {order} LIMIT ${} OFFSET ${}",
            values.len() + 1,
            values.len() + 2
        );
        let mut rows = sqlx::query_as::<_, DesignRow>(&sql);
        for value in &values {
            rows = rows.bind(*value);
        }
        let rows = rows
            .bind(clamp(query.limit))
            .bind(clamp(query.offset))
            .fetch_all(&self.pool)
            .await?;
        Ok((rows, total.max(0) as u64))
    }

    /// The row of one design.
    pub async fn get(&self, id: &DesignId) -> Result<Option<DesignRow>> {
        self.caught_up().await;
        Ok(
            sqlx::query_as(&format!("SELECT {COLUMNS} FROM designs WHERE id = $1"))
                .bind(id.to_string())
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// The rows of these designs (those that exist), in one query.
    pub async fn rows(&self, ids: &[DesignId]) -> Result<Vec<DesignRow>> {
        self.caught_up().await;
        let mut rows = Vec::new();
        for chunk in ids.chunks(500) {
            let placeholders: Vec<String> = (1..=chunk.len()).map(|n| format!("${n}")).collect();
            let sql = format!(
                "SELECT {COLUMNS} FROM designs WHERE id IN ({}) ORDER BY id",
                placeholders.join(", ")
            );
            let mut query = sqlx::query_as::<_, DesignRow>(&sql);
            for id in chunk {
                query = query.bind(id.to_string());
            }
            rows.extend(query.fetch_all(&self.pool).await?);
        }
        Ok(rows)
    }

    /// Designs forked directly from `id`, in name order.
    pub async fn forks(&self, id: &DesignId) -> Result<Vec<DesignRow>> {
        self.caught_up().await;
        Ok(sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM designs WHERE parent = $1 ORDER BY owner, slug"
        ))
        .bind(id.to_string())
        .fetch_all(&self.pool)
        .await?)
    }

    /// Every member of a network, in name order.
    pub async fn network(&self, network: &str) -> Result<Vec<DesignRow>> {
        self.caught_up().await;
        Ok(sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM designs WHERE network = $1 ORDER BY owner, slug"
        ))
        .bind(network)
        .fetch_all(&self.pool)
        .await?)
    }

    /// How many designs there are.
    pub async fn count(&self) -> Result<u64> {
        self.caught_up().await;
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM designs")
            .fetch_one(&self.pool)
            .await?;
        Ok(count.max(0) as u64)
    }
}

/// A member of a network tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tree {
    pub id: String,
    /// The parent's head when this design was forked (none for the root).
    pub forked_at: Option<String>,
    pub children: Vec<Tree>,
}

/// The fork tree of a network's rows, from their parent links. Members whose parent is gone
/// hang off the root, so nothing disappears; an empty network gives a node with an empty id.
pub fn tree(rows: &[DesignRow]) -> Tree {
    fn node(row: &DesignRow, rows: &[DesignRow], forked_at: Option<String>) -> Tree {
        Tree {
            id: row.id.clone(),
            forked_at,
            children: rows
                .iter()
                .filter(|child| child.parent.as_deref() == Some(row.id.as_str()))
                .map(|child| node(child, rows, child.forked_at.clone()))
                .collect(),
        }
    }
    let exists = |id: &str| rows.iter().any(|r| r.id == id);
    let tops: Vec<&DesignRow> = rows
        .iter()
        .filter(|r| r.parent.as_deref().is_none_or(|p| !exists(p)))
        .collect();
    let Some(root) = tops
        .iter()
        .find(|r| r.parent.is_none())
        .or(tops.first())
        .copied()
    else {
        return Tree {
            id: String::new(),
            forked_at: None,
            children: Vec::new(),
        };
    };
    let mut tree = node(root, rows, None);
    for orphan in tops.iter().filter(|r| r.id != root.id) {
        tree.children
            .push(node(orphan, rows, orphan.forked_at.clone()));
    }
    tree
}

fn clamp(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The row of `id` as the store has it now; `None` when the design does not exist (or is still
/// being created: its event comes once it is readable).
fn read_row(store: &Store, id: &DesignId) -> Result<Option<DesignRow>> {
    if !store.exists(id) {
        return Ok(None);
    }
    let record = match store.record(id) {
        Ok(record) => record,
        // Not there, or created empty and not pushed to yet.
        Err(store::Error::NotFound(_) | store::Error::Missing(_)) => return Ok(None),
        Err(store::Error::Git(err)) if err.code() == git2::ErrorCode::NotFound => {
            return Ok(None);
        }
        Err(err) => return Err(err.into()),
    };
    let created_at = store.created(id)?.unwrap_or(record.updated);
    let (manifest, manifest_error) = match record.manifest {
        Ok(manifest) => (manifest, None),
        Err(err) => (Default::default(), Some(err.to_string())),
    };
    let crate::manifest::Manifest {
        name,
        function,
        license,
        version,
        technology_readiness_level,
        image,
        ..
    } = manifest;
    Ok(Some(DesignRow {
        id: id.to_string(),
        owner: id.owner().to_owned(),
        slug: id.slug().to_owned(),
        network: record.lineage.network,
        parent: record.lineage.parent.as_ref().map(|(p, _)| p.to_string()),
        forked_at: record.lineage.parent.as_ref().map(|(_, at)| at.to_string()),
        created_at,
        default_branch: record.default_branch,
        head: record.head.to_string(),
        // Manifests are user text of any size: rows (and every list) carry clipped fields.
        name: clip(
            &name.unwrap_or_else(|| id.slug().to_owned()),
            MAX_SHORT_FIELD,
        ),
        function: clip(&function.unwrap_or_default(), MAX_FUNCTION),
        license: license.map(|l| clip(&l, MAX_SHORT_FIELD)),
        version: version.map(|v| clip(&v, MAX_SHORT_FIELD)),
        readiness: technology_readiness_level.map(|r| clip(&r, MAX_SHORT_FIELD)),
        manifest_error,
        updated: record.updated,
        forks: 0,
        image: image.first().filter(|i| i.len() <= 1024),
    }))
}

async fn insert(tx: &mut sqlx::Transaction<'static, db::Db>, row: &DesignRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO designs (id, owner, slug, network, parent, forked_at, created_at, \
         default_branch, head, name, name_key, function, license, version, readiness, \
         manifest_error, updated, image, forks) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
         $18, (SELECT COUNT(*) FROM designs c WHERE c.parent = $1))",
    )
    .bind(&row.id)
    .bind(&row.owner)
    .bind(&row.slug)
    .bind(&row.network)
    .bind(&row.parent)
    .bind(&row.forked_at)
    .bind(row.created_at)
    .bind(&row.default_branch)
    .bind(&row.head)
    .bind(&row.name)
    .bind(row.name.to_lowercase())
    .bind(&row.function)
    .bind(&row.license)
    .bind(&row.version)
    .bind(&row.readiness)
    .bind(&row.manifest_error)
    .bind(row.updated)
    .bind(&row.image)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

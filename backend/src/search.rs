//! Search over designs and their components with Tantivy.
//!
//! One index holds two kinds of documents (`kind` = `design` or `component`): one per design
//! (its manifest, README, keywords, facets, counts) and one per BOM row and manifest `[[part]]`.
//! A design and its components are replaced together in one commit, so they always describe the
//! same head, which the design document records (`head`) for crash recovery.
//!
//! Invariants: one long-lived `IndexWriter`, owned by the indexer thread and fed by a channel
//! (see [`indexer`]); one `IndexReader` for the process and a new `Searcher` per query. The index
//! is derived data: it can always be rebuilt from the store (`atelier reindex`), and a schema
//! change simply rebuilds it.

mod indexer;
pub mod normalize;
mod parse;
mod query;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tantivy::directory::MmapDirectory;
use tantivy::schema::{
    FAST, FacetOptions, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema,
    TextFieldIndexing, TextOptions,
};
use tantivy::{Index, IndexReader, ReloadPolicy};

pub use indexer::{Indexer, reindex_all};
pub use query::{
    ComponentHit, ComponentQuery, DesignHit, DesignQuery, Facets, SearchResults, Sort, WhereUsed,
};

/// Bumped whenever the schema or the way documents are built changes: the index is rebuilt.
const SCHEMA_VERSION: &str = "atelier-search-10";
/// Longest query accepted, in characters; the rest is cut.
pub const MAX_QUERY_CHARS: usize = 256;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Tantivy(#[from] tantivy::TantivyError),
    #[error(transparent)]
    Directory(#[from] tantivy::directory::error::OpenDirectoryError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] crate::store::Error),
    #[error(
        "the search index is locked by another process (is a server running on this data directory?)"
    )]
    Locked,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The fields of the schema.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    pub kind: Field,
    pub design_id: Field,
    pub head: Field,
    pub name: Field,
    pub function: Field,
    pub readme: Field,
    /// The start of the README, stored for snippets (the whole README is indexed).
    pub readme_excerpt: Field,
    pub keywords: Field,
    /// Adjacent words of the name, function, keywords and README joined (`pro micro` →
    /// `promicro`), so a name written as one word or two finds the other.
    pub pairs: Field,
    /// The names and part numbers of the design's BOM rows, so a design is found by its parts.
    pub components: Field,
    /// The manifest's first `image`, stored for the card.
    pub image: Field,
    pub license: Field,
    pub license_facet: Field,
    pub licensor: Field,
    pub organization: Field,
    pub readiness: Field,
    pub readiness_facet: Field,
    pub category: Field,
    pub category_facet: Field,
    pub material: Field,
    pub material_facet: Field,
    pub owner: Field,
    pub parent: Field,
    pub updated: Field,
    pub forks: Field,
    /// How many forks away from its network's root a design is (0 for a root): relevance
    /// ranks an upstream above its forks when their text matches alike.
    pub fork_depth: Field,
    pub commits: Field,
    pub contributors: Field,
    pub version: Field,
    // Components
    pub part_number: Field,
    pub part_number_raw: Field,
    pub part_key: Field,
    pub manufacturer: Field,
    pub manufacturer_facet: Field,
    pub specs: Field,
    pub quantity: Field,
    pub quantity_text: Field,
    pub unit: Field,
    pub display_name: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer("default")
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let text_stored = text.clone().set_stored();
    let fields = Fields {
        kind: b.add_text_field("kind", STRING),
        design_id: b.add_text_field("design_id", STRING | STORED | FAST),
        head: b.add_text_field("head", STRING | STORED),
        name: b.add_text_field("name", text.clone()),
        display_name: b.add_text_field("display_name", STORED),
        function: b.add_text_field("function", text_stored.clone()),
        readme: b.add_text_field("readme", text.clone()),
        readme_excerpt: b.add_text_field("readme_excerpt", STORED),
        keywords: b.add_text_field("keywords", text.clone()),
        pairs: b.add_text_field("pairs", text.clone()),
        components: b.add_text_field("components", text.clone()),
        image: b.add_text_field("image", STORED),
        license: b.add_text_field("license", STRING | STORED),
        license_facet: b.add_facet_field("license_facet", FacetOptions::default().set_stored()),
        licensor: b.add_text_field("licensor", text_stored.clone()),
        organization: b.add_text_field("organization", text_stored.clone()),
        readiness: b.add_text_field("readiness", STRING | STORED),
        readiness_facet: b.add_facet_field("readiness_facet", FacetOptions::default()),
        category: b.add_text_field("category", STRING | STORED),
        category_facet: b.add_facet_field("category_facet", FacetOptions::default()),
        material: b.add_text_field("material", text_stored.clone()),
        material_facet: b.add_facet_field("material_facet", FacetOptions::default()),
        owner: b.add_text_field("owner", STRING | STORED),
        parent: b.add_text_field("parent", STRING | STORED),
        updated: b.add_i64_field("updated", INDEXED | STORED | FAST),
        forks: b.add_u64_field("forks", STORED | FAST),
        fork_depth: b.add_u64_field("fork_depth", FAST),
        commits: b.add_u64_field("commits", STORED),
        contributors: b.add_u64_field("contributors", STORED),
        version: b.add_text_field("version", STORED),
        part_number: b.add_text_field("part_number", text.clone()),
        part_number_raw: b.add_text_field("part_number_raw", STORED),
        part_key: b.add_text_field("part_key", STRING | STORED | FAST),
        manufacturer: b.add_text_field("manufacturer", text_stored.clone()),
        manufacturer_facet: b.add_facet_field("manufacturer_facet", FacetOptions::default()),
        specs: b.add_text_field("specs", text_stored),
        quantity: b.add_f64_field("quantity", STORED),
        quantity_text: b.add_text_field("quantity_text", STORED),
        unit: b.add_text_field("unit", STORED),
    };
    (b.build(), fields)
}

/// The search index of an instance: the reader for queries and the handle on the indexer.
#[derive(Clone)]
pub struct Search {
    inner: Arc<Inner>,
}

struct Inner {
    index: Index,
    reader: IndexReader,
    fields: Fields,
}

impl std::fmt::Debug for Search {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Search")
    }
}

impl Search {
    /// Opens the index in `dir`, creating it (or recreating it after a schema change).
    pub fn open(dir: &Path) -> Result<Self> {
        let (schema, fields) = schema();
        let version_file = dir.join("ATELIER_SCHEMA");
        let current = std::fs::read_to_string(&version_file).unwrap_or_default();
        if current.trim() != SCHEMA_VERSION && dir.exists() {
            tracing::info!(path = %dir.display(), "search schema changed; the index is rebuilt");
            std::fs::remove_dir_all(dir)?;
        }
        std::fs::create_dir_all(dir)?;
        let index = Index::open_or_create(MmapDirectory::open(dir)?, schema)?;
        std::fs::write(&version_file, SCHEMA_VERSION)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(Self {
            inner: Arc::new(Inner {
                index,
                reader,
                fields,
            }),
        })
    }

    pub fn fields(&self) -> &Fields {
        &self.inner.fields
    }

    pub fn index(&self) -> &Index {
        &self.inner.index
    }

    pub fn reader(&self) -> &IndexReader {
        &self.inner.reader
    }

    /// Bytes the index takes on disk.
    pub fn size_on_disk(dir: &Path) -> u64 {
        fn walk(path: &PathBuf) -> u64 {
            std::fs::read_dir(path)
                .map(|entries| {
                    entries
                        .flatten()
                        .map(|e| match e.metadata() {
                            Ok(m) if m.is_dir() => walk(&e.path()),
                            Ok(m) => m.len(),
                            Err(_) => 0,
                        })
                        .sum()
                })
                .unwrap_or(0)
        }
        walk(&dir.to_path_buf())
    }
}

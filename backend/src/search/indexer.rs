//! The indexer: one thread owns the `IndexWriter` and applies jobs from a channel in batches,
//! never one commit per edit. Changes arrive from the event log (consumer `search`, whose cursor
//! moves once the batch is committed and searchable): each batch of events is one commit, and
//! events that arrive while it runs make the next batch; other jobs gather for
//! [`BATCH_WINDOW`]; a reconcile job reindexes every design whose indexed head is stale or missing,
//! and removes designs that no longer exist, while search keeps serving (at start when the
//! index is empty, e.g. after a schema change).

use std::collections::{BTreeSet, HashMap};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use tantivy::collector::TopDocs;
use tantivy::query::TermQuery;
use tantivy::schema::{Facet, IndexRecordOption, Value};
use tantivy::{IndexWriter, TantivyDocument, Term};
use tokio::sync::oneshot;

use super::normalize::{component_key, joined_pairs, material_family, normalize};
use super::{Error, Fields, Result, Search};
use crate::events::Events;
use crate::store::{DesignId, Store};

/// How long the indexer gathers jobs before one commit.
pub const BATCH_WINDOW: Duration = Duration::from_millis(400);
/// README text kept for snippets, in characters (all of it is indexed).
const README_CHARS: usize = 3_000;
const WRITER_MEMORY: usize = 64 * 1024 * 1024;

enum Job {
    Reindex(DesignId),
    /// Designs changed by a batch of events; answered once committed (or failed).
    Events(Vec<DesignId>, oneshot::Sender<Result<(), String>>),
    Reconcile,
    Flush(oneshot::Sender<()>),
}

/// Handle on the indexer thread. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Indexer {
    tx: mpsc::Sender<Job>,
    consumer: Option<crate::events::Consumer>,
}

impl Indexer {
    /// Starts the indexer thread and the task that feeds it every ref change, then queues a
    /// reconcile so stale or missing designs are indexed in the background.
    pub fn start(search: Search, store: Store, events: &Events) -> Result<Self> {
        let writer = open_writer(&search)?;
        let (tx, rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("search-indexer".into())
            .spawn({
                let (retry, search) = (tx.clone(), search.clone());
                move || run(search, store, writer, rx, retry)
            })?;
        let jobs = tx.clone();
        let consumer = events.follow("search", move |batch| {
            let jobs = jobs.clone();
            async move {
                let ids: BTreeSet<DesignId> = batch
                    .into_iter()
                    .filter(|e| e.payload.touches_repository())
                    .map(|e| e.design)
                    .collect();
                let (done, wait) = oneshot::channel();
                jobs.send(Job::Events(ids.into_iter().collect(), done))
                    .map_err(|_| "the indexer thread has stopped")?;
                wait.await
                    .map_err(|_| "the indexer thread has stopped")?
                    .map_err(Into::into)
            }
        });
        let indexer = Self {
            tx,
            consumer: Some(consumer),
        };
        if search.reader().searcher().num_docs() == 0 {
            // A new or rebuilt index: everything the store holds, whatever the cursor says.
            indexer.reconcile();
        }
        Ok(indexer)
    }

    /// An indexer that writes nothing: for a process that serves queries from an index another
    /// process maintains (the search benchmark today; read-only app nodes later).
    pub fn read_only() -> Self {
        let (tx, _) = mpsc::channel();
        Self { tx, consumer: None }
    }

    /// The event-log consumer feeding this indexer (none for a read-only one).
    pub fn consumer(&self) -> Option<&crate::events::Consumer> {
        self.consumer.as_ref()
    }

    pub fn reindex(&self, id: DesignId) {
        let _ = self.tx.send(Job::Reindex(id));
    }

    pub fn reconcile(&self) {
        let _ = self.tx.send(Job::Reconcile);
    }

    /// Completes once every event appended and every job sent before it is searchable.
    pub async fn flush(&self) {
        if let Some(consumer) = &self.consumer {
            consumer.settled().await;
        }
        let (done, wait) = oneshot::channel();
        if self.tx.send(Job::Flush(done)).is_ok() {
            let _ = wait.await;
        }
    }
}

/// The index's one writer, after removing the files no commit refers to. A commit that a kill
/// (or an error) interrupted leaves files behind under the names the next commit writes again,
/// e.g. `<segment>.<opstamp>.del`, and tantivy refuses to overwrite a file it manages: without
/// this every later commit would fail.
fn open_writer(search: &Search) -> Result<IndexWriter> {
    let writer = search
        .index()
        .writer(WRITER_MEMORY)
        .map_err(|err| match err {
            tantivy::TantivyError::LockFailure(..) => Error::Locked,
            other => Error::Tantivy(other),
        })?;
    collect_garbage(&writer);
    Ok(writer)
}

/// Removes the files of the index that neither the last commit nor an open searcher uses.
fn collect_garbage(writer: &IndexWriter) {
    match writer.garbage_collect_files().wait() {
        Ok(removed) if !removed.deleted_files.is_empty() => tracing::info!(
            files = removed.deleted_files.len(),
            "search index: files no commit uses were removed"
        ),
        Ok(_) => {}
        Err(err) => tracing::warn!(error = %err, "search index: garbage collection failed"),
    }
}

fn run(
    search: Search,
    store: Store,
    mut writer: IndexWriter,
    rx: mpsc::Receiver<Job>,
    retry: mpsc::Sender<Job>,
) {
    while let Ok(first) = rx.recv() {
        // A batch from the event log is already a batch (whatever arrived while the last commit
        // ran): commit it at once, with any job already queued. Other jobs wait for company.
        let deadline = match first {
            Job::Events(..) => Instant::now(),
            _ => Instant::now() + BATCH_WINDOW,
        };
        let mut jobs = vec![first];
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match rx.recv_timeout(left) {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        let mut ids = BTreeSet::new();
        let mut waiters = Vec::new();
        let mut batches = Vec::new();
        let mut reconcile = false;
        for job in jobs {
            match job {
                Job::Reindex(id) => {
                    ids.insert(id);
                }
                Job::Events(changed, done) => {
                    ids.extend(changed);
                    batches.push(done);
                }
                Job::Reconcile => reconcile = true,
                Job::Flush(done) => waiters.push(done),
            }
        }
        let result = apply(&search, &store, &mut writer, ids, reconcile);
        for done in batches {
            // The consumer retries a failed batch: its cursor stays before it.
            let _ = done.send(result.as_ref().map(drop).map_err(|e| e.to_string()));
        }
        if let Err(err) = result {
            tracing::error!(error = %err, "search indexing failed; reconciling again shortly");
            let _ = writer.rollback();
            // The failed commit may have written files under names the retry writes again.
            collect_garbage(&writer);
            // Nothing is lost: a reconcile compares every design with the index again.
            let retry = retry.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_secs(2));
                let _ = retry.send(Job::Reconcile);
            });
        }
        for done in waiters {
            let _ = done.send(());
        }
    }
}

fn apply(
    search: &Search,
    store: &Store,
    writer: &mut IndexWriter,
    mut ids: BTreeSet<DesignId>,
    reconcile: bool,
) -> Result<()> {
    let fields = *search.fields();
    if reconcile {
        let indexed = indexed_heads(search)?;
        let mut stale = 0;
        for id in store.ids()? {
            let head = store.record(&id).map(|r| r.head.to_string()).ok();
            if head.is_none() || indexed.get(&id.to_string()) != head.as_ref() {
                ids.insert(id);
                stale += 1;
            }
        }
        for gone in indexed.keys() {
            if let Ok(id) = DesignId::parse(gone)
                && !store.exists(&id)
            {
                ids.insert(id);
            }
        }
        tracing::info!(stale, "search reconciled with the store");
    }
    if ids.is_empty() {
        return Ok(());
    }
    // A fork changes its parent's fork count: reindex the parents too.
    let parents: Vec<DesignId> = ids
        .iter()
        .filter_map(|id| store.lineage(id).ok()?.parent.map(|(p, _)| p))
        .collect();
    ids.extend(parents);
    let fork_counts = store.fork_counts()?;
    for id in &ids {
        writer.delete_term(Term::from_field_text(fields.design_id, &id.to_string()));
        if !store.exists(id) {
            continue;
        }
        match design_documents(store, &fields, id, &fork_counts) {
            Ok(docs) => {
                for doc in docs {
                    writer.add_document(doc)?;
                }
            }
            Err(err) => tracing::warn!(design = %id, error = %err, "design not indexed"),
        }
    }
    writer.commit()?;
    search.reader().reload()?;
    tracing::debug!(designs = ids.len(), "search index committed");
    Ok(())
}

/// `design_id` → indexed head, from the design documents.
fn indexed_heads(search: &Search) -> Result<HashMap<String, String>> {
    let fields = search.fields();
    let searcher = search.reader().searcher();
    let query = TermQuery::new(
        Term::from_field_text(fields.kind, "design"),
        IndexRecordOption::Basic,
    );
    let total = searcher.num_docs() as usize;
    let mut heads = HashMap::new();
    for (_, address) in
        searcher.search(&query, &TopDocs::with_limit(total.max(1)).order_by_score())?
    {
        let doc: TantivyDocument = searcher.doc(address)?;
        let text = |field| {
            doc.get_first(field)
                .and_then(|v| v.as_str())
                .map(str::to_owned)
        };
        if let (Some(id), Some(head)) = (text(fields.design_id), text(fields.head)) {
            heads.insert(id, head);
        }
    }
    Ok(heads)
}

/// Rebuilds the whole index from the store (`atelier reindex`), reporting progress.
pub fn reindex_all(
    search: &Search,
    store: &Store,
    mut progress: impl FnMut(usize, usize),
) -> Result<usize> {
    let mut writer = open_writer(search)?;
    writer.delete_all_documents()?;
    let fields = *search.fields();
    let ids = store.ids()?;
    let fork_counts = store.fork_counts()?;
    for (n, id) in ids.iter().enumerate() {
        for doc in design_documents(store, &fields, id, &fork_counts)? {
            writer.add_document(doc)?;
        }
        progress(n + 1, ids.len());
    }
    writer.commit()?;
    Ok(ids.len())
}

/// The design document and one document per BOM row and manifest part.
fn design_documents(
    store: &Store,
    f: &Fields,
    id: &DesignId,
    fork_counts: &HashMap<DesignId, u64>,
) -> Result<Vec<TantivyDocument>> {
    let record = store.record(id)?;
    let head = record.head.to_string();
    let manifest = record.manifest.clone().unwrap_or_default();
    let read = |path: &str| -> Option<String> {
        store
            .file(id, &head, path)
            .ok()
            .map(|(_, bytes)| String::from_utf8_lossy(&bytes).into_owned())
    };
    // What a reader sees: snippets never show Markdown syntax.
    let readme = store
        .readme_path(id, &head, manifest.readme.first().as_deref())?
        .and_then(|path| read(&path))
        .map(|text| crate::markdown::plain_text(&text))
        .unwrap_or_default();
    // The BOM as bytes: it may be a spreadsheet, or text in another encoding than UTF-8.
    let bom = manifest.bom.first().and_then(|path| {
        let (_, bytes) = store
            .file(id, &head, crate::bom::split_sheet(&path).0)
            .ok()?;
        crate::bom::parse(&path, &bytes).ok()
    });
    let parent = record.lineage.parent.as_ref().map(|(p, _)| p.to_string());
    let version = manifest.version.clone().unwrap_or_default();
    let name = manifest
        .name
        .clone()
        .unwrap_or_else(|| id.slug().to_owned());
    let extra_strings = |key: &str| -> Vec<String> {
        match manifest.extra.get(key) {
            Some(toml::Value::String(s)) => vec![s.clone()],
            Some(toml::Value::Array(items)) => items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        }
    };

    let mut design = TantivyDocument::default();
    design.add_text(f.kind, "design");
    design.add_text(f.design_id, id.to_string());
    design.add_text(f.head, &head);
    design.add_text(f.name, normalize(&name));
    design.add_text(f.display_name, &name);
    if let Some(image) = manifest.image.first().filter(|i| i.len() <= 1024) {
        design.add_text(f.image, image);
    }
    design.add_text(f.function, manifest.function.clone().unwrap_or_default());
    design.add_text(f.readme, &readme);
    design.add_text(
        f.readme_excerpt,
        readme.chars().take(README_CHARS).collect::<String>(),
    );
    let keywords = extra_strings("keywords");
    for keyword in &keywords {
        design.add_text(f.keywords, normalize(keyword));
    }
    // Readiness codes, standards and classes are found as the words they are written with.
    for code in manifest.technology_readiness_level.iter().cloned().chain(
        [
            "documentation-readiness-level",
            "standard-compliance",
            "cpc-patent-class",
        ]
        .into_iter()
        .flat_map(extra_strings),
    ) {
        design.add_text(f.keywords, &code);
        design.add_text(f.pairs, joined_pairs(&code));
    }
    for text in [
        name.as_str(),
        manifest.function.as_deref().unwrap_or_default(),
        readme.as_str(),
    ]
    .into_iter()
    .chain(keywords.iter().map(String::as_str))
    {
        design.add_text(f.pairs, joined_pairs(text));
    }
    if let Some(license) = manifest.license.as_deref().filter(|l| !l.is_empty()) {
        // SPDX ids compare case-insensitively; the facet keeps the spelling for display.
        design.add_text(f.license, license.to_lowercase());
        design.add_facet(f.license_facet, Facet::from_path([license]));
    }
    for licensor in manifest.licensor_names() {
        design.add_text(f.licensor, licensor);
    }
    for organization in extra_strings("organization") {
        design.add_text(f.organization, organization);
    }
    if let Some(level) = manifest.technology_readiness_level.as_deref() {
        design.add_text(f.readiness, level.to_lowercase());
        design.add_facet(f.readiness_facet, Facet::from_path([level]));
    }
    let mut categories = BTreeSet::new();
    let mut materials = BTreeSet::new();
    for part in &manifest.part {
        categories.extend(part.tsdc.0.iter().cloned());
        materials.extend(part.material.0.iter().cloned());
    }
    if let Some(bom) = &bom {
        materials.extend(bom.rows.iter().filter_map(|r| r.material.clone()));
        for row in &bom.rows {
            design.add_text(f.components, normalize(&row.name));
            if let Some(number) = &row.part_number {
                design.add_text(f.components, normalize(number));
            }
        }
    }
    for category in &categories {
        design.add_text(f.category, category.to_lowercase());
        design.add_facet(f.category_facet, Facet::from_path([category.as_str()]));
        // "welding" finds the designs whose parts say `WEL`.
        if let Some(name) = api::tsdc::name(category) {
            design.add_text(f.keywords, normalize(name));
        }
    }
    let mut families = BTreeSet::new();
    for material in &materials {
        design.add_text(f.material, normalize(material));
        families.insert(material_family(material));
    }
    for family in &families {
        design.add_facet(f.material_facet, Facet::from_path([family.as_str()]));
    }
    design.add_text(f.owner, id.owner());
    if let Some(parent) = &parent {
        design.add_text(f.parent, parent);
    }
    design.add_i64(f.updated, record.updated);
    design.add_u64(f.forks, fork_counts.get(id).copied().unwrap_or(0));
    // A fork whose ancestry cannot be read (an ancestor being deleted) still gets indexed.
    let depth = if parent.is_some() {
        store.ancestry(id).map_or(1, |chain| chain.len() as u64)
    } else {
        0
    };
    design.add_u64(f.fork_depth, depth);
    design.add_u64(f.commits, store.commit_count(id)?);
    design.add_u64(f.contributors, store.authors(id)?.len() as u64);
    design.add_text(f.version, &version);

    let mut docs = vec![design];
    let component = |name: &str, part_number: Option<&str>, key: String| {
        let mut doc = TantivyDocument::default();
        doc.add_text(f.kind, "component");
        doc.add_text(f.design_id, id.to_string());
        doc.add_text(f.head, &head);
        doc.add_text(f.version, &version);
        doc.add_text(f.owner, id.owner());
        if let Some(parent) = &parent {
            doc.add_text(f.parent, parent);
        }
        doc.add_text(f.name, normalize(name));
        doc.add_text(f.display_name, name);
        if let Some(pn) = part_number.filter(|p| !p.trim().is_empty()) {
            doc.add_text(f.part_number, normalize(pn));
            doc.add_text(f.part_number_raw, pn);
        }
        doc.add_text(f.part_key, key);
        doc
    };
    if let Some(bom) = bom {
        for row in bom.rows {
            let mut doc = component(&row.name, row.part_number.as_deref(), row.key());
            // A file with a supplier and no manufacturer column names where parts come from.
            if let Some(m) = row.manufacturer.as_ref().or(row.supplier.as_ref()) {
                doc.add_text(f.manufacturer, m);
                doc.add_facet(f.manufacturer_facet, Facet::from_path([m.as_str()]));
            }
            if let Some(m) = &row.material {
                doc.add_text(f.material, normalize(m));
                doc.add_facet(f.material_facet, Facet::from_path([material_family(m)]));
            }
            if let Some(c) = &row.category {
                doc.add_text(f.category, c.to_lowercase());
                doc.add_facet(f.category_facet, Facet::from_path([c.as_str()]));
            }
            if let Some(s) = &row.specs {
                doc.add_text(f.specs, s);
            }
            if let Some(q) = row.quantity {
                doc.add_f64(f.quantity, q);
            }
            doc.add_text(f.quantity_text, &row.quantity_text);
            if let Some(u) = &row.unit {
                doc.add_text(f.unit, u);
            }
            docs.push(doc);
        }
    }
    for part in &manifest.part {
        let Some(name) = part.name.as_deref() else {
            continue;
        };
        let mut doc = component(name, None, component_key(None, name));
        for m in &part.material.0 {
            doc.add_text(f.material, normalize(m));
            doc.add_facet(f.material_facet, Facet::from_path([material_family(m)]));
        }
        for category in &part.tsdc.0 {
            doc.add_text(f.category, category.to_lowercase());
            doc.add_facet(f.category_facet, Facet::from_path([category.as_str()]));
        }
        doc.add_f64(f.quantity, 1.0);
        doc.add_text(f.quantity_text, "1");
        docs.push(doc);
    }
    Ok(docs)
}

#[cfg(test)]
mod tests {
    use tantivy::doc;

    use super::*;

    /// The disk after a kill during a commit that deleted a document of an older segment: the
    /// segment files and the delete file are written (and registered as managed), `meta.json`
    /// is not. The next writer repeats the same opstamps, so its commit writes the same delete
    /// file name again.
    #[test]
    fn files_a_killed_commit_left_behind_do_not_block_the_next_commit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("search");
        let search = Search::open(&path).unwrap();
        let field = search.fields().design_id;
        let replace = |writer: &mut IndexWriter| {
            writer.delete_term(Term::from_field_text(field, "ada/a"));
            writer.add_document(doc!(field => "ada/a")).unwrap();
            writer.commit().unwrap();
        };
        {
            // Two documents in one segment (one indexing thread): a segment whose every
            // document is deleted is dropped whole, with no delete file.
            let mut writer: IndexWriter = search
                .index()
                .writer_with_num_threads(1, 15_000_000)
                .unwrap();
            writer.add_document(doc!(field => "ada/a")).unwrap();
            writer.add_document(doc!(field => "ada/b")).unwrap();
            writer.commit().unwrap();
        }
        let committed = std::fs::read(path.join("meta.json")).unwrap();
        replace(&mut open_writer(&search).unwrap());
        std::fs::write(path.join("meta.json"), committed).unwrap();
        let leftovers = std::fs::read_dir(&path)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .ends_with(".del")
            })
            .count();
        assert_eq!(leftovers, 1, "the interrupted commit left its delete file");
        drop(search);

        let search = Search::open(&path).unwrap();
        replace(&mut open_writer(&search).unwrap());
        search.reader().reload().unwrap();
        let query = TermQuery::new(
            Term::from_field_text(field, "ada/a"),
            IndexRecordOption::Basic,
        );
        let count = search
            .reader()
            .searcher()
            .search(&query, &tantivy::collector::Count)
            .unwrap();
        assert_eq!(count, 1);
    }
}

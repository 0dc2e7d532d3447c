//! Queries: what a person typed (taken apart by `parse`) becomes words (typo-tolerant, the last
//! one a prefix), quoted phrases and `field:value` filters over designs and components. Results
//! come with facet counts and highlighted snippets.

use std::collections::{BTreeMap, BTreeSet};

use tantivy::collector::{Count, FacetCollector, MultiCollector, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, PhraseQuery, Query, RangeQuery,
    TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::{DocAddress, Order, Searcher, TantivyDocument, Term};

use super::parse::{cut, parse, tokens};
use super::{Result, Search};

/// Most results one query can page through.
const MAX_WINDOW: usize = 10_000;

/// Component rows read to group the components of one search.
const GROUP_WINDOW: usize = 300;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Sort {
    #[default]
    Relevance,
    Updated,
    Forks,
}

#[derive(Debug, Clone, Default)]
pub struct DesignQuery {
    pub q: String,
    pub sort: Sort,
    pub page: usize,
    pub per_page: usize,
    pub license: Option<String>,
    pub category: Option<String>,
    pub material: Option<String>,
    pub owner: Option<String>,
    /// Only designs that are no one's fork (fork depth 0).
    pub roots_only: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DesignHit {
    pub id: String,
    pub name: String,
    pub function: String,
    pub license: Option<String>,
    pub owner: String,
    pub parent: Option<String>,
    pub updated: i64,
    pub forks: u64,
    pub commits: u64,
    pub contributors: u64,
    pub version: String,
    pub score: f32,
    /// HTML: escaped text with `<mark>` around matches.
    pub snippet: String,
    /// The indexed commit, and the manifest's first `image` as written.
    pub head: String,
    pub image: Option<String>,
}

/// Facet name → (value, count), most frequent first.
pub type Facets = BTreeMap<&'static str, Vec<(String, u64)>>;

#[derive(Debug, Clone)]
pub struct SearchResults<T> {
    pub hits: Vec<T>,
    pub total: u64,
    pub facets: Facets,
    /// The query as searched (after cutting).
    pub query: String,
}

#[derive(Debug, Clone, Default)]
pub struct ComponentQuery {
    pub q: String,
    pub page: usize,
    pub per_page: usize,
    pub manufacturer: Option<String>,
    pub material: Option<String>,
    pub category: Option<String>,
}

/// Components grouped by key.
#[derive(Debug, Clone, PartialEq)]
pub struct ComponentHit {
    pub key: String,
    pub name: String,
    pub part_number: Option<String>,
    pub manufacturer: Option<String>,
    /// Rows (BOM lines and parts) with this key in the whole index.
    pub used_in: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Use {
    pub design: String,
    pub name: String,
    pub quantity: Option<f64>,
    pub quantity_text: String,
    pub unit: Option<String>,
    pub version: String,
    pub head: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct WhereUsed {
    pub key: String,
    pub name: String,
    pub part_number: Option<String>,
    /// Distinct designs.
    pub used_in: u64,
    /// Rows in all.
    pub total: u64,
    /// One page of rows, ordered by design.
    pub uses: Vec<Use>,
}

fn term_query(field: Field, text: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, text),
        IndexRecordOption::WithFreqs,
    ))
}

/// One word against weighted fields: exact everywhere, as a prefix (the word being typed)
/// everywhere, and typo-tolerant (4+ letters, the costly part; never a word with digits) on the
/// first `fuzzy` fields only.
fn word_query(word: &str, fields: &[(Field, f32)], fuzzy: usize, prefix: bool) -> Box<dyn Query> {
    let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    let chars = word.chars().count();
    for (i, &(field, boost)) in fields.iter().enumerate() {
        let mut add = |query: Box<dyn Query>, weight: f32| {
            should.push((
                Occur::Should,
                Box::new(BoostQuery::new(query, boost * weight)),
            ));
        };
        add(term_query(field, word), 1.0);
        // A part number is exact on its digits: `m3x12` must not find `m5x12`.
        let has_digit = word.chars().any(|c| c.is_ascii_digit());
        if i < fuzzy && chars >= 4 && !has_digit {
            let distance = if chars >= 8 { 2 } else { 1 };
            add(
                Box::new(FuzzyTermQuery::new(
                    Term::from_field_text(field, word),
                    distance,
                    true,
                )),
                0.4,
            );
        }
        // Short prefixes expand to many terms; on the long text fields they wait for 4 letters.
        if prefix && (i < fuzzy || chars >= 4) {
            add(
                Box::new(FuzzyTermQuery::new_prefix(
                    Term::from_field_text(field, word),
                    0,
                    true,
                )),
                0.6,
            );
        }
    }
    Box::new(BooleanQuery::new(should))
}

fn phrase_query(words: &[String], fields: &[Field]) -> Box<dyn Query> {
    let should = fields
        .iter()
        .map(|&field| {
            let terms = words
                .iter()
                .map(|w| Term::from_field_text(field, w))
                .collect();
            (
                Occur::Should,
                Box::new(PhraseQuery::new(terms)) as Box<dyn Query>,
            )
        })
        .collect();
    Box::new(BooleanQuery::new(should))
}

fn text_of(doc: &TantivyDocument, field: Field) -> Option<String> {
    doc.get_first(field)
        .and_then(|v| v.as_str())
        .map(str::to_owned)
}

fn u64_of(doc: &TantivyDocument, field: Field) -> u64 {
    doc.get_first(field).and_then(|v| v.as_u64()).unwrap_or(0)
}

fn facet_of(doc: &TantivyDocument, field: Field) -> Option<String> {
    doc.get_first(field)
        .and_then(|v| v.as_facet())
        .and_then(|encoded| {
            tantivy::schema::Facet::from_encoded(encoded.as_bytes().to_vec())
                .ok()?
                .to_path()
                .last()
                .map(|s| (*s).to_owned())
        })
}

/// Relevance with each fork level costing a tenth of the score, so an upstream ranks above the
/// forks that carry its text, while a fork that matches much better still comes first.
fn upstreams_first(
    top: TopDocs,
) -> impl tantivy::collector::Collector<Fruit = Vec<(f32, DocAddress)>> + 'static {
    top.tweak_score(|segment: &tantivy::SegmentReader| {
        let depth = segment
            .fast_fields()
            .u64("fork_depth")
            .map(|column| column.first_or_default_col(0))
            .ok();
        move |doc: tantivy::DocId, score: tantivy::Score| match &depth {
            Some(depth) => score * 0.9f32.powi(depth.get_val(doc).min(20) as i32),
            None => score,
        }
    })
}

/// One pass over the matches: the count, the top documents, and the counts of each facet.
fn collect<T: tantivy::collector::Fruit>(
    searcher: &Searcher,
    query: &dyn Query,
    top: impl tantivy::collector::Collector<Fruit = T> + 'static,
    names: &[(&'static str, &str)],
) -> Result<(usize, T, Facets)> {
    let mut multi = MultiCollector::new();
    let count = multi.add_collector(Count);
    let top = multi.add_collector(top);
    let handles: Vec<_> = names
        .iter()
        .map(|(_, field)| {
            let mut collector = FacetCollector::for_field(*field);
            collector.add_facet("/");
            multi.add_collector(collector)
        })
        .collect();
    let mut fruits = searcher.search(query, &multi)?;
    let mut facets = Facets::new();
    for ((name, _), handle) in names.iter().zip(handles) {
        let counts = handle.extract(&mut fruits);
        let mut values: Vec<(String, u64)> = counts
            .get("/")
            .map(|(facet, count)| {
                let path = facet.to_path_string();
                (path.trim_start_matches('/').replace("\\/", "/"), count)
            })
            .collect();
        values.sort_by(|x, y| y.1.cmp(&x.1).then_with(|| x.0.cmp(&y.0)));
        values.truncate(20);
        facets.insert(name, values);
    }
    Ok((count.extract(&mut fruits), top.extract(&mut fruits), facets))
}

const DESIGN_FACETS: &[(&str, &str)] = &[
    ("license", "license_facet"),
    ("category", "category_facet"),
    ("material", "material_facet"),
    ("readiness", "readiness_facet"),
];

const COMPONENT_FACETS: &[(&str, &str)] = &[
    ("manufacturer", "manufacturer_facet"),
    ("material", "material_facet"),
    ("category", "category_facet"),
];

impl Search {
    /// Design search.
    pub fn designs(&self, query: &DesignQuery) -> Result<SearchResults<DesignHit>> {
        let f = self.fields();
        let q = cut(&query.q);
        let parsed = parse(&q);
        let weighted = [
            (f.name, 4.0),
            (f.keywords, 3.0),
            (f.function, 2.0),
            (f.readme, 1.0),
            (f.material, 1.0),
            (f.licensor, 0.8),
            (f.organization, 0.8),
            (f.pairs, 1.0),
            (f.components, 1.5),
        ];
        let mut must: Vec<(Occur, Box<dyn Query>)> =
            vec![(Occur::Must, term_query(f.kind, "design"))];
        let last = parsed.words.len().saturating_sub(1);
        let words = &parsed.words;
        let mut i = 0;
        while i < words.len() {
            let prefix = |at: usize| parsed.prefix_last && at == last;
            let single = word_query(&words[i], &weighted, 3, prefix(i));
            // Two words may be written as one (`Pro Micro`, `ProMicro`): either form matches.
            if i + 1 < words.len()
                && words[i]
                    .chars()
                    .chain(words[i + 1].chars())
                    .all(char::is_alphabetic)
            {
                let both = BooleanQuery::new(vec![
                    (Occur::Must, single),
                    (
                        Occur::Must,
                        word_query(&words[i + 1], &weighted, 3, prefix(i + 1)),
                    ),
                ]);
                let joined = format!("{}{}", words[i], words[i + 1]);
                must.push((
                    Occur::Must,
                    Box::new(BooleanQuery::new(vec![
                        (Occur::Should, Box::new(both) as Box<dyn Query>),
                        (Occur::Should, word_query(&joined, &weighted, 3, false)),
                    ])),
                ));
                i += 2;
                continue;
            }
            must.push((Occur::Must, single));
            i += 1;
        }
        for phrase in &parsed.phrases {
            must.push((
                Occur::Must,
                phrase_query(phrase, &[f.name, f.function, f.readme]),
            ));
        }
        let mut filters = parsed.filters.clone();
        for (name, value) in [
            ("license", &query.license),
            ("category", &query.category),
            ("material", &query.material),
            ("owner", &query.owner),
        ] {
            if let Some(value) = value.as_ref().filter(|v| !v.trim().is_empty()) {
                filters.push((name.to_owned(), value.trim().to_owned()));
            }
        }
        for (name, value) in &filters {
            let clause: Box<dyn Query> = match name.as_str() {
                "license" => term_query(f.license, &value.to_lowercase()),
                "category" => term_query(f.category, &value.to_lowercase()),
                "readiness" => term_query(f.readiness, &value.to_lowercase()),
                "owner" => term_query(f.owner, &value.to_lowercase()),
                _ => {
                    let words = tokens(value);
                    let clauses = words
                        .iter()
                        .map(|w| (Occur::Must, term_query(f.material, w)))
                        .collect();
                    Box::new(BooleanQuery::new(clauses))
                }
            };
            must.push((Occur::Must, clause));
        }
        if query.roots_only {
            let root = || std::ops::Bound::Included(Term::from_field_u64(f.fork_depth, 0));
            must.push((Occur::Must, Box::new(RangeQuery::new(root(), root()))));
        }
        if must.len() == 1 {
            must.push((Occur::Must, Box::new(AllQuery)));
        }
        let built = BooleanQuery::new(must);
        let searcher = self.reader().searcher();
        let per_page = query.per_page.max(1);
        let offset = (query.page.max(1) - 1) * per_page;
        if offset >= MAX_WINDOW {
            return Ok(SearchResults {
                hits: Vec::new(),
                total: 0,
                facets: Facets::new(),
                query: q,
            });
        }
        let top = TopDocs::with_limit(per_page).and_offset(offset);
        let (total, addresses, facets): (usize, Vec<(f32, DocAddress)>, Facets) = match query.sort {
            Sort::Relevance => collect(&searcher, &built, upstreams_first(top), DESIGN_FACETS)?,
            Sort::Updated => {
                let (total, docs, facets) = collect(
                    &searcher,
                    &built,
                    top.order_by_fast_field::<i64>("updated", Order::Desc),
                    DESIGN_FACETS,
                )?;
                (
                    total,
                    docs.into_iter().map(|(_, a)| (0.0, a)).collect(),
                    facets,
                )
            }
            Sort::Forks => {
                let (total, docs, facets) = collect(
                    &searcher,
                    &built,
                    top.order_by_fast_field::<u64>("forks", Order::Desc),
                    DESIGN_FACETS,
                )?;
                (
                    total,
                    docs.into_iter().map(|(_, a)| (0.0, a)).collect(),
                    facets,
                )
            }
        };
        // Snippets highlight the plain words (fuzzy and prefix matches are not highlighted).
        let highlight_words: BTreeSet<&String> = parsed
            .words
            .iter()
            .chain(parsed.phrases.iter().flatten())
            .collect();
        let snippet_query = BooleanQuery::new(
            highlight_words
                .iter()
                .flat_map(|w| {
                    [
                        (Occur::Should, term_query(f.readme, w)),
                        (Occur::Should, term_query(f.function, w)),
                    ]
                })
                .collect(),
        );
        let mut readme_snippets = SnippetGenerator::create(&searcher, &snippet_query, f.readme)?;
        readme_snippets.set_max_num_chars(220);
        let mut function_snippets =
            SnippetGenerator::create(&searcher, &snippet_query, f.function)?;
        function_snippets.set_max_num_chars(220);

        let mut hits = Vec::with_capacity(addresses.len());
        for (score, address) in addresses {
            let doc: TantivyDocument = searcher.doc(address)?;
            let function = text_of(&doc, f.function).unwrap_or_default();
            let excerpt = text_of(&doc, f.readme_excerpt).unwrap_or_default();
            let mut snippet = readme_snippets.snippet(&excerpt);
            if snippet.is_empty() {
                snippet = function_snippets.snippet(&function);
            }
            snippet.set_snippet_prefix_postfix("<mark>", "</mark>");
            let snippet = if snippet.is_empty() {
                html_escape(&function)
            } else {
                snippet.to_html()
            };
            hits.push(DesignHit {
                id: text_of(&doc, f.design_id).unwrap_or_default(),
                name: text_of(&doc, f.display_name).unwrap_or_default(),
                function,
                license: facet_of(&doc, f.license_facet),
                owner: text_of(&doc, f.owner).unwrap_or_default(),
                parent: text_of(&doc, f.parent),
                updated: doc
                    .get_first(f.updated)
                    .and_then(|v| v.as_i64())
                    .unwrap_or(0),
                forks: u64_of(&doc, f.forks),
                commits: u64_of(&doc, f.commits),
                contributors: u64_of(&doc, f.contributors),
                version: text_of(&doc, f.version).unwrap_or_default(),
                head: text_of(&doc, f.head).unwrap_or_default(),
                image: text_of(&doc, f.image),
                score,
                snippet,
            });
        }
        Ok(SearchResults {
            hits,
            total: total as u64,
            facets,
            query: q,
        })
    }

    /// Component search, grouped by component key.
    pub fn components(&self, query: &ComponentQuery) -> Result<SearchResults<ComponentHit>> {
        let f = self.fields();
        let q = cut(&query.q);
        let parsed = parse(&q);
        let weighted = [
            (f.part_number, 4.0),
            (f.name, 3.0),
            (f.manufacturer, 1.5),
            (f.material, 1.0),
            (f.specs, 1.0),
        ];
        let mut must: Vec<(Occur, Box<dyn Query>)> =
            vec![(Occur::Must, term_query(f.kind, "component"))];
        let last = parsed.words.len().saturating_sub(1);
        for (i, word) in parsed.words.iter().enumerate() {
            must.push((
                Occur::Must,
                word_query(word, &weighted, 2, parsed.prefix_last && i == last),
            ));
        }
        for phrase in &parsed.phrases {
            must.push((Occur::Must, phrase_query(phrase, &[f.name, f.part_number])));
        }
        let mut filters = parsed.filters.clone();
        for (name, value) in [
            ("manufacturer", &query.manufacturer),
            ("material", &query.material),
            ("category", &query.category),
        ] {
            if let Some(value) = value.as_ref().filter(|v| !v.trim().is_empty()) {
                filters.push((name.to_owned(), value.trim().to_owned()));
            }
        }
        for (name, value) in &filters {
            let field = match name.as_str() {
                "manufacturer" => f.manufacturer,
                "category" => {
                    must.push((Occur::Must, term_query(f.category, &value.to_lowercase())));
                    continue;
                }
                _ => f.material,
            };
            let clauses = tokens(value)
                .iter()
                .map(|w| (Occur::Must, term_query(field, w)))
                .collect();
            must.push((Occur::Must, Box::new(BooleanQuery::new(clauses))));
        }
        if must.len() == 1 {
            must.push((Occur::Must, Box::new(AllQuery)));
        }
        let built = BooleanQuery::new(must);
        let searcher = self.reader().searcher();
        // The best rows decide which components show; their keys come from the fast field.
        let (_, matches, facets) = collect(
            &searcher,
            &built,
            TopDocs::with_limit(GROUP_WINDOW).order_by_score(),
            COMPONENT_FACETS,
        )?;
        let mut order: Vec<(String, DocAddress)> = Vec::new();
        let mut seen = BTreeSet::new();
        let mut columns = BTreeMap::new();
        let mut key = String::new();
        for (_, address) in matches {
            let column = match columns.entry(address.segment_ord) {
                std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::btree_map::Entry::Vacant(e) => e.insert(
                    searcher
                        .segment_reader(address.segment_ord)
                        .fast_fields()
                        .str("part_key")?,
                ),
            };
            let Some(column) = column else { continue };
            key.clear();
            let Some(ord) = column.term_ords(address.doc_id).next() else {
                continue;
            };
            column.ord_to_str(ord, &mut key)?;
            if seen.insert(key.clone()) {
                order.push((key.clone(), address));
            }
        }
        let total = order.len() as u64;
        let per_page = query.per_page.max(1);
        let mut hits = Vec::new();
        for (key, address) in order
            .into_iter()
            .skip((query.page.max(1) - 1) * per_page)
            .take(per_page)
        {
            let doc: TantivyDocument = searcher.doc(address)?;
            // Rows with this key (a design listing a part twice counts twice here; the
            // where-used page counts distinct designs).
            let used_in = searcher.search(&term_query(f.part_key, &key), &Count)? as u64;
            hits.push(ComponentHit {
                name: text_of(&doc, f.display_name).unwrap_or_default(),
                part_number: text_of(&doc, f.part_number_raw),
                manufacturer: text_of(&doc, f.manufacturer),
                key,
                used_in,
            });
        }
        Ok(SearchResults {
            hits,
            total,
            facets,
            query: q,
        })
    }

    /// Distinct designs using `key` (from the `design_id` fast field, no stored documents read)
    /// and every matching row's address, ordered by design.
    fn designs_using(&self, searcher: &Searcher, key: &str) -> Result<(u64, Vec<DocAddress>)> {
        let f = self.fields();
        let query = term_query(f.part_key, key);
        let count = searcher.search(&query, &Count)?;
        if count == 0 {
            return Ok((0, Vec::new()));
        }
        let rows = searcher.search(
            &query,
            &TopDocs::with_limit(count).order_by_string_fast_field("design_id", Order::Asc),
        )?;
        let designs: BTreeSet<&str> = rows.iter().filter_map(|(id, _)| id.as_deref()).collect();
        let count = designs.len() as u64;
        Ok((
            count,
            rows.into_iter().map(|(_, address)| address).collect(),
        ))
    }

    /// Every design and fork that uses the component `key`, a page of rows at a time
    /// (`None` when nothing uses it).
    pub fn where_used(&self, key: &str, page: usize, per_page: usize) -> Result<Option<WhereUsed>> {
        let f = self.fields();
        let searcher = self.reader().searcher();
        let (used_in, rows) = self.designs_using(&searcher, key)?;
        if rows.is_empty() {
            return Ok(None);
        }
        let total = rows.len() as u64;
        let mut uses = Vec::new();
        let mut name = String::new();
        let mut part_number = None;
        let first: TantivyDocument = searcher.doc(rows[0])?;
        if name.is_empty() {
            name = text_of(&first, f.display_name).unwrap_or_default();
            part_number = text_of(&first, f.part_number_raw);
        }
        for address in rows
            .into_iter()
            .skip((page.max(1) - 1) * per_page)
            .take(per_page)
        {
            let doc: TantivyDocument = searcher.doc(address)?;
            uses.push(Use {
                design: text_of(&doc, f.design_id).unwrap_or_default(),
                name: text_of(&doc, f.display_name).unwrap_or_default(),
                quantity: doc.get_first(f.quantity).and_then(|v| v.as_f64()),
                quantity_text: text_of(&doc, f.quantity_text).unwrap_or_default(),
                unit: text_of(&doc, f.unit),
                version: text_of(&doc, f.version).unwrap_or_default(),
                head: text_of(&doc, f.head).unwrap_or_default(),
            });
        }
        Ok(Some(WhereUsed {
            key: key.to_owned(),
            name,
            part_number,
            used_in,
            total,
            uses,
        }))
    }
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

//! What goes into a bundle: the design read at the key's commit (manifest, BOM, lineage, file
//! list) and the archive written from it in one pass, hashing every file as it streams.

use std::io::{self, Read, Write};

use sha2::{Digest as _, Sha256};

use super::*;

/// What [`Bundles::plan`] reads from the store.
pub(super) struct DesignRead {
    pub(super) committed_at: i64,
    pub(super) okh_text: Option<String>,
    /// `okh_text` read as a manifest, when it is one.
    pub(super) manifest: Option<crate::manifest::Manifest>,
    pub(super) bom: Option<(String, Vec<u8>)>,
    pub(super) parent: Option<(DesignId, Oid)>,
    pub(super) ancestry: Vec<(DesignId, Oid)>,
    /// Declared STL exports missing from the tree, with the part's OpenSCAD source (whole-design
    /// bundles only).
    pub(super) generate: Vec<(String, String)>,
}

pub(super) fn read_design(store: &Store, key: &BundleKey) -> Result<DesignRead> {
    let rev = key.commit.to_string();
    let info = store.commit_info(&key.design, &rev)?;
    if info.id != key.commit {
        return Err(store::Error::Missing(format!("no commit {rev} in {}", key.design)).into());
    }
    if let Some(tag) = &key.tag {
        let tagged = store.ref_target(&key.design, &format!("refs/tags/{tag}"))?;
        if tagged != Some(key.commit) {
            return Err(store::Error::Missing(format!(
                "release {tag:?} of {} is not at commit {rev}",
                key.design
            ))
            .into());
        }
    }
    let (_, root) = store.tree(&key.design, &rev, "")?;
    if key.path.is_empty() {
        if root.iter().any(|entry| entry.name == api::BUNDLE_MANIFEST) {
            return Err(Error::Conflict(format!(
                "the design has its own {} at its root, a name bundles reserve for their manifest; rename it to download a bundle",
                api::BUNDLE_MANIFEST
            )));
        }
    } else {
        // Fails with "no folder" (404) when the folder does not exist.
        store.tree(&key.design, &rev, &key.path)?;
    }
    let text = |path: &str| match store.file(&key.design, &rev, path) {
        Ok((_, bytes)) => Ok(Some(bytes)),
        Err(
            store::Error::Missing(_) | store::Error::InvalidPath(_) | store::Error::TooLarge(_),
        ) => Ok(None),
        Err(err) => Err(err),
    };
    let okh_text = text(store::MANIFEST_PATH)?.map(|b| String::from_utf8_lossy(&b).into_owned());
    let manifest = okh_text
        .as_deref()
        .and_then(|t| crate::manifest::parse(t).ok());
    let bom = match manifest.as_ref().and_then(|m| m.bom.first()) {
        Some(path) => text(crate::bom::split_sheet(&path).0)?.map(|bytes| (path, bytes)),
        None => None,
    };
    let exists = |path: &str| store.file_header(&key.design, &rev, path).is_ok();
    let clean = |path: &str| {
        path.trim()
            .trim_start_matches("./")
            .trim_start_matches('/')
            .to_owned()
    };
    let mut generate = Vec::new();
    if key.path.is_empty() {
        for part in manifest.iter().flat_map(|m| &m.part) {
            let source = part
                .source
                .0
                .iter()
                .map(|s| clean(s))
                .find(|s| crate::renders::is_scad(s) && exists(s));
            let Some(source) = source else { continue };
            for export in part.export.0.iter().map(|e| clean(e)) {
                let is_stl = export.to_ascii_lowercase().ends_with(".stl");
                if is_stl
                    && store::paths::validate(&export).is_ok()
                    && !exists(&export)
                    && !generate.iter().any(|(e, _)| *e == export)
                {
                    generate.push((export, source.clone()));
                }
            }
        }
    }
    Ok(DesignRead {
        generate,
        committed_at: info.committer.time,
        okh_text,
        manifest,
        bom,
        parent: store.lineage(&key.design)?.parent,
        ancestry: store.ancestry(&key.design)?,
    })
}

/// Writes the files of `plan` and then its manifest (with their sizes and hashes) into `sink`.
pub(super) fn write_bundle<W: Write>(store: &Store, plan: &Plan, sink: W) -> Result<W> {
    let mut writer = ArchiveWriter::new(plan.key.format, sink);
    let mut files = Vec::new();
    let listing = store.read_files(
        &plan.key.design,
        plan.key.commit,
        &plan.key.path,
        |file, content| -> Result<()> {
            let mut hashing = HashingReader {
                inner: content,
                hasher: Sha256::new(),
            };
            writer.add_file(
                &format!("{}/{}", plan.root, file.path),
                file.size,
                plan.mtime,
                file.executable,
                &mut hashing,
            )?;
            files.push(api::BundleFile {
                path: file.path.clone(),
                size: file.size,
                sha256: hex(&hashing.hasher.finalize()),
                executable: file.executable,
                generated_from: None,
            });
            Ok(())
        },
    )?;
    let mut manifest = plan.manifest.clone();
    // Declared exports the design lacks, rendered now: after the design's own files.
    for (export, source) in &plan.generate {
        let rendered = crate::renders::render(
            store,
            &plan.key.design,
            plan.key.commit,
            source,
            &Default::default(),
            &crate::scad::Limits::SERVER,
        );
        match rendered {
            Ok(stl) => {
                writer.add_file(
                    &format!("{}/{export}", plan.root),
                    stl.len() as u64,
                    plan.mtime,
                    false,
                    &mut &stl[..],
                )?;
                files.push(api::BundleFile {
                    path: export.clone(),
                    size: stl.len() as u64,
                    sha256: hex(&Sha256::digest(&stl)),
                    executable: false,
                    generated_from: Some(source.clone()),
                });
                manifest.openscad = crate::scad::version();
            }
            Err(crate::renders::Error::Store(err)) => return Err(err.into()),
            Err(crate::renders::Error::Scad(err)) => {
                manifest.not_generated.push(format!("{export}: {err}"));
            }
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    manifest.not_portable = files
        .iter()
        .filter_map(|file| {
            crate::store::paths::windows_notice(&file.path)
                .map(|notice| format!("{}: {notice}", file.path))
        })
        .collect();
    manifest.files = files;
    manifest.skipped = listing.skipped;
    let mut json = serde_json::to_vec_pretty(&manifest).map_err(io::Error::other)?;
    json.push(b'\n');
    writer.add_file(
        &format!("{}/{}", plan.root, api::BUNDLE_MANIFEST),
        json.len() as u64,
        plan.mtime,
        false,
        &mut &json[..],
    )?;
    Ok(writer.finish()?)
}

/// Hashes what is read through it.
pub(super) struct HashingReader<'a> {
    pub(super) inner: &'a mut dyn Read,
    pub(super) hasher: Sha256,
}

impl Read for HashingReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

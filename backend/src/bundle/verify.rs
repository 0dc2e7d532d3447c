//! Checking a bundle offline, and unpacking it safely: every entry must be a regular file (or a
//! folder) under the one top folder, with a clean relative path; every file the manifest lists
//! must be there with its size and sha256, and nothing else. Each problem is named in words.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufReader, Read, Seek};
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use super::{Format, hex};

/// The manifest is small; anything bigger is not one of ours.
const MAX_MANIFEST: u64 = 64 * 1024 * 1024;

/// What [`verify`] found.
#[derive(Debug, Default)]
pub struct Report {
    pub format: Option<Format>,
    /// Of the whole archive file.
    pub sha256: String,
    pub size: u64,
    pub manifest: Option<api::BundleManifest>,
    /// Every problem, in words; empty when the bundle is intact.
    pub problems: Vec<String>,
}

impl Report {
    pub fn is_intact(&self) -> bool {
        self.problems.is_empty() && self.manifest.is_some()
    }
}

/// One entry of an archive as the checks see it.
enum Entry {
    File {
        size: u64,
        sha256: String,
    },
    Folder,
    /// A link, device or other special entry: never unpacked.
    Special(&'static str),
}

/// Checks the archive at `path` against its manifest.
pub fn verify(path: &Path) -> io::Result<Report> {
    let mut report = Report::default();
    let mut file = File::open(path)?;
    let mut magic = [0u8; 4];
    let got = file.read(&mut magic)?;
    file.rewind()?;
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let Some(format) = Format::detect(&name, &magic[..got]) else {
        report
            .problems
            .push(format!("{name} is neither a zip nor a tar.gz archive"));
        return Ok(report);
    };
    report.format = Some(format);
    let (size, sha256) = hash_reader(&mut BufReader::new(&mut file))?;
    report.size = size;
    report.sha256 = sha256;
    file.rewind()?;

    let mut entries: BTreeMap<String, Entry> = BTreeMap::new();
    let mut manifest_bytes: Option<Vec<u8>> = None;
    let mut top: Option<String> = None;
    let mut problems = Vec::new();
    let mut visit = |name: &str, entry: Entry, content: Option<Vec<u8>>| {
        let Some((root, rest)) = safe_split(name) else {
            problems.push(format!(
                "unsafe path {name:?}: entries must be relative, without `..`, and inside the top folder"
            ));
            return;
        };
        match &top {
            None => top = Some(root.to_owned()),
            Some(top) if top != root => {
                problems.push(format!("entry {name:?} is outside the top folder {top:?}"));
                return;
            }
            Some(_) => {}
        }
        if let Entry::Special(kind) = entry {
            problems.push(format!(
                "{name}: is a {kind}; bundles carry regular files only"
            ));
            return;
        }
        if rest.is_empty() {
            if let Entry::File { .. } = entry {
                problems.push(format!("{name}: a file where the top folder should be"));
            }
            return;
        }
        if rest == api::BUNDLE_MANIFEST {
            manifest_bytes = content;
            return;
        }
        if entries.insert(rest.to_owned(), entry).is_some() {
            problems.push(format!("{rest}: appears twice in the archive"));
        }
    };
    let read = match format {
        Format::Zip => read_zip(&mut file, &mut visit),
        Format::TarGz => read_tar_gz(&mut file, &mut visit),
    };
    report.problems = problems;
    if let Err(problem) = read {
        report.problems.push(problem);
        return Ok(report);
    }
    let Some(bytes) = manifest_bytes else {
        report.problems.push(format!(
            "no {} in the archive's top folder: not an Atelier bundle, or it was removed",
            api::BUNDLE_MANIFEST
        ));
        return Ok(report);
    };
    let manifest: api::BundleManifest = match serde_json::from_slice(&bytes) {
        Ok(manifest) => manifest,
        Err(err) => {
            report
                .problems
                .push(format!("{} is unreadable: {err}", api::BUNDLE_MANIFEST));
            return Ok(report);
        }
    };
    if manifest.schema != api::BUNDLE_SCHEMA {
        report.problems.push(format!(
            "{} has schema {:?}; this version reads {:?}",
            api::BUNDLE_MANIFEST,
            manifest.schema,
            api::BUNDLE_SCHEMA
        ));
    }
    if top.as_deref() != Some(manifest.root.as_str()) {
        report.problems.push(format!(
            "the top folder is {:?} but the manifest says {:?}",
            top.unwrap_or_default(),
            manifest.root
        ));
    }
    for promised in &manifest.files {
        match entries.remove(&promised.path) {
            None => report.problems.push(format!("missing: {}", promised.path)),
            Some(Entry::File { size, sha256 }) => {
                if size != promised.size || sha256 != promised.sha256 {
                    report.problems.push(format!(
                        "altered: {} (sha256 {sha256}, {size} bytes; the manifest says {}, {} bytes)",
                        promised.path, promised.sha256, promised.size
                    ));
                }
            }
            Some(Entry::Folder | Entry::Special(_)) => report
                .problems
                .push(format!("altered: {} is not a regular file", promised.path)),
        }
    }
    for (path, entry) in entries {
        if let Entry::File { .. } = entry {
            report.problems.push(format!("extra: {path}"));
        }
    }
    report.manifest = Some(manifest);
    Ok(report)
}

type Visit<'a> = dyn FnMut(&str, Entry, Option<Vec<u8>>) + 'a;

/// Whether `rest` is the manifest's path inside the top folder.
fn is_manifest(name: &str) -> bool {
    safe_split(name).is_some_and(|(_, rest)| rest == api::BUNDLE_MANIFEST)
}

fn read_zip(file: &mut File, visit: &mut Visit<'_>) -> Result<(), String> {
    let mut archive = zip::ZipArchive::new(BufReader::new(file))
        .map_err(|err| format!("not a complete zip archive (truncated or damaged): {err}"))?;
    for index in 0..archive.len() {
        let mut entry = archive
            .by_index(index)
            .map_err(|err| format!("zip entry {index} is unreadable: {err}"))?;
        let name = String::from_utf8_lossy(entry.name_raw()).into_owned();
        let mode = entry.unix_mode().unwrap_or(0);
        let kind = mode & 0o170000;
        if kind == 0o120000 {
            visit(&name, Entry::Special("symbolic link"), None);
        } else if entry.is_dir() {
            visit(&name, Entry::Folder, None);
        } else if kind != 0 && kind != 0o100000 {
            visit(&name, Entry::Special("special file"), None);
        } else {
            let (entry, content) = read_entry(&name, &mut entry)?;
            visit(&name, entry, content);
        }
    }
    Ok(())
}

fn read_tar_gz(file: &mut File, visit: &mut Visit<'_>) -> Result<(), String> {
    let gz = flate2::read::GzDecoder::new(BufReader::new(file));
    let mut archive = tar::Archive::new(gz);
    let damaged = |err: io::Error| format!("the tar.gz archive is truncated or damaged: {err}");
    for entry in archive.entries().map_err(damaged)? {
        let mut entry = entry.map_err(damaged)?;
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        match entry.header().entry_type() {
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                let (found, content) = read_entry(&name, &mut entry)?;
                visit(&name, found, content);
            }
            tar::EntryType::Directory => visit(&name, Entry::Folder, None),
            tar::EntryType::Symlink => visit(&name, Entry::Special("symbolic link"), None),
            tar::EntryType::Link => visit(&name, Entry::Special("hard link"), None),
            _ => visit(&name, Entry::Special("special file"), None),
        }
    }
    Ok(())
}

/// Hashes one file entry; the manifest's bytes are kept.
fn read_entry(name: &str, reader: &mut dyn Read) -> Result<(Entry, Option<Vec<u8>>), String> {
    let damaged = |err: io::Error| format!("{name}: cannot be read (damaged or truncated): {err}");
    if is_manifest(name) {
        let mut bytes = Vec::new();
        reader
            .take(MAX_MANIFEST)
            .read_to_end(&mut bytes)
            .map_err(damaged)?;
        return Ok((Entry::Folder, Some(bytes)));
    }
    let (size, sha256) = hash_reader(reader).map_err(damaged)?;
    Ok((Entry::File { size, sha256 }, None))
}

fn hash_reader(reader: &mut dyn Read) -> io::Result<(u64, String)> {
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = reader.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
        size += n as u64;
    }
    Ok((size, hex(&hasher.finalize())))
}

/// `top/rest` when `name` is a clean relative path (no `..`, `.`, empty parts, backslashes,
/// drive letters or NUL); `rest` may be empty for the top folder itself.
fn safe_split(name: &str) -> Option<(&str, &str)> {
    let trimmed = name.strip_suffix('/').unwrap_or(name);
    if trimmed.is_empty()
        || trimmed.starts_with('/')
        || trimmed.contains(['\\', '\0', ':'])
        || trimmed
            .split('/')
            .any(|part| part.is_empty() || part == "." || part == "..")
    {
        return None;
    }
    Some(trimmed.split_once('/').unwrap_or((trimmed, "")))
}

/// Unpacks a bundle that [`verify`] found intact into `into/<root>`, which must not exist yet.
/// Paths are checked again here; only regular files and folders are written.
pub fn unpack(archive: &Path, report: &Report, into: &Path) -> io::Result<PathBuf> {
    let (Some(manifest), Some(format), true) =
        (&report.manifest, report.format, report.is_intact())
    else {
        return Err(io::Error::other("only a verified bundle is unpacked"));
    };
    let target = into.join(&manifest.root);
    if target.exists() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!(
                "{} already exists; remove it or choose another folder with -o",
                target.display()
            ),
        ));
    }
    let executable: BTreeMap<&str, bool> = manifest
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.executable))
        .collect();
    let scratch = tempfile::Builder::new()
        .prefix(".atelier-unpack-")
        .tempdir_in(into)?;
    let write = |name: &str, content: &mut dyn Read| -> io::Result<()> {
        let Some((_, rest)) = safe_split(name) else {
            return Err(io::Error::other(format!("unsafe path {name:?}")));
        };
        if rest.is_empty() {
            return Ok(());
        }
        let path = scratch.path().join(rest);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let mut out = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)?;
        io::copy(content, &mut out)?;
        #[cfg(unix)]
        if executable.get(rest).copied().unwrap_or(false) {
            use std::os::unix::fs::PermissionsExt as _;
            out.set_permissions(std::fs::Permissions::from_mode(0o755))?;
        }
        Ok(())
    };
    let file = File::open(archive)?;
    match format {
        Format::Zip => {
            let mut zip = zip::ZipArchive::new(BufReader::new(file)).map_err(io::Error::other)?;
            for index in 0..zip.len() {
                let mut entry = zip.by_index(index).map_err(io::Error::other)?;
                if entry.is_file() {
                    let name = String::from_utf8_lossy(entry.name_raw()).into_owned();
                    write(&name, &mut entry)?;
                }
            }
        }
        Format::TarGz => {
            let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(BufReader::new(file)));
            for entry in tar.entries()? {
                let mut entry = entry?;
                if matches!(
                    entry.header().entry_type(),
                    tar::EntryType::Regular | tar::EntryType::Continuous
                ) {
                    let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
                    write(&name, &mut entry)?;
                }
            }
        }
    }
    let scratch = scratch.keep();
    std::fs::rename(&scratch, &target)?;
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_clean_relative_paths_split() {
        assert_eq!(safe_split("top/a/b.txt"), Some(("top", "a/b.txt")));
        assert_eq!(safe_split("top/"), Some(("top", "")));
        for bad in [
            "/etc/passwd",
            "top/../x",
            "../x",
            "top/./x",
            "top//x",
            "top\\..\\x",
            "C:/x",
            "top/a\0b",
            "",
        ] {
            assert_eq!(safe_split(bad), None, "{bad:?}");
        }
    }
}

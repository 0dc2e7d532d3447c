//! Imports the sample designs of `designs/` into a store, replaying each one's `history.toml`.
//!
//! Each folder of `designs/` becomes the design `atelier/<folder>`. Its optional `history.toml`
//! lists commits, oldest first, each with an author, a fixed date, a message (trailers included)
//! and the files it adds; every commit records all files listed so far, with their content as on
//! disk, so the last commit holds the whole folder. Files no commit lists are added by the last
//! one, so nothing in the folder is lost. Fixed dates make the imported commit ids reproducible.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::store::{self, DesignId, NewCommit, Person, Store};

/// The account that owns imported sample designs.
pub const SAMPLES_OWNER: &str = "atelier";
/// The replay script inside a sample folder; it is not part of the design.
pub const HISTORY_FILE: &str = "history.toml";

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] store::Error),
}

fn invalid(path: &Path, message: impl Into<String>) -> Error {
    Error::Invalid {
        path: path.to_owned(),
        message: message.into(),
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_owned(),
        source,
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct History {
    commit: Vec<HistoryCommit>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HistoryCommit {
    /// `Name <email>`.
    author: String,
    date: toml::value::Datetime,
    message: String,
    #[serde(default)]
    files: Vec<String>,
}

/// Imports every folder of `dir` as a design owned by [`SAMPLES_OWNER`], in name order.
/// Returns the designs created.
pub fn import_samples(store: &Store, dir: &Path) -> Result<Vec<DesignId>, Error> {
    let mut folders = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io(dir))? {
        let entry = entry.map_err(io(dir))?;
        if entry.file_type().map_err(io(dir))?.is_dir() {
            folders.push(entry.path());
        }
    }
    folders.sort();
    let mut ids = Vec::new();
    for folder in folders {
        let slug = folder
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| invalid(&folder, "folder name is not UTF-8"))?;
        let id = DesignId::new(SAMPLES_OWNER, slug).map_err(|e| invalid(&folder, e.to_string()))?;
        let commits = read_sample(&folder)?;
        store
            .create(&id, &commits)
            .map_err(|err| invalid(&folder, err.to_string()))?;
        tracing::info!(design = %id, commits = commits.len(), "imported sample design");
        ids.push(id);
    }
    Ok(ids)
}

/// Reads one sample folder into the commits that replay its history.
pub fn read_sample(folder: &Path) -> Result<Vec<NewCommit>, Error> {
    let mut on_disk = BTreeMap::new();
    collect_files(folder, "", &mut on_disk)?;
    on_disk.remove(HISTORY_FILE);
    if on_disk.is_empty() {
        return Err(invalid(folder, "the folder has no files"));
    }

    let history_path = folder.join(HISTORY_FILE);
    let history = match std::fs::read_to_string(&history_path) {
        Ok(text) => {
            toml::from_str::<History>(&text).map_err(|e| invalid(&history_path, e.to_string()))?
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => History {
            commit: vec![HistoryCommit {
                author: "Atelier importer <importer@atelier.invalid>".into(),
                date: DEFAULT_TIME_DATETIME
                    .parse()
                    .expect("the constant is a valid TOML datetime"),
                message: "Import sample design\n".into(),
                files: Vec::new(),
            }],
        },
        Err(err) => return Err(io(&history_path)(err)),
    };
    if history.commit.is_empty() {
        return Err(invalid(&history_path, "lists no [[commit]]"));
    }

    let mut included: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut commits = Vec::with_capacity(history.commit.len());
    let last = history.commit.len() - 1;
    for (n, entry) in history.commit.into_iter().enumerate() {
        for file in &entry.files {
            let content = on_disk.get(file).ok_or_else(|| {
                invalid(
                    &history_path,
                    format!(
                        "commit {} lists {file:?}, which is not in the folder",
                        n + 1
                    ),
                )
            })?;
            included.insert(file.clone(), content.clone());
        }
        if n == last {
            included.extend(on_disk.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        let author = parse_person(&entry.author, &entry.date)
            .map_err(|message| invalid(&history_path, format!("commit {}: {message}", n + 1)))?;
        let mut message = entry.message;
        if !message.ends_with('\n') {
            message.push('\n');
        }
        commits.push(NewCommit {
            committer: author.clone(),
            author,
            message,
            files: included.clone(),
        });
    }
    Ok(commits)
}

/// Date of the single commit of a sample that has no `history.toml`.
const DEFAULT_TIME_DATETIME: &str = "2024-01-01T00:00:00Z";

fn parse_person(author: &str, date: &toml::value::Datetime) -> Result<Person, String> {
    let (name, rest) = author
        .split_once('<')
        .ok_or_else(|| format!("author {author:?} is not of the form \"Name <email>\""))?;
    let email = rest
        .strip_suffix('>')
        .filter(|e| e.contains('@'))
        .ok_or_else(|| format!("author {author:?} is not of the form \"Name <email>\""))?;
    let time = OffsetDateTime::parse(&date.to_string(), &Rfc3339)
        .map_err(|_| format!("date {date} is not a full RFC 3339 date-time with offset"))?;
    Ok(Person {
        name: name.trim().to_owned(),
        email: email.trim().to_owned(),
        time: time.unix_timestamp(),
    })
}

/// Collects every regular file under `dir` (skipping dot-files) keyed by slash-separated path.
fn collect_files(
    dir: &Path,
    prefix: &str,
    out: &mut BTreeMap<String, Vec<u8>>,
) -> Result<(), Error> {
    for entry in std::fs::read_dir(dir).map_err(io(dir))? {
        let entry = entry.map_err(io(dir))?;
        let path = entry.path();
        let name = entry
            .file_name()
            .into_string()
            .map_err(|_| invalid(&path, "file name is not UTF-8"))?;
        if name.starts_with('.') {
            continue;
        }
        let key = format!("{prefix}{name}");
        let kind = entry.file_type().map_err(io(&path))?;
        if kind.is_dir() {
            collect_files(&path, &format!("{key}/"), out)?;
        } else if kind.is_file() {
            out.insert(key, std::fs::read(&path).map_err(io(&path))?);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::Events;

    fn write(dir: &Path, path: &str, text: &str) {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn replays_history_and_adds_unlisted_files_last() {
        let dir = tempfile::tempdir().unwrap();
        let samples = dir.path().join("designs");
        let sample = samples.join("lamp");
        write(&sample, "okh.toml", "name = \"Lamp\"\n");
        write(&sample, "README.md", "# Lamp\n");
        write(&sample, "cad/shade.scad", "sphere(10);\n");
        write(
            &sample,
            HISTORY_FILE,
            r#"
[[commit]]
author = "Ada <ada@example.org>"
date = 2024-03-01T10:00:00Z
message = "Start\n\nLabor-Hours: 2\n"
files = ["okh.toml"]

[[commit]]
author = "Grace <grace@example.org>"
date = 2024-03-02T10:00:00+01:00
message = "Shade"
files = ["cad/shade.scad"]
"#,
        );
        let commits = read_sample(&sample).unwrap();
        assert_eq!(commits.len(), 2);
        assert_eq!(commits[0].files.keys().collect::<Vec<_>>(), ["okh.toml"]);
        assert_eq!(
            commits[1].files.keys().collect::<Vec<_>>(),
            ["README.md", "cad/shade.scad", "okh.toml"]
        );
        assert_eq!(commits[0].author.time, 1_709_287_200);
        assert_eq!(commits[1].author.time, 1_709_370_000);
        assert_eq!(commits[1].author.email, "grace@example.org");
        assert_eq!(commits[1].message, "Shade\n");

        let store = Store::open(dir.path().join("repos"), Events::new()).unwrap();
        let ids = import_samples(&store, &samples).unwrap();
        assert_eq!(ids, [DesignId::new(SAMPLES_OWNER, "lamp").unwrap()]);
    }

    #[test]
    fn history_naming_a_missing_file_is_refused_with_its_name() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "okh.toml", "name = \"x\"\n");
        write(
            dir.path(),
            HISTORY_FILE,
            "[[commit]]\nauthor = \"A <a@b.c>\"\ndate = 2024-01-01T00:00:00Z\nmessage = \"m\"\nfiles = [\"nope.scad\"]\n",
        );
        let err = read_sample(dir.path()).unwrap_err().to_string();
        assert!(err.contains("\"nope.scad\""), "{err}");
    }

    #[test]
    fn bad_author_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "okh.toml", "name = \"x\"\n");
        write(
            dir.path(),
            HISTORY_FILE,
            "[[commit]]\nauthor = \"Nobody\"\ndate = 2024-01-01T00:00:00Z\nmessage = \"m\"\n",
        );
        let err = read_sample(dir.path()).unwrap_err().to_string();
        assert!(err.contains("commit 1: author \"Nobody\""), "{err}");
    }
}

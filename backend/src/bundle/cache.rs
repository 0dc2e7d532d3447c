//! The bundle cache on disk: a finished bundle beside its `.sha256` line; scratch files of
//! builds that did not finish are removed at start.

use super::*;

pub(super) fn sidecar(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".sha256");
    PathBuf::from(name)
}

/// A finished bundle: the archive exists (its rename comes last) and its `.sha256` line reads.
pub(super) fn read_cached(file: &Path) -> Option<Cached> {
    let size = std::fs::metadata(file).ok()?.len();
    let line = std::fs::read_to_string(sidecar(file)).ok()?;
    let (sha256, name) = line.trim_end().split_once("  ")?;
    (sha256.len() == 64).then(|| Cached {
        file: file.to_owned(),
        size,
        sha256: sha256.to_owned(),
        name: name.to_owned(),
    })
}

/// Removes the scratch files of builds a previous process did not finish.
pub(super) fn remove_partial_builds(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            remove_partial_builds(&path);
        } else if path.extension().is_some_and(|ext| ext == "partial") {
            let _ = std::fs::remove_file(path);
        }
    }
}

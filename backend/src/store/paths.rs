//! Validation of every user-given path inside a design: relative, slash-separated, no `..`, no
//! `.git` in any disguise (case, trailing dots, NTFS short names and streams, HFS-ignorable
//! code points), nothing that would break or escape a checkout on Linux, macOS or Windows.

use std::fmt;

/// Longest accepted path, in bytes.
pub const MAX_PATH_BYTES: usize = 1024;
/// Longest accepted segment (file or folder name), in bytes.
pub const MAX_SEGMENT_BYTES: usize = 255;

/// Why a path was refused; names the offending segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathError {
    pub path: String,
    pub segment: Option<String>,
    pub reason: &'static str,
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.segment {
            Some(segment) => write!(
                f,
                "invalid path {:?}: segment {:?} {}",
                self.path, segment, self.reason
            ),
            None => write!(f, "invalid path {:?}: {}", self.path, self.reason),
        }
    }
}

impl std::error::Error for PathError {}

/// Code points HFS+ ignores when comparing names (as git's `is_hfs_dotgit` lists them).
fn hfs_ignorable(c: char) -> bool {
    matches!(c as u32, 0x200c..=0x200f | 0x202a..=0x202e | 0x206a..=0x206f | 0xfeff)
}

const WINDOWS_RESERVED: &[&str] = &[
    "con", "prn", "aux", "nul", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8",
    "com9", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
];

/// Checks one path; returns it unchanged when valid.
pub fn validate(path: &str) -> Result<&str, PathError> {
    let fail = |segment: Option<&str>, reason| PathError {
        path: path.chars().take(200).collect(),
        segment: segment.map(str::to_owned),
        reason,
    };
    if path.is_empty() {
        return Err(fail(None, "is empty"));
    }
    if path.len() > MAX_PATH_BYTES {
        return Err(fail(None, "is longer than 1024 bytes"));
    }
    if path.starts_with('/') {
        return Err(fail(None, "must be relative (no leading '/')"));
    }
    for segment in path.split('/') {
        validate_segment(segment).map_err(|reason| fail(Some(segment), reason))?;
    }
    Ok(path)
}

fn validate_segment(segment: &str) -> Result<(), &'static str> {
    if segment.is_empty() {
        return Err("is empty (no '//' and no trailing '/')");
    }
    if segment.len() > MAX_SEGMENT_BYTES {
        return Err("is longer than 255 bytes");
    }
    if segment == "." || segment == ".." {
        return Err("is a relative step");
    }
    if let Some(c) = segment.chars().find(|c| c.is_control()) {
        return Err(if c == '\0' {
            "contains a NUL character"
        } else {
            "contains a control character"
        });
    }
    if segment.contains('\\') {
        return Err("contains a backslash");
    }
    if segment
        .chars()
        .any(|c| matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*'))
    {
        return Err("contains a character Windows forbids (< > : \" | ? *)");
    }
    if segment.ends_with('.') || segment.ends_with(' ') {
        return Err("ends with a dot or a space");
    }
    // Compare as git does on case-insensitive, normalising file systems.
    let folded: String = segment
        .chars()
        .filter(|c| !hfs_ignorable(*c))
        .collect::<String>()
        .to_lowercase();
    if folded == ".git" || folded.starts_with("git~") {
        return Err("names git's own directory");
    }
    let stem = folded.split('.').next().unwrap_or_default();
    if WINDOWS_RESERVED.contains(&stem) {
        return Err("is a reserved device name on Windows");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_paths_pass() {
        for good in [
            "okh.toml",
            "README.md",
            "cad/frame.scad",
            "cad/sub dir/part (v2).step",
            "images/trailer-side.svg",
            ".gitignore",
            ".github/workflows/ci.yml",
            "gitlab.md",
            "docs/.git-notes.txt",
            "construction/console.md",
            "bom.tsv",
            "a/b/c/d/e/f/g.txt",
            "Ünïcödé/名前.txt",
        ] {
            assert_eq!(validate(good), Ok(good), "{good}");
        }
    }

    #[test]
    fn hostile_paths_are_refused_naming_the_segment() {
        let long_segment = "a".repeat(256);
        let long_path = "a/".repeat(600);
        let cases: &[(&str, Option<&str>)] = &[
            ("", None),
            ("/etc/passwd", None),
            ("/", None),
            ("../secret", Some("..")),
            ("cad/../../x", Some("..")),
            ("cad/..", Some("..")),
            ("./okh.toml", Some(".")),
            ("cad//frame.scad", Some("")),
            ("cad/", Some("")),
            ("cad\\frame.scad", Some("cad\\frame.scad")),
            ("..\\..\\windows", Some("..\\..\\windows")),
            ("nul\0byte", Some("nul\0byte")),
            ("bell\u{7}", Some("bell\u{7}")),
            ("new\nline", Some("new\nline")),
            ("tab\there", Some("tab\there")),
            (".git", Some(".git")),
            (".git/config", Some(".git")),
            ("cad/.git/hooks/post-checkout", Some(".git")),
            (".GIT/config", Some(".GIT")),
            (".Git", Some(".Git")),
            (".git./config", Some(".git.")),
            (".git /config", Some(".git ")),
            ("git~1/config", Some("git~1")),
            ("GIT~2", Some("GIT~2")),
            (".g\u{200c}it/config", Some(".g\u{200c}it")),
            ("\u{feff}.git", Some("\u{feff}.git")),
            (".gi\u{206f}t", Some(".gi\u{206f}t")),
            (".git::$INDEX_ALLOCATION/x", Some(".git::$INDEX_ALLOCATION")),
            ("file:stream", Some("file:stream")),
            ("what?.txt", Some("what?.txt")),
            ("star*.txt", Some("star*.txt")),
            ("pipe|.txt", Some("pipe|.txt")),
            ("quote\".txt", Some("quote\".txt")),
            ("angle<.txt", Some("angle<.txt")),
            ("CON", Some("CON")),
            ("docs/nul.txt", Some("nul.txt")),
            ("lpt1.md", Some("lpt1.md")),
            ("trailing.", Some("trailing.")),
            ("trailing ", Some("trailing ")),
            (&long_segment, Some(&long_segment)),
            (&long_path, None),
        ];
        assert!(cases.len() >= 30);
        for (path, segment) in cases {
            let err = validate(path).expect_err(path);
            assert_eq!(err.segment.as_deref(), *segment, "{path:?}: {err}");
            let message = err.to_string();
            assert!(message.starts_with("invalid path"), "{message}");
            if let Some(segment) = segment {
                assert!(message.contains(&format!("{segment:?}")), "{message}");
            }
        }
    }
}

//! Validation of every user-given path inside a design: relative, slash-separated, no `..`, no
//! `.git` in any disguise (case, trailing dots, NTFS short names and streams, HFS-ignorable
//! code points), no control characters or backslashes: nothing that would break or escape a
//! checkout. Names git and the big forges accept but Windows cannot hold (`* ? : < > | "`,
//! device names such as `CON`) are accepted; [`windows_notice`] says why they are not portable.

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
    // `C:/…` would name a drive on Windows, outside any checkout.
    let first = path.split('/').next().unwrap_or_default().as_bytes();
    if first.len() >= 2 && first[0].is_ascii_alphabetic() && first[1] == b':' {
        return Err(fail(
            path.split('/').next(),
            "starts like a Windows drive letter (\"C:\")",
        ));
    }
    Ok(path)
}

/// Checks one file or folder name; the reason reads after the name ("… is empty").
pub(crate) fn validate_segment(segment: &str) -> Result<(), &'static str> {
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
    if segment.ends_with('.') || segment.ends_with(' ') {
        return Err("ends with a dot or a space");
    }
    // Compare as git does on case-insensitive, normalising file systems.
    let folded: String = segment
        .chars()
        .filter(|c| !hfs_ignorable(*c))
        .collect::<String>()
        .to_lowercase();
    // NTFS reads `name:stream` as `name`, and drops trailing dots and spaces.
    let base = folded
        .split(':')
        .next()
        .unwrap_or_default()
        .trim_end_matches(['.', ' ']);
    if base == ".git" || base.starts_with("git~") {
        return Err("names git's own directory");
    }
    Ok(())
}

/// Why a valid path cannot be checked out on Windows, if it cannot: a character Windows
/// forbids or a reserved device name, naming the segment.
pub fn windows_notice(path: &str) -> Option<String> {
    path.split('/').find_map(|segment| {
        if let Some(c) = segment
            .chars()
            .find(|c| matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*'))
        {
            return Some(format!(
                "not portable to Windows: {segment:?} contains {c:?}, which Windows forbids in names"
            ));
        }
        let stem = segment.split('.').next().unwrap_or_default().to_lowercase();
        WINDOWS_RESERVED.contains(&stem.as_str()).then(|| {
            format!("not portable to Windows: {segment:?} is a reserved device name there")
        })
    })
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
            assert_eq!(windows_notice(good), None, "{good}");
        }
    }

    #[test]
    fn names_windows_cannot_hold_are_accepted_with_a_notice() {
        for (path, named) in [
            (
                "notes/10:30 meeting.md",
                "\"10:30 meeting.md\" contains ':'",
            ),
            ("what?.txt", "'?'"),
            ("star*.txt", "'*'"),
            ("pipe|.txt", "'|'"),
            ("quote\".txt", "'\"'"),
            ("angle<.txt", "'<'"),
            ("arrow>.txt", "'>'"),
            ("file:stream", "':'"),
            ("CON", "\"CON\" is a reserved device name"),
            ("docs/nul.txt", "\"nul.txt\" is a reserved device name"),
            ("drivers/aux.c", "\"aux.c\" is a reserved device name"),
        ] {
            assert_eq!(validate(path), Ok(path), "{path}");
            let notice = windows_notice(path).expect(path);
            assert!(notice.starts_with("not portable to Windows"), "{notice}");
            assert!(notice.contains(named), "{path}: {notice}");
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
            (".GIT. :stream", Some(".GIT. :stream")),
            ("git~1:x", Some("git~1:x")),
            ("trailing.", Some("trailing.")),
            ("trailing ", Some("trailing ")),
            (&long_segment, Some(&long_segment)),
            (&long_path, None),
            ("C:/Windows/system.ini", Some("C:")),
            ("d:", Some("d:")),
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

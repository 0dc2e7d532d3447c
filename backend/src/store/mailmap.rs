//! A design's `.mailmap`, honoured as `git shortlog` honours it: each commit author's (and
//! co-author's) canonical name and email. libgit2 parses the file and resolves; this module
//! finds it and maps commit records.

use git2::{Mailmap, Signature, Time};

use super::{CommitInfo, DesignId, Error, Person, Result, Store};

/// The file git reads.
pub const MAILMAP: &str = ".mailmap";
/// The largest `.mailmap` read (larger ones are ignored, as if absent).
const MAX_MAILMAP: usize = 1 << 20;

/// The people a `.mailmap` names, ready to map commit authors.
pub struct People(Option<Mailmap>);

impl People {
    /// A map from the text of a `.mailmap` (`None` or unreadable: nobody is mapped).
    pub fn parse(text: Option<&str>) -> Self {
        Self(text.and_then(|text| Mailmap::from_buffer(&fold_emails(text)).ok()))
    }

    /// `person` as the mailmap names them (unchanged when it does not).
    pub fn resolve(&self, person: &Person) -> Person {
        let Some(map) = &self.0 else {
            return person.clone();
        };
        // git compares emails without case; libgit2 does not, so both sides are folded.
        let email = person.email.to_lowercase();
        let Ok(signature) = Signature::new(&person.name, &email, &Time::new(person.time, 0)) else {
            return person.clone();
        };
        match map.resolve_signature(&signature) {
            Ok(mapped)
                if mapped.name_bytes() == person.name.as_bytes()
                    && mapped.email_bytes() == email.as_bytes() =>
            {
                person.clone()
            }
            Ok(mapped) => Person {
                name: String::from_utf8_lossy(mapped.name_bytes()).into_owned(),
                email: String::from_utf8_lossy(mapped.email_bytes()).into_owned(),
                time: person.time,
            },
            Err(_) => person.clone(),
        }
    }

    /// Maps the author of `commit`, and its `Co-authored-by` trailers.
    pub fn apply(&self, commit: &mut CommitInfo) {
        if self.0.is_none() {
            return;
        }
        {
            commit.author = self.resolve(&commit.author);
            for (key, value) in &mut commit.trailers {
                if !key.eq_ignore_ascii_case("Co-authored-by") {
                    continue;
                }
                if let Some((name, email)) = value
                    .rsplit_once('<')
                    .and_then(|(name, rest)| Some((name.trim(), rest.strip_suffix('>')?)))
                {
                    let mapped = self.resolve(&Person {
                        name: name.to_owned(),
                        email: email.trim().to_owned(),
                        time: 0,
                    });
                    *value = format!("{} <{}>", mapped.name, mapped.email);
                }
            }
        }
    }
}

/// `text` with every `<email>` lower-cased (names keep their case).
fn fold_emails(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    let mut inside = false;
    for c in text.chars() {
        match c {
            '<' => inside = true,
            '>' => inside = false,
            _ => {}
        }
        if inside {
            folded.extend(c.to_lowercase());
        } else {
            folded.push(c);
        }
    }
    folded
}

impl Store {
    /// The `.mailmap` at the default branch of `id`, if it has one.
    pub fn mailmap(&self, id: &DesignId) -> Result<Option<String>> {
        let branch = self.default_branch(id)?;
        match self.file(id, &branch, MAILMAP) {
            Ok((_, bytes)) if bytes.len() <= MAX_MAILMAP => {
                Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
            }
            // Too large to be a mailmap (or to read whole): ignored, as git ignores a bad one.
            Ok(_) | Err(Error::Missing(_) | Error::TooLarge(_)) => Ok(None),
            Err(err) => Err(err),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(name: &str, email: &str) -> Person {
        Person {
            name: name.into(),
            email: email.into(),
            time: 1_700_000_000,
        }
    }

    #[test]
    fn names_and_emails_map_as_git_shortlog_maps_them() {
        let people = People::parse(Some(
            "# Ada's addresses\n\
             Ada Lovelace <ada@example.org>\n\
             Ada Lovelace <ada@example.org> <ada@old-laptop.local>\n\
             <bob@example.org> <Bob@Work.example>\n",
        ));
        let mapped = people.resolve(&person("ada", "ada@old-laptop.local"));
        assert_eq!(
            (mapped.name.as_str(), mapped.email.as_str()),
            ("Ada Lovelace", "ada@example.org")
        );
        let named = people.resolve(&person("A. L.", "ada@example.org"));
        assert_eq!(named.name, "Ada Lovelace");
        let bob = people.resolve(&person("Bob", "bob@work.example"));
        assert_eq!(
            (bob.name.as_str(), bob.email.as_str()),
            ("Bob", "bob@example.org")
        );
        let other = people.resolve(&person("Cy", "cy@example.org"));
        assert_eq!(other, person("Cy", "cy@example.org"));
        assert_eq!(
            People::parse(None)
                .resolve(&person("ada", "ada@old-laptop.local"))
                .email,
            "ada@old-laptop.local"
        );
    }
}

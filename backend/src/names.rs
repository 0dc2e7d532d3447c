//! Names of accounts and designs: one rule, `[a-z0-9][a-z0-9-]{0,38}`, and the reserved words
//! that would collide with the app's own paths.

/// Usernames that would shadow a page or API path, or that belong to the instance itself.
pub const RESERVED: &[&str] = &[
    "about",
    "account",
    "accounts",
    "admin",
    "api",
    "assets",
    "atelier",
    "components",
    "designs",
    "explore",
    "git",
    "help",
    "labor",
    "login",
    "logout",
    "new",
    "root",
    "search",
    "session",
    "settings",
    "signin",
    "signout",
    "signup",
    "static",
    "system",
    "tokens",
];

/// Checks `name` against the rule; the error says what is wrong, for a message naming the field.
pub fn check(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > 39 {
        return Err("must be 1 to 39 characters long".into());
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        // Phrased so the character cannot be read as the whole name ("username 'n' …").
        return Err(if c.is_ascii_uppercase() {
            format!(
                "may not contain the capital {c:?} (use lowercase: {:?})",
                c.to_ascii_lowercase()
            )
        } else {
            format!("may not contain the character {c:?} (use a-z, 0-9 and '-')")
        });
    }
    if name.starts_with('-') {
        return Err("must start with a letter or digit".into());
    }
    Ok(())
}

/// [`check`] plus the reserved words: for names people choose.
pub fn check_new_username(name: &str) -> Result<(), String> {
    check(name)?;
    if RESERVED.contains(&name) {
        return Err(format!("{name:?} is reserved"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule() {
        for good in ["a", "cargo-trailer", "x1", "0", "a-", &"a".repeat(39)] {
            assert_eq!(check(good), Ok(()), "{good}");
        }
        for (bad, why) in [
            ("", "must be 1 to 39 characters long"),
            ("-a", "must start with a letter or digit"),
            ("A", "may not contain the capital 'A' (use lowercase: 'a')"),
            (
                "a_b",
                "may not contain the character '_' (use a-z, 0-9 and '-')",
            ),
            (
                "a.b",
                "may not contain the character '.' (use a-z, 0-9 and '-')",
            ),
            (
                "é",
                "may not contain the character 'é' (use a-z, 0-9 and '-')",
            ),
        ] {
            assert_eq!(check(bad), Err(why.to_owned()), "{bad}");
        }
        assert!(check(&"a".repeat(40)).is_err());
    }

    #[test]
    fn reserved_words_are_refused_for_new_users() {
        for word in ["api", "admin", "new", "settings", "search", "atelier"] {
            assert_eq!(
                check_new_username(word),
                Err(format!("{word:?} is reserved"))
            );
        }
        assert_eq!(check_new_username("ada"), Ok(()));
    }
}

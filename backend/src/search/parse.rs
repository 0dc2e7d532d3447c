//! What a person types, taken apart: words (normalized like the index, the last one a prefix
//! while typing), quoted phrases and `field:value` filters. Nothing typed is a syntax error.

use super::MAX_QUERY_CHARS;
use super::normalize::join_dimensions;

/// What a person typed, taken apart.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Parsed {
    pub(super) words: Vec<String>,
    pub(super) phrases: Vec<Vec<String>>,
    pub(super) filters: Vec<(String, String)>,
    /// The last word is still being typed (no trailing space): match it as a prefix.
    pub(super) prefix_last: bool,
}

pub(super) const FILTERS: &[&str] = &[
    "license",
    "material",
    "category",
    "owner",
    "readiness",
    "manufacturer",
];

/// Query words: lower-cased, dimensions joined (`M8 x 40` → `m8x40`), split on anything that is
/// not a letter or digit. (Documents also carry `m8` for `m8x40`; queries need not.)
pub(super) fn tokens(text: &str) -> Vec<String> {
    join_dimensions(text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty() && t.len() <= 64)
        .map(str::to_owned)
        .collect()
}

pub(super) fn parse(q: &str) -> Parsed {
    let mut parsed = Parsed::default();
    let mut plain = String::new();
    let mut last_was_plain = false;
    let mut rest = q;
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        if let Some(after) = rest.strip_prefix('"') {
            let (phrase, next) = after.split_once('"').unwrap_or((after, ""));
            let words = tokens(phrase);
            if words.len() > 1 {
                parsed.phrases.push(words);
            } else {
                plain.push(' ');
                plain.push_str(phrase);
            }
            rest = next;
            last_was_plain = false;
            continue;
        }
        let end = rest.find(' ').unwrap_or(rest.len());
        let (token, next) = rest.split_at(end);
        rest = next;
        if let Some((field, value)) = token.split_once(':')
            && FILTERS.contains(&field.to_lowercase().as_str())
        {
            let value = match value.strip_prefix('"') {
                Some(quoted) if quoted.ends_with('"') => quoted.trim_end_matches('"').to_owned(),
                // `material:"stainless steel"`: the value goes on to the closing quote.
                Some(quoted) => {
                    let (more, next) = rest.split_once('"').unwrap_or((rest, ""));
                    rest = next;
                    format!("{quoted}{more}")
                }
                None => value.to_owned(),
            };
            if !value.trim().is_empty() {
                parsed
                    .filters
                    .push((field.to_lowercase(), value.trim().to_owned()));
            }
            last_was_plain = false;
            continue;
        }
        plain.push(' ');
        plain.push_str(token);
        last_was_plain = true;
    }
    parsed.words = tokens(&plain);
    parsed.prefix_last = last_was_plain && !q.ends_with(' ');
    parsed
}

pub(super) fn cut(q: &str) -> String {
    q.chars().take(MAX_QUERY_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_come_apart_into_words_phrases_and_filters() {
        let parsed = parse(
            "\"food dryer\" solar license:CERN-OHL-S-2.0 material:\"stainless steel\" M8 x 40 tra",
        );
        assert_eq!(parsed.phrases, [["food", "dryer"]]);
        assert_eq!(
            parsed.filters,
            [
                ("license".to_owned(), "CERN-OHL-S-2.0".to_owned()),
                ("material".to_owned(), "stainless steel".to_owned())
            ]
        );
        assert_eq!(parsed.words, ["solar", "m8x40", "tra"]);
        assert!(parsed.prefix_last);
        assert!(!parse("trailer ").prefix_last);
    }

    #[test]
    fn broken_syntax_is_plain_text() {
        let parsed = parse("\"unclosed (parens AND: ::: -- ~~~ *");
        assert_eq!(parsed.phrases, [["unclosed", "parens", "and"]]);
        assert!(parse("unknown:field").words.contains(&"unknown".to_owned()));
    }
}

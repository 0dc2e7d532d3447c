//! The labor trailers of a commit message — `Labor-Hours`, `Labor-Type`, `Co-authored-by` —
//! written here for commits made through Atelier and read here for the ledger, so what one
//! writes the other always reads. Work types are checked against the loaded policy.

use std::collections::HashMap;

use super::Policy;

pub const HOURS: &str = "Labor-Hours";
pub const TYPE: &str = "Labor-Type";
pub const CO_AUTHOR: &str = "Co-authored-by";
/// One per commit a squash merge replaced: the ledger credits those commits (validated with
/// the squash) instead of the squash commit, so nothing counts twice.
pub const SQUASHED: &str = "Squashed-commit";

/// The most hours one commit made through Atelier may declare (the policy caps what counts).
pub const MAX_DECLARED_HOURS: f64 = 1000.0;

/// What a `Labor-Hours` value says.
#[derive(Debug, Clone, PartialEq)]
pub enum Hours {
    /// `2.5` (or `2,5`): shared evenly by the people of the commit.
    Total(f64),
    /// `ada@example.org=2, bob@example.org=1`: by lower-cased email.
    PerPerson(HashMap<String, f64>),
    /// Has a `=` but some part is not `email=hours`.
    Malformed,
    NotANumber,
}

fn hours_value(text: &str) -> Option<f64> {
    text.trim()
        .replace(',', ".")
        .parse::<f64>()
        .ok()
        .filter(|h| h.is_finite() && *h >= 0.0)
}

/// Reads a `Labor-Hours` value.
pub fn parse_hours(text: &str) -> Hours {
    if let Some(total) = hours_value(text) {
        return Hours::Total(total);
    }
    if !text.contains('=') {
        return Hours::NotANumber;
    }
    let mut named = HashMap::new();
    for part in text.split(',') {
        match part.split_once('=') {
            Some((email, hours)) => match hours_value(hours) {
                Some(hours) => {
                    named.insert(email.trim().to_lowercase(), hours);
                }
                None => return Hours::Malformed,
            },
            _ => return Hours::Malformed,
        }
    }
    Hours::PerPerson(named)
}

/// `Name <email>` (a `Co-authored-by` value) → (name, lower-cased email).
pub fn person(text: &str) -> Option<(String, String)> {
    let (name, rest) = text.split_once('<')?;
    let email = rest.strip_suffix('>')?.trim().to_lowercase();
    email.contains('@').then(|| (name.trim().to_owned(), email))
}

/// Labor declared with a commit made through Atelier.
#[derive(Debug, Clone, PartialEq)]
pub struct Declared<'a> {
    pub hours: f64,
    pub work_type: &'a str,
}

/// The full message: the user's text, then the labor trailers. Problems name the field
/// (`message`, `labor.hours`, `labor.type`).
pub fn message_with_labor(
    message: &str,
    labor: Option<&Declared<'_>>,
    policy: &Policy,
) -> Result<String, Vec<(&'static str, String)>> {
    let message = message.trim_end();
    if message.trim().is_empty() {
        return Err(vec![("message", "the commit message is empty".into())]);
    }
    let Some(labor) = labor else {
        return Ok(format!("{message}\n"));
    };
    let mut problems = Vec::new();
    if !(labor.hours > 0.0 && labor.hours <= MAX_DECLARED_HOURS) {
        problems.push((
            "labor.hours",
            format!("labor hours must be more than 0 and at most {MAX_DECLARED_HOURS}"),
        ));
    }
    if !policy.work_types.contains_key(labor.work_type) {
        let known: Vec<&str> = policy.work_types.keys().map(String::as_str).collect();
        problems.push((
            "labor.type",
            format!(
                "labor type {:?} is not one of {}",
                labor.work_type,
                known.join(", ")
            ),
        ));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    // Whole hours print without a fraction; others with at most two decimals.
    let hours = format!("{:.2}", labor.hours);
    let hours = hours.trim_end_matches('0').trim_end_matches('.');
    Ok(format!(
        "{message}\n\n{HOURS}: {hours}\n{TYPE}: {}\n",
        labor.work_type
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_written_is_read_back() {
        let policy = Policy::default_policy();
        for hours in [1.0, 2.5, 0.25, 12.75] {
            let text = message_with_labor(
                "Widen the frame",
                Some(&Declared {
                    hours,
                    work_type: "design",
                }),
                &policy,
            )
            .unwrap();
            let value = text
                .lines()
                .find_map(|l| l.strip_prefix("Labor-Hours: "))
                .unwrap();
            assert_eq!(parse_hours(value), Hours::Total(hours), "{text}");
            assert!(text.contains("\nLabor-Type: design\n"), "{text}");
        }
    }

    #[test]
    fn labor_becomes_trailers() {
        let policy = Policy::default_policy();
        let declared = |hours, work_type| Declared { hours, work_type };
        assert_eq!(
            message_with_labor("Widen the frame\n", Some(&declared(2.5, "design")), &policy)
                .unwrap(),
            "Widen the frame\n\nLabor-Hours: 2.5\nLabor-Type: design\n"
        );
        assert_eq!(
            message_with_labor("Test", Some(&declared(3.0, "testing")), &policy).unwrap(),
            "Test\n\nLabor-Hours: 3\nLabor-Type: testing\n"
        );
        assert_eq!(
            message_with_labor("Plain", None, &policy).unwrap(),
            "Plain\n"
        );
    }

    #[test]
    fn bad_declarations_name_their_field() {
        let policy = Policy::default_policy();
        let problems = message_with_labor(
            "x",
            Some(&Declared {
                hours: 0.0,
                work_type: "juggling",
            }),
            &policy,
        )
        .unwrap_err();
        let fields: Vec<&str> = problems.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, ["labor.hours", "labor.type"]);
        assert!(problems[1].1.contains("design"), "{problems:?}");
        assert_eq!(
            message_with_labor("  \n", None, &policy).unwrap_err()[0].0,
            "message"
        );
    }

    #[test]
    fn hours_in_every_form() {
        assert_eq!(parse_hours("3"), Hours::Total(3.0));
        assert_eq!(parse_hours("1,5"), Hours::Total(1.5));
        assert_eq!(parse_hours("about three"), Hours::NotANumber);
        assert_eq!(parse_hours("-2"), Hours::NotANumber);
        assert_eq!(
            parse_hours("Ada@example.org=2, bob@example.org=1"),
            Hours::PerPerson(HashMap::from([
                ("ada@example.org".into(), 2.0),
                ("bob@example.org".into(), 1.0)
            ]))
        );
        assert_eq!(parse_hours("ada@example.org=two"), Hours::Malformed);
    }
}

//! The parameters of an OpenSCAD file, read the way OpenSCAD's own Customizer reads them:
//! top-level assignments of a literal (number, string, boolean, vector of numbers) before the
//! first `module` or `function`; `/* [Tab] */` starts a group (`[Hidden]` hides what follows);
//! a trailing `// [min:max]`, `// [min:step:max]`, `// [max]` or `// [a, b, c]` (or
//! `value:label` pairs) makes a slider or a list; the comment line above is the description
//! (else a trailing comment that is not a widget).

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Bool(bool),
    Number(f64),
    Text(String),
    Vector(Vec<f64>),
}

impl Value {
    /// The value as an OpenSCAD literal, for `-D name=literal`.
    pub fn literal(&self) -> String {
        match self {
            Self::Bool(b) => b.to_string(),
            Self::Number(n) => number(*n),
            Self::Text(t) => {
                let escaped = t.replace('\\', "\\\\").replace('"', "\\\"");
                format!("\"{escaped}\"")
            }
            Self::Vector(v) => format!(
                "[{}]",
                v.iter().map(|n| number(*n)).collect::<Vec<_>>().join(", ")
            ),
        }
    }

    pub fn same_kind(&self, other: &Self) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
    }
}

fn number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{n:.0}")
    } else {
        format!("{n}")
    }
}

/// One choice of a list: its value and what the form shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    pub value: Value,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Widget {
    /// A free value of the default's kind.
    Plain,
    Slider {
        min: f64,
        max: f64,
        step: Option<f64>,
    },
    Choices {
        choices: Vec<Choice>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    pub name: String,
    pub default: Value,
    pub description: Option<String>,
    /// The tab it sits under (`None` before the first `/* [Tab] */`).
    pub group: Option<String>,
    pub widget: Widget,
    /// The line of its assignment.
    pub line: usize,
}

/// The file's customizer parameters, in file order.
pub fn parse(source: &str) -> Vec<Parameter> {
    let mut out = Vec::new();
    let mut group: Option<String> = None;
    let mut hidden = false;
    let mut above: Option<String> = None;
    let mut depth = 0usize;
    let mut in_block_comment = false;
    for (n, raw) in source.lines().enumerate() {
        let line = raw.trim();
        if in_block_comment {
            if line.contains("*/") {
                in_block_comment = false;
            }
            continue;
        }
        if let Some(tab) = tab_of(line) {
            hidden = tab.eq_ignore_ascii_case("hidden");
            group = Some(tab);
            above = None;
            continue;
        }
        if line.starts_with("/*") {
            in_block_comment = !line.contains("*/");
            above = None;
            continue;
        }
        if let Some(comment) = line.strip_prefix("//") {
            above = Some(comment.trim().to_owned()).filter(|c| !c.is_empty());
            continue;
        }
        if depth == 0 {
            let first = line
                .split(|c: char| !c.is_alphanumeric() && c != '_')
                .next();
            if matches!(first, Some("module" | "function")) {
                break;
            }
            if let Some(parameter) = assignment(line, n + 1) {
                if !hidden {
                    let (widget, trailing) = parameter.1;
                    let mut parameter = parameter.0;
                    parameter.description = above.take().or(trailing);
                    parameter.group = group.clone();
                    parameter.widget = widget.unwrap_or(Widget::Plain);
                    out.push(parameter);
                }
                above = None;
                continue;
            }
        }
        above = None;
        depth = (depth + line.matches(['{', '(', '[']).count())
            .saturating_sub(line.matches(['}', ')', ']']).count());
    }
    out
}

/// `/* [Name] */` → `Name`.
fn tab_of(line: &str) -> Option<String> {
    let inner = line.strip_prefix("/*")?.strip_suffix("*/")?.trim();
    let name = inner.strip_prefix('[')?.strip_suffix(']')?.trim();
    (!name.is_empty()).then(|| name.to_owned())
}

type Found = (Parameter, (Option<Widget>, Option<String>));

/// `name = literal; // comment`, with its widget and trailing description.
fn assignment(line: &str, line_no: usize) -> Option<Found> {
    let (name, rest) = line.split_once('=')?;
    let name = name.trim();
    let valid = name
        .chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_alphanumeric() || c == '_')
        && !name.starts_with('$');
    if !valid || rest.starts_with('=') {
        return None;
    }
    let (value, comment) = split_statement(rest)?;
    let default = literal(value.trim())?;
    let comment = comment.map(str::trim).filter(|c| !c.is_empty());
    let (widget, trailing) = match comment {
        Some(c) if c.starts_with('[') && c.ends_with(']') => {
            (widget(&c[1..c.len() - 1], &default), None)
        }
        Some(c) => (None, Some(c.to_owned())),
        None => (None, None),
    };
    Some((
        Parameter {
            name: name.to_owned(),
            default,
            description: None,
            group: None,
            widget: Widget::Plain,
            line: line_no,
        },
        (widget, trailing),
    ))
}

/// The value before `;` and the `//` comment after it (strings may hold `;` and `//`).
fn split_statement(rest: &str) -> Option<(&str, Option<&str>)> {
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in rest.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            ';' if !in_string => {
                let after = rest[i + 1..].trim();
                return Some((&rest[..i], after.strip_prefix("//")));
            }
            _ => {}
        }
    }
    None
}

fn literal(text: &str) -> Option<Value> {
    match text {
        "true" => return Some(Value::Bool(true)),
        "false" => return Some(Value::Bool(false)),
        _ => {}
    }
    if let Some(inner) = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        return Some(Value::Text(
            inner.replace("\\\"", "\"").replace("\\\\", "\\"),
        ));
    }
    if let Some(inner) = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
        let values: Option<Vec<f64>> = inner.split(',').map(|v| v.trim().parse().ok()).collect();
        return values.filter(|v| !v.is_empty()).map(Value::Vector);
    }
    text.parse::<f64>()
        .ok()
        .filter(|n| n.is_finite())
        .map(Value::Number)
}

fn widget(spec: &str, default: &Value) -> Option<Widget> {
    let numbers: Option<Vec<f64>> = spec.split(':').map(|p| p.trim().parse().ok()).collect();
    if let (Some(numbers), Value::Number(_) | Value::Vector(_)) = (&numbers, default) {
        return match numbers.as_slice() {
            [max] => Some(Widget::Slider {
                min: 0.0,
                max: *max,
                step: None,
            }),
            [min, max] => Some(Widget::Slider {
                min: *min,
                max: *max,
                step: None,
            }),
            [min, step, max] => Some(Widget::Slider {
                min: *min,
                max: *max,
                step: Some(*step),
            }),
            _ => None,
        };
    }
    let choices: Vec<Choice> = spec
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .filter_map(|item| {
            let (value, label) = match item.split_once(':') {
                Some((v, l)) => (v.trim(), l.trim().to_owned()),
                None => (item, item.trim_matches('"').to_owned()),
            };
            let value = match (literal(value), default) {
                (Some(v), d) if v.same_kind(d) => v,
                (_, Value::Text(_)) => Value::Text(value.trim_matches('"').to_owned()),
                _ => return None,
            };
            Some(Choice { value, label })
        })
        .collect();
    (!choices.is_empty()).then_some(Widget::Choices { choices })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCE: &str = r#"// A parametric box
include <lib/hinge.scad>

/* [Size] */
// Inside width of the box
width = 40; // [10:5:120]
depth = 30; // [100]
height = 12.5; // [5:50]

/* [Look] */
lid = true;
shape = "round"; // [round, square, "hex"]
holes = 4; // [2:Two, 4:Four, 6:Six]
label = "Box; \"A\" // one"; // printed on the lid
offset = [0, 1.5, 2];

/* [Hidden] */
$fn = 64;
secret = 3;

/* [Derived] */
wall = width / 10;

module box() { inner = 3; cube([width, depth, height]); }
after = 5;
"#;

    #[test]
    fn parameters_are_read_as_the_customizer_reads_them() {
        let params = parse(SOURCE);
        let names: Vec<&str> = params.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "width", "depth", "height", "lid", "shape", "holes", "label", "offset"
            ]
        );
        let width = &params[0];
        assert_eq!(width.default, Value::Number(40.0));
        assert_eq!(width.group.as_deref(), Some("Size"));
        assert_eq!(
            width.description.as_deref(),
            Some("Inside width of the box")
        );
        assert_eq!(width.line, 6);
        assert_eq!(
            width.widget,
            Widget::Slider {
                min: 10.0,
                max: 120.0,
                step: Some(5.0)
            }
        );
        assert_eq!(
            params[1].widget,
            Widget::Slider {
                min: 0.0,
                max: 100.0,
                step: None
            }
        );
        assert_eq!(
            params[2].widget,
            Widget::Slider {
                min: 5.0,
                max: 50.0,
                step: None
            }
        );
        assert_eq!(params[3].default, Value::Bool(true));
        assert_eq!(params[3].group.as_deref(), Some("Look"));
        let Widget::Choices { choices } = &params[4].widget else {
            panic!("{:?}", params[4].widget)
        };
        let labels: Vec<&str> = choices.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(labels, ["round", "square", "hex"]);
        assert_eq!(choices[2].value, Value::Text("hex".into()));
        let Widget::Choices { choices } = &params[5].widget else {
            panic!("{:?}", params[5].widget)
        };
        assert_eq!(
            choices[1],
            Choice {
                value: Value::Number(4.0),
                label: "Four".into()
            }
        );
        assert_eq!(params[6].default, Value::Text("Box; \"A\" // one".into()));
        assert_eq!(params[6].description.as_deref(), Some("printed on the lid"));
        assert_eq!(params[7].default, Value::Vector(vec![0.0, 1.5, 2.0]));
    }

    #[test]
    fn values_become_safe_literals() {
        assert_eq!(Value::Number(40.0).literal(), "40");
        assert_eq!(Value::Number(2.5).literal(), "2.5");
        assert_eq!(
            Value::Text("a\"); echo(\"x".into()).literal(),
            r#""a\"); echo(\"x""#
        );
        assert_eq!(Value::Vector(vec![1.0, 2.5]).literal(), "[1, 2.5]");
        assert_eq!(Value::Bool(false).literal(), "false");
    }

    #[test]
    fn the_samples_parameters_are_found() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../designs");
        let source =
            std::fs::read_to_string(dir.join("gravity-water-filter/cad/candle-spacer.scad"))
                .unwrap();
        let params = parse(&source);
        let names: Vec<&str> = params.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["bore", "outer_d", "height", "segments"]);
        assert_eq!(params[0].group.as_deref(), Some("Ring"));
        assert!(
            params[0]
                .description
                .as_deref()
                .unwrap()
                .starts_with("clears a 1/2 in")
        );
    }
}

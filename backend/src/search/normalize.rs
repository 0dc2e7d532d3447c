//! Text normalization shared by indexing and querying, so that `M8x40`, `M8 x 40` and `m8×40`
//! are one thing, `M8` finds them all, and a component has one key wherever it is used.

/// Lower-cases, folds `×` to `x`, and joins dimension pairs written with spaces (`8 x 40` →
/// `8x40`). Dimension tokens also contribute their first half (`m8x40` → `m8x40 m8`), so a
/// search for "M8" finds M8 bolts of every length.
pub fn normalize(text: &str) -> String {
    let joined = join_dimensions(text);
    let mut out = joined.clone();
    for token in joined.split(|c: char| !c.is_alphanumeric()) {
        if let Some((first, rest)) = token.split_once('x')
            && first.chars().last().is_some_and(|c| c.is_ascii_digit())
            && !rest.is_empty()
            && rest.chars().all(|c| c.is_ascii_digit())
        {
            out.push(' ');
            out.push_str(first);
        }
    }
    out
}

/// Lower-case, `×` → `x`, and `8 x 40` → `8x40`.
pub fn join_dimensions(text: &str) -> String {
    let chars: Vec<char> = text.to_lowercase().replace('×', "x").chars().collect();
    let mut joined = String::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == ' ' || chars[i] == 'x' {
            let prev_digit = joined
                .trim_end_matches(' ')
                .chars()
                .last()
                .is_some_and(|p| p.is_ascii_digit());
            let mut j = i;
            while j < chars.len() && chars[j] == ' ' {
                j += 1;
            }
            if prev_digit && j < chars.len() && chars[j] == 'x' {
                let mut k = j + 1;
                while k < chars.len() && chars[k] == ' ' {
                    k += 1;
                }
                if k < chars.len() && chars[k].is_ascii_digit() {
                    joined.truncate(joined.trim_end_matches(' ').len());
                    joined.push('x');
                    i = k;
                    continue;
                }
            }
        }
        joined.push(chars[i]);
        i += 1;
    }
    joined
}

/// The key of a component: its part number when it has one, else its name, normalized into a
/// URL-safe slug (`ISO 4017 M8 x 40` → `iso-4017-m8x40`).
pub fn component_key(part_number: Option<&str>, name: &str) -> String {
    let source = part_number.filter(|p| !p.trim().is_empty()).unwrap_or(name);
    let mut key = String::new();
    for c in join_dimensions(source).chars() {
        if c.is_alphanumeric() {
            key.push(c);
        } else if !key.is_empty() && !key.ends_with('-') {
            key.push('-');
        }
        if key.len() >= 120 {
            break;
        }
    }
    key.trim_end_matches('-').to_owned()
}

/// Groups free-text materials into families for facets ("S235 steel" → "steel").
pub fn material_family(material: &str) -> String {
    let m = material.to_lowercase();
    const FAMILIES: &[(&str, &[&str])] = &[
        ("stainless steel", &["stainless", "a2", "a4", "304", "316"]),
        ("steel", &["steel", "s235", "s355", "8.8", "zinc plated"]),
        ("aluminium", &["alumin", "6061", "6063", "5083"]),
        (
            "wood",
            &[
                "plywood", "wood", "timber", "birch", "pine", "spruce", "larch", "oak", "osb",
                "c24",
            ],
        ),
        (
            "plastic",
            &[
                "pla",
                "petg",
                "abs",
                "nylon",
                "pa6",
                "polycarbonate",
                "hdpe",
                "pvc",
                "pp ",
                "acrylic",
                "pmma",
                "tpu",
                "epdm",
            ],
        ),
        ("copper", &["copper", "brass", "bronze"]),
        ("ceramic", &["ceramic", "clay"]),
        ("glass", &["glass"]),
        ("rubber", &["rubber", "silicone"]),
        ("concrete", &["concrete", "cement", "mortar"]),
        ("electronics", &["pcb", "fr4", "fr-4", "electronic"]),
        ("textile", &["fabric", "textile", "canvas", "cotton"]),
    ];
    for (family, needles) in FAMILIES {
        if needles.iter().any(|n| m.contains(n)) {
            return (*family).to_owned();
        }
    }
    m.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dimensions_are_one_token_and_their_first_half_is_searchable() {
        assert_eq!(normalize("Hex bolt M8x40"), "hex bolt m8x40 m8");
        assert_eq!(normalize("Hex bolt M8 x 40"), "hex bolt m8x40 m8");
        assert_eq!(normalize("M8 × 40"), "m8x40 m8");
        assert_eq!(normalize("Box 200 x 300 mm"), "box 200x300 mm 200");
        assert_eq!(normalize("x ray"), "x ray");
        assert_eq!(normalize("NEMA 17"), "nema 17");
    }

    #[test]
    fn keys_are_stable_across_spellings() {
        assert_eq!(
            component_key(Some("ISO 4017 M8x40"), "Hex bolt"),
            "iso-4017-m8x40"
        );
        assert_eq!(
            component_key(Some("ISO 4017 M8 x 40"), "bolt"),
            "iso-4017-m8x40"
        );
        assert_eq!(component_key(None, "Hex bolt M8 x 40"), "hex-bolt-m8x40");
        assert_eq!(
            component_key(Some(""), "608-2RS ball bearing"),
            "608-2rs-ball-bearing"
        );
        assert_eq!(component_key(Some("17HS4401"), "NEMA 17 motor"), "17hs4401");
    }

    #[test]
    fn materials_fall_into_families() {
        assert_eq!(material_family("S235 steel"), "steel");
        assert_eq!(material_family("8.8 steel zinc plated"), "steel");
        assert_eq!(material_family("A2 stainless"), "stainless steel");
        assert_eq!(material_family("Birch plywood, 12 mm"), "wood");
        assert_eq!(material_family("PETG"), "plastic");
        assert_eq!(material_family("Unobtainium"), "unobtainium");
    }
}

/// Every two adjacent words of `text` joined, lower-cased (`Pro Micro board` →
/// `promicro microboard`), for [`crate::search::Fields::pairs`].
pub fn joined_pairs(text: &str) -> String {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let mut joined = String::new();
    for pair in words.windows(2) {
        if pair[0].len() + pair[1].len() <= 64 {
            joined.push_str(&pair[0]);
            joined.push_str(&pair[1]);
            joined.push(' ');
        }
    }
    joined
}

#[cfg(test)]
mod pair_tests {
    use super::joined_pairs;

    #[test]
    fn adjacent_words_are_joined() {
        assert_eq!(joined_pairs("Pro Micro (5V)"), "promicro micro5v ");
        assert_eq!(joined_pairs("one"), "");
    }
}

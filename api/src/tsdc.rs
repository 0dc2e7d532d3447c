//! Names of the OKH-LOSH `tsdc` codes (Technology-specific Documentation Criteria, DIN SPEC
//! 3105-1), so people read "CNC milling" where a manifest says `CNC`.
//!
//! The authoritative list is OSEGermany's `oh-tsdc` (GitLab), which we could not read. The short
//! codes' names are the section headings of the OKH-LOSH specification (`OKH-LOSH.md`: 3D
//! printing, CNC milling, Laser cutting, Welding, PCB); `MEC` is named in its 2021 production
//! metadata draft; the hierarchical codes as DIN SPEC 3105 review templates label them. `ASM`
//! is named nowhere we could find; it is the assembly group of the hierarchical codes. A code
//! not listed here is shown as written.

/// `(code, name)`, codes in upper case.
const NAMES: &[(&str, &str)] = &[
    ("3DP", "3D printing"),
    ("ASM", "Assembly"),
    ("CNC", "CNC milling"),
    ("LAS", "Laser cutting"),
    ("MEC", "Mechanical assembly"),
    ("PCB", "Printed circuit board"),
    ("WEL", "Welding"),
    ("ASM-GEN", "General assembly"),
    ("ASM-MEC", "Mechanically joined assembly"),
    ("ASM-PCB", "Printed circuit board assembly"),
    ("ASM-WEL", "Welded assembly"),
    ("COM-MAN", "Manufactured component"),
    ("COM-OSH", "Open source hardware component"),
    ("COM-PRP", "Proprietary component"),
    ("COM-STD", "Standard component"),
    ("PRC-COT", "Coating and filling"),
    ("PRC-MAT", "Change of material properties"),
];

/// The name of a `tsdc` code (any case), if it is a known one.
pub fn name(code: &str) -> Option<&'static str> {
    let code = code.trim();
    NAMES
        .iter()
        .find(|(known, _)| known.eq_ignore_ascii_case(code))
        .map(|(_, name)| *name)
}

/// "CNC milling (CNC)" for a known code, the code itself otherwise.
pub fn label(code: &str) -> String {
    match name(code) {
        Some(name) => format!("{name} ({})", code.trim()),
        None => code.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_named_in_any_case_and_unknown_ones_stay_as_written() {
        assert_eq!(name("CNC"), Some("CNC milling"));
        assert_eq!(name(" 3dp "), Some("3D printing"));
        assert_eq!(name("asm-mec"), Some("Mechanically joined assembly"));
        assert_eq!(label("WEL"), "Welding (WEL)");
        assert_eq!(label("XYZ"), "XYZ");
        assert_eq!(name(""), None);
    }
}

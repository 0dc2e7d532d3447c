//! Optional converters for CAD files we do not read ourselves, used only when their tool is on
//! the machine (looked for once; never required): STEP and IGES solids are meshed to a binary
//! STL by gmsh, whose OpenCASCADE kernel reads them; KiCad boards and schematics are drawn as
//! SVG by `kicad-cli` (KiCad 7 and later). The tools run in OpenSCAD's sandbox with its limits
//! ([`scad::run_limited`]): the file alone in a fresh directory, no network. Knows nothing
//! about HTTP or git.

use std::process::Command;
use std::sync::LazyLock;

use crate::scad::{self, Limits, Workdir};

/// Whether `path` is a file a converter reads (STEP or IGES, by extension in any case).
pub fn is_cad_exchange(path: &str) -> bool {
    let ext = path
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    matches!(ext.as_str(), "step" | "stp" | "iges" | "igs")
}

/// Whether `path` is a KiCad board or schematic (`.kicad_pcb`, `.kicad_sch`).
pub fn is_kicad(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    lower.ends_with(".kicad_pcb") || lower.ends_with(".kicad_sch")
}

/// `kicad-cli`'s version when it is installed (looked for once).
pub fn kicad_cli() -> Option<String> {
    static VERSION: LazyLock<Option<String>> = LazyLock::new(|| {
        let out = Command::new("kicad-cli").arg("version").output().ok()?;
        let text = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        (out.status.success() && !text.is_empty()).then(|| format!("kicad-cli {text}"))
    });
    VERSION.clone()
}

/// The layers a board is drawn with: copper, silkscreen and the outline.
const BOARD_LAYERS: &str = "F.Cu,B.Cu,F.Silkscreen,B.Silkscreen,Edge.Cuts";

/// A KiCad board (its copper, silkscreen and outline, fitted to the board) or schematic (its
/// root sheet) drawn as SVG by `kicad-cli`. Blocking.
pub fn kicad_svg(name: &str, bytes: &[u8], limits: &Limits) -> Result<Vec<u8>, scad::Error> {
    let board = name.to_ascii_lowercase().ends_with(".kicad_pcb");
    let work = Workdir::new()?;
    let input = if board {
        "design.kicad_pcb"
    } else {
        "design.kicad_sch"
    };
    work.write(input, bytes)?;
    let args: Vec<String> = if board {
        [
            "kicad-cli",
            "pcb",
            "export",
            "svg",
            input,
            "-o",
            "design.svg",
            "--layers",
            BOARD_LAYERS,
            "--exclude-drawing-sheet",
            "--page-size-mode",
            "2",
            "--mode-single",
        ]
        .map(str::to_owned)
        .to_vec()
    } else {
        [
            "kicad-cli",
            "sch",
            "export",
            "svg",
            input,
            "-o",
            ".",
            "--exclude-drawing-sheet",
        ]
        .map(str::to_owned)
        .to_vec()
    };
    let (status, messages) = scad::run_limited(&work, &args, limits)?;
    match std::fs::read(work.path().join("design.svg")) {
        Ok(svg) if status.success() && !svg.is_empty() => Ok(svg),
        _ => {
            let said: Vec<&str> = messages
                .lines()
                .map(|l| l.trim())
                .filter(|l| !l.is_empty() && !l.starts_with('\u{1b}'))
                .take(3)
                .collect();
            let why = match (said.is_empty(), status.code()) {
                (false, _) => said.join("; "),
                (true, Some(code)) if code < 128 => {
                    format!("kicad-cli could not read it (exit code {code})")
                }
                (true, _) => format!(
                    "kicad-cli was stopped by the instance's limits ({} s of CPU, {} MiB of memory)",
                    limits.cpu,
                    limits.memory >> 20
                ),
            };
            Err(scad::Error::Failed(format!("{name}: {why}")))
        }
    }
}

/// gmsh's version when it is installed (looked for once).
pub fn gmsh() -> Option<String> {
    static VERSION: LazyLock<Option<String>> = LazyLock::new(|| {
        let out = Command::new("gmsh").arg("--version").output().ok()?;
        // gmsh prints its version on stderr.
        let text = String::from_utf8_lossy(if out.stdout.is_empty() {
            &out.stderr
        } else {
            &out.stdout
        })
        .trim()
        .to_owned();
        (out.status.success() && !text.is_empty()).then(|| format!("gmsh {text}"))
    });
    VERSION.clone()
}

/// A STEP or IGES file (`name` gives its extension) meshed as a binary STL. Blocking.
pub fn to_stl(name: &str, bytes: &[u8], limits: &Limits) -> Result<Vec<u8>, scad::Error> {
    if gmsh().is_none() {
        return Err(scad::Error::Failed(format!(
            "{name}: STEP and IGES files are shown when gmsh is installed on the instance, and it is not"
        )));
    }
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let work = Workdir::new()?;
    let input = format!("model.{ext}");
    work.write(&input, bytes)?;
    let output = "model.stl";
    let args = [
        "gmsh", &input, "-2", "-bin", "-format", "stl", "-o", output, "-nopopup", "-nt", "1",
    ]
    .map(str::to_owned);
    let (status, messages) = scad::run_limited(&work, &args, limits)?;
    let problems: Vec<&str> = messages
        .lines()
        .filter(|l| l.starts_with("Error"))
        .map(|l| l.trim_start_matches("Error").trim_start_matches([' ', ':']))
        .collect();
    let stl = std::fs::read(work.path().join(output)).unwrap_or_default();
    let triangles = stl
        .get(80..84)
        .map_or(0, |n| u32::from_le_bytes([n[0], n[1], n[2], n[3]]));
    if !status.success() || triangles == 0 {
        let why = match (problems.is_empty(), status.code()) {
            (false, _) => problems.join("; "),
            (true, Some(0)) => "no surface could be read from it".to_owned(),
            (true, Some(code)) if code < 128 => format!("gmsh stopped with exit code {code}"),
            (true, _) => format!(
                "gmsh was stopped by the instance's limits ({} s of CPU, {} MiB of memory)",
                limits.cpu,
                limits.memory >> 20
            ),
        };
        return Err(scad::Error::Failed(format!("{name}: {why}")));
    }
    Ok(stl)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 10 × 20 × 30 mm box as STEP, written by OpenCASCADE (through gmsh) for this test.
    fn box_step() -> Vec<u8> {
        let work = Workdir::new().unwrap();
        work.write(
            "box.geo",
            b"SetFactory(\"OpenCASCADE\");\nBox(1) = {0, 0, 0, 10, 20, 30};\n",
        )
        .unwrap();
        let made = Command::new("gmsh")
            .args(["box.geo", "-0", "-o", "box.step", "-nopopup"])
            .current_dir(work.path())
            .output()
            .unwrap();
        assert!(made.status.success(), "{made:?}");
        std::fs::read(work.path().join("box.step")).unwrap()
    }

    /// A 50 × 30 mm board with one track, as KiCad writes boards (S-expressions).
    const BOARD: &str = r#"(kicad_pcb (version 20221018) (generator pcbnew)
  (general (thickness 1.6))
  (paper "A4")
  (layers (0 "F.Cu" signal) (31 "B.Cu" signal) (37 "F.SilkS" user) (44 "Edge.Cuts" user))
  (gr_rect (start 100 100) (end 150 130) (layer "Edge.Cuts") (stroke (width 0.1) (type default)))
  (gr_line (start 105 105) (end 145 125) (layer "F.Cu") (stroke (width 1) (type default)))
)
"#;

    #[test]
    fn a_kicad_board_and_schematic_are_drawn_and_a_broken_one_is_named() {
        assert!(
            kicad_cli().is_some(),
            "cargo xtask setup installs kicad-cli"
        );
        let svg = kicad_svg("pcb/Main.kicad_pcb", BOARD.as_bytes(), &Limits::SERVER).unwrap();
        let svg = String::from_utf8(svg).unwrap();
        // Fitted to the board: 50 × 30 mm and the outline's stroke.
        assert!(
            svg.contains("width=\"50.") && svg.contains("height=\"30."),
            "{svg}"
        );
        let sheet = r#"(kicad_sch (version 20230121) (generator eeschema)
  (uuid 0b0e8f3a-1d2c-4e5f-8a9b-0c1d2e3f4a5b)
  (paper "A5")
  (wire (pts (xy 50.8 50.8) (xy 101.6 50.8)) (stroke (width 0) (type default))
    (uuid 1b0e8f3a-1d2c-4e5f-8a9b-0c1d2e3f4a5b))
)
"#;
        let svg = kicad_svg("pcb/main.kicad_sch", sheet.as_bytes(), &Limits::SERVER).unwrap();
        assert!(String::from_utf8(svg).unwrap().contains("<svg"));
        let err = kicad_svg(
            "pcb/bad.kicad_pcb",
            b"(kicad_pcb (version 2022",
            &Limits::SERVER,
        )
        .unwrap_err();
        assert!(err.to_string().starts_with("pcb/bad.kicad_pcb: "), "{err}");
        assert!(is_kicad("a/B.KICAD_SCH") && !is_kicad("a/b.kicad_pro"));
    }

    #[test]
    fn a_step_solid_is_meshed_to_its_size_and_a_broken_one_is_named() {
        assert!(gmsh().is_some(), "cargo xtask setup installs gmsh");
        let stl = to_stl("cad/box.STEP", &box_step(), &Limits::SERVER).unwrap();
        let mesh = crate::mesh::parse(crate::mesh::Format::Stl, &stl).unwrap();
        let stats = mesh.stats().unwrap();
        let size = stats.size();
        for (got, want) in size.iter().zip([10.0, 20.0, 30.0]) {
            assert!((got - want).abs() < 1e-3, "{size:?}");
        }
        assert!((stats.volume - 6000.0).abs() < 1.0, "{}", stats.volume);

        let err = to_stl(
            "cad/bad.stp",
            b"ISO-10303-21;\nHEADER;\nnonsense\n",
            &Limits::SERVER,
        )
        .unwrap_err();
        assert!(err.to_string().starts_with("cad/bad.stp: "), "{err}");
        assert!(is_cad_exchange("a/B.IGS") && !is_cad_exchange("a/b.stl"));
    }
}

//! OpenSCAD files rendered to meshes with the stock `openscad`, in a sandbox, and their
//! Customizer parameters (`params.rs`). The caller writes the design's files at a commit into
//! a fresh directory ([`Workdir`]); [`render`] checks every `include`/`use`/`import` path
//! stays inside it, then runs OpenSCAD in it under bubblewrap when installed (no network, no
//! other files: only `/usr` read-only and the directory), with CPU, memory and file-size
//! limits (`prlimit`) and a wall-clock timeout, one render per core at a time. Knows nothing
//! about HTTP or git.

pub mod params;
pub mod sets;

use std::collections::BTreeMap;
use std::io::Read as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Component, Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::LazyLock;
use std::time::{Duration, Instant};

pub use params::{Parameter, Value};

/// What one render may use.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// CPU seconds.
    pub cpu: u64,
    /// Wall-clock time.
    pub timeout: Duration,
    /// Address space, bytes.
    pub memory: u64,
    /// The largest file it may write, bytes.
    pub output: u64,
}

impl Limits {
    /// The server's: a minute of CPU, 2 GiB, 256 MiB of output, 90 s in all.
    pub const SERVER: Self = Self {
        cpu: 60,
        timeout: Duration::from_secs(90),
        memory: 2 << 30,
        output: 256 << 20,
    };
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `openscad` is not on this machine.
    #[error("OpenSCAD is not installed on this instance, so .scad files are not rendered")]
    Missing,
    /// A path in the file leaves the design, or a parameter is not the file's.
    #[error("{0}")]
    Refused(String),
    /// OpenSCAD failed: its own messages, with paths relative to the design.
    #[error("{0}")]
    Failed(String),
    #[error("the render took longer than {0} s and was stopped")]
    Timeout(u64),
    /// The file draws a 2D shape, which has no mesh: render it as [`Export::Svg`] instead.
    #[error("{0} draws a 2D shape, so it is shown as a drawing, not a 3D model")]
    Flat(String),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// A directory holding a design's files at one commit, deleted on drop.
pub struct Workdir {
    dir: tempfile::TempDir,
}

impl Workdir {
    pub fn new() -> std::io::Result<Self> {
        Ok(Self {
            dir: tempfile::Builder::new().prefix("atelier-scad-").tempdir()?,
        })
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `bytes` at `relative` (a path the store validated).
    pub fn write(&self, relative: &str, bytes: &[u8]) -> std::io::Result<()> {
        let path = self.dir.path().join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, bytes)
    }
}

/// Whether a design file may matter to a render (sources, and what they import).
pub fn is_input(path: &str) -> bool {
    let ext = path
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    matches!(
        ext.as_str(),
        "scad"
            | "stl"
            | "off"
            | "amf"
            | "3mf"
            | "obj"
            | "dxf"
            | "svg"
            | "dat"
            | "png"
            | "csv"
            | "json"
    )
}

/// The installed OpenSCAD's version line (`OpenSCAD version 2021.01`); `None` if missing.
pub fn version() -> Option<String> {
    static VERSION: LazyLock<Option<String>> = LazyLock::new(|| {
        let out = Command::new("openscad").arg("--version").output().ok()?;
        // OpenSCAD prints its version on standard error.
        let text = String::from_utf8_lossy(&out.stderr).to_string()
            + &String::from_utf8_lossy(&out.stdout);
        text.lines()
            .find(|l| l.contains("version"))
            .map(|l| l.trim().to_owned())
    });
    VERSION.clone()
}

/// One render per core at a time: OpenSCAD's CGAL work takes a whole core.
static TURNS: LazyLock<(std::sync::Mutex<usize>, std::sync::Condvar)> =
    LazyLock::new(|| (std::sync::Mutex::new(0), std::sync::Condvar::new()));

struct Turn;

impl Turn {
    fn take() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let (lock, freed) = &*TURNS;
        let mut busy = lock.lock().unwrap_or_else(|e| e.into_inner());
        while *busy >= cores {
            busy = freed.wait(busy).unwrap_or_else(|e| e.into_inner());
        }
        *busy += 1;
        Self
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        let (lock, freed) = &*TURNS;
        *lock.lock().unwrap_or_else(|e| e.into_inner()) -= 1;
        freed.notify_one();
    }
}

/// What a render writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Export {
    /// A binary STL, of a 3D shape.
    Stl,
    /// An SVG drawing, of a 2D shape.
    Svg,
}

/// Renders `file` (relative to `work`) with `values` (each a parameter of the file, of its
/// kind) to a binary STL. Blocking.
pub fn render(
    work: &Workdir,
    file: &str,
    values: &BTreeMap<String, Value>,
    limits: &Limits,
) -> Result<Vec<u8>, Error> {
    render_as(work, file, values, limits, Export::Stl)
}

/// [`render`] to the `export` format ([`Error::Flat`] for a 2D shape asked for as STL).
pub fn render_as(
    work: &Workdir,
    file: &str,
    values: &BTreeMap<String, Value>,
    limits: &Limits,
    export: Export,
) -> Result<Vec<u8>, Error> {
    let source = std::fs::read_to_string(work.path().join(file))?;
    let declared = params::parse(&source);
    for (name, value) in values {
        let Some(parameter) = declared.iter().find(|p| &p.name == name) else {
            return Err(Error::Refused(format!("{file} has no parameter {name:?}")));
        };
        if std::mem::discriminant(value) != std::mem::discriminant(&parameter.default) {
            return Err(Error::Refused(format!(
                "parameter {name:?} takes a value like {}",
                parameter.default.literal()
            )));
        }
    }
    confine(work.path(), file, &mut Vec::new())?;
    if version().is_none() {
        return Err(Error::Missing);
    }
    let (output, format) = match export {
        Export::Stl => ("atelier-render.stl", "binstl"),
        Export::Svg => ("atelier-render.svg", "svg"),
    };
    let mut args = ["openscad", "--export-format", format, "-o", output]
        .map(str::to_owned)
        .to_vec();
    for (name, value) in values {
        args.push("-D".to_owned());
        args.push(format!("{name}={}", value.literal()));
    }
    args.push(file.to_owned());
    let (status, messages) = run_limited(work, &args, limits)?;
    let problems: Vec<&str> = messages
        .lines()
        .filter(|l| l.starts_with("ERROR") || l.starts_with("WARNING") || l.contains("empty"))
        .collect();
    let stl = work.path().join(output);
    if !status.success() || !stl.is_file() {
        // OpenSCAD says so without an ERROR prefix.
        if messages.contains("not a 3D object") {
            return Err(Error::Flat(file.to_owned()));
        }
        let why = if problems.is_empty() {
            // bubblewrap passes a signal on as 128 + its number.
            match status.code().filter(|code| *code < 128) {
                Some(code) => format!("OpenSCAD stopped with exit code {code}"),
                // SIGXCPU (CPU limit), SIGKILL or SIGSEGV (memory limit) and the like.
                None => format!(
                    "OpenSCAD was stopped by the instance's limits ({} s of CPU, {} MiB of memory)",
                    limits.cpu,
                    limits.memory >> 20
                ),
            }
        } else {
            problems.join("\n")
        };
        return Err(Error::Failed(why));
    }
    Ok(std::fs::read(stl)?)
}

/// Runs `args` (a program on `/usr/bin` and its arguments) in `work`, sandboxed, under the
/// CPU, memory and output limits and the timeout of `limits`, one such run per core at a time:
/// its exit status and what it wrote to stderr (at most 1 MiB), with `work`'s path taken out.
/// Other converters of CAD files ([`crate::convert`]) run their tools through this too.
pub fn run_limited(
    work: &Workdir,
    args: &[String],
    limits: &Limits,
) -> Result<(std::process::ExitStatus, String), Error> {
    let _turn = Turn::take();
    let mut command = sandboxed(work.path());
    command
        .arg("prlimit")
        .arg(format!("--cpu={}", limits.cpu))
        .arg(format!("--as={}", limits.memory))
        .arg(format!("--fsize={}", limits.output))
        .arg("--")
        .args(args);
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()?;
    let mut stderr = child.stderr.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = stderr.by_ref().take(1 << 20).read_to_end(&mut text);
        String::from_utf8_lossy(&text).into_owned()
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if started.elapsed() > limits.timeout {
            kill_group(&child);
            let _ = child.wait();
            return Err(Error::Timeout(limits.timeout.as_secs()));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let messages = reader.join().unwrap_or_default();
    let root = work.path().display().to_string();
    let messages = messages
        .replace(&format!("{root}/"), "")
        .replace(&root, ".");
    Ok((status, messages))
}

/// What a sandboxed process sees of the machine: `/usr`, read-only, and the usual links into it.
const BWRAP_ROOT: [&str; 12] = [
    "--ro-bind",
    "/usr",
    "/usr",
    "--symlink",
    "usr/lib",
    "/lib",
    "--symlink",
    "usr/lib64",
    "/lib64",
    "--symlink",
    "usr/bin",
    "/bin",
];

/// The command that runs in `dir` with nothing else of the machine visible: bubblewrap when
/// installed (a new mount, network, process and user namespace; `/usr` read-only), else a
/// plain process in `dir` with a cleared environment (the path checks still hold).
fn sandboxed(dir: &Path) -> Command {
    static BWRAP: LazyLock<bool> = LazyLock::new(|| {
        Command::new("bwrap")
            .args(BWRAP_ROOT)
            .args(["--unshare-all", "--die-with-parent", "--", "/usr/bin/true"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    });
    let mut command;
    if *BWRAP {
        command = Command::new("bwrap");
        command
            .args(BWRAP_ROOT)
            .args(["--ro-bind-try", "/etc/fonts", "/etc/fonts"])
            .args(["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"])
            .arg("--bind")
            .arg(dir)
            .arg(dir)
            .arg("--chdir")
            .arg(dir)
            .args([
                "--unshare-all",
                "--die-with-parent",
                "--new-session",
                "--clearenv",
            ])
            .args(["--setenv", "PATH", "/usr/bin"])
            .arg("--setenv")
            .arg("HOME")
            .arg(dir)
            .arg("--");
    } else {
        command = Command::new("env");
        command
            .current_dir(dir)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", dir);
    }
    command
}

fn kill_group(child: &std::process::Child) {
    let _ = Command::new("kill")
        .args(["-KILL", &format!("-{}", child.id())])
        .status();
}

/// Refuses a file whose `include <…>`, `use <…>`, `import("…")` or `surface(file = "…")`
/// names a path outside `root` (absolute, or climbing out with `..`), following the included
/// files of the design in turn. (Paths built at run time cannot be checked here; the sandbox
/// shows OpenSCAD nothing but the design.)
fn confine(root: &Path, file: &str, seen: &mut Vec<String>) -> Result<(), Error> {
    if seen.iter().any(|s| s == file) || seen.len() > 256 {
        return Ok(());
    }
    seen.push(file.to_owned());
    let Ok(source) = std::fs::read_to_string(root.join(file)) else {
        return Ok(());
    };
    let dir = Path::new(file).parent().unwrap_or(Path::new(""));
    for (line_no, line) in source.lines().enumerate() {
        for named in referenced(line) {
            let bad = || {
                Error::Refused(format!(
                    "{file}, line {}: {named:?} is outside the design; a design may use only its own files",
                    line_no + 1
                ))
            };
            if named.starts_with('/') || named.starts_with('\\') || named.contains(':') {
                return Err(bad());
            }
            let joined = normalize(&dir.join(&named)).ok_or_else(bad)?;
            let relative = joined.to_string_lossy().into_owned();
            if relative.ends_with(".scad") {
                confine(root, &relative, seen)?;
            }
        }
    }
    Ok(())
}

/// The design files a `.scad` file reads, found by following its `include <…>`, `use <…>`,
/// `import("…")` and `surface(file = "…")` paths through the `.scad` files among them.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Uses {
    /// Design paths (normalized; files that are missing included, since a file added there
    /// later changes the render). Paths that leave the design are not listed: rendering
    /// refuses them.
    pub files: std::collections::BTreeSet<String>,
    /// Some `import` or `surface` takes a path built at run time, which cannot be followed.
    pub dynamic: bool,
}

/// What `file` uses, reading design files through `read` (`None` for a missing one). The
/// answer names every file whose change could change `file`'s render, unless `dynamic`.
pub fn uses(file: &str, mut read: impl FnMut(&str) -> Option<String>) -> Uses {
    let mut found = Uses::default();
    let mut pending = vec![file.to_owned()];
    let mut seen = std::collections::BTreeSet::new();
    while let Some(current) = pending.pop() {
        if !seen.insert(current.clone()) || seen.len() > 256 {
            continue;
        }
        let Some(source) = read(&current) else {
            continue;
        };
        let dir = Path::new(&current).parent().unwrap_or(Path::new(""));
        for line in source.lines() {
            found.dynamic |= computed_path(line);
            for named in referenced(line) {
                if named.starts_with('/') || named.starts_with('\\') || named.contains(':') {
                    continue;
                }
                let Some(joined) = normalize(&dir.join(&named)) else {
                    continue;
                };
                let relative = joined.to_string_lossy().into_owned();
                if relative.ends_with(".scad") {
                    pending.push(relative.clone());
                }
                found.files.insert(relative);
            }
        }
    }
    found
}

/// Whether `line` calls `import` or `surface` with something other than a string literal.
fn computed_path(line: &str) -> bool {
    let code = line.split("//").next().unwrap_or_default();
    ["import", "surface"].iter().any(|keyword| {
        code.match_indices(keyword).any(|(at, _)| {
            let before = code[..at].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                return false;
            }
            let Some(args) = code[at + keyword.len()..].trim_start().strip_prefix('(') else {
                return false;
            };
            let args = args.trim_start();
            let args = args
                .strip_prefix("file")
                .map(|rest| rest.trim_start().trim_start_matches('=').trim_start())
                .unwrap_or(args);
            !args.starts_with('"')
        })
    })
}

/// The paths a line names in `include <…>`, `use <…>` and `file`/`import` string arguments.
fn referenced(line: &str) -> Vec<String> {
    let code = line.split("//").next().unwrap_or_default();
    let mut found = Vec::new();
    for keyword in ["include", "use"] {
        let mut rest = code;
        while let Some(at) = rest.find(keyword) {
            let after = rest[at + keyword.len()..].trim_start();
            if let Some(inner) = after.strip_prefix('<')
                && let Some(end) = inner.find('>')
            {
                found.push(inner[..end].trim().to_owned());
            }
            rest = &rest[at + keyword.len()..];
        }
    }
    for keyword in ["import", "surface"] {
        let mut rest = code;
        while let Some(at) = rest.find(keyword) {
            let after = &rest[at + keyword.len()..];
            if let Some(open) = after.find('"')
                && after[..open].trim_start().starts_with('(')
                && let Some(close) = after[open + 1..].find('"')
            {
                found.push(after[open + 1..open + 1 + close].to_owned());
            }
            rest = after;
        }
    }
    found
}

/// `path` with `.` and `..` resolved; `None` if it climbs above its start.
fn normalize(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::Normal(p) => out.push(p),
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn work(files: &[(&str, &str)]) -> Workdir {
        let work = Workdir::new().unwrap();
        for (path, text) in files {
            work.write(path, text.as_bytes()).unwrap();
        }
        work
    }

    #[test]
    fn uses_follows_includes_and_imports_and_notices_computed_paths() {
        let files: BTreeMap<&str, &str> = [
            (
                "cad/part.scad",
                "include <lib/a.scad> // the base\nuse <../shared/b.scad>\nimport(\"part.stl\");\n",
            ),
            (
                "cad/lib/a.scad",
                "include <a.scad>\nsurface(file = \"map.dat\");\ninclude </etc/passwd>\n",
            ),
            ("shared/b.scad", "use <../../outside.scad>\n"),
        ]
        .into();
        let read = |path: &str| files.get(path).map(|s| (*s).to_owned());
        let found = uses("cad/part.scad", read);
        let listed: Vec<&str> = found.files.iter().map(String::as_str).collect();
        assert_eq!(
            listed,
            [
                "cad/lib/a.scad",
                "cad/lib/map.dat",
                "cad/part.stl",
                "shared/b.scad"
            ]
        );
        assert!(!found.dynamic);
        let computed = [("x.scad", "name = \"p.stl\";\nimport(name);\n")]
            .into_iter()
            .collect::<BTreeMap<_, _>>();
        let found = uses("x.scad", |p| computed.get(p).map(|s| (*s).to_owned()));
        assert!(found.dynamic);
        assert!(!computed_path("reimport(x); // import(y)"));
        assert!(computed_path("surface(file = str(\"a\", \".dat\"));"));
    }

    #[test]
    fn includes_that_leave_the_design_are_refused() {
        for (source, named) in [
            ("include </etc/passwd>\ncube(1);", "/etc/passwd"),
            ("use <../../secret.scad>\n", "../../secret.scad"),
            ("cube(1);\nimport(\"../../x.stl\");", "../../x.stl"),
            (
                "s = surface(file = \"/proc/self/environ\");",
                "/proc/self/environ",
            ),
            ("include <lib/a.scad>\n", "../../../b.scad"),
        ] {
            let work = work(&[
                ("cad/part.scad", source),
                ("cad/lib/a.scad", "include <../../../b.scad>\n"),
            ]);
            let err =
                render(&work, "cad/part.scad", &BTreeMap::new(), &Limits::SERVER).unwrap_err();
            let text = err.to_string();
            assert!(matches!(err, Error::Refused(_)), "{text}");
            assert!(
                text.contains(&format!("{named:?} is outside the design")),
                "{text}"
            );
        }
        // Inside the design is fine (the check passes; rendering is another test).
        let inside = work(&[
            ("cad/part.scad", "include <lib/a.scad>\n"),
            ("cad/lib/a.scad", ""),
        ]);
        assert!(confine(inside.path(), "cad/part.scad", &mut Vec::new()).is_ok());
    }

    #[test]
    fn parameters_must_be_the_files_own_and_of_their_kind() {
        let work = work(&[("a.scad", "size = 10; // [1:20]\ncube(size);\n")]);
        let unknown = BTreeMap::from([("other".to_owned(), Value::Number(1.0))]);
        let err = render(&work, "a.scad", &unknown, &Limits::SERVER)
            .unwrap_err()
            .to_string();
        assert_eq!(err, "a.scad has no parameter \"other\"");
        let wrong = BTreeMap::from([("size".to_owned(), Value::Text("1); system(".into()))]);
        let err = render(&work, "a.scad", &wrong, &Limits::SERVER)
            .unwrap_err()
            .to_string();
        assert_eq!(err, "parameter \"size\" takes a value like 10");
    }

    /// These run the real `openscad` (installed by `cargo xtask setup`).
    #[test]
    fn a_2d_shape_is_flat_as_stl_and_drawn_as_svg() {
        let work = work(&[("plate.scad", "w = 30;\nsquare([w, 12]);\n")]);
        let none = BTreeMap::new();
        let err = render(&work, "plate.scad", &none, &Limits::SERVER).unwrap_err();
        assert!(
            matches!(err, Error::Flat(ref f) if f == "plate.scad"),
            "{err}"
        );
        let svg = render_as(&work, "plate.scad", &none, &Limits::SERVER, Export::Svg).unwrap();
        let svg = String::from_utf8(svg).unwrap();
        assert!(
            svg.contains("<svg") && svg.contains("width=\"30mm\""),
            "{svg}"
        );
        let wide = [("w".to_owned(), Value::Number(45.0))].into();
        let svg = render_as(&work, "plate.scad", &wide, &Limits::SERVER, Export::Svg).unwrap();
        assert!(String::from_utf8(svg).unwrap().contains("width=\"45mm\""));
    }

    #[test]
    fn a_render_gives_a_binary_stl_and_parameters_change_it() {
        let work = work(&[("box.scad", "w = 10; // [1:50]\ncube([w, 5, 2]);\n")]);
        let stl = render(&work, "box.scad", &BTreeMap::new(), &Limits::SERVER).unwrap();
        let mesh = crate::mesh::parse(crate::mesh::Format::Stl, &stl).unwrap();
        assert_eq!(mesh.stats().unwrap().size(), [10.0, 5.0, 2.0]);
        let wide = BTreeMap::from([("w".to_owned(), Value::Number(30.0))]);
        let stl = render(&work, "box.scad", &wide, &Limits::SERVER).unwrap();
        let mesh = crate::mesh::parse(crate::mesh::Format::Stl, &stl).unwrap();
        assert_eq!(mesh.stats().unwrap().size(), [30.0, 5.0, 2.0]);
    }

    #[test]
    fn errors_infinite_loops_and_memory_bombs_are_stopped_with_a_message() {
        let limits = Limits {
            cpu: 3,
            timeout: Duration::from_secs(20),
            memory: 512 << 20,
            output: 16 << 20,
        };
        let work = work(&[
            ("syntax.scad", "cube(1)\nsphere(;\n"),
            ("empty.scad", "x = 1;\n"),
            // Recursion without end: OpenSCAD stops it itself.
            (
                "recursion.scad",
                "function f(n) = f(n + 1);\nx = f(0);\ncube(1);\n",
            ),
            // 7 × 10¹⁷ steps of nothing: the CPU limit stops it.
            (
                "loop.scad",
                "n = len([for (a = [0:9e5]) for (b = [0:9e5]) for (c = [0:9e5]) if (a < 0) 1]);\ncube(n + 1);\n",
            ),
            // A list of 8 × 10¹¹ vectors: the memory limit stops it.
            (
                "bomb.scad",
                "x = [for (a = [0:9e5]) for (b = [0:9e5]) [a, b, a, b]];\ncube(1);\n",
            ),
        ]);
        let none = BTreeMap::new();
        let err = render(&work, "syntax.scad", &none, &limits)
            .unwrap_err()
            .to_string();
        assert!(err.contains("syntax.scad, line 2"), "{err}");
        let err = render(&work, "empty.scad", &none, &limits)
            .unwrap_err()
            .to_string();
        assert!(err.contains("empty"), "{err}");
        let err = render(&work, "recursion.scad", &none, &limits)
            .unwrap_err()
            .to_string();
        assert!(err.contains("Recursion detected"), "{err}");
        for file in ["loop.scad", "bomb.scad"] {
            let started = Instant::now();
            let err = render(&work, file, &none, &limits).unwrap_err();
            assert!(
                matches!(&err, Error::Failed(m) if m.contains("stopped by the instance's limits")),
                "{file}: {err}"
            );
            assert!(started.elapsed() < limits.timeout, "{file}");
        }
    }
}

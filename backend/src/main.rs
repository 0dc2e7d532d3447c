//! The `atelier` command: `atelier serve` runs the server; `atelier reindex` rebuilds the search
//! index; `atelier labor recompute|verify` rebuilds or checks the labor ledger; `atelier admin
//! grant` makes an instance admin; `atelier fetch` and `atelier verify` get and check bundles for
//! manufacturers. Thin: everything lives in the library.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use backend::{App, Config, server};

#[derive(Debug, Parser)]
#[command(
    name = "atelier",
    version,
    about = "Atelier: an open hardware design commons"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the web app and the JSON API (imports `designs/` into a new data directory first).
    Serve(Config),
    /// Rebuild the search index and the design rows from the repositories (the server must be
    /// stopped).
    Reindex {
        /// Data directory of the instance.
        #[arg(long, env = "ATELIER_DATA", default_value = "atelier-data")]
        data: PathBuf,
        /// The instance's database when it is not `<data>/atelier.db` (a `postgres://` URL).
        #[arg(long, env = "ATELIER_DATABASE")]
        database: Option<String>,
    },
    /// The labor ledger.
    Labor {
        #[command(subcommand)]
        command: LaborCommand,
        /// Data directory of the instance.
        #[arg(
            long,
            env = "ATELIER_DATA",
            default_value = "atelier-data",
            global = true
        )]
        data: PathBuf,
        /// The instance's database when it is not `<data>/atelier.db` (a `postgres://` URL).
        #[arg(long, env = "ATELIER_DATABASE", global = true)]
        database: Option<String>,
    },
    /// Download a design's bundle, verify every file and unpack it (the newest release when
    /// no @rev is given, else the default branch).
    Fetch {
        /// `<server>/<owner>/<slug>[@rev]`, e.g. `https://atelier.example/coop/trailer@v1.0`.
        target: backend::bundle::fetch::Target,
        /// Folder to unpack into (the bundle's own top folder is created inside it).
        #[arg(short = 'o', long = "output", default_value = ".")]
        output: PathBuf,
        /// Archive format to download.
        #[arg(long, default_value = "zip", value_parser = ["zip", "tar.gz"])]
        format: String,
    },
    /// Check a bundle offline against its atelier-bundle.json; exits non-zero naming every
    /// missing, extra or altered file.
    Verify {
        /// A `.zip` or `.tar.gz` bundle.
        bundle: PathBuf,
        /// Also require the archive's sha256 (as published beside the download) to be this.
        #[arg(long)]
        sha256: Option<String>,
    },
    /// Git hooks (run by git inside a push).
    #[command(hide = true)]
    Hook {
        #[command(subcommand)]
        command: HookCommand,
    },
    /// Bring a git repository (every branch and tag) or a git bundle in as a new design, with
    /// its whole history, checked like a push (the server must be stopped).
    Import {
        /// A repository folder, a `git bundle` file, or the `https://` URL of a public
        /// repository (fetched with the same safeguards as a URL import through the API).
        source: String,
        /// The new design, `owner/slug` (the owner's account must exist).
        #[arg(long = "as")]
        id: String,
        /// Data directory of the instance.
        #[arg(long, env = "ATELIER_DATA", default_value = "atelier-data")]
        data: PathBuf,
        /// The instance's database when it is not `<data>/atelier.db` (a `postgres://` URL).
        #[arg(long, env = "ATELIER_DATABASE")]
        database: Option<String>,
        /// Largest file the history may add, in bytes (the server's upload limit).
        #[arg(long, env = "ATELIER_MAX_UPLOAD", default_value_t = 100 * 1024 * 1024)]
        max_upload: u64,
        /// Largest history fetched from a URL, in bytes (the server's push limit).
        #[arg(long, env = "ATELIER_MAX_PUSH", default_value_t = 4 << 30)]
        max_push: u64,
        /// The certificate authorities git trusts for a URL, instead of the system's.
        #[arg(long, env = "ATELIER_IMPORT_CA_FILE")]
        import_ca_file: Option<PathBuf>,
    },
    /// Instance administration.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[derive(Debug, Subcommand)]
enum HookCommand {
    /// What git runs before it accepts a push: asks the running server (set up by the server
    /// itself; not for people).
    PreReceive,
}

#[derive(Debug, Subcommand)]
enum LaborCommand {
    /// Recompute the whole ledger from the repositories, the policy and the accounts.
    Recompute,
    /// Recompute and compare with the stored ledger; exits non-zero on any difference.
    Verify,
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// Make an account an instance admin.
    Grant {
        username: String,
        /// Data directory of the instance.
        #[arg(long, env = "ATELIER_DATA", default_value = "atelier-data")]
        data: PathBuf,
        /// The instance's database when it is not `<data>/atelier.db` (a `postgres://` URL).
        #[arg(long, env = "ATELIER_DATABASE")]
        database: Option<String>,
    },
}

/// What `atelier import` brings in.
enum ImportFrom {
    Path(PathBuf),
    /// A URL, with the CA file and size limit of its fetch.
    Url(String, Option<PathBuf>, u64),
}

/// `atelier import`: a repository (every branch and tag, bundled with the stock git; its
/// `HEAD` names the default branch), a bundle file or an `https://` URL becomes the new design
/// `id`, with the same checks as a push. Writes the store and the durable event log directly:
/// the server must be stopped; its consumers (search, labor, bundles, design rows) catch up
/// when it starts.
async fn import(
    from: ImportFrom,
    id: &str,
    data: &std::path::Path,
    database: Option<&str>,
    max_file: u64,
) -> anyhow::Result<()> {
    use anyhow::Context as _;
    let id = backend::store::DesignId::parse(id)?;
    let store_dir = data.join("store");
    if !store_dir.is_dir() {
        anyhow::bail!("no store at {}: is --data right?", store_dir.display());
    }
    if data.join("running").exists() {
        anyhow::bail!(
            "a server is running on {} (or did not stop cleanly: start and stop it once); stop it first",
            data.display()
        );
    }
    let location = location(data, database)?;
    let pool = backend::db::open(&location).await?;
    let accounts = backend::accounts::Accounts::new(pool.clone());
    let owner = accounts
        .find(id.owner())
        .await?
        .with_context(|| format!("no account named {}: it must sign up first", id.owner()))?;
    let scratch = tempfile::tempdir()?;
    // A repository folder: its branches and tags as a bundle, and its HEAD's branch.
    let (source, head) = match from {
        ImportFrom::Path(source) if source.is_dir() => {
            let bundle = scratch.path().join("import.bundle");
            let git = |args: &[&str]| {
                std::process::Command::new("git")
                    .arg("-C")
                    .arg(&source)
                    .args(args)
                    .output()
                    .context("cannot run git")
            };
            let head = git(&["symbolic-ref", "--quiet", "HEAD"])?;
            let head = head
                .status
                .success()
                .then(|| String::from_utf8_lossy(&head.stdout).trim().to_owned());
            let out = git(&[
                "bundle",
                "create",
                "--quiet",
                bundle.to_str().context("the scratch path is not UTF-8")?,
                "--branches",
                "--tags",
            ])?;
            if !out.status.success() {
                anyhow::bail!(
                    "git bundle create in {} failed: {}",
                    source.display(),
                    String::from_utf8_lossy(&out.stderr).trim()
                );
            }
            (ImportFrom::Path(bundle), head)
        }
        other => (other, None),
    };
    let log = backend::events::Log::durable(pool, &location).await?;
    let events = backend::events::Events::durable(log);
    let store = backend::store::Store::open(store_dir, events.clone())?.acting(Some(owner.id));
    let limits = backend::store::PushLimits { max_file };
    let target = id.clone();
    let imported = tokio::task::spawn_blocking(move || {
        if store.exists(&target) {
            return Err(backend::store::Error::AlreadyExists(target));
        }
        let staged = match source {
            ImportFrom::Path(bundle) => store.stage_bundle(&bundle)?,
            // The admin names the URL: its host is the one allowed.
            ImportFrom::Url(url, ca_file, max_size) => store.stage_url(
                &url,
                &backend::store::UrlPolicy::only(&url, ca_file, max_size),
            )?,
        };
        match staged {
            Ok(staged) => {
                let staged = match head {
                    Some(head) => staged.with_head_branch(head),
                    None => staged,
                };
                store.import_staged(&target, staged, limits)
            }
            Err(problems) => Ok(Err(problems)),
        }
    })
    .await??;
    events.written().await;
    match imported {
        Ok(refs) => {
            for r in &refs {
                let target = r.new.map(|o| o.to_string()).unwrap_or_default();
                println!("{target} {}", r.refname);
            }
            println!("imported {} refs into {id}", refs.len());
            Ok(())
        }
        Err(problems) => {
            for problem in &problems {
                eprintln!("{problem}");
            }
            anyhow::bail!("{id} was not imported")
        }
    }
}

/// The database of an instance, from `--data` and `--database`.
fn location(
    data: &std::path::Path,
    database: Option<&str>,
) -> anyhow::Result<backend::db::Location> {
    backend::db::Location::new(data, database).map_err(anyhow::Error::msg)
}

/// Rebuilds `<data>/search` and the design rows from `<data>/store`, drawing a progress bar on
/// standard error.
async fn reindex(data: &std::path::Path, database: Option<&str>) -> anyhow::Result<()> {
    use std::io::Write as _;
    let store_dir = data.join("store");
    if !store_dir.is_dir() {
        anyhow::bail!("no store at {}: is --data right?", store_dir.display());
    }
    let store = backend::store::Store::open(store_dir, backend::events::Events::new())?;
    let search = backend::search::Search::open(&data.join("search"))?;
    let started = std::time::Instant::now();
    let count = backend::search::reindex_all(&search, &store, |done, total| {
        let width = 30;
        let filled = (done * width).checked_div(total).unwrap_or(width);
        eprint!(
            "\rreindexing [{}{}] {done}/{total}",
            "#".repeat(filled),
            " ".repeat(width - filled)
        );
        let _ = std::io::stderr().flush();
    })?;
    eprintln!();
    println!(
        "indexed {count} designs in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let pool = backend::db::open(&location(data, database)?).await?;
    let rows = backend::catalog::Catalog::read_only(pool, store)
        .rebuild()
        .await?;
    println!("rebuilt {rows} design rows");
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("info,tower_http=info")),
        )
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::Hook {
            command: HookCommand::PreReceive,
        } => std::process::exit(backend::hooks::run_pre_receive()),
        Command::Serve(config) => {
            let addr = config.addr;
            let state = App::open(config).await?;
            let listener = tokio::net::TcpListener::bind(addr).await?;
            tracing::info!("serving on http://{}", listener.local_addr()?);
            server::serve(listener, state, server::shutdown_signal()).await?;
        }
        Command::Reindex { data, database } => reindex(&data, database.as_deref()).await?,
        Command::Fetch {
            target,
            output,
            format,
        } => {
            let format = if format == "zip" {
                backend::bundle::Format::Zip
            } else {
                backend::bundle::Format::TarGz
            };
            tokio::task::spawn_blocking(move || {
                backend::bundle::fetch::fetch(&target, &output, format)
            })
            .await??;
        }
        Command::Verify { bundle, sha256 } => {
            let report = tokio::task::spawn_blocking(move || {
                backend::bundle::verify::verify(&bundle)
                    .map_err(|err| anyhow::anyhow!("cannot read {}: {err}", bundle.display()))
                    .map(|report| (bundle, report))
            })
            .await??;
            let (bundle, mut report) = report;
            if let Some(expected) = sha256
                && !expected.eq_ignore_ascii_case(&report.sha256)
            {
                report.problems.push(format!(
                    "the archive's sha256 is {} but {expected} was expected",
                    report.sha256
                ));
            }
            if !report.is_intact() {
                for problem in &report.problems {
                    eprintln!("{problem}");
                }
                anyhow::bail!(
                    "{} failed verification: {} problem(s)",
                    bundle.display(),
                    report.problems.len().max(1)
                );
            }
            let manifest = report.manifest.as_ref().expect("intact bundles have one");
            println!(
                "{}: intact. {} {} at {}, {} files, sha256 {}",
                bundle.display(),
                manifest.design,
                manifest.version,
                manifest.commit,
                manifest.files.len(),
                report.sha256
            );
        }
        Command::Labor {
            command,
            data,
            database,
        } => {
            let store_dir = data.join("store");
            if !store_dir.is_dir() {
                anyhow::bail!("no store at {}: is --data right?", store_dir.display());
            }
            let store = backend::store::Store::open(store_dir, backend::events::Events::new())?;
            let pool = backend::db::open(&location(&data, database.as_deref())?).await?;
            let policy = backend::labor::Policy::load_or_install(&data.join("labor-policy.toml"))?;
            let labor = backend::labor::Labor::new(pool, store, policy);
            match command {
                LaborCommand::Recompute => {
                    let entries = labor.recompute().await?;
                    println!("recomputed the ledger: {entries} entries");
                }
                LaborCommand::Verify => {
                    let differences = labor.verify().await?;
                    if differences.is_empty() {
                        println!("the stored ledger matches a fresh computation");
                    } else {
                        for difference in &differences {
                            eprintln!("{difference}");
                        }
                        anyhow::bail!(
                            "{} difference(s) between the stored and the recomputed ledger",
                            differences.len()
                        );
                    }
                }
            }
        }
        Command::Import {
            source,
            id,
            data,
            database,
            max_upload,
            max_push,
            import_ca_file,
        } => {
            let from = if source.starts_with("https://") || source.starts_with("http://") {
                ImportFrom::Url(source, import_ca_file, max_push)
            } else {
                ImportFrom::Path(PathBuf::from(source))
            };
            import(from, &id, &data, database.as_deref(), max_upload).await?
        }
        Command::Admin {
            command:
                AdminCommand::Grant {
                    username,
                    data,
                    database,
                },
        } => {
            let location = location(&data, database.as_deref())?;
            if let backend::db::Location::Sqlite(path) = &location
                && !path.exists()
            {
                anyhow::bail!("no database at {}: is --data right?", path.display());
            }
            let accounts = backend::accounts::Accounts::new(backend::db::open(&location).await?);
            let account = accounts.grant_admin(&username).await?;
            println!("{} is now an instance admin", account.username);
        }
    }
    Ok(())
}

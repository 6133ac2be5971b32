//! Ledger commands for operators and auditors: `verify` (chain, tree, signed heads, or a head
//! kept elsewhere), `keys generate` and `keys sign-head`, `proof check` (offline, no database),
//! and `proof head|inclusion|consistency` (print an audit document from the database).
//!
//! Exit codes: 0 when everything checked out, 1 when something does not match (the line printed
//! names what and where), 2 for operational errors (unreadable files, bad keys, no database).
//! Signing keys live in files outside the database; `keys generate` writes them with mode 0600.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use chrono::Utc;
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use crate::config::StoreSettings;
use crate::ledger::{self, VerifyFailure};
use crate::proofs::{
    AuditDocument, ConsistencyProof, InclusionProof, ProofError, PublicKey, SignedTreeHead,
    SigningKey, check_consistency, check_inclusion,
    head::{PUBLIC_KEY_PREFIX, SECRET_KEY_PREFIX},
};
use crate::store::{self, EventStore, writer::WriterOptions};

/// `kinerja verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub store: StoreSettings,
    /// The log's public key (a public key file, its text, or 64 hex digits). Without it the
    /// signatures of the heads are not checked.
    #[arg(long, env = "KINERJA_LEDGER_PUBLIC_KEY")]
    pub key: Option<String>,
    /// A signed tree head (JSON) kept outside the database, e.g. by an auditor: check it and
    /// that the log's first `tree_size` events still give its root. Needs --key.
    #[arg(long, value_name = "FILE")]
    pub head: Option<PathBuf>,
    /// Events read per page.
    #[arg(long, default_value_t = 10_000)]
    pub page: usize,
}

/// `kinerja keys …`.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Write a new head signing key to FILE (mode 0600) and its public key to FILE.pub.
    Generate {
        /// The secret key file to write; keep it outside the database.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Overwrite FILE and FILE.pub when they exist.
        #[arg(long)]
        force: bool,
    },
    /// Sign the current head of the log, keep it in the database, and print it as JSON.
    SignHead {
        #[command(flatten)]
        store: StoreSettings,
        /// The secret key file (from `keys generate`).
        #[arg(long, env = "KINERJA_LEDGER_SIGNING_KEY", value_name = "FILE")]
        key: PathBuf,
    },
}

/// `kinerja proof …`.
#[derive(Debug, Subcommand)]
pub enum ProofCommand {
    /// Check an audit document (or a bare signed head, inclusion or consistency proof) offline.
    Check {
        /// The JSON file.
        file: PathBuf,
        /// The log's public key (a public key file, its text, or 64 hex digits).
        #[arg(long, env = "KINERJA_LEDGER_PUBLIC_KEY")]
        key: Option<String>,
    },
    /// Print a kept signed head (the latest, or the one at --size) as an audit document.
    Head {
        #[command(flatten)]
        store: StoreSettings,
        /// Tree size of the head; the latest kept head when left out.
        #[arg(long)]
        size: Option<u64>,
    },
    /// Print the proof that the event at --position is in the log of --size events, with the
    /// kept head at that size (a bare proof when no head is kept there).
    Inclusion {
        #[command(flatten)]
        store: StoreSettings,
        /// Log position of the event (1-based).
        #[arg(long)]
        position: u64,
        /// Tree size; the latest kept head's size when left out.
        #[arg(long)]
        size: Option<u64>,
    },
    /// Print the proof that the log of --first events is a prefix of the log of --second
    /// events, with the kept heads at both sizes (a bare proof when they are not both kept).
    Consistency {
        #[command(flatten)]
        store: StoreSettings,
        /// The older tree size.
        #[arg(long)]
        first: u64,
        /// The newer tree size; the latest kept head's size when left out.
        #[arg(long)]
        second: Option<u64>,
    },
}

/// Run `kinerja verify`.
pub async fn verify(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let key = args.key.as_deref().map(load_public_key).transpose()?;
    let head = match &args.head {
        Some(path) => {
            if key.is_none() {
                bail!(
                    "--head needs the log's public key: pass --key or set KINERJA_LEDGER_PUBLIC_KEY"
                );
            }
            Some(read_json::<SignedTreeHead>(path, "a signed tree head")?)
        }
        None => None,
    };
    let s = open_existing(&args.store.database_url).await?;
    let outcome = match (head, key) {
        (Some(head), Some(key)) => verify_kept(s.as_ref(), &head, &key, args.page).await,
        (_, key) => verify_everything(s.as_ref(), key.as_ref(), args.page).await,
    };
    s.shutdown().await;
    outcome
}

async fn verify_everything(
    s: &dyn EventStore,
    key: Option<&PublicKey>,
    page: usize,
) -> anyhow::Result<ExitCode> {
    let total = s.head().await?.position;
    let bar = progress_bar(total);
    let outcome = ledger::verify_all(s, key, page, |done| bar.set_position(done)).await?;
    bar.finish_and_clear();
    match outcome {
        Ok(report) => {
            println!(
                "OK: {} events, root {}, {} signed heads checked",
                report.events,
                hex::encode(report.root),
                report.heads_checked
            );
            match key {
                Some(key) => println!(
                    "signatures checked with key id {} (every kept head)",
                    key.key_id()
                ),
                None => println!(
                    "signatures were NOT checked: no public key given (--key or \
                     KINERJA_LEDGER_PUBLIC_KEY); heads were checked against the recomputed roots only"
                ),
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(failure) => Ok(failed(&failure)),
    }
}

async fn verify_kept(
    s: &dyn EventStore,
    head: &SignedTreeHead,
    key: &PublicKey,
    page: usize,
) -> anyhow::Result<ExitCode> {
    let bar = progress_bar(head.tree_size);
    let outcome =
        ledger::verify_kept_head(s, head, key, page, |done| bar.set_position(done)).await?;
    bar.finish_and_clear();
    match outcome {
        Ok(()) => {
            let log_size = s.head().await?.position;
            println!(
                "OK: the signed head of size {} (root {}, signed {} by key id {}) matches the \
                 log's first {} events; the log now holds {} events",
                head.tree_size,
                hex::encode(head.root_hash),
                head.timestamp
                    .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                head.key_id,
                head.tree_size,
                log_size
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(failure) => Ok(failed(&failure)),
    }
}

fn failed(failure: &VerifyFailure) -> ExitCode {
    println!("FAILED at position {}: {failure}", failure.position());
    ExitCode::from(1)
}

/// Run `kinerja keys …`.
pub async fn keys(command: KeysCommand) -> anyhow::Result<ExitCode> {
    match command {
        KeysCommand::Generate { out, force } => generate_key(&out, force),
        KeysCommand::SignHead { store, key } => {
            let text = std::fs::read_to_string(&key)
                .with_context(|| format!("cannot read the secret key file {}", key.display()))?;
            let signing = SigningKey::from_text(&text)
                .with_context(|| format!("{} is not a secret key file", key.display()))?;
            let s = open_existing(&store.database_url).await?;
            let head = ledger::sign_head(s.as_ref(), &signing, Utc::now()).await;
            s.shutdown().await;
            let head = head?;
            if head.key_id != signing.key_id() {
                eprintln!(
                    "note: a head at size {} was already kept (key id {}); printing that one",
                    head.tree_size, head.key_id
                );
            }
            println!("{}", serde_json::to_string_pretty(&head)?);
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn public_key_path(out: &Path) -> PathBuf {
    let mut name = out.as_os_str().to_owned();
    name.push(".pub");
    PathBuf::from(name)
}

fn generate_key(out: &Path, force: bool) -> anyhow::Result<ExitCode> {
    let public_path = public_key_path(out);
    if !force {
        for path in [out, public_path.as_path()] {
            if path.exists() {
                bail!(
                    "{} already exists; refusing to overwrite a key (pass --force to replace it)",
                    path.display()
                );
            }
        }
    }
    let key = SigningKey::generate();
    write_secret(out, key.to_text().as_bytes(), force)
        .with_context(|| format!("cannot write the secret key file {}", out.display()))?;
    let public = key.public_key();
    std::fs::write(&public_path, public.to_text())
        .with_context(|| format!("cannot write the public key file {}", public_path.display()))?;
    println!(
        "secret key written to {} (mode 0600); keep it outside the database and its backups",
        out.display()
    );
    println!("public key written to {}", public_path.display());
    println!("public key: {}", public.to_text().trim_end());
    println!("public key (hex): {}", public.to_hex());
    println!("key id: {}", public.key_id());
    Ok(ExitCode::SUCCESS)
}

/// Writes `bytes` to a file readable by its owner only. Without `force` the file must not exist.
fn write_secret(path: &Path, bytes: &[u8], force: bool) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if force {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
        options.mode(0o600);
        let mut file = options.open(path)?;
        // An existing file (with --force) keeps its old mode on open: set it.
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        file.write_all(bytes)?;
        file.sync_all()
    }
    #[cfg(not(unix))]
    {
        let mut file = options.open(path)?;
        file.write_all(bytes)?;
        file.sync_all()
    }
}

/// Run `kinerja proof …`.
pub async fn proof(command: ProofCommand) -> anyhow::Result<ExitCode> {
    match command {
        ProofCommand::Check { file, key } => check_file(&file, key.as_deref()),
        ProofCommand::Head { store, size } => {
            let s = open_existing(&store.database_url).await?;
            let head = pick_head(s.as_ref(), size).await;
            s.shutdown().await;
            print_json(&AuditDocument::Head { head: head? })
        }
        ProofCommand::Inclusion {
            store,
            position,
            size,
        } => {
            let s = open_existing(&store.database_url).await?;
            let doc = inclusion_document(s.as_ref(), position, size).await;
            s.shutdown().await;
            doc
        }
        ProofCommand::Consistency {
            store,
            first,
            second,
        } => {
            let s = open_existing(&store.database_url).await?;
            let doc = consistency_document(s.as_ref(), first, second).await;
            s.shutdown().await;
            doc
        }
    }
}

fn print_json(value: &impl serde::Serialize) -> anyhow::Result<ExitCode> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(ExitCode::SUCCESS)
}

/// The kept head at `size`, or the latest one.
async fn pick_head(s: &dyn EventStore, size: Option<u64>) -> anyhow::Result<SignedTreeHead> {
    match size {
        Some(size) => ledger::head_at(s, size)
            .await?
            .with_context(|| format!("no signed head is kept at size {size}")),
        None => s
            .latest_tree_head()
            .await?
            .context("no signed head is kept yet (sign one with `kinerja keys sign-head`)"),
    }
}

async fn inclusion_document(
    s: &dyn EventStore,
    position: u64,
    size: Option<u64>,
) -> anyhow::Result<ExitCode> {
    let size = match size {
        Some(size) => size,
        None => pick_head(s, None).await?.tree_size,
    };
    let proof = ledger::inclusion_proof(s, position, size).await?;
    match ledger::head_at(s, size).await? {
        Some(head) => print_json(&AuditDocument::Inclusion { proof, head }),
        None => {
            eprintln!("note: no signed head is kept at size {size}; printing the bare proof");
            print_json(&proof)
        }
    }
}

async fn consistency_document(
    s: &dyn EventStore,
    first: u64,
    second: Option<u64>,
) -> anyhow::Result<ExitCode> {
    let second = match second {
        Some(second) => second,
        None => pick_head(s, None).await?.tree_size,
    };
    let proof = ledger::consistency_proof(s, first, second).await?;
    let heads = (
        ledger::head_at(s, first).await?,
        ledger::head_at(s, second).await?,
    );
    match heads {
        (Some(first_head), Some(second_head)) => print_json(&AuditDocument::Consistency {
            proof,
            first_head,
            second_head,
        }),
        _ => {
            eprintln!(
                "note: signed heads are not kept at both sizes {first} and {second}; printing the bare proof"
            );
            print_json(&proof)
        }
    }
}

/// What `proof check` found in a file.
enum Document {
    Audit(Box<AuditDocument>),
    Inclusion(InclusionProof),
    Consistency(ConsistencyProof),
}

/// Reads an audit document, or a bare head or proof (recognised by its fields).
fn parse_document(text: &str) -> Result<Document, String> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let has = |field: &str| value.get(field).is_some();
    let parsed = if has("kind") {
        serde_json::from_value(value.clone()).map(|d| Document::Audit(Box::new(d)))
    } else if has("signature") {
        serde_json::from_value(value.clone())
            .map(|head| Document::Audit(Box::new(AuditDocument::Head { head })))
    } else if has("audit_path") {
        serde_json::from_value(value.clone()).map(Document::Inclusion)
    } else if has("first_size") {
        serde_json::from_value(value.clone()).map(Document::Consistency)
    } else {
        return Err(
            "neither an audit document (\"kind\") nor a signed head, inclusion proof or \
             consistency proof"
                .to_string(),
        );
    };
    parsed.map_err(|e| e.to_string())
}

fn check_file(path: &Path, key: Option<&str>) -> anyhow::Result<ExitCode> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let document = match parse_document(&text) {
        Ok(d) => d,
        Err(reason) => {
            println!(
                "FAILED: {} is not a valid audit document: {reason}",
                path.display()
            );
            return Ok(ExitCode::from(1));
        }
    };
    let verdict: Result<String, ProofError> = match &document {
        Document::Audit(doc) => {
            let Some(key) = key else {
                bail!(
                    "checking signed heads needs the log's public key: pass --key or set \
                     KINERJA_LEDGER_PUBLIC_KEY"
                );
            };
            let key = load_public_key(key)?;
            doc.check(&key).map(|()| describe(doc, &key))
        }
        Document::Inclusion(p) => check_inclusion(p).map(|()| {
            format!(
                "OK: event at position {} (leaf {}) is in the log of {} events with root {}\n\
                 note: a bare proof carries no signed head; it was checked against its own root \
                 only, which must still be compared with a signed head",
                p.leaf_index + 1,
                p.leaf_index,
                p.tree_size,
                hex::encode(p.root_hash)
            )
        }),
        Document::Consistency(p) => check_consistency(p).map(|()| {
            format!(
                "OK: the log of {} events (root {}) is a prefix of the log of {} events (root {})\n\
                 note: a bare proof carries no signed heads; it was checked against its own roots \
                 only, which must still be compared with signed heads",
                p.first_size,
                hex::encode(p.first_root),
                p.second_size,
                hex::encode(p.second_root)
            )
        }),
    };
    match verdict {
        Ok(message) => {
            println!("{message}");
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            println!("FAILED: {e}");
            Ok(ExitCode::from(1))
        }
    }
}

fn describe(doc: &AuditDocument, key: &PublicKey) -> String {
    let signed = |h: &SignedTreeHead| {
        format!(
            "signed {} by key id {}",
            h.timestamp
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            key.key_id()
        )
    };
    match doc {
        AuditDocument::Head { head } => format!(
            "OK: signed head of size {}, root {}, {}",
            head.tree_size,
            hex::encode(head.root_hash),
            signed(head)
        ),
        AuditDocument::Inclusion { proof, head } => format!(
            "OK: event at position {} (leaf {}, leaf hash {}) is in the log of {} events, root {}, {}",
            proof.leaf_index + 1,
            proof.leaf_index,
            hex::encode(proof.leaf_hash),
            proof.tree_size,
            hex::encode(proof.root_hash),
            signed(head)
        ),
        AuditDocument::Consistency {
            proof,
            first_head,
            second_head,
        } => format!(
            "OK: the log of {} events (root {}, {}) is a prefix of the log of {} events (root {}, {})",
            proof.first_size,
            hex::encode(proof.first_root),
            signed(first_head),
            proof.second_size,
            hex::encode(proof.second_root),
            signed(second_head)
        ),
    }
}

/// A public key from `--key`: a file holding one, or the key itself (file text or 64 hex digits).
fn load_public_key(arg: &str) -> anyhow::Result<PublicKey> {
    let path = Path::new(arg);
    let (text, source) = if path.is_file() {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the public key file {}", path.display()))?;
        (text, format!("the file {}", path.display()))
    } else {
        (arg.to_string(), "--key".to_string())
    };
    if text.trim_start().starts_with(SECRET_KEY_PREFIX) {
        bail!(
            "{source} holds a secret key; verification needs only the public key (the .pub file \
             written beside it by `kinerja keys generate`)"
        );
    }
    PublicKey::from_text(&text).with_context(|| {
        if source == "--key" && !arg.starts_with(PUBLIC_KEY_PREFIX) {
            format!("--key {arg:?} is neither a public key file nor a public key")
        } else {
            format!("{source} is not a public key")
        }
    })
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path, what: &str) -> anyhow::Result<T> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not {what}", path.display()))
}

/// Opens the store, refusing to create a new SQLite file: verifying a mistyped path must not
/// report an empty, "verified" log.
async fn open_existing(url: &str) -> anyhow::Result<std::sync::Arc<dyn EventStore>> {
    if url.starts_with("sqlite:") {
        let options = store::sqlite::connect_options(url)?;
        let file = options.get_filename();
        if file != Path::new(":memory:") && !file.as_os_str().is_empty() && !file.exists() {
            bail!("no database at {} (from {url})", file.display());
        }
    }
    Ok(store::open(url, WriterOptions::default()).await?)
}

fn progress_bar(total: u64) -> ProgressBar {
    let bar = ProgressBar::new(total).with_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} events {per_sec} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    bar
}

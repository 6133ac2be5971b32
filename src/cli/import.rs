//! `kinerja import officers FILE.csv [--skip-invalid]`: bulk registration of officers from the
//! personnel agency's spreadsheet. Every row goes through the same use case as
//! `POST /api/v1/officers` ([`App::register_officer`]); the whole file is checked first, and a
//! file with any bad row imports nothing unless `--skip-invalid` is given.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use crate::app::officers::NewOfficer;
use crate::app::{App, AppError, Meta};
use crate::config::StoreSettings;
use crate::domain::values::{EmploymentType, FunctionalLevel, PositionKind};
use crate::domain::{Actor, ActorId, Role};
use crate::store::{self, writer::WriterOptions};

/// The import commands.
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Register officers from a CSV file (UTF-8, comma-separated, one header row).
    ///
    /// Columns (by header name, any order, case-insensitive):
    ///   nip               18-digit NIP
    ///   nama              full name with titles
    ///   pangkat_golongan  e.g. "Penata, III/c" (quote it: it contains a comma)
    ///   jabatan           name of the post
    ///   jenis_jabatan     JPT | ADMINISTRATOR | PENGAWAS | PELAKSANA | FUNGSIONAL
    ///   jenjang           for FUNGSIONAL: AHLI_UTAMA | AHLI_MADYA | AHLI_MUDA | AHLI_PERTAMA |
    ///                     PENYELIA | MAHIR | TERAMPIL | PEMULA ("Ahli Muda" also works);
    ///                     empty otherwise
    ///   unit              code of a registered unit, e.g. DISKOMINFO
    ///   jenis_pegawai     PNS | PPPK
    ///
    /// Every bad row is reported with its line number and the reason. Exit 0 when everything
    /// valid was imported, 1 when the file had bad rows (and, without --skip-invalid, nothing
    /// was imported).
    #[command(verbatim_doc_comment)]
    Officers(ImportOfficersArgs),
}

/// `kinerja import officers`.
#[derive(Debug, Args)]
pub struct ImportOfficersArgs {
    #[command(flatten)]
    pub store: StoreSettings,
    /// The CSV file.
    pub file: PathBuf,
    /// Import the valid rows even when some rows are bad (the bad ones are still reported).
    #[arg(long)]
    pub skip_invalid: bool,
    /// Who imports (recorded as the actor).
    #[arg(long, env = "USER", default_value = "operator")]
    pub imported_by: String,
}

/// The columns, in the order `--help` lists them.
pub const COLUMNS: [&str; 8] = [
    "nip",
    "nama",
    "pangkat_golongan",
    "jabatan",
    "jenis_jabatan",
    "jenjang",
    "unit",
    "jenis_pegawai",
];

/// How to import.
#[derive(Debug, Clone, Copy, Default)]
pub struct ImportOptions {
    /// Import the valid rows of a file that has bad ones.
    pub skip_invalid: bool,
    /// Draw a progress bar on stderr (when it is a terminal).
    pub progress: bool,
}

/// A bad row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// 1-based line number in the file (the header is line 1).
    pub line: u64,
    /// The NIP as written, when the row has one.
    pub nip: Option<String>,
    /// Why, in Bahasa Indonesia.
    pub reason: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.nip {
            Some(n) if !n.is_empty() => write!(f, "baris {} (NIP {n}): {}", self.line, self.reason),
            _ => write!(f, "baris {}: {}", self.line, self.reason),
        }
    }
}

/// What an import did.
#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    /// Data rows read.
    pub rows: usize,
    /// Officers registered.
    pub imported: usize,
    /// Bad rows, in file order.
    pub errors: Vec<RowError>,
}

impl ImportReport {
    /// The summary line.
    pub fn summary(&self) -> String {
        format!(
            "{} baris dibaca, {} pegawai didaftarkan, {} baris bermasalah{}",
            self.rows,
            self.imported,
            self.errors.len(),
            if !self.errors.is_empty() && self.imported == 0 {
                " (tidak ada yang diimpor)"
            } else {
                ""
            }
        )
    }
}

fn reason(e: &AppError) -> String {
    match e {
        AppError::Domain(d) => d.to_string(),
        AppError::NotFound(what) => format!("{what} tidak ditemukan (belum terdaftar)"),
        AppError::Invalid { field, detail } => format!("kolom {field}: {detail}"),
        other => other.to_string(),
    }
}

fn upper(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join("_")
        .to_ascii_uppercase()
}

fn position_kind(jenis: &str, jenjang: &str) -> Result<PositionKind, String> {
    let level = || -> Result<FunctionalLevel, String> {
        Ok(match upper(jenjang).as_str() {
            "AHLI_UTAMA" => FunctionalLevel::AhliUtama,
            "AHLI_MADYA" => FunctionalLevel::AhliMadya,
            "AHLI_MUDA" => FunctionalLevel::AhliMuda,
            "AHLI_PERTAMA" => FunctionalLevel::AhliPertama,
            "PENYELIA" => FunctionalLevel::Penyelia,
            "MAHIR" => FunctionalLevel::Mahir,
            "TERAMPIL" => FunctionalLevel::Terampil,
            "PEMULA" => FunctionalLevel::Pemula,
            "" => return Err("kolom jenjang wajib diisi untuk jabatan FUNGSIONAL".into()),
            other => return Err(format!("kolom jenjang tidak dikenal: {other:?}")),
        })
    };
    let kind = match upper(jenis).as_str() {
        "JPT" => PositionKind::Jpt,
        "ADMINISTRATOR" => PositionKind::Administrator,
        "PENGAWAS" => PositionKind::Pengawas,
        "PELAKSANA" => PositionKind::Pelaksana,
        "FUNGSIONAL" => return Ok(PositionKind::Fungsional(level()?)),
        other => {
            return Err(format!(
                "kolom jenis_jabatan harus JPT, ADMINISTRATOR, PENGAWAS, PELAKSANA atau FUNGSIONAL, bukan {other:?}"
            ));
        }
    };
    if !jenjang.trim().is_empty() {
        return Err("kolom jenjang hanya untuk jabatan FUNGSIONAL; kosongkan".into());
    }
    Ok(kind)
}

fn employment(raw: &str) -> Result<EmploymentType, String> {
    match upper(raw).as_str() {
        "PNS" => Ok(EmploymentType::Pns),
        "PPPK" => Ok(EmploymentType::Pppk),
        other => Err(format!(
            "kolom jenis_pegawai harus PNS atau PPPK, bukan {other:?}"
        )),
    }
}

fn progress_bar(total: u64, show: bool) -> ProgressBar {
    let bar = ProgressBar::new(total).with_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} pegawai {per_sec} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    if !show || !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    bar
}

/// Import officers from CSV text. Checks every row first (parse, the same validation and
/// decision as the API, duplicates within the file); with any bad row and no `skip_invalid`,
/// registers nothing. Infrastructure failures are errors; bad rows are in the report.
pub async fn import_officers(
    app: &App,
    input: impl std::io::Read,
    options: ImportOptions,
    meta: &Meta,
) -> anyhow::Result<ImportReport> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(input);
    let headers = reader.headers().context("reading the CSV header")?.clone();
    let index: HashMap<String, usize> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| {
            (
                h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase(),
                i,
            )
        })
        .collect();
    let missing: Vec<_> = COLUMNS
        .iter()
        .filter(|c| !index.contains_key(**c))
        .collect();
    if !missing.is_empty() {
        anyhow::bail!(
            "kolom wajib tidak ada di baris judul: {missing:?} (kolom: {})",
            COLUMNS.join(",")
        );
    }
    let at = chrono::Utc::now();
    let mut report = ImportReport::default();
    let mut valid: Vec<(u64, NewOfficer)> = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for record in reader.records() {
        report.rows += 1;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                report.errors.push(RowError {
                    line,
                    nip: None,
                    reason: format!("baris CSV tidak dapat dibaca: {e}"),
                });
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        let col = |name: &str| {
            index
                .get(name)
                .and_then(|i| record.get(*i))
                .unwrap_or("")
                .to_string()
        };
        let nip = col("nip");
        let fail = |reason: String| RowError {
            line,
            nip: Some(nip.clone()),
            reason,
        };
        let parsed = position_kind(&col("jenis_jabatan"), &col("jenjang")).and_then(|kind| {
            Ok(NewOfficer {
                nip: nip.clone(),
                name: col("nama"),
                golongan: col("pangkat_golongan"),
                employment: employment(&col("jenis_pegawai"))?,
                unit: col("unit"),
                position: col("jabatan"),
                kind,
            })
        });
        let input = match parsed {
            Ok(i) => i,
            Err(r) => {
                report.errors.push(fail(r));
                continue;
            }
        };
        if let Some(first) = seen.get(nip.trim()) {
            report
                .errors
                .push(fail(format!("NIP yang sama sudah ada di baris {first}")));
            continue;
        }
        seen.insert(nip.trim().to_string(), line);
        match app.check_registration(&input, at).await {
            Ok(_) => valid.push((line, input)),
            Err(AppError::Store(e)) => return Err(e.into()),
            Err(e) => report.errors.push(fail(reason(&e))),
        }
    }
    if !report.errors.is_empty() && !options.skip_invalid {
        return Ok(report);
    }
    let bar = progress_bar(valid.len() as u64, options.progress);
    for (line, input) in valid {
        match app.register_officer(&input, meta, at).await {
            Ok(_) => report.imported += 1,
            Err(AppError::Store(e)) => {
                bar.abandon();
                return Err(anyhow::Error::from(e).context(format!(
                    "baris {line}: penyimpanan gagal setelah {} pegawai",
                    report.imported
                )));
            }
            // Registered meanwhile by someone else, for instance.
            Err(e) => report.errors.push(RowError {
                line,
                nip: Some(input.nip.clone()),
                reason: reason(&e),
            }),
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(report)
}

/// Run an import command.
pub async fn run(command: ImportCommand) -> anyhow::Result<ExitCode> {
    match command {
        ImportCommand::Officers(args) => {
            let file = std::fs::File::open(&args.file)
                .with_context(|| format!("membuka {}", args.file.display()))?;
            let store = store::open(&args.store.database_url, WriterOptions::default()).await?;
            let app = App::new(store.clone());
            let meta = Meta {
                actor: Some(Actor {
                    id: ActorId::Staff(format!("cli:{}", args.imported_by)),
                    role: Role::Admin,
                }),
                reason: Some(format!("impor {}", args.file.display())),
                ..Meta::default()
            };
            let options = ImportOptions {
                skip_invalid: args.skip_invalid,
                progress: true,
            };
            let outcome =
                import_officers(&app, std::io::BufReader::new(file), options, &meta).await;
            store.shutdown().await;
            let report = outcome?;
            for e in &report.errors {
                eprintln!("{e}");
            }
            println!("{}", report.summary());
            Ok(if report.errors.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
    }
}

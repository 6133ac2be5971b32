//! The `kinerja` command line: one subcommand per operator task. Each subcommand's flags also
//! read `KINERJA_…` environment variables, as `--help` shows.

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::config::StoreSettings;
use crate::store::{self, writer::WriterOptions};

pub mod import;
pub mod ledger;
pub mod load;
pub mod seed;
pub mod serve;
pub mod token;

/// kinerja — buku besar kinerja ASN berbasis event (an event-sourced performance ledger for ASN).
#[derive(Debug, Parser)]
#[command(name = "kinerja", version, about)]
pub struct Cli {
    /// Optional configuration file of KINERJA_…=value lines (flags and the environment win).
    #[arg(long, global = true, env = "KINERJA_CONFIG")]
    pub config: Option<std::path::PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP service (embedded SQLite under ./data/ unless configured); prints its URL.
    Serve(crate::config::ServeSettings),
    /// Access tokens: issue (printed once; only its SHA-256 is stored) and revoke.
    #[command(subcommand)]
    Token(token::TokenCommand),
    /// Create or upgrade the event-store schema of the configured database, then exit.
    Migrate {
        #[command(flatten)]
        store: StoreSettings,
    },
    /// Check the ledger: re-walk the hash chain, recompute the Merkle tree, check every signed
    /// head (or, with --head, a head kept elsewhere); exit 1 naming what does not match.
    Verify(ledger::VerifyArgs),
    /// Signing keys for tree heads.
    #[command(subcommand)]
    Keys(ledger::KeysCommand),
    /// Proofs for auditors.
    #[command(subcommand)]
    Proof(ledger::ProofCommand),
    /// Bulk imports (officers from CSV), through the same checks as the API.
    #[command(subcommand)]
    Import(import::ImportCommand),
    /// Drop and rebuild one read model (or all) from position 0, with a progress bar.
    Rebuild(crate::projections::cli::RebuildArgs),
    /// Fill the database with a deterministic demo city (`--demo`), through the use cases.
    Seed(seed::SeedArgs),
    /// Drive a running local server with a mixed workload; print throughput and latency.
    Load(load::LoadArgs),
}

/// Parse the arguments and run the chosen command.
pub async fn run() -> ExitCode {
    let cli = match parse() {
        Ok(cli) => cli,
        Err(e) => {
            eprintln!("kinerja: {e:#}");
            return ExitCode::from(2);
        }
    };
    match execute(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("kinerja: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Parse the command line, with defaults from `--config FILE` (or `KINERJA_CONFIG`).
fn parse() -> anyhow::Result<Cli> {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let config = args
        .iter()
        .position(|a| a == "--config")
        .and_then(|i| args.get(i + 1))
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("KINERJA_CONFIG").map(std::path::PathBuf::from));
    let values = match config {
        Some(path) => crate::config::read_env_file(&path)?,
        None => Vec::new(),
    };
    let command = crate::config::with_file_defaults(Cli::command(), &values);
    let matches = command.get_matches_from(args);
    Ok(Cli::from_arg_matches(&matches)?)
}

async fn execute(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve(settings) => serve::serve(settings).await,
        Command::Token(command) => token::run(command).await,
        Command::Migrate { store } => {
            let s = store::open(&store.database_url, WriterOptions::default()).await?;
            let head = s.head().await?;
            s.shutdown().await;
            println!(
                "migrations applied to {}; the log holds {} events",
                store.database_url, head.position
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Verify(args) => ledger::verify(args).await,
        Command::Keys(command) => ledger::keys(command).await,
        Command::Proof(command) => ledger::proof(command).await,
        Command::Import(command) => import::run(command).await,
        Command::Rebuild(args) => crate::projections::cli::rebuild(args).await,
        Command::Seed(args) => seed::run(args).await,
        Command::Load(args) => load::run(args).await,
    }
}

//! The `kinerja` command line: one subcommand per operator task. Each subcommand's flags also
//! read `KINERJA_…` environment variables, as `--help` shows.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::StoreSettings;
use crate::store::{self, writer::WriterOptions};

pub mod ledger;

/// kinerja — buku besar kinerja ASN berbasis event (an event-sourced performance ledger for ASN).
#[derive(Debug, Parser)]
#[command(name = "kinerja", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
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
}

/// Parse the arguments and run the chosen command.
pub async fn run() -> ExitCode {
    let cli = Cli::parse();
    match execute(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("kinerja: {e:#}");
            ExitCode::from(2)
        }
    }
}

async fn execute(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
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
    }
}

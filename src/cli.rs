//! The `kinerja` command line: `serve`, `migrate`, `verify`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use crate::config::StoreSettings;
use crate::store::{self, verify::verify_chain, writer::WriterOptions};

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
    /// Re-walk the hash chain of the whole log; exit 1 naming the first position that does not
    /// match.
    Verify {
        #[command(flatten)]
        store: StoreSettings,
        /// Events read per page.
        #[arg(long, default_value_t = 10_000)]
        page: usize,
    },
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
        Command::Verify { store, page } => verify(&store.database_url, page).await,
    }
}

async fn verify(url: &str, page: usize) -> anyhow::Result<ExitCode> {
    let s = store::open(url, WriterOptions::default()).await?;
    let total = s.head().await?.position;
    let bar = ProgressBar::new(total).with_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} events {per_sec} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    if !console_is_interactive() {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let outcome = verify_chain(s.as_ref(), page, |done| bar.set_position(done)).await?;
    bar.finish_and_clear();
    s.shutdown().await;
    match outcome {
        Ok(report) => {
            println!(
                "OK: {} events, head {} at position {}",
                report.events,
                hex::encode(report.head.hash),
                report.head.position
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(broken) => {
            println!("FAILED at position {}: {broken}", broken.position());
            Ok(ExitCode::from(1))
        }
    }
}

fn console_is_interactive() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal()
}

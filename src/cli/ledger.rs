//! Ledger commands for operators and auditors: `verify` (chain, tree, signed heads, or a head
//! kept elsewhere), `keys generate`, and `proof check` (offline).

use std::process::ExitCode;

use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use crate::config::StoreSettings;
use crate::store::{self, verify::verify_chain, writer::WriterOptions};

/// `kinerja verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub store: StoreSettings,
    /// Events read per page.
    #[arg(long, default_value_t = 10_000)]
    pub page: usize,
}

/// `kinerja keys …`.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {}

/// `kinerja proof …`.
#[derive(Debug, Subcommand)]
pub enum ProofCommand {}

/// Run `kinerja verify`.
pub async fn verify(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let s = store::open(&args.store.database_url, WriterOptions::default()).await?;
    let total = s.head().await?.position;
    let bar = progress_bar(total);
    let outcome = verify_chain(s.as_ref(), args.page, |done| bar.set_position(done)).await?;
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

/// Run `kinerja keys …`.
pub async fn keys(command: KeysCommand) -> anyhow::Result<ExitCode> {
    match command {}
}

/// Run `kinerja proof …`.
pub async fn proof(command: ProofCommand) -> anyhow::Result<ExitCode> {
    match command {}
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

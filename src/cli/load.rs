//! `kinerja load`: a load generator for a running local server (placeholder until written).

use std::process::ExitCode;

use clap::Args;

/// `kinerja load`.
#[derive(Debug, Clone, Args)]
pub struct LoadArgs {
    /// Base URL of the server (loopback only).
    #[arg(long)]
    pub url: String,
}

/// Run `kinerja load`.
pub async fn run(_args: LoadArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not yet implemented")
}

//! `kinerja rebuild [NAME]`: drop and rebuild one projection (or all) from position 0, with a
//! progress bar (events done, rate, time left). The lead wires the subcommand to [`rebuild`].

use std::process::ExitCode;
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressStyle};

use super::{Projector, ReadDb};

/// Arguments of `kinerja rebuild`.
#[derive(Debug, Clone, clap::Args)]
pub struct RebuildArgs {
    /// The event store (`sqlite:…` or `postgres:…`); on PostgreSQL it also holds the read models.
    #[arg(long, env = "KINERJA_DATABASE_URL")]
    pub database_url: String,
    #[command(flatten)]
    pub read: crate::config::ReadSettings,
    /// The projection to rebuild (all when omitted): performance, audit, accountability, survey.
    pub name: Option<String>,
    /// Events per page and transaction.
    #[arg(long, default_value_t = 20_000)]
    pub page: usize,
}

/// Rebuild and report; exit code 2 for an unknown projection name.
pub async fn rebuild(args: RebuildArgs) -> anyhow::Result<ExitCode> {
    if let Some(n) = &args.name
        && !super::names().contains(&n.as_str())
    {
        eprintln!(
            "unknown projection {n:?}; known: {}",
            super::names().join(", ")
        );
        return Ok(ExitCode::from(2));
    }
    let store: Arc<dyn crate::store::EventStore> =
        crate::store::open(&args.database_url, Default::default()).await?;
    let db = ReadDb::open_with(&args.database_url, args.read.read_database_url.as_deref()).await?;
    let mut projector = Projector::new(db, store.clone()).await?;
    projector.page = args.page.max(1);
    let head = store.head().await?.position;
    let bar = ProgressBar::new(head);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} events  {per_sec}  eta {eta}",
        )?
        .progress_chars("=> "),
    );
    let position = projector
        .rebuild(args.name.as_deref(), |p| {
            bar.set_length(p.head.max(p.position));
            bar.set_position(p.position);
        })
        .await?;
    bar.finish();
    let secs = bar.elapsed().as_secs_f64().max(1e-9);
    #[allow(clippy::cast_precision_loss)]
    let rate = position as f64 / secs;
    println!(
        "rebuilt {} up to position {position} in {secs:.1} s ({rate:.0} events/s)",
        args.name.as_deref().unwrap_or("all projections")
    );
    store.shutdown().await;
    Ok(ExitCode::SUCCESS)
}

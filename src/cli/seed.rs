//! `kinerja seed --demo`: fill the configured database with a deterministic demo city, through
//! the same use cases as the API (see [`crate::demo`]).

use std::io::Write;
use std::process::ExitCode;

use clap::Args;

use crate::app::{App, Meta};
use crate::config::StoreSettings;
use crate::demo::{self, DemoOptions};
use crate::domain::access::{StaffRole, Subject};
use crate::domain::{Actor, ActorId, Role};
use crate::store::{self, writer::WriterOptions};

/// `kinerja seed`.
#[derive(Debug, Clone, Args)]
pub struct SeedArgs {
    /// Seed the demo city of Lhokseumawe (required: the only seed there is).
    #[arg(long)]
    pub demo: bool,
    /// Number of officers.
    #[arg(long, default_value_t = 6_500)]
    pub officers: usize,
    /// Number of plan years, ending with last year.
    #[arg(long, default_value_t = 1)]
    pub years: u32,
    /// RNG seed: the same seed gives the same city.
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
    /// Officers processed concurrently.
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
    /// Write access tokens (admin, auditor, sampled officers and their appraisers) to this file,
    /// one `role<TAB>subject<TAB>token` a line (appraisers add `<TAB>subordinate NIP`), for `kinerja load --tokens-file`.
    #[arg(long)]
    pub tokens_out: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub store: StoreSettings,
}

/// Run `kinerja seed`.
pub async fn run(args: SeedArgs) -> anyhow::Result<ExitCode> {
    if !args.demo {
        anyhow::bail!("only `kinerja seed --demo` exists");
    }
    let s = store::open(&args.store.database_url, WriterOptions::default()).await?;
    let app = App::new(s.clone());
    let opts = DemoOptions {
        officers: args.officers,
        years: args.years,
        seed: args.seed,
        concurrency: args.concurrency,
        progress: true,
        ..DemoOptions::default()
    };
    let result = demo::seed(&app, &opts).await;
    let summary = match result {
        Ok(summary) => summary,
        Err(e) => {
            s.shutdown().await;
            return Err(e);
        }
    };
    if let Some(path) = &args.tokens_out {
        write_tokens(&app, &summary, path).await?;
    }
    s.shutdown().await;
    let secs = summary.elapsed.as_secs_f64();
    println!(
        "seeded {}: {} units, {} officers, {} SKPs ({}), {} events in {:.1} s ({:.0} events/s)",
        args.store.database_url,
        summary.units,
        summary.officers,
        summary.plans,
        summary
            .years
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        summary.events,
        secs,
        summary.events as f64 / secs.max(0.001),
    );
    Ok(ExitCode::SUCCESS)
}

async fn write_tokens(
    app: &App,
    summary: &demo::DemoSummary,
    path: &std::path::Path,
) -> anyhow::Result<()> {
    let meta = Meta {
        actor: Some(Actor {
            id: ActorId::Staff("cli:seed".into()),
            role: Role::Admin,
        }),
        ..Meta::default()
    };
    let mut lines = Vec::new();
    for (role, staff_role) in [("admin", StaffRole::Admin), ("auditor", StaffRole::Auditor)] {
        let (token, ..) = app
            .issue_token(
                Subject::Staff {
                    role: staff_role,
                    name: format!("demo-{role}"),
                },
                &meta,
            )
            .await?;
        lines.push(format!("{role}\tdemo-{role}\t{token}"));
    }
    let mut appraisers = std::collections::BTreeSet::new();
    for (nip, penilai) in &summary.sample {
        let (token, ..) = app
            .issue_token(Subject::Officer { nip: nip.clone() }, &meta)
            .await?;
        lines.push(format!("officer\t{nip}\t{token}"));
        if let Some(p) = penilai
            && appraisers.insert(p.clone())
        {
            let (token, ..) = app
                .issue_token(Subject::Officer { nip: p.clone() }, &meta)
                .await?;
            lines.push(format!("appraiser\t{p}\t{token}\t{nip}"));
        }
    }
    let mut f = std::fs::File::create(path)?;
    for l in &lines {
        writeln!(f, "{l}")?;
    }
    eprintln!("{} tokens written to {}", lines.len(), path.display());
    Ok(())
}

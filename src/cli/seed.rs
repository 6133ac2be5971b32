//! `kinerja seed --demo`: fill the configured database with a deterministic demo city, through
//! the same use cases as the API (see [`crate::demo`]).
//!
//! How `kinerja load` learns what to write with: with `--tokens-out FILE` the seed issues access
//! tokens through the token use case (only their SHA-256 is stored, as for `kinerja token
//! issue`) and writes them, with the current-year SKPs and the survey codes of
//! [`crate::demo::live`], to FILE (mode 0600), one tab-separated line each:
//!
//! - `admin|auditor <TAB> name <TAB> token`
//! - `officer <TAB> NIP <TAB> token <TAB> indicator id <TAB> unit of measure` (current-year SKP)
//! - `appraiser <TAB> NIP <TAB> token <TAB> subordinate NIP`
//! - `head <TAB> NIP <TAB> token <TAB> unit code`
//! - `survey <TAB> unit code <TAB> code` (a public survey code, unused)

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
    /// Officers processed concurrently (many, so the store's writer commits their appends in
    /// large groups: on the 2-core machine 1,024 halved the time of 128).
    #[arg(long, default_value_t = 1024)]
    pub concurrency: usize,
    /// Officers with a current-year SKP the load generator writes to.
    #[arg(long, default_value_t = 200)]
    pub live_officers: usize,
    /// Survey codes issued now for the load generator's public answers.
    #[arg(long, default_value_t = 4_000)]
    pub live_codes: usize,
    /// Write access tokens, current-year SKPs and survey codes for `kinerja load --tokens-file`
    /// to this file (see the module documentation for its lines).
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
        live_officers: args.live_officers,
        live_codes: args.live_codes,
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
        "seeded {}: {} units, {} officers, {} SKPs ({}), {} awards, {} training programmes, {} survey answers, {} improvement actions; {} events in {:.1} s ({:.0} events/s)",
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
        summary.awards,
        summary.trainings,
        summary.survey_answers,
        summary.improvement_actions,
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
    let live = &summary.live;
    let issue = async |nip: &crate::domain::Nip| -> anyhow::Result<String> {
        let subject = Subject::Officer { nip: nip.clone() };
        Ok(app.issue_token(subject, &meta).await?.0)
    };
    let mut appraisers = std::collections::BTreeSet::new();
    for o in &live.officers {
        let token = issue(&o.nip).await?;
        lines.push(format!(
            "officer\t{}\t{token}\t{}\t{}",
            o.nip, o.indicator_id, o.measure
        ));
        if let Some(p) = &o.penilai
            && appraisers.insert(p.clone())
        {
            let token = issue(p).await?;
            lines.push(format!("appraiser\t{p}\t{token}\t{}", o.nip));
        }
    }
    for (nip, unit) in &live.heads {
        let token = issue(nip).await?;
        lines.push(format!("head\t{nip}\t{token}\t{unit}"));
    }
    for code in &live.survey_codes {
        let unit = code.rsplitn(3, '-').nth(2).unwrap_or_default();
        lines.push(format!("survey\t{unit}\t{code}"));
    }
    let mut text = lines.join("\n");
    text.push('\n');
    write_private(path, &text)?;
    eprintln!("{} lines written to {}", lines.len(), path.display());
    Ok(())
}

/// Write a file only its owner can read (it holds bearer tokens).
fn write_private(path: &std::path::Path, text: &str) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options.open(path)?;
    f.write_all(text.as_bytes())?;
    Ok(())
}

//! `kinerja token issue --officer NIP | --role admin|auditor --name TEXT` and
//! `kinerja token revoke ID --reason TEXT`. Issuing and revoking are events in `access-{id}`;
//! the token is printed once and only its SHA-256 is stored.

use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};
use uuid::Uuid;

use crate::app::{App, Meta};
use crate::config::StoreSettings;
use crate::domain::access::{StaffRole, Subject};
use crate::domain::{Actor, ActorId, Nip, Role};
use crate::store::{self, writer::WriterOptions};

/// The token commands.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Issue a token; it is printed once.
    Issue(IssueArgs),
    /// Revoke a token by its id.
    Revoke(RevokeArgs),
}

/// A staff role.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RoleArg {
    Admin,
    Auditor,
}

#[derive(Debug, Args)]
#[group(required = true, multiple = false, id = "subject")]
pub struct SubjectArgs {
    /// The officer (18-digit NIP) the token belongs to.
    #[arg(long)]
    pub officer: Option<String>,
    /// A staff role: admin (BKPSDM) or auditor (Inspektorat, read-only).
    #[arg(long, requires = "name")]
    pub role: Option<RoleArg>,
}

#[derive(Debug, Args)]
pub struct IssueArgs {
    #[command(flatten)]
    pub store: StoreSettings,
    #[command(flatten)]
    pub subject: SubjectArgs,
    /// Name of the staff member or account, for the audit trail.
    #[arg(long)]
    pub name: Option<String>,
    /// Who issues it (recorded as the actor).
    #[arg(long, env = "USER", default_value = "operator")]
    pub issued_by: String,
}

#[derive(Debug, Args)]
pub struct RevokeArgs {
    #[command(flatten)]
    pub store: StoreSettings,
    /// The token id printed when it was issued.
    pub token_id: Uuid,
    /// Why it is revoked.
    #[arg(long)]
    pub reason: String,
    /// Who revokes it (recorded as the actor).
    #[arg(long, env = "USER", default_value = "operator")]
    pub revoked_by: String,
}

fn operator(name: &str) -> Meta {
    Meta {
        actor: Some(Actor {
            id: ActorId::Staff(format!("cli:{name}")),
            role: Role::Admin,
        }),
        ..Meta::default()
    }
}

/// Run a token command.
pub async fn run(command: TokenCommand) -> anyhow::Result<ExitCode> {
    match command {
        TokenCommand::Issue(args) => {
            let subject = match (&args.subject.officer, args.subject.role) {
                (Some(nip), _) => Subject::Officer {
                    nip: Nip::parse(nip).map_err(|e| anyhow::anyhow!("{e}"))?,
                },
                (None, Some(role)) => Subject::Staff {
                    role: match role {
                        RoleArg::Admin => StaffRole::Admin,
                        RoleArg::Auditor => StaffRole::Auditor,
                    },
                    name: args.name.clone().unwrap_or_default(),
                },
                (None, None) => anyhow::bail!("give --officer NIP or --role ROLE --name TEXT"),
            };
            let store = store::open(&args.store.database_url, WriterOptions::default()).await?;
            let app = App::new(store.clone());
            let outcome = app.issue_token(subject, &operator(&args.issued_by)).await;
            store.shutdown().await;
            let (token, id, committed) = outcome.map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("{token}");
            eprintln!(
                "token id {id} (recorded at position {}); the token above is shown only once",
                committed.position
            );
            Ok(ExitCode::SUCCESS)
        }
        TokenCommand::Revoke(args) => {
            let store = store::open(&args.store.database_url, WriterOptions::default()).await?;
            let app = App::new(store.clone());
            let outcome = app
                .revoke_token(args.token_id, args.reason, &operator(&args.revoked_by))
                .await;
            store.shutdown().await;
            let committed = outcome.map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "token {} revoked (position {})",
                args.token_id, committed.position
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

//! Typed settings, read from flags and `KINERJA_…` environment variables (clap does both; every
//! flag documents its variable in `--help`).

use clap::Args;

/// Where the event store lives.
#[derive(Debug, Clone, Args)]
pub struct StoreSettings {
    /// Database URL: `sqlite://PATH` (embedded, the default), `postgres://…`, or `memory:`.
    #[arg(
        long,
        env = "KINERJA_DATABASE_URL",
        default_value = "sqlite://data/kinerja.db"
    )]
    pub database_url: String,
}

/// `kinerja serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeSettings {
    #[command(flatten)]
    pub store: StoreSettings,
    /// Address to listen on.
    #[arg(long, env = "KINERJA_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: std::net::SocketAddr,
    /// The ed25519 key that signs tree heads; created there when missing. Keep it outside the
    /// database and back it up.
    #[arg(long, env = "KINERJA_SIGNING_KEY", default_value = "data/ledger.key")]
    pub signing_key: std::path::PathBuf,
    /// Sign a tree head after this many new events…
    #[arg(long, env = "KINERJA_SIGN_EVERY_EVENTS", default_value_t = 1000)]
    pub sign_every_events: u64,
    /// …or after this many seconds when anything is new.
    #[arg(long, env = "KINERJA_SIGN_EVERY_SECS", default_value_t = 60)]
    pub sign_every_secs: u64,
    #[command(flatten)]
    pub read: ReadSettings,
}

/// Where the read models live.
#[derive(Debug, Clone, Args)]
pub struct ReadSettings {
    /// SQLite only: the file of the read models, as `sqlite://PATH` (default: next to the event
    /// log, `data/kinerja.db` → `data/kinerja.projections.db`). Disposable: rebuilt from the log
    /// when missing. PostgreSQL keeps them in the events' database.
    #[arg(long, env = "KINERJA_READ_DATABASE_URL")]
    pub read_database_url: Option<String>,
}

/// Read `KEY=VALUE` lines of a configuration file (blank lines and `#` comments skipped).
pub fn read_env_file(path: &std::path::Path) -> anyhow::Result<Vec<(String, String)>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read configuration file {}: {e}", path.display()))?;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            anyhow::bail!("{}:{}: expected KEY=VALUE", path.display(), n + 1);
        };
        out.push((
            key.trim().to_string(),
            value.trim().trim_matches('"').to_string(),
        ));
    }
    Ok(out)
}

/// Make the file's values the defaults of the flags whose environment variable they name, in
/// every subcommand: a flag beats the environment, which beats the file, which beats the
/// built-in default.
pub fn with_file_defaults(mut cmd: clap::Command, values: &[(String, String)]) -> clap::Command {
    let ids: Vec<(String, String)> = cmd
        .get_arguments()
        .filter_map(|a| {
            let env = a.get_env()?.to_str()?;
            let value = values.iter().rev().find(|(k, _)| k == env)?;
            Some((a.get_id().to_string(), value.1.clone()))
        })
        .collect();
    for (id, value) in ids {
        let value: &'static str = Box::leak(value.into_boxed_str());
        cmd = cmd.mut_arg(id, |a| a.default_value(value));
    }
    let subs: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for name in subs {
        cmd = cmd.mut_subcommand(name, |s| with_file_defaults(s, values));
    }
    cmd
}

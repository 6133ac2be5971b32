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

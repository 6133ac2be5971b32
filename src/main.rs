//! The `kinerja` binary: parse the command line, start telemetry, run the chosen command.
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    kinerja::telemetry::init();
    kinerja::cli::run().await
}

//! The `kinerja` command line.
use std::process::ExitCode;

/// Parse the arguments and run the chosen command.
pub async fn run() -> ExitCode {
    ExitCode::SUCCESS
}

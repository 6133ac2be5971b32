//! `kinerja serve`: open the store, load (or create) the head-signing key, bind, print the URL,
//! serve until ctrl-c or SIGTERM, then finish in-flight requests and drain the writer.

use std::io::Write;
use std::process::ExitCode;

use crate::config::ServeSettings;
use crate::http::{Application, ServeOptions, shutdown_signal};
use crate::ledger::SignerSettings;
use crate::proofs::SigningKey;

/// Load the signing key at `path`, creating it (mode 0600) when missing.
pub fn load_or_create_key(path: &std::path::Path) -> anyhow::Result<SigningKey> {
    if path.exists() {
        let text = std::fs::read_to_string(path)?;
        return SigningKey::from_text(text.trim())
            .map_err(|e| anyhow::anyhow!("signing key {}: {e}", path.display()));
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let key = SigningKey::generate();
    write_secret(path, &key.to_text())?;
    let mut public = path.as_os_str().to_owned();
    public.push(".pub");
    std::fs::write(&public, format!("{}\n", key.public_key().to_text().trim()))?;
    tracing::warn!(
        path = %path.display(),
        key_id = %key.key_id(),
        "created a new tree-head signing key; back it up and keep it outside the database"
    );
    Ok(key)
}

/// Write a file readable by its owner only.
pub fn write_secret(path: &std::path::Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", path.display()))?;
    writeln!(file, "{text}")?;
    Ok(())
}

/// Run the service.
pub async fn serve(settings: ServeSettings) -> anyhow::Result<ExitCode> {
    crate::http::memory::limit_arenas();
    let key = load_or_create_key(&settings.signing_key)?;
    let options = ServeOptions {
        listen: settings.listen,
        database_url: settings.store.database_url.clone(),
        read_database_url: settings.read.read_database_url.clone(),
        signing_key: Some(key),
        signer: SignerSettings {
            every_events: settings.sign_every_events,
            every: std::time::Duration::from_secs(settings.sign_every_secs.max(1)),
        },
    };
    let app = Application::build(options).await?;
    let url = format!("http://{}:{}", settings.listen.ip(), app.port());
    // A closed stdout (a supervisor that stopped reading) must not stop the service.
    let mut out = std::io::stdout();
    let _ = writeln!(
        out,
        "kinerja berjalan di {url} (basis data: {})",
        settings.store.database_url
    );
    let _ = writeln!(
        out,
        "  API: {url}/api/v1 · dokumentasi: {url}/docs · kesehatan: {url}/healthz · berhenti: Ctrl+C"
    );
    let _ = out.flush();
    app.run_until(shutdown_signal()).await?;
    Ok(ExitCode::SUCCESS)
}

//! The `kurrentdb://` URL: the client's own connection string plus kinerja's parameters.
//!
//! ```text
//! kurrentdb://admin:changeit@node1:2113,node2:2113,node3:2113?tls=true&ledger=postgres%3A%2F%2Fkinerja%40db%2Fkinerja
//! esdb+discover://cluster.example.internal:2113?ledger=sqlite%3A%2F%2Fdata%2Fledger.db
//! ```
//!
//! Every parameter the client knows (`tls`, `tlsVerifyCert`, `nodePreference`, …) goes to it
//! unchanged. kinerja takes out its own before handing the rest over:
//!
//! - `ledger`: the URL of the ledger database (`sqlite:…` or `postgres:…`, percent-encoded), where
//!   the sealed log, the Merkle tree, the tree heads and the read models live. When absent, the
//!   environment variable `KINERJA_LEDGER_DATABASE_URL` is used (easier: no encoding needed).
//! - `sealTimeoutMs`: how long an append, or a stream read, waits for the sealer to reach the
//!   events it needs (default 10 000).

use std::time::Duration;

use crate::store::StoreError;

/// The environment variable naming the ledger database when the URL has no `ledger` parameter.
pub const LEDGER_ENV: &str = "KINERJA_LEDGER_DATABASE_URL";

/// URL schemes that select this backend.
pub const SCHEMES: &[&str] = &[
    "kurrentdb://",
    "kurrentdb+discover://",
    "esdb://",
    "esdb+discover://",
];

/// Default of `sealTimeoutMs`.
pub const DEFAULT_SEAL_TIMEOUT: Duration = Duration::from_secs(10);

/// Does `url` select the KurrentDB backend?
pub fn is_kurrentdb_url(url: &str) -> bool {
    SCHEMES.iter().any(|s| url.starts_with(s))
}

/// A parsed `kurrentdb://` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The connection string for the client, without kinerja's parameters.
    pub cluster: String,
    /// The ledger database URL (`sqlite:…` or `postgres:…`).
    pub ledger: String,
    /// See `sealTimeoutMs`.
    pub seal_timeout: Duration,
}

impl Config {
    /// Parse `url`; `ledger_env` is the value of [`LEDGER_ENV`], if set.
    pub fn parse(url: &str, ledger_env: Option<String>) -> Result<Self, StoreError> {
        let bad = |reason: String| StoreError::Backend(format!("KurrentDB URL: {reason}"));
        if !is_kurrentdb_url(url) {
            return Err(bad(format!(
                "unknown scheme; use one of {}",
                SCHEMES.join(", ")
            )));
        }
        let (base, query) = match url.split_once('?') {
            Some((b, q)) => (b, q),
            None => (url, ""),
        };
        let mut kept = Vec::new();
        let mut ledger = None;
        let mut seal_timeout = DEFAULT_SEAL_TIMEOUT;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match key.to_ascii_lowercase().as_str() {
                "ledger" => ledger = Some(percent_decode(value).map_err(bad)?),
                "sealtimeoutms" => {
                    let ms: u64 = value
                        .parse()
                        .map_err(|_| bad(format!("sealTimeoutMs={value:?} is not a number")))?;
                    seal_timeout = Duration::from_millis(ms.max(1));
                }
                _ => kept.push(pair),
            }
        }
        let ledger = ledger
            .or(ledger_env.filter(|v| !v.trim().is_empty()))
            .ok_or_else(|| {
                bad(format!(
                    "no ledger database: add ledger=<percent-encoded sqlite: or postgres: URL> \
                     or set {LEDGER_ENV}"
                ))
            })?;
        if !(ledger.starts_with("sqlite:")
            || ledger.starts_with("postgres:")
            || ledger.starts_with("postgresql:"))
        {
            return Err(bad(format!(
                "the ledger database must be a sqlite: or postgres: URL, not {:?}",
                ledger.split(':').next().unwrap_or_default()
            )));
        }
        let cluster = if kept.is_empty() {
            base.to_string()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        Ok(Self {
            cluster,
            ledger,
            seal_timeout,
        })
    }

    /// The cluster connection string with any password replaced, for logs.
    pub fn cluster_for_logs(&self) -> String {
        redact(&self.cluster)
    }
}

/// `scheme://user:password@…` with the password replaced by `***`.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, hosts)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
            format!("{scheme}://{user}:***@{hosts}{tail}")
        }
        None => url.to_string(),
    }
}

/// Decode `%XX` escapes (a `+` stays a `+`).
pub fn percent_decode(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("bad percent escape at byte {i} of {s:?}"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| format!("{s:?} does not decode to UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinerja_parameters_are_taken_out_and_the_rest_kept() {
        let c = Config::parse(
            "kurrentdb://admin:changeit@a:2113,b:2113?tls=false&ledger=postgres%3A%2F%2Fu%40db%2Fk%3Fsslmode%3Ddisable&nodePreference=leader&sealTimeoutMs=2500",
            None,
        )
        .unwrap();
        assert_eq!(
            c.cluster,
            "kurrentdb://admin:changeit@a:2113,b:2113?tls=false&nodePreference=leader"
        );
        assert_eq!(c.ledger, "postgres://u@db/k?sslmode=disable");
        assert_eq!(c.seal_timeout, Duration::from_millis(2500));
        assert_eq!(
            c.cluster_for_logs(),
            "kurrentdb://admin:***@a:2113,b:2113?tls=false&nodePreference=leader"
        );
    }

    #[test]
    fn the_ledger_falls_back_to_the_environment() {
        let c = Config::parse("esdb://localhost:2113", Some("sqlite://l.db".into())).unwrap();
        assert_eq!(c.cluster, "esdb://localhost:2113");
        assert_eq!(c.ledger, "sqlite://l.db");
        assert_eq!(c.seal_timeout, DEFAULT_SEAL_TIMEOUT);
        // The URL's parameter wins over the environment.
        let c = Config::parse(
            "esdb+discover://c.example:2113?ledger=sqlite%3A%2F%2Fa.db",
            Some("sqlite://b.db".into()),
        )
        .unwrap();
        assert_eq!(c.ledger, "sqlite://a.db");
        assert_eq!(c.cluster, "esdb+discover://c.example:2113");
    }

    #[test]
    fn missing_or_wrong_ledgers_and_schemes_are_named() {
        let e = Config::parse("kurrentdb://h:2113", None).unwrap_err();
        assert!(e.to_string().contains(LEDGER_ENV), "{e}");
        let e = Config::parse("kurrentdb://h:2113?ledger=memory%3A", None).unwrap_err();
        assert!(e.to_string().contains("sqlite: or postgres:"), "{e}");
        let e = Config::parse("kurrentdb://h?ledger=%zz", None).unwrap_err();
        assert!(e.to_string().contains("percent"), "{e}");
        let e = Config::parse("kurrentdb://h?ledger=sqlite%3Ax&sealTimeoutMs=soon", None);
        assert!(e.is_err());
        assert!(Config::parse("http://h:2113", Some("sqlite://x".into())).is_err());
        assert!(is_kurrentdb_url("esdb+discover://x"));
        assert!(!is_kurrentdb_url("postgres://x"));
    }

    #[test]
    fn redaction_keeps_hosts_and_hides_passwords() {
        assert_eq!(redact("esdb://h:2113?tls=false"), "esdb://h:2113?tls=false");
        assert_eq!(redact("esdb://u:p@h:2113"), "esdb://u:***@h:2113");
    }
}

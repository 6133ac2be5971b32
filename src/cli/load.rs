//! `kinerja load`: drive a running local server with a mixed read workload at a target rate for
//! a bounded time, and print throughput, p50/p95/p99 latency per endpoint and errors.
//!
//! Tokens come from `kinerja seed --demo --tokens-out FILE`: lines of `role<TAB>subject<TAB>token`
//! with roles `admin`, `auditor`, `officer` (subject: NIP) and `appraiser` (subject: NIP, then a
//! fourth column: a subordinate's NIP, whose SKP the appraiser reads). The
//! HTTP/1.1 client is minimal: one keep-alive connection per worker, `Content-Length` or chunked
//! bodies. Only loopback URLs are accepted.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// `kinerja load`.
#[derive(Debug, Clone, Args)]
pub struct LoadArgs {
    /// Base URL of the server, e.g. http://127.0.0.1:8080 (loopback only).
    #[arg(long)]
    pub url: String,
    /// A single bearer token (used for every request when no --tokens-file is given).
    #[arg(long)]
    pub token: Option<String>,
    /// Tokens written by `kinerja seed --demo --tokens-out FILE`.
    #[arg(long)]
    pub tokens_file: Option<std::path::PathBuf>,
    /// Target requests per second (all workers together).
    #[arg(long, default_value_t = 100.0)]
    pub rate: f64,
    /// How long to run, in seconds.
    #[arg(long, default_value_t = 10)]
    pub duration: u64,
    /// Concurrent connections.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// The plan year to read (default: last year, as seeded).
    #[arg(long)]
    pub year: Option<i32>,
}

/// A token and what it stands for.
#[derive(Debug, Clone)]
pub struct TokenLine {
    pub role: String,
    pub subject: String,
    pub token: String,
    /// For an appraiser: a subordinate whose SKP it may read.
    pub subordinate: Option<String>,
}

/// Parse a tokens file.
pub fn parse_tokens(text: &str) -> Vec<TokenLine> {
    text.lines()
        .filter_map(|l| {
            let mut p = l.split('\t');
            Some(TokenLine {
                role: p.next()?.to_string(),
                subject: p.next()?.to_string(),
                token: p.next()?.trim().to_string(),
                subordinate: p.next().map(|s| s.trim().to_string()),
            })
        })
        .collect()
}

/// The nearest-rank percentile `p` (0–100) of sorted samples; 0 when empty.
pub fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let n = sorted.len();
    let rank = (p / 100.0 * n as f64).ceil().clamp(1.0, n as f64);
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let i = rank as usize - 1;
    sorted[i]
}

/// Latency summary of one endpoint, in microseconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub count: usize,
    pub errors: usize,
    pub p50: u64,
    pub p95: u64,
    pub p99: u64,
    pub max: u64,
}

/// Summarise latencies (µs) and an error count.
pub fn summarise(mut latencies: Vec<u64>, errors: usize) -> Summary {
    latencies.sort_unstable();
    Summary {
        count: latencies.len(),
        errors,
        p50: percentile(&latencies, 50.0),
        p95: percentile(&latencies, 95.0),
        p99: percentile(&latencies, 99.0),
        max: latencies.last().copied().unwrap_or(0),
    }
}

/// `host:port` of a loopback `http://` URL; refuses anything else.
pub fn loopback_addr(url: &str) -> anyhow::Result<String> {
    let rest = url
        .strip_prefix("http://")
        .context("only http:// URLs are supported")?;
    let hostport = rest.split('/').next().unwrap_or("");
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => (h, p),
        _ => (hostport, "80"),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let ip: std::net::IpAddr = if host.eq_ignore_ascii_case("localhost") {
        std::net::IpAddr::from([127, 0, 0, 1])
    } else {
        host.parse()
            .context("the host must be a loopback address")?
    };
    if !ip.is_loopback() {
        bail!("refusing a non-loopback URL: {url}");
    }
    let port: u16 = port.parse().context("port")?;
    Ok(match ip {
        std::net::IpAddr::V6(v6) => format!("[{v6}]:{port}"),
        std::net::IpAddr::V4(v4) => format!("{v4}:{port}"),
    })
}

struct Conn {
    addr: String,
    stream: Option<BufReader<TcpStream>>,
}

impl Conn {
    async fn get(&mut self, path: &str, token: &str) -> anyhow::Result<u16> {
        for attempt in 0..2 {
            if self.stream.is_none() {
                let s = TcpStream::connect(&self.addr).await?;
                s.set_nodelay(true)?;
                self.stream = Some(BufReader::new(s));
            }
            match self.roundtrip(path, token).await {
                Ok(status) => return Ok(status),
                Err(e) if attempt == 0 => {
                    self.stream = None;
                    tracing::debug!(%e, "reconnecting");
                }
                Err(e) => return Err(e),
            }
        }
        bail!("unreachable")
    }

    async fn roundtrip(&mut self, path: &str, token: &str) -> anyhow::Result<u16> {
        let s = self.stream.as_mut().context("no connection")?;
        let req = format!(
            "GET {path} HTTP/1.1\r\nhost: localhost\r\nauthorization: Bearer {token}\r\naccept: application/json\r\n\r\n"
        );
        s.get_mut().write_all(req.as_bytes()).await?;
        let mut line = String::new();
        if s.read_line(&mut line).await? == 0 {
            bail!("connection closed");
        }
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .context("bad status line")?;
        let mut length = 0usize;
        let mut chunked = false;
        let mut close = false;
        loop {
            line.clear();
            s.read_line(&mut line).await?;
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            let lower = l.to_ascii_lowercase();
            if let Some(v) = lower.strip_prefix("content-length:") {
                length = v.trim().parse()?;
            } else if lower.starts_with("transfer-encoding:") && lower.contains("chunked") {
                chunked = true;
            } else if lower.starts_with("connection:") && lower.contains("close") {
                close = true;
            }
        }
        if chunked {
            loop {
                line.clear();
                s.read_line(&mut line).await?;
                let size = usize::from_str_radix(line.trim(), 16)?;
                let mut buf = vec![0u8; size + 2];
                s.read_exact(&mut buf).await?;
                if size == 0 {
                    break;
                }
            }
        } else {
            let mut buf = vec![0u8; length];
            s.read_exact(&mut buf).await?;
        }
        if close {
            self.stream = None;
        }
        Ok(status)
    }
}

/// Run `kinerja load`.
pub async fn run(args: LoadArgs) -> anyhow::Result<ExitCode> {
    let addr = loopback_addr(&args.url)?;
    let tokens = match (&args.tokens_file, &args.token) {
        (Some(path), _) => parse_tokens(&std::fs::read_to_string(path)?),
        (None, Some(t)) => vec![TokenLine {
            role: "admin".into(),
            subject: String::new(),
            token: t.clone(),
            subordinate: None,
        }],
        (None, None) => bail!("give --tokens-file (from seed --demo --tokens-out) or --token"),
    };
    let year = args
        .year
        .unwrap_or_else(|| chrono::Datelike::year(&chrono::Utc::now()) - 1);
    let of = |role: &str| -> Vec<TokenLine> {
        tokens.iter().filter(|t| t.role == role).cloned().collect()
    };
    let (officers, appraisers, auditors, admins) =
        (of("officer"), of("appraiser"), of("auditor"), of("admin"));
    let staff = if auditors.is_empty() {
        admins.clone()
    } else {
        auditors
    };
    let concurrency = args.concurrency.max(1);
    let per_worker = Duration::from_secs_f64(concurrency as f64 / args.rate.max(0.1));
    let deadline = Instant::now() + Duration::from_secs(args.duration);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..concurrency {
        let (officers, appraisers, staff, admins) = (
            officers.clone(),
            appraisers.clone(),
            staff.clone(),
            admins.clone(),
        );
        let addr = addr.clone();
        tasks.push(tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(w as u64);
            let mut conn = Conn { addr, stream: None };
            let mut out: BTreeMap<&'static str, (Vec<u64>, usize)> = BTreeMap::new();
            let mut tick = tokio::time::interval(per_worker);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            while Instant::now() < deadline {
                tick.tick().await;
                let pick = rng.gen_range(0..100);
                let any = |v: &Vec<TokenLine>, rng: &mut StdRng| {
                    (!v.is_empty()).then(|| v[rng.gen_range(0..v.len())].clone())
                };
                let (name, path, token) = match pick {
                    0..=34 if !officers.is_empty() => {
                        let t = any(&officers, &mut rng).unwrap_or_else(|| staff[0].clone());
                        (
                            "GET own plan",
                            format!("/api/v1/officers/{}/plans/{year}", t.subject),
                            t.token,
                        )
                    }
                    35..=49 if !officers.is_empty() => {
                        let t = any(&officers, &mut rng).unwrap_or_else(|| staff[0].clone());
                        (
                            "GET officer",
                            format!("/api/v1/officers/{}", t.subject),
                            t.token,
                        )
                    }
                    50..=64 if !appraisers.is_empty() => {
                        let t = any(&appraisers, &mut rng).unwrap_or_else(|| staff[0].clone());
                        (
                            "GET subordinate plan",
                            format!(
                                "/api/v1/officers/{}/plans/{year}",
                                t.subordinate.as_deref().unwrap_or(&t.subject)
                            ),
                            t.token,
                        )
                    }
                    65..=89 if !officers.is_empty() && !staff.is_empty() => {
                        let o = any(&officers, &mut rng).unwrap_or_else(|| staff[0].clone());
                        let a = any(&staff, &mut rng).unwrap_or_else(|| o.clone());
                        (
                            "GET auditor stream",
                            format!("/api/v1/streams/officer-{}", o.subject),
                            a.token,
                        )
                    }
                    _ => {
                        let t = any(&admins, &mut rng)
                            .or_else(|| any(&staff, &mut rng))
                            .map(|t| t.token)
                            .unwrap_or_default();
                        ("GET healthz", "/healthz".to_string(), t)
                    }
                };
                let t0 = Instant::now();
                let result = conn.get(&path, &token).await;
                let us = u64::try_from(t0.elapsed().as_micros()).unwrap_or(u64::MAX);
                let e = out.entry(name).or_default();
                match result {
                    Ok(status) if status < 400 => e.0.push(us),
                    _ => {
                        e.0.push(us);
                        e.1 += 1;
                    }
                }
            }
            out
        }));
    }
    let mut all: BTreeMap<&'static str, (Vec<u64>, usize)> = BTreeMap::new();
    for t in tasks {
        for (k, (lat, err)) in t.await? {
            let e = all.entry(k).or_default();
            e.0.extend(lat);
            e.1 += err;
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let total: usize = all.values().map(|(l, _)| l.len()).sum();
    let errors: usize = all.values().map(|(_, e)| *e).sum();
    println!(
        "{total} requests in {secs:.1} s = {:.1} req/s (target {}), {errors} errors",
        total as f64 / secs.max(0.001),
        args.rate
    );
    println!(
        "{:<22} {:>7} {:>6} {:>9} {:>9} {:>9} {:>9}",
        "endpoint", "count", "errors", "p50 ms", "p95 ms", "p99 ms", "max ms"
    );
    let ms = |us: u64| us as f64 / 1000.0;
    for (name, (lat, err)) in all {
        let s = summarise(lat, err);
        println!(
            "{name:<22} {:>7} {:>6} {:>9.2} {:>9.2} {:>9.2} {:>9.2}",
            s.count,
            s.errors,
            ms(s.p50),
            ms(s.p95),
            ms(s.p99),
            ms(s.max)
        );
    }
    Ok(if errors == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

//! `kinerja load`: drive a running local server with a mixed workload at a target rate for a
//! bounded time, and print throughput, p50/p95/p99 latency per endpoint and errors.
//!
//! The mix (per hundred requests): officers read their current SKP (14) and last year's
//! scorecard (10) and file realisation reports (10); appraisers read a subordinate's SKP (10) and
//! give feedback on it (6); unit heads read their unit's dashboard (10); auditors read audit
//! trails (14), SKP streams (10) and a list of findings (4); the public answers surveys (4); and
//! health checks (8). A kind of request whose tokens are missing from the file falls back to a
//! health check.
//!
//! What it writes with comes from `kinerja seed --demo --tokens-out FILE` (see
//! [`crate::cli::seed`] for the lines): tokens, current-year SKPs and unused survey codes, each
//! code used once. The public survey endpoint limits answers per client address, so survey
//! answers come from rotating loopback source addresses (127.10.0.1 and up), at most eight per
//! address, as distinct members of the public would. Only loopback URLs are accepted.
//!
//! The load is open-loop: request `i` is due at `start + i / rate` and is sent then on a free
//! keep-alive connection (a new one when none is idle, at most `--concurrency` in flight),
//! whether or not the earlier ones were answered. Latency is measured from the scheduled send
//! time to reading the whole answer, so time spent waiting for a connection counts (no
//! coordinated omission). The achieved rate is the answers received over the time from the
//! start until the last answer, printed beside the target, with the offered rate and how far
//! behind schedule requests left. The HTTP/1.1 client is minimal: `Content-Length` or chunked
//! bodies, a 30 s limit per answer.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpSocket, TcpStream};

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
    /// Most requests in flight at once (and so most open connections); requests due while
    /// all are busy wait, and that wait counts in their latency.
    #[arg(long, default_value_t = 256)]
    pub concurrency: usize,
    /// The current year, whose SKPs the load writes to (default: this year; the last seeded
    /// plan year is the one before).
    #[arg(long)]
    pub year: Option<i32>,
}

/// A line of the tokens file: a role, its subject, its token (for `survey`: the code) and the
/// role's further columns.
#[derive(Debug, Clone)]
pub struct TokenLine {
    pub role: String,
    pub subject: String,
    pub token: String,
    pub extra: Vec<String>,
}

impl TokenLine {
    fn extra(&self, i: usize) -> &str {
        self.extra.get(i).map_or("", String::as_str)
    }
}

/// Parse a tokens file.
pub fn parse_tokens(text: &str) -> Vec<TokenLine> {
    text.lines()
        .filter_map(|l| {
            let mut p = l.split('\t').map(str::trim);
            Some(TokenLine {
                role: p.next()?.to_string(),
                subject: p.next()?.to_string(),
                token: p.next()?.to_string(),
                extra: p.map(str::to_string).collect(),
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

/// One keep-alive connection, reopened when the server closes it; optionally from a chosen
/// loopback source address.
struct Conn {
    addr: String,
    source: Option<Ipv4Addr>,
    stream: Option<BufReader<TcpStream>>,
    /// The last answer's body (kept to be reused, not read).
    body: Vec<u8>,
}

/// A request to send.
struct Request {
    method: &'static str,
    path: String,
    token: String,
    body: Option<String>,
}

impl Conn {
    fn new(addr: &str) -> Self {
        Self {
            addr: addr.to_string(),
            source: None,
            stream: None,
            body: Vec::new(),
        }
    }

    async fn connect(&self) -> anyhow::Result<TcpStream> {
        let Some(ip) = self.source else {
            return Ok(TcpStream::connect(&self.addr).await?);
        };
        let target: SocketAddr = self.addr.parse().context("address")?;
        let socket = TcpSocket::new_v4()?;
        socket.bind(SocketAddr::from((ip, 0)))?;
        Ok(socket.connect(target).await?)
    }

    /// Send `req` and read the answer; its status. Retries once on a fresh connection when a
    /// kept-alive one turns out closed.
    async fn send(&mut self, req: &Request) -> anyhow::Result<u16> {
        for attempt in 0..2 {
            if self.stream.is_none() {
                let s = self.connect().await?;
                s.set_nodelay(true)?;
                self.stream = Some(BufReader::new(s));
            }
            match self.roundtrip(req).await {
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

    async fn roundtrip(&mut self, req: &Request) -> anyhow::Result<u16> {
        let s = self.stream.as_mut().context("no connection")?;
        let mut head = format!(
            "{} {} HTTP/1.1\r\nhost: localhost\r\naccept: application/json\r\n",
            req.method, req.path
        );
        if !req.token.is_empty() {
            head.push_str(&format!("authorization: Bearer {}\r\n", req.token));
        }
        if let Some(body) = &req.body {
            head.push_str(&format!(
                "content-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                body.len()
            ));
        } else {
            head.push_str("\r\n");
        }
        s.get_mut().write_all(head.as_bytes()).await?;
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
            // Header names compared without allocating a lowercase copy of every line.
            let Some((name, value)) = l.split_once(':') else {
                continue;
            };
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                length = value.parse()?;
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                chunked = value.to_ascii_lowercase().contains("chunked");
            } else if name.eq_ignore_ascii_case("connection") {
                close = value.to_ascii_lowercase().contains("close");
            }
        }
        // The body is read and dropped (into one buffer kept with the connection).
        let body = &mut self.body;
        if chunked {
            loop {
                line.clear();
                s.read_line(&mut line).await?;
                let size = usize::from_str_radix(line.trim(), 16)?;
                body.resize(size + 2, 0);
                s.read_exact(body).await?;
                if size == 0 {
                    break;
                }
            }
        } else {
            body.resize(length, 0);
            s.read_exact(body).await?;
        }
        if close {
            self.stream = None;
        }
        Ok(status)
    }
}

/// The tokens by role, shared by the workers.
struct Pool {
    officers: Vec<TokenLine>,
    appraisers: Vec<TokenLine>,
    heads: Vec<TokenLine>,
    auditors: Vec<TokenLine>,
    /// The current year (writes) and the last plan year (scorecards, dashboards).
    year: i32,
}

fn pick<'a>(v: &'a [TokenLine], rng: &mut StdRng) -> Option<&'a TokenLine> {
    (!v.is_empty()).then(|| &v[rng.gen_range(0..v.len())])
}

fn get(path: String, token: &str) -> Request {
    Request {
        method: "GET",
        path,
        token: token.to_string(),
        body: None,
    }
}

fn post(path: String, token: &str, body: &serde_json::Value) -> Request {
    Request {
        method: "POST",
        path,
        token: token.to_string(),
        body: Some(body.to_string()),
    }
}

/// The quarter a date falls in, as the API names it.
fn quarter(month0: u32) -> &'static str {
    ["TW1", "TW2", "TW3", "TW4"][(month0 / 3).min(3) as usize]
}

/// The next request of the mix (`pick` in 0..100): its endpoint name and the request. `None`
/// for a survey answer (sent separately, see [`run`]).
fn next_request(pool: &Pool, pick_n: u32, rng: &mut StdRng) -> Option<(&'static str, Request)> {
    let (y, last) = (pool.year, pool.year - 1);
    let now = chrono::Utc::now();
    let period = quarter(chrono::Datelike::month0(&now));
    let api = "/api/v1/officers";
    let r = match pick_n {
        0..=13 => pick(&pool.officers, rng)
            .map(|t| ("GET own plan", get(format!("{api}/{}/plans/{y}", t.subject), &t.token))),
        14..=23 => pick(&pool.officers, rng).map(|t| {
            (
                "GET scorecard",
                get(format!("{api}/{}/scorecard/{last}", t.subject), &t.token),
            )
        }),
        24..=33 => pick(&pool.officers, rng).map(|t| {
            let hash: [u8; 32] = rng.r#gen();
            let body = serde_json::json!({
                "indicator_id": t.extra(0),
                "period": period,
                "realised": {"value": rng.gen_range(1..=30), "unit": t.extra(1)},
                "evidence": [{
                    "uri": format!("https://arsip.lhokseumawekota.go.id/beban/{}/{}.pdf", t.subject, hex::encode(&hash[..6])),
                    "sha256": hex::encode(hash),
                    "media_type": "application/pdf",
                }],
            });
            (
                "POST report",
                post(format!("{api}/{}/plans/{y}/reports", t.subject), &t.token, &body),
            )
        }),
        34..=43 => pick(&pool.appraisers, rng).map(|t| {
            (
                "GET subordinate plan",
                get(format!("{api}/{}/plans/{y}", t.extra(0)), &t.token),
            )
        }),
        44..=49 => pick(&pool.appraisers, rng).map(|t| {
            let body = serde_json::json!({
                "about": {"kind": "BEHAVIOUR", "ref": "AKUNTABEL"},
                "period": period,
                "text": "Laporan tepat waktu; pertahankan.",
            });
            (
                "POST feedback",
                post(format!("{api}/{}/plans/{y}/feedback", t.extra(0)), &t.token, &body),
            )
        }),
        50..=59 => pick(&pool.heads, rng).map(|t| {
            (
                "GET dashboard",
                get(format!("/api/v1/units/{}/dashboard/{last}", t.extra(0)), &t.token),
            )
        }),
        60..=73 => {
            let o = pick(&pool.officers, rng).map(|t| t.subject.clone());
            o.zip(pick(&pool.auditors, rng)).map(|(o, a)| {
                (
                    "GET audit trail",
                    get(format!("{api}/{o}/audit-trail?limit=50"), &a.token),
                )
            })
        }
        74..=83 => {
            let o = pick(&pool.officers, rng).map(|t| t.subject.clone());
            o.zip(pick(&pool.auditors, rng)).map(|(o, a)| {
                (
                    "GET SKP stream",
                    get(format!("/api/v1/streams/skp-{o}_{y}_1"), &a.token),
                )
            })
        }
        84..=87 => pick(&pool.auditors, rng).map(|a| {
            (
                "GET findings",
                get(
                    "/api/v1/accountability/report_late_or_backdated".to_string(),
                    &a.token,
                ),
            )
        }),
        88..=91 => return None,
        _ => Some(("GET healthz", get("/healthz".to_string(), ""))),
    };
    Some(r.unwrap_or_else(|| ("GET healthz", get("/healthz".to_string(), ""))))
}

/// Latencies (µs) and errors per endpoint.
type Tally = BTreeMap<&'static str, (Vec<u64>, usize)>;

/// The outcome of one scheduled request.
struct Outcome {
    name: &'static str,
    /// From the scheduled send time to the whole answer (µs).
    latency_us: u64,
    /// From the scheduled send time to the actual send (µs): waiting for a free connection.
    start_lag_us: u64,
    ok: bool,
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// Longest wait for one answer; a request still unanswered then counts as an error.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// What every request task shares: the server, the tokens, idle keep-alive connections, the
/// survey codes and the next loopback source address for survey answers.
struct Shared {
    addr: String,
    pool: Pool,
    idle: std::sync::Mutex<Vec<Conn>>,
    /// Connections for survey answers, each with the answers sent from its current address.
    public_idle: std::sync::Mutex<Vec<(Conn, usize)>>,
    codes: std::sync::Mutex<std::vec::IntoIter<String>>,
    next_source: std::sync::atomic::AtomicU32,
    /// At most `--concurrency` requests in flight (so at most that many connections).
    slots: tokio::sync::Semaphore,
}

impl Shared {
    fn take_conn(&self) -> Conn {
        let conn = self.idle.lock().map(|mut v| v.pop()).unwrap_or_default();
        conn.unwrap_or_else(|| Conn::new(&self.addr))
    }

    fn give_conn(&self, conn: Conn) {
        if let Ok(mut v) = self.idle.lock() {
            v.push(conn);
        }
    }

    /// A connection for a survey answer: from a fresh loopback address every eight answers
    /// (127.10.0.1 and up), as distinct members of the public would.
    fn take_public(&self) -> (Conn, usize) {
        let taken = self
            .public_idle
            .lock()
            .map(|mut v| v.pop())
            .unwrap_or_default();
        let (mut conn, answers) = taken.unwrap_or_else(|| (Conn::new(&self.addr), usize::MAX));
        if conn.source.is_none() || answers >= 8 {
            let n = self
                .next_source
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let [_, b, c, d] = n.to_be_bytes();
            conn.source = Some(Ipv4Addr::new(127, 10u8.saturating_add(b), c, d));
            conn.stream = None;
            return (conn, 0);
        }
        (conn, answers)
    }

    fn give_public(&self, conn: Conn, answers: usize) {
        if let Ok(mut v) = self.public_idle.lock() {
            v.push((conn, answers));
        }
    }

    fn next_code(&self) -> Option<String> {
        self.codes.lock().ok().and_then(|mut c| c.next())
    }
}

/// What the scheduler decided to send.
enum Planned {
    Request(&'static str, Request),
    /// A public survey answer (a code is taken when it is sent).
    Survey(Vec<u8>),
}

/// Send one planned request when a slot is free; the outcome is measured from `due`.
async fn send_planned(shared: std::sync::Arc<Shared>, due: Instant, planned: Planned) -> Outcome {
    let Ok(_slot) = shared.slots.acquire().await else {
        return Outcome {
            name: "GET healthz",
            latency_us: 0,
            start_lag_us: 0,
            ok: false,
        };
    };
    let sent = Instant::now();
    let (name, result) = match planned {
        Planned::Request(name, req) => {
            let mut conn = shared.take_conn();
            let result = tokio::time::timeout(REQUEST_TIMEOUT, conn.send(&req)).await;
            if result.is_ok() {
                shared.give_conn(conn);
            }
            (name, result)
        }
        Planned::Survey(answers) => match shared.next_code() {
            Some(code) => {
                let (mut conn, n) = shared.take_public();
                let body = serde_json::json!({"code": code, "answers": answers});
                let req = post("/api/v1/public/survey".into(), "", &body);
                let result = tokio::time::timeout(REQUEST_TIMEOUT, conn.send(&req)).await;
                if result.is_ok() {
                    shared.give_public(conn, n + 1);
                }
                ("POST public survey", result)
            }
            None => {
                let mut conn = shared.take_conn();
                let req = get("/healthz".into(), "");
                let result = tokio::time::timeout(REQUEST_TIMEOUT, conn.send(&req)).await;
                if result.is_ok() {
                    shared.give_conn(conn);
                }
                ("GET healthz", result)
            }
        },
    };
    let ok = match &result {
        Ok(Ok(status)) if *status < 400 => true,
        Ok(Ok(status)) => {
            tracing::debug!(name, status, "error answer");
            false
        }
        Ok(Err(err)) => {
            tracing::debug!(name, %err, "request failed");
            false
        }
        Err(_) => {
            tracing::debug!(name, "no answer in time");
            false
        }
    };
    Outcome {
        name,
        latency_us: micros(due.elapsed()),
        start_lag_us: micros(sent.saturating_duration_since(due)),
        ok,
    }
}

/// Run `kinerja load`: open-loop. Request `i` is due at `start + i / rate`, whatever happened
/// to the ones before it: a slow answer never delays the next request (it is sent on another
/// connection, up to `--concurrency` in flight), so the offered rate is the target rate and a
/// server that cannot keep up shows as latency and as a lower achieved rate, not as a quietly
/// lower offered one. Latency is measured from the scheduled send time (waiting for a free
/// connection counts).
pub async fn run(args: LoadArgs) -> anyhow::Result<ExitCode> {
    let addr = loopback_addr(&args.url)?;
    let tokens = match (&args.tokens_file, &args.token) {
        (Some(path), _) => parse_tokens(&std::fs::read_to_string(path)?),
        (None, Some(t)) => vec![TokenLine {
            role: "auditor".into(),
            subject: String::new(),
            token: t.clone(),
            extra: Vec::new(),
        }],
        (None, None) => bail!("give --tokens-file (from seed --demo --tokens-out) or --token"),
    };
    let of = |role: &str| -> Vec<TokenLine> {
        tokens.iter().filter(|t| t.role == role).cloned().collect()
    };
    let mut auditors = of("auditor");
    if auditors.is_empty() {
        auditors = of("admin");
    }
    let pool = Pool {
        officers: of("officer"),
        appraisers: of("appraiser"),
        heads: of("head"),
        auditors,
        year: args
            .year
            .unwrap_or_else(|| chrono::Datelike::year(&chrono::Utc::now())),
    };
    let codes: Vec<String> = of("survey").into_iter().map(|t| t.token).collect();
    let concurrency = args.concurrency.clamp(1, 4096);
    let shared = std::sync::Arc::new(Shared {
        addr,
        pool,
        idle: std::sync::Mutex::new(Vec::new()),
        public_idle: std::sync::Mutex::new(Vec::new()),
        codes: std::sync::Mutex::new(codes.into_iter()),
        next_source: std::sync::atomic::AtomicU32::new(1),
        slots: tokio::sync::Semaphore::new(concurrency),
    });
    let rate = args.rate.max(0.1);
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let scheduled = (rate * args.duration as f64).round() as u64;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Outcome>();
    let mut rng = StdRng::seed_from_u64(0x10ad);
    let started = Instant::now();
    let start = tokio::time::Instant::from_std(started);
    for i in 0..scheduled {
        #[allow(clippy::cast_precision_loss)]
        let offset = Duration::from_secs_f64(i as f64 / rate);
        tokio::time::sleep_until(start + offset).await;
        let n = rng.gen_range(0..100);
        let planned = match next_request(&shared.pool, n, &mut rng) {
            Some((name, req)) => Planned::Request(name, req),
            None => Planned::Survey((0..9).map(|_| rng.gen_range(2..=4)).collect()),
        };
        let (shared, tx) = (shared.clone(), tx.clone());
        let due = started + offset;
        tokio::spawn(async move {
            let _ = tx.send(send_planned(shared, due, planned).await);
        });
    }
    let offered_secs = started.elapsed().as_secs_f64();
    drop(tx);
    let mut all = Tally::new();
    let mut lags = Vec::with_capacity(usize::try_from(scheduled).unwrap_or(0));
    while let Some(o) = rx.recv().await {
        let e = all.entry(o.name).or_default();
        e.0.push(o.latency_us);
        if !o.ok {
            e.1 += 1;
        }
        lags.push(o.start_lag_us);
    }
    let secs = started.elapsed().as_secs_f64();
    let errors: usize = all.values().map(|(_, e)| *e).sum();
    print!("{}", report(all, secs, args.rate));
    print!(
        "{}",
        offered(scheduled, offered_secs, concurrency, summarise(lags, 0))
    );
    Ok(if errors == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The line about the offered load: how many requests were scheduled over how long, and how
/// late they left (waiting for one of the `concurrency` connections).
pub fn offered(scheduled: u64, secs: f64, concurrency: usize, lag: Summary) -> String {
    let ms = |us: u64| us as f64 / 1000.0;
    format!(
        "offered: {scheduled} requests scheduled over {secs:.1} s ({:.1} req/s, open loop, at most {concurrency} in flight); \
         send delay behind schedule p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms\n",
        scheduled as f64 / secs.max(0.001),
        ms(lag.p50),
        ms(lag.p99),
        ms(lag.max),
    )
}

/// The printed summary: totals (answers received over the time until the last one), then one
/// line per endpoint and one for all of them (latency from the scheduled send time).
pub fn report(all: Tally, secs: f64, target: f64) -> String {
    let total: usize = all.values().map(|(l, _)| l.len()).sum();
    let errors: usize = all.values().map(|(_, e)| *e).sum();
    let mut out = format!(
        "{total} requests in {secs:.1} s = {:.1} req/s (target {target}), {errors} errors\n",
        total as f64 / secs.max(0.001),
    );
    out.push_str(&format!(
        "{:<22} {:>7} {:>6} {:>9} {:>9} {:>9} {:>9}\n",
        "endpoint", "count", "errors", "p50 ms", "p95 ms", "p99 ms", "max ms"
    ));
    let ms = |us: u64| us as f64 / 1000.0;
    let mut every = Vec::new();
    let mut line = |name: &str, s: Summary| {
        out.push_str(&format!(
            "{name:<22} {:>7} {:>6} {:>9.2} {:>9.2} {:>9.2} {:>9.2}\n",
            s.count,
            s.errors,
            ms(s.p50),
            ms(s.p95),
            ms(s.p99),
            ms(s.max)
        ));
    };
    for (name, (lat, err)) in all {
        every.extend_from_slice(&lat);
        line(name, summarise(lat, err));
    }
    line("all", summarise(every, errors));
    out
}

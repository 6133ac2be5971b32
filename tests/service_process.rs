//! The real `kinerja` binary as a child process: commands acknowledged over HTTP survive a
//! SIGTERM (in-flight requests finish, the writer drains, the process exits cleanly) and a SIGKILL
//! (nothing acknowledged is lost), and the chain still verifies afterwards.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kinerja::store::writer::WriterOptions;
use kinerja::store::{EventStore, sqlite::SqliteStore, verify::verify_chain};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const BIN: &str = env!("CARGO_BIN_EXE_kinerja");

/// One HTTP/1.1 request over a fresh connection; (status, JSON body).
async fn post(port: u16, token: &str, path: &str, body: &Value) -> std::io::Result<(u16, Value)> {
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
    let body = body.to_string();
    let request = format!(
        "POST {path} HTTP/1.1\r\nhost: localhost\r\nauthorization: Bearer {token}\r\n\
         content-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(request.as_bytes()).await?;
    let mut out = Vec::new();
    s.read_to_end(&mut out).await?;
    let text = String::from_utf8_lossy(&out);
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other("no status line"))?;
    let json = text
        .split_once("\r\n\r\n")
        .and_then(|(_, b)| serde_json::from_str(b).ok())
        .unwrap_or(Value::Null);
    Ok((status, json))
}

struct Server {
    child: Child,
    port: u16,
    token: String,
    url: String,
    _dir: tempfile::TempDir,
}

fn start() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/kinerja.db", dir.path().display());
    let key = dir.path().join("ledger.key");
    let issued = Command::new(BIN)
        .args([
            "token",
            "issue",
            "--role",
            "admin",
            "--name",
            "Admin BKPSDM",
        ])
        .env("KINERJA_DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(issued.status.success(), "{issued:?}");
    let token = String::from_utf8(issued.stdout).unwrap().trim().to_string();
    let mut child = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("KINERJA_DATABASE_URL", &url)
        .env("KINERJA_SIGNING_KEY", &key)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    stdout.read_line(&mut line).unwrap();
    // Keep draining: a closed pipe would make the server's next print fail.
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    // "kinerja berjalan di http://127.0.0.1:PORT (basis data: …)"
    let port = line
        .split("http://127.0.0.1:")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no URL in {line:?}"));
    Server {
        child,
        port,
        token,
        url,
        _dir: dir,
    }
}

/// Register units from 8 concurrent clients until the server stops answering; the acknowledged
/// (stream, position) pairs.
async fn hammer(port: u16, token: String, acked: Arc<Mutex<HashMap<String, u64>>>) {
    let mut tasks = Vec::new();
    for client in 0..8 {
        let token = token.clone();
        let acked = acked.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0.. {
                let code = format!("U{client}X{i}");
                let body = json!({ "code": code, "name": format!("Unit {code}"), "kind": "DINAS" });
                match post(port, &token, "/api/v1/units", &body).await {
                    Ok((201, answer)) => {
                        let position = answer["position"].as_u64().unwrap();
                        acked
                            .lock()
                            .unwrap()
                            .insert(format!("unit-{code}"), position);
                    }
                    Ok((503, _)) | Err(_) => return,
                    Ok((status, answer)) => panic!("unexpected {status}: {answer}"),
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
}

async fn wait_for_acks(acked: &Arc<Mutex<HashMap<String, u64>>>, n: usize) {
    for _ in 0..600 {
        if acked.lock().unwrap().len() >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the server acknowledged fewer than {n} commands");
}

async fn assert_all_stored(url: &str, acked: &HashMap<String, u64>) {
    let store = SqliteStore::open(url, WriterOptions::default())
        .await
        .unwrap();
    let all = store.read_all(0, 1_000_000).await.unwrap();
    let by_position: HashMap<u64, &str> = all
        .iter()
        .map(|e| (e.position, e.stream_id.as_str()))
        .collect();
    for (stream, position) in acked {
        assert_eq!(
            by_position.get(position).copied(),
            Some(stream.as_str()),
            "acknowledged event of {stream} at {position} is lost"
        );
    }
    assert!(verify_chain(&store, 1000, |_| ()).await.unwrap().is_ok());
    store.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_finishes_in_flight_commands_and_loses_nothing() {
    let mut server = start();
    let acked = Arc::new(Mutex::new(HashMap::new()));
    let load = tokio::spawn(hammer(server.port, server.token.clone(), acked.clone()));
    wait_for_acks(&acked, 100).await;
    let pid = server.child.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    load.await.unwrap();
    let status = server.child.wait().unwrap();
    assert!(
        status.success(),
        "kinerja serve exited with {status} on SIGTERM"
    );
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= 100);
    assert_all_stored(&server.url, &acked).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_loses_no_acknowledged_command() {
    let mut server = start();
    let acked = Arc::new(Mutex::new(HashMap::new()));
    let load = tokio::spawn(hammer(server.port, server.token.clone(), acked.clone()));
    wait_for_acks(&acked, 100).await;
    server.child.kill().unwrap(); // SIGKILL
    server.child.wait().unwrap();
    load.await.unwrap();
    let acked = acked.lock().unwrap().clone();
    assert_all_stored(&server.url, &acked).await;
}

//! The real `kinerja` binary: `token issue` and `serve` over a temporary SQLite database, and a
//! minimal HTTP/1.1 client for setting up data through the JSON API.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const BIN: &str = env!("CARGO_BIN_EXE_kinerja");

pub struct Server {
    child: Child,
    port: u16,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// An admin token.
    pub admin: String,
    url: String,
    _dir: tempfile::TempDir,
}

impl Server {
    /// Issue an admin token, then start `kinerja serve` on a free port; heads are signed every
    /// second so the ledger pages have one.
    pub fn start() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}/kinerja.db", dir.path().display());
        let admin = issue(&url, &["--role", "admin", "--name", "Admin BKPSDM"]);
        let mut child = Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env("KINERJA_DATABASE_URL", &url)
            .env("KINERJA_SIGNING_KEY", dir.path().join("ledger.key"))
            .env("KINERJA_SIGN_EVERY_SECS", "1")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start kinerja serve");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("first line");
        // Keep draining: a closed pipe would make the server's next print fail.
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        let port = line
            .split("http://127.0.0.1:")
            .nth(1)
            .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no URL in {line:?}"));
        Self {
            child,
            port,
            base: format!("http://127.0.0.1:{port}"),
            admin,
            url,
            _dir: dir,
        }
    }

    /// `kinerja token issue ARGS` against this database; the printed token.
    pub fn token(&self, args: &[&str]) -> String {
        issue(&self.url, args)
    }

    /// POST JSON with a bearer token (none when empty); asserts the status, returns the body.
    pub async fn post(&self, token: &str, path: &str, body: Value, status: u16) -> Value {
        let mut s = tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .expect("connect");
        let body = body.to_string();
        let auth = if token.is_empty() {
            String::new()
        } else {
            format!("authorization: Bearer {token}\r\n")
        };
        let request = format!(
            "POST {path} HTTP/1.1\r\nhost: localhost\r\n{auth}content-type: application/json\r\n\
             content-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        s.write_all(request.as_bytes()).await.expect("write");
        let mut out = Vec::new();
        s.read_to_end(&mut out).await.expect("read");
        let text = String::from_utf8_lossy(&out);
        let got: u16 = text
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let json = text
            .split_once("\r\n\r\n")
            .and_then(|(_, b)| serde_json::from_str(b).ok())
            .unwrap_or(Value::Null);
        assert_eq!(got, status, "POST {path}: {json}");
        json
    }
}

fn issue(url: &str, args: &[&str]) -> String {
    let out = Command::new(BIN)
        .args(["token", "issue"])
        .args(args)
        .env("KINERJA_DATABASE_URL", url)
        .output()
        .expect("kinerja token issue");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .trim()
        .to_string()
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

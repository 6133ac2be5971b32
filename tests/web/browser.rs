//! chromedriver as a child process and headless Chromium sessions driven through it.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

const INSTALL: &str = "apt-get install chromium chromium-driver";

/// The first of `candidates` that exists, else the name found on PATH.
fn find(name: &str, candidates: &[&str]) -> Option<PathBuf> {
    candidates
        .iter()
        .map(PathBuf::from)
        .chain(
            std::env::var_os("PATH")
                .iter()
                .flat_map(std::env::split_paths)
                .map(|d| d.join(name)),
        )
        .find(|p| p.is_file())
}

/// A running chromedriver.
pub struct Driver {
    child: Child,
    url: String,
    chromium: PathBuf,
}

impl Driver {
    /// Start chromedriver on a free port; fails (never skips) when Chromium or its driver is
    /// missing.
    pub fn start() -> Self {
        let chromium = find(
            "chromium",
            &["/usr/lib/chromium/chromium", "/usr/bin/chromium"],
        )
        .unwrap_or_else(|| panic!("Chromium is not installed: {INSTALL}"));
        let driver = find("chromedriver", &["/usr/bin/chromedriver"])
            .unwrap_or_else(|| panic!("chromedriver is not installed: {INSTALL}"));
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(&driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e} ({INSTALL})", driver.display()));
        // Owned from here: dropping it (also on a panic) stops chromedriver.
        let started = Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
            chromium,
        };
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return started;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("chromedriver did not listen on port {port}");
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where screenshots go.
fn shots_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("target"),
        PathBuf::from,
    );
    target.join("web-screenshots")
}

/// Form controls without a label, as a comma-separated list (empty when all are labelled).
const UNLABELLED: &str = "var bad = [];
document.querySelectorAll('input, select, textarea').forEach(function (e) {
  if (e.type === 'hidden') { return; }
  var ok = (e.labels && e.labels.length > 0) || e.getAttribute('aria-label') || e.getAttribute('aria-labelledby');
  if (!ok) { bad.push(e.name || e.id || e.outerHTML.slice(0, 60)); }
});
if (!document.documentElement.lang) { bad.push('<html> without lang'); }
return bad.join(', ');";

/// One browser session (its own profile, so its own cookies).
pub struct Browser {
    client: Client,
}

impl Browser {
    pub async fn open(driver: &Driver) -> Self {
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": driver.chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--window-size=1280,900"],
            },
        });
        let Value::Object(caps) = caps else {
            unreachable!()
        };
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&driver.url)
            .await
            .unwrap_or_else(|e| panic!("cannot start a Chromium session: {e} ({INSTALL})"));
        Self { client }
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("goto");
    }

    /// The path of the current URL.
    pub async fn current_path(&self) -> String {
        self.client
            .current_url()
            .await
            .expect("url")
            .path()
            .to_string()
    }

    /// Run a script; its result as text.
    pub async fn script(&self, js: &str) -> String {
        match self.client.execute(js, Vec::new()).await.expect("script") {
            Value::String(s) => s,
            other => other.to_string(),
        }
    }

    /// Wait (at most 30 s) until `css` matches an element.
    pub async fn wait_for(&self, css: &str) {
        self.client
            .wait()
            .at_most(Duration::from_secs(30))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css}: {e}"));
    }

    /// The text of the first element matching `css` (waiting for it).
    pub async fn text(&self, css: &str) -> String {
        self.wait_for(css).await;
        let e = self.client.find(Locator::Css(css)).await.expect("find");
        e.text().await.expect("text")
    }

    pub async fn click(&self, css: &str) {
        self.wait_for(css).await;
        let e = self.client.find(Locator::Css(css)).await.expect("find");
        e.click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// Click something that loads a new page, and wait (at most 30 s) until it has loaded.
    pub async fn click_and_load(&self, css: &str) {
        self.script("window.__oldPage = true; return ''").await;
        self.click(css).await;
        for _ in 0..300 {
            let state = self
                .script("return window.__oldPage === true ? 'old' : document.readyState")
                .await;
            if state == "complete" {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("clicking {css} loaded no new page");
    }

    pub async fn fill(&self, css: &str, text: &str) {
        self.wait_for(css).await;
        let e = self.client.find(Locator::Css(css)).await.expect("find");
        e.clear().await.expect("clear");
        e.send_keys(text).await.expect("type");
    }

    /// Sign in on the sign-in page with `token`.
    pub async fn sign_in(&self, token: &str) {
        self.fill("#token", token).await;
        self.click_and_load("#masuk").await;
    }

    pub async fn resize(&self, width: u32, height: u32) {
        self.client
            .set_window_size(width, height)
            .await
            .expect("resize");
    }

    /// Check that every form control is labelled, then save a screenshot `name.png`.
    pub async fn shot(&self, name: &str) {
        let unlabelled = self.script(UNLABELLED).await;
        assert!(
            unlabelled.is_empty(),
            "{name}: controls without a label: {unlabelled}"
        );
        let png = self.client.screenshot().await.expect("screenshot");
        let dir = shots_dir();
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
    }

    /// The IKM shown for `unit` on the public page at `url`, reloading until it is shown and
    /// differs from `not` (at most 10 s).
    pub async fn ikm_after(&self, url: &str, unit: &str, not: Option<&str>) -> String {
        let css = format!("#ikm-{unit} .ikm-value");
        let mut seen = String::new();
        for _ in 0..50 {
            self.goto(url).await;
            if let Ok(e) = self.client.find(Locator::Css(&css)).await {
                seen = e.text().await.expect("text");
                if not != Some(seen.as_str()) {
                    return seen;
                }
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!("the public page never showed a new IKM for {unit} (last {seen:?})");
    }

    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}

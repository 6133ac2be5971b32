//! CSV (RFC 4180: comma-separated, CRLF line ends, fields with a comma, quote or line break
//! quoted and quotes doubled) and JSON Lines writing for the exports.

use std::fmt::Write as _;

use serde::Serialize;

/// One CSV field, quoted when needed.
pub fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// A CSV document from a header and rows.
pub fn csv(header: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> String {
    let mut out = String::new();
    let head: Vec<String> = header.iter().map(|h| field(h)).collect();
    let _ = write!(out, "{}\r\n", head.join(","));
    for row in rows {
        let r: Vec<String> = row.iter().map(|f| field(f)).collect();
        let _ = write!(out, "{}\r\n", r.join(","));
    }
    out
}

/// JSON Lines: one compact JSON document per line.
pub fn jsonl<T: Serialize>(items: &[T]) -> String {
    let mut out = String::new();
    for i in items {
        out.push_str(&serde_json::to_string(i).unwrap_or_else(|_| "null".into()));
        out.push('\n');
    }
    out
}

/// An optional value as a CSV field (empty when absent).
pub fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(ToString::to_string).unwrap_or_default()
}

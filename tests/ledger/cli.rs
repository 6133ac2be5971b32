//! The ledger commands end to end, run as the `kinerja` binary on a SQLite file: `keys generate`,
//! `verify` (with and without a key, with a kept head, after tampering), `keys sign-head`, and
//! `proof inclusion|consistency|head|check` on good and corrupted documents.

use std::path::Path;
use std::process::Output;

use chrono::Utc;
use kinerja::ledger;
use kinerja::proofs::{AuditDocument, SignedTreeHead, SigningKey};

use crate::fixture::{Backend, Kind, append_batches};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Run `kinerja` with `args` on the database at `url`, with no ledger key in the environment.
async fn kinerja(url: &str, args: &[&str]) -> Run {
    kinerja_with_env(url, args, &[]).await
}

async fn kinerja_with_env(url: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_kinerja"));
    command
        .args(args)
        .env("KINERJA_DATABASE_URL", url)
        .env_remove("KINERJA_LEDGER_PUBLIC_KEY")
        .env_remove("KINERJA_LEDGER_SIGNING_KEY");
    for (k, v) in env {
        command.env(k, v);
    }
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().await.expect("run kinerja");
    Run {
        code: status.code().expect("exit code"),
        stdout: String::from_utf8(stdout).unwrap(),
        stderr: String::from_utf8(stderr).unwrap(),
    }
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

pub async fn the_commands_end_to_end() {
    let b = Backend::new(Kind::Sqlite).await.unwrap();
    let dir = b.dir.as_ref().unwrap().path().to_path_buf();
    let url = b.url.clone();
    let key_file = dir.join("head-signing.key");
    let pub_file = dir.join("head-signing.key.pub");

    // keys generate: 0600, a .pub beside it, no overwrite without --force.
    let run = kinerja(&url, &["keys", "generate", "--out", path(&key_file)]).await;
    assert_eq!(run.code, 0, "{run}");
    let first_key = SigningKey::from_text(&std::fs::read_to_string(&key_file).unwrap()).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert!(
        run.stdout
            .contains(&format!("key id: {}", first_key.key_id())),
        "{run}"
    );
    assert!(
        run.stdout.contains(&format!(
            "public key: {}",
            first_key.public_key().to_text().trim()
        )),
        "{run}"
    );
    let run = kinerja(&url, &["keys", "generate", "--out", path(&key_file)]).await;
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("already exists"), "{run}");
    assert_eq!(
        SigningKey::from_text(&std::fs::read_to_string(&key_file).unwrap())
            .unwrap()
            .key_id(),
        first_key.key_id()
    );
    let run = kinerja(
        &url,
        &["keys", "generate", "--out", path(&key_file), "--force"],
    )
    .await;
    assert_eq!(run.code, 0, "{run}");
    let key = SigningKey::from_text(&std::fs::read_to_string(&key_file).unwrap()).unwrap();
    assert_ne!(key.key_id(), first_key.key_id());
    assert_eq!(
        std::fs::read_to_string(&pub_file).unwrap(),
        key.public_key().to_text()
    );

    // A log with a few events and signed heads at 10 and 30, made through the library; the
    // auditor keeps the head at 30.
    let s = b.store.as_ref();
    append_batches(s, &[3, 7]).await;
    ledger::sign_head(s, &key, Utc::now()).await.unwrap();
    append_batches(s, &[1, 19]).await;
    let head30 = ledger::sign_head(s, &key, Utc::now()).await.unwrap();
    let head_file = dir.join("head-30.json");
    std::fs::write(&head_file, serde_json::to_string_pretty(&head30).unwrap()).unwrap();

    // verify, with the key from a file, the environment, and as hex.
    let ok_line = format!(
        "OK: 30 events, root {}, 2 signed heads checked",
        hex::encode(head30.root_hash)
    );
    let run = kinerja(&url, &["verify", "--key", path(&pub_file)]).await;
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(run.stdout.lines().next(), Some(ok_line.as_str()), "{run}");
    assert!(!run.stdout.contains("NOT checked"), "{run}");
    let run = kinerja_with_env(
        &url,
        &["verify"],
        &[("KINERJA_LEDGER_PUBLIC_KEY", &key.public_key().to_hex())],
    )
    .await;
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.starts_with(&ok_line), "{run}");
    // Without a key it says so.
    let run = kinerja(&url, &["verify", "--page", "4"]).await;
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.starts_with(&ok_line), "{run}");
    assert!(run.stdout.contains("signatures were NOT checked"), "{run}");
    // With another key, the first head is named.
    let other = SigningKey::from_seed(&[5; 32]).public_key().to_hex();
    let run = kinerja(&url, &["verify", "--key", &other]).await;
    assert_eq!(run.code, 1, "{run}");
    assert!(
        run.stdout
            .starts_with("FAILED at position 10: signed head of size 10"),
        "{run}"
    );
    // A kept head.
    let run = kinerja(
        &url,
        &[
            "verify",
            "--head",
            path(&head_file),
            "--key",
            path(&pub_file),
        ],
    )
    .await;
    assert_eq!(run.code, 0, "{run}");
    assert!(
        run.stdout.starts_with("OK: the signed head of size 30"),
        "{run}"
    );
    let run = kinerja(&url, &["verify", "--head", path(&head_file)]).await;
    assert_eq!(run.code, 2, "{run}");
    assert!(
        run.stderr.contains("--head needs the log's public key"),
        "{run}"
    );
    // Operational errors exit 2.
    let missing = format!("sqlite://{}/nope.db", dir.display());
    let run = kinerja(&missing, &["verify"]).await;
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("no database at"), "{run}");
    assert!(!dir.join("nope.db").exists());
    let run = kinerja(&url, &["verify", "--key", path(&key_file)]).await;
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("holds a secret key"), "{run}");

    // keys sign-head: signs the current head (no new events: the kept one is returned).
    append_batches(s, &[2]).await;
    let run = kinerja(&url, &["keys", "sign-head", "--key", path(&key_file)]).await;
    assert_eq!(run.code, 0, "{run}");
    let head32: SignedTreeHead = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(head32.tree_size, 32);
    assert_eq!(ledger::head_at(s, 32).await.unwrap(), Some(head32.clone()));

    // proof inclusion / consistency / head, then proof check.
    let run = kinerja(
        &url,
        &["proof", "inclusion", "--position", "5", "--size", "30"],
    )
    .await;
    assert_eq!(run.code, 0, "{run}");
    let inclusion: AuditDocument = serde_json::from_str(&run.stdout).unwrap();
    assert!(matches!(&inclusion, AuditDocument::Inclusion { head, .. } if *head == head30));
    let inclusion_file = dir.join("inclusion.json");
    std::fs::write(&inclusion_file, &run.stdout).unwrap();
    let run = kinerja(&url, &["proof", "consistency", "--first", "10"]).await;
    assert_eq!(run.code, 0, "{run}");
    let consistency: AuditDocument = serde_json::from_str(&run.stdout).unwrap();
    assert!(matches!(
        &consistency,
        AuditDocument::Consistency { proof, .. } if proof.first_size == 10 && proof.second_size == 32
    ));
    let consistency_file = dir.join("consistency.json");
    std::fs::write(&consistency_file, &run.stdout).unwrap();
    let run = kinerja(&url, &["proof", "head"]).await;
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(
        serde_json::from_str::<AuditDocument>(&run.stdout).unwrap(),
        AuditDocument::Head {
            head: head32.clone()
        }
    );
    // A size without a kept head gives the bare proof.
    let run = kinerja(
        &url,
        &["proof", "inclusion", "--position", "5", "--size", "31"],
    )
    .await;
    assert_eq!(run.code, 0, "{run}");
    assert!(
        run.stderr.contains("no signed head is kept at size 31"),
        "{run}"
    );
    let bare_file = dir.join("bare.json");
    std::fs::write(&bare_file, &run.stdout).unwrap();

    let check = |file: &Path| {
        let file = path(file).to_string();
        let url = url.clone();
        let public = path(&pub_file).to_string();
        async move { kinerja(&url, &["proof", "check", &file, "--key", &public]).await }
    };
    let run = check(&inclusion_file).await;
    assert_eq!(run.code, 0, "{run}");
    assert!(
        run.stdout.starts_with("OK: event at position 5 (leaf 4"),
        "{run}"
    );
    let run = check(&consistency_file).await;
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.starts_with("OK: the log of 10 events"), "{run}");
    let run = check(&head_file).await;
    assert_eq!(run.code, 0, "{run}");
    assert!(
        run.stdout.starts_with("OK: signed head of size 30"),
        "{run}"
    );
    let run = check(&bare_file).await;
    assert_eq!(run.code, 0, "{run}");
    assert!(
        run.stdout.contains("checked against its own root only"),
        "{run}"
    );
    // proof check needs no database.
    let run = kinerja(
        &missing,
        &[
            "proof",
            "check",
            path(&inclusion_file),
            "--key",
            path(&pub_file),
        ],
    )
    .await;
    assert_eq!(run.code, 0, "{run}");

    // Corrupted documents: a leaf hash, a signature, a root, not JSON; and the wrong key.
    let AuditDocument::Inclusion { proof, head } = inclusion.clone() else {
        unreachable!()
    };
    let corrupt = dir.join("corrupt.json");
    let mut bad = proof.clone();
    bad.leaf_hash[0] ^= 1;
    let doc = AuditDocument::Inclusion {
        proof: bad,
        head: head.clone(),
    };
    std::fs::write(&corrupt, serde_json::to_string(&doc).unwrap()).unwrap();
    let run = check(&corrupt).await;
    assert_eq!(run.code, 1, "{run}");
    assert!(
        run.stdout.starts_with("FAILED: root mismatch at size 30"),
        "{run}"
    );

    let mut bad_head = head.clone();
    bad_head.signature[10] ^= 1;
    let doc = AuditDocument::Inclusion {
        proof: proof.clone(),
        head: bad_head,
    };
    std::fs::write(&corrupt, serde_json::to_string(&doc).unwrap()).unwrap();
    let run = check(&corrupt).await;
    assert_eq!(run.code, 1, "{run}");
    assert_eq!(
        run.stdout.trim(),
        "FAILED: signature does not verify for head of size 30",
        "{run}"
    );

    let mut bad_head = head.clone();
    bad_head.root_hash[31] ^= 1;
    std::fs::write(
        &corrupt,
        serde_json::to_string(&AuditDocument::Head { head: bad_head }).unwrap(),
    )
    .unwrap();
    let run = check(&corrupt).await;
    assert_eq!(run.code, 1, "{run}");
    assert!(
        run.stdout.starts_with("FAILED: signature does not verify"),
        "{run}"
    );

    let text = std::fs::read_to_string(&inclusion_file).unwrap();
    std::fs::write(&corrupt, &text[..text.len() / 2]).unwrap();
    let run = check(&corrupt).await;
    assert_eq!(run.code, 1, "{run}");
    assert!(
        run.stdout.contains("is not a valid audit document"),
        "{run}"
    );

    let run = kinerja(
        &url,
        &["proof", "check", path(&inclusion_file), "--key", &other],
    )
    .await;
    assert_eq!(run.code, 1, "{run}");
    assert!(
        run.stdout
            .starts_with("FAILED: head of size 30 names key id"),
        "{run}"
    );

    // Tampering: edit event 7's data as an administrator. Both verify forms name position 7.
    b.drop_guards().await;
    b.raw_sql(&[
        "update events set data = '{\"n\":7,\"report\":\"diubah\"}' where position = 7".to_string(),
    ])
    .await;
    let run = kinerja(&url, &["verify", "--key", path(&pub_file)]).await;
    assert_eq!(run.code, 1, "{run}");
    assert!(
        run.stdout
            .starts_with("FAILED at position 7: hash chain: position 7 (event "),
        "{run}"
    );
    let run = kinerja(
        &url,
        &[
            "verify",
            "--head",
            path(&head_file),
            "--key",
            path(&pub_file),
        ],
    )
    .await;
    assert_eq!(run.code, 1, "{run}");
    assert!(run.stdout.starts_with("FAILED at position 7: "), "{run}");
    // The proof file the auditor already holds still checks offline: it is about the old log.
    let run = check(&inclusion_file).await;
    assert_eq!(run.code, 0, "{run}");
    b.store.shutdown().await;
}

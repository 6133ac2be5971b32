//! The auditor's ledger over any event store: signed tree heads, inclusion and consistency proofs
//! computed from the stored tree, the head signer that runs beside the service, and the full
//! `kinerja verify` (hash chain, Merkle tree, every kept head) and `verify --head` (a head an
//! auditor kept elsewhere, against the current log).

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::proofs::{
    self, ConsistencyProof, Frontier, Hash, InclusionProof, ProofError, PublicKey, SignedTreeHead,
    SigningKey, leaf_hash,
};
use crate::store::verify::{ChainBreak, ChainReport, verify_chain_with, walk_chain};
use crate::store::{EventStore, Position, StoreError};

/// The one error type of this layer.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Proof(#[from] ProofError),
    /// A size or position beyond the log, or a position of 0.
    #[error("{0}")]
    OutOfRange(String),
}

/// The root of the tree over the first `size` events, from the stored tree.
pub async fn root_at(store: &dyn EventStore, size: u64) -> Result<Hash, LedgerError> {
    let refs = proofs::root_nodes(size);
    let nodes = store.tree_nodes(&refs).await?;
    Ok(proofs::root_at(&nodes, size)?)
}

async fn check_size(store: &dyn EventStore, size: u64) -> Result<(), LedgerError> {
    let head = store.head().await?.position;
    if size > head {
        return Err(LedgerError::OutOfRange(format!(
            "tree size {size} is beyond the log, which holds {head} events"
        )));
    }
    Ok(())
}

/// Sign the current head of the log with `key` at `now`, keep it, and return it.
pub async fn sign_head(
    store: &dyn EventStore,
    key: &SigningKey,
    now: DateTime<Utc>,
) -> Result<SignedTreeHead, LedgerError> {
    let size = store.head().await?.position;
    let root = root_at(store, size).await?;
    let head = key.sign_head(size, root, now);
    store.save_tree_head(&head).await?;
    // The first head at a size is the one kept: return that one.
    Ok(store
        .tree_heads(size, 1)
        .await?
        .into_iter()
        .find(|h| h.tree_size == size)
        .unwrap_or(head))
}

/// The kept head at exactly `size`, if any.
pub async fn head_at(
    store: &dyn EventStore,
    size: u64,
) -> Result<Option<SignedTreeHead>, LedgerError> {
    Ok(store
        .tree_heads(size, 1)
        .await?
        .into_iter()
        .find(|h| h.tree_size == size))
}

/// Proof that the event at `position` is in the log of `tree_size` events.
pub async fn inclusion_proof(
    store: &dyn EventStore,
    position: Position,
    tree_size: u64,
) -> Result<InclusionProof, LedgerError> {
    if position == 0 || position > tree_size {
        return Err(LedgerError::OutOfRange(format!(
            "position {position} is not in a tree of size {tree_size}"
        )));
    }
    check_size(store, tree_size).await?;
    let index = position - 1;
    let mut refs = proofs::inclusion_proof_nodes(index, tree_size)?;
    refs.extend(proofs::root_nodes(tree_size));
    refs.push(proofs::NodeRef::new(0, index));
    let nodes = store.tree_nodes(&refs).await?;
    let audit_path = proofs::inclusion_proof(&nodes, index, tree_size)?;
    let root_hash = proofs::root_at(&nodes, tree_size)?;
    let leaf_hash = *nodes
        .get(&proofs::NodeRef::new(0, index))
        .ok_or_else(|| LedgerError::OutOfRange(format!("no leaf for position {position}")))?;
    Ok(InclusionProof {
        leaf_index: index,
        tree_size,
        leaf_hash,
        audit_path,
        root_hash,
    })
}

/// Proof that the log of `first` events is a prefix of the log of `second` events.
pub async fn consistency_proof(
    store: &dyn EventStore,
    first: u64,
    second: u64,
) -> Result<ConsistencyProof, LedgerError> {
    if first == 0 || first > second {
        return Err(LedgerError::OutOfRange(format!(
            "a consistency proof needs 0 < first ≤ second (got {first} and {second})"
        )));
    }
    check_size(store, second).await?;
    let mut refs = proofs::consistency_proof_nodes(first, second)?;
    refs.extend(proofs::root_nodes(first));
    refs.extend(proofs::root_nodes(second));
    let nodes = store.tree_nodes(&refs).await?;
    Ok(ConsistencyProof {
        first_size: first,
        second_size: second,
        first_root: proofs::root_at(&nodes, first)?,
        second_root: proofs::root_at(&nodes, second)?,
        path: proofs::consistency_proof(&nodes, first, second)?,
    })
}

/// What `verify` checked.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    /// Events whose chain hash was recomputed.
    pub events: u64,
    /// The recomputed root of the whole log.
    #[serde(with = "crate::store::hex_hash")]
    pub root: Hash,
    /// Kept heads whose root and signature were checked.
    pub heads_checked: usize,
}

/// The first thing that does not match, named precisely.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyFailure {
    #[error("hash chain: {0}")]
    Chain(ChainBreak),
    #[error(
        "signed head of size {tree_size}: it says root {signed} but the log's first {tree_size} events give {computed}"
    )]
    HeadRoot {
        tree_size: u64,
        signed: String,
        computed: String,
    },
    #[error("signed head of size {tree_size}: {reason}")]
    HeadSignature { tree_size: u64, reason: String },
    #[error("signed head of size {tree_size} is beyond the log, which holds {log_size} events")]
    HeadBeyondLog { tree_size: u64, log_size: u64 },
    #[error(
        "stored Merkle tree at size {size}: its nodes give root {stored} but the events give {computed}"
    )]
    StoredTree {
        size: u64,
        stored: String,
        computed: String,
    },
}

impl VerifyFailure {
    /// The position (or tree size) at which the failure shows.
    pub fn position(&self) -> u64 {
        match self {
            Self::Chain(c) => c.position(),
            Self::HeadRoot { tree_size, .. }
            | Self::HeadSignature { tree_size, .. }
            | Self::HeadBeyondLog { tree_size, .. } => *tree_size,
            Self::StoredTree { size, .. } => *size,
        }
    }
}

/// Walk the whole log: recompute the chain and the tree, check every kept head (its signature
/// with `key` when given), and check that the stored tree gives the recomputed root.
pub async fn verify_all(
    store: &dyn EventStore,
    key: Option<&PublicKey>,
    page: usize,
    progress: impl FnMut(u64),
) -> Result<Result<VerifyReport, VerifyFailure>, LedgerError> {
    let heads = store.tree_heads(0, usize::MAX).await?;
    if let Some(key) = key {
        for head in &heads {
            if let Err(e) = proofs::verify_head(head, key) {
                return Ok(Err(VerifyFailure::HeadSignature {
                    tree_size: head.tree_size,
                    reason: e.to_string(),
                }));
            }
        }
    }
    let mut frontier = Frontier::new();
    let mut pending = heads.iter().peekable();
    let mut first_bad_head: Option<VerifyFailure> = None;
    let walked = verify_chain_with(store, page, progress, |event| {
        frontier.push(leaf_hash(&event.hash));
        while let Some(head) = pending.next_if(|h| h.tree_size <= frontier.size()) {
            if head.tree_size == 0 {
                continue;
            }
            let computed = frontier.root();
            if head.tree_size == frontier.size()
                && computed != head.root_hash
                && first_bad_head.is_none()
            {
                first_bad_head = Some(VerifyFailure::HeadRoot {
                    tree_size: head.tree_size,
                    signed: hex::encode(head.root_hash),
                    computed: hex::encode(computed),
                });
            }
        }
    })
    .await?;
    let report: ChainReport = match walked {
        Ok(r) => r,
        Err(broken) => return Ok(Err(VerifyFailure::Chain(broken))),
    };
    if let Some(bad) = first_bad_head {
        return Ok(Err(bad));
    }
    if let Some(head) = pending.next()
        && head.tree_size > report.events
    {
        return Ok(Err(VerifyFailure::HeadBeyondLog {
            tree_size: head.tree_size,
            log_size: report.events,
        }));
    }
    let computed = frontier.root();
    let stored = root_at(store, report.events).await;
    match stored {
        Ok(stored) if stored == computed => {}
        Ok(stored) => {
            return Ok(Err(VerifyFailure::StoredTree {
                size: report.events,
                stored: hex::encode(stored),
                computed: hex::encode(computed),
            }));
        }
        Err(e) => {
            return Ok(Err(VerifyFailure::StoredTree {
                size: report.events,
                stored: format!("unreadable ({e})"),
                computed: hex::encode(computed),
            }));
        }
    }
    Ok(Ok(VerifyReport {
        events: report.events,
        root: computed,
        heads_checked: heads.len(),
    }))
}

/// Check a head an auditor kept elsewhere against the current log: its signature under `key`,
/// and that the log's first `tree_size` events, recomputed from the stored rows (not from the
/// stored tree), give its root.
pub async fn verify_kept_head(
    store: &dyn EventStore,
    head: &SignedTreeHead,
    key: &PublicKey,
    page: usize,
    progress: impl FnMut(u64),
) -> Result<Result<(), VerifyFailure>, LedgerError> {
    if let Err(e) = proofs::verify_head(head, key) {
        return Ok(Err(VerifyFailure::HeadSignature {
            tree_size: head.tree_size,
            reason: e.to_string(),
        }));
    }
    let log_size = store.head().await?.position;
    if head.tree_size > log_size {
        return Ok(Err(VerifyFailure::HeadBeyondLog {
            tree_size: head.tree_size,
            log_size,
        }));
    }
    let mut frontier = Frontier::new();
    let walked = walk_chain(store, page, Some(head.tree_size), progress, |e| {
        frontier.push(leaf_hash(&e.hash));
    })
    .await?;
    if let Err(broken) = walked {
        return Ok(Err(VerifyFailure::Chain(broken)));
    }
    let computed = frontier.root();
    if frontier.size() != head.tree_size || computed != head.root_hash {
        return Ok(Err(VerifyFailure::HeadRoot {
            tree_size: head.tree_size,
            signed: hex::encode(head.root_hash),
            computed: hex::encode(computed),
        }));
    }
    Ok(Ok(()))
}

/// When the signer signs: after `every_events` new events, or after `every` if anything is new.
#[derive(Debug, Clone)]
pub struct SignerSettings {
    pub every_events: u64,
    pub every: Duration,
}

impl Default for SignerSettings {
    fn default() -> Self {
        Self {
            every_events: 1000,
            every: Duration::from_secs(60),
        }
    }
}

/// Sign heads in the background until `shutdown` resolves; signs once more on the way out.
pub async fn run_signer(
    store: std::sync::Arc<dyn EventStore>,
    key: SigningKey,
    settings: SignerSettings,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let mut watch = store.watch_head();
    let mut signed = match store.latest_tree_head().await {
        Ok(Some(h)) => h.tree_size,
        _ => 0,
    };
    let mut last_time = tokio::time::Instant::now();
    tokio::pin!(shutdown);
    loop {
        let stop = tokio::select! {
            _ = &mut shutdown => true,
            _ = watch.changed() => false,
            _ = tokio::time::sleep(settings.every) => false,
        };
        let size = match store.head().await {
            Ok(h) => h.position,
            Err(_) => continue,
        };
        let due = size >= signed + settings.every_events.max(1)
            || (size > signed && last_time.elapsed() >= settings.every)
            || (stop && size > signed);
        if due {
            match sign_head(store.as_ref(), &key, Utc::now()).await {
                Ok(head) => {
                    signed = head.tree_size;
                    last_time = tokio::time::Instant::now();
                    tracing::debug!(tree_size = head.tree_size, "signed tree head");
                }
                Err(error) => tracing::warn!(%error, "could not sign the tree head"),
            }
        }
        if stop {
            return;
        }
    }
}

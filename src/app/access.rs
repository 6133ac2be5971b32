//! Access tokens: issuing and revoking them (as events in `access-{id}` streams), and the
//! in-memory registry that authenticates a bearer token by its SHA-256. The registry follows the
//! `access` category, so a token issued by `kinerja token issue` in another process works as soon
//! as it is committed (an unknown token triggers a catch-up read before it is refused).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};

use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{App, AppError, Committed, Meta};
use crate::domain::DomainEvent;
use crate::domain::access::{self, AccessCommand, AccessEvent, Subject};
use crate::store::{EventStore, Position, RecordedEvent, Subscription};

/// A new random token: `knj_` and 32 random bytes, base64url.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!(
        "knj_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// The hex SHA-256 of a token: the only form in which a token is stored.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

impl App {
    /// Issue a token for `subject`; returns the token text (shown once) and where it was recorded.
    pub async fn issue_token(
        &self,
        subject: Subject,
        meta: &Meta,
    ) -> Result<(String, Uuid, Committed), AppError> {
        let token = new_token();
        let token_id = Uuid::now_v7();
        let stream = super::stream(access::stream_id(token_id))?;
        let at = chrono::Utc::now();
        let command = AccessCommand::Issue {
            token_id,
            token_sha256: token_hash(&token),
            subject,
        };
        let committed = self
            .execute::<AccessEvent>(&stream, meta, at, |s| access::decide(s, &command, at))
            .await?;
        Ok((token, token_id, committed))
    }

    /// Revoke a token by id.
    pub async fn revoke_token(
        &self,
        token_id: Uuid,
        reason: String,
        meta: &Meta,
    ) -> Result<Committed, AppError> {
        let stream = super::stream(access::stream_id(token_id))?;
        self.load_existing::<AccessEvent>(&stream, "token").await?;
        let at = chrono::Utc::now();
        let command = AccessCommand::Revoke { reason };
        self.execute::<AccessEvent>(&stream, meta, at, |s| access::decide(s, &command, at))
            .await
    }
}

#[derive(Default)]
struct Tokens {
    by_hash: HashMap<String, (Uuid, Subject)>,
    revoked: HashSet<Uuid>,
    position: Position,
}

/// Tokens by hash, kept current from the `access` category.
#[derive(Default)]
pub struct TokenRegistry {
    inner: RwLock<Tokens>,
}

impl TokenRegistry {
    /// A registry loaded from every `access` event in the store.
    pub async fn load(store: &dyn EventStore) -> Result<Arc<Self>, AppError> {
        let registry = Arc::new(Self::default());
        registry.catch_up(store).await?;
        Ok(registry)
    }

    /// Read the `access` events committed since the last one seen.
    pub async fn catch_up(&self, store: &dyn EventStore) -> Result<(), AppError> {
        loop {
            let after = self.position();
            let page = store.read_category(access::CATEGORY, after, 1000).await?;
            if page.is_empty() {
                return Ok(());
            }
            for e in &page {
                self.apply(e);
            }
        }
    }

    fn position(&self) -> Position {
        self.inner.read().map(|t| t.position).unwrap_or(0)
    }

    /// Apply one recorded `access` event (others are ignored).
    pub fn apply(&self, e: &RecordedEvent) {
        let Ok(mut t) = self.inner.write() else {
            return;
        };
        if e.position <= t.position {
            return;
        }
        t.position = e.position;
        if e.category() != access::CATEGORY {
            return;
        }
        match AccessEvent::from_data(&e.event_type, e.schema_version, &e.data_json()) {
            Ok(AccessEvent::TokenIssued {
                token_id,
                token_sha256,
                subject,
                ..
            }) => {
                t.by_hash.insert(token_sha256, (token_id, subject));
            }
            Ok(AccessEvent::TokenRevoked { token_id, .. }) => {
                t.revoked.insert(token_id);
            }
            Err(error) => {
                tracing::error!(%error, position = e.position, "undecodable access event")
            }
        }
    }

    /// The token's id and subject, if it is issued and not revoked.
    pub fn lookup(&self, token: &str) -> Option<(Uuid, Subject)> {
        let t = self.inner.read().ok()?;
        let (id, subject) = t.by_hash.get(&token_hash(token))?;
        (!t.revoked.contains(id)).then(|| (*id, subject.clone()))
    }

    /// [`Self::lookup`], catching up with the store first when the token is unknown or revoked
    /// (it may have been issued or revoked a moment ago by another process).
    pub async fn authenticate(
        &self,
        store: &dyn EventStore,
        token: &str,
    ) -> Result<Option<(Uuid, Subject)>, AppError> {
        if let Some(found) = self.lookup(token) {
            return Ok(Some(found));
        }
        self.catch_up(store).await?;
        Ok(self.lookup(token))
    }

    /// Follow the `access` category until the task is dropped, so revocations take effect at once.
    pub fn follow(self: &Arc<Self>, store: Arc<dyn EventStore>) -> tokio::task::JoinHandle<()> {
        let registry = self.clone();
        tokio::spawn(async move {
            let mut sub = Subscription::category(store, access::CATEGORY, registry.position());
            loop {
                match sub.next().await {
                    Ok(e) => registry.apply(&e),
                    Err(error) => {
                        tracing::warn!(%error, "token registry subscription failed; retrying");
                        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    }
                }
            }
        })
    }
}

//! Classify SQLite driver errors into the store's one error type.

use crate::store::StoreError;

/// Map a sqlx error from the SQLite driver to a [`StoreError`].
pub fn classify(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Backend(format!(
            "unique constraint violated (a concurrent writer outside this process?): {db}"
        )),
        _ => StoreError::Backend(e.to_string()),
    }
}

//! Classify PostgreSQL driver errors into the store's one error type.

use crate::store::StoreError;

/// Map a sqlx error from the PostgreSQL driver to a [`StoreError`].
pub fn classify(e: sqlx::Error) -> StoreError {
    match &e {
        // 23505: unique_violation. The head lock makes this impossible between our writers; it
        // means something else wrote to the table.
        sqlx::Error::Database(db) if db.code().as_deref() == Some("23505") => StoreError::Backend(
            format!("unique constraint violated (a writer that bypassed the head lock?): {db}"),
        ),
        _ => StoreError::Backend(e.to_string()),
    }
}

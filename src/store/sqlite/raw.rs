//! Reading pages of events straight through SQLite's C API, on a connection borrowed from the
//! pool.
//!
//! sqlx's SQLite driver steps every statement on a worker thread and sends each row, copied into
//! reference-counted values, over a channel to the async side, which then decodes it again. For a
//! replay or a `verify` of a million events that hand-over costs more than SQLite's own work
//! (see BENCHMARKS.md, `replay_1m`). Here the statement is stepped on the calling thread (inside
//! `block_in_place` on a multi-threaded runtime) and each row is copied once, into its
//! [`RecordedEvent`]. The connection stays locked for the whole statement, so the driver never
//! touches it at the same time. This is the only unsafe code in kinerja; it is kept to preparing,
//! binding, stepping and reading columns of one statement, which is finalised on every path.

#![allow(unsafe_code)]

use std::ffi::{CStr, c_int};
use std::ptr::{self, NonNull};

use libsqlite3_sys as ffi;
use sqlx::SqlitePool;

use super::error::classify;
use crate::store::row::{Columns, corrupt};
use crate::store::{RecordedEvent, StoreError};

/// A parameter of the statement, `?1`, `?2`, … in order.
#[derive(Debug, Clone, Copy)]
pub enum Bind<'a> {
    Int(i64),
    Text(&'a str),
}

/// Run `sql` (which selects the event columns in the order of [`crate::store::row::EventRow`])
/// with `binds` and return its rows as events.
pub async fn read_events(
    pool: &SqlitePool,
    sql: &str,
    binds: &[Bind<'_>],
) -> Result<Vec<RecordedEvent>, StoreError> {
    let mut events = Vec::new();
    scan(pool, sql, binds, |row| {
        events.push(row.event()?);
        Ok(())
    })
    .await?;
    Ok(events)
}

/// Run `sql` with `binds` and hand each row to `on_row`, in order, until the end or its first
/// error. The row's borrowed columns are valid only during the call.
pub async fn scan(
    pool: &SqlitePool,
    sql: &str,
    binds: &[Bind<'_>],
    mut on_row: impl FnMut(&Row<'_>) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let mut conn = pool.acquire().await.map_err(classify)?;
    let mut handle = conn.lock_handle().await.map_err(classify)?;
    let db = handle.as_raw_handle();
    let mut run = || {
        // SAFETY: `db` is an open connection that `handle` keeps locked (the driver's worker
        // cannot use it) until this returns; the statement is used on this thread only.
        let statement = unsafe { Statement::prepare(db, sql)? };
        statement.run(binds, &mut on_row)
    };
    match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(run),
        _ => run(),
    }
}

/// The current row of a statement being stepped.
pub struct Row<'s> {
    statement: &'s Statement,
}

/// A prepared statement, finalised when dropped.
struct Statement {
    db: NonNull<ffi::sqlite3>,
    stmt: NonNull<ffi::sqlite3_stmt>,
}

impl Drop for Statement {
    fn drop(&mut self) {
        // SAFETY: `stmt` came from `sqlite3_prepare_v2` and is finalised exactly once, here.
        unsafe {
            ffi::sqlite3_finalize(self.stmt.as_ptr());
        }
    }
}

impl Statement {
    /// # Safety
    /// `db` must be an open connection that nothing else uses while the statement lives.
    unsafe fn prepare(db: NonNull<ffi::sqlite3>, sql: &str) -> Result<Self, StoreError> {
        let len = c_int::try_from(sql.len())
            .map_err(|_| StoreError::Backend("statement too long".into()))?;
        let mut stmt = ptr::null_mut();
        // SAFETY: `sql` is valid for `len` bytes; `stmt` receives the statement or null.
        let rc = unsafe {
            ffi::sqlite3_prepare_v2(
                db.as_ptr(),
                sql.as_ptr().cast(),
                len,
                &mut stmt,
                ptr::null_mut(),
            )
        };
        match NonNull::new(stmt) {
            Some(stmt) if rc == ffi::SQLITE_OK => Ok(Statement { db, stmt }),
            Some(stmt) => {
                // SAFETY: finalise the half-made statement before reporting.
                unsafe { ffi::sqlite3_finalize(stmt.as_ptr()) };
                Err(error(db, rc))
            }
            None => Err(error(db, rc)),
        }
    }

    /// Bind, then step to the end, handing each row to `on_row`.
    fn run(
        &self,
        binds: &[Bind<'_>],
        on_row: &mut impl FnMut(&Row<'_>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        for (i, bind) in binds.iter().enumerate() {
            let index = c_int::try_from(i + 1).unwrap_or(c_int::MAX);
            // SAFETY: the statement is live; SQLITE_TRANSIENT makes SQLite copy the text now.
            let rc = unsafe {
                match *bind {
                    Bind::Int(v) => ffi::sqlite3_bind_int64(self.stmt.as_ptr(), index, v),
                    Bind::Text(s) => ffi::sqlite3_bind_text(
                        self.stmt.as_ptr(),
                        index,
                        s.as_ptr().cast(),
                        c_int::try_from(s.len()).unwrap_or(c_int::MAX),
                        ffi::SQLITE_TRANSIENT(),
                    ),
                }
            };
            if rc != ffi::SQLITE_OK {
                return Err(error(self.db, rc));
            }
        }
        loop {
            // SAFETY: the statement is live and bound; no `Row` of the previous step is alive.
            match unsafe { ffi::sqlite3_step(self.stmt.as_ptr()) } {
                ffi::SQLITE_ROW => on_row(&Row { statement: self })?,
                ffi::SQLITE_DONE => return Ok(()),
                rc => return Err(error(self.db, rc)),
            }
        }
    }
}

impl Row<'_> {
    /// The row as an event (columns in the order of `EventRow`).
    pub fn event(&self) -> Result<RecordedEvent, StoreError> {
        let position = self.int(0);
        let corrupt = |reason: &str| corrupt(u64::try_from(position).unwrap_or(0), reason);
        let text = |col, name: &str| {
            self.text(col)
                .map(str::to_owned)
                .ok_or_else(|| corrupt(&format!("{name} is not text")))
        };
        Columns {
            position,
            event_id: uuid::Uuid::from_slice(self.blob(1))
                .map_err(|_| corrupt("event_id is not 16 bytes"))?,
            stream_id: text(2, "stream_id")?,
            revision: self.int(3),
            event_type: text(4, "event_type")?,
            schema_version: self.int(5),
            data: text(6, "data")?,
            metadata: text(7, "metadata")?,
            recorded_at: self.int(8),
            hash: self.blob(9),
        }
        .into_event()
    }

    /// The column as an integer.
    pub fn int(&self, col: c_int) -> i64 {
        // SAFETY: the statement is on a row; SQLite answers 0 for a column out of range.
        unsafe { ffi::sqlite3_column_int64(self.stmt(), col) }
    }

    fn stmt(&self) -> *mut ffi::sqlite3_stmt {
        self.statement.stmt.as_ptr()
    }

    /// The column's bytes (empty for NULL).
    pub fn blob(&self, col: c_int) -> &[u8] {
        // SAFETY: as for `int`; the pointer is read before the length, as SQLite requires. The
        // bytes stay valid until the statement steps again, which cannot happen while this
        // `Row` (and so the slice borrowed from it) is alive.
        unsafe {
            let p = ffi::sqlite3_column_blob(self.stmt(), col);
            let n = usize::try_from(ffi::sqlite3_column_bytes(self.stmt(), col)).unwrap_or(0);
            if p.is_null() || n == 0 {
                &[]
            } else {
                std::slice::from_raw_parts(p.cast::<u8>(), n)
            }
        }
    }

    /// The column as UTF-8 text; None for NULL or invalid UTF-8.
    pub fn text(&self, col: c_int) -> Option<&str> {
        // SAFETY: as for `blob`.
        let bytes = unsafe {
            let p = ffi::sqlite3_column_text(self.stmt(), col);
            if p.is_null() {
                return None;
            }
            let n = usize::try_from(ffi::sqlite3_column_bytes(self.stmt(), col)).ok()?;
            std::slice::from_raw_parts(p, n)
        };
        std::str::from_utf8(bytes).ok()
    }
}

/// The connection's last error as a [`StoreError`].
fn error(db: NonNull<ffi::sqlite3>, rc: c_int) -> StoreError {
    // SAFETY: `db` is open; the message is a NUL-terminated string owned by SQLite, copied here.
    let message = unsafe {
        let p = ffi::sqlite3_errmsg(db.as_ptr());
        if p.is_null() {
            String::new()
        } else {
            CStr::from_ptr(p).to_string_lossy().into_owned()
        }
    };
    StoreError::Backend(format!("sqlite error {rc}: {message}"))
}

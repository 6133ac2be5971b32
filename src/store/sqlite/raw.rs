//! Statements stepped straight through SQLite's C API, on a connection locked away from sqlx's
//! worker: the store's page reads and the writer's whole batch, and the read models' commits
//! (`crate::projections::db`).
//!
//! sqlx's SQLite driver steps every statement on a worker thread and sends each row, copied into
//! reference-counted values, over a channel to the async side, which then decodes it again. For a
//! replay or a `verify` of a million events that hand-over costs more than SQLite's own work
//! (see BENCHMARKS.md, `replay_1m`), and for the writer, which runs about ten statements per
//! batch, each hand-over is a thread wake-up on the path of every append. Here statements are
//! stepped on the calling thread (inside `block_in_place` on a multi-threaded runtime): rows are
//! copied once, into their [`RecordedEvent`], and parameters are bound directly. The connection
//! stays locked for the whole call ([`with_connection`]), so the driver never touches it at the
//! same time. This is the only unsafe code in kinerja; it is kept to preparing, binding, stepping
//! and reading columns of statements, each finalised on every path.

#![allow(unsafe_code)]

use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::{CStr, CString, c_int};
use std::path::{Path, PathBuf};
use std::ptr::{self, NonNull};
use std::sync::Mutex;

use libsqlite3_sys as ffi;
use sqlx::{SqliteConnection, SqlitePool};

use super::error::classify;
use crate::store::row::{Columns, corrupt};
use crate::store::{RecordedEvent, StoreError};

/// A parameter of the statement, `?1`, `?2`, … in order.
#[derive(Debug, Clone, Copy)]
pub enum Bind<'a> {
    Null,
    Int(i64),
    Text(&'a str),
    Blob(&'a [u8]),
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
    with_connection(&mut conn, |c| c.prepare(sql)?.run(binds, &mut on_row)).await
}

/// Lock `conn` away from sqlx's worker and run `f` on its handle, on this thread (inside
/// `block_in_place` on a multi-threaded runtime, so other tasks move to other workers). The
/// statements `f` prepares cannot outlive the call.
pub async fn with_connection<R>(
    conn: &mut SqliteConnection,
    f: impl FnOnce(&Conn) -> Result<R, StoreError>,
) -> Result<R, StoreError> {
    let mut handle = conn.lock_handle().await.map_err(classify)?;
    let conn = Conn {
        db: handle.as_raw_handle(),
        cache: None,
    };
    blocking(|| f(&conn))
}

/// An open connection that nothing else uses while this value lives (see [`with_connection`]
/// and [`Connection`]).
pub struct Conn {
    db: NonNull<ffi::sqlite3>,
    /// Statements kept prepared between calls, by SQL text (only on a [`Connection`], which
    /// finalises them before it closes).
    cache: Option<RefCell<HashMap<Box<str>, Statement>>>,
}

impl Conn {
    /// Prepare `sql` (one statement) for this connection, or take it from the connection's cache.
    pub fn prepare(&self, sql: &str) -> Result<Prepared<'_>, StoreError> {
        let cached = self
            .cache
            .as_ref()
            .and_then(|c| c.borrow_mut().remove_entry(sql));
        let (key, statement) = match cached {
            Some((key, statement)) => (Some(key), statement),
            // SAFETY: `db` is open and used only on this thread while `self` lives (the locked
            // handle of `with_connection`, or a `Connection` borrowed mutably); the statement
            // borrows `self`, so it cannot outlive it.
            None => (self.cache.as_ref().map(|_| sql.into()), unsafe {
                Statement::prepare(self.db, sql)?
            }),
        };
        Ok(Prepared {
            statement: Some(statement),
            key,
            conn: self,
        })
    }

    /// The rows the last finished insert, update or delete of this connection changed.
    pub fn changes(&self) -> u64 {
        // SAFETY: `db` is open and used only on this thread while `self` lives.
        let n = unsafe { ffi::sqlite3_changes64(self.db.as_ptr()) };
        u64::try_from(n).unwrap_or(0)
    }

    /// Run a statement that returns no rows (or whose rows are not wanted).
    pub fn execute(&self, sql: &str, binds: &[Bind<'_>]) -> Result<(), StoreError> {
        self.prepare(sql)?.run(binds, |_| Ok(()))
    }
}

/// A statement prepared on a [`Conn`], to be run any number of times; back in the connection's
/// cache (if it has one) when dropped.
pub struct Prepared<'c> {
    statement: Option<Statement>,
    key: Option<Box<str>>,
    conn: &'c Conn,
}

impl Drop for Prepared<'_> {
    fn drop(&mut self) {
        if let (Some(cache), Some(key), Some(statement)) =
            (&self.conn.cache, self.key.take(), self.statement.take())
        {
            cache.borrow_mut().insert(key, statement);
        }
    }
}

impl Prepared<'_> {
    /// Bind `binds`, step to the end handing each row to `on_row`, then reset the statement.
    pub fn run(
        &mut self,
        binds: &[Bind<'_>],
        on_row: impl FnMut(&Row<'_>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.run_up_to(binds, usize::MAX, on_row)
    }

    /// As [`Prepared::run`], stopping after `max_rows` rows.
    pub fn run_up_to(
        &mut self,
        binds: &[Bind<'_>],
        max_rows: usize,
        mut on_row: impl FnMut(&Row<'_>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        match &self.statement {
            Some(statement) => statement.run(binds, max_rows, &mut on_row),
            None => Err(StoreError::Backend("statement already released".into())),
        }
    }

    /// The first row's first column as an integer, if there is a row and it is not NULL.
    pub fn query_int(&mut self, binds: &[Bind<'_>]) -> Result<Option<i64>, StoreError> {
        let mut out = None;
        self.run(binds, |row| {
            if out.is_none() && !row.is_null(0) {
                out = Some(row.int(0));
            }
            Ok(())
        })?;
        Ok(out)
    }
}

/// A connection of its own, opened through the C API (not through sqlx), for the one writer:
/// used from one thread at a time (it is `Send`, not `Sync`), with its statements cached.
pub struct Connection {
    conn: Conn,
}

// SAFETY: SQLite is built thread-safe (libsqlite3-sys's bundled build, SQLITE_THREADSAFE=1), so
// a connection and its statements may move between threads as long as only one uses them at a
// time, which `&mut self` in `conn` guarantees.
unsafe impl Send for Connection {}

impl Connection {
    /// Open the database file at `path` (which must exist) for reading and writing, then run
    /// `pragmas` (statements separated by `;`).
    pub fn open(path: &Path, pragmas: &[&str]) -> Result<Self, StoreError> {
        let name = CString::new(path.to_string_lossy().as_bytes())
            .map_err(|_| StoreError::Backend("database path contains a NUL byte".into()))?;
        let mut db = ptr::null_mut();
        // SAFETY: `name` is NUL-terminated; `db` receives a handle (even on most failures, which
        // must then be closed) or null.
        let rc = unsafe {
            ffi::sqlite3_open_v2(
                name.as_ptr(),
                &mut db,
                ffi::SQLITE_OPEN_READWRITE | ffi::SQLITE_OPEN_NOMUTEX,
                ptr::null(),
            )
        };
        let Some(db) = NonNull::new(db) else {
            return Err(StoreError::Backend(format!(
                "sqlite error {rc}: cannot open {}",
                path.display()
            )));
        };
        let connection = Connection {
            conn: Conn {
                db,
                cache: Some(RefCell::new(HashMap::new())),
            },
        };
        if rc != ffi::SQLITE_OK {
            return Err(error(db, rc));
        }
        for pragma in pragmas {
            connection.conn.execute(pragma, &[])?;
        }
        Ok(connection)
    }

    /// The connection, for this caller alone.
    pub fn conn(&mut self) -> &Conn {
        &self.conn
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        if let Some(cache) = &self.conn.cache {
            cache.borrow_mut().clear();
        }
        // SAFETY: every statement of the connection is finalised (the cache is empty and no
        // `Prepared` can outlive the borrow of `conn`); the handle is closed exactly once.
        unsafe {
            ffi::sqlite3_close(self.conn.db.as_ptr());
        }
    }
}

/// Connections of the store's own for reads, opened through the C API and kept with their
/// statements prepared: a read takes one (opening another when all are busy), runs on the
/// calling thread and puts it back. No hand-over to a driver thread, no statement prepared twice.
pub struct Readers {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    /// Connections kept when idle; more may be open while reads overlap.
    keep: usize,
    /// Run on each new connection.
    pragmas: Vec<String>,
}

/// The settings of a reader connection: it waits for a writer's lock like the pool does and can
/// never write.
const READER_PRAGMAS: &[&str] = &["pragma busy_timeout = 30000", "pragma query_only = on"];

impl Readers {
    /// Readers of the database file at `path`, keeping up to `keep` idle connections.
    pub fn new(path: &Path, keep: usize) -> Self {
        Self::with_pragmas(path, keep, Vec::new())
    }

    /// Readers as [`Readers::new`] whose connections each keep up to `cache_kib` KiB of pages in
    /// their own page cache (SQLite's default is 2,000 KiB): pages read again by the next call
    /// come from memory even when the system's page cache has dropped them.
    pub fn with_page_cache(path: &Path, keep: usize, cache_kib: u32) -> Self {
        Self::with_pragmas(
            path,
            keep,
            vec![format!("pragma cache_size = -{cache_kib}")],
        )
    }

    /// Readers whose connections run `extra` after [`READER_PRAGMAS`].
    fn with_pragmas(path: &Path, keep: usize, extra: Vec<String>) -> Self {
        Readers {
            path: path.to_path_buf(),
            idle: Mutex::new(Vec::new()),
            keep,
            pragmas: READER_PRAGMAS
                .iter()
                .map(|p| p.to_string())
                .chain(extra)
                .collect(),
        }
    }

    /// Run `f` on a reader connection, on this thread (inside `block_in_place` on a
    /// multi-threaded runtime). A connection whose call failed is closed, not kept.
    pub fn with<R>(&self, f: impl FnOnce(&Conn) -> Result<R, StoreError>) -> Result<R, StoreError> {
        let idle = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        let mut conn = match idle {
            Some(conn) => conn,
            None => {
                let pragmas: Vec<&str> = self.pragmas.iter().map(String::as_str).collect();
                Connection::open(&self.path, &pragmas)?
            }
        };
        let result = blocking(|| f(conn.conn()));
        if result.is_ok()
            && let Ok(mut idle) = self.idle.lock()
            && idle.len() < self.keep
        {
            idle.push(conn);
        }
        result
    }

    /// Run `sql` (which selects the event columns in the order of
    /// [`crate::store::row::EventRow`]) with `binds` and return its first `limit` rows as
    /// events, in a vector made for `capacity` of them.
    ///
    /// The limit is applied here, by stepping no further, not by a bound `limit ?`: SQLite
    /// plans a statement for the value bound to its LIMIT, so each new binding of it expires
    /// the prepared statement and the next step prepares it again (`sqlite3Reprepare`), which
    /// cost the service about a sixth of its CPU under the demo load (BENCHMARKS.md).
    pub fn read_events(
        &self,
        sql: &str,
        binds: &[Bind<'_>],
        limit: usize,
        capacity: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.with(|c| {
            let mut events = Vec::with_capacity(capacity.min(limit));
            c.prepare(sql)?.run_up_to(binds, limit, |row| {
                events.push(row.event()?);
                Ok(())
            })?;
            Ok(events)
        })
    }
}

/// Run `f` here, inside `block_in_place` on a multi-threaded runtime so that other tasks move
/// to other workers meanwhile.
fn blocking<R>(f: impl FnOnce() -> R) -> R {
    match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(f),
        _ => f(),
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

    /// Bind, then step to the end or through `max_rows` rows, handing each row to `on_row`; the
    /// statement is reset and its parameters cleared on every path, so it can run again and
    /// keeps no borrowed bytes.
    fn run(
        &self,
        binds: &[Bind<'_>],
        max_rows: usize,
        on_row: &mut impl FnMut(&Row<'_>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let result = self.bind_and_step(binds, max_rows, on_row);
        // SAFETY: the statement is live; resetting and clearing it drops every reference to the
        // bound bytes (bound without copying) before `binds` goes out of scope.
        unsafe {
            ffi::sqlite3_reset(self.stmt.as_ptr());
            ffi::sqlite3_clear_bindings(self.stmt.as_ptr());
        }
        result
    }

    fn bind_and_step(
        &self,
        binds: &[Bind<'_>],
        max_rows: usize,
        on_row: &mut impl FnMut(&Row<'_>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        for (i, bind) in binds.iter().enumerate() {
            let index = c_int::try_from(i + 1).unwrap_or(c_int::MAX);
            // SAFETY: the statement is live and reset. Text and blobs are bound without a copy
            // (SQLITE_STATIC): `run` clears the bindings before the borrowed bytes can go away.
            let rc = unsafe {
                match *bind {
                    Bind::Null => ffi::sqlite3_bind_null(self.stmt.as_ptr(), index),
                    Bind::Int(v) => ffi::sqlite3_bind_int64(self.stmt.as_ptr(), index, v),
                    Bind::Text(s) => ffi::sqlite3_bind_text(
                        self.stmt.as_ptr(),
                        index,
                        s.as_ptr().cast(),
                        c_int::try_from(s.len()).unwrap_or(c_int::MAX),
                        ffi::SQLITE_STATIC(),
                    ),
                    Bind::Blob(b) => ffi::sqlite3_bind_blob(
                        self.stmt.as_ptr(),
                        index,
                        b.as_ptr().cast(),
                        c_int::try_from(b.len()).unwrap_or(c_int::MAX),
                        ffi::SQLITE_STATIC(),
                    ),
                }
            };
            if rc != ffi::SQLITE_OK {
                return Err(error(self.db, rc));
            }
        }
        for _ in 0..max_rows {
            // SAFETY: the statement is live and bound; no `Row` of the previous step is alive.
            match unsafe { ffi::sqlite3_step(self.stmt.as_ptr()) } {
                ffi::SQLITE_ROW => on_row(&Row { statement: self })?,
                ffi::SQLITE_DONE => return Ok(()),
                rc => return Err(error(self.db, rc)),
            }
        }
        Ok(())
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

    /// Whether the column is NULL.
    pub fn is_null(&self, col: c_int) -> bool {
        // SAFETY: the statement is on a row; SQLite answers NULL for a column out of range.
        unsafe { ffi::sqlite3_column_type(self.stmt(), col) == ffi::SQLITE_NULL }
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

//! Long pages of `$all` read with `COPY (select …) TO STDOUT (FORMAT binary)` instead of a
//! query: the server sends each row as one copy-data message in PostgreSQL's binary copy format,
//! and this module decodes it straight into [`RecordedEvent`]s, without the per-row and
//! per-column work of decoding query rows (a row object per event, a type check per column).
//! Replays and `kinerja verify` read pages of thousands of events, where that work was most of
//! the client's time.
//!
//! COPY takes no bind parameters, so the statement is `sql/copy_all.sql` with its two integer
//! placeholders (`:after` and `:limit`) replaced by the numbers; nothing else is ever put in.
//!
//! The format (PostgreSQL manual, "COPY", "Binary Format"): an 11-byte signature, a 32-bit flags
//! field, a 32-bit header-extension length and that many bytes; then per row a 16-bit field count
//! and per field a 32-bit length (−1 for NULL) and the field's bytes in the type's binary form
//! (`bigint` 8 bytes big-endian, `uuid` 16 bytes, `text` UTF-8, `bytea` raw); a field count of −1
//! ends the data.

use futures::TryStreamExt;
use sqlx::postgres::{PgPool, PgPoolCopyExt};
use uuid::Uuid;

use super::error::classify;
use crate::store::row::{Columns, PAGE_CAPACITY, corrupt};
use crate::store::{Position, RecordedEvent, StoreError};

/// The binary copy format's signature.
const SIGNATURE: &[u8; 11] = b"PGCOPY\n\xff\r\n\0";

/// The columns of a row, in the order of `sql/copy_all.sql`.
const FIELDS: i16 = 10;

/// The events after `after`, at most `limit`, in position order, read with one COPY into a page
/// made for `expected` of them.
pub async fn read_all(
    pool: &PgPool,
    after: Position,
    limit: usize,
    expected: usize,
) -> Result<Vec<RecordedEvent>, StoreError> {
    let statement = include_str!("sql/copy_all.sql")
        .replace(":after", &after.to_string())
        .replace(":limit", &limit.to_string());
    let mut chunks = pool.copy_out_raw(&statement).await.map_err(classify)?;
    let mut decoder = Decoder::new(expected.min(PAGE_CAPACITY));
    while let Some(chunk) = chunks.try_next().await.map_err(classify)? {
        decoder.feed(&chunk)?;
    }
    decoder.finish()
}

/// Decodes the copy data as it arrives, in chunks that may split a row anywhere.
pub struct Decoder {
    /// Bytes of an incomplete row (or header) carried over to the next chunk.
    pending: Vec<u8>,
    header_read: bool,
    ended: bool,
    events: Vec<RecordedEvent>,
}

/// A truncated or malformed copy stream.
fn malformed(reason: &str) -> StoreError {
    StoreError::Backend(format!("malformed COPY data from PostgreSQL: {reason}"))
}

impl Decoder {
    /// A decoder expecting about `capacity` events.
    pub fn new(capacity: usize) -> Self {
        Decoder {
            pending: Vec::new(),
            header_read: false,
            ended: false,
            events: Vec::with_capacity(capacity),
        }
    }

    /// Decode what `chunk` completes.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<(), StoreError> {
        if self.pending.is_empty() {
            let used = self.decode(chunk)?;
            self.pending.extend_from_slice(&chunk[used..]);
        } else {
            let mut bytes = std::mem::take(&mut self.pending);
            bytes.extend_from_slice(chunk);
            let used = self.decode(&bytes)?;
            bytes.drain(..used);
            self.pending = bytes;
        }
        Ok(())
    }

    /// The events, once the trailer has been read and nothing follows it.
    pub fn finish(self) -> Result<Vec<RecordedEvent>, StoreError> {
        if !self.ended {
            return Err(malformed("the data ends before its trailer"));
        }
        if !self.pending.is_empty() {
            return Err(malformed("bytes after the trailer"));
        }
        Ok(self.events)
    }

    /// Decode the complete parts at the start of `bytes`; how many bytes were used.
    fn decode(&mut self, bytes: &[u8]) -> Result<usize, StoreError> {
        let mut at = 0;
        if !self.header_read {
            match header_len(bytes)? {
                Some(n) => {
                    at = n;
                    self.header_read = true;
                }
                None => return Ok(0),
            }
        }
        while !self.ended {
            let mut cursor = Cursor {
                bytes,
                at,
                complete: true,
            };
            let Some(count) = cursor.i16() else { break };
            if count == -1 {
                self.ended = true;
                at = cursor.at;
                break;
            }
            if count != FIELDS {
                return Err(malformed(&format!("a row of {count} fields, not {FIELDS}")));
            }
            match row(&mut cursor)? {
                Some(event) => {
                    self.events.push(event);
                    at = cursor.at;
                }
                None => break,
            }
        }
        if self.ended && at < bytes.len() {
            return Err(malformed("bytes after the trailer"));
        }
        Ok(at)
    }
}

/// The length of the header at the start of `bytes`, None when it is not all there yet.
fn header_len(bytes: &[u8]) -> Result<Option<usize>, StoreError> {
    if bytes.len() < SIGNATURE.len() + 8 {
        return Ok(None);
    }
    if &bytes[..SIGNATURE.len()] != SIGNATURE {
        return Err(malformed("no binary copy signature"));
    }
    let extension = &bytes[SIGNATURE.len() + 4..SIGNATURE.len() + 8];
    let extension = u32::from_be_bytes(extension.try_into().unwrap_or_default());
    let n = SIGNATURE.len() + 8 + usize::try_from(extension).unwrap_or(usize::MAX);
    Ok((bytes.len() >= n).then_some(n))
}

/// One row's ten fields as an event; None when the row is not complete in the bytes yet.
fn row(c: &mut Cursor<'_>) -> Result<Option<RecordedEvent>, StoreError> {
    let position = c.bigint();
    let event_id = c.field();
    let stream_id = c.field();
    let revision = c.bigint();
    let event_type = c.field();
    let schema_version = c.bigint();
    let data = c.field();
    let metadata = c.field();
    let recorded_at = c.bigint();
    let hash = c.field();
    if !c.complete {
        return Ok(None);
    }
    let (
        Some(position),
        Some(event_id),
        Some(stream_id),
        Some(revision),
        Some(event_type),
        Some(schema_version),
        Some(data),
        Some(metadata),
        Some(recorded_at),
        Some(hash),
    ) = (
        position,
        event_id,
        stream_id,
        revision,
        event_type,
        schema_version,
        data,
        metadata,
        recorded_at,
        hash,
    )
    else {
        return Err(malformed("a NULL or mistyped column"));
    };
    let at = u64::try_from(position).unwrap_or(0);
    let text = |bytes: &[u8], name: &str| {
        std::str::from_utf8(bytes)
            .map(str::to_owned)
            .map_err(|_| corrupt(at, &format!("{name} is not UTF-8")))
    };
    Columns {
        position,
        event_id: Uuid::from_slice(event_id).map_err(|_| corrupt(at, "event_id is not a UUID"))?,
        stream_id: text(stream_id, "stream_id")?,
        revision,
        event_type: text(event_type, "event_type")?,
        schema_version,
        data: text(data, "data")?,
        metadata: text(metadata, "metadata")?,
        recorded_at,
        hash,
    }
    .into_event()
    .map(Some)
}

/// Reads fields from a row; `complete` turns false once the bytes run out (the row continues in
/// the next chunk), after which every read answers None.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
    complete: bool,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if !self.complete || self.bytes.len() - self.at < n {
            self.complete = false;
            return None;
        }
        let taken = &self.bytes[self.at..self.at + n];
        self.at += n;
        Some(taken)
    }

    fn i16(&mut self) -> Option<i16> {
        self.take(2).map(|b| i16::from_be_bytes([b[0], b[1]]))
    }

    /// A field's bytes; None for NULL or when incomplete.
    fn field(&mut self) -> Option<&'a [u8]> {
        let len = self
            .take(4)
            .map(|b| i32::from_be_bytes([b[0], b[1], b[2], b[3]]))?;
        let len = usize::try_from(len).ok()?;
        self.take(len)
    }

    /// A `bigint` field; None for NULL, another length or when incomplete.
    fn bigint(&mut self) -> Option<i64> {
        let bytes = self.field()?;
        Some(i64::from_be_bytes(bytes.try_into().ok()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(out: &mut Vec<u8>, bytes: &[u8]) {
        out.extend_from_slice(&i32::try_from(bytes.len()).unwrap().to_be_bytes());
        out.extend_from_slice(bytes);
    }

    /// The binary copy of `n` rows, as PostgreSQL writes it.
    fn copy_data(n: i64) -> Vec<u8> {
        let mut out = SIGNATURE.to_vec();
        out.extend_from_slice(&0i32.to_be_bytes());
        out.extend_from_slice(&4u32.to_be_bytes());
        out.extend_from_slice(b"ext!");
        for p in 1..=n {
            out.extend_from_slice(&FIELDS.to_be_bytes());
            field(&mut out, &p.to_be_bytes());
            field(
                &mut out,
                Uuid::from_u128(u128::try_from(p).unwrap()).as_bytes(),
            );
            field(&mut out, format!("officer-{p}").as_bytes());
            field(&mut out, &(p - 1).to_be_bytes());
            field(&mut out, b"Tick");
            field(&mut out, &1i64.to_be_bytes());
            field(&mut out, format!("{{\"i\":{p}}}").as_bytes());
            field(&mut out, b"{}");
            field(&mut out, &(1_700_000_000_000_000 + p).to_be_bytes());
            field(&mut out, &[u8::try_from(p).unwrap(); 32]);
        }
        out.extend_from_slice(&(-1i16).to_be_bytes());
        out
    }

    fn decode_in_chunks(bytes: &[u8], size: usize) -> Result<Vec<RecordedEvent>, StoreError> {
        let mut decoder = Decoder::new(0);
        for chunk in bytes.chunks(size) {
            decoder.feed(chunk)?;
        }
        decoder.finish()
    }

    #[test]
    fn rows_split_anywhere_decode_the_same() {
        let bytes = copy_data(5);
        let whole = decode_in_chunks(&bytes, bytes.len()).unwrap();
        assert_eq!(whole.len(), 5);
        assert_eq!(whole[2].position, 3);
        assert_eq!(whole[2].stream_id, "officer-3");
        assert_eq!(whole[2].revision, 2);
        assert_eq!(whole[2].data, "{\"i\":3}");
        assert_eq!(whole[2].hash, [3; 32]);
        assert_eq!(
            whole[2].recorded_at.timestamp_micros(),
            1_700_000_000_000_003
        );
        for size in [1, 2, 3, 7, 19, 64, 100] {
            assert_eq!(
                decode_in_chunks(&bytes, size).unwrap(),
                whole,
                "chunks of {size}"
            );
        }
    }

    #[test]
    fn an_empty_page_is_the_header_and_the_trailer() {
        assert_eq!(decode_in_chunks(&copy_data(0), 3).unwrap(), vec![]);
    }

    #[test]
    fn truncated_or_extended_data_is_refused() {
        let bytes = copy_data(2);
        let cut = decode_in_chunks(&bytes[..bytes.len() - 5], 16);
        assert!(matches!(cut, Err(StoreError::Backend(m)) if m.contains("before its trailer")));
        let mut longer = bytes.clone();
        longer.push(0);
        let extra = decode_in_chunks(&longer, 16);
        assert!(matches!(extra, Err(StoreError::Backend(m)) if m.contains("after the trailer")));
        let mut wrong = bytes;
        wrong[0] = b'X';
        assert!(decode_in_chunks(&wrong, 16).is_err());
    }

    #[test]
    fn a_short_hash_is_a_corrupt_row() {
        let mut bytes = copy_data(1);
        // The hash is the last field before the trailer: shorten its length from 32 to 31.
        let len_at = bytes.len() - 2 - 32 - 4;
        bytes[len_at..len_at + 4].copy_from_slice(&31i32.to_be_bytes());
        bytes.remove(len_at + 4);
        let result = decode_in_chunks(&bytes, 8);
        assert!(
            matches!(result, Err(StoreError::Corrupt { position: 1, .. })),
            "{result:?}"
        );
    }
}

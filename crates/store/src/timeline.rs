//! How a commit's events are stored: their JSON, compressed as a zstd frame against a shared
//! dictionary trained on timelines (ADR 0007). A commit's events are about 1 KB of JSON whose
//! keys, identifiers of items, steps and departments, and Chinese labels recur in every case;
//! against the dictionary a commit takes about a seventh of that, and the rows, their WAL
//! frames and the checkpoints shrink with it.
//!
//! Rows written before the change hold the JSON itself (`[` first, as text on SQLite, as its
//! UTF-8 bytes once PostgreSQL's column became `bytea`); [`decode`] reads both. Every
//! dictionary ever used stays in [`DICTIONARIES`]: a frame names its dictionary by id, so a new
//! dictionary is added beside the old ones, never in place of them.

use std::borrow::Cow;
use std::cell::RefCell;
use std::sync::LazyLock;

use service::ports::StoreError;
use zstd::bulk::{Compressor, Decompressor};
use zstd::dict::{DecoderDictionary, EncoderDictionary};

/// The dictionaries, oldest first; the last one compresses new rows. Made by the
/// `timeline-dict` tool (crates/bench), which says what it was trained on.
const DICTIONARIES: &[&[u8]] = &[include_bytes!("../dict/timeline-1.zdict")];

/// zstd's level: 3, its default. A commit of about 1 KB costs some 21,000 instructions to
/// compress (half matching against the dictionary, half entropy coding): levels 1, −1 and −4
/// counted the same (callgrind) while compressing worse; higher levels cost several times as
/// much for a few per cent (docs/benchmarks.md).
const LEVEL: i32 = 3;

/// A frame says how large its content is; anything larger than this is not a commit of ours.
const MAX_JSON: u64 = 16 * 1024 * 1024;

/// The first four bytes of every zstd frame.
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xB5, 0x2F, 0xFD];

struct Dictionary {
    id: u32,
    decoder: DecoderDictionary<'static>,
}

static CURRENT: LazyLock<EncoderDictionary<'static>> = LazyLock::new(|| {
    let bytes = DICTIONARIES.last().copied().unwrap_or_default();
    EncoderDictionary::copy(bytes, LEVEL)
});

static KNOWN: LazyLock<Vec<Dictionary>> = LazyLock::new(|| {
    DICTIONARIES
        .iter()
        .map(|bytes| Dictionary {
            id: zstd::zstd_safe::get_dict_id_from_dict(bytes).map_or(0, |id| id.get()),
            decoder: DecoderDictionary::copy(bytes),
        })
        .collect()
});

thread_local! {
    /// A compression context per thread (they are not shareable), made on first use.
    static COMPRESSOR: RefCell<Option<Compressor<'static>>> = const { RefCell::new(None) };
    /// A decompression context per thread and dictionary id, made on first use (a context holds
    /// some 100 KB of buffers: not one per row).
    static DECOMPRESSORS: RefCell<Vec<(u32, Decompressor<'static>)>> = const { RefCell::new(Vec::new()) };
}

/// The stored form of a commit's events JSON.
///
/// # Panics
///
/// If zstd cannot allocate a compression context or compress (out of memory).
pub fn encode(json: &[u8]) -> Vec<u8> {
    COMPRESSOR.with(|cell| {
        let mut slot = cell.borrow_mut();
        let compressor = slot.get_or_insert_with(|| {
            let mut c = Compressor::with_prepared_dictionary(&CURRENT)
                .unwrap_or_else(|e| panic!("zstd compression context: {e}"));
            let _ = c.include_checksum(false);
            let _ = c.include_contentsize(true);
            let _ = c.include_dictid(true);
            c
        });
        compressor
            .compress(json)
            .unwrap_or_else(|e| panic!("zstd compression: {e}"))
    })
}

/// A commit's events JSON from its stored form: a zstd frame against one of the
/// [`DICTIONARIES`], or (rows written before them) the JSON itself.
///
/// # Errors
///
/// [`StoreError::Corrupt`] for a frame against an unknown dictionary, a frame that does not
/// decompress, or one that says it holds more than 16 MiB.
pub fn decode(stored: &[u8]) -> Result<Cow<'_, [u8]>, StoreError> {
    if !stored.starts_with(&ZSTD_MAGIC) {
        return Ok(Cow::Borrowed(stored));
    }
    let corrupt = |what: String| StoreError::Corrupt(format!("timeline row: {what}"));
    let id = zstd::zstd_safe::get_dict_id_from_frame(stored).map_or(0, |id| id.get());
    let dictionary = KNOWN
        .iter()
        .find(|d| d.id == id)
        .ok_or_else(|| corrupt(format!("compressed against unknown dictionary {id}")))?;
    let size = match zstd::zstd_safe::get_frame_content_size(stored) {
        Ok(Some(n)) if n <= MAX_JSON => n,
        Ok(Some(n)) => return Err(corrupt(format!("says it holds {n} bytes"))),
        Ok(None) | Err(_) => return Err(corrupt("a frame without its size".into())),
    };
    let capacity = usize::try_from(size).unwrap_or(usize::MAX);
    let json = DECOMPRESSORS.with(|cell| {
        let mut contexts = cell.borrow_mut();
        let at = match contexts.iter().position(|(known, _)| *known == id) {
            Some(at) => at,
            None => {
                let context = Decompressor::with_prepared_dictionary(&dictionary.decoder)
                    .map_err(|e| corrupt(e.to_string()))?;
                contexts.push((id, context));
                contexts.len() - 1
            }
        };
        contexts[at]
            .1
            .decompress(stored, capacity)
            .map_err(|e| corrupt(e.to_string()))
    })?;
    Ok(Cow::Owned(json))
}

/// [`decode`] as text: the JSON of a commit's events.
///
/// # Errors
///
/// As [`decode`], and [`StoreError::Corrupt`] if the JSON is not UTF-8.
pub fn decode_str(stored: &[u8]) -> Result<Cow<'_, str>, StoreError> {
    match decode(stored)? {
        Cow::Borrowed(b) => std::str::from_utf8(b)
            .map(Cow::Borrowed)
            .map_err(|e| StoreError::Corrupt(format!("timeline row: {e}"))),
        Cow::Owned(v) => String::from_utf8(v)
            .map(Cow::Owned)
            .map_err(|e| StoreError::Corrupt(format!("timeline row: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMMIT: &str = r#"[{"seq":8,"at":"2026-11-30T01:00:00.032537728Z","actor":{"kind":"staff","account":"assessor-1","role":"assessor"},"kind":{"type":"task_decided","task":"01a229f7-4280-7016-919c-bd0faa1574bb.1","decision":{"decision":"approve","assessment":{"category":"physical","grade":1,"lower_limb":true}},"on":"2026-11-30"}}]"#;

    #[test]
    fn a_commit_round_trips_smaller() {
        let stored = encode(COMMIT.as_bytes());
        assert!(stored.starts_with(&ZSTD_MAGIC));
        assert!(stored.len() * 2 < COMMIT.len(), "{} bytes", stored.len());
        assert_eq!(decode_str(&stored).unwrap(), COMMIT);
    }

    #[test]
    fn rows_written_as_json_read_as_they_are() {
        assert!(matches!(
            decode(COMMIT.as_bytes()).unwrap(),
            Cow::Borrowed(_)
        ));
        assert_eq!(decode_str(COMMIT.as_bytes()).unwrap(), COMMIT);
    }

    #[test]
    fn every_dictionary_has_its_own_id() {
        let mut ids: Vec<u32> = KNOWN.iter().map(|d| d.id).collect();
        assert!(ids.iter().all(|&id| id >= 32_768), "{ids:?}");
        ids.dedup();
        assert_eq!(ids.len(), DICTIONARIES.len());
    }

    #[test]
    fn a_damaged_or_foreign_frame_is_corrupt_not_a_panic() {
        let mut stored = encode(COMMIT.as_bytes());
        let last = stored.len() - 1;
        stored[last] ^= 0xFF;
        stored.truncate(last - 3);
        assert!(matches!(decode(&stored), Err(StoreError::Corrupt(_))));
        // The thread's context reads the next frame as if nothing had happened.
        assert_eq!(decode_str(&encode(COMMIT.as_bytes())).unwrap(), COMMIT);
        // A frame that names no dictionary of ours (here: none at all).
        let plain = zstd::bulk::compress(COMMIT.as_bytes(), 3).unwrap();
        assert!(matches!(decode(&plain), Err(StoreError::Corrupt(_))));
    }
}

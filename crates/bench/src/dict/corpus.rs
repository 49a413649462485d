//! The samples and the dictionary: every stored commit read back and decoded to its JSON, the
//! ids' random bits made reproducible, four cases of five to train on and the fifth held out to
//! measure what the dictionary saves.

use std::collections::HashMap;

use anyhow::{Context as _, anyhow};
use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};
use sqlx::Row as _;
use store::Db;
use zstd::bulk::Compressor;

/// The dictionary's size.
pub const DICT_SIZE: usize = 16 * 1024;
/// zstd's level, as `store::timeline` compresses.
const LEVEL: i32 = 3;

/// One commit's events, as JSON.
#[derive(Debug, Clone)]
pub struct Sample {
    pub json: Vec<u8>,
    /// Of a case of the benchmark's process.
    pub engine: bool,
    /// Held out of training, to measure on.
    pub held_out: bool,
}

/// A case's place in the order the cases were driven, and whether it is the benchmark's.
#[derive(Debug, Clone, Copy)]
pub struct CaseTag {
    pub order: usize,
    pub engine: bool,
}

/// Every row of `case_events`, decoded, in the order the cases were driven (the ids, and so
/// the database's order, carry random bits), each case's rows in order.
pub async fn read(db: &Db, cases: &HashMap<String, CaseTag>) -> anyhow::Result<Vec<Sample>> {
    let rows = sqlx::query(
        "SELECT case_id, CAST(events AS BLOB) AS events FROM case_events ORDER BY case_id, seq",
    )
    .fetch_all(db.pool())
    .await
    .context("reading case_events")?;
    let mut samples = Vec::with_capacity(rows.len());
    for row in rows {
        // The key holds the id's 16 bytes (ADR 0007, item 2).
        let key: Vec<u8> = row.try_get("case_id")?;
        let case = uuid::Uuid::from_slice(&key)
            .map_err(|e| anyhow!("a timeline row whose case key is not a UUID: {e}"))?
            .to_string();
        let stored: Vec<u8> = row.try_get("events")?;
        let json = store::timeline::decode(&stored)
            .map_err(|e| anyhow!("case {case}: {e}"))?
            .into_owned();
        let tag = cases
            .get(&case)
            .ok_or_else(|| anyhow!("a row of case {case}, which was not driven"))?;
        samples.push((tag.order, tag.engine, json));
    }
    // Stable: each case's rows stay in `seq` order.
    samples.sort_by_key(|(order, _, _)| *order);
    Ok(samples
        .into_iter()
        .map(|(order, engine, json)| Sample {
            json,
            engine,
            held_out: order % 5 == 4,
        })
        .collect())
}

/// Replaces the random bits of every UUID (case, task, person and benefit ids: UUIDv7 from the
/// system's randomness, `service::clock::new_id`) by bits drawn from `seed`, the same id by the
/// same bits everywhere; the millisecond and version they carry stay. The ids stay as
/// incompressible as before, and the samples become a function of the seed.
pub fn reseed_ids(samples: &mut [Sample], seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x7569_6473); // "uids"
    let mut seen: HashMap<[u8; 36], [u8; 36]> = HashMap::new();
    for sample in samples {
        let json = &mut sample.json;
        let mut i = 0;
        while i + 36 <= json.len() {
            let Some(id) = json
                .get(i..i + 36)
                .and_then(|s| <[u8; 36]>::try_from(s).ok())
            else {
                break;
            };
            if !is_uuid(&id) {
                i += 1;
                continue;
            }
            let new = *seen.entry(id).or_insert_with(|| reseeded(&id, &mut rng));
            json[i..i + 36].copy_from_slice(&new);
            i += 36;
        }
    }
}

fn is_uuid(s: &[u8; 36]) -> bool {
    s.iter().enumerate().all(|(k, &c)| match k {
        8 | 13 | 18 | 23 => c == b'-',
        _ => c.is_ascii_digit() || (b'a'..=b'f').contains(&c),
    })
}

/// The id with its bits after the version (and the variant's two) drawn from `rng`.
fn reseeded(id: &[u8; 36], rng: &mut StdRng) -> [u8; 36] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = *id;
    for (k, c) in out.iter_mut().enumerate().skip(15) {
        let nibble = (rng.next_u32() & 0xF) as usize;
        match k {
            18 | 23 => {}
            19 => *c = HEX[8 | (nibble & 3)],
            _ => *c = HEX[nibble],
        }
    }
    out
}

/// Trains the dictionary on the samples not held out.
pub fn train(samples: &[Sample]) -> anyhow::Result<Vec<u8>> {
    let training: Vec<&[u8]> = samples
        .iter()
        .filter(|s| !s.held_out)
        .map(|s| s.json.as_slice())
        .collect();
    zstd::dict::from_samples(&training, DICT_SIZE).context("training the dictionary")
}

/// What compressing some samples came to.
#[derive(Debug, Clone, Copy, Default)]
pub struct Measured {
    pub rows: usize,
    pub json: u64,
    pub compressed: u64,
}

impl Measured {
    pub fn mean_json(&self) -> f64 {
        self.json as f64 / self.rows.max(1) as f64
    }
    pub fn mean_compressed(&self) -> f64 {
        self.compressed as f64 / self.rows.max(1) as f64
    }
    /// JSON bytes per stored byte.
    pub fn ratio(&self) -> f64 {
        self.json as f64 / self.compressed.max(1) as f64
    }
}

/// Compresses each sample as `store::timeline::encode` does (level 3, content size and
/// dictionary id in the frame, no checksum), against `dictionary` or none.
pub fn measure<'a>(
    samples: impl Iterator<Item = &'a Sample>,
    dictionary: Option<&[u8]>,
) -> anyhow::Result<Measured> {
    let mut c = match dictionary {
        Some(d) => Compressor::with_dictionary(LEVEL, d),
        None => Compressor::new(LEVEL),
    }
    .context("a zstd compression context")?;
    c.include_checksum(false)?;
    c.include_contentsize(true)?;
    c.include_dictid(true)?;
    let mut m = Measured::default();
    for s in samples {
        m.rows += 1;
        m.json += s.json.len() as u64;
        m.compressed += c.compress(&s.json)?.len() as u64;
    }
    Ok(m)
}

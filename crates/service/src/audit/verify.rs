//! Verifying the chain: recompute every link from the genesis value, in `seq` order, and compare
//! the database with the heads recorded outside it.

use std::fmt;

use super::{ChainHead, Checkpoint, GENESIS, SealedEntry, chain_hash};
use crate::ports::{AuditStore, StoreError};

/// Entries read per query while verifying.
const PAGE: u32 = 5_000;

/// What is wrong with an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The entry's fields no longer give its stored hash: the entry was changed.
    HashMismatch { stored: String, computed: String },
    /// The entry does not follow the hash before it: the entry before was changed or replaced.
    PrevMismatch { stored: String, expected: String },
    /// The numbering skips: entries before this one were removed (or renumbered).
    Gap { expected: i64 },
}

/// The first entry that does not verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    pub seq: i64,
    pub id: i64,
    pub problem: Problem,
}

/// How the chain compares with the heads recorded outside the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckpointFinding {
    /// No checkpoint file is configured for this store.
    NotConfigured,
    /// The checkpoint file is missing or empty.
    Empty,
    /// Every recorded head is in the chain with the same hash.
    Consistent { checked: usize, last: Checkpoint },
    /// A recorded head's entry is in the chain with another hash, or is missing.
    Rewritten {
        checkpoint: Checkpoint,
        found: Option<String>,
    },
    /// The chain ends before a recorded head: the newest entries were cut off.
    CutOff {
        checkpoint: Checkpoint,
        database_ends_at: i64,
    },
}

/// The result of [`verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// Entries in the chain.
    pub entries: u64,
    pub head: Option<ChainHead>,
    pub first_broken: Option<Broken>,
    /// Entries that do not verify (after the first, each is checked against its stored
    /// predecessor, so one changed entry counts once).
    pub broken: u64,
    pub checkpoints: CheckpointFinding,
}

impl Verification {
    /// No broken entry and nothing contradicting a checkpoint.
    pub fn is_ok(&self) -> bool {
        self.first_broken.is_none()
            && !matches!(
                self.checkpoints,
                CheckpointFinding::Rewritten { .. } | CheckpointFinding::CutOff { .. }
            )
    }
}

/// Seals what is pending, then recomputes the whole chain from [`GENESIS`] in `seq` order and
/// compares it with every head recorded outside the database.
pub async fn verify<A: AuditStore>(store: &A) -> Result<Verification, StoreError> {
    store.seal_audit().await?;
    let checkpoints = store.audit_checkpoints().await?;
    let mut check = ChainCheck::new(checkpoints);
    let mut after = i64::MIN;
    loop {
        let page = store.audit_entries(after, PAGE).await?;
        for e in &page {
            check.feed(e);
        }
        match page.last() {
            Some(last) if page.len() == PAGE as usize => after = last.seq,
            _ => break,
        }
    }
    Ok(check.finish())
}

/// The walk over the chain.
struct ChainCheck {
    prev: String,
    last_seq: i64,
    entries: u64,
    first_broken: Option<Broken>,
    broken: u64,
    /// `None`: not configured. Sorted by seq; `next` is the first not yet compared.
    checkpoints: Option<Vec<Checkpoint>>,
    next: usize,
    rewritten: Option<(Checkpoint, Option<String>)>,
}

impl ChainCheck {
    fn new(checkpoints: Option<Vec<Checkpoint>>) -> Self {
        let checkpoints = checkpoints.map(|mut c| {
            c.sort_by(|a, b| a.seq.cmp(&b.seq).then_with(|| a.hash.cmp(&b.hash)));
            c.dedup_by(|a, b| a.seq == b.seq && a.hash == b.hash);
            c
        });
        Self {
            prev: GENESIS.to_owned(),
            last_seq: 0,
            entries: 0,
            first_broken: None,
            broken: 0,
            checkpoints,
            next: 0,
            rewritten: None,
        }
    }

    fn feed(&mut self, e: &SealedEntry) {
        let expected = self.last_seq + 1;
        let problem = if e.seq != expected {
            Some(Problem::Gap { expected })
        } else if e.prev_hash != self.prev {
            Some(Problem::PrevMismatch {
                stored: e.prev_hash.clone(),
                expected: self.prev.clone(),
            })
        } else {
            let computed = chain_hash(&self.prev, e.seq, &e.entry);
            (computed != e.hash).then(|| Problem::HashMismatch {
                stored: e.hash.clone(),
                computed,
            })
        };
        if let Some(problem) = problem {
            self.broken += 1;
            self.first_broken.get_or_insert(Broken {
                seq: e.seq,
                id: e.id,
                problem,
            });
        }
        self.compare_checkpoints(e);
        // Go on from what is stored, so that one changed entry is reported once.
        self.prev = e.hash.clone();
        self.last_seq = e.seq;
        self.entries += 1;
    }

    fn compare_checkpoints(&mut self, e: &SealedEntry) {
        let Some(checkpoints) = &self.checkpoints else {
            return;
        };
        while let Some(c) = checkpoints.get(self.next) {
            if c.seq > e.seq {
                break;
            }
            let found = (c.seq == e.seq).then(|| e.hash.clone());
            if found.as_deref() != Some(c.hash.as_str()) && self.rewritten.is_none() {
                self.rewritten = Some((c.clone(), found));
            }
            self.next += 1;
        }
    }

    fn finish(self) -> Verification {
        let head = (self.entries > 0).then(|| ChainHead {
            seq: self.last_seq,
            hash: self.prev.clone(),
        });
        let checkpoints = match (self.checkpoints, self.rewritten) {
            (None, _) => CheckpointFinding::NotConfigured,
            (Some(_), Some((checkpoint, found))) => {
                CheckpointFinding::Rewritten { checkpoint, found }
            }
            (Some(c), None) => match (c.get(self.next..).and_then(<[_]>::last), c.last()) {
                (Some(beyond), _) => CheckpointFinding::CutOff {
                    checkpoint: beyond.clone(),
                    database_ends_at: self.last_seq,
                },
                (None, Some(last)) => CheckpointFinding::Consistent {
                    checked: c.len(),
                    last: last.clone(),
                },
                (None, None) => CheckpointFinding::Empty,
            },
        };
        Verification {
            entries: self.entries,
            head,
            first_broken: self.first_broken,
            broken: self.broken,
            checkpoints,
        }
    }
}

/// The report for operators, in Chinese.
impl fmt::Display for Verification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.first_broken {
            None => match &self.head {
                Some(h) => writeln!(
                    f,
                    "审计链完整：共 {} 条，链头序号 {}，哈希 {}。",
                    self.entries, h.seq, h.hash
                )?,
                None => writeln!(f, "审计链为空：尚无审计记录。")?,
            },
            Some(b) => {
                let what = match &b.problem {
                    Problem::HashMismatch { stored, computed } => format!(
                        "内容与哈希不符，该条目被修改过（存储的哈希 {stored}，按内容计算为 {computed}）"
                    ),
                    Problem::PrevMismatch { stored, expected } => format!(
                        "前一哈希不符，前一条目被改写或替换（记录的前一哈希 {stored}，应为 {expected}）"
                    ),
                    Problem::Gap { expected } => format!(
                        "序号不连续，应为 {expected}，实为 {}：其前的条目被删除或改号",
                        b.seq
                    ),
                };
                writeln!(
                    f,
                    "审计链断裂：第一个异常条目为序号 {}（id {}）：{what}。共 {} 条，异常 {} 条。",
                    b.seq, b.id, self.entries, self.broken
                )?;
            }
        }
        match &self.checkpoints {
            CheckpointFinding::NotConfigured => {
                write!(f, "未配置检查点文件：无法发现末尾条目被截掉。")
            }
            CheckpointFinding::Empty => {
                write!(f, "注意：检查点文件不存在或为空，无法发现末尾条目被截掉。")
            }
            CheckpointFinding::Consistent { checked, last } => write!(
                f,
                "与库外检查点一致：核对 {checked} 个检查点，最新为序号 {}（{}）。",
                last.seq, last.at
            ),
            CheckpointFinding::Rewritten { checkpoint, found } => write!(
                f,
                "审计链被改写：检查点（{}）记录序号 {} 的哈希为 {}，数据库中{}。",
                checkpoint.at,
                checkpoint.seq,
                checkpoint.hash,
                found
                    .as_ref()
                    .map_or_else(|| "没有该序号的条目".to_owned(), |h| format!("为 {h}"))
            ),
            CheckpointFinding::CutOff {
                checkpoint,
                database_ends_at,
            } => write!(
                f,
                "最新的审计条目被截掉：检查点（{}）记录序号 {}，哈希 {}；数据库只到序号 {}。",
                checkpoint.at, checkpoint.seq, checkpoint.hash, database_ends_at
            ),
        }
    }
}

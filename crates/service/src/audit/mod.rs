//! The audit log (product.md §11; ADR 0005): every decision, and every read of a person's record
//! or a case — who, what, on what, when and why — in an append-only log whose entries are chained
//! with SM3, so that changing, removing or reordering an entry is caught by
//! `yijianshi audit verify`.
//!
//! Decisions are written in the same transaction as the decision ([`crate::ports::CaseCommit`]'s
//! `audit`); reads go through the [`Auditor`], which writes them in batches at least once a
//! second and never drops one. Entries are appended unsealed; the store's sealer numbers and
//! chains them shortly after ([`crate::ports::AuditStore::seal_audit`]) and records the chain's
//! head outside the database, so that cutting off the newest entries is caught too.

mod auditor;
mod verify;

use chrono::{DateTime, Utc};
use domain::registry::PersonId;
use domain::workflow::{Actor, CaseId, Decision};

pub use auditor::{AuditClosed, Auditor};
pub use verify::{Broken, CheckpointFinding, Problem, Verification, verify};

/// The `prev_hash` of the first entry of the chain.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Domain separation for [`link_hash`]: a different use of SM3 never yields a valid link. Short,
/// so that a link is two SM3 blocks (it is computed under the engine's write lock).
const CHAIN_TAG: &[u8] = b"yjs-audit/v1";

/// One entry of the audit log, as appended. Every field is stored as is and hashed as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    /// Who: `staff:<account>:<role>`, `applicant:<account>` or `system` ([`actor_key`]).
    pub actor: String,
    /// What: `case.submit`, `case.accept`, `task.decide`, `case.read`, `person.read`, …
    pub action: String,
    /// On what: `case:<id>`, `person:<id>` — record ids only, never names or ID numbers.
    pub subject: String,
    /// Why, as given by the person acting (a refusal's reason, a read's purpose); may be empty.
    pub reason: String,
    /// A small JSON object without personal data (a task id, a decision's kind); `{}` if none.
    pub detail: String,
}

/// An entry in the chain, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedEntry {
    /// The store's append id (not hashed: it only names the row).
    pub id: i64,
    /// Position in the chain, from 1 without gaps.
    pub seq: i64,
    pub prev_hash: String,
    pub hash: String,
    pub entry: AuditEntry,
}

/// The newest entry of the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainHead {
    pub seq: i64,
    pub hash: String,
}

/// A head recorded outside the database (one line of the checkpoint file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub seq: i64,
    pub hash: String,
    /// When it was recorded, as written (RFC 3339).
    pub at: String,
}

/// The actor as recorded: `staff:<account>:<role>`, `applicant:<account>` or `system`.
pub fn actor_key(actor: &Actor) -> String {
    match actor {
        Actor::Staff { account, role } => ["staff:", account, ":", role].concat(),
        Actor::Applicant { account } => ["applicant:", account].concat(),
        Actor::System => "system".to_owned(),
    }
}

/// The subject naming a case.
pub fn case_subject(id: &CaseId) -> String {
    ["case:", &id.0].concat()
}

/// The subject naming a stored material file.
pub fn file_subject(id: &str) -> String {
    format!("file:{id}")
}

/// The subject naming a person's record.
pub fn person_subject(id: &PersonId) -> String {
    format!("person:{}", id.0)
}

impl AuditEntry {
    /// A change to a case by `actor` (`case.submit`, `case.accept`, `case.refuse`, …).
    pub fn case_change(
        actor: &Actor,
        action: &str,
        case: &CaseId,
        reason: &str,
        detail: serde_json::Value,
        at: DateTime<Utc>,
    ) -> Self {
        Self {
            at,
            actor: actor_key(actor),
            action: action.to_owned(),
            subject: case_subject(case),
            reason: reason.to_owned(),
            detail: detail.to_string(),
        }
    }

    /// A reviewer's decision on a task: `task.decide`, the task and the decision's kind in the
    /// detail, its reason (or an approval's note) as the reason. An assessment's category and
    /// grade (health data) are not recorded here; the case's timeline holds them.
    pub fn decision(
        actor: &Actor,
        case: &CaseId,
        task: &str,
        decision: &Decision,
        at: DateTime<Utc>,
    ) -> Self {
        let (kind, reason) = match decision {
            Decision::Approve { note, .. } => ("approve", note.as_deref().unwrap_or("")),
            Decision::Reject { reason } => ("reject", reason.as_str()),
            Decision::Return { reason, .. } => ("return", reason.as_str()),
        };
        // The same text as `json!({ "task": …, "decision": … })` (keys in order), without
        // building a map for it: every decision writes one.
        #[derive(serde::Serialize)]
        struct Detail<'a> {
            decision: &'a str,
            task: &'a str,
        }
        Self {
            at,
            actor: actor_key(actor),
            action: "task.decide".to_owned(),
            subject: case_subject(case),
            reason: reason.to_owned(),
            detail: serde_json::to_string(&Detail {
                decision: kind,
                task,
            })
            .unwrap_or_else(|_| unreachable!("two strings always serialize")),
        }
    }

    /// A read of `subject` (`case:<id>` → `case.read`, `person:<id>` → `person.read`) and why.
    pub fn read(actor: &Actor, subject: &str, why: &str, at: DateTime<Utc>) -> Self {
        let kind = subject.split_once(':').map_or("record", |(k, _)| k);
        Self {
            at,
            actor: actor_key(actor),
            action: format!("{kind}.read"),
            subject: subject.to_owned(),
            reason: why.to_owned(),
            detail: "{}".to_owned(),
        }
    }

    /// The canonical bytes of the entry: the instant as 8 big-endian bytes (UTC microseconds),
    /// then actor, action, subject, reason and detail, each as a 4-byte big-endian length and
    /// its UTF-8 bytes. A stored format: it never changes (a new one gets a new chain tag).
    pub fn canonical(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(
            8 + 20
                + self.actor.len()
                + self.action.len()
                + self.subject.len()
                + self.reason.len()
                + self.detail.len(),
        );
        out.extend_from_slice(&self.at.timestamp_micros().to_be_bytes());
        for field in [
            &self.actor,
            &self.action,
            &self.subject,
            &self.reason,
            &self.detail,
        ] {
            put_field(&mut out, field.as_bytes());
        }
        out
    }
}

fn put_field(out: &mut Vec<u8>, bytes: &[u8]) {
    // Stored fields are far below 4 GiB; a longer one would saturate, still length-delimited by
    // the hash of everything that follows being different.
    let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes);
}

/// SM3 of [`AuditEntry::canonical`]: computed once, by whoever holds the entry (a request's
/// own task, in parallel), so that linking it into the chain ([`link_hash`]) costs the sealer
/// two SM3 blocks whatever the entry's size.
pub fn entry_digest(entry: &AuditEntry) -> [u8; 32] {
    gm_crypto::sm3(&entry.canonical())
}

/// The hash of the entry at `seq` following `prev_hash` (hex, as stored; [`GENESIS`] for the
/// first), given the entry's [`entry_digest`]: SM3 over the chain tag, the previous hash's hex
/// text, `seq` (8 bytes big-endian) and the digest, as 64 lower-case hex digits. The tag is a
/// fixed prefix and seq and digest a fixed-width suffix, so the previous hash needs no length.
pub fn link_hash(prev_hash: &str, seq: i64, digest: &[u8; 32]) -> String {
    let mut hasher = gm_crypto::Sm3Hasher::new();
    hasher.update(CHAIN_TAG);
    hasher.update(prev_hash.as_bytes());
    hasher.update(&seq.to_be_bytes());
    hasher.update(digest);
    gm_crypto::to_hex(&hasher.finalize())
}

/// The hash of `entry` at `seq` following `prev_hash`: [`link_hash`] of its [`entry_digest`].
pub fn chain_hash(prev_hash: &str, seq: i64, entry: &AuditEntry) -> String {
    link_hash(prev_hash, seq, &entry_digest(entry))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(actor: &str, action: &str) -> AuditEntry {
        AuditEntry {
            at: DateTime::from_timestamp_micros(1_796_000_000_000_000).unwrap_or_default(),
            actor: actor.to_owned(),
            action: action.to_owned(),
            subject: "case:c-1".to_owned(),
            reason: String::new(),
            detail: "{}".to_owned(),
        }
    }

    #[test]
    fn a_decision_entry_reads_as_it_did_when_built_from_a_json_map() {
        let actor = Actor::Staff {
            account: "canlian_reviewer-1".to_owned(),
            role: "canlian_reviewer".to_owned(),
        };
        let case = CaseId("c-1".to_owned());
        let at = DateTime::from_timestamp_micros(1_796_000_000_000_000).unwrap_or_default();
        let reject = Decision::Reject {
            reason: "材料不全\"引号\"".to_owned(),
        };
        let e = AuditEntry::decision(&actor, &case, "c-1.2", &reject, at);
        let old = serde_json::json!({ "task": "c-1.2", "decision": "reject" }).to_string();
        assert_eq!(e.detail, old);
        assert_eq!(e.actor, "staff:canlian_reviewer-1:canlian_reviewer");
        assert_eq!(e.subject, "case:c-1");
        assert_eq!(e.reason, "材料不全\"引号\"");
        let applicant = Actor::Applicant {
            account: "citizen:ab".to_owned(),
        };
        assert_eq!(actor_key(&applicant), "applicant:citizen:ab");
        assert_eq!(actor_key(&Actor::System), "system");
    }

    #[test]
    fn field_boundaries_are_part_of_the_encoding() {
        assert_ne!(entry("ab", "c").canonical(), entry("a", "bc").canonical());
        assert_ne!(entry("", "abc").canonical(), entry("abc", "").canonical());
        let mut a = entry("x", "y");
        a.reason = "r".into();
        let mut b = entry("x", "y");
        b.detail = "r".into();
        assert_ne!(
            a.canonical(),
            b.canonical(),
            "the same text in another field"
        );
    }

    #[test]
    fn different_entries_never_encode_equal() {
        let base = entry("staff:u1:reviewer", "task.decide");
        let mut variants = vec![base.clone()];
        let mut e = base.clone();
        e.at += chrono::Duration::microseconds(1);
        variants.push(e);
        for (i, text) in ["a", "b", "c", "d", "e"].iter().enumerate() {
            let mut e = base.clone();
            match i {
                0 => e.actor.push_str(text),
                1 => e.action.push_str(text),
                2 => e.subject.push_str(text),
                3 => e.reason.push_str(text),
                _ => e.detail.push_str(text),
            }
            variants.push(e);
        }
        for (i, a) in variants.iter().enumerate() {
            for (j, b) in variants.iter().enumerate() {
                assert_eq!(i == j, a.canonical() == b.canonical(), "{i} vs {j}");
                assert_eq!(
                    i == j,
                    chain_hash(GENESIS, 1, a) == chain_hash(GENESIS, 1, b),
                    "{i} vs {j}"
                );
            }
        }
    }

    #[test]
    fn the_hash_commits_to_the_previous_hash_and_the_position() {
        let e = entry("system", "case.read");
        let h1 = chain_hash(GENESIS, 1, &e);
        assert_ne!(h1, chain_hash(GENESIS, 2, &e));
        assert_ne!(h1, chain_hash(&h1, 1, &e));
        assert_eq!(h1.len(), 64);
        assert!(
            h1.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
    }

    #[test]
    fn the_encoding_is_stable() {
        // A stored format: if this changes, every existing chain stops verifying. The vector was
        // computed independently (Python's hashlib SM3 over the layout documented above).
        let e = entry("staff:u1:reviewer", "task.decide");
        let bytes = e.canonical();
        assert_eq!(&bytes[..8], &1_796_000_000_000_000_i64.to_be_bytes());
        assert_eq!(&bytes[8..12], &17u32.to_be_bytes());
        assert_eq!(&bytes[12..29], b"staff:u1:reviewer");
        assert_eq!(
            chain_hash(GENESIS, 1, &e),
            "2fec1ead2211d5b4770dcd7b74de5f8d37ba4ca78d2e12cd770aee18c2446168",
            "the chain hash of a fixed entry"
        );
    }

    #[test]
    fn actors_and_reads_are_recorded_by_id() {
        let staff = Actor::Staff {
            account: "u7".into(),
            role: "reviewer".into(),
        };
        assert_eq!(actor_key(&staff), "staff:u7:reviewer");
        assert_eq!(
            actor_key(&Actor::Applicant {
                account: "a1".into()
            }),
            "applicant:a1"
        );
        assert_eq!(actor_key(&Actor::System), "system");
        let at = DateTime::from_timestamp_micros(0).unwrap_or_default();
        let read = AuditEntry::read(&staff, "person:p-9", "核对低保", at);
        assert_eq!(read.action, "person.read");
        assert_eq!(read.subject, "person:p-9");
        let d = AuditEntry::decision(
            &staff,
            &CaseId("c-1".into()),
            "c-1.3",
            &Decision::Reject {
                reason: "材料不全".into(),
            },
            at,
        );
        assert_eq!(d.action, "task.decide");
        assert_eq!(d.reason, "材料不全");
        assert_eq!(d.detail, r#"{"decision":"reject","task":"c-1.3"}"#);
    }
}

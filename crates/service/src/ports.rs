//! The ports the use cases need. The store crate serves them on SQLite and PostgreSQL; the
//! contract suite (crates/store/tests) proves both behave the same.

use std::future::Future;

use chrono::{DateTime, NaiveDate, Utc};
use domain::registry::{Benefit, Certificate, Person, PersonId, Record};
use domain::rules::Fact;
use domain::time::YearMonth;
use domain::workflow::{CaseId, CaseNumber, Event};

use crate::audit::{AuditEntry, ChainHead, Checkpoint, SealedEntry};

/// A storage failure. `Conflict` means someone else changed the case first: reload and retry.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the case was changed concurrently")]
    Conflict,
    #[error("the idempotency key was used concurrently")]
    DuplicateKey,
    #[error("stored data could not be read: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(String),
    #[error("the store is shutting down")]
    Closed,
}

/// The case as listed and searched (a projection of its timeline).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseRow {
    pub id: CaseId,
    /// The handling unit (county or zone) whose daily sequence numbers the case.
    pub unit: String,
    pub township: Option<String>,
    pub region_path: String,
    pub applicant: PersonId,
    pub channel: String,
    pub status: String,
    pub catalog_version: String,
    /// The Asia/Shanghai date of submission: the date in the case number.
    pub submitted_on: NaiveDate,
    pub submitted_at: DateTime<Utc>,
    /// When the case entered its status.
    pub status_at: DateTime<Utc>,
    /// Item codes, comma separated.
    pub items: String,
}

/// A task as listed in inboxes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskRow {
    pub id: String,
    pub case_id: CaseId,
    pub item: String,
    pub step: String,
    pub step_name: String,
    pub department: String,
    pub level: String,
    pub region: String,
    pub region_path: String,
    pub status: String,
    /// The due date while the task runs; `None` while paused or done.
    pub due_on: Option<NaiveDate>,
    pub opened_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
}

/// A change to the registry made in the same transaction as a case's events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistryWrite {
    /// Adds a person who was not yet in the registry (a first-time applicant).
    PersonAdded(Box<Person>),
    CertificateSet {
        person: PersonId,
        certificate: Box<Certificate>,
    },
    BenefitAdded {
        person: PersonId,
        benefit: Benefit,
    },
    BenefitStopped {
        id: String,
        last_month: YearMonth,
        reason: String,
    },
    BenefitMoved {
        id: String,
        to_unit: String,
    },
    FlagSet {
        person: PersonId,
        fact: Fact,
    },
}

/// Everything one submission or decision changes, written in one transaction, durable when
/// [`CaseStore::commit`] returns.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseCommit {
    pub case_id: CaseId,
    /// The case's projection row, when it is new or its status changed (otherwise the row
    /// stays as it is: most steps change only items and tasks).
    pub case: Option<CaseRow>,
    /// The case's version before these events (0 for a new case).
    pub expected_version: u64,
    pub events: Vec<Event>,
    /// Tasks changed or opened by these events: first those that existed before, then the
    /// [`opened_tasks`](Self::opened_tasks) these events opened.
    pub tasks: Vec<TaskRow>,
    /// How many of `tasks`, at its end, are new: a store may insert those and update the rest
    /// in place.
    pub opened_tasks: usize,
    /// A new version of the sealed application form, if the answers changed.
    pub form: Option<SealedForm>,
    pub registry: Vec<RegistryWrite>,
    /// For a new case: allocate its number in this transaction.
    pub allocate_number: bool,
    /// For a submission with an `Idempotency-Key`: recorded in the same transaction, so two
    /// retries racing each other cannot both create a case.
    pub idempotency: Option<IdempotencyRecord>,
    /// The audit entries of this submission or decision (who did it and why), appended in the
    /// same transaction: the decision exists only with its audit entry.
    pub audit: Vec<AuditEntry>,
}

/// A submission's idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRecord {
    /// Whose key: `staff:<account>` or `citizen:<id index>`.
    pub caller: String,
    pub key: String,
    /// SM3 of the request, to tell a retry from a different request under the same key.
    pub body_hash: String,
    pub created_at: DateTime<Utc>,
}

/// The application form's answers, sealed by the vault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedForm {
    pub version: u32,
    pub sealed: Vec<u8>,
}

/// What a commit produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Committed {
    /// The number allocated to a new case.
    pub number: Option<CaseNumber>,
}

/// A case as stored: its number and its whole timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredCase {
    pub number: Option<CaseNumber>,
    pub events: Vec<Event>,
}

/// Cases: their timelines, projections, tasks and forms.
pub trait CaseStore: Send + Sync {
    /// Writes a commit atomically. Fails with [`StoreError::Conflict`] when the case's timeline
    /// has moved past `expected_version`.
    fn commit(
        &self,
        commit: CaseCommit,
    ) -> impl Future<Output = Result<Committed, StoreError>> + Send;

    fn load_case(
        &self,
        id: &CaseId,
    ) -> impl Future<Output = Result<Option<StoredCase>, StoreError>> + Send;

    fn case_id_by_number(
        &self,
        number: &CaseNumber,
    ) -> impl Future<Output = Result<Option<CaseId>, StoreError>> + Send;

    /// The newest sealed form of a case.
    fn load_form(
        &self,
        id: &CaseId,
    ) -> impl Future<Output = Result<Option<SealedForm>, StoreError>> + Send;

    /// The task rows of a case, as stored.
    fn case_tasks(
        &self,
        id: &CaseId,
    ) -> impl Future<Output = Result<Vec<TaskRow>, StoreError>> + Send;

    /// A stored idempotency key: (body hash, case id, created at).
    fn idempotency(
        &self,
        caller: &str,
        key: &str,
    ) -> impl Future<Output = Result<Option<(String, CaseId, DateTime<Utc>)>, StoreError>> + Send;

    /// Removes an expired idempotency key.
    fn forget_idempotency(
        &self,
        caller: &str,
        key: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// How many cases are in each status.
    fn count_cases_by_status(
        &self,
    ) -> impl Future<Output = Result<Vec<(String, i64)>, StoreError>> + Send;
}

/// The registry (残疾人基础信息库).
pub trait RegistryStore: Send + Sync {
    /// A person by the blind index of their ID number, with certificate and benefits.
    fn find_by_id_index(
        &self,
        index: &str,
    ) -> impl Future<Output = Result<Option<Record>, StoreError>> + Send;

    fn load_record(
        &self,
        person: &PersonId,
    ) -> impl Future<Output = Result<Option<Record>, StoreError>> + Send;

    /// Adds many persons with their certificates and benefits (demo seeding, imports).
    fn insert_records(
        &self,
        records: &[Record],
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    fn count_persons(&self) -> impl Future<Output = Result<i64, StoreError>> + Send;
}

/// Catalog versions, kept so that a case is always judged under the catalog it was accepted under.
pub trait CatalogStore: Send + Sync {
    /// Records a catalog version's files (idempotent).
    fn save_catalog_version(
        &self,
        version: &str,
        files_json: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    fn load_catalog_version(
        &self,
        version: &str,
    ) -> impl Future<Output = Result<Option<String>, StoreError>> + Send;
}

/// What is known of a stored file without opening it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileMeta {
    /// The keyed content hash ([`crate::Vault::content_id`]): equal bytes, equal id.
    pub id: String,
    /// The media type sniffed from the content (`application/pdf`, `image/jpeg`, `image/png`).
    pub media_type: String,
    /// The size of the content in bytes (before sealing).
    pub size: u64,
    pub created_at: DateTime<Utc>,
    /// Who uploaded it first: an account id (`applicant:…`, `staff:…`) or `system`; never a name.
    pub created_by: String,
}

/// A file with its content sealed by the vault (bound to table `files`, column `content`, row id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedFile {
    pub meta: FileMeta,
    pub sealed: Vec<u8>,
}

/// A file given as a material (材料) of a case, for one item or for the whole application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaterialRow {
    pub case_id: CaseId,
    /// A material code of the case's catalog (`materials.toml`).
    pub material: String,
    pub file_id: String,
    /// The item it was given for; `None` for the whole application.
    pub item: Option<String>,
    /// An account id or `system`, as [`FileMeta::created_by`].
    pub added_by: String,
    pub added_at: DateTime<Utc>,
}

/// Uploaded files (stored once by content) and the materials of cases that refer to them.
pub trait FileStore: Send + Sync {
    /// Stores a file unless a file with the same id is already stored (then nothing changes).
    /// Returns whether this call stored it.
    fn put_file(&self, file: SealedFile) -> impl Future<Output = Result<bool, StoreError>> + Send;

    fn file_meta(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<Option<FileMeta>, StoreError>> + Send;

    fn get_file(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<Option<SealedFile>, StoreError>> + Send;

    /// Records a material of a case. Attaching the same file as the same material of the same
    /// case again changes nothing (the first row, with its item, stays). Returns whether this
    /// call recorded it.
    fn attach(&self, row: MaterialRow) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// A case's materials with their files' metadata, in the order they were added.
    fn list_for_case(
        &self,
        case: &CaseId,
    ) -> impl Future<Output = Result<Vec<(MaterialRow, FileMeta)>, StoreError>> + Send;
}

/// The audit log (ADR 0005): appended unsealed by many writers at once; chained with SM3 by a
/// sealer, one at a time across every instance, shortly after.
pub trait AuditStore: Send + Sync {
    /// Appends entries, unsealed, in one transaction; durable when it returns.
    fn append_audit(
        &self,
        entries: &[AuditEntry],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Seals every entry appended before the call into the chain, records the head outside the
    /// database when it advanced, and returns the head.
    fn seal_audit(&self) -> impl Future<Output = Result<Option<ChainHead>, StoreError>> + Send;

    /// The newest sealed entry.
    fn audit_head(&self) -> impl Future<Output = Result<Option<ChainHead>, StoreError>> + Send;

    /// Sealed entries with `seq > after`, in `seq` order, at most `limit`.
    fn audit_entries(
        &self,
        after: i64,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<SealedEntry>, StoreError>> + Send;

    /// Every head recorded outside the database, as written; `None` when this store has no
    /// checkpoint file.
    fn audit_checkpoints(
        &self,
    ) -> impl Future<Output = Result<Option<Vec<Checkpoint>>, StoreError>> + Send;
}

/// What the group-commit writer has done since start: the figures that tell whether it is the
/// bottleneck (busy nearly all the time) and how well commits are grouped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriterStats {
    /// Transactions written (each holds one or more commits).
    pub batches: u64,
    /// Case commits acknowledged.
    pub commits: u64,
    /// Time spent writing batches, from `BEGIN` to the end of `COMMIT`.
    pub busy: std::time::Duration,
    /// Of which in `COMMIT`, where the log is written and synced.
    pub durable: std::time::Duration,
}

/// Liveness of the storage itself.
pub trait Health: Send + Sync {
    /// Is the database reachable?
    fn ping(&self) -> impl Future<Output = bool> + Send;
    /// A short name of the engine for operators ("SQLite", "PostgreSQL").
    fn engine_name(&self) -> &'static str;
    /// How many cases are in each status (for metrics).
    fn case_counts(&self) -> impl Future<Output = Result<Vec<(String, i64)>, StoreError>> + Send;
    /// Open tasks whose deadline is before `today` (for metrics).
    fn overdue_tasks(
        &self,
        today: chrono::NaiveDate,
    ) -> impl Future<Output = Result<i64, StoreError>> + Send;
    /// The group-commit writer's figures (`None` when commits are written one by one).
    fn writer_stats(&self) -> Option<WriterStats>;
}

/// Everything the service needs from storage.
pub trait Store:
    CaseStore
    + RegistryStore
    + CatalogStore
    + crate::auth::AuthStore
    + crate::authority::ScopeStore
    + crate::inbox::InboxStore
    + FileStore
    + AuditStore
    + Health
    + Clone
    + 'static
{
}

impl<
    T: CaseStore
        + RegistryStore
        + CatalogStore
        + crate::auth::AuthStore
        + crate::authority::ScopeStore
        + crate::inbox::InboxStore
        + FileStore
        + AuditStore
        + Health
        + Clone
        + 'static,
> Store for T
{
}

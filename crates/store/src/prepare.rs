//! Turning a [`CaseCommit`] into rows, in the caller's task: events serialized, personal data
//! sealed. The writer then only binds and executes, so its single thread does the least work.

use chrono::NaiveDate;
use service::Vault;
use service::ports::{CaseCommit, RegistryWrite, StoreError};

use crate::audit::{PreparedAudit, prepare_entry};
use crate::registry;
use crate::sql::Val;

/// One SQL statement written with `?` placeholders.
#[derive(Debug, Clone)]
pub(crate) struct Stmt {
    pub sql: &'static str,
    pub values: Vec<Val>,
}

/// A registry write, ready to run.
#[derive(Debug, Clone)]
pub(crate) enum RegistryStmt {
    Exec(Stmt),
    /// Sets a boolean field of a person's status document.
    FlagSet {
        person: String,
        field: String,
    },
}

/// A commit as rows.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    pub case_id: String,
    /// For a new case: the handling unit and day whose counter numbers it.
    pub new_number: Option<(String, NaiveDate)>,
    /// The case projection (13 columns) when it changed; the writer fills in the number column
    /// (index 1) of a new case.
    pub case_row: Option<Vec<Val>>,
    /// The `case_events` row of this commit (5 columns).
    pub events: Vec<Val>,
    /// `tasks` rows (13 columns): first those that existed and changed, then the
    /// `opened_tasks` new ones.
    pub tasks: Vec<Vec<Val>>,
    pub opened_tasks: usize,
    /// A `case_forms` row (3 columns).
    pub form: Option<Vec<Val>>,
    pub registry: Vec<RegistryStmt>,
    /// An `idempotency_keys` row (5 columns).
    pub idempotency: Option<Vec<Val>>,
    /// Audit entries, written in the same transaction.
    pub audit: Vec<PreparedAudit>,
}

pub(crate) const CASE_COLUMNS: &str = "id, number, unit, township, region_path, applicant, channel, status, \
     catalog_version, submitted_on, submitted_at, status_at, items";
pub(crate) const CASE_UPSERT: &str = "INSERT INTO cases (id, number, unit, township, region_path, applicant, channel, \
     status, catalog_version, submitted_on, submitted_at, status_at, items) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) \
     ON CONFLICT (id) DO UPDATE SET status = excluded.status, status_at = excluded.status_at";
pub(crate) const CASE_UPSERT_TAIL: &str =
    " ON CONFLICT (id) DO UPDATE SET status = excluded.status, status_at = excluded.status_at";
pub(crate) const EVENT_TARGET: &str = "case_events (case_id, seq, last_seq, at, events)";
pub(crate) const TASK_COLUMNS: &str = "case_id, n, item, step, step_name, department, level, region, region_path, \
     status, due_on, opened_at, decided_at";
pub(crate) const TASK_UPSERT_TAIL: &str = " ON CONFLICT (case_id, n) DO UPDATE SET status = excluded.status, \
     due_on = excluded.due_on, decided_at = excluded.decided_at";
pub(crate) const TASK_UPSERT: &str = "INSERT INTO tasks (case_id, n, item, step, step_name, department, level, \
     region, region_path, status, due_on, opened_at, decided_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) \
     ON CONFLICT (case_id, n) DO UPDATE SET status = excluded.status, due_on = excluded.due_on, \
     decided_at = excluded.decided_at";
/// A changed task, in place: what [`TASK_UPSERT`] updates on a conflict, keyed by case and
/// number. Bound from a task row by [`task_update_values`].
pub(crate) const TASK_UPDATE: &str =
    "UPDATE tasks SET status = ?, due_on = ?, decided_at = ? WHERE case_id = ? AND n = ?";

/// The values of [`TASK_UPDATE`] in a `tasks` row (of [`TASK_COLUMNS`]): status, due_on,
/// decided_at, case_id, n.
pub(crate) fn task_update_values(row: &[Val]) -> [&Val; 5] {
    [&row[9], &row[10], &row[12], &row[0], &row[1]]
}

/// The number in a task id of the case, if the id is exactly `CaseId::task_id` of it (the
/// `tasks` table stores the two parts, not the id).
fn task_number(case_id: &str, task_id: &str) -> Option<i64> {
    let digits = task_id.strip_prefix(case_id)?.strip_prefix('.')?;
    let canonical = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'));
    canonical.then(|| digits.parse().ok()).flatten()
}

pub(crate) const FORM_INSERT: &str =
    "INSERT INTO case_forms (case_id, version, sealed) VALUES (?,?,?)";
pub(crate) const IDEMPOTENCY_INSERT: &str =
    "INSERT INTO idempotency_keys (caller, key, body_hash, case_id, created_at) VALUES (?,?,?,?,?)";
pub(crate) const NUMBER_BUMP: &str = "INSERT INTO case_number_seq (unit, day, last) VALUES (?, ?, ?) \
     ON CONFLICT (unit, day) DO UPDATE SET last = case_number_seq.last + excluded.last RETURNING last";

/// Takes the commit by value: its strings move into the rows instead of being copied.
pub(crate) fn prepare(vault: &Vault, commit: CaseCommit) -> Result<Prepared, StoreError> {
    let case_id = commit.case_id.0.clone();
    let (first, last) = match (commit.events.first(), commit.events.last()) {
        (Some(f), Some(l)) => (f, l),
        _ => return Err(StoreError::Corrupt("a commit without events".into())),
    };
    for (i, e) in commit.events.iter().enumerate() {
        // The timeline continues exactly where the writer last saw it; a concurrent append from
        // the same version is refused by the primary key (a conflict).
        if e.seq != commit.expected_version + 1 + i as u64 {
            return Err(StoreError::Conflict);
        }
    }
    let mut json = Vec::with_capacity(1024 * commit.events.len());
    serde_json::to_writer(&mut json, &commit.events)
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let key = Val::case_key(&case_id)
        .ok_or_else(|| StoreError::Corrupt(format!("case id {case_id} is not a UUID")))?;
    let events = vec![
        key.clone(),
        Val::Int(i64::try_from(first.seq).unwrap_or(i64::MAX)),
        Val::Int(i64::try_from(last.seq).unwrap_or(i64::MAX)),
        Val::time(last.at),
        Val::Blob(crate::timeline::encode(&json)),
    ];
    let new_number = match (&commit.case, commit.allocate_number) {
        (Some(r), true) => Some((r.unit.clone(), r.submitted_on)),
        _ => None,
    };
    let case_row = commit.case.map(|r| {
        vec![
            Val::text(case_id.clone()),
            Val::OptText(None),
            Val::Text(r.unit),
            Val::OptText(r.township),
            Val::Text(r.region_path),
            Val::Text(r.applicant.0),
            Val::Text(r.channel),
            Val::Text(r.status),
            Val::Text(r.catalog_version),
            Val::date(r.submitted_on),
            Val::time(r.submitted_at),
            Val::time(r.status_at),
            Val::Text(r.items),
        ]
    });
    let tasks: Vec<Vec<Val>> = commit
        .tasks
        .into_iter()
        .map(|t| {
            // The table stores the case and the number; the id must be made of exactly them.
            let n = task_number(&t.case_id.0, &t.id).ok_or_else(|| {
                StoreError::Corrupt(format!("task id {} is not <case id>.<number>", t.id))
            })?;
            // A commit's tasks are its case's: the key made above, not parsed again.
            let task_key = if t.case_id.0 == case_id {
                key.clone()
            } else {
                Val::case_key(&t.case_id.0).ok_or_else(|| {
                    StoreError::Corrupt(format!("case id {} is not a UUID", t.case_id.0))
                })?
            };
            Ok(vec![
                task_key,
                Val::Int(n),
                Val::Text(t.item),
                Val::Text(t.step),
                Val::Text(t.step_name),
                Val::Text(t.department),
                Val::Text(t.level),
                Val::Text(t.region),
                Val::Text(t.region_path),
                Val::Text(t.status),
                Val::opt_date(t.due_on),
                Val::time(t.opened_at),
                Val::opt_time(t.decided_at),
            ])
        })
        .collect::<Result<_, StoreError>>()?;
    let form = commit.form.map(|f| {
        vec![
            Val::text(case_id.clone()),
            Val::Int(i64::from(f.version)),
            Val::Blob(f.sealed),
        ]
    });
    let registry = commit
        .registry
        .iter()
        .map(|w| registry_stmt(vault, w))
        .collect::<Result<Vec<_>, _>>()?;
    let idempotency = commit.idempotency.map(|k| {
        vec![
            Val::Text(k.caller),
            Val::Text(k.key),
            Val::Text(k.body_hash),
            Val::text(case_id.clone()),
            Val::time(k.created_at),
        ]
    });
    let audit = commit.audit.into_iter().map(prepare_entry).collect();
    let opened_tasks = commit.opened_tasks.min(tasks.len());
    Ok(Prepared {
        opened_tasks,
        idempotency,
        new_number,
        case_id,
        case_row,
        events,
        tasks,
        form,
        registry,
        audit,
    })
}

fn registry_stmt(vault: &Vault, w: &RegistryWrite) -> Result<RegistryStmt, StoreError> {
    Ok(match w {
        RegistryWrite::PersonAdded(p) => RegistryStmt::Exec(Stmt {
            sql: registry::PERSON_INSERT,
            values: registry::person_values(
                vault,
                p,
                chrono::DateTime::from_timestamp_micros(0).unwrap_or_default(),
            )?,
        }),
        RegistryWrite::CertificateSet {
            person,
            certificate,
        } => RegistryStmt::Exec(Stmt {
            sql: registry::CERTIFICATE_UPSERT,
            values: registry::certificate_values(vault, person, certificate),
        }),
        RegistryWrite::BenefitAdded { person, benefit } => RegistryStmt::Exec(Stmt {
            sql: registry::BENEFIT_INSERT_ONE,
            values: registry::benefit_values(person, benefit),
        }),
        RegistryWrite::BenefitStopped {
            id,
            last_month,
            reason,
        } => RegistryStmt::Exec(Stmt {
            sql: "UPDATE benefits SET status = 'stopped', end_month = ?, stop_reason = ? WHERE id = ?",
            values: vec![
                Val::Text(registry::ym(*last_month)),
                Val::text(reason.clone()),
                Val::text(id.clone()),
            ],
        }),
        RegistryWrite::BenefitMoved { id, to_unit } => RegistryStmt::Exec(Stmt {
            sql: "UPDATE benefits SET paying_unit = ? WHERE id = ?",
            values: vec![Val::text(to_unit.clone()), Val::text(id.clone())],
        }),
        RegistryWrite::FlagSet { person, fact } => RegistryStmt::FlagSet {
            person: person.0.clone(),
            field: fact.key().rsplit('.').next().unwrap_or_default().to_owned(),
        },
    })
}

/// Sets one boolean field of a person's status JSON, keeping only fields the type knows.
pub(crate) fn set_flag(status_json: &str, field: &str) -> Result<String, StoreError> {
    let mut status: serde_json::Value =
        serde_json::from_str(status_json).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    if let Some(obj) = status.as_object_mut() {
        obj.insert(field.to_owned(), serde_json::Value::Bool(true));
    }
    let checked: domain::registry::PersonStatus =
        serde_json::from_value(status).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    serde_json::to_string(&checked).map_err(|e| StoreError::Corrupt(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_task_number_is_read_only_from_the_exact_id_of_the_case() {
        let case = "019acd2e-5c00-7000-8000-000000000001";
        let id = domain::workflow::CaseId(case.to_owned());
        assert_eq!(task_number(case, &id.task_id(7)), Some(7));
        assert_eq!(task_number(case, &id.task_id(12)), Some(12));
        for bad in [
            format!("{case}.07"),
            format!("{case}.+7"),
            format!("{case}."),
            format!("{case}.7a"),
            format!("{case}7"),
            "other-case.7".to_owned(),
            format!("{case}.99999999999999999999"),
        ] {
            assert_eq!(task_number(case, &bad), None, "{bad}");
        }
    }
}

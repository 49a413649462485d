//! Authority as a type: a use case that changes a case takes an authority value, and the only
//! way to get one is the permission check here — role, department and region scope, checked
//! against the stored case and task. Outside the caller's scope a case or task does not exist:
//! the answer is the same as for an unknown id.

use std::future::Future;

use domain::access::{Permission, Role, Scope};
use domain::workflow::{Actor, CaseId};

use crate::Platform;
use crate::auth::Principal;
use crate::error::ServiceError;
use crate::ports::{Store, StoreError};

/// How much personal data a reader may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    /// The window clerk at intake, the reviewer deciding one of the case's tasks, the applicant.
    Full,
    /// Everyone else in scope: ID numbers, phones and addresses masked.
    Masked,
}

/// Permission to act as the window on a case at intake (accept, refuse, ask for a supplement).
#[derive(Debug)]
pub struct IntakeAuthority {
    pub(crate) case: CaseId,
    pub(crate) actor: Actor,
}

/// Permission to decide one task.
#[derive(Debug)]
pub struct TaskAuthority {
    pub(crate) case: CaseId,
    pub(crate) task: String,
    pub(crate) actor: Actor,
}

/// The applicant, or their recorded guardian or agent, acting on their own case.
#[derive(Debug)]
pub struct OwnCaseAuthority {
    pub(crate) case: CaseId,
    pub(crate) actor: Actor,
}

/// Permission to read a case, and how much of its personal data.
#[derive(Debug, Clone)]
pub struct ReadAuthority {
    pub case: CaseId,
    pub visibility: Visibility,
    pub actor: Actor,
}

impl IntakeAuthority {
    pub fn case(&self) -> &CaseId {
        &self.case
    }
}
impl TaskAuthority {
    pub fn case(&self) -> &CaseId {
        &self.case
    }
    pub fn task(&self) -> &str {
        &self.task
    }
}
impl OwnCaseAuthority {
    pub fn case(&self) -> &CaseId {
        &self.case
    }
}

/// What the scope checks read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseScopeRow {
    pub status: String,
    pub region_path: String,
    pub applicant: String,
}

/// Scope checks, done in SQL.
pub trait ScopeStore: Send + Sync {
    /// The case if its region lies within `scope`.
    fn case_in_scope(
        &self,
        case: &CaseId,
        scope: &Scope,
    ) -> impl Future<Output = Result<Option<CaseScopeRow>, StoreError>> + Send;
    /// The case if it is the person's own (as applicant) or the agent's (through a recorded
    /// relationship).
    fn case_of_citizen(
        &self,
        case: &CaseId,
        person: Option<&str>,
        id_index: &str,
    ) -> impl Future<Output = Result<Option<CaseScopeRow>, StoreError>> + Send;
    /// The status of a task if it belongs to the department and lies within the scope.
    fn task_in_scope(
        &self,
        case: &CaseId,
        n: i64,
        department: &str,
        scope: &Scope,
    ) -> impl Future<Output = Result<Option<String>, StoreError>> + Send;
    /// Does the department have an open or paused task of the case within the scope?
    fn has_live_task(
        &self,
        case: &CaseId,
        department: &str,
        scope: &Scope,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// Records a guardian or agent relationship (idempotent for the same pair) with its audit
    /// entry, in one transaction.
    fn put_agent_link(
        &self,
        link: &crate::agents::AgentLink,
        at: chrono::DateTime<chrono::Utc>,
        audit: &crate::audit::AuditEntry,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Is the id-index holder a recorded guardian or agent of the person?
    fn is_agent_of(
        &self,
        agent_index: &str,
        person: &str,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}

const NOT_FOUND: ServiceError = ServiceError::NotFound("办件");
const TASK_NOT_FOUND: ServiceError = ServiceError::NotFound("任务");

/// Splits a task id `<case id>.<n>`.
pub fn split_task_id(task: &str) -> Option<(CaseId, i64)> {
    let (case, n) = task.rsplit_once('.')?;
    Some((CaseId(case.to_owned()), n.parse().ok()?))
}

impl<S: Store> Platform<S> {
    /// The window clerk, within scope, on a case awaiting acceptance (or its one supplement).
    pub async fn authorize_intake(
        &self,
        p: &Principal,
        case: &CaseId,
    ) -> Result<IntakeAuthority, ServiceError> {
        let Principal::Staff { role, scope, .. } = p else {
            return Err(ServiceError::Forbidden);
        };
        if !role.may(Permission::Intake) {
            return Err(ServiceError::Forbidden);
        }
        // A case's region never changes, so a case this instance holds answers without a query
        // (its status is checked by the transition itself).
        let in_scope = match self.cache.peek(case).await {
            Some(c) => scope.covers(&c.place_path),
            None => self.store.case_in_scope(case, scope).await?.is_some(),
        };
        if !in_scope {
            return Err(NOT_FOUND);
        }
        Ok(IntakeAuthority {
            case: case.clone(),
            actor: p.actor(),
        })
    }

    /// A reviewer of the task's department, within scope. The task's department and region never
    /// change, so a case this instance holds in memory answers without a query.
    pub async fn authorize_task(
        &self,
        p: &Principal,
        task: &str,
    ) -> Result<TaskAuthority, ServiceError> {
        let Principal::Staff { role, scope, .. } = p else {
            return Err(ServiceError::Forbidden);
        };
        let department = role.department().ok_or(ServiceError::Forbidden)?;
        let (case, n) = split_task_id(task).ok_or(TASK_NOT_FOUND)?;
        let cached = self.cache.peek(&case).await;
        let in_scope = match cached.as_ref().and_then(|c| {
            c.task(task)
                .map(|t| (t.department.clone(), t.region_path.clone()))
        }) {
            Some((dept, path)) => dept == department && scope.covers(&path),
            None => self
                .store
                .task_in_scope(&case, n, department, scope)
                .await?
                .is_some(),
        };
        if !in_scope {
            return Err(TASK_NOT_FOUND);
        }
        Ok(TaskAuthority {
            case,
            task: task.to_owned(),
            actor: p.actor(),
        })
    }

    /// The applicant or their recorded guardian/agent.
    pub async fn authorize_own_case(
        &self,
        p: &Principal,
        case: &CaseId,
    ) -> Result<OwnCaseAuthority, ServiceError> {
        let Principal::Citizen { id_index, person } = p else {
            return Err(ServiceError::Forbidden);
        };
        self.store
            .case_of_citizen(case, person.as_deref(), id_index)
            .await?
            .ok_or(NOT_FOUND)?;
        Ok(OwnCaseAuthority {
            case: case.clone(),
            actor: p.actor(),
        })
    }

    /// Who may read a case and how much: staff within scope (full for the window at intake and
    /// for a reviewer holding one of its tasks), the applicant and their agent.
    pub async fn authorize_read(
        &self,
        p: &Principal,
        case: &CaseId,
    ) -> Result<ReadAuthority, ServiceError> {
        let visibility = match p {
            Principal::Citizen { id_index, person } => {
                self.store
                    .case_of_citizen(case, person.as_deref(), id_index)
                    .await?
                    .ok_or(NOT_FOUND)?;
                Visibility::Full
            }
            Principal::Staff { role, scope, .. } => {
                if !role.may(Permission::ReadCasesInScope) {
                    return Err(ServiceError::Forbidden);
                }
                let row = self
                    .store
                    .case_in_scope(case, scope)
                    .await?
                    .ok_or(NOT_FOUND)?;
                let at_intake = *role == Role::WindowClerk
                    && matches!(row.status.as_str(), "submitted" | "awaiting_supplement");
                let deciding = match role.department() {
                    Some(dept) => self.store.has_live_task(case, dept, scope).await?,
                    None => false,
                };
                if at_intake || deciding {
                    Visibility::Full
                } else {
                    Visibility::Masked
                }
            }
        };
        Ok(ReadAuthority {
            case: case.clone(),
            visibility,
            actor: p.actor(),
        })
    }
}

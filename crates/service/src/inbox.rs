//! A reviewer's inbox: the open tasks of their department within their region, soonest due
//! first, with filters for due soon and overdue.

use std::future::Future;

use chrono::{DateTime, NaiveDate, Utc};
use domain::access::{Permission, Scope};
use domain::calendar::DeadlineStatus;
use domain::time::shanghai_date;
use domain::workflow::CaseId;

use crate::Platform;
use crate::auth::Principal;
use crate::error::ServiceError;
use crate::ports::{Store, StoreError};

/// Which open tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InboxFilter {
    #[default]
    Open,
    /// Due within the 即将超期 threshold (working days), not yet overdue.
    DueSoon,
    Overdue,
}

/// An inbox request, validated at the edge.
#[derive(Debug, Clone, Default)]
pub struct InboxQuery {
    pub filter: InboxFilter,
    pub item: Option<String>,
    /// Narrow to a region below the caller's own (a region code).
    pub region: Option<String>,
}

/// A stored inbox line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxRow {
    pub task_id: String,
    pub case_id: CaseId,
    pub case_number: Option<String>,
    pub item: String,
    pub step_name: String,
    pub region: String,
    pub due_on: Option<NaiveDate>,
    pub opened_at: DateTime<Utc>,
}

/// An inbox line with its deadline as of today.
#[derive(Debug, Clone)]
pub struct InboxLine {
    pub row: InboxRow,
    pub deadline: Option<DeadlineStatus>,
}

/// What an inbox query selects: open tasks of a department within a scope.
#[derive(Debug, Clone)]
pub struct InboxSelect<'a> {
    pub department: &'a str,
    /// The caller's scope (checked on the task).
    pub scope: &'a Scope,
    /// Only cases from this region (the region filter).
    pub within: Option<&'a Scope>,
    pub item: Option<&'a str>,
    /// Due on or before.
    pub due_by: Option<NaiveDate>,
    /// Due strictly before (overdue).
    pub overdue_before: Option<NaiveDate>,
    pub limit: u32,
}

/// The inbox query, in SQL.
pub trait InboxStore: Send + Sync {
    /// Open tasks matching the selection, soonest due first.
    fn inbox(
        &self,
        select: &InboxSelect<'_>,
    ) -> impl Future<Output = Result<Vec<InboxRow>, StoreError>> + Send;
}

impl<S: Store> Platform<S> {
    /// The caller's inbox (at most 500 lines).
    pub async fn inbox(
        &self,
        p: &Principal,
        q: &InboxQuery,
    ) -> Result<Vec<InboxLine>, ServiceError> {
        let Principal::Staff { role, scope, .. } = p else {
            return Err(ServiceError::Forbidden);
        };
        if !role.may(Permission::ReadInbox) {
            return Err(ServiceError::Forbidden);
        }
        let department = role.department().ok_or(ServiceError::Forbidden)?;
        // The region filter narrows by where the case comes from (a county reviewer can look at
        // one township); the scope check stays on the task.
        let within = match &q.region {
            None => None,
            Some(code) => {
                let code = domain::region::RegionCode::parse(code)
                    .map_err(|e| ServiceError::field("region", e.code(), e.to_string()))?;
                let place = self.regions.handling_place(&code)?;
                let path = Scope(place.path());
                // A region outside the caller's own yields nothing rather than an error.
                if !scope.covers(&path.0) && !path.covers(&scope.0) {
                    return Ok(Vec::new());
                }
                Some(path)
            }
        };
        if let Some(item) = &q.item
            && self.catalogs.current().item_by_str(item).is_none()
        {
            return Err(ServiceError::field(
                "item",
                "selection.unknown_item",
                format!("事项「{item}」不存在"),
            ));
        }
        let today = shanghai_date(self.clock.now());
        let threshold = self.catalogs.current().settings.due_soon_working_days;
        let (due_by, overdue_before) = match q.filter {
            InboxFilter::Open => (None, None),
            InboxFilter::DueSoon => (
                Some(self.calendar.add_working_days(today, threshold).value),
                None,
            ),
            InboxFilter::Overdue => (None, Some(today)),
        };
        let rows = self
            .store
            .inbox(&InboxSelect {
                department,
                scope,
                within: within.as_ref(),
                item: q.item.as_deref(),
                due_by,
                overdue_before,
                limit: 500,
            })
            .await?;
        Ok(rows
            .into_iter()
            .filter(|r| q.filter != InboxFilter::DueSoon || r.due_on.is_some_and(|d| d >= today))
            .map(|row| {
                let deadline = row
                    .due_on
                    .map(|due| deadline_for(&self.calendar, due, today, threshold));
                InboxLine { row, deadline }
            })
            .collect())
    }
}

/// The deadline state of a due date on a day.
pub fn deadline_for(
    calendar: &domain::calendar::WorkingCalendar,
    due: NaiveDate,
    today: NaiveDate,
    threshold: u32,
) -> DeadlineStatus {
    use domain::calendar::DeadlineState;
    let (state, left, overdue) = if today > due {
        (
            DeadlineState::Overdue,
            0,
            calendar.working_days_between(due, today).value,
        )
    } else {
        let left = calendar.working_days_between(today, due).value;
        (
            if left <= threshold {
                DeadlineState::DueSoon
            } else {
                DeadlineState::Normal
            },
            left,
            0,
        )
    };
    DeadlineStatus {
        state,
        due,
        working_days_left: left,
        working_days_overdue: overdue,
        paused: false,
    }
}

//! The case engine: cases, items, tasks, clocks, the timeline and the combined notice.

mod case;
mod engine;
mod event;
mod number;

pub use case::{
    Assessment, Case, CaseId, CaseItem, CaseStatus, Channel, Intake, ItemOutcome, ItemStatus,
    Notice, NoticeItem, SupplementRequest, SupplementScope, Task, TaskStatus,
};
pub use engine::{
    Ctx, NewCase, SubmitError, Transition, WorkflowError, current_facts, eligibility_of, submit,
};
pub use event::{Actor, Amount, Decision, Event, EventKind, ItemResult};
pub use number::{CaseNumber, CaseNumberError};

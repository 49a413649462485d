//! What a use case can fail with. The web layer maps each to an HTTP status and a stable code in
//! one place; the messages are Chinese for people.

use domain::application::{FieldError, SelectionError};
use domain::region::JurisdictionError;
use domain::workflow::{SubmitError, WorkflowError};

use crate::files::FileError;
use crate::ports::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{0}不存在")]
    NotFound(&'static str),
    #[error("提交的内容有误，请按提示修改")]
    Invalid(Vec<FieldError>),
    #[error(transparent)]
    Selection(#[from] SelectionError),
    #[error(transparent)]
    Submit(#[from] SubmitError),
    #[error(transparent)]
    Workflow(#[from] WorkflowError),
    #[error(transparent)]
    Jurisdiction(#[from] JurisdictionError),
    /// An upload refused before anything was stored. The web layer answers 413 for
    /// [`FileError::TooLarge`], 415 for a type that is not allowed or not what it claims to be,
    /// and 422 for an empty file.
    #[error(transparent)]
    File(#[from] FileError),
    #[error("该办件正在被其他人处理，请稍后重试")]
    Busy,
    #[error("没有权限进行此操作")]
    Forbidden,
    #[error("同一 Idempotency-Key 已用于内容不同的申请，请换一个新的 Idempotency-Key")]
    IdempotencyMismatch,
    #[error("相同的申请正在处理中，请稍后查询结果")]
    DuplicateKey,
    #[error("系统暂时无法完成操作，请稍后重试")]
    Unexpected(String),
}

impl ServiceError {
    /// A stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            ServiceError::NotFound(_) => "not_found",
            ServiceError::Invalid(_) => "validation_failed",
            ServiceError::Selection(e) => e.code(),
            ServiceError::Submit(e) => e.code(),
            ServiceError::Workflow(e) => e.code(),
            ServiceError::Jurisdiction(e) => e.code(),
            ServiceError::File(e) => e.code(),
            ServiceError::Busy => "busy",
            ServiceError::Forbidden => "forbidden",
            ServiceError::IdempotencyMismatch => "idempotency_key.reused",
            ServiceError::DuplicateKey => "idempotency_key.in_use",
            ServiceError::Unexpected(_) => "internal",
        }
    }

    pub fn field(field: &str, code: &str, message: impl Into<String>) -> Self {
        ServiceError::Invalid(vec![FieldError {
            field: field.to_owned(),
            code: code.to_owned(),
            message: message.into(),
        }])
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict => ServiceError::Busy,
            StoreError::DuplicateKey => ServiceError::DuplicateKey,
            other => ServiceError::Unexpected(other.to_string()),
        }
    }
}

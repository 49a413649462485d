//! The one place that maps errors to HTTP: a stable machine code, a Chinese message for people,
//! field-level details for validation failures, and the request id. Internals never leak.
//!
//! Handlers return [`WebError`]; it becomes a response carrying an [`ErrorInfo`] extension, and
//! the [`envelope`] middleware — which knows the request id — writes the JSON body. Every error
//! response of the API therefore has the same shape.

use axum::Json;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use domain::workflow::WorkflowError;
use serde::Serialize;
use service::auth::AuthError;
use service::{FileError, ServiceError};
use utoipa::ToSchema;

/// An error as the client sees it.
#[derive(Debug, Clone)]
pub struct WebError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    pub fields: Vec<domain::application::FieldError>,
}

/// The error carried from a handler to the envelope middleware.
#[derive(Debug, Clone)]
pub struct ErrorInfo(pub WebError);

/// The error envelope.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorEnvelope {
    pub error: ErrorBody,
}

/// An error: a stable machine code, a message for people, the fields at fault, the request id.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable machine code, e.g. `validation_failed`, `id_number.bad_checksum`, `not_found`.
    pub code: String,
    /// A Chinese message for people.
    pub message: String,
    /// Field-level problems of a validation failure.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldProblem>,
    /// The request id (also in the `x-request-id` response header).
    pub request_id: String,
}

/// One field's problem.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldProblem {
    pub field: String,
    pub code: String,
    pub message: String,
}

impl WebError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.to_owned(),
            message: message.into(),
            fields: Vec::new(),
        }
    }

    pub fn bad_request(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "未找到")
    }
}

impl From<ServiceError> for WebError {
    fn from(e: ServiceError) -> Self {
        let status = match &e {
            ServiceError::NotFound(_) => StatusCode::NOT_FOUND,
            ServiceError::Invalid(_) | ServiceError::Selection(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ServiceError::Submit(_) | ServiceError::Jurisdiction(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            // What the request lacks is the caller's to fix; the case's state is not.
            ServiceError::Workflow(
                WorkflowError::NothingMissing
                | WorkflowError::ReasonRequired
                | WorkflowError::AssessmentRequired
                | WorkflowError::AssessmentNotExpected
                | WorkflowError::UnknownItem(_),
            ) => StatusCode::UNPROCESSABLE_ENTITY,
            ServiceError::Workflow(_) => StatusCode::CONFLICT,
            ServiceError::File(FileError::TooLarge { .. }) => StatusCode::PAYLOAD_TOO_LARGE,
            ServiceError::File(FileError::UnsupportedType | FileError::Disguised) => {
                StatusCode::UNSUPPORTED_MEDIA_TYPE
            }
            ServiceError::File(FileError::Empty) => StatusCode::UNPROCESSABLE_ENTITY,
            ServiceError::Busy => StatusCode::SERVICE_UNAVAILABLE,
            ServiceError::Forbidden => StatusCode::FORBIDDEN,
            ServiceError::IdempotencyMismatch => StatusCode::UNPROCESSABLE_ENTITY,
            ServiceError::DuplicateKey => StatusCode::CONFLICT,
            ServiceError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let message = match &e {
            ServiceError::Unexpected(detail) => {
                tracing::error!(error = %detail, "unexpected error");
                "系统暂时无法完成操作，请稍后重试".to_owned()
            }
            // Not found never says whether the record exists elsewhere.
            ServiceError::NotFound(_) => "未找到".to_owned(),
            other => other.to_string(),
        };
        let fields = match &e {
            ServiceError::Invalid(fields) => fields.clone(),
            _ => Vec::new(),
        };
        WebError {
            status,
            code: e.code().to_owned(),
            message,
            fields,
        }
    }
}

impl From<AuthError> for WebError {
    fn from(e: AuthError) -> Self {
        let status = match e {
            AuthError::Csrf => StatusCode::FORBIDDEN,
            AuthError::Locked { .. } => StatusCode::TOO_MANY_REQUESTS,
            _ => StatusCode::UNAUTHORIZED,
        };
        WebError::new(status, e.code(), e.to_string())
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let mut response = self.status.into_response();
        response.extensions_mut().insert(ErrorInfo(self));
        response
    }
}

/// The request id: the client's `x-request-id` if it sent a sane one, else a new UUID.
fn request_id(req: &Request) -> String {
    req.headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned)
}

/// Gives every request an id (propagated in `x-request-id`) and writes error envelopes.
pub async fn envelope(mut req: Request, next: Next) -> Response {
    let id = request_id(&req);
    if let Ok(v) = HeaderValue::from_str(&id) {
        req.headers_mut().insert("x-request-id", v);
    }
    let span = tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path());
    let mut response = tracing::Instrument::instrument(next.run(req), span).await;
    if let Some(ErrorInfo(e)) = response.extensions_mut().remove::<ErrorInfo>() {
        let body = ErrorEnvelope {
            error: ErrorBody {
                code: e.code,
                message: e.message,
                fields: e
                    .fields
                    .into_iter()
                    .map(|f| FieldProblem {
                        field: f.field,
                        code: f.code,
                        message: f.message,
                    })
                    .collect(),
                request_id: id.clone(),
            },
        };
        let status = response.status();
        let mut headers = std::mem::take(response.headers_mut());
        response = (status, Json(body)).into_response();
        for (k, v) in headers.drain().filter_map(|(k, v)| k.map(|k| (k, v))) {
            if k != axum::http::header::CONTENT_TYPE && k != axum::http::header::CONTENT_LENGTH {
                response.headers_mut().insert(k, v);
            }
        }
    }
    if let Ok(v) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", v);
    }
    response
}

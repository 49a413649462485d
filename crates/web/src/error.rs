//! The one place that maps errors to HTTP: a stable machine code, a Chinese message for people,
//! field-level details for validation failures. Internals never leak.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use service::{FileError, ServiceError};

/// An error as the client sees it.
#[derive(Debug)]
pub struct WebError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    pub fields: Vec<domain::application::FieldError>,
}

#[derive(Serialize)]
struct Envelope<'a> {
    error: Body<'a>,
}

#[derive(Serialize)]
struct Body<'a> {
    code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    fields: &'a [domain::application::FieldError],
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
            ServiceError::Workflow(_) => StatusCode::CONFLICT,
            ServiceError::File(FileError::TooLarge { .. }) => StatusCode::PAYLOAD_TOO_LARGE,
            ServiceError::File(FileError::UnsupportedType | FileError::Disguised) => {
                StatusCode::UNSUPPORTED_MEDIA_TYPE
            }
            ServiceError::File(FileError::Empty) => StatusCode::UNPROCESSABLE_ENTITY,
            ServiceError::Busy => StatusCode::SERVICE_UNAVAILABLE,
            ServiceError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let message = match &e {
            ServiceError::Unexpected(detail) => {
                tracing::error!(error = %detail, "unexpected error");
                "系统暂时无法完成操作，请稍后重试".to_owned()
            }
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

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let body = Envelope {
            error: Body {
                code: &self.code,
                message: &self.message,
                fields: &self.fields,
            },
        };
        (self.status, Json(body)).into_response()
    }
}

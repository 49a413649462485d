//! JSON bodies whose rejections (malformed JSON, wrong types, missing fields) use the error
//! envelope.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;

use crate::error::WebError;

/// `axum::Json`, with errors in the envelope.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = WebError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(WebError::new(
                axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "bad_content_type",
                "请求体须为 JSON（Content-Type: application/json）",
            )),
            Err(JsonRejection::JsonSyntaxError(_)) => {
                Err(WebError::bad_request("bad_json", "请求体不是有效的 JSON"))
            }
            Err(JsonRejection::JsonDataError(e)) => Err(WebError::new(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                "bad_request_body",
                format!("请求体的字段有误：{}", e.body_text()),
            )),
            Err(_) => Err(WebError::bad_request("bad_request_body", "请求体无法读取")),
        }
    }
}

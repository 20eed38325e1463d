//! The one error type of the JSON API, turned into `application/problem+json`
//! (RFC 9457) with a field list for validation failures. A 5xx is logged
//! here, once, with the request id the client also gets.

use crate::validation::FieldErrors;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Everything a JSON handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No valid session or token.
    #[error("sign in first")]
    Unauthorized,
    /// A sign-in with an unknown address or a wrong password (one answer
    /// for both, so it does not tell which addresses exist).
    #[error("wrong e-mail address or password")]
    WrongCredentials,
    /// Signed in, but the role or organisation does not allow this.
    #[error("{0}")]
    Forbidden(String),
    /// No such thing (or none this caller may know of).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The request is malformed (bad JSON, bad query string).
    #[error("{0}")]
    BadRequest(String),
    /// Validation failed; every problem listed.
    #[error("invalid input")]
    Invalid(FieldErrors),
    /// The request conflicts with the current state.
    #[error("{detail}")]
    Conflict {
        /// Short summary.
        title: &'static str,
        /// What happened, for people.
        detail: String,
        /// Fields concerned.
        errors: FieldErrors,
    },
    /// Too many attempts; retry later.
    #[error("too many requests; retry in {retry_after_secs} seconds")]
    TooManyRequests {
        /// Seconds to wait.
        retry_after_secs: i64,
    },
    /// The body is larger than the stated limit.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// The body is not of a media type this endpoint reads.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The method is not one this endpoint answers.
    #[error("{0}")]
    MethodNotAllowed(String),
    /// Overloaded or out of time; retry after the given seconds.
    #[error("{detail}")]
    Unavailable {
        /// What happened, for people.
        detail: String,
        /// Seconds to wait.
        retry_after_secs: i64,
    },
    /// A payment provider refused or could not be reached; nothing changed.
    #[error("{0}")]
    Upstream(String),
    /// A bug or an outage; details go to the log, not the client.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<crate::payments::StripeFailure> for ApiError {
    fn from(e: crate::payments::StripeFailure) -> Self {
        ApiError::Upstream(e.to_string())
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        ApiError::Internal(e.into())
    }
}

// ---- exports (issue 13 §3) ----

impl From<crate::reports::export::ExportError> for ApiError {
    fn from(e: crate::reports::export::ExportError) -> Self {
        ApiError::Internal(e.into())
    }
}

use crate::http::request_id;

impl ApiError {
    fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized | ApiError::WrongCredentials => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Upstream(_) => StatusCode::BAD_GATEWAY,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let request_id = request_id();
        let (title, detail, errors) = match &self {
            ApiError::Unauthorized => ("Unauthorized", "sign in first: send a bearer token or the session cookie".to_owned(), None),
            ApiError::WrongCredentials => ("Unauthorized", self.to_string(), None),
            ApiError::Forbidden(d) => ("Forbidden", d.clone(), None),
            ApiError::NotFound(_) => ("Not Found", self.to_string(), None),
            ApiError::BadRequest(d) => ("Bad Request", d.clone(), None),
            ApiError::Invalid(e) => ("Unprocessable Entity", format!("the request has {} invalid field(s)", e.0.len()), Some(e)),
            ApiError::Conflict { title, detail, errors } => (*title, detail.clone(), Some(errors)),
            ApiError::TooManyRequests { .. } => ("Too Many Requests", self.to_string(), None),
            ApiError::PayloadTooLarge(d) => ("Payload Too Large", d.clone(), None),
            ApiError::UnsupportedMediaType(d) => ("Unsupported Media Type", d.clone(), None),
            ApiError::MethodNotAllowed(d) => ("Method Not Allowed", d.clone(), None),
            ApiError::Unavailable { detail, .. } => ("Service Unavailable", detail.clone(), None),
            ApiError::Upstream(d) => ("Payment Provider Error", d.clone(), None),
            ApiError::Internal(e) => {
                tracing::error!(request.id = request_id.as_deref().unwrap_or("-"), error = format!("{e:#}"), "internal error");
                ("Internal Server Error", "something went wrong on our side; quote the request id when reporting it".to_owned(), None)
            }
        };
        let mut body = json!({
            "type": "about:blank",
            "title": title,
            "status": status.as_u16(),
            "detail": detail,
        });
        if let Some(errors) = errors {
            body["errors"] = serde_json::to_value(errors).unwrap_or_default();
        }
        if let Some(id) = &request_id {
            body["request_id"] = json!(id);
        }
        let mut response = (status, body.to_string()).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if let ApiError::TooManyRequests { retry_after_secs } | ApiError::Unavailable { retry_after_secs, .. } = self
            && let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        response
    }
}

/// The result type of JSON handlers.
pub type ApiResult<T> = Result<T, ApiError>;

//! The id of the request being handled, for log lines and for the error
//! answers that show it to the user.

tokio::task_local! {
    /// The id of the request being handled (set by the request-id layer
    /// in `app.rs`).
    pub static REQUEST_ID: String;
}

/// The current request's id, if inside a request.
pub fn request_id() -> Option<String> {
    REQUEST_ID.try_with(|id| id.clone()).ok()
}

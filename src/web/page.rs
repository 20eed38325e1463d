//! What every page handler starts with and how it fails.
//!
//! [`Page`] is an extractor: the chrome (language, words, the signed-in
//! user, the CSRF token of the page's forms) and the user, looked up once.
//! Its checks — [`Page::user`], [`Page::with_role`], [`Page::manager`],
//! [`Page::form_user`] — answer with a [`PageError`], which renders itself:
//! the sign-in page for a visitor, a 403 page saying the page is not for
//! this user, another 403 asking to reload a stale form, a 404, a 500 with
//! the request id, or a form shown again with its errors. So a handler is
//! `async fn(page: Page, …) -> PageResult` and its refusals are `?`.

use super::{Chrome, Fields, error_page, field, render, stale_form_page};
use crate::app::AppState;
use crate::auth::{Actor, Role};
use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

/// The result of a page handler.
pub type PageResult = Result<Response, PageError>;

/// An uploaded file: its name, content type and bytes.
pub type Upload = (String, String, axum::body::Bytes);

/// The roles that buy: an agency's buyers and a partner city's.
pub const BUYERS: [Role; 2] = [Role::AgencyBuyer, Role::PartnerBuyer];

/// The request as a page sees it: its chrome and its signed-in user.
pub struct Page {
    /// Language, words, user, CSRF token.
    pub c: Chrome,
    /// The signed-in user, if any.
    pub actor: Option<Actor>,
    headers: HeaderMap,
    /// Where a visitor sent to sign in comes back to: the address asked
    /// for (path and query) of a GET, else the page the handler names.
    here: String,
}

impl FromRequestParts<AppState> for Page {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        let actor = match crate::http::signed_in(parts, state).await {
            Ok(actor) => actor,
            Err(e) => return Err(PageError::internal(Chrome::new(&parts.headers, None, parts.uri.path()), e.into())),
        };
        if let Some(a) = &actor {
            crate::http::remember(parts, a);
        }
        let here = match parts.method {
            axum::http::Method::GET | axum::http::Method::HEAD => {
                parts.uri.path_and_query().map_or_else(|| parts.uri.path().to_owned(), |p| p.as_str().to_owned())
            }
            _ => parts.uri.path().to_owned(),
        };
        Ok(Page { c: Chrome::new(&parts.headers, actor.as_ref(), parts.uri.path()), actor, headers: parts.headers.clone(), here })
    }
}

impl Page {
    /// The page the language switch comes back to, when it is not the
    /// request's own path (a form posted to `/console/lots` is shown again
    /// as `/console/lots/new`).
    pub fn at(mut self, path: &str) -> Page {
        self.c.path = path.to_owned();
        self.here = path.to_owned();
        self
    }

    /// The request's headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The signed-in user; a visitor is sent to sign in, and comes back
    /// here afterwards.
    pub fn user(&self) -> Result<Actor, PageError> {
        self.actor.clone().ok_or_else(|| self.refuse(Refusal::SignIn(self.here.clone())))
    }

    /// The signed-in user holding one of `roles`; anyone else gets the
    /// 403 page ("you don't have access to this page").
    pub fn with_role(&self, roles: &[Role]) -> Result<Actor, PageError> {
        let a = self.user()?;
        if roles.iter().any(|r| a.has(*r)) { Ok(a) } else { Err(self.refuse(Refusal::NoAccess)) }
    }

    /// The signed-in manager of a cooperative, with the cooperative's id.
    pub fn manager(&self) -> Result<(Actor, i64), PageError> {
        let a = self.user()?;
        match a.managed_cooperative() {
            Some(coop) => Ok((a, coop)),
            None => Err(self.refuse(Refusal::NoAccess)),
        }
    }

    /// Checks that a form of signed-in user `actor` carries the session's
    /// CSRF token `token`; a stale or forged one gets the "reload the page"
    /// 403.
    pub fn check_token(&self, actor: &Actor, token: &str) -> Result<(), PageError> {
        if crate::http::csrf_ok(&self.headers, Some(actor), token) { Ok(()) } else { Err(self.refuse(Refusal::StaleForm)) }
    }

    /// The user submitting form `f`: signed in, holding one of `roles` (any
    /// role when empty), the form carrying the session's CSRF token.
    pub fn form_user(&self, f: &Fields, roles: &[Role]) -> Result<Actor, PageError> {
        let a = if roles.is_empty() { self.user()? } else { self.with_role(roles)? };
        self.check_token(&a, field(f, "csrf"))?;
        Ok(a)
    }

    /// The 404 page.
    pub fn not_found(&self) -> PageError {
        self.refuse(Refusal::NotFound)
    }

    /// The 403 page ("you don't have access to this page").
    pub fn forbidden(&self) -> PageError {
        self.refuse(Refusal::NoAccess)
    }

    /// The 400 page.
    pub fn bad_request(&self) -> PageError {
        self.refuse(Refusal::BadRequest)
    }

    /// Reads an upload form's two fields, `csrf` and `file` (its name,
    /// content type and bytes), ignoring others; a broken or over-long body
    /// is the 400 page. The caller checks the token.
    pub async fn upload_form(&self, form: &mut axum::extract::Multipart) -> Result<(String, Option<Upload>), PageError> {
        let mut csrf = String::new();
        let mut file = None;
        loop {
            match form.next_field().await {
                Ok(Some(part)) => {
                    let name = part.name().unwrap_or("").to_owned();
                    let file_name = part.file_name().unwrap_or("").to_owned();
                    let content_type = part.content_type().unwrap_or("").to_owned();
                    match part.bytes().await {
                        Ok(bytes) if name == "csrf" => csrf = String::from_utf8_lossy(&bytes).into_owned(),
                        Ok(bytes) if name == "file" => file = Some((file_name, content_type, bytes)),
                        Ok(_) => {}
                        Err(_) => return Err(self.bad_request()),
                    }
                }
                Ok(None) => return Ok((csrf, file)),
                Err(_) => return Err(self.bad_request()),
            }
        }
    }

    /// The 500 page, the error logged with the request id.
    pub fn fail(&self, e: impl Into<anyhow::Error>) -> PageError {
        PageError::internal(self.c.clone(), e.into())
    }

    /// A refused form shown again (422), with its input and its errors.
    pub fn form_again(&self, form: &impl Template) -> PageError {
        self.refuse(Refusal::Form(render(&self.c, StatusCode::UNPROCESSABLE_ENTITY, form)))
    }

    /// Renders `template` with this page's cookies.
    pub fn render(&self, status: StatusCode, template: &impl Template) -> PageResult {
        Ok(render(&self.c, status, template))
    }

    fn refuse(&self, kind: Refusal) -> PageError {
        PageError(Box::new(Failure { chrome: self.c.clone(), kind }))
    }
}

/// Turns any error into the 500 page of a [`Page`]: `.or_500(&page)?`.
pub trait Or500<T> {
    /// The value, or the 500 page.
    fn or_500(self, page: &Page) -> Result<T, PageError>;
}

impl<T, E: Into<anyhow::Error>> Or500<T> for Result<T, E> {
    fn or_500(self, page: &Page) -> Result<T, PageError> {
        self.map_err(|e| page.fail(e))
    }
}

/// Why a page answers with something other than itself. Boxed: it carries
/// the chrome, so the answer is in the user's language and names the user.
pub struct PageError(Box<Failure>);

struct Failure {
    chrome: Chrome,
    kind: Refusal,
}

/// The kinds of [`PageError`].
enum Refusal {
    /// A visitor on a page for signed-in users: the sign-in page, which
    /// comes back to this address.
    SignIn(String),
    /// Signed in, but the page is for another role: 403.
    NoAccess,
    /// A form without the session's CSRF token: 403, reload.
    StaleForm,
    /// 404.
    NotFound,
    /// 400.
    BadRequest,
    /// 500, logged.
    Internal(anyhow::Error),
    /// A form shown again with its errors.
    Form(Response),
}

impl PageError {
    fn internal(chrome: Chrome, e: anyhow::Error) -> PageError {
        PageError(Box::new(Failure { chrome, kind: Refusal::Internal(e) }))
    }

    /// The status the answer will have.
    pub fn status(&self) -> StatusCode {
        match &self.0.kind {
            Refusal::SignIn(_) => StatusCode::SEE_OTHER,
            Refusal::NoAccess | Refusal::StaleForm => StatusCode::FORBIDDEN,
            Refusal::NotFound => StatusCode::NOT_FOUND,
            Refusal::BadRequest => StatusCode::BAD_REQUEST,
            Refusal::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Refusal::Form(r) => r.status(),
        }
    }
}

impl std::fmt::Debug for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PageError({})", self.status())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let Failure { chrome, kind } = *self.0;
        match kind {
            Refusal::SignIn(next) => Redirect::to(&super::login_href(&next)).into_response(),
            Refusal::NoAccess => error_page(&chrome, StatusCode::FORBIDDEN),
            Refusal::StaleForm => stale_form_page(&chrome),
            Refusal::NotFound => error_page(&chrome, StatusCode::NOT_FOUND),
            Refusal::BadRequest => error_page(&chrome, StatusCode::BAD_REQUEST),
            Refusal::Internal(e) => {
                let id = crate::http::request_id().unwrap_or_default();
                tracing::error!(request.id = id, error = format!("{e:#}"), "page failed");
                error_page(&chrome, StatusCode::INTERNAL_SERVER_ERROR)
            }
            Refusal::Form(response) => response,
        }
    }
}

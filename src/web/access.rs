//! Who may open a page or submit a form: the signed-in user, a role, the
//! session's CSRF token. Shared by the buying pages and the consoles.

use super::{Chrome, Fields, csrf_ok, error_page, field};
use crate::auth::{Actor, Role};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

/// The signed-in user, or the sign-in page for visitors.
#[allow(clippy::result_large_err)]
pub(super) fn signed_in(actor: Option<Actor>) -> Result<Actor, Response> {
    actor.ok_or_else(|| Redirect::to("/login").into_response())
}

/// A signed-in user holding one of `roles`, else 403 (or sign in).
#[allow(clippy::result_large_err)]
pub(super) fn with_role(c: &Chrome, actor: Option<Actor>, roles: &[Role]) -> Result<Actor, Response> {
    let a = signed_in(actor)?;
    if roles.iter().any(|r| a.has(*r)) { Ok(a) } else { Err(error_page(c, StatusCode::FORBIDDEN)) }
}

pub(super) const BUYERS: [Role; 2] = [Role::AgencyBuyer, Role::PartnerBuyer];

/// The user submitting a form: signed in, holding one of `roles` (any
/// role when empty), and the form carrying the session's CSRF token.
#[allow(clippy::result_large_err)]
pub(super) fn form_user(c: &Chrome, actor: Option<Actor>, headers: &HeaderMap, f: &Fields, roles: &[Role]) -> Result<Actor, Response> {
    let a = if roles.is_empty() { signed_in(actor)? } else { with_role(c, actor, roles)? };
    if csrf_ok(headers, Some(&a), field(f, "csrf")) { Ok(a) } else { Err(error_page(c, StatusCode::FORBIDDEN)) }
}

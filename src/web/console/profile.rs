//! The cooperative's names (issue 14 §1): its managers give the English
//! name the English pages write before the registered Chinese one
//! (`orgs::english_name` says what it may hold).

use crate::app::AppState;
use crate::web::page::Or500;
use crate::web::{Chrome, Fields, Page, PageResult, field};
use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "coop_profile.html")]
struct ProfileForm<'a> {
    c: &'a Chrome,
    /// The registered name, which does not change here.
    name: String,
    /// The English name, as stored or as typed.
    name_en: String,
    saved: bool,
    errors: Vec<String>,
}

/// `?saved=1` after a save.
#[derive(Deserialize)]
pub struct ProfileQuery {
    saved: Option<String>,
}

/// `GET /console/profile`.
pub async fn profile(page: Page, State(state): State<AppState>, Query(q): Query<ProfileQuery>) -> PageResult {
    let (_, coop) = page.manager()?;
    let profile = crate::orgs::cooperative(&state.db, coop).await.or_500(&page)?.ok_or_else(|| page.not_found())?;
    let form = ProfileForm {
        c: &page.c,
        name: profile.name,
        name_en: profile.name_en.unwrap_or_default(),
        saved: q.saved.is_some(),
        errors: Vec::new(),
    };
    page.render(StatusCode::OK, &form)
}

/// `POST /console/profile`: saves, or shows the form again with what was
/// typed and what is wrong with it.
pub async fn save_profile(page: Page, State(state): State<AppState>, Form(form): Form<Fields>) -> PageResult {
    let page = page.at("/console/profile");
    let (actor, coop) = page.manager()?;
    page.check_token(&actor, field(&form, "csrf"))?;
    let typed = field(&form, "name_en").to_owned();
    match crate::orgs::english_name(&typed) {
        Ok(name_en) => {
            crate::orgs::set_english_name(&state.db, coop, name_en.as_deref()).await.or_500(&page)?;
            Ok(Redirect::to("/console/profile?saved=1").into_response())
        }
        Err(problem) => {
            let errors = crate::web::words::field_errors(page.c.lang, &crate::validation::FieldErrors::one("name_en", problem));
            let profile = crate::orgs::cooperative(&state.db, coop).await.or_500(&page)?.ok_or_else(|| page.not_found())?;
            Err(page.form_again(&ProfileForm { c: &page.c, name: profile.name, name_en: typed, saved: false, errors }))
        }
    }
}

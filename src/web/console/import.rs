//! Importing lots from a CSV or XLSX file.

use crate::app::AppState;
use crate::stock::{self};
use crate::web::words;
use crate::web::{Chrome, Page, PageResult, render};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage<'a> {
    c: &'a Chrome,
    columns: &'static [&'static str],
    /// Each bad row and its problems, in the page's language.
    errors: Vec<(usize, Vec<String>)>,
    /// Under a capped error list: how many more rows have problems.
    more_rows: Option<String>,
    problem: Option<String>,
    /// What was imported, as one sentence.
    done: Option<String>,
}

/// `GET /console/import`.
pub async fn import_form(page: Page) -> PageResult {
    page.manager()?;
    page.render(
        StatusCode::OK,
        &ImportPage { c: &page.c, columns: &stock::IMPORT_COLUMNS, errors: Vec::new(), more_rows: None, problem: None, done: None },
    )
}

/// `POST /console/import` — a CSV or XLSX file; all lots or none.
pub async fn import(page: Page, State(state): State<AppState>, mut form: axum::extract::Multipart) -> PageResult {
    let (actor, coop) = page.manager()?;
    let (csrf, file) = page.upload_form(&mut form).await?;
    page.check_token(&actor, &csrf)?;
    let c = &page.c;
    let show = |status, report: Option<stock::ImportReport>, errors, more_rows, problem| {
        let done = report
            .as_ref()
            .map(|r| words::fill(c.t.import_done, &[("lots", &r.lots), ("contributions", &r.contributions), ("units", &r.units)]));
        Ok(render(c, status, &ImportPage { c, columns: &stock::IMPORT_COLUMNS, errors, more_rows, problem, done }))
    };
    let Some((name, content_type, bytes)) = file.filter(|(_, _, b)| !b.is_empty()) else {
        return show(StatusCode::UNPROCESSABLE_ENTITY, None, Vec::new(), None, Some(c.t.import_choose_file.to_owned()));
    };
    match stock::import_upload(&state.db, &state.imports, coop, actor.id, stock::FileKind::of(&content_type, &name), bytes).await {
        Ok(report) => show(StatusCode::CREATED, Some(report), Vec::new(), None, None),
        Err(stock::ImportError::Rows { errors, more_rows }) => {
            let more = (more_rows > 0)
                .then(|| words::problem(c.lang, "", &crate::validation::Problem::MoreRows { n: more_rows, max: stock::MAX_ROW_ERRORS }));
            let rows = errors
                .into_iter()
                .map(|e| {
                    let label = words::label(c.lang, &format!("row {}", e.row));
                    (e.row, e.problems.iter().map(|p| words::problem(c.lang, &label, p)).collect())
                })
                .collect();
            show(StatusCode::UNPROCESSABLE_ENTITY, None, rows, more, None)
        }
        Err(stock::ImportError::Unreadable(m)) => {
            let problem = words::fill(c.t.import_unreadable, &[("detail", &m)]);
            show(StatusCode::UNPROCESSABLE_ENTITY, None, Vec::new(), None, Some(problem))
        }
        Err(stock::ImportError::OverBudget(over)) => {
            show(StatusCode::UNPROCESSABLE_ENTITY, None, Vec::new(), None, Some(words::over_budget(c.lang, &over)))
        }
        Err(stock::ImportError::Busy { retry_after_secs }) => {
            let mut res = show(StatusCode::SERVICE_UNAVAILABLE, None, Vec::new(), None, Some(c.t.import_busy.to_owned()))?;
            if let Ok(v) = axum::http::HeaderValue::from_str(&retry_after_secs.to_string()) {
                res.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
            }
            Ok(res)
        }
        Err(stock::ImportError::Db(e)) => Err(page.fail(e)),
    }
}

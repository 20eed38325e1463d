//! Importing lots from a CSV or XLSX file.

use crate::app::AppState;
use crate::stock::{self};
use crate::web::{Chrome, Page, PageResult, render};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage<'a> {
    c: &'a Chrome,
    columns: &'static [&'static str],
    report: Option<stock::ImportReport>,
    errors: Vec<stock::RowError>,
    /// Under a capped error list: how many more rows have problems.
    more_rows: Option<String>,
    problem: Option<String>,
}

/// The words for a file over the import budget, in the page's language.
fn over_budget_words(t: &crate::web::Strings, over: &stock::OverBudget) -> String {
    use stock::OverBudget as O;
    const MB: u64 = 1024 * 1024;
    let fill = |template: &str, values: &[(&str, String)]| {
        values.iter().fold(template.to_owned(), |text, (name, value)| text.replace(&format!("{{{name}}}"), value))
    };
    match *over {
        O::Upload { max } => fill(t.import_over_upload, &[("max", (max as u64 / MB).to_string())]),
        O::Entries { max } => fill(t.import_over_entries, &[("max", max.to_string())]),
        O::Uncompressed { max } => fill(t.import_over_unpacked, &[("max", (max / MB).to_string())]),
        O::Dimension { rows, columns, max_rows, max_columns } => fill(
            t.import_over_dimension,
            &[
                ("rows", rows.to_string()),
                ("columns", columns.to_string()),
                ("max_rows", max_rows.to_string()),
                ("max_columns", max_columns.to_string()),
            ],
        ),
        O::Rows { max } => fill(t.import_over_rows, &[("max", max.to_string())]),
        O::RowCells { row, max } => fill(t.import_over_row_cells, &[("row", row.to_string()), ("max", max.to_string())]),
        O::Cells { max_cells, max_bytes } => {
            fill(t.import_over_cells, &[("max", max_cells.to_string()), ("mb", (max_bytes as u64 / MB).to_string())])
        }
        O::CellText { row, max } => fill(t.import_over_cell_text, &[("row", row.to_string()), ("max", max.to_string())]),
        O::Time { secs } => fill(t.import_over_time, &[("max", secs.to_string())]),
    }
}

/// `GET /console/import`.
pub async fn import_form(page: Page) -> PageResult {
    page.manager()?;
    page.render(
        StatusCode::OK,
        &ImportPage { c: &page.c, columns: &stock::IMPORT_COLUMNS, report: None, errors: Vec::new(), more_rows: None, problem: None },
    )
}

/// `POST /console/import` — a CSV or XLSX file; all lots or none.
pub async fn import(page: Page, State(state): State<AppState>, mut form: axum::extract::Multipart) -> PageResult {
    let (actor, coop) = page.manager()?;
    let mut csrf = String::new();
    let mut file: Option<(String, String, axum::body::Bytes)> = None;
    loop {
        match form.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or("").to_owned();
                let file_name = field.file_name().unwrap_or("").to_owned();
                let content_type = field.content_type().unwrap_or("").to_owned();
                match field.bytes().await {
                    Ok(bytes) if name == "csrf" => csrf = String::from_utf8_lossy(&bytes).into_owned(),
                    Ok(bytes) if name == "file" => file = Some((file_name, content_type, bytes)),
                    Ok(_) => {}
                    Err(_) => return Err(page.bad_request()),
                }
            }
            Ok(None) => break,
            Err(_) => return Err(page.bad_request()),
        }
    }
    page.check_token(&actor, &csrf)?;
    let c = &page.c;
    let show = |status, report, errors, more_rows, problem| {
        Ok(render(c, status, &ImportPage { c, columns: &stock::IMPORT_COLUMNS, report, errors, more_rows, problem }))
    };
    let Some((name, content_type, bytes)) = file.filter(|(_, _, b)| !b.is_empty()) else {
        return show(StatusCode::UNPROCESSABLE_ENTITY, None, Vec::new(), None, Some(c.t.import_choose_file.to_owned()));
    };
    match stock::import_upload(&state.db, &state.imports, coop, actor.id, stock::FileKind::of(&content_type, &name), bytes).await {
        Ok(report) => show(StatusCode::CREATED, Some(report), Vec::new(), None, None),
        Err(stock::ImportError::Rows { errors, more_rows }) => {
            let more = (more_rows > 0)
                .then(|| c.t.import_more_rows.replace("{n}", &more_rows.to_string()).replace("{max}", &stock::MAX_ROW_ERRORS.to_string()));
            show(StatusCode::UNPROCESSABLE_ENTITY, None, errors, more, None)
        }
        Err(stock::ImportError::Unreadable(m)) => show(StatusCode::UNPROCESSABLE_ENTITY, None, Vec::new(), None, Some(m)),
        Err(stock::ImportError::OverBudget(over)) => {
            show(StatusCode::UNPROCESSABLE_ENTITY, None, Vec::new(), None, Some(over_budget_words(c.t, &over)))
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

//! The page of a file import (lots on the co-op console, visits on the
//! monitoring pages): the form, and its answer — what was imported, or
//! every bad row and its problems, or why the file was not read. Both
//! imports are all or nothing and share the stock module's error.

use crate::stock::{ImportError, MAX_ROW_ERRORS};
use crate::web::words;
use crate::web::{Chrome, Page, PageResult};
use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};

/// What differs between the imports, in the page's language.
pub struct Spec {
    pub title: &'static str,
    /// Where the page's back link goes, and its words.
    pub back: (&'static str, &'static str),
    pub help: &'static str,
    /// A sample file, its header included, shown on the page.
    pub sample: String,
    /// Where the sample can be downloaded as a file that imports as it
    /// is, if it can.
    pub sample_href: Option<&'static str>,
    /// Names the file may use, each list with its heading: (name, number).
    pub lists: Vec<(&'static str, Vec<(String, String)>)>,
    /// Where the form posts.
    pub action: &'static str,
}

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage<'a> {
    c: &'a Chrome,
    spec: &'a Spec,
    /// Each bad row and its problems, in the page's language.
    errors: Vec<(usize, Vec<String>)>,
    /// Under a capped error list: how many more rows have problems.
    more_rows: Option<String>,
    problem: Option<String>,
    /// What was imported, as one sentence.
    done: Option<String>,
}

/// A sample file to download: CSV, UTF-8 with a byte-order mark so that
/// spreadsheet programs read the Chinese, never cached (it is the user's).
pub fn csv_file(text: String, name: &'static str) -> axum::response::Response {
    use axum::response::IntoResponse;
    let mut res = (StatusCode::OK, format!("\u{feff}{text}")).into_response();
    let headers = res.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    res
}

/// The empty form.
pub fn form(page: &Page, spec: &Spec) -> PageResult {
    page.render(StatusCode::OK, &ImportPage { c: &page.c, spec, errors: Vec::new(), more_rows: None, problem: None, done: None })
}

/// The answer to an upload with no file (or an empty one).
pub fn no_file(page: &Page, spec: &Spec) -> PageResult {
    answer(page, spec, Err(None))
}

/// The answer to an import: `Ok` with the sentence of what was imported,
/// or its error (`None`: no file was chosen).
pub fn answer(page: &Page, spec: &Spec, result: Result<String, Option<ImportError>>) -> PageResult {
    let c = &page.c;
    let show = |status, done, errors, more_rows, problem| page.render(status, &ImportPage { c, spec, errors, more_rows, problem, done });
    let error = match result {
        Ok(done) => return show(StatusCode::CREATED, Some(done), Vec::new(), None, None),
        Err(None) => return show(StatusCode::UNPROCESSABLE_ENTITY, None, Vec::new(), None, Some(c.t.import_choose_file.to_owned())),
        Err(Some(e)) => e,
    };
    match error {
        ImportError::Rows { errors, more_rows } => {
            let more = (more_rows > 0)
                .then(|| words::problem(c.lang, "", &crate::validation::Problem::MoreRows { n: more_rows, max: MAX_ROW_ERRORS }));
            let rows = errors
                .into_iter()
                .map(|e| {
                    let label = words::label(c.lang, &format!("row {}", e.row));
                    (e.row, e.problems.iter().map(|p| words::problem(c.lang, &label, p)).collect())
                })
                .collect();
            show(StatusCode::UNPROCESSABLE_ENTITY, None, rows, more, None)
        }
        ImportError::Unreadable(m) => {
            show(StatusCode::UNPROCESSABLE_ENTITY, None, Vec::new(), None, Some(words::fill(c.t.import_unreadable, &[("detail", &m)])))
        }
        ImportError::OverBudget(over) => {
            show(StatusCode::UNPROCESSABLE_ENTITY, None, Vec::new(), None, Some(words::over_budget(c.lang, &over)))
        }
        ImportError::Busy { retry_after_secs } => {
            let mut res = show(StatusCode::SERVICE_UNAVAILABLE, None, Vec::new(), None, Some(c.t.import_busy.to_owned()))?;
            if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
            Ok(res)
        }
        ImportError::Db(e) => Err(page.fail(e)),
    }
}

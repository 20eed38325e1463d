//! Importing lots from a CSV or XLSX file.

use crate::app::AppState;
use crate::stock;
use crate::web::imports::{self, Spec};
use crate::web::words;
use crate::web::{Chrome, Page, PageResult};
use axum::extract::State;

/// The lots import, in the page's language.
fn spec(c: &Chrome) -> Spec {
    Spec {
        title: c.t.import_title,
        back: ("/console", c.t.console_title),
        help: c.t.import_help,
        sample: "A,12,300,2026-09-01,2027-03-01,4,HH-7K3QX9PM,120\nA,12,300,2026-09-01,2027-03-01,4,HH-2B8M4WQA,180",
        action: "/console/import",
        columns: &stock::IMPORT_COLUMNS,
    }
}

/// `GET /console/import`.
pub async fn import_form(page: Page) -> PageResult {
    page.manager()?;
    imports::form(&page, &spec(&page.c))
}

/// `POST /console/import` — a CSV or XLSX file; all lots or none.
pub async fn import(page: Page, State(state): State<AppState>, mut form: axum::extract::Multipart) -> PageResult {
    let (actor, coop) = page.manager()?;
    let (csrf, file) = page.upload_form(&mut form).await?;
    page.check_token(&actor, &csrf)?;
    let spec = spec(&page.c);
    let Some((name, content_type, bytes)) = file.filter(|(_, _, b)| !b.is_empty()) else {
        return imports::no_file(&page, &spec);
    };
    let t = page.c.t;
    let result = stock::import_upload(&state.db, &state.imports, coop, actor.id, stock::FileKind::of(&content_type, &name), bytes)
        .await
        .map(|r| words::fill(t.import_done, &[("lots", &r.lots), ("contributions", &r.contributions), ("units", &r.units)]));
    imports::answer(&page, &spec, result.map_err(Some))
}

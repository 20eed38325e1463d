//! Importing lots from a CSV or XLSX file. The page offers a sample made
//! from the cooperative's own products, nodes and members — a file that
//! imports as it is — and lists the names (and numbers) a file may use.

use crate::app::AppState;
use crate::stock;
use crate::web::imports::{self, Spec};
use crate::web::page::Or500;
use crate::web::words;
use crate::web::{Chrome, Page, PageResult};
use axum::extract::State;

/// The sample when the cooperative has no product, node or member yet:
/// the shape of a file, which cannot import until it has.
const PLACEHOLDER: &str = "lot,product,quantity,harvested_on,expires_on,node,household_code,household_quantity\n\
A,伽师瓜,300,2026-09-01,2026-10-01,巴仁村集货点,HH-7K3QX9PM,120\n\
A,伽师瓜,300,2026-09-01,2026-10-01,巴仁村集货点,HH-2B8M4WQA,180\n";

/// The lots import of cooperative `coop`, in the page's language.
async fn spec(state: &AppState, c: &Chrome, coop: i64) -> anyhow::Result<Spec> {
    let sample = stock::import_sample(&state.db, coop).await?;
    let products = crate::catalog::own_products(&state.db, coop, crate::catalog::OwnOrder::Name).await?;
    let nodes = stock::lot_nodes(&state.db, coop).await?;
    Ok(Spec {
        title: c.t.import_title,
        back: ("/console", c.t.console_title),
        help: c.t.import_help_names,
        sample_href: sample.is_some().then_some("/console/import/sample.csv"),
        sample: sample.unwrap_or_else(|| PLACEHOLDER.to_owned()),
        lists: vec![
            (c.t.import_products, products.into_iter().map(|p| (p.name, p.id.to_string())).collect()),
            (c.t.import_nodes, nodes.into_iter().map(|(id, name)| (name, id.to_string())).collect()),
        ],
        action: "/console/import",
    })
}

/// `GET /console/import`.
pub async fn import_form(page: Page, State(state): State<AppState>) -> PageResult {
    let (_, coop) = page.manager()?;
    let spec = spec(&state, &page.c, coop).await.or_500(&page)?;
    imports::form(&page, &spec)
}

/// `GET /console/import/sample.csv`: the page's sample as a file (UTF-8
/// with a byte-order mark, so spreadsheet programs read the Chinese).
pub async fn sample(page: Page, State(state): State<AppState>) -> PageResult {
    let (_, coop) = page.manager()?;
    let sample = stock::import_sample(&state.db, coop).await.or_500(&page)?.ok_or_else(|| page.not_found())?;
    Ok(imports::csv_file(sample, "lots-sample.csv"))
}

/// `POST /console/import` — a CSV or XLSX file; all lots or none.
pub async fn import(page: Page, State(state): State<AppState>, mut form: axum::extract::Multipart) -> PageResult {
    let (actor, coop) = page.manager()?;
    let (csrf, file) = page.upload_form(&mut form).await?;
    page.check_token(&actor, &csrf)?;
    let spec = spec(&state, &page.c, coop).await.or_500(&page)?;
    let Some((name, content_type, bytes)) = file.filter(|(_, _, b)| !b.is_empty()) else {
        return imports::no_file(&page, &spec);
    };
    let t = page.c.t;
    let result = stock::import_upload(&state.db, &state.imports, coop, actor.id, stock::FileKind::of(&content_type, &name), bytes)
        .await
        .map(|r| words::fill(t.import_done, &[("lots", &r.lots), ("contributions", &r.contributions), ("units", &r.units)]));
    imports::answer(&page, &spec, result.map_err(Some))
}

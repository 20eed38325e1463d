//! Alerts (弹屏预警): a household that turned orange or red, open until an
//! official of its region acknowledges it with a note. Raising is in
//! `evaluate.rs`; here they are listed and acknowledged. Officials see and
//! acknowledge the alerts of their region only; the platform administrator
//! sees all (pseudonymously) and acknowledges none.

use super::evaluate::parse_reasons;
use super::rule::{Colour, Reason};
use crate::auth::Actor;
use crate::db::Db;
use crate::households::Viewer;
use crate::regions::RegionCode;
use crate::validation::{FieldErrors, Problem};
use serde::Serialize;

/// Longest acknowledgement note, in characters.
pub const MAX_ACK_NOTE_CHARS: usize = 500;

/// An alert as one viewer may see it.
#[derive(Debug, Clone, Serialize)]
pub struct Alert {
    /// Opaque id.
    #[serde(serialize_with = "crate::ids::serialize")]
    pub id: i64,
    /// The household's id (for the visit form).
    #[serde(serialize_with = "crate::ids::serialize")]
    pub household_id: i64,
    /// The household's pseudonymous code.
    pub household_code: String,
    /// The head of the household, for officials of its region.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub head_name: Option<String>,
    /// Its village, 12 digits.
    pub village_code: String,
    /// Its village's name.
    pub village_name: String,
    /// The year of the colour.
    pub year: i32,
    /// The colour it turned (an open orange alert becomes red if it does).
    pub colour: Colour,
    /// Its colour before, if it had one.
    pub previous_colour: Option<Colour>,
    /// Why, as codes.
    pub reasons: Vec<String>,
    /// When it was raised (RFC 3339, UTC).
    pub raised_at: String,
    /// When it was acknowledged, if it was.
    pub acknowledged_at: Option<String>,
    /// Who acknowledged it (display name).
    pub acknowledged_by: Option<String>,
    /// The acknowledgement's note.
    pub note: Option<String>,
}

impl Alert {
    /// The reasons, typed.
    pub fn reasons_typed(&self) -> Vec<Reason> {
        self.reasons.iter().filter_map(|r| Reason::parse(r)).collect()
    }
}

/// Which alerts a listing shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AlertFilter {
    /// Only those not acknowledged.
    #[default]
    Open,
    /// All, newest first.
    All,
}

type Row = (
    i64,
    i64,
    String,
    Option<String>,
    String,
    String,
    i64,
    String,
    Option<String>,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

const SELECT: &str = "SELECT a.id, a.household_id, h.code, h.head_name, a.village_code, COALESCE(r.name, a.village_code), a.year, a.colour, \
                             a.previous_colour, a.reasons, a.raised_at, a.acknowledged_at, u.display_name, a.note \
                      FROM monitoring_alerts a JOIN households h ON h.id = a.household_id \
                      LEFT JOIN regions r ON r.code = a.village_code LEFT JOIN users u ON u.id = a.acknowledged_by";

fn present(viewer: &Viewer, r: Row) -> Alert {
    let (id, household_id, code, head, village, village_name, year, colour, previous, reasons, raised, acked, by, note) = r;
    let identified = viewer.may_identify(&village, &[]);
    Alert {
        id,
        household_id,
        household_code: code,
        head_name: if identified { head } else { None },
        village_code: village,
        village_name,
        year: year as i32,
        colour: Colour::parse(&colour).unwrap_or(Colour::Red),
        previous_colour: previous.as_deref().and_then(Colour::parse),
        reasons: parse_reasons(&reasons).into_iter().map(|r| r.code()).collect(),
        raised_at: raised,
        acknowledged_at: acked,
        acknowledged_by: by,
        note,
    }
}

/// One page of the alerts of households in `region` (everywhere for
/// `None`), newest first, and their total, as `viewer` may see them. The
/// caller has decided that the viewer may read `region`.
pub async fn alerts(
    db: &Db,
    viewer: &Viewer,
    region: Option<RegionCode>,
    filter: AlertFilter,
    limit: i64,
    offset: i64,
) -> sqlx::Result<(Vec<Alert>, i64)> {
    let (lo, hi) = super::code_range(region);
    let open = match filter {
        AlertFilter::Open => " AND a.acknowledged_at IS NULL",
        AlertFilter::All => "",
    };
    let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM monitoring_alerts a WHERE a.village_code BETWEEN $1 AND $2{open}"))
        .bind(&lo)
        .bind(&hi)
        .fetch_one(db.pool())
        .await?;
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "{SELECT} WHERE a.village_code BETWEEN $1 AND $2{open} ORDER BY a.raised_at DESC, a.id DESC LIMIT $3 OFFSET $4"
    ))
    .bind(&lo)
    .bind(&hi)
    .bind(limit)
    .bind(offset)
    .fetch_all(db.pool())
    .await?;
    Ok((rows.into_iter().map(|r| present(viewer, r)).collect(), total))
}

/// The open alerts of region `region`, newest first, at most `limit`, and
/// how many are open in all — what an official's dashboard shows.
pub async fn open_alerts(db: &Db, viewer: &Viewer, region: Option<RegionCode>, limit: i64) -> sqlx::Result<(Vec<Alert>, i64)> {
    alerts(db, viewer, region, AlertFilter::Open, limit, 0).await
}

/// Why an alert was not acknowledged.
#[derive(Debug, thiserror::Error)]
pub enum AckError {
    /// Not an official.
    #[error("only officials of the household's region acknowledge its alerts")]
    Forbidden,
    /// No such alert in the official's region.
    #[error("alert not found")]
    NotFound,
    /// The note is missing or too long.
    #[error("invalid input: {0}")]
    Invalid(FieldErrors),
    /// Acknowledged already (by whom, when).
    #[error("the alert was acknowledged already")]
    Already(Box<Alert>),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Alert `id` as stored, if there is one.
async fn find(db: &Db, id: i64) -> sqlx::Result<Option<Row>> {
    sqlx::query_as(&format!("{SELECT} WHERE a.id = $1")).bind(id).fetch_optional(db.pool()).await
}

/// Acknowledges alert `id` with `note`, as `actor` — an official whose
/// region holds the household's village. One conditional update: of two
/// officials acknowledging at once, one does, the other is told it was.
pub async fn acknowledge(db: &Db, actor: &Actor, id: i64, note: &str) -> Result<Alert, AckError> {
    let region = actor.official_region().ok_or(AckError::Forbidden)?;
    let viewer = Viewer::of(Some(actor));
    let note = note.trim();
    let chars = note.chars().count();
    if chars == 0 || chars > MAX_ACK_NOTE_CHARS {
        return Err(AckError::Invalid(FieldErrors::one("note", Problem::Length { min: 1, max: MAX_ACK_NOTE_CHARS as i64 })));
    }
    if note.chars().any(crate::validation::forbidden_char) {
        return Err(AckError::Invalid(FieldErrors::one("note", Problem::ForbiddenChars)));
    }
    let Some(row) = find(db, id).await? else { return Err(AckError::NotFound) };
    if !RegionCode::parse(&row.4).is_ok_and(|v| region.contains(v)) {
        return Err(AckError::NotFound);
    }
    let mut tx = db.begin_write().await?;
    let done = sqlx::query(
        "UPDATE monitoring_alerts SET acknowledged_at = $1, acknowledged_by = $2, note = $3 WHERE id = $4 AND acknowledged_at IS NULL",
    )
    .bind(crate::time::now())
    .bind(actor.id)
    .bind(note)
    .bind(id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    let alert = present(&viewer, find(db, id).await?.expect("alerts are never deleted"));
    if done == 0 {
        return Err(AckError::Already(Box::new(alert)));
    }
    tracing::info!(alert.id = id, user.id = actor.id, "monitoring alert acknowledged");
    Ok(alert)
}

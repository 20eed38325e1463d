//! Agencies' settings over HTTP: `PATCH /api/v1/agencies/{org_id}`
//! `{credit_terms_days}` (platform admin) sets an agency's credit terms
//! (账期; `null`: payment before dispatch) through
//! [`crate::orders::terms::set_credit_terms`].

use super::error::{ApiError, ApiResult};
use super::extract::{ApiJson, CurrentUser};
use crate::app::AppState;
use crate::orders::terms::{self, AgencySettings, SettingsError};
use crate::validation::{FieldErrors, Problem};
use axum::Json;
use axum::extract::{Path, State};
use serde_json::{Map, Value};

/// `PATCH /api/v1/agencies/{org_id}` → the agency's settings. A body
/// without `credit_terms_days` changes nothing (and answers the settings).
pub async fn update(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    Path(org_id): Path<String>,
    ApiJson(body): ApiJson<Map<String, Value>>,
) -> ApiResult<Json<AgencySettings>> {
    if !actor.has(crate::auth::Role::PlatformAdmin) {
        return Err(settings_error(SettingsError::Forbidden));
    }
    let org_id = crate::ids::parse(&org_id).ok_or(ApiError::NotFound("agency"))?;
    let days = match body.get("credit_terms_days") {
        None => {
            return terms::agency_settings(&state.db, org_id).await?.map(Json).ok_or(ApiError::NotFound("agency"));
        }
        Some(Value::Null) => None,
        // A whole number in JSON; 30.0, "30" or true are not days.
        Some(Value::Number(n)) if n.as_i64().is_some() => n.as_i64(),
        Some(_) => {
            let problem = Problem::CreditTerms { max: terms::MAX_CREDIT_TERMS_DAYS };
            return Err(ApiError::Invalid(FieldErrors::one("credit_terms_days", problem)));
        }
    };
    let settings = terms::set_credit_terms(&state.db, &actor, org_id, days).await.map_err(settings_error)?;
    Ok(Json(settings))
}

fn settings_error(e: SettingsError) -> ApiError {
    match e {
        SettingsError::Forbidden => ApiError::Forbidden(e.to_string()),
        SettingsError::NotAnAgency => ApiError::NotFound("agency"),
        SettingsError::Invalid(errors) => ApiError::Invalid(errors),
        SettingsError::Db(e) => e.into(),
    }
}

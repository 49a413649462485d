//! The catalog: items and scenarios, readable without logging in.

use std::sync::Arc;

use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;

/// A step of an item.
#[derive(Debug, Serialize, ToSchema)]
pub struct StepDto {
    pub code: String,
    pub name: String,
    pub department: String,
    pub level: String,
    pub time_limit_working_days: u32,
}

/// An item of the catalog (事项).
#[derive(Debug, Serialize, ToSchema)]
pub struct ItemDto {
    pub code: String,
    pub name: String,
    pub short_name: String,
    pub department: String,
    pub level: String,
    pub time_limit_working_days: u32,
    /// The time limits are sample configuration.
    pub time_limits_sample: bool,
    pub steps: Vec<StepDto>,
    /// Material codes, with whether each is required.
    pub materials: Vec<(String, bool)>,
    /// Item codes this one may wait for (its prerequisites in the same application).
    pub may_wait_for: Vec<String>,
    pub exclusive: bool,
}

/// A scenario (场景).
#[derive(Debug, Serialize, ToSchema)]
pub struct ScenarioDto {
    pub code: String,
    pub name: String,
    pub description: String,
    pub required: Vec<String>,
    pub optional: Vec<String>,
}

/// The catalog's items, with the catalog version.
#[derive(Debug, Serialize, ToSchema)]
pub struct ItemsDto {
    pub version: String,
    pub items: Vec<ItemDto>,
}

/// The items of the catalog in force.
#[utoipa::path(get, path = "/api/v1/catalog/items", tag = "catalog", responses((status = 200, body = ItemsDto)))]
pub async fn items(State(state): State<Arc<AppState>>) -> axum::Json<ItemsDto> {
    let c = state.platform.catalogs.current();
    let dept = |code: &str| {
        c.department(code)
            .map_or_else(|| code.to_owned(), |d| d.short_name.clone())
    };
    axum::Json(ItemsDto {
        version: c.version.0.clone(),
        items: c
            .items()
            .iter()
            .map(|i| ItemDto {
                code: i.code.to_string(),
                name: i.name.clone(),
                short_name: i.short_name.clone(),
                department: dept(&i.department),
                level: i.level.label().to_owned(),
                time_limit_working_days: i.time_limit,
                time_limits_sample: i.time_limits_sample,
                steps: i
                    .steps
                    .iter()
                    .map(|s| StepDto {
                        code: s.code.clone(),
                        name: s.name.clone(),
                        department: dept(&s.department),
                        level: s.level.label().to_owned(),
                        time_limit_working_days: s.time_limit,
                    })
                    .collect(),
                materials: i
                    .materials
                    .iter()
                    .map(|m| (m.code.clone(), m.required))
                    .collect(),
                may_wait_for: i
                    .prerequisites
                    .iter()
                    .flat_map(|p| p.satisfied_by.iter().map(ToString::to_string))
                    .collect(),
                exclusive: i.exclusive,
            })
            .collect(),
    })
}

/// The scenarios.
#[utoipa::path(get, path = "/api/v1/catalog/scenarios", tag = "catalog", responses((status = 200, body = Vec<ScenarioDto>)))]
pub async fn scenarios(State(state): State<Arc<AppState>>) -> axum::Json<Vec<ScenarioDto>> {
    let c = state.platform.catalogs.current();
    axum::Json(
        c.scenarios
            .iter()
            .map(|s| ScenarioDto {
                code: s.code.clone(),
                name: s.name.clone(),
                description: s.description.clone(),
                required: s.required.iter().map(ToString::to_string).collect(),
                optional: s.optional.iter().map(ToString::to_string).collect(),
            })
            .collect(),
    )
}

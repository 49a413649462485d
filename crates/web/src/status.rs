//! The status page: is the platform able to take applications, and what is loaded.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Datelike;
use domain::region::RegionLevel;
use domain::time::shanghai;

use service::ports::{CaseStore, Health, RegistryStore};

use crate::AppState;
use crate::layout::{Layout, ModeQuery, render};

struct ItemLine {
    name: String,
    department: String,
    steps: String,
    time_limit: u32,
}

#[derive(Template)]
#[template(path = "status.html")]
struct StatusPage {
    layout: Layout,
    ready: bool,
    problem: String,
    started: String,
    engine: &'static str,
    db_ok: bool,
    catalog_version: String,
    item_count: usize,
    scenario_count: usize,
    calendar_years: String,
    calendar_warning: String,
    county_count: usize,
    zone_count: usize,
    township_count: usize,
    persons: i64,
    cases: Vec<(&'static str, i64)>,
    items: Vec<ItemLine>,
}

fn status_label(key: &str) -> &'static str {
    match key {
        "submitted" => "待受理",
        "awaiting_supplement" => "待补正",
        "in_progress" => "办理中",
        "refused" => "不予受理",
        "withdrawn" => "已撤回",
        "concluded" => "已办结",
        _ => "其他",
    }
}

pub async fn page(State(state): State<Arc<AppState>>, Query(q): Query<ModeQuery>) -> Response {
    let p = &state.platform;
    let store = &p.store;
    let db_ok = store.ping().await;
    let persons = store.count_persons().await.unwrap_or(0);
    let cases = store
        .count_cases_by_status()
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|(k, n)| (status_label(&k), n))
        .collect();
    let catalog = p.catalogs.current();
    let now = p.clock.now().with_timezone(&shanghai());
    let years: Vec<i32> = p.calendar.years().collect();
    let missing: Vec<String> = [now.year(), now.year() + 1]
        .into_iter()
        .filter(|y| !p.calendar.has_year(*y))
        .map(|y| y.to_string())
        .collect();
    let calendar_warning = if missing.is_empty() {
        String::new()
    } else {
        format!(
            "{} 年的节假日安排尚未录入：涉及这些年份的期限按周末计算并标注，请管理员补充",
            missing.join("、")
        )
    };
    let count = |level| p.regions.iter().filter(|r| r.level == level).count();
    let items = catalog
        .items()
        .iter()
        .map(|i| ItemLine {
            name: i.name.clone(),
            department: catalog
                .department(&i.department)
                .map_or_else(|| i.department.clone(), |d| d.short_name.clone()),
            steps: i
                .steps
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>()
                .join(" → "),
            time_limit: i.time_limit,
        })
        .collect();
    let page = StatusPage {
        layout: Layout::new(&q, state.demo),
        ready: db_ok,
        problem: if db_ok {
            String::new()
        } else {
            "数据库无法连接".to_owned()
        },
        started: state
            .started_at
            .with_timezone(&shanghai())
            .format("%Y年%-m月%-d日 %H:%M")
            .to_string(),
        engine: store.engine_name(),
        db_ok,
        catalog_version: catalog.version.0.clone(),
        item_count: catalog.items().len(),
        scenario_count: catalog.scenarios.len(),
        calendar_years: years
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("、"),
        calendar_warning,
        county_count: count(RegionLevel::County),
        zone_count: count(RegionLevel::Zone),
        township_count: count(RegionLevel::Township),
        persons,
        cases,
        items,
    };
    render(
        &page,
        if db_ok {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        },
    )
}

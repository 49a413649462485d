//! The benchmark process's application, as `engine-bench` submits it for every case (and
//! `timeline-dict` drives it among others, so that its rows are represented in the corpus the
//! timeline dictionary is trained on): one applicant of 宿城区 applying for a new certificate
//! and the three department items that follow it, acted on by city-wide staff.

use domain::access::{Role, Scope};
use domain::ids::IdNumber;
use service::auth::Principal;

/// The items applied for, in one application.
pub const ITEMS: [&str; 4] = [
    "cert.new",
    "subsidy.nursing",
    "pension.subsidy",
    "fuel.subsidy",
];

/// The handling county and the township of every applicant's 户籍.
pub const COUNTY: &str = "321302";
pub const TOWNSHIP: &str = "321302001";

/// The applicant's name on every application.
pub const APPLICANT_NAME: &str = "基准测试申请人";

/// The answers given; `testkit::application` fills in every other required field.
pub const ANSWERS: [(&str, &str); 5] = [
    ("applicant.hukou_region", TOWNSHIP),
    ("household.urban", "yes"),
    ("fuel.subsidy.owns_wheelchair", "yes"),
    ("pension.subsidy.student", "no"),
    ("pension.subsidy.employee_pension", "no"),
];

/// The benchmark's working day: its clock starts at 09:00 Asia/Shanghai on this date.
pub const DATE: &str = "2026-11-30";

/// The applicant of case `n`: a valid ID number, unique per n — born n / 900 days after
/// 1970-01-01 (200,000 cases stay within 1970, so every applicant is of 养老保险 age on the
/// benchmark date), sequence 100 + n % 900.
pub fn applicant_id(n: u32) -> IdNumber {
    let days = i64::from(n / 900);
    let seq = 100 + n % 900;
    let birth = chrono::NaiveDate::from_ymd_opt(1970, 1, 1)
        .unwrap_or_default()
        .checked_add_signed(chrono::Duration::days(days))
        .unwrap_or_default();
    testkit::id_number(COUNTY, &birth.format("%Y%m%d").to_string(), seq)
}

/// A member of staff of the city (whose scope covers every case), by role key.
pub fn staff(role: &str) -> Principal {
    Principal::Staff {
        account: format!("{role}-1"),
        role: Role::from_key(role).unwrap_or(Role::Supervisor),
        scope: Scope("321300".to_owned()),
    }
}

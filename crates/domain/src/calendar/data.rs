//! Loading and validating `catalog/calendar.toml`.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, Weekday};
use serde::Deserialize;

use super::{WorkingCalendar, YearData, YearTable, weekend_templates, year_len};

/// The schema version this loader reads.
const SCHEMA: u32 = 1;

/// Why a calendar data file was rejected. Every message names the file, and the year and entry
/// where there is one, so an administrator can find and fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarDataError {
    #[error("{file}: {}格式错误：{message}", line_prefix(*.line))]
    Syntax {
        file: String,
        line: Option<usize>,
        message: String,
    },
    #[error("{file}: 不支持的格式版本 schema = {found}（应为 {SCHEMA}）")]
    UnsupportedSchema { file: String, found: i64 },
    #[error("{file}: 年份 {year} 超出支持的范围")]
    YearOutOfRange { file: String, year: i32 },
    #[error("{file}: {year} 年的数据重复出现")]
    DuplicateYear { file: String, year: i32 },
    #[error("{file}: {year} 年缺少来源 source（发布节假日安排的通知名称）")]
    MissingSource { file: String, year: i32 },
    #[error("{file}: {year} 年没有列出任何放假日期（days_off）")]
    NoDaysOff { file: String, year: i32 },
    #[error(
        "{file}: {year} 年的条目 \"{entry}\" 不是日期（应为 YYYY-MM-DD 或 YYYY-MM-DD..YYYY-MM-DD）"
    )]
    MalformedEntry {
        file: String,
        year: i32,
        entry: String,
    },
    #[error("{file}: {year} 年的日期 {date} 不属于该年")]
    DateOutsideYear {
        file: String,
        year: i32,
        date: NaiveDate,
    },
    #[error("{file}: {year} 年的区间 \"{entry}\" 起止日期颠倒")]
    ReversedRange {
        file: String,
        year: i32,
        entry: String,
    },
    #[error("{file}: {year} 年的日期 {date} 重复列出")]
    DuplicateDate {
        file: String,
        year: i32,
        date: NaiveDate,
    },
    #[error("{file}: {year} 年的日期 {date} 既列为放假日，又列为调休上班日")]
    OffAndMakeUp {
        file: String,
        year: i32,
        date: NaiveDate,
    },
    #[error("{file}: {year} 年的调休上班日 {date} 是{}，调休上班日应为周六或周日", weekday_label(*.date))]
    MakeUpNotWeekend {
        file: String,
        year: i32,
        date: NaiveDate,
    },
}

impl CalendarDataError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Syntax { .. } => "calendar.syntax",
            Self::UnsupportedSchema { .. } => "calendar.unsupported_schema",
            Self::YearOutOfRange { .. } => "calendar.year_out_of_range",
            Self::DuplicateYear { .. } => "calendar.duplicate_year",
            Self::MissingSource { .. } => "calendar.missing_source",
            Self::NoDaysOff { .. } => "calendar.no_days_off",
            Self::MalformedEntry { .. } => "calendar.malformed_entry",
            Self::DateOutsideYear { .. } => "calendar.date_outside_year",
            Self::ReversedRange { .. } => "calendar.reversed_range",
            Self::DuplicateDate { .. } => "calendar.duplicate_date",
            Self::OffAndMakeUp { .. } => "calendar.off_and_make_up",
            Self::MakeUpNotWeekend { .. } => "calendar.make_up_not_weekend",
        }
    }
}

fn line_prefix(line: Option<usize>) -> String {
    line.map(|l| format!("第 {l} 行：")).unwrap_or_default()
}

fn weekday_label(d: NaiveDate) -> &'static str {
    match d.weekday() {
        Weekday::Mon => "周一",
        Weekday::Tue => "周二",
        Weekday::Wed => "周三",
        Weekday::Thu => "周四",
        Weekday::Fri => "周五",
        Weekday::Sat => "周六",
        Weekday::Sun => "周日",
    }
}

/// Read first, so that a file of another schema version is named as such rather than as a
/// field error.
#[derive(Deserialize)]
struct SchemaOnly {
    schema: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CalendarFile {
    #[serde(rename = "schema")]
    _schema: i64,
    #[serde(default)]
    year: Vec<YearEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YearEntry {
    year: i32,
    source: String,
    #[serde(default)]
    days_off: Vec<String>,
    #[serde(default)]
    make_up_working_days: Vec<String>,
}

/// One year's entries as flags by ordinal0.
struct Marks {
    off: [bool; 366],
    make_up: [bool; 366],
}

impl WorkingCalendar {
    /// Loads and validates a calendar data file; `file_name` is used in error messages.
    ///
    /// Each year must have a source and at least one day off; every date must lie in its year;
    /// a range `a..b` is inclusive with `a ≤ b`; no date may be listed twice, nor both off and
    /// make-up; a make-up working day must be a Saturday or Sunday.
    pub fn from_toml(file_name: &str, text: &str) -> Result<WorkingCalendar, CalendarDataError> {
        let syntax = |e: toml::de::Error| CalendarDataError::Syntax {
            file: file_name.to_owned(),
            line: e.span().map(|span| line_of(text, span.start)),
            message: e.message().to_owned(),
        };
        let schema = toml::from_str::<SchemaOnly>(text).map_err(syntax)?.schema;
        if schema != i64::from(SCHEMA) {
            return Err(CalendarDataError::UnsupportedSchema {
                file: file_name.to_owned(),
                found: schema,
            });
        }
        let file: CalendarFile = toml::from_str(text).map_err(syntax)?;
        let mut years = BTreeMap::new();
        for entry in file.year {
            let year = entry.year;
            let data = load_year(file_name, entry)?;
            if years.insert(year, data).is_some() {
                return Err(CalendarDataError::DuplicateYear {
                    file: file_name.to_owned(),
                    year,
                });
            }
        }
        Ok(WorkingCalendar {
            years,
            weekends_only: weekend_templates(),
        })
    }
}

/// 1-based line number of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset)
        .map_or(0, |before| before.matches('\n').count())
        + 1
}

fn load_year(file: &str, entry: YearEntry) -> Result<YearData, CalendarDataError> {
    let year = entry.year;
    let Some(jan1) = NaiveDate::from_ymd_opt(year, 1, 1).filter(|_| {
        // The whole year must be representable.
        NaiveDate::from_ymd_opt(year, 12, 31).is_some()
    }) else {
        return Err(CalendarDataError::YearOutOfRange {
            file: file.to_owned(),
            year,
        });
    };
    let source = entry.source.trim();
    if source.is_empty() {
        return Err(CalendarDataError::MissingSource {
            file: file.to_owned(),
            year,
        });
    }
    if entry.days_off.is_empty() {
        return Err(CalendarDataError::NoDaysOff {
            file: file.to_owned(),
            year,
        });
    }
    let mut marks = Marks {
        off: [false; 366],
        make_up: [false; 366],
    };
    for item in &entry.days_off {
        for date in expand(file, year, item)? {
            let slot = &mut marks.off[date.ordinal0() as usize];
            if *slot {
                return Err(CalendarDataError::DuplicateDate {
                    file: file.to_owned(),
                    year,
                    date,
                });
            }
            *slot = true;
        }
    }
    for item in &entry.make_up_working_days {
        for date in expand(file, year, item)? {
            let i = date.ordinal0() as usize;
            if marks.make_up[i] {
                return Err(CalendarDataError::DuplicateDate {
                    file: file.to_owned(),
                    year,
                    date,
                });
            }
            if marks.off[i] {
                return Err(CalendarDataError::OffAndMakeUp {
                    file: file.to_owned(),
                    year,
                    date,
                });
            }
            if !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) {
                return Err(CalendarDataError::MakeUpNotWeekend {
                    file: file.to_owned(),
                    year,
                    date,
                });
            }
            marks.make_up[i] = true;
        }
    }
    let jan1_weekday = jan1.weekday().num_days_from_monday() as usize;
    let table = YearTable::from_fn(year_len(year), |i| {
        !marks.off[i] && (marks.make_up[i] || (jan1_weekday + i) % 7 < 5)
    });
    Ok(YearData {
        source: source.to_owned(),
        table,
    })
}

/// The dates of one entry, `YYYY-MM-DD` or the inclusive range `YYYY-MM-DD..YYYY-MM-DD`, all in
/// `year`.
fn expand(
    file: &str,
    year: i32,
    entry: &str,
) -> Result<impl Iterator<Item = NaiveDate>, CalendarDataError> {
    let malformed = || CalendarDataError::MalformedEntry {
        file: file.to_owned(),
        year,
        entry: entry.to_owned(),
    };
    let (first, last) = match entry.split_once("..") {
        Some((a, b)) => (
            parse_date(a).ok_or_else(malformed)?,
            parse_date(b).ok_or_else(malformed)?,
        ),
        None => {
            let d = parse_date(entry).ok_or_else(malformed)?;
            (d, d)
        }
    };
    for date in [first, last] {
        if date.year() != year {
            return Err(CalendarDataError::DateOutsideYear {
                file: file.to_owned(),
                year,
                date,
            });
        }
    }
    if last < first {
        return Err(CalendarDataError::ReversedRange {
            file: file.to_owned(),
            year,
            entry: entry.to_owned(),
        });
    }
    Ok(first.iter_days().take_while(move |d| *d <= last))
}

/// Strictly `YYYY-MM-DD` (four-digit year, two-digit month and day).
fn parse_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    let shape_ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape_ok {
        return None;
    }
    let number = |range: std::ops::Range<usize>| s.get(range)?.parse::<u32>().ok();
    let year = i32::try_from(number(0..4)?).ok()?;
    NaiveDate::from_ymd_opt(year, number(5..7)?, number(8..10)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "catalog/calendar.toml";

    fn load(body: &str) -> Result<WorkingCalendar, CalendarDataError> {
        WorkingCalendar::from_toml(FILE, &format!("schema = 1\n{body}"))
    }

    fn year(year: i32, days_off: &str, make_up: &str) -> String {
        format!(
            "[[year]]\nyear = {year}\nsource = \"通知\"\ndays_off = [{days_off}]\nmake_up_working_days = [{make_up}]\n"
        )
    }

    fn rejected(body: &str) -> CalendarDataError {
        match load(body) {
            Ok(cal) => panic!("accepted invalid data, got {cal:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn validation_errors_name_the_file_year_and_entry() {
        let cases: &[(&str, String, &str, &str)] = &[
            (
                "date outside its year",
                year(2026, r#""2025-12-31..2026-01-03""#, ""),
                "calendar.date_outside_year",
                "catalog/calendar.toml: 2026 年的日期 2025-12-31 不属于该年",
            ),
            (
                "make-up date outside its year",
                year(2026, r#""2026-01-01""#, r#""2027-01-03""#),
                "calendar.date_outside_year",
                "catalog/calendar.toml: 2026 年的日期 2027-01-03 不属于该年",
            ),
            (
                "both off and make-up",
                year(2026, r#""2026-02-14..2026-02-16""#, r#""2026-02-14""#),
                "calendar.off_and_make_up",
                "catalog/calendar.toml: 2026 年的日期 2026-02-14 既列为放假日，又列为调休上班日",
            ),
            (
                "duplicate year",
                format!(
                    "{}{}",
                    year(2025, r#""2025-01-01""#, ""),
                    year(2025, r#""2025-10-01""#, "")
                ),
                "calendar.duplicate_year",
                "catalog/calendar.toml: 2025 年的数据重复出现",
            ),
            (
                "reversed range",
                year(2026, r#""2026-10-07..2026-10-01""#, ""),
                "calendar.reversed_range",
                "catalog/calendar.toml: 2026 年的区间 \"2026-10-07..2026-10-01\" 起止日期颠倒",
            ),
            (
                "overlapping ranges",
                year(2026, r#""2026-10-01..2026-10-07", "2026-10-07""#, ""),
                "calendar.duplicate_date",
                "catalog/calendar.toml: 2026 年的日期 2026-10-07 重复列出",
            ),
            (
                "make-up day on a weekday",
                year(2026, r#""2026-01-01""#, r#""2026-01-05""#),
                "calendar.make_up_not_weekend",
                "catalog/calendar.toml: 2026 年的调休上班日 2026-01-05 是周一，调休上班日应为周六或周日",
            ),
            (
                "loose date format",
                year(2026, r#""2026-1-1""#, ""),
                "calendar.malformed_entry",
                "catalog/calendar.toml: 2026 年的条目 \"2026-1-1\" 不是日期（应为 YYYY-MM-DD 或 YYYY-MM-DD..YYYY-MM-DD）",
            ),
            (
                "impossible date",
                year(2026, r#""2026-02-29""#, ""),
                "calendar.malformed_entry",
                "catalog/calendar.toml: 2026 年的条目 \"2026-02-29\" 不是日期（应为 YYYY-MM-DD 或 YYYY-MM-DD..YYYY-MM-DD）",
            ),
            (
                "year with no days off",
                year(2027, "", ""),
                "calendar.no_days_off",
                "catalog/calendar.toml: 2027 年没有列出任何放假日期（days_off）",
            ),
            (
                "blank source",
                "[[year]]\nyear = 2026\nsource = \" \"\ndays_off = [\"2026-01-01\"]\n".to_owned(),
                "calendar.missing_source",
                "catalog/calendar.toml: 2026 年缺少来源 source（发布节假日安排的通知名称）",
            ),
        ];
        for (what, body, code, message) in cases {
            let e = rejected(body);
            assert_eq!(
                (e.code(), e.to_string().as_str()),
                (*code, *message),
                "{what}"
            );
        }
    }

    #[test]
    fn syntax_errors_name_the_file_and_line() {
        let e = rejected("[[year]]\nyear = 2026\nsource = \"通知\"\ndays_of = [\"2026-01-01\"]\n");
        assert_eq!(e.code(), "calendar.syntax");
        let text = e.to_string();
        assert!(
            text.starts_with("catalog/calendar.toml: 第 5 行：格式错误："),
            "{text}"
        );
        assert!(text.contains("days_of"), "{text}");
    }

    #[test]
    fn another_schema_version_is_named() {
        let e = WorkingCalendar::from_toml(FILE, "schema = 2\n[[year]]\nwhatever = 1\n");
        let e = e.err().map(|e| (e.code(), e.to_string()));
        assert_eq!(
            e,
            Some((
                "calendar.unsupported_schema",
                "catalog/calendar.toml: 不支持的格式版本 schema = 2（应为 1）".to_owned()
            ))
        );
    }

    #[test]
    fn a_valid_file_loads_its_years_and_sources() -> Result<(), CalendarDataError> {
        let body = format!(
            "{}{}",
            year(2026, r#""2026-01-01..2026-01-03""#, r#""2026-01-04""#),
            year(2024, r#""2024-01-01""#, "")
        );
        let cal = load(&body)?;
        assert_eq!(cal.years().collect::<Vec<_>>(), vec![2024, 2026]);
        assert!(cal.has_year(2024) && !cal.has_year(2025));
        assert_eq!(cal.source(2026), Some("通知"));
        assert_eq!(cal.source(2025), None);
        Ok(())
    }

    #[test]
    fn an_empty_file_is_a_calendar_without_data() -> Result<(), CalendarDataError> {
        let cal = load("")?;
        assert_eq!(cal.years().count(), 0);
        Ok(())
    }

    #[test]
    fn parse_date_is_strict() {
        assert_eq!(
            parse_date("2026-02-14"),
            NaiveDate::from_ymd_opt(2026, 2, 14)
        );
        for bad in [
            "2026-2-14",
            " 2026-02-14",
            "2026/02/14",
            "2026-02-30",
            "+202-02-14",
            "",
        ] {
            assert_eq!(parse_date(bad), None, "{bad:?}");
        }
    }
}

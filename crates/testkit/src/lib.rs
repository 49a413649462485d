//! Test support shared by the crates' tests: a fake clock, a test vault, realistic data, and
//! [`app::spawn_app`].

pub mod app;
pub mod scratch;
pub mod serve;

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use domain::ids::{self, IdNumber};
use service::Clock;

/// A clock that stands still until a test moves it.
#[derive(Debug, Clone)]
pub struct FakeClock {
    now: Arc<Mutex<DateTime<Utc>>>,
}

impl FakeClock {
    /// 09:00 Asia/Shanghai on the given date.
    pub fn at(date: &str) -> Self {
        Self {
            now: Arc::new(Mutex::new(morning(date))),
        }
    }

    pub fn set(&self, date: &str) {
        if let Ok(mut now) = self.now.lock() {
            *now = morning(date);
        }
    }

    pub fn advance(&self, by: Duration) {
        if let Ok(mut now) = self.now.lock() {
            *now += by;
        }
    }
}

impl Clock for FakeClock {
    fn now(&self) -> DateTime<Utc> {
        self.now.lock().map(|n| *n).unwrap_or_default()
    }
}

/// 09:00 in Asia/Shanghai (01:00 UTC) on a date written YYYY-MM-DD.
pub fn morning(date: &str) -> DateTime<Utc> {
    let d = NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap_or_default();
    Utc.from_utc_datetime(&d.and_hms_opt(1, 0, 0).unwrap_or_default())
}

/// A vault with fixed test keys (never used outside tests).
pub fn vault() -> service::Vault {
    let key = gm_crypto::DataKey::from_bytes(
        gm_crypto::KeyId::new("test-1").unwrap_or_else(|_| unreachable!("a valid key id")),
        &[7u8; 16],
    )
    .unwrap_or_else(|_| unreachable!("16 bytes"));
    let blind = gm_crypto::BlindIndexKey::from_bytes(&[9u8; 32])
        .unwrap_or_else(|_| unreachable!("32 bytes"));
    service::Vault::new(gm_crypto::Keyring::new(key), blind)
}

/// The test vault after a key rotation: `test-2` seals, `test-1` (the key of [`vault`]) is
/// retired and still opens; the blind-index key is unchanged.
pub fn rotated_vault() -> service::Vault {
    let key = |id: &str, byte: u8| {
        gm_crypto::DataKey::from_bytes(
            gm_crypto::KeyId::new(id).unwrap_or_else(|_| unreachable!("a valid key id")),
            &[byte; 16],
        )
        .unwrap_or_else(|_| unreachable!("16 bytes"))
    };
    let mut keyring = gm_crypto::Keyring::new(key("test-2", 8));
    keyring
        .add_retired(key("test-1", 7))
        .unwrap_or_else(|_| unreachable!("distinct ids"));
    let blind = gm_crypto::BlindIndexKey::from_bytes(&[9u8; 32])
        .unwrap_or_else(|_| unreachable!("32 bytes"));
    service::Vault::new(keyring, blind)
}

/// A valid ID number: a county address code, a birth date (YYYYMMDD) and a sequence (odd = male).
pub fn id_number(address: &str, birth: &str, seq: u32) -> IdNumber {
    let body = format!("{address}{birth}{seq:03}");
    let check = ids::check_character(&body).unwrap_or('0');
    IdNumber::parse(&format!("{body}{check}"))
        .unwrap_or_else(|e| unreachable!("generated ID {body}: {e}"))
}

/// The folder of the shipped reference data (catalog, calendar, regions).
pub fn catalog_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../catalog")
}

/// A complete application for an applicant: the given answers, plus a plausible value for every
/// other required field of the merged form.
pub fn application(
    catalog: &domain::catalog::Catalog,
    id: &IdNumber,
    name: &str,
    items: &[&str],
    answers: &[(&str, &str)],
) -> service::SubmitRequest {
    use domain::catalog::FieldType;
    let codes: Vec<domain::catalog::ItemCode> = items
        .iter()
        .filter_map(|c| domain::catalog::ItemCode::parse(c).ok())
        .collect();
    let form = domain::application::merged_form(catalog, &codes, false);
    let mut map: std::collections::BTreeMap<String, String> = answers
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    map.entry("applicant.name".into())
        .or_insert_with(|| name.to_owned());
    map.entry("applicant.id_number".into())
        .or_insert_with(|| id.as_str().to_owned());
    map.entry("applicant.hukou_region".into())
        .or_insert_with(|| "321302001".to_owned());
    for field in form.fields().filter(|f| f.required) {
        if map.contains_key(&field.def.key) {
            continue;
        }
        let value = match &field.def.ty {
            FieldType::Text { .. } | FieldType::LongText { .. } => {
                "宿城区幸福街道洪泽湖路 1 号".to_owned()
            }
            FieldType::Phone => "13812345678".to_owned(),
            FieldType::Date => "2026-01-15".to_owned(),
            FieldType::Integer { min, .. } => min.unwrap_or(1).to_string(),
            FieldType::Boolean => "no".to_owned(),
            FieldType::Choice { options } => {
                options.first().map(|(v, _)| v.clone()).unwrap_or_default()
            }
            FieldType::Region => "321302001".to_owned(),
            FieldType::BankAccount => "6222021234567890123".to_owned(),
            FieldType::IdNumber => id.as_str().to_owned(),
            FieldType::CertificateNumber => continue,
        };
        map.insert(field.def.key.clone(), value);
    }
    service::SubmitRequest {
        id_number: id.as_str().to_owned(),
        selection: domain::application::Selection {
            scenario: None,
            items: items.iter().map(|s| (*s).to_owned()).collect(),
        },
        answers: map,
        via_agent: false,
    }
}

//! The registry on both engines. Personal data (ID number, name, phone, address, bank account,
//! guardians, certificate number) is sealed by the vault before it reaches SQL and opened after;
//! persons are found by the blind index of their ID number.

use chrono::{DateTime, NaiveDate, Utc};
use domain::catalog::{ItemCode, Period};
use domain::ids::{CertificateNumber, DisabilityCategory, DisabilityGrade, IdNumber};
use domain::region::RegionCode;
use domain::registry::{
    Benefit, BenefitStatus, Certificate, CertificateStatus, Guardian, Household, Person, PersonId,
    PersonStatus, Record,
};
use domain::time::YearMonth;
use service::Vault;
use service::pii::Place;
use service::ports::{RegistryStore, StoreError};
use sqlx::Row;
use std::sync::LazyLock;

use crate::rows::RowGet;
use crate::sql::{Val, bind_all, query, run_rows};
use crate::{Db, db_error};

const PERSON_COLUMNS: &str = "id, id_index, id_number, name, phone, address, bank_account, guardians, sex, \
                              birth_date, hukou, household, status, updated_at";

fn corrupt(what: &str) -> impl Fn(String) -> StoreError + '_ {
    move |e| StoreError::Corrupt(format!("{what}: {e}"))
}

fn seal(vault: &Vault, table: &str, column: &str, id: &str, text: &str) -> Vec<u8> {
    vault.seal_str(Place { table, column, id }, text)
}

fn open(
    vault: &Vault,
    table: &str,
    column: &str,
    id: &str,
    sealed: &[u8],
) -> Result<String, StoreError> {
    vault
        .open_string(Place { table, column, id }, sealed)
        .map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(crate) fn ym(m: YearMonth) -> String {
    format!("{:04}-{:02}", m.year, m.month)
}

fn parse_ym(s: &str) -> Result<YearMonth, StoreError> {
    let (y, m) = s
        .split_once('-')
        .ok_or_else(|| StoreError::Corrupt(format!("month {s}")))?;
    Ok(YearMonth {
        year: y
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("month {s}")))?,
        month: m
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("month {s}")))?,
    })
}

fn date(s: &str) -> Result<NaiveDate, StoreError> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| StoreError::Corrupt(format!("date {s}")))
}

fn json<T: serde::Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(crate) fn person_values(
    vault: &Vault,
    p: &Person,
    now: DateTime<Utc>,
) -> Result<Vec<Val>, StoreError> {
    let id = p.id.0.as_str();
    let opt = |column: &str, v: &Option<String>| {
        v.as_ref().map(|t| seal(vault, "persons", column, id, t))
    };
    let guardians = if p.guardians.is_empty() {
        None
    } else {
        Some(seal(
            vault,
            "persons",
            "guardians",
            id,
            &json(&p.guardians)?,
        ))
    };
    Ok(vec![
        Val::text(id),
        Val::Text(vault.id_index(&p.id_number)),
        Val::Blob(seal(
            vault,
            "persons",
            "id_number",
            id,
            p.id_number.as_str(),
        )),
        Val::Blob(seal(vault, "persons", "name", id, &p.name)),
        Val::OptBlob(opt("phone", &p.phone)),
        Val::OptBlob(opt("address", &p.address)),
        Val::OptBlob(opt("bank_account", &p.bank_account)),
        Val::OptBlob(guardians),
        Val::text(match p.sex {
            domain::ids::Sex::Male => "male",
            domain::ids::Sex::Female => "female",
        }),
        Val::date(p.birth_date),
        Val::text(p.hukou.to_string()),
        Val::Text(json(&p.household)?),
        Val::Text(json(&p.status)?),
        Val::time(now),
    ])
}

fn read_person(vault: &Vault, row: &impl RowGet) -> Result<Person, StoreError> {
    let get_s = |c: &str| row.text(c);
    let id = get_s("id")?;
    let opened = |c: &str| -> Result<Option<String>, StoreError> {
        row.opt_blob(c)?
            .map(|b| open(vault, "persons", c, &id, &b))
            .transpose()
    };
    let id_number_text = opened("id_number")?
        .ok_or_else(|| StoreError::Corrupt("person without ID number".into()))?;
    let id_number =
        IdNumber::parse(&id_number_text).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let guardians: Vec<Guardian> = match opened("guardians")? {
        Some(j) => serde_json::from_str(&j).map_err(|e| corrupt("guardians")(e.to_string()))?,
        None => Vec::new(),
    };
    let household: Household = serde_json::from_str(&get_s("household")?)
        .map_err(|e| corrupt("household")(e.to_string()))?;
    let status: PersonStatus =
        serde_json::from_str(&get_s("status")?).map_err(|e| corrupt("status")(e.to_string()))?;
    Ok(Person {
        sex: id_number.sex(),
        birth_date: date(&get_s("birth_date")?)?,
        name: opened("name")?.unwrap_or_default(),
        phone: opened("phone")?,
        address: opened("address")?,
        bank_account: opened("bank_account")?,
        hukou: RegionCode::parse(&get_s("hukou")?)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        id_number,
        household,
        status,
        guardians,
        id: PersonId(id),
    })
}

pub(crate) fn certificate_values(vault: &Vault, person: &PersonId, c: &Certificate) -> Vec<Val> {
    vec![
        Val::text(person.0.clone()),
        Val::Blob(seal(
            vault,
            "certificates",
            "number",
            &person.0,
            &c.number.as_string(),
        )),
        Val::Int(i64::from(c.category.digit())),
        Val::Int(i64::from(c.grade.get())),
        Val::Int(i64::from(c.lower_limb)),
        Val::text(c.status.key()),
        Val::date(c.issued_on),
        Val::date(c.valid_until),
        Val::text(c.unit.to_string()),
        Val::opt_date(c.cancelled_on),
    ]
}

/// Certificate columns selected beside a person's, prefixed `c_`.
const CERTIFICATE_COLUMNS: &str = "c.number AS c_number, c.category AS c_category, c.grade AS c_grade, \
     c.lower_limb AS c_lower_limb, c.status AS c_status, c.issued_on AS c_issued_on, \
     c.valid_until AS c_valid_until, c.unit AS c_unit, c.cancelled_on AS c_cancelled_on";

fn read_certificate(
    vault: &Vault,
    person: &str,
    row: &impl RowGet,
) -> Result<Option<Certificate>, StoreError> {
    let Some(number) = row.opt_blob("c_number")? else {
        return Ok(None);
    };
    let number = open(vault, "certificates", "number", person, &number)?;
    let category = u8::try_from(row.int("c_category")?).unwrap_or(0);
    let grade = u8::try_from(row.int("c_grade")?).unwrap_or(0);
    let status = row.text("c_status")?;
    Ok(Some(Certificate {
        number: CertificateNumber::parse(&number)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        category: DisabilityCategory::from_digit(category)
            .ok_or_else(|| StoreError::Corrupt("category".into()))?,
        grade: DisabilityGrade::new(grade).ok_or_else(|| StoreError::Corrupt("grade".into()))?,
        lower_limb: row.int("c_lower_limb")? != 0,
        status: CertificateStatus::from_key(&status)
            .ok_or_else(|| StoreError::Corrupt("status".into()))?,
        issued_on: date(&row.text("c_issued_on")?)?,
        valid_until: date(&row.text("c_valid_until")?)?,
        unit: RegionCode::parse(&row.text("c_unit")?)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        cancelled_on: row
            .opt_text("c_cancelled_on")?
            .map(|s| date(&s))
            .transpose()?,
    }))
}

fn period_key(p: Period) -> &'static str {
    match p {
        Period::Month => "month",
        Period::Year => "year",
        Period::Once => "once",
    }
}

pub(crate) fn benefit_values(person: &PersonId, b: &Benefit) -> Vec<Val> {
    vec![
        Val::text(b.id.clone()),
        Val::text(person.0.clone()),
        Val::text(b.item.to_string()),
        Val::text(match b.status {
            BenefitStatus::Active => "active",
            BenefitStatus::Stopped => "stopped",
        }),
        Val::Int(b.amount_fen),
        Val::text(period_key(b.period)),
        Val::Int(i64::from(b.recurring)),
        Val::Text(ym(b.start)),
        Val::OptText(b.end.map(ym)),
        Val::text(b.paying_unit.to_string()),
        Val::OptText(b.stop_reason.clone()),
        Val::OptText(b.case_id.clone()),
    ]
}

/// Benefit columns selected beside a person's, prefixed `b_`.
const BENEFIT_COLUMNS: &str = "b.id AS b_id, b.item AS b_item, b.status AS b_status, b.amount_fen AS b_amount_fen, \
     b.period AS b_period, b.recurring AS b_recurring, b.start_month AS b_start_month, b.end_month AS b_end_month, \
     b.paying_unit AS b_paying_unit, b.stop_reason AS b_stop_reason, b.case_id AS b_case_id";

/// The benefit of a joined row, if the row has one.
fn read_benefit(row: &impl RowGet) -> Result<Option<Benefit>, StoreError> {
    let Some(id) = row.opt_text("b_id")? else {
        return Ok(None);
    };
    let s = |c: &str| row.text(c);
    Ok(Some(Benefit {
        id,
        item: ItemCode::parse(&s("b_item")?).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        status: if s("b_status")? == "active" {
            BenefitStatus::Active
        } else {
            BenefitStatus::Stopped
        },
        amount_fen: row.int("b_amount_fen")?,
        period: match s("b_period")?.as_str() {
            "month" => Period::Month,
            "year" => Period::Year,
            _ => Period::Once,
        },
        recurring: row.int("b_recurring")? != 0,
        start: parse_ym(&s("b_start_month")?)?,
        end: row
            .opt_text("b_end_month")?
            .map(|m| parse_ym(&m))
            .transpose()?,
        paying_unit: RegionCode::parse(&s("b_paying_unit")?)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        stop_reason: row.opt_text("b_stop_reason")?,
        case_id: row.opt_text("b_case_id")?,
    }))
}

const BENEFIT_INSERT: &str = "INSERT INTO benefits (id, person_id, item, status, amount_fen, period, recurring, \
                              start_month, end_month, paying_unit, stop_reason, case_id) VALUES ";
pub(crate) const BENEFIT_INSERT_ONE: &str = "INSERT INTO benefits (id, person_id, item, status, amount_fen, period, \
     recurring, start_month, end_month, paying_unit, stop_reason, case_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)";
pub(crate) const PERSON_INSERT: &str = "INSERT INTO persons (id, id_index, id_number, name, phone, address, \
     bank_account, guardians, sex, birth_date, hukou, household, status, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
const CERTIFICATE_INSERT: &str = "INSERT INTO certificates (person_id, number, category, grade, lower_limb, status, \
     issued_on, valid_until, unit, cancelled_on) VALUES ";
pub(crate) const CERTIFICATE_UPSERT: &str = "INSERT INTO certificates (person_id, number, category, grade, lower_limb, \
     status, issued_on, valid_until, unit, cancelled_on) VALUES (?,?,?,?,?,?,?,?,?,?) \
     ON CONFLICT (person_id) DO UPDATE SET number = excluded.number, category = excluded.category, \
     grade = excluded.grade, lower_limb = excluded.lower_limb, status = excluded.status, \
     issued_on = excluded.issued_on, valid_until = excluded.valid_until, unit = excluded.unit, \
     cancelled_on = excluded.cancelled_on";

/// The person, the certificate and the benefits in one query, one row per benefit, for a person
/// found by `column`; built once per column (each case reads a record twice).
fn record_sql(column: &str) -> String {
    let columns = PERSON_COLUMNS
        .split(", ")
        .map(|c| format!("p.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "SELECT {columns}, {CERTIFICATE_COLUMNS}, {BENEFIT_COLUMNS} FROM persons p \
         LEFT JOIN certificates c ON c.person_id = p.id LEFT JOIN benefits b ON b.person_id = p.id \
         WHERE p.{column} = $1 ORDER BY b.start_month, b.id"
    )
}

static RECORD_BY_ID_INDEX: LazyLock<String> = LazyLock::new(|| record_sql("id_index"));
static RECORD_BY_ID: LazyLock<String> = LazyLock::new(|| record_sql("id"));

impl Db {
    async fn record_where(
        &self,
        sql: &'static str,
        value: &str,
    ) -> Result<Option<Record>, StoreError> {
        let vault = &self.inner.vault;
        let params = [Val::text(value)];
        if let Some(reader) = &self.inner.reader {
            return assemble(vault, &reader.rows(sql, &params)?);
        }
        let rows = bind_all(query(sql.to_owned()), params)
            .fetch_all(&self.inner.pool)
            .await
            .map_err(db_error)?;
        assemble(vault, &rows)
    }
}

/// A record from its joined rows: the person and certificate from the first, one benefit per row.
fn assemble(vault: &Vault, rows: &[impl RowGet]) -> Result<Option<Record>, StoreError> {
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let person = read_person(vault, first)?;
    let certificate = read_certificate(vault, &person.id.0, first)?;
    let mut benefits = Vec::new();
    for row in rows {
        benefits.extend(read_benefit(row)?);
    }
    Ok(Some(Record {
        person,
        certificate,
        benefits,
    }))
}

impl RegistryStore for Db {
    async fn find_by_id_index(&self, index: &str) -> Result<Option<Record>, StoreError> {
        self.record_where(&RECORD_BY_ID_INDEX, index).await
    }

    async fn load_record(&self, person: &PersonId) -> Result<Option<Record>, StoreError> {
        self.record_where(&RECORD_BY_ID, &person.0).await
    }

    async fn insert_records(&self, records: &[Record]) -> Result<u64, StoreError> {
        let vault = &self.inner.vault;
        let now = DateTime::<Utc>::from_timestamp_micros(0).unwrap_or_default();
        let mut tx = self.begin_write().await?;
        let mut persons = Vec::with_capacity(records.len());
        let mut certificates = Vec::new();
        let mut benefits = Vec::new();
        for r in records {
            persons.push(person_values(vault, &r.person, now)?);
            if let Some(c) = &r.certificate {
                certificates.push(certificate_values(vault, &r.person.id, c));
            }
            for b in &r.benefits {
                benefits.push(benefit_values(&r.person.id, b));
            }
        }
        let engine = self.inner.engine;
        let person_head = format!("INSERT INTO persons ({PERSON_COLUMNS}) VALUES ");
        run_rows(&mut tx, engine, &person_head, "", 14, persons).await?;
        run_rows(&mut tx, engine, CERTIFICATE_INSERT, "", 10, certificates).await?;
        run_rows(&mut tx, engine, BENEFIT_INSERT, "", 12, benefits).await?;
        tx.commit().await.map_err(db_error)?;
        Ok(records.len() as u64)
    }

    async fn count_persons(&self) -> Result<i64, StoreError> {
        let row = query("SELECT COUNT(*) AS n FROM persons".into())
            .fetch_one(&self.inner.pool)
            .await
            .map_err(db_error)?;
        row.try_get("n").map_err(db_error)
    }
}

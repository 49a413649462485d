//! The registry (残疾人基础信息库): persons, their certificate and benefits, the facts rules read,
//! and what certificate and benefit events change — including the cascades (注销 stops dependent
//! benefits from the next month, 迁移 moves their paying area, 变更 re-checks them).

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::catalog::{Catalog, Effect, ItemCode, Period};
use crate::ids::{CertificateNumber, DisabilityCategory, DisabilityGrade, IdNumber, Sex};
use crate::region::RegionCode;
use crate::rules::{self, Fact, Facts, Verdict};
use crate::time::YearMonth;

/// A person's identifier in the registry (opaque; a UUID in storage).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PersonId(pub String);

/// Household assistance category (民政 data).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Assistance {
    #[default]
    None,
    LowIncome,
    Dibao,
    Tekun,
}

impl Assistance {
    pub fn key(self) -> &'static str {
        match self {
            Assistance::None => "none",
            Assistance::LowIncome => "low_income",
            Assistance::Dibao => "dibao",
            Assistance::Tekun => "tekun",
        }
    }
}

/// Household facts the rules need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Household {
    pub assistance: Assistance,
    pub work_injury_nursing: bool,
    pub urban: bool,
}

/// Employment, schooling, pension and other status of a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct PersonStatus {
    pub deceased: bool,
    pub student: bool,
    /// A key of `person.education_stage`.
    pub education_stage: Option<String>,
    pub in_employee_pension: bool,
    pub employed: Option<bool>,
    pub able_to_work: Option<bool>,
    pub registered_unemployed: bool,
    pub employment_difficulty: bool,
    pub has_sscard: bool,
    pub owns_motorised_wheelchair: Option<bool>,
    pub orphan_basic_living: bool,
}

/// A guardian (监护人) or agent recorded for a person. Personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Guardian {
    pub name: String,
    pub id_number: IdNumber,
    pub relationship: String,
    pub phone: Option<String>,
}

/// A person of the registry. Name, ID number, phone, address, guardians and accounts are
/// personal data: the store encrypts them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub id: PersonId,
    pub id_number: IdNumber,
    pub name: String,
    pub sex: Sex,
    pub birth_date: NaiveDate,
    /// 户籍: the township (or county) code.
    pub hukou: RegionCode,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub bank_account: Option<String>,
    pub household: Household,
    pub status: PersonStatus,
    pub guardians: Vec<Guardian>,
}

/// Certificate status as stored; expiry is derived from the validity date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CertificateStatus {
    Active,
    /// 户籍 moved out without a certificate transfer.
    Frozen,
    Cancelled,
    Lost,
}

impl CertificateStatus {
    pub fn key(self) -> &'static str {
        match self {
            CertificateStatus::Active => "active",
            CertificateStatus::Frozen => "frozen",
            CertificateStatus::Cancelled => "cancelled",
            CertificateStatus::Lost => "lost",
        }
    }
    pub fn from_key(key: &str) -> Option<Self> {
        match key {
            "active" => Some(Self::Active),
            "frozen" => Some(Self::Frozen),
            "cancelled" => Some(Self::Cancelled),
            "lost" => Some(Self::Lost),
            _ => None,
        }
    }
}

/// A disability certificate (残疾人证).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    pub number: CertificateNumber,
    pub category: DisabilityCategory,
    pub grade: DisabilityGrade,
    pub lower_limb: bool,
    pub status: CertificateStatus,
    pub issued_on: NaiveDate,
    pub valid_until: NaiveDate,
    /// The issuing handling unit (county or zone).
    pub unit: RegionCode,
    pub cancelled_on: Option<NaiveDate>,
}

impl Certificate {
    /// The status on a date: an expired certificate is not active.
    pub fn status_on(&self, date: NaiveDate) -> &'static str {
        match self.status {
            CertificateStatus::Active if self.valid_until < date => "expired",
            s => s.key(),
        }
    }
}

/// Whether a benefit is being paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BenefitStatus {
    Active,
    Stopped,
}

/// A benefit or grant a person receives (from an approved item).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Benefit {
    pub id: String,
    pub item: ItemCode,
    pub status: BenefitStatus,
    pub amount_fen: i64,
    pub period: Period,
    /// A recurring benefit (paid every month or every year until stopped), or a one-off grant.
    pub recurring: bool,
    pub start: YearMonth,
    /// The last month paid, when stopped.
    pub end: Option<YearMonth>,
    pub paying_unit: RegionCode,
    pub stop_reason: Option<String>,
    pub case_id: Option<String>,
}

/// A person with their certificate and benefits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub person: Person,
    pub certificate: Option<Certificate>,
    pub benefits: Vec<Benefit>,
}

/// What a concluded item does to the registry (recorded in the case timeline).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RegistryEffect {
    IssueCertificate {
        category: DisabilityCategory,
        grade: DisabilityGrade,
        lower_limb: bool,
        #[serde(with = "crate::time::date_text")]
        on: NaiveDate,
        unit: RegionCode,
    },
    RenewCertificate {
        #[serde(with = "crate::time::date_text")]
        on: NaiveDate,
    },
    TransferCertificate {
        to_unit: RegionCode,
        #[serde(with = "crate::time::date_text")]
        on: NaiveDate,
    },
    ReissueCertificate {
        #[serde(with = "crate::time::date_text")]
        on: NaiveDate,
    },
    CancelCertificate {
        #[serde(with = "crate::time::date_text")]
        on: NaiveDate,
        reason: String,
    },
    ChangeCertificate {
        category: DisabilityCategory,
        grade: DisabilityGrade,
        lower_limb: bool,
        #[serde(with = "crate::time::date_text")]
        on: NaiveDate,
    },
    GrantBenefit {
        item: ItemCode,
        amount_fen: i64,
        period: Period,
        /// Paid every period until stopped, or a one-off grant for the period.
        recurring: bool,
        start: YearMonth,
        paying_unit: RegionCode,
    },
    SetFlag {
        fact: String,
    },
}

impl RegistryEffect {
    /// The effect in words for the timeline.
    pub fn describe(&self, catalog: &Catalog) -> String {
        match self {
            RegistryEffect::IssueCertificate {
                category, grade, ..
            } => {
                format!("核发残疾人证（{}残疾{}）", category.label(), grade.label())
            }
            RegistryEffect::RenewCertificate { .. } => "换领残疾人证，有效期重新计算".to_owned(),
            RegistryEffect::TransferCertificate { .. } => {
                "残疾人证迁入本地，相关待遇随迁".to_owned()
            }
            RegistryEffect::ReissueCertificate { .. } => "补发残疾人证，原证作废".to_owned(),
            RegistryEffect::CancelCertificate { .. } => {
                "注销残疾人证，相关待遇自次月起停发".to_owned()
            }
            RegistryEffect::ChangeCertificate {
                category, grade, ..
            } => {
                format!(
                    "残疾类别/等级变更为{}残疾{}，复核相关待遇",
                    category.label(),
                    grade.label()
                )
            }
            RegistryEffect::GrantBenefit { item, .. } => {
                format!("登记待遇「{}」", catalog.item_name(item))
            }
            RegistryEffect::SetFlag { fact } => {
                format!(
                    "登记「{}」",
                    Fact::from_key(fact).map_or(fact.as_str(), |f| f.label())
                )
            }
        }
    }
}

/// A change to write to the registry, computed from an effect and the current record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistryChange {
    CertificateSet(Certificate),
    BenefitAdded(Benefit),
    BenefitStopped {
        id: String,
        last_month: YearMonth,
        reason: String,
    },
    BenefitMoved {
        id: String,
        to_unit: RegionCode,
    },
    FlagSet {
        fact: Fact,
    },
}

/// Whole months from `a` to `b` (negative if b is earlier).
fn months_between(a: NaiveDate, b: NaiveDate) -> i64 {
    let mut m = i64::from(b.year() - a.year()) * 12 + i64::from(b.month()) - i64::from(a.month());
    if b.day() < a.day() {
        m -= 1;
    }
    m
}

/// Adds whole years, landing on Feb 28 for Feb 29.
pub fn add_years(date: NaiveDate, years: u32) -> NaiveDate {
    let y = date.year() + i32::try_from(years).unwrap_or(0);
    NaiveDate::from_ymd_opt(y, date.month(), date.day())
        .or_else(|| NaiveDate::from_ymd_opt(y, date.month(), 28))
        .unwrap_or(date)
}

impl Record {
    /// The facts the rules read, as of a date, for an applicant handled by `unit`.
    pub fn facts(&self, as_of: NaiveDate, unit: &RegionCode) -> Facts {
        let p = &self.person;
        let s = &p.status;
        let mut f = Facts::new();
        f.set_int(Fact::PersonAge, i64::from(p.id_number.age_on(as_of)));
        f.set_bool(Fact::PersonDeceased, s.deceased);
        f.set_bool(Fact::PersonStudent, s.student);
        f.set_enum(
            Fact::PersonEducationStage,
            s.education_stage.as_deref().unwrap_or("none"),
        );
        f.set_bool(Fact::PersonInEmployeePension, s.in_employee_pension);
        if let Some(v) = s.employed {
            f.set_bool(Fact::PersonEmployed, v);
        }
        if let Some(v) = s.able_to_work {
            f.set_bool(Fact::PersonAbleToWork, v);
        }
        f.set_bool(Fact::PersonRegisteredUnemployed, s.registered_unemployed);
        f.set_bool(Fact::PersonEmploymentDifficulty, s.employment_difficulty);
        f.set_bool(Fact::PersonHasSscard, s.has_sscard);
        if let Some(v) = s.owns_motorised_wheelchair {
            f.set_bool(Fact::PersonOwnsMotorisedWheelchair, v);
        }
        f.set_bool(Fact::PersonOrphanBasicLiving, s.orphan_basic_living);
        f.set_enum(Fact::HouseholdAssistance, p.household.assistance.key());
        f.set_bool(
            Fact::HouseholdWorkInjuryNursing,
            p.household.work_injury_nursing,
        );
        f.set_bool(Fact::HouseholdUrban, p.household.urban);
        match &self.certificate {
            None => f.set_enum(Fact::CertificateStatus, "none"),
            Some(c) => {
                f.set_enum(Fact::CertificateStatus, c.status_on(as_of));
                f.set_enum(Fact::CertificateCategory, c.category.key());
                f.set_int(Fact::CertificateGrade, i64::from(c.grade.get()));
                f.set_bool(Fact::CertificateLowerLimb, c.lower_limb);
                f.set_int(
                    Fact::CertificateMonthsToExpiry,
                    months_between(as_of, c.valid_until),
                );
                f.set_bool(Fact::CertificateInHukouUnit, &c.unit == unit);
                if let Some(on) = c.cancelled_on {
                    f.set_int(
                        Fact::CertificateMonthsSinceCancellation,
                        months_between(on, as_of),
                    );
                }
            }
        }
        let year = as_of.year();
        let granted: BTreeSet<ItemCode> = self
            .benefits
            .iter()
            .filter(|b| !b.recurring && b.start.year == year)
            .map(|b| b.item.clone())
            .collect();
        f.set_items(Fact::GrantsThisYear, granted);
        let receiving: BTreeSet<ItemCode> = self
            .benefits
            .iter()
            .filter(|b| b.status == BenefitStatus::Active && b.recurring)
            .map(|b| b.item.clone())
            .collect();
        f.set_items(Fact::BenefitsReceiving, receiving);
        f
    }

    /// The changes an effect makes, with its cascades. `new_id` names new benefit records.
    pub fn apply(
        &self,
        effect: &RegistryEffect,
        catalog: &Catalog,
        case_id: &str,
        new_id: &mut dyn FnMut() -> String,
    ) -> Vec<RegistryChange> {
        let mut out = Vec::new();
        let validity = catalog.settings.certificate_validity_years;
        match effect {
            RegistryEffect::IssueCertificate {
                category,
                grade,
                lower_limb,
                on,
                unit,
            } => {
                out.push(RegistryChange::CertificateSet(Certificate {
                    number: CertificateNumber::new(&self.person.id_number, *category, *grade),
                    category: *category,
                    grade: *grade,
                    lower_limb: *lower_limb,
                    status: CertificateStatus::Active,
                    issued_on: *on,
                    valid_until: add_years(*on, validity),
                    unit: unit.clone(),
                    cancelled_on: None,
                }));
            }
            RegistryEffect::RenewCertificate { on } => {
                if let Some(c) = &self.certificate {
                    out.push(RegistryChange::CertificateSet(Certificate {
                        status: CertificateStatus::Active,
                        issued_on: *on,
                        valid_until: add_years(*on, validity),
                        ..c.clone()
                    }));
                }
            }
            RegistryEffect::TransferCertificate { to_unit, .. } => {
                if let Some(c) = &self.certificate {
                    out.push(RegistryChange::CertificateSet(Certificate {
                        status: CertificateStatus::Active,
                        unit: to_unit.clone(),
                        ..c.clone()
                    }));
                }
                for b in self
                    .benefits
                    .iter()
                    .filter(|b| b.status == BenefitStatus::Active)
                {
                    out.push(RegistryChange::BenefitMoved {
                        id: b.id.clone(),
                        to_unit: to_unit.clone(),
                    });
                }
            }
            RegistryEffect::ReissueCertificate { .. } => {
                if let Some(c) = &self.certificate {
                    out.push(RegistryChange::CertificateSet(Certificate {
                        number: c.number.reissued(),
                        status: CertificateStatus::Active,
                        ..c.clone()
                    }));
                }
            }
            RegistryEffect::CancelCertificate { on, reason } => {
                if let Some(c) = &self.certificate {
                    out.push(RegistryChange::CertificateSet(Certificate {
                        status: CertificateStatus::Cancelled,
                        cancelled_on: Some(*on),
                        ..c.clone()
                    }));
                }
                let last = YearMonth::of(*on);
                for b in self.active_benefits_reading(catalog, Fact::CertificateStatus) {
                    out.push(RegistryChange::BenefitStopped {
                        id: b.id.clone(),
                        last_month: last,
                        reason: format!(
                            "残疾人证已注销（{reason}），自{}起停发",
                            last.next().label()
                        ),
                    });
                }
            }
            RegistryEffect::ChangeCertificate {
                category,
                grade,
                lower_limb,
                on,
            } => {
                let Some(c) = &self.certificate else {
                    return out;
                };
                let changed = Certificate {
                    number: c.number.with_category_grade(*category, *grade),
                    category: *category,
                    grade: *grade,
                    lower_limb: *lower_limb,
                    status: CertificateStatus::Active,
                    ..c.clone()
                };
                out.push(RegistryChange::CertificateSet(changed.clone()));
                let after = Record {
                    certificate: Some(changed),
                    ..self.clone()
                };
                let facts = after.facts(*on, &c.unit);
                let last = YearMonth::of(*on);
                let mut seen = BTreeSet::new();
                for fact in [
                    Fact::CertificateCategory,
                    Fact::CertificateGrade,
                    Fact::CertificateLowerLimb,
                ] {
                    for b in self.active_benefits_reading(catalog, fact) {
                        if !seen.insert(b.id.clone()) {
                            continue;
                        }
                        let Some(item) = catalog.item(&b.item) else {
                            continue;
                        };
                        let result = rules::evaluate(catalog, item, &facts, *on, &[]);
                        if result.verdict == Verdict::NotEligible {
                            out.push(RegistryChange::BenefitStopped {
                                id: b.id.clone(),
                                last_month: last,
                                reason: format!(
                                    "残疾类别/等级变更后复核不再符合条件，自{}起停发：{}",
                                    last.next().label(),
                                    result.summary
                                ),
                            });
                        }
                    }
                }
            }
            RegistryEffect::GrantBenefit { .. } | RegistryEffect::SetFlag { .. } => {
                out.extend(
                    changes_without_record(effect, case_id, new_id)
                        .into_iter()
                        .flatten(),
                );
            }
        }
        out
    }

    fn active_benefits_reading<'a>(
        &'a self,
        catalog: &'a Catalog,
        fact: Fact,
    ) -> impl Iterator<Item = &'a Benefit> {
        self.benefits.iter().filter(move |b| {
            b.status == BenefitStatus::Active
                && catalog.item(&b.item).is_some_and(|i| i.reads(fact))
        })
    }
}

/// The changes of an effect that does not depend on the person's current record (registering a
/// benefit, setting a flag); `None` for the certificate effects, which do.
pub fn changes_without_record(
    effect: &RegistryEffect,
    case_id: &str,
    new_id: &mut dyn FnMut() -> String,
) -> Option<Vec<RegistryChange>> {
    let mut out = Vec::new();
    match effect {
        RegistryEffect::GrantBenefit {
            item,
            amount_fen,
            period,
            recurring,
            start,
            paying_unit,
        } => {
            out.push(RegistryChange::BenefitAdded(Benefit {
                id: new_id(),
                item: item.clone(),
                status: if *recurring {
                    BenefitStatus::Active
                } else {
                    BenefitStatus::Stopped
                },
                amount_fen: *amount_fen,
                period: *period,
                recurring: *recurring,
                start: *start,
                end: if *recurring { None } else { Some(*start) },
                paying_unit: paying_unit.clone(),
                stop_reason: None,
                case_id: Some(case_id.to_owned()),
            }));
        }
        RegistryEffect::SetFlag { fact } => {
            if let Some(f) = Fact::from_key(fact) {
                out.push(RegistryChange::FlagSet { fact: f });
            }
        }
        _ => return None,
    }
    Some(out)
}

/// The registry effect of approving an item with this catalog effect, if any.
pub fn effect_of_approval(
    effect: &Effect,
    item: &ItemCode,
    assessment: Option<(DisabilityCategory, DisabilityGrade, bool)>,
    amount: Option<(i64, Period)>,
    on: NaiveDate,
    submitted_on: NaiveDate,
    unit: &RegionCode,
) -> Option<RegistryEffect> {
    Some(match effect {
        Effect::CertificateNew => {
            let (category, grade, lower_limb) = assessment?;
            RegistryEffect::IssueCertificate {
                category,
                grade,
                lower_limb,
                on,
                unit: unit.clone(),
            }
        }
        Effect::CertificateChange => {
            let (category, grade, lower_limb) = assessment?;
            RegistryEffect::ChangeCertificate {
                category,
                grade,
                lower_limb,
                on,
            }
        }
        Effect::CertificateRenew => RegistryEffect::RenewCertificate { on },
        Effect::CertificateTransfer => RegistryEffect::TransferCertificate {
            to_unit: unit.clone(),
            on,
        },
        Effect::CertificateReissue => RegistryEffect::ReissueCertificate { on },
        Effect::CertificateCancel => RegistryEffect::CancelCertificate {
            on,
            reason: "经审核注销".to_owned(),
        },
        Effect::Benefit | Effect::AnnualGrant => {
            let (amount_fen, period) = amount?;
            RegistryEffect::GrantBenefit {
                item: item.clone(),
                amount_fen,
                period,
                recurring: *effect == Effect::Benefit,
                start: YearMonth::of(submitted_on),
                paying_unit: unit.clone(),
            }
        }
        Effect::PersonFlag { fact } => RegistryEffect::SetFlag { fact: fact.clone() },
        Effect::None => return None,
    })
}

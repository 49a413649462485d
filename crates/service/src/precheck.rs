//! The pre-check before applying: per item eligible / not yet / not eligible with the reason,
//! refusals that would stop the submission, the merged form (prefilled from the registry where
//! the caller may see it) and the merged material list.

use std::collections::BTreeMap;

use domain::access::{Permission, Role};
use domain::application::{self, MaterialLine, MergedForm, Selection};
use domain::ids::IdNumber;
use domain::registry::Record;
use domain::rules::{self, Eligibility};
use domain::time::shanghai_date;

use crate::Platform;
use crate::auth::Principal;
use crate::cases::available_proofs;
use crate::error::ServiceError;
use crate::ports::Store;

/// The result of a pre-check.
#[derive(Debug, Clone)]
pub struct Precheck {
    pub items: Vec<domain::catalog::ItemCode>,
    pub eligibility: Vec<Eligibility>,
    /// Items the submission would refuse, with the reason (blocking rules, unmet prerequisites).
    pub refusals: Vec<(domain::catalog::ItemCode, String)>,
    pub form: MergedForm,
    /// Answers known from the registry, by field key (only for the person themself or the
    /// window clerk; personal data).
    pub prefill: BTreeMap<String, String>,
    pub materials: Vec<MaterialLine>,
    /// The person is in the registry.
    pub known: bool,
}

fn prefill(record: &Record) -> BTreeMap<String, String> {
    let p = &record.person;
    let mut out = BTreeMap::new();
    out.insert("applicant.name".to_owned(), p.name.clone());
    out.insert(
        "applicant.id_number".to_owned(),
        p.id_number.as_str().to_owned(),
    );
    out.insert("applicant.hukou_region".to_owned(), p.hukou.to_string());
    if let Some(a) = &p.address {
        out.insert("applicant.address".to_owned(), a.clone());
    }
    if let Some(phone) = &p.phone {
        out.insert("contact.phone".to_owned(), phone.clone());
    }
    if let Some(acc) = &p.bank_account {
        out.insert("payment.bank_account".to_owned(), acc.clone());
    }
    out.insert(
        "household.urban".to_owned(),
        if p.household.urban { "yes" } else { "no" }.to_owned(),
    );
    out
}

impl<S: Store> Platform<S> {
    /// Pre-checks a selection of items for a person.
    pub async fn precheck(
        &self,
        p: &Principal,
        id_number: &str,
        selection: &Selection,
        via_agent: bool,
    ) -> Result<Precheck, ServiceError> {
        if !p.role().may(Permission::Precheck) {
            return Err(ServiceError::Forbidden);
        }
        let id = IdNumber::parse_allowing_legacy(id_number)
            .map_err(|e| {
                ServiceError::field("id_number", e.code(), format!("居民身份证号码：{e}"))
            })?
            .id;
        let index = self.vault.id_index(&id);
        let catalog = self.catalogs.current().clone();
        let items = catalog.check_selection(selection)?;
        let record = self.store.find_by_id_index(&index).await?;
        // Whether someone is in the registry is personal data: a citizen pre-checks only for
        // themselves or a person they are the recorded agent of, and staff see registry facts
        // only of people within their scope (outside it, the person is judged as unknown).
        let (record, may_see) = match p {
            Principal::Citizen { id_index, .. } => {
                let allowed = *id_index == index
                    || match &record {
                        Some(r) => self.store.is_agent_of(id_index, &r.person.id.0).await?,
                        None => false,
                    };
                if !allowed {
                    return Err(ServiceError::field(
                        "id_number",
                        "application.not_own",
                        "只能为本人预审；为他人办理须先在窗口登记监护或代办关系并提交证明",
                    ));
                }
                (record, true)
            }
            Principal::Staff { role, scope, .. } => {
                let in_scope = record.as_ref().is_some_and(|r| {
                    self.regions
                        .handling_place(&r.person.hukou)
                        .is_ok_and(|pl| scope.covers(&pl.path()))
                });
                (
                    record.filter(|_| in_scope),
                    in_scope && *role == Role::WindowClerk,
                )
            }
        };
        if let Some(r) = &record {
            self.audit_read(
                &p.actor(),
                &crate::audit::person_subject(&r.person.id),
                "预审",
            )
            .await?;
        }
        let today = shanghai_date(self.clock.now());
        let facts = match &record {
            Some(r) => {
                let unit = self
                    .regions
                    .handling_place(&r.person.hukou)
                    .map(|pl| pl.unit)
                    .unwrap_or_else(|_| r.person.hukou.clone());
                r.facts(today, &unit)
            }
            None => {
                let mut f = rules::Facts::new();
                f.set_int(rules::Fact::PersonAge, i64::from(id.age_on(today)));
                f.set_enum(rules::Fact::CertificateStatus, "none");
                f
            }
        };
        let mut eligibility = Vec::new();
        let mut refusals = Vec::new();
        for code in &items {
            let Some(item) = catalog.item(code) else {
                continue;
            };
            let others: Vec<_> = items.iter().filter(|c| *c != code).cloned().collect();
            let e = rules::evaluate(&catalog, item, &facts, today, &others);
            if let Some(f) = e
                .blocking_failures()
                .next()
                .or_else(|| e.failed_prerequisites().next())
            {
                refusals.push((code.clone(), format!("{}——{}", f.label, f.detail)));
            }
            eligibility.push(e);
        }
        let form = application::merged_form(&catalog, &items, via_agent);
        let materials = application::merged_materials(
            &catalog,
            &items,
            via_agent,
            &available_proofs(record.as_ref()),
        );
        let known = record.is_some();
        let prefill = match (&record, may_see) {
            (Some(r), true) => prefill(r),
            _ => BTreeMap::new(),
        };
        Ok(Precheck {
            items,
            eligibility,
            refusals,
            form,
            prefill,
            materials,
            known,
        })
    }
}

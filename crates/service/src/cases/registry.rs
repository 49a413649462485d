//! The registry side of a transition: the certificate and benefit effects of concluded items,
//! and the cascade they start (a cancelled certificate stops the benefits that depend on it, a
//! transfer moves where they are paid, a change re-checks them), kept in step in memory so a
//! second effect in the same transition sees the first.

use super::*;

impl<S: Store> Platform<S> {
    /// Registry changes for the certificate and benefit effects among the events, with the
    /// cascade recorded on the timeline.
    pub(super) async fn registry_writes(
        &self,
        next: &mut Case,
        events: &mut Vec<Event>,
        catalog: &Catalog,
        now: DateTime<Utc>,
    ) -> Result<Vec<RegistryWrite>, ServiceError> {
        let effects: Vec<(ItemCode, domain::registry::RegistryEffect)> = events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::RegistryUpdated { item, effect, .. } => {
                    Some((item.clone(), effect.clone()))
                }
                _ => None,
            })
            .collect();
        if effects.is_empty() {
            return Ok(Vec::new());
        }
        let person = next.applicant.clone();
        // Registering a benefit or a flag needs no read; certificate effects read the record once.
        let mut record: Option<Record> = None;
        let mut writes = Vec::new();
        for (item, effect) in effects {
            let changes =
                match domain::registry::changes_without_record(&effect, &next.id.0, &mut || {
                    new_id(now)
                }) {
                    Some(changes) => changes,
                    None => {
                        if record.is_none() {
                            record = self.store.load_record(&person).await?;
                        }
                        let Some(r) = record.as_ref() else {
                            return Err(ServiceError::Unexpected(format!(
                                "applicant {} is not in the registry",
                                person.0
                            )));
                        };
                        r.apply(&effect, catalog, &next.id.0, &mut || new_id(now))
                    }
                };
            let mut cascade = Vec::new();
            for change in changes {
                if let Some(r) = record.as_mut() {
                    apply_to_record(r, &change);
                }
                match change {
                    RegistryChange::CertificateSet(c) => {
                        writes.push(RegistryWrite::CertificateSet {
                            person: person.clone(),
                            certificate: Box::new(c),
                        });
                    }
                    RegistryChange::BenefitAdded(b) => {
                        writes.push(RegistryWrite::BenefitAdded {
                            person: person.clone(),
                            benefit: b,
                        });
                    }
                    RegistryChange::BenefitStopped {
                        id,
                        last_month,
                        reason,
                    } => {
                        cascade.push(reason.clone());
                        writes.push(RegistryWrite::BenefitStopped {
                            id,
                            last_month,
                            reason,
                        });
                    }
                    RegistryChange::BenefitMoved { id, to_unit } => {
                        cascade.push(format!("待遇 {id} 的发放地变更为 {to_unit}"));
                        writes.push(RegistryWrite::BenefitMoved {
                            id,
                            to_unit: to_unit.to_string(),
                        });
                    }
                    RegistryChange::FlagSet { fact } => {
                        writes.push(RegistryWrite::FlagSet {
                            person: person.clone(),
                            fact,
                        });
                    }
                }
            }
            if !cascade.is_empty() {
                let event = next.benefits_adjusted(item, cascade, now);
                next.apply(&event);
                events.push(event);
            }
        }
        Ok(writes)
    }
}

/// Keeps an in-memory record in step with the changes written, so that a second effect in the
/// same transition sees the first.
fn apply_to_record(record: &mut Record, change: &RegistryChange) {
    match change {
        RegistryChange::CertificateSet(c) => record.certificate = Some(c.clone()),
        RegistryChange::BenefitAdded(b) => record.benefits.push(b.clone()),
        RegistryChange::BenefitStopped {
            id,
            last_month,
            reason,
        } => {
            if let Some(b) = record.benefits.iter_mut().find(|b| &b.id == id) {
                b.status = domain::registry::BenefitStatus::Stopped;
                b.end = Some(*last_month);
                b.stop_reason = Some(reason.clone());
            }
        }
        RegistryChange::BenefitMoved { id, to_unit } => {
            if let Some(b) = record.benefits.iter_mut().find(|b| &b.id == id) {
                b.paying_unit = to_unit.clone();
            }
        }
        RegistryChange::FlagSet { .. } => {}
    }
}

/// The facts the items' rules would read for a person (used by the pre-check and demo).
pub fn facts_for(record: &Record, unit: &RegionCode, today: NaiveDate) -> Facts {
    record.facts(today, unit)
}

/// Proofs available without submitting paper: e-licences and shared data the platform can reach
/// for this person.
pub fn available_proofs(record: Option<&Record>) -> BTreeSet<String> {
    let mut proofs: BTreeSet<String> = [
        "居民身份证电子证照",
        "户口簿电子证照",
        "公安户籍迁移信息",
        "人口死亡信息（公安、卫健共享）",
        "民政家庭经济状况核对信息",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    if let Some(r) = record {
        if r.certificate.is_some() {
            proofs.insert("残疾人证电子证照".to_owned());
        }
        if r.person.status.student {
            proofs.insert("教育部门学籍信息".to_owned());
        }
        if matches!(
            r.person.household.assistance,
            domain::registry::Assistance::Dibao
        ) {
            proofs.insert("低保证电子证照".to_owned());
        }
    }
    proofs
}

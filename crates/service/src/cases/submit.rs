//! Submitting an application: validated against the merged form of the selected items, the
//! applicant found or registered, each item judged, one case opened with its number — retried
//! submissions with the same idempotency key return the same case.

use super::*;

/// SM3 of a request, to tell a retry from a different request under the same key.
fn request_hash(r: &SubmitRequest) -> String {
    let canonical = serde_json::json!({
        "id_number": r.id_number.trim(),
        "scenario": r.selection.scenario,
        "items": r.selection.items,
        "answers": r.answers,
        "via_agent": r.via_agent,
    });
    gm_crypto::to_hex(&gm_crypto::sm3(canonical.to_string().as_bytes()))
}

impl<S: Store> Platform<S> {
    /// Submits an application: validates the ID number, the selection and the form; applies
    /// 属地管理; refuses forbidden combinations and unmet prerequisites; records the case and its
    /// number in one transaction.
    pub async fn submit(
        &self,
        principal: &Principal,
        request: SubmitRequest,
    ) -> Result<Submitted, ServiceError> {
        self.submit_with(principal, request, None).await
    }

    /// Submits with an idempotency key (kept 24 hours per caller): a retry of the same request
    /// returns the same case (`true`: a replay); the same key with a different request is
    /// refused. The key is stored in the submission's own transaction.
    pub async fn submit_once(
        &self,
        principal: &Principal,
        key: Option<&str>,
        request: SubmitRequest,
    ) -> Result<(Submitted, bool), ServiceError> {
        let Some(key) = key else {
            return Ok((self.submit(principal, request).await?, false));
        };
        let caller = principal.caller_key();
        let hash = request_hash(&request);
        let now = self.clock.now();
        for _ in 0..2 {
            match self.store.idempotency(&caller, key).await? {
                Some((stored, case_id, _)) if stored == hash => {
                    let view = self.case(&case_id).await?;
                    let number = view.number.ok_or_else(|| {
                        ServiceError::Unexpected("a stored case without a number".into())
                    })?;
                    return Ok((Submitted { case_id, number }, true));
                }
                Some((_, _, at)) if now - at <= chrono::Duration::hours(24) => {
                    return Err(ServiceError::IdempotencyMismatch);
                }
                // Older than 24 hours: the key may be used again.
                Some(_) => self.store.forget_idempotency(&caller, key).await?,
                None => {}
            }
            let record = IdempotencyRecord {
                caller: caller.clone(),
                key: key.to_owned(),
                body_hash: hash.clone(),
                created_at: now,
            };
            match self
                .submit_with(principal, request.clone(), Some(record))
                .await
            {
                // A concurrent retry stored the key first: answer with its case.
                Err(ServiceError::DuplicateKey) => continue,
                other => return other.map(|s| (s, false)),
            }
        }
        Err(ServiceError::DuplicateKey)
    }

    async fn submit_with(
        &self,
        principal: &Principal,
        request: SubmitRequest,
        idempotency: Option<IdempotencyRecord>,
    ) -> Result<Submitted, ServiceError> {
        let (actor, channel) = match principal {
            Principal::Citizen { .. } => (principal.actor(), Channel::Online),
            Principal::Staff {
                role: Role::WindowClerk,
                ..
            } => (principal.actor(), Channel::Window),
            Principal::Staff { .. } => return Err(ServiceError::Forbidden),
        };
        let actor = &actor;
        let catalog = self.catalogs.current().clone();
        // A legacy 15-digit number is converted to 18 digits; the form records the conversion.
        let parsed = IdNumber::parse_allowing_legacy(&request.id_number).map_err(|e| {
            ServiceError::field(
                "applicant.id_number",
                e.code(),
                format!("居民身份证号码：{e}"),
            )
        })?;
        let id_number = parsed.id;
        let items = catalog.check_selection(&request.selection)?;
        let form = application::merged_form(&catalog, &items, request.via_agent);
        let answers = application::validate_answers(&form, &request.answers)
            .map_err(ServiceError::Invalid)?;
        match answers.get("applicant.id_number") {
            Some(Answer::IdNumber(id)) if *id != id_number => {
                return Err(ServiceError::field(
                    "applicant.id_number",
                    "form.id_mismatch",
                    "表中的身份证号码与申请人身份证号码不一致",
                ));
            }
            _ => {}
        }
        let hukou = match answers.get("applicant.hukou_region") {
            Some(Answer::Region(r)) => r.clone(),
            _ => {
                return Err(ServiceError::field(
                    "applicant.hukou_region",
                    "form.required",
                    "请选择户籍所在乡镇（街道）",
                ));
            }
        };
        let place = self.regions.handling_place(&hukou)?;
        if let Principal::Staff { scope, .. } = principal
            && !scope.covers(&place.path())
        {
            return Err(ServiceError::field(
                "applicant.hukou_region",
                "application.outside_window",
                "申请人户籍不在本窗口的受理范围内，请到户籍所在地窗口办理",
            ));
        }
        let now = self.clock.now();
        let today = shanghai_date(now);

        let index = self.vault.id_index(&id_number);
        let existing = self.store.find_by_id_index(&index).await?;
        if let Principal::Citizen { id_index, .. } = principal {
            let own = *id_index == index;
            let agent = match (&existing, request.via_agent) {
                (Some(r), true) => self.store.is_agent_of(id_index, &r.person.id.0).await?,
                _ => false,
            };
            let for_self = own && !request.via_agent;
            if agent
                && !matches!(answers.get("agent.id_number"),
                    Some(Answer::IdNumber(a)) if self.vault.id_index(a) == *id_index)
            {
                return Err(ServiceError::field(
                    "agent.id_number",
                    "form.agent_mismatch",
                    "代办人身份证号码须为当前登录人的号码",
                ));
            }
            if !for_self && !agent {
                return Err(ServiceError::field(
                    "applicant.id_number",
                    "application.not_own",
                    "只能为本人申请；为他人申请须先在窗口登记监护或代办关系并提交证明",
                ));
            }
        }
        let (record, added) = match existing {
            Some(r) => (r, None),
            None => {
                let person = person_from_form(PersonId(new_id(now)), &id_number, &hukou, &answers);
                let record = Record {
                    person: person.clone(),
                    certificate: None,
                    benefits: Vec::new(),
                };
                (record, Some(person))
            }
        };
        let mut facts: Facts = record.facts(today, &place.unit);
        facts.overlay(&answers.facts(&form));

        let case_id = CaseId(new_id(now));
        let new = NewCase {
            id: case_id.clone(),
            applicant: record.person.id.clone(),
            via_agent: request.via_agent,
            channel,
            place,
            items,
            facts,
        };
        let ctx = Ctx {
            catalog: &catalog,
            calendar: &self.calendar,
            now,
            actor,
        };
        let (case, event) = workflow::submit(&ctx, new)?;
        let sealed = self.seal_form(&case_id, 1, &answers)?;
        let audit = AuditEntry::case_change(
            actor,
            "case.submit",
            &case_id,
            "",
            json!({
                "person": record.person.id.0,
                "person_added": added.is_some(),
                "items": case.items.iter().map(|i| i.code.as_str()).collect::<Vec<_>>(),
            }),
            now,
        );
        let commit = CaseCommit {
            case_id: case_id.clone(),
            case: Some(case_row(&case)),
            expected_version: 0,
            events: vec![event],
            tasks: Vec::new(),
            opened_tasks: 0,
            form: Some(sealed),
            registry: added
                .map(|p| vec![RegistryWrite::PersonAdded(Box::new(p))])
                .unwrap_or_default(),
            allocate_number: true,
            idempotency,
            audit: vec![audit],
        };
        let committed = self.store.commit(commit).await?;
        let number = committed
            .number
            .ok_or_else(|| ServiceError::Unexpected("the store allocated no case number".into()))?;
        let slot = self.cache.slot(&case_id);
        *slot.lock().await = Some(Arc::new(Case {
            number: Some(number.clone()),
            ..case
        }));
        tracing::info!(case = %case_id.0, number = %number, "application submitted");
        Ok(Submitted { case_id, number })
    }
}

fn person_from_form(
    id: PersonId,
    id_number: &IdNumber,
    hukou: &RegionCode,
    answers: &FormAnswers,
) -> Person {
    let text = |key: &str| match answers.get(key) {
        Some(Answer::Text(s) | Answer::Phone(s) | Answer::BankAccount(s)) => Some(s.clone()),
        _ => None,
    };
    let urban = matches!(answers.get("household.urban"), Some(Answer::Boolean(true)));
    Person {
        id,
        sex: id_number.sex(),
        birth_date: id_number.birth_date(),
        id_number: id_number.clone(),
        name: text("applicant.name").unwrap_or_default(),
        hukou: hukou.clone(),
        phone: text("contact.phone"),
        address: text("applicant.address"),
        bank_account: text("payment.bank_account"),
        household: Household {
            urban,
            ..Household::default()
        },
        status: PersonStatus::default(),
        guardians: Vec::new(),
    }
}

//! User stories of the case engine, at the domain level (the service and HTTP layers replay them).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

mod common;

use common::{PersonBuilder, World, clerk, code, date};
use domain::ids::{DisabilityCategory, DisabilityGrade};
use domain::workflow::{
    Actor, Assessment, CaseStatus, Decision, EventKind, ItemResult, ItemStatus, SupplementScope,
    TaskStatus,
};

fn reviewer(role: &str) -> Actor {
    Actor::Staff {
        account: format!("{role}-1"),
        role: role.to_owned(),
    }
}

fn approve() -> Decision {
    Decision::Approve {
        assessment: None,
        note: None,
    }
}

/// Decides the open task of an item.
fn decide(w: &World, case: &mut domain::workflow::Case, item: &str, decision: Decision) {
    let task = case
        .active_task(&code(item))
        .unwrap_or_else(|| panic!("no open task for {item}"))
        .id
        .clone();
    w.run(case, &reviewer("reviewer"), |c, ctx| {
        c.decide(ctx, &task, decision)
    });
}

fn approve_all_steps(w: &World, case: &mut domain::workflow::Case, item: &str) {
    while case.item(&code(item)).unwrap().status == ItemStatus::InProgress {
        decide(w, case, item, approve());
    }
}

#[test]
fn new_certificate_with_nursing_and_pension_subsidies_ends_in_one_notice_with_three_results() {
    let w = World::new("2026-11-02");
    let person = PersonBuilder::born("1980-05-01").urban();
    let mut case = w
        .submit(
            &["cert.new", "subsidy.nursing", "pension.subsidy"],
            person.facts("2026-11-02"),
        )
        .unwrap();
    w.run(&mut case, &clerk(), |c, ctx| c.accept(ctx));

    // The two benefits wait for the certificate; the certificate goes to the assessment institution.
    for item in ["subsidy.nursing", "pension.subsidy"] {
        let ci = case.item(&code(item)).unwrap();
        assert_eq!(ci.status, ItemStatus::Waiting, "{item}");
        assert_eq!(ci.waiting_for, vec![code("cert.new")]);
        assert!(case.active_task(&code(item)).is_none());
    }
    let assess = case.active_task(&code("cert.new")).unwrap();
    assert_eq!(assess.department, "assessment");
    assert_eq!(assess.region.as_str(), "321302");

    // Approving the assessment without recording category and grade is refused.
    let task = assess.id.clone();
    let the_clerk = clerk();
    let ctx = w.ctx(&the_clerk);
    assert_eq!(
        case.decide(&ctx, &task, approve()).unwrap_err().code(),
        "task.assessment_required"
    );

    let grade1 = Assessment {
        category: DisabilityCategory::Physical,
        grade: DisabilityGrade::new(1).unwrap(),
        lower_limb: true,
    };
    decide(
        &w,
        &mut case,
        "cert.new",
        Decision::Approve {
            assessment: Some(grade1),
            note: None,
        },
    );
    decide(&w, &mut case, "cert.new", approve()); // 审核
    let events = {
        let task = case.active_task(&code("cert.new")).unwrap().id.clone();
        w.run(&mut case, &reviewer("canlian"), |c, ctx| {
            c.decide(ctx, &task, approve())
        }) // 发证
    };
    assert!(
        events
            .iter()
            .any(|e| matches!(&e.kind, EventKind::RegistryUpdated { .. }))
    );

    // Both benefits start now, judged on the grade the assessment found.
    for item in ["subsidy.nursing", "pension.subsidy"] {
        let ci = case.item(&code(item)).unwrap();
        assert_eq!(ci.status, ItemStatus::InProgress, "{item}");
        assert_eq!(ci.verdict, Some(domain::rules::Verdict::Eligible), "{item}");
        let e = domain::workflow::eligibility_of(&case, &w.catalog, &code(item)).unwrap();
        assert_eq!(
            e.verdict,
            domain::rules::Verdict::Eligible,
            "{item}: {}",
            e.summary
        );
        assert!(e.summary.contains("一级"), "{}", e.summary);
    }
    // The nursing subsidy's first review goes to the township, in parallel with 人社.
    assert_eq!(
        case.active_task(&code("subsidy.nursing"))
            .unwrap()
            .region
            .as_str(),
        "321302001"
    );
    assert_eq!(
        case.active_task(&code("pension.subsidy"))
            .unwrap()
            .department,
        "renshe"
    );

    approve_all_steps(&w, &mut case, "pension.subsidy");
    assert_eq!(case.status, CaseStatus::InProgress);
    approve_all_steps(&w, &mut case, "subsidy.nursing");

    assert_eq!(case.status, CaseStatus::Concluded);
    let notice = case.notice.as_ref().unwrap();
    assert_eq!(notice.items.len(), 3);
    assert!(
        notice
            .items
            .iter()
            .all(|i| i.result == ItemResult::Approved)
    );
    let nursing = notice
        .items
        .iter()
        .find(|i| i.item == code("subsidy.nursing"))
        .unwrap();
    let amount = nursing.amount.as_ref().unwrap();
    assert_eq!(amount.fen, 13000, "urban standard");
    assert_eq!(amount.start.month, 11, "from the month of application");
}

#[test]
fn a_refused_certificate_concludes_the_waiting_benefits_by_themselves_with_the_reason() {
    let w = World::new("2026-11-02");
    let person = PersonBuilder::born("1980-05-01");
    let mut case = w
        .submit(
            &["cert.new", "subsidy.nursing", "pension.subsidy"],
            person.facts("2026-11-02"),
        )
        .unwrap();
    w.run(&mut case, &clerk(), |c, ctx| c.accept(ctx));
    let grade4 = Assessment {
        category: DisabilityCategory::Hearing,
        grade: DisabilityGrade::new(4).unwrap(),
        lower_limb: false,
    };
    decide(
        &w,
        &mut case,
        "cert.new",
        Decision::Approve {
            assessment: Some(grade4),
            note: None,
        },
    );
    let events = {
        let task = case.active_task(&code("cert.new")).unwrap().id.clone();
        w.run(&mut case, &reviewer("canlian"), |c, ctx| {
            c.decide(
                ctx,
                &task,
                Decision::Reject {
                    reason: "评定结果未达到残疾标准".into(),
                },
            )
        })
    };
    // Nobody touched the benefits: the system concluded them.
    let auto: Vec<_> = events
        .iter()
        .filter(|e| {
            matches!(
                &e.kind,
                EventKind::ItemConcluded {
                    result: ItemResult::NotEligible,
                    ..
                }
            )
        })
        .collect();
    assert_eq!(auto.len(), 2);
    assert!(auto.iter().all(|e| e.actor == Actor::System));
    assert_eq!(case.status, CaseStatus::Concluded);
    let notice = case.notice.as_ref().unwrap();
    for item in ["subsidy.nursing", "pension.subsidy"] {
        let line = notice.items.iter().find(|i| i.item == code(item)).unwrap();
        assert_eq!(line.result, ItemResult::NotEligible);
        assert!(line.reason.contains("残疾人证新办"), "{}", line.reason);
        assert!(
            line.reason.contains("评定结果未达到残疾标准"),
            "{}",
            line.reason
        );
    }
    assert!(case.tasks.iter().all(|t| t.item == code("cert.new")));
}

#[test]
fn employment_difficulty_waits_for_the_unemployment_registration_in_the_same_application() {
    let w = World::new("2026-11-02");
    let person = PersonBuilder::born("1990-01-01")
        .certificate(DisabilityCategory::Physical, 3)
        .status(|s| {
            s.employed = Some(false);
            s.able_to_work = Some(true);
        });
    let mut case = w
        .submit(
            &["employment.unemployment", "employment.difficulty"],
            person.facts("2026-11-02"),
        )
        .unwrap();
    w.run(&mut case, &clerk(), |c, ctx| c.accept(ctx));
    let difficulty = case.item(&code("employment.difficulty")).unwrap();
    assert_eq!(difficulty.status, ItemStatus::Waiting);
    assert_eq!(
        difficulty.waiting_for,
        vec![code("employment.unemployment")]
    );
    approve_all_steps(&w, &mut case, "employment.unemployment");
    let difficulty = case.item(&code("employment.difficulty")).unwrap();
    assert_eq!(difficulty.status, ItemStatus::InProgress);
    assert_eq!(difficulty.verdict, Some(domain::rules::Verdict::Eligible));
}

#[test]
fn forbidden_combinations_and_a_second_certificate_are_refused_at_submission() {
    let w = World::new("2026-11-02");
    let holder = PersonBuilder::born("1970-01-01").certificate(DisabilityCategory::Visual, 2);
    let err = w
        .submit(
            &["cert.cancel", "subsidy.living"],
            holder.facts("2026-11-02"),
        )
        .unwrap_err();
    assert_eq!(err.code(), "selection.exclusive");
    assert!(err.to_string().contains("单独申请"), "{err}");
    let err = w
        .submit(&["cert.renew", "cert.change"], holder.facts("2026-11-02"))
        .unwrap_err();
    assert_eq!(err.code(), "selection.same_group");

    let err = w
        .submit(&["cert.new"], holder.facts("2026-11-02"))
        .unwrap_err();
    assert_eq!(err.code(), "application.blocked");
    assert!(err.to_string().contains("已持有残疾人证"), "{err}");

    // A subsidy without a certificate and without 新办 in the application is refused, saying how.
    let nobody = PersonBuilder::born("1970-01-01");
    let err = w
        .submit(&["subsidy.nursing"], nobody.facts("2026-11-02"))
        .unwrap_err();
    assert_eq!(err.code(), "application.prerequisite_missing");
    assert!(err.to_string().contains("残疾人证新办"), "{err}");
}

#[test]
fn a_supplement_request_pauses_the_clock_across_the_national_day_holiday() {
    let mut w = World::new("2026-09-18");
    let person = PersonBuilder::born("1980-05-01").certificate(DisabilityCategory::Physical, 1);
    let mut case = w
        .submit(&["fuel.subsidy"], person.facts("2026-09-18"))
        .unwrap();
    w.run(&mut case, &clerk(), |c, ctx| c.accept(ctx));
    let threshold = w.catalog.settings.due_soon_working_days;
    let due_before = case
        .item(&code("fuel.subsidy"))
        .unwrap()
        .clock
        .as_ref()
        .unwrap()
        .due_date(&w.calendar, date("2026-09-18"));
    let task_due_before = case
        .active_task(&code("fuel.subsidy"))
        .unwrap()
        .clock
        .due_date(&w.calendar, date("2026-09-18"));

    // The reviewer returns the item on 9-24; the applicant supplements on 10-09.
    w.now = common::at("2026-09-24");
    decide(
        &w,
        &mut case,
        "fuel.subsidy",
        Decision::Return {
            reason: "行驶证照片不清晰".into(),
            missing: vec!["机动轮椅车行驶证".into()],
        },
    );
    assert_eq!(
        case.item(&code("fuel.subsidy")).unwrap().status,
        ItemStatus::Returned
    );
    assert_eq!(
        case.active_task(&code("fuel.subsidy")).unwrap().status,
        TaskStatus::Paused
    );
    w.now = common::at("2026-10-09");
    w.run(
        &mut case,
        &Actor::Applicant {
            account: "p-1".into(),
        },
        |c, ctx| c.supplement(ctx, SupplementScope::Item(code("fuel.subsidy"))),
    );

    // Working days paused in (09-24, 10-09]: Sep 28, 29, 30, Oct 8, 9 — five, across the holiday.
    let item_clock = case
        .item(&code("fuel.subsidy"))
        .unwrap()
        .clock
        .clone()
        .unwrap();
    assert_eq!(
        item_clock
            .paused_working_days(&w.calendar, date("2026-10-09"))
            .value,
        5
    );
    let due_after = item_clock.due_date(&w.calendar, date("2026-10-09"));
    assert_eq!(
        due_after.value,
        w.calendar.add_working_days(due_before.value, 5).value
    );
    assert!(due_after.years_without_data.is_empty());
    let task = case.active_task(&code("fuel.subsidy")).unwrap();
    assert_eq!(task.status, TaskStatus::Open);
    assert_eq!(
        task.clock.due_date(&w.calendar, date("2026-10-09")).value,
        w.calendar.add_working_days(task_due_before.value, 5).value
    );
    let status = task
        .deadline(&w.calendar, date("2026-10-09"), threshold)
        .value;
    assert!(!status.paused);
}

#[test]
fn a_case_level_supplement_pauses_every_running_item() {
    let w = World::new("2026-11-02");
    let person = PersonBuilder::born("1980-05-01")
        .certificate(DisabilityCategory::Physical, 1)
        .urban();
    let mut case = w
        .submit(
            &["subsidy.nursing", "fuel.subsidy"],
            person.facts("2026-11-02"),
        )
        .unwrap();
    // At intake the window may ask once; a second request is refused (一次性告知).
    w.run(&mut case, &clerk(), |c, ctx| {
        c.request_supplement(ctx, &["户口簿".into(), "银行卡".into()], "材料不全")
    });
    assert_eq!(case.status, CaseStatus::AwaitingSupplement);
    w.run(
        &mut case,
        &Actor::Applicant {
            account: "p-1".into(),
        },
        |c, ctx| c.supplement(ctx, SupplementScope::Case),
    );
    let the_clerk = clerk();
    let ctx = w.ctx(&the_clerk);
    assert_eq!(
        case.request_supplement(&ctx, &["照片".into()], "又发现缺少")
            .unwrap_err()
            .code(),
        "case.supplement_already_requested"
    );
    w.run(&mut case, &clerk(), |c, ctx| c.accept(ctx));
    w.run(&mut case, &clerk(), |c, ctx| {
        c.request_supplement(ctx, &["身份证复印件".into()], "身份证复印件不清晰")
    });
    assert!(case.tasks.iter().all(|t| t.status == TaskStatus::Paused));
    assert!(
        case.items
            .iter()
            .all(|i| i.clock.as_ref().unwrap().is_paused())
    );
    let task = case.tasks[0].id.clone();
    assert_eq!(
        case.decide(&w.ctx(&clerk()), &task, approve())
            .unwrap_err()
            .code(),
        "case.paused"
    );
}

#[test]
fn withdrawal_before_conclusion_keeps_concluded_items_and_withdraws_the_rest() {
    let w = World::new("2026-11-02");
    let person = PersonBuilder::born("1990-01-01").status(|s| {
        s.employed = Some(false);
        s.able_to_work = Some(true);
    });
    let mut case = w
        .submit(
            &["employment.unemployment", "employment.sscard"],
            person.facts("2026-11-02"),
        )
        .unwrap();
    w.run(&mut case, &clerk(), |c, ctx| c.accept(ctx));
    approve_all_steps(&w, &mut case, "employment.unemployment");
    w.run(
        &mut case,
        &Actor::Applicant {
            account: "p-1".into(),
        },
        |c, ctx| c.withdraw(ctx, "已在外地办理"),
    );
    assert_eq!(case.status, CaseStatus::Withdrawn);
    let notice = case.notice.as_ref().unwrap();
    let result = |i: &str| {
        notice
            .items
            .iter()
            .find(|n| n.item == code(i))
            .unwrap()
            .result
    };
    assert_eq!(result("employment.unemployment"), ItemResult::Approved);
    assert_eq!(result("employment.sscard"), ItemResult::Withdrawn);
    assert!(case.tasks.iter().all(|t| t.status != TaskStatus::Open));
    let the_clerk = clerk();
    let ctx = w.ctx(&the_clerk);
    assert_eq!(
        case.withdraw(&ctx, "again").unwrap_err().code(),
        "case.closed"
    );
}

#[test]
fn every_transition_is_on_the_timeline_with_actor_time_and_reason() {
    let w = World::new("2026-11-02");
    let person = PersonBuilder::born("1980-05-01");
    let mut case = w.submit(&["cert.new"], person.facts("2026-11-02")).unwrap();
    let refusal = w.run(&mut case, &clerk(), |c, ctx| {
        c.refuse(ctx, "申请人户籍不在本县")
    });
    assert_eq!(case.status, CaseStatus::Refused);
    assert_eq!(refusal[0].actor, clerk());
    assert!(
        matches!(&refusal[0].kind, EventKind::AcceptanceRefused { reason, .. } if reason == "申请人户籍不在本县")
    );
    let seqs: Vec<u64> = refusal.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (2..2 + refusal.len() as u64).collect::<Vec<_>>());
    assert_eq!(
        case.notice.as_ref().unwrap().items[0].result,
        ItemResult::NotAccepted
    );
    let the_clerk = clerk();
    let ctx = w.ctx(&the_clerk);
    assert_eq!(
        case.refuse(&ctx, "").unwrap_err().code(),
        "case.reason_required"
    );
}

#[test]
fn a_case_rebuilt_from_its_timeline_equals_the_live_case() {
    let w = World::new("2026-11-02");
    let person = PersonBuilder::born("1980-05-01").urban();
    let actor = Actor::Applicant {
        account: "p-1".into(),
    };
    let (case0, first) = domain::workflow::submit(
        &w.ctx(&actor),
        domain::workflow::NewCase {
            id: domain::workflow::CaseId("c".into()),
            applicant: domain::registry::PersonId("p".into()),
            via_agent: false,
            channel: domain::workflow::Channel::Window,
            place: w
                .regions
                .handling_place(&domain::region::RegionCode::parse("321302001").unwrap())
                .unwrap(),
            items: vec![code("cert.new"), code("subsidy.nursing")],
            facts: person.facts("2026-11-02"),
        },
    )
    .unwrap();
    let mut case = case0;
    let mut timeline = vec![first];
    timeline.extend(w.run(&mut case, &clerk(), |c, ctx| c.accept(ctx)));
    let a = Assessment {
        category: DisabilityCategory::Mental,
        grade: DisabilityGrade::new(3).unwrap(),
        lower_limb: false,
    };
    let task = case.active_task(&code("cert.new")).unwrap().id.clone();
    timeline.extend(w.run(&mut case, &clerk(), |c, ctx| {
        c.decide(
            ctx,
            &task,
            Decision::Approve {
                assessment: Some(a),
                note: None,
            },
        )
    }));
    let json = serde_json::to_string(&timeline).unwrap();
    let back: Vec<domain::workflow::Event> = serde_json::from_str(&json).unwrap();
    let rebuilt = domain::workflow::Case::replay(case.id.clone(), &back).unwrap();
    assert_eq!(rebuilt, case);
}

#[test]
fn a_parameter_version_after_submission_leaves_the_case_alone_and_applies_to_later_cases() {
    // Administrator adds: from 2027-01-01 the urban nursing subsidy is 150 元 and the pension
    // subsidy age limit 64.
    let mut sources = common::sources();
    let params = sources
        .files
        .iter_mut()
        .find(|f| f.path == "parameters.toml")
        .unwrap();
    params.text = params
        .text
        .replace(
            "from = \"2023-04-01\"\namount = \"130.00\"",
            "from = \"2023-04-01\"\namount = \"130.00\"\n[[parameter.version]]\nfrom = \"2027-01-01\"\namount = \"150.00\"",
        )
        .replace(
            "key = \"pension.max_age\"\nlabel = \"养老保险补助最高年龄\"\ntype = \"int\"\nunit = \"周岁\"\nsource = \"pension-severe\"\nsample = true\n[[parameter.version]]\nfrom = \"2018-01-01\"\nvalue = 59",
            "key = \"pension.max_age\"\nlabel = \"养老保险补助最高年龄\"\ntype = \"int\"\nunit = \"周岁\"\nsource = \"pension-severe\"\nsample = true\n[[parameter.version]]\nfrom = \"2018-01-01\"\nvalue = 59\n[[parameter.version]]\nfrom = \"2027-01-01\"\nvalue = 64",
        );
    let catalog = domain::catalog::Catalog::load(&sources).unwrap_or_else(|e| panic!("{e}"));
    let person = PersonBuilder::born("1966-06-01")
        .certificate(DisabilityCategory::Physical, 1)
        .urban();

    // Submitted on 2026-12-01 (age 60): judged under the 2026 parameters, even when decided in 2027.
    let mut w = World {
        catalog,
        ..World::new("2026-12-01")
    };
    let mut early = w
        .submit(
            &["subsidy.nursing", "pension.subsidy"],
            person.facts("2026-12-01"),
        )
        .unwrap();
    w.run(&mut early, &clerk(), |c, ctx| c.accept(ctx));
    w.now = common::at("2027-01-15");
    approve_all_steps(&w, &mut early, "subsidy.nursing");
    let nursing = early
        .item(&code("subsidy.nursing"))
        .unwrap()
        .outcome
        .clone()
        .unwrap();
    assert_eq!(nursing.amount.unwrap().fen, 13000);
    assert_eq!(early.rules_as_of, date("2026-12-01"));
    let pension =
        domain::workflow::eligibility_of(&early, &w.catalog, &code("pension.subsidy")).unwrap();
    assert_eq!(
        pension.verdict,
        domain::rules::Verdict::NotEligible,
        "{}",
        pension.summary
    );

    // Submitted on 2027-01-05: the new values apply.
    w.now = common::at("2027-01-05");
    let mut late = w
        .submit(
            &["subsidy.nursing", "pension.subsidy"],
            person.facts("2027-01-05"),
        )
        .unwrap();
    w.run(&mut late, &clerk(), |c, ctx| c.accept(ctx));
    approve_all_steps(&w, &mut late, "subsidy.nursing");
    let nursing = late
        .item(&code("subsidy.nursing"))
        .unwrap()
        .outcome
        .clone()
        .unwrap();
    assert_eq!(nursing.amount.unwrap().fen, 15000);
    let pension =
        domain::workflow::eligibility_of(&late, &w.catalog, &code("pension.subsidy")).unwrap();
    assert_eq!(
        pension.verdict,
        domain::rules::Verdict::Eligible,
        "{}",
        pension.summary
    );
}

//! What staff and applicants decide, in a realistic mix: most tasks approved, rejections mostly
//! where the rules found the applicant not eligible, some returns for a supplement, assessments
//! recording varied categories and grades; the reasons written as on real notices.

use domain::catalog::{Catalog, ItemCode, StepKind};
use domain::ids::{DisabilityCategory, DisabilityGrade};
use domain::rules::Verdict;
use domain::workflow::{Assessment, Case, Decision, Task};
use rand::RngExt as _;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom as _;

/// At intake: ask for a supplement once (一次性告知), refuse, or (the applicant) withdraw.
pub const INTAKE_SUPPLEMENT: f64 = 0.06;
pub const INTAKE_REFUSAL: f64 = 0.03;
pub const EARLY_WITHDRAWAL: f64 = 0.01;
/// While the case waits for a supplement, the applicant gives up.
pub const WITHDRAW_WHEN_ASKED: f64 = 0.12;
/// Once per case in progress: a case-level supplement request after acceptance.
pub const LATE_CASE_SUPPLEMENT: f64 = 0.015;
/// Before any step of a case in progress: the applicant withdraws.
pub const WITHDRAWAL: f64 = 0.008;

fn weighted<T: Copy>(rng: &mut StdRng, table: &[(T, u32)]) -> Option<T> {
    let total: u32 = table.iter().map(|(_, w)| w).sum();
    let mut x = rng.random_range(0..total.max(1));
    for (v, w) in table {
        if x < *w {
            return Some(*v);
        }
        x -= w;
    }
    None
}

/// One of a list of texts.
pub fn one(rng: &mut StdRng, list: &[&str]) -> String {
    (*list.choose(rng).unwrap_or(&"")).to_owned()
}

/// What an assessment finds.
pub fn assessment(rng: &mut StdRng) -> Option<Assessment> {
    // The shares of `serve --mode demo`'s registry (Appendix D).
    let category = weighted(rng, &service::demo::CATEGORIES)?;
    let grade = DisabilityGrade::new(weighted(rng, &service::demo::GRADES)?)?;
    let lower_limb = match category {
        DisabilityCategory::Physical => rng.random_bool(0.55),
        DisabilityCategory::Multiple => rng.random_bool(0.2),
        _ => false,
    };
    Some(Assessment {
        category,
        grade,
        lower_limb,
    })
}

/// A reviewer's decision on a task; `returned` if it was returned for a supplement before
/// (it is not returned twice).
pub fn decision(
    rng: &mut StdRng,
    catalog: &Catalog,
    case: &Case,
    task: &Task,
    returned: bool,
) -> Decision {
    let verdict = case.item(&task.item).and_then(|i| i.verdict);
    let not_eligible = verdict == Some(Verdict::NotEligible);
    let reject = match task.kind {
        StepKind::Assessment => 0.06,
        StepKind::Review | StepKind::Approval => match verdict {
            Some(Verdict::NotEligible) => 0.85,
            Some(Verdict::NotYet) => 0.08,
            _ => 0.03,
        },
        StepKind::Publicity => 0.02,
        StepKind::Issue | StepKind::Payment => 0.005,
    };
    let send_back = match task.kind {
        _ if returned || not_eligible => 0.0,
        StepKind::Assessment => 0.04,
        StepKind::Review => 0.07,
        StepKind::Approval => 0.03,
        _ => 0.0,
    };
    let x: f64 = rng.random();
    if x < reject {
        return Decision::Reject {
            reason: rejection(rng, &task.item, task.kind),
        };
    }
    if x < reject + send_back {
        let (reason, missing) = if task.kind == StepKind::Assessment {
            (
                "病历资料不全，无法作出评定结论，请补充后重新评定".to_owned(),
                vec!["近期二级以上医院诊断证明及病历资料".to_owned()],
            )
        } else {
            let reasons = [
                "材料不齐全，请一次性补正以下材料",
                "所附材料不清晰，请重新提交",
                "材料信息与申请表不一致，请核对后补正",
            ];
            (one(rng, &reasons), materials(rng, catalog, [&task.item], 2))
        };
        return Decision::Return { reason, missing };
    }
    let last = catalog
        .item(&task.item)
        .is_some_and(|i| i.step(task.step_index + 1).is_none());
    Decision::Approve {
        assessment: if task.kind == StepKind::Assessment {
            assessment(rng)
        } else {
            None
        },
        note: (last && rng.random_bool(0.35)).then(|| approval_note(rng, &task.item, task.kind)),
    }
}

/// Names of 1..=`most` materials the items need: what a supplement request lists.
pub fn materials<'a>(
    rng: &mut StdRng,
    catalog: &Catalog,
    items: impl IntoIterator<Item = &'a ItemCode>,
    most: u32,
) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for code in items {
        for need in catalog
            .item(code)
            .map(|i| i.materials.as_slice())
            .unwrap_or_default()
        {
            if let Some(m) = catalog.materials.get(&need.code)
                && need.required
                && !names.contains(&m.name)
            {
                names.push(m.name.clone());
            }
        }
    }
    let n = rng.random_range(1..=most.max(1)) as usize;
    let mut out: Vec<String> = names.sample(rng, n).cloned().collect();
    if out.is_empty() {
        out.push("居民身份证复印件".to_owned());
    }
    out
}

fn rejection(rng: &mut StdRng, item: &ItemCode, kind: StepKind) -> String {
    let reasons: &[&str] = match (item.as_str(), kind) {
        ("cert.new" | "cert.change", StepKind::Assessment) => &[
            "经评定，申请人残疾程度未达到残疾评定标准",
            "申请人未按约定时间参加评定，经多次联系仍无法评定",
        ],
        ("cert.new", _) => &["经审核，评定结论与申请材料不符，不予办证"],
        ("cert.renew", _) => &["残疾人证尚在有效期内且未损毁，暂不需要换领"],
        ("cert.reissue", _) => &["经核实，申请人残疾人证未遗失，不予补办"],
        ("cert.transfer", _) => &["申请人户籍未迁入本县（区），残疾人证无需迁移"],
        ("cert.change", _) => &["经复评，残疾类别和等级未发生变化，不予变更"],
        ("cert.cancel", _) => &["经核实，持证人仍符合残疾标准，不予注销"],
        ("subsidy.living", _) => &[
            "经核查，申请人家庭不属于低保或低收入家庭",
            "申请人已纳入特困人员救助供养，不重复享受",
        ],
        ("subsidy.nursing", StepKind::Publicity) => &["公示期间收到实名举报，经核实不符合条件"],
        ("subsidy.nursing", _) => &[
            "残疾等级不符合重度残疾人护理补贴发放条件",
            "申请人已领取工伤保险生活护理费，不重复享受",
        ],
        ("pension.subsidy", _) => &[
            "申请人已参加职工基本养老保险，不符合代缴条件",
            "申请人年龄不在代缴范围内",
            "残疾等级不在代缴范围内",
        ],
        ("education.subsidy", _) => &["未能提供有效的在读证明", "申请人就读阶段不在补贴范围内"],
        ("fuel.subsidy", _) => &[
            "申请人本年度已领取燃油补贴",
            "申请人非下肢残疾，不符合燃油补贴条件",
            "未能提供机动轮椅车行驶证",
        ],
        ("employment.unemployment", _) => &[
            "申请人目前处于就业状态，不予办理失业登记",
            "申请人不在法定劳动年龄内",
        ],
        ("employment.difficulty", _) => &[
            "申请人已认定为就业困难人员",
            "经核实，申请人不符合就业困难人员认定条件",
        ],
        ("employment.sscard", _) => &["申请人已持有有效的社会保障卡"],
        _ => &["经审核，不符合办理条件"],
    };
    one(rng, reasons)
}

fn approval_note(rng: &mut StdRng, item: &ItemCode, kind: StepKind) -> String {
    let notes: &[&str] = match (item.as_str(), kind) {
        ("employment.sscard", _) => &["社会保障卡已制卡，请按所选方式领取"],
        (_, StepKind::Issue) => &[
            "残疾人证已制发，请持本人居民身份证到县（区）残联领取",
            "已制证，可邮寄送达",
        ],
        (_, StepKind::Payment) => &["补贴资金已发放至本人社会保障卡金融账户", "已按规定标准发放"],
        (_, StepKind::Publicity) => &["公示期满无异议，自次月起发放"],
        ("cert.cancel", _) => &["经核实，准予注销残疾人证，相关补贴自次月起停发"],
        ("employment.unemployment", _) => &["已办理失业登记，可享受相应就业服务"],
        _ => &["经审核，符合条件，准予办理"],
    };
    one(rng, notes)
}

/// 不予受理 at the window.
pub const REFUSALS: [&str; 4] = [
    "申请人未能提供居民身份证原件，无法核实身份，不予受理",
    "申请材料存在涂改，不予受理",
    "同一事项已有在办件，不予重复受理",
    "经核实，申请人户籍已迁出本市，不属于本窗口受理范围",
];

/// 一次性告知 at intake.
pub const INTAKE_SUPPLEMENTS: [&str; 3] = [
    "一次性告知：申请材料不齐全，请补齐以下材料后再予受理",
    "一次性告知：所附材料不清晰或已过期，请重新提供",
    "一次性告知：请补充以下材料，补齐后即予受理",
];

/// A case-level supplement request after acceptance (pauses every item).
pub const LATE_SUPPLEMENTS: [&str; 2] = [
    "经核查，户籍信息与公安数据不一致，请补充以下材料",
    "部门联审发现材料缺失，请补充以下材料",
];

/// 撤回.
pub const WITHDRAWALS: [&str; 5] = [
    "申请人自愿撤回申请",
    "已在其他地区办理",
    "家庭情况发生变化，暂不申请",
    "材料一时无法补齐，待备齐后重新申请",
    "申请人已去世，家属申请撤回",
];

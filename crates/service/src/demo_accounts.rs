//! Demo staff accounts: one of each role in two counties (宿城区, 宿豫区), townships of each, and
//! the city-level roles. They exist only in demo mode; the password is printed by
//! `yijianshi demo accounts`.

use domain::access::{Role, Scope};
use domain::region::{RegionCode, RegionTree};

use crate::auth::Account;

/// The password of every demo account (demo mode only).
pub const DEMO_PASSWORD: &str = "yjs-demo-2026";

fn account(
    tree: &RegionTree,
    username: &str,
    name: &str,
    role: Role,
    region: &str,
) -> Option<Account> {
    let code = RegionCode::parse(region).ok()?;
    let scope = if &code == tree.city() {
        Scope(code.to_string())
    } else {
        Scope(tree.handling_place(&code).ok()?.path())
    };
    Some(Account {
        id: format!("demo-{username}"),
        username: username.to_owned(),
        display_name: name.to_owned(),
        role,
        region: code,
        scope,
        active: true,
    })
}

/// The demo accounts for a region tree.
pub fn demo_accounts(tree: &RegionTree) -> Vec<Account> {
    let city = tree.city().to_string();
    let mut out = Vec::new();
    for (county, county_name, township, township_name) in [
        ("321302", "宿城区", "321302001", "幸福街道"),
        ("321311", "宿豫区", "321311001", "顺河街道"),
    ] {
        let county_roles = [
            (Role::WindowClerk, "window", "综合窗口受理员"),
            (Role::CanlianReviewer, "canlian", "残联审核员"),
            (Role::MinzhengReviewer, "minzheng", "民政审核员"),
            (Role::RensheReviewer, "renshe", "人社审核员"),
            (Role::Assessor, "assessor", "评残机构医师"),
        ];
        for (role, key, label) in county_roles {
            out.extend(account(
                tree,
                &format!("{key}.{county}"),
                &format!("{county_name}{label}（演示）"),
                role,
                county,
            ));
        }
        out.extend(account(
            tree,
            &format!("township.{township}"),
            &format!("{county_name}{township_name}初审员（演示）"),
            Role::TownshipReviewer,
            township,
        ));
    }
    out.extend(account(
        tree,
        "window.city",
        "市政务服务中心综合窗口（演示）",
        Role::WindowClerk,
        &city,
    ));
    out.extend(account(
        tree,
        "hotline.city",
        "12345 接听员（演示）",
        Role::HotlineOperator,
        &city,
    ));
    out.extend(account(
        tree,
        "supervisor.city",
        "市残联督办员（演示）",
        Role::Supervisor,
        &city,
    ));
    out.extend(account(
        tree,
        "admin",
        "系统管理员（演示）",
        Role::Administrator,
        &city,
    ));
    out
}

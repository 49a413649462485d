//! Who may do what, where: roles, their permissions and their regional scope.
//!
//! Staff act only within their own region (a county reviewer never sees another county's
//! cases); city-level staff see all. A region scope is a path `321300/321302[/321302001]`: a record
//! is in scope when its path equals the scope or lies below it. Queries apply the scope; this
//! module says what the scope and permissions are.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A role (product.md section 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 申请人: a citizen acting for themselves.
    Applicant,
    /// 监护人 / 代办人: a citizen acting for a person through a recorded relationship.
    Agent,
    /// 综合窗口受理员
    WindowClerk,
    /// 乡镇（街道）初审
    TownshipReviewer,
    /// 残联审核
    CanlianReviewer,
    /// 民政审核
    MinzhengReviewer,
    /// 人社审核
    RensheReviewer,
    /// 评残机构
    Assessor,
    /// 12345 接听员
    HotlineOperator,
    /// 督办
    Supervisor,
    /// 管理员
    Administrator,
}

impl Role {
    pub const STAFF: [Role; 9] = [
        Role::WindowClerk,
        Role::TownshipReviewer,
        Role::CanlianReviewer,
        Role::MinzhengReviewer,
        Role::RensheReviewer,
        Role::Assessor,
        Role::HotlineOperator,
        Role::Supervisor,
        Role::Administrator,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Role::Applicant => "applicant",
            Role::Agent => "agent",
            Role::WindowClerk => "window_clerk",
            Role::TownshipReviewer => "township_reviewer",
            Role::CanlianReviewer => "canlian_reviewer",
            Role::MinzhengReviewer => "minzheng_reviewer",
            Role::RensheReviewer => "renshe_reviewer",
            Role::Assessor => "assessor",
            Role::HotlineOperator => "hotline_operator",
            Role::Supervisor => "supervisor",
            Role::Administrator => "administrator",
        }
    }

    pub fn from_key(key: &str) -> Option<Role> {
        [Role::Applicant, Role::Agent]
            .into_iter()
            .chain(Role::STAFF)
            .find(|r| r.key() == key)
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Applicant => "申请人",
            Role::Agent => "监护人或代办人",
            Role::WindowClerk => "综合窗口受理员",
            Role::TownshipReviewer => "乡镇（街道）审核人员",
            Role::CanlianReviewer => "残联审核人员",
            Role::MinzhengReviewer => "民政审核人员",
            Role::RensheReviewer => "人社审核人员",
            Role::Assessor => "评残机构人员",
            Role::HotlineOperator => "12345 接听员",
            Role::Supervisor => "督办人员",
            Role::Administrator => "管理员",
        }
    }

    pub fn is_staff(self) -> bool {
        !matches!(self, Role::Applicant | Role::Agent)
    }

    /// The department whose tasks this role decides (catalog department codes).
    pub fn department(self) -> Option<&'static str> {
        match self {
            Role::TownshipReviewer => Some("township"),
            Role::CanlianReviewer => Some("canlian"),
            Role::MinzhengReviewer => Some("minzheng"),
            Role::RensheReviewer => Some("renshe"),
            Role::Assessor => Some("assessment"),
            _ => None,
        }
    }

    pub fn may(self, permission: Permission) -> bool {
        use Permission::*;
        use Role::*;
        match permission {
            SubmitOwn | WithdrawOwn | SupplementOwn | ReadOwn => matches!(self, Applicant | Agent),
            SubmitAtWindow | Intake => matches!(self, WindowClerk),
            DecideTasks => self.department().is_some(),
            ReadCasesInScope => self.is_staff() && self != Administrator,
            ReadInbox => self.department().is_some(),
            ReadCatalog => true,
            Precheck => matches!(self, Applicant | Agent | WindowClerk | HotlineOperator),
            UploadFiles => matches!(self, Applicant | Agent | WindowClerk),
            ManageAccounts => self == Administrator,
            ReadAudit => matches!(self, Supervisor | Administrator),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// What a role may do (the scope is checked separately, in the queries).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    SubmitOwn,
    WithdrawOwn,
    SupplementOwn,
    ReadOwn,
    SubmitAtWindow,
    /// 受理: accept, refuse, ask for a supplement.
    Intake,
    DecideTasks,
    ReadCasesInScope,
    ReadInbox,
    ReadCatalog,
    Precheck,
    UploadFiles,
    ManageAccounts,
    ReadAudit,
}

/// A region scope: a path prefix on segment boundaries.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Scope(pub String);

impl Scope {
    /// Does a record at `path` lie within this scope?
    pub fn covers(&self, path: &str) -> bool {
        path == self.0
            || (path.starts_with(&self.0) && path.as_bytes().get(self.0.len()) == Some(&b'/'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_match_on_segment_boundaries() {
        let county = Scope("321300/321302".into());
        assert!(county.covers("321300/321302"));
        assert!(county.covers("321300/321302/321302001"));
        assert!(!county.covers("321300/3213021"));
        assert!(!county.covers("321300/321311/321311001"));
        assert!(!county.covers("321300"));
        assert!(Scope("321300".into()).covers("321300/321390/321302102"));
    }

    #[test]
    fn roles_round_trip_and_permissions_follow_the_product() {
        for role in [Role::Applicant, Role::Agent]
            .into_iter()
            .chain(Role::STAFF)
        {
            assert_eq!(Role::from_key(role.key()), Some(role));
        }
        assert!(Role::WindowClerk.may(Permission::Intake));
        assert!(!Role::CanlianReviewer.may(Permission::Intake));
        assert!(Role::MinzhengReviewer.may(Permission::DecideTasks));
        assert!(!Role::Supervisor.may(Permission::DecideTasks));
        assert!(!Role::HotlineOperator.may(Permission::DecideTasks));
        assert!(Role::Supervisor.may(Permission::ReadCasesInScope));
        assert!(!Role::Applicant.may(Permission::ReadCasesInScope));
        assert_eq!(Role::Assessor.department(), Some("assessment"));
    }
}

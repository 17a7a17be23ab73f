//! Staff roles (岗位). The names are part of the interface contract.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 系统管理员: users, departments, categories, routing rules.
    Admin,
    /// 调度员 (district environment bureau): every case, re-routing, merging.
    Dispatcher,
    /// 承办人: cases of their own department.
    Handler,
    /// 审核人: four-eyes review of replies.
    Reviewer,
    /// 奖励审核人: four-eyes review of rewards.
    RewardReviewer,
    /// 财务: records reward payments.
    Finance,
    /// 审计员: reads everything, changes nothing.
    Auditor,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::Admin,
        Role::Dispatcher,
        Role::Handler,
        Role::Reviewer,
        Role::RewardReviewer,
        Role::Finance,
        Role::Auditor,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Dispatcher => "dispatcher",
            Role::Handler => "handler",
            Role::Reviewer => "reviewer",
            Role::RewardReviewer => "reward_reviewer",
            Role::Finance => "finance",
            Role::Auditor => "auditor",
        }
    }

    /// A handler acts for one department, so the account must name it.
    pub fn needs_department(self) -> bool {
        matches!(self, Role::Handler)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownRole(pub String);

impl fmt::Display for UnknownRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
        write!(
            f,
            "unknown role `{}`; expected one of: {}",
            self.0,
            names.join(", ")
        )
    }
}

impl std::error::Error for UnknownRole {}

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_round_trips_through_its_name() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
    }

    #[test]
    fn an_unknown_role_is_refused_with_the_list_of_roles() {
        let err = "superuser".parse::<Role>().unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("superuser"));
        assert!(msg.contains("reward_reviewer"));
    }
}

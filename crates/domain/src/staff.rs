//! CA staff roles and what each may do in the back office. The web layer checks
//! the permission of every route, and the RA checks it again for every action, so
//! a missing check in one place is not a hole.

use std::fmt;
use std::str::FromStr;

use crate::{Msg, ParseError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// 审核: reviews applications.
    Reviewer,
    /// 制证/发货: ships keys, manages certificates (revocation).
    Operator,
    /// 财务: payments, refunds, invoices, bank transfers.
    Finance,
    /// Products, prices and review settings; reads everything.
    Admin,
    /// Read-only: every list and the audit trail, no action.
    Auditor,
    /// 密钥恢复审批员: files and approves the judicial recovery of an
    /// escrowed encryption key (GM/T 0034 §12.5); two of them, neither the
    /// one who asked, must approve before the key is released.
    KeyRecovery,
}

/// One thing a staff member may see or do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Perm {
    /// The application queue and details (materials included).
    ViewApplications,
    /// Claim, approve, return, reject.
    Review,
    /// Mark a mailed key 已发货.
    Ship,
    ViewCertificates,
    Revoke,
    ViewFinance,
    /// Confirm a bank transfer, retry or settle a refund.
    ActFinance,
    ViewProducts,
    EditProducts,
    ViewAudit,
    /// Initialise USB keys for holders and hold their SO PINs in escrow.
    InitTokens,
    /// Issue certificates directly, through the issuing API (an integrator's
    /// RA that did its own vetting).
    Issue,
    /// File, approve and (as the officer who filed it) receive the judicial
    /// recovery of an escrowed encryption key.
    RecoverKeys,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Reviewer,
        Role::Operator,
        Role::Finance,
        Role::Admin,
        Role::Auditor,
        Role::KeyRecovery,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Role::Reviewer => "reviewer",
            Role::Operator => "operator",
            Role::Finance => "finance",
            Role::Admin => "admin",
            Role::Auditor => "auditor",
            Role::KeyRecovery => "key_recovery",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Role::Reviewer => "审核员",
            Role::Operator => "制证/发货",
            Role::Finance => "财务",
            Role::Admin => "管理员",
            Role::Auditor => "审计员",
            Role::KeyRecovery => "密钥恢复审批员",
        }
    }

    /// Separation of duties: whoever decides on applications does not move money
    /// or change prices, and the auditor changes nothing.
    pub fn may(self, perm: Perm) -> bool {
        use Perm as P;
        match self {
            Role::Reviewer => matches!(perm, P::ViewApplications | P::Review | P::ViewCertificates),
            Role::Operator => matches!(
                perm,
                P::ViewApplications
                    | P::Ship
                    | P::ViewCertificates
                    | P::Revoke
                    | P::InitTokens
                    | P::Issue
            ),
            Role::Finance => matches!(perm, P::ViewFinance | P::ActFinance),
            Role::Admin => matches!(
                perm,
                P::ViewApplications
                    | P::ViewCertificates
                    | P::Revoke
                    | P::ViewFinance
                    | P::ViewProducts
                    | P::EditProducts
                    | P::ViewAudit
            ),
            Role::Auditor => matches!(
                perm,
                P::ViewApplications
                    | P::ViewCertificates
                    | P::ViewFinance
                    | P::ViewProducts
                    | P::ViewAudit
            ),
            // Key recovery is no other role's: nobody who reviews, issues or
            // revokes may also take a holder's key out of escrow.
            Role::KeyRecovery => matches!(perm, P::RecoverKeys | P::ViewCertificates),
        }
    }
}

impl FromStr for Role {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL.into_iter().find(|r| r.key() == s).ok_or_else(|| {
            ParseError::invalid(
                "role",
                Msg::new(
                    "unknown role `{value}` (reviewer, operator, finance, admin, auditor, key_recovery)",
                )
                    .arg("value", s),
            )
        })
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_and_unknown_ones_are_named() {
        for r in Role::ALL {
            assert_eq!(r.key().parse::<Role>().unwrap(), r);
        }
        let e = "root".parse::<Role>().unwrap_err();
        assert!(e.to_string().contains("root"));
    }

    #[test]
    fn duties_are_separated() {
        assert!(Role::Reviewer.may(Perm::Review));
        assert!(!Role::Reviewer.may(Perm::ActFinance));
        assert!(!Role::Reviewer.may(Perm::EditProducts));
        assert!(!Role::Finance.may(Perm::Review));
        assert!(!Role::Admin.may(Perm::Review), "admins do not review");
        for p in [
            Perm::Review,
            Perm::Ship,
            Perm::Revoke,
            Perm::ActFinance,
            Perm::EditProducts,
        ] {
            assert!(!Role::Auditor.may(p), "the auditor may not {p:?}");
        }
    }
}

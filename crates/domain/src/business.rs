//! The businesses of the 自助服务 page (图 2.2) and the application state machine
//! (product.md, "Application states").

use std::fmt;
use std::str::FromStr;

use crate::{Msg, ParseError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Business {
    /// 在线新办
    New,
    /// 在线延期
    Renew,
    /// 在线补办
    Reissue,
    /// 签章变更
    SealChange,
    /// 找回密码
    Unlock,
    /// 证书查询与证书变更 (the change of subject)
    Change,
    /// 注销
    Revoke,
}

impl Business {
    /// In the order of 图 2.2.
    pub const SELF_SERVICE: [Business; 6] = [
        Business::New,
        Business::Renew,
        Business::Reissue,
        Business::SealChange,
        Business::Unlock,
        Business::Change,
    ];

    pub const ALL: [Business; 7] = [
        Business::New,
        Business::Renew,
        Business::Reissue,
        Business::SealChange,
        Business::Unlock,
        Business::Change,
        Business::Revoke,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Business::New => "new",
            Business::Renew => "renew",
            Business::Reissue => "reissue",
            Business::SealChange => "seal",
            Business::Unlock => "unlock",
            Business::Change => "change",
            Business::Revoke => "revoke",
        }
    }

    /// The entry's name on 自助服务.
    pub fn entry_zh(self) -> &'static str {
        match self {
            Business::New => "在线新办",
            Business::Renew => "在线延期",
            Business::Reissue => "在线补办",
            Business::SealChange => "签章变更",
            Business::Unlock => "找回密码",
            Business::Change => "证书查询与证书变更",
            Business::Revoke => "证书注销",
        }
    }

    /// The business's own name (个人中心, timeline).
    pub fn name_zh(self) -> &'static str {
        match self {
            Business::Change => "证书变更",
            other => other.entry_zh(),
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            Business::New => "New certificate",
            Business::Renew => "Renewal",
            Business::Reissue => "Reissue",
            Business::SealChange => "E-seal change",
            Business::Unlock => "PIN recovery",
            Business::Change => "Certificate change",
            Business::Revoke => "Revocation",
        }
    }
}

/// What kind of business each one is: the pipeline asks these, so a new
/// business says here, once, how it runs.
impl Business {
    /// Starts from a certificate the holder holds (proved by its key, or one
    /// of their own in 我的证书); 在线新办 starts from nothing and 找回密码
    /// from a key, not an application.
    pub fn starts_from_certificate(self) -> bool {
        match self {
            Business::Change
            | Business::Renew
            | Business::Reissue
            | Business::SealChange
            | Business::Revoke => true,
            Business::New | Business::Unlock => false,
        }
    }

    /// Ends with the certificate replaced by another: one such application
    /// per certificate at a time.
    pub fn replaces_certificate(self) -> bool {
        match self {
            Business::Change | Business::Renew | Business::Reissue => true,
            Business::New | Business::SealChange | Business::Unlock | Business::Revoke => false,
        }
    }

    /// A new key pair is made in the holder's key and the new certificate is
    /// written there by the assistant, proved by the old certificate's key.
    pub fn rekeys(self) -> bool {
        match self {
            Business::Change | Business::Renew => true,
            Business::New
            | Business::Reissue
            | Business::SealChange
            | Business::Unlock
            | Business::Revoke => false,
        }
    }

    /// No key of ours can prove who asks: after approval the certificate is
    /// picked up with a 写入码 (or mailed in a key of the CA's).
    pub fn picked_up(self) -> bool {
        match self {
            Business::New | Business::Reissue => true,
            Business::Change
            | Business::Renew
            | Business::SealChange
            | Business::Unlock
            | Business::Revoke => false,
        }
    }

    /// May be set to need no reviewer (审核人数 0): it carries no new identity
    /// to check.
    pub fn may_skip_review(self) -> bool {
        match self {
            Business::Renew | Business::Revoke => true,
            Business::New
            | Business::Reissue
            | Business::SealChange
            | Business::Unlock
            | Business::Change => false,
        }
    }
}

impl FromStr for Business {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|b| b.key() == s.trim())
            .ok_or_else(|| {
                ParseError::invalid(
                    "business",
                    Msg::new("unknown business `{value}`").arg("value", s),
                )
            })
    }
}

impl fmt::Display for Business {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AppState {
    Draft,
    PendingPayment,
    PendingReview,
    Returned,
    Approved,
    Shipped,
    Completed,
    Rejected,
    Refunding,
    Refunded,
    Cancelled,
}

/// What can happen to an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppAction {
    /// The holder submits a free application, or resubmits after correction.
    SubmitForReview,
    /// The holder submits a paid application.
    SubmitForPayment,
    /// The payment arrived.
    Paid,
    /// The holder (or expiry) cancels.
    Cancel,
    Approve,
    ReturnForCorrection,
    Reject,
    Ship,
    Complete,
    StartRefund,
    Refunded,
}

impl AppState {
    pub const ALL: [AppState; 11] = [
        AppState::Draft,
        AppState::PendingPayment,
        AppState::PendingReview,
        AppState::Returned,
        AppState::Approved,
        AppState::Shipped,
        AppState::Completed,
        AppState::Rejected,
        AppState::Refunding,
        AppState::Refunded,
        AppState::Cancelled,
    ];

    pub fn key(self) -> &'static str {
        match self {
            AppState::Draft => "DRAFT",
            AppState::PendingPayment => "PENDING_PAYMENT",
            AppState::PendingReview => "PENDING_REVIEW",
            AppState::Returned => "RETURNED",
            AppState::Approved => "APPROVED",
            AppState::Shipped => "SHIPPED",
            AppState::Completed => "COMPLETED",
            AppState::Rejected => "REJECTED",
            AppState::Refunding => "REFUNDING",
            AppState::Refunded => "REFUNDED",
            AppState::Cancelled => "CANCELLED",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            AppState::Draft => "编辑中",
            AppState::PendingPayment => "待支付",
            AppState::PendingReview => "待审核",
            AppState::Returned => "退回补正",
            AppState::Approved => "审核通过",
            AppState::Shipped => "已发货",
            AppState::Completed => "已完成",
            AppState::Rejected => "审核不通过",
            AppState::Refunding => "退款中",
            AppState::Refunded => "已退款",
            AppState::Cancelled => "已取消",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            AppState::Draft => "Draft",
            AppState::PendingPayment => "Awaiting payment",
            AppState::PendingReview => "Under review",
            AppState::Returned => "Returned for correction",
            AppState::Approved => "Approved",
            AppState::Shipped => "Shipped",
            AppState::Completed => "Completed",
            AppState::Rejected => "Rejected",
            AppState::Refunding => "Refunding",
            AppState::Refunded => "Refunded",
            AppState::Cancelled => "Cancelled",
        }
    }

    /// Colour class of the status badge.
    pub fn tone(self) -> &'static str {
        match self {
            AppState::Completed | AppState::Approved | AppState::Shipped => "ok",
            AppState::Rejected | AppState::Cancelled | AppState::Refunded => "bad",
            AppState::Returned | AppState::PendingPayment => "warn",
            _ => "info",
        }
    }

    /// The holder may edit the form and materials.
    pub fn editable(self) -> bool {
        matches!(self, AppState::Draft | AppState::Returned)
    }

    /// Still in progress: blocks a second application for the same certificate
    /// and business.
    pub fn unfinished(self) -> bool {
        !matches!(
            self,
            AppState::Completed | AppState::Rejected | AppState::Refunded | AppState::Cancelled
        )
    }

    /// The state `action` leads to from here, if it is allowed.
    pub fn after(self, action: AppAction) -> Option<AppState> {
        use AppAction as A;
        use AppState as S;
        Some(match (self, action) {
            (S::Draft | S::Returned, A::SubmitForReview) => S::PendingReview,
            (S::Draft, A::SubmitForPayment) => S::PendingPayment,
            (S::PendingPayment, A::Paid) => S::PendingReview,
            // Before a decision the holder may withdraw; a payment is refunded.
            (S::Draft | S::PendingPayment | S::PendingReview | S::Returned, A::Cancel) => {
                S::Cancelled
            }
            (S::PendingReview, A::Approve) => S::Approved,
            (S::PendingReview, A::ReturnForCorrection) => S::Returned,
            (S::PendingReview, A::Reject) => S::Rejected,
            (S::Approved, A::Ship) => S::Shipped,
            (S::Approved | S::Shipped, A::Complete) => S::Completed,
            (S::Rejected | S::Cancelled, A::StartRefund) => S::Refunding,
            (S::Refunding, A::Refunded) => S::Refunded,
            _ => return None,
        })
    }
}

impl FromStr for AppState {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|st| st.key() == s)
            .ok_or_else(|| {
                ParseError::invalid("state", Msg::new("unknown state `{value}`").arg("value", s))
            })
    }
}

impl fmt::Display for AppState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_happy_paths_of_product_md() {
        use AppAction as A;
        let free = [A::SubmitForReview, A::Approve, A::Complete];
        let mut s = AppState::Draft;
        for a in free {
            s = s.after(a).unwrap();
        }
        assert_eq!(s, AppState::Completed);
        let paid = [
            A::SubmitForPayment,
            A::Paid,
            A::ReturnForCorrection,
            A::SubmitForReview,
            A::Approve,
            A::Ship,
            A::Complete,
        ];
        let mut s = AppState::Draft;
        for a in paid {
            s = s.after(a).unwrap();
        }
        assert_eq!(s, AppState::Completed);
        let refund = [
            A::SubmitForPayment,
            A::Paid,
            A::Reject,
            A::StartRefund,
            A::Refunded,
        ];
        let mut s = AppState::Draft;
        for a in refund {
            s = s.after(a).unwrap();
        }
        assert_eq!(s, AppState::Refunded);
        // Withdrawn while under review: the payment goes back too.
        let withdrawn = AppState::PendingReview.after(A::Cancel).unwrap();
        assert_eq!(withdrawn.after(A::StartRefund), Some(AppState::Refunding));
    }

    #[test]
    fn forbidden_moves() {
        assert_eq!(AppState::Approved.after(AppAction::Cancel), None);
        assert_eq!(AppState::Refunding.after(AppAction::Cancel), None);
        assert_eq!(AppState::Completed.after(AppAction::Approve), None);
        assert_eq!(AppState::Returned.after(AppAction::SubmitForPayment), None);
        assert_eq!(AppState::Cancelled.after(AppAction::Paid), None);
        for s in AppState::ALL {
            assert_eq!(s.key().parse::<AppState>().unwrap(), s);
        }
    }
}

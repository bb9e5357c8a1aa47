//! The application state machine (product.md, "Application states"); the
//! businesses themselves are in `crate::businesses`.

use std::fmt;
use std::str::FromStr;

use crate::{Msg, ParseError};

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

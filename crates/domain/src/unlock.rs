//! 找回密码 requests, as the review desk decides on them.

use crate::keyed::keyed;

keyed!(
    /// A request to reset a key's PIN (找回密码 from 个人中心).
    UnlockState, "unlock state" {
        Pending => "PENDING", "待审核", "Under review";
        Approved => "APPROVED", "已批准", "Approved";
        Rejected => "REJECTED", "未通过审核", "Refused";
        /// The reset was done with it.
        Used => "USED", "已完成", "Done";
    }
);

impl UnlockState {
    /// Colour class of the status badge.
    pub fn tone(self) -> &'static str {
        match self {
            UnlockState::Pending => "info",
            UnlockState::Approved | UnlockState::Used => "ok",
            UnlockState::Rejected => "bad",
        }
    }
}

//! The states of money as the store keeps them: an order, a refund, and the
//! channel a payment came through. Each is one enum, decoded from its column
//! in `store` and shown with `label_zh`/`label_en`; nothing compares their
//! strings.

use crate::keyed::keyed;

keyed!(
    /// An order of the payment centre.
    OrderState, "order state" {
        Open => "OPEN", "待支付", "Awaiting payment";
        Paid => "PAID", "已支付", "Paid";
        Expired => "EXPIRED", "已过期", "Expired";
        Cancelled => "CANCELLED", "已取消", "Cancelled";
    }
);

impl OrderState {
    /// Colour class of the status badge.
    pub fn tone(self) -> &'static str {
        match self {
            OrderState::Paid => "ok",
            OrderState::Expired | OrderState::Cancelled => "bad",
            OrderState::Open => "warn",
        }
    }
}

keyed!(
    /// A refund, one per captured payment.
    RefundState, "refund state" {
        /// Owed: the job sends it (or finance, for a bank transfer).
        Pending => "PENDING", "退款中", "Refunding";
        Done => "DONE", "已退款", "Refunded";
        /// The channel refused it too often: finance decides.
        Failed => "FAILED", "退款待财务处理", "Waiting for finance";
    }
);

keyed!(
    /// A bank-transfer receipt, as finance decides on it.
    TransferState, "transfer state" {
        Submitted => "SUBMITTED", "待确认", "Awaiting confirmation";
        Confirmed => "CONFIRMED", "已确认", "Confirmed";
        /// Not a payment we can match: the holder is told and may upload another.
        Rejected => "REJECTED", "已退回", "Returned";
    }
);

keyed!(
    /// The ways to pay.
    Channel, "channel" {
        Alipay => "alipay", "支付宝", "Alipay";
        WeChat => "wechat", "微信支付", "WeChat Pay";
        Bank => "bank", "对公转账", "Bank transfer";
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_back() {
        for s in OrderState::ALL {
            assert_eq!(s.key().parse::<OrderState>(), Ok(*s));
        }
        for s in RefundState::ALL {
            assert_eq!(s.key().parse::<RefundState>(), Ok(*s));
        }
        for t in TransferState::ALL {
            assert_eq!(t.key().parse::<TransferState>(), Ok(*t));
        }
        for c in Channel::ALL {
            assert_eq!(c.key().parse::<Channel>(), Ok(*c));
        }
        assert!("paid".parse::<OrderState>().is_err());
        assert!("unionpay".parse::<Channel>().is_err());
    }
}

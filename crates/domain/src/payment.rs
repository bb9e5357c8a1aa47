//! The states of money as the store keeps them: an order, a refund, and the
//! channel a payment came through. Each is one enum, decoded from its column
//! in `store` and shown with `label_zh`/`label_en`; nothing compares their
//! strings.

use std::fmt;
use std::str::FromStr;

use crate::{Msg, ParseError};

/// An enum kept as a short string: its key in the database, its labels for
/// people, and parsing back.
macro_rules! keyed {
    ($(#[$doc:meta])* $name:ident, $what:literal {
        $($(#[$vdoc:meta])* $variant:ident => $key:literal, $zh:literal, $en:literal;)*
    }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)*
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            /// As stored.
            pub fn key(self) -> &'static str {
                match self {
                    $($name::$variant => $key,)*
                }
            }

            pub fn label_zh(self) -> &'static str {
                match self {
                    $($name::$variant => $zh,)*
                }
            }

            pub fn label_en(self) -> &'static str {
                match self {
                    $($name::$variant => $en,)*
                }
            }
        }

        impl FromStr for $name {
            type Err = ParseError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::ALL
                    .iter()
                    .copied()
                    .find(|v| v.key() == s)
                    .ok_or_else(|| {
                        ParseError::invalid(
                            $what,
                            Msg::new("unknown value `{value}`").arg("value", s),
                        )
                    })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.key())
            }
        }
    };
}

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
        for c in Channel::ALL {
            assert_eq!(c.key().parse::<Channel>(), Ok(*c));
        }
        assert!("paid".parse::<OrderState>().is_err());
        assert!("unionpay".parse::<Channel>().is_err());
    }
}

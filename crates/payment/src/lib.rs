//! Payment channels, merchant side, on the gateways' own protocols:
//!
//! - `alipay`: 电脑网站支付 (`alipay.trade.page.pay`), notify verification,
//!   `alipay.trade.query`, `alipay.trade.refund`; RSA2 (SHA256withRSA) signatures
//!   over the sorted `k=v&…` string.
//! - `wechat`: WeChat Pay API v3 Native: order, `WECHATPAY2-SHA256-RSA2048`
//!   request signing, response and notify signature checks, AEAD_AES_256_GCM
//!   notify decryption, query, refund.
//!
//! Real gateway URLs and keys come from configuration; the sandbox gateway
//! (`sim`) implements the other side with its own keys so the same merchant code
//! runs in development and in every test.

pub mod alipay;
pub mod keys;
pub mod rawjson;
pub mod sim;
pub mod wechat;

/// What a channel refused or could not do. The message is for logs and staff,
/// never shown to a holder as is.
#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    #[error("bad key: {0}")]
    Key(String),
    #[error("signature does not verify")]
    Signature,
    #[error("malformed message: {0}")]
    Malformed(String),
    #[error("{field} does not match: expected {expected}, got {got}")]
    Mismatch {
        field: &'static str,
        expected: String,
        got: String,
    },
    #[error("the gateway refused: {0}")]
    Refused(String),
    #[error("cannot reach the gateway: {0}")]
    Http(#[from] reqwest::Error),
}

/// Fen as Alipay writes amounts: yuan with two decimals.
pub fn yuan(fen: i64) -> String {
    format!("{}.{:02}", fen / 100, (fen % 100).abs())
}

/// Alipay's yuan string back to fen; None if it is not exactly two decimals.
pub fn parse_yuan(s: &str) -> Option<i64> {
    let (int, frac) = s.split_once('.').unwrap_or((s, "00"));
    if int.is_empty()
        || frac.len() != 2
        || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
    {
        return None;
    }
    // Checked: an amount past i64's fen (found by the fuzzer) is not an
    // amount, and must not wrap round to one that matches an order.
    int.parse::<i64>()
        .ok()?
        .checked_mul(100)?
        .checked_add(frac.parse::<i64>().ok()?)
}

#[cfg(test)]
mod tests {
    #[test]
    fn yuan_round_trips() {
        assert_eq!(super::yuan(10_000), "100.00");
        assert_eq!(super::yuan(5), "0.05");
        assert_eq!(super::parse_yuan("100.00"), Some(10_000));
        assert_eq!(super::parse_yuan("100.0"), None);
        assert_eq!(super::parse_yuan("1e2"), None);
    }

    /// fuzz/artifacts: `total_amount=1000210000000000000` overflowed the fen.
    #[test]
    fn an_amount_past_the_largest_fen_is_refused() {
        assert_eq!(super::parse_yuan("1000210000000000000"), None);
        assert_eq!(super::parse_yuan("92233720368547758.07"), Some(i64::MAX));
        assert_eq!(super::parse_yuan("92233720368547758.08"), None);
    }
}

//! The payment centre (图 2.10–2.14): orders for paid applications, the 电子发票
//! details and the two agreements, payment through Alipay, WeChat Pay or bank
//! transfer, notifies and queries that settle an order exactly once, refunds,
//! e-invoices, and the jobs that expire orders and catch lost notifies.

mod finance;
mod invoice_form;
mod invoicing;
mod jobs;
mod orders;
mod pay;
mod refunds;
mod settle;

use std::time::Duration;

pub use finance::FinanceView;
pub use invoice_form::{InvoiceFields, InvoiceInfo, TitleType, tax_id};
pub use jobs::spawn_jobs;
pub use orders::OrderView;
pub use settle::Settled;

/// The ways to pay (kept with the other states of money in `domain`).
pub use domain::Channel;

use crate::mail::Mailer;

/// The operator's account for 对公转账.
#[derive(Debug, Clone)]
pub struct BankAccount {
    pub name: String,
    pub bank: String,
    pub account: String,
}

/// Who issues the invoices.
#[derive(Debug, Clone)]
pub struct Seller {
    pub name: String,
    pub tax_id: String,
}

pub struct Payments {
    pub alipay: Option<payment::alipay::Alipay>,
    pub wechat: Option<payment::wechat::WeChat>,
    pub bank: Option<BankAccount>,
    /// An unpaid order expires after this.
    pub order_ttl: Duration,
    /// An order sent to a gateway and still unpaid after this is queried.
    pub poll_after: Duration,
    /// Refund a rejected application even after its certificate was issued.
    pub refund_after_issuance: bool,
    pub mailer: Mailer,
    pub fonts: Option<invoice::Fonts>,
    pub seller: Seller,
}

impl Payments {
    pub fn offers(&self, c: Channel) -> bool {
        match c {
            Channel::Alipay => self.alipay.is_some(),
            Channel::WeChat => self.wechat.is_some(),
            Channel::Bank => self.bank.is_some(),
        }
    }
}

//! The order as every payment page shows it, and loading it for its holder.

use domain::Fen;
use ra::payments::OrderView;

use crate::AppState;
use crate::WebError;
use crate::page::Page;

/// The order as the pages show it.
pub struct OrderLine {
    pub id: String,
    pub out_trade_no: String,
    pub subject: String,
    pub amount: String,
    pub state_label: String,
    pub tone: &'static str,
    pub expires: String,
    pub paid: bool,
    pub open: bool,
}

impl OrderLine {
    pub(super) fn new(p: &Page, v: &OrderView) -> Self {
        let o = &v.order;
        let (zh, en, tone) = match (o.state.as_str(), v.expired) {
            ("PAID", _) => ("已支付", "Paid", "ok"),
            ("CANCELLED", _) => ("已取消", "Cancelled", "bad"),
            ("EXPIRED", _) | ("OPEN", true) => ("已过期", "Expired", "bad"),
            _ => ("待支付", "Awaiting payment", "warn"),
        };
        OrderLine {
            id: o.id.clone(),
            out_trade_no: o.out_trade_no.clone(),
            subject: p.text(&o.subject),
            amount: Fen(o.amount_fen).to_string(),
            state_label: p.tr.pick(zh, en).to_string(),
            tone,
            expires: ca::asn1time::beijing_minutes(o.expires_at),
            paid: o.state == "PAID",
            open: v.open(),
        }
    }
}

/// The holder's order `id`; anyone else's is "not found".
pub(super) async fn load(s: &AppState, holder_id: &str, id: &str) -> Result<OrderView, WebError> {
    Ok(s.ra.order(holder_id, id).await?)
}

//! The order as every payment page shows it, and loading it for its holder.

use domain::{Fen, OrderState};
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
        // An open order past its time is shown as what it is about to be.
        let shown = match o.state {
            OrderState::Open if v.expired => OrderState::Expired,
            s => s,
        };
        let (zh, en, tone) = (shown.label_zh(), shown.label_en(), shown.tone());
        OrderLine {
            id: o.id.clone(),
            out_trade_no: o.out_trade_no.clone(),
            subject: p.text(&o.subject),
            amount: Fen(o.amount_fen).to_string(),
            state_label: p.tr.pick(zh, en).to_string(),
            tone,
            expires: ca::asn1time::beijing_minutes(o.expires_at),
            paid: o.state == OrderState::Paid,
            open: v.open(),
        }
    }
}

/// The holder's order `id`; anyone else's is "not found".
pub(super) async fn load(s: &AppState, holder_id: &str, id: &str) -> Result<OrderView, WebError> {
    Ok(s.ra.order(holder_id, id).await?)
}

//! 在线补办's 基本信息: what became of the old key, the contacts, and how the
//! new key comes (the subject and end date are the old certificate's).

use axum::response::Response;
use ra::business::SubjectFields;
use ra::business::reissue::ReissueFields;

use super::Shown;
use super::issue_page::{self, IssueView};
use crate::WebError;

pub(super) async fn page(shown: Shown<'_>, fields: ReissueFields) -> Result<Response, WebError> {
    let earlier_keys = match &shown.app.row.cert_serial {
        Some(lost) => shown.state.ra.earlier_encryption_keys(lost).await?.len(),
        None => 0,
    };
    let view = IssueView {
        subject: SubjectFields {
            contact_mobile: fields.contact_mobile,
            contact_email: fields.contact_email,
            ..Default::default()
        },
        revoke_reason: fields.revoke_reason,
        delivery: fields.delivery,
        agent_is_representative: fields.agent_is_representative,
        restore_earlier_keys: fields.restore_earlier_keys,
        earlier_keys,
        years: String::new(),
    };
    Ok(issue_page::page(shown, view, None))
}

//! 在线补办's 基本信息: what became of the old key, the contacts, and how the
//! new key comes (the subject and end date are the old certificate's).

use axum::http::StatusCode;
use axum::response::Response;
use ra::business::SubjectFields;
use ra::business::reissue::ReissueFields;
use ra::pipeline::ApplicationView;

use super::Errors;
use super::issue_page::{self, IssueView};
use crate::page::Page;

pub(super) fn page(
    status: StatusCode,
    p: Page,
    app: ApplicationView,
    fields: ReissueFields,
    errors: Errors,
    existing: bool,
) -> Response {
    let view = IssueView {
        subject: SubjectFields {
            contact_mobile: fields.contact_mobile,
            contact_email: fields.contact_email,
            ..Default::default()
        },
        revoke_reason: fields.revoke_reason,
        delivery: fields.delivery,
        agent_is_representative: fields.agent_is_representative,
        years: String::new(),
    };
    issue_page::page(status, p, app, view, errors, existing, None)
}

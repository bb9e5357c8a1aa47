//! The comparison at the top of an application on the review desk: each
//! business says what is compared (its module's `rows`) and how it is headed.

use domain::Business;
use ra::business::renew::RenewalTerms;
use ra::review::ReviewDetail;

use super::{change, new, reissue, renew, revoke, seal};

/// One row of the old/new comparison.
pub(super) struct Compare {
    pub label: &'static str,
    pub old: String,
    pub new: String,
    pub changed: bool,
}

/// What the comparison is of: its heading, the new column's heading, the
/// badge of a changed row.
pub(super) struct Headings {
    pub title: &'static str,
    pub new_column: &'static str,
    pub changed_badge: &'static str,
}

/// The rows and headings of the application's business; `renewal` is the
/// terms of an 在线延期.
pub(super) fn compare(
    d: &ReviewDetail,
    renewal: Option<&RenewalTerms>,
) -> (Headings, Vec<Compare>) {
    match (d.app.business, renewal) {
        (Business::Renew, Some(t)) => (renew::HEADINGS, renew::rows(t, d)),
        (Business::SealChange, _) => (seal::HEADINGS, seal::rows(d)),
        (Business::Revoke, _) => (revoke::HEADINGS, revoke::rows(d)),
        (Business::Reissue, _) => (reissue::HEADINGS, reissue::rows(d)),
        (Business::New, _) => (new::HEADINGS, new::rows(d)),
        _ => (change::HEADINGS, change::rows(d)),
    }
}

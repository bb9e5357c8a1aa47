//! 在线延期 as its pages show it: the old validity next to the new one. Before
//! the new certificate exists its end is what issuing it now would give (the
//! paid years from the old end, or from now once the old one has expired);
//! after, the certificate's own.

use domain::Business;

use crate::applications::ApplicationView;
use crate::{Ra, RaError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenewalTerms {
    pub years: u32,
    pub old_not_before: i64,
    pub old_not_after: i64,
    pub new_not_after: i64,
    /// `new_not_after` is the issued certificate's, not an estimate.
    pub issued: bool,
}

impl Ra {
    /// The terms of a renewal application; `None` for other businesses.
    pub async fn renewal_terms(
        &self,
        app: &ApplicationView,
    ) -> Result<Option<RenewalTerms>, RaError> {
        if app.business != Business::Renew {
            return Ok(None);
        }
        let f = &app.form;
        let years = f.years.max(1);
        let issued = store::certificates::by_request_id(
            &mut *self.db.conn().await?,
            &format!("application:{}", app.row.id),
        )
        .await?
        .filter(|c| c.cert_der.is_some());
        let (new_not_after, issued) = match issued {
            Some(c) => (c.not_after, true),
            None => (
                domain::renewal::renewed_not_after(f.old_not_after, self.now_ms(), years),
                false,
            ),
        };
        Ok(Some(RenewalTerms {
            years,
            old_not_before: f.old_not_before,
            old_not_after: f.old_not_after,
            new_not_after,
            issued,
        }))
    }
}

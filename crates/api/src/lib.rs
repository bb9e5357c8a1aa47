//! certhall's HTTP API as JSON: every request and answer of the certificate
//! assistant (`/api/v1/handoff`, `/api/v1/assistant/*`, `/api/v1/unlock/*`,
//! `/api/v1/tokens/escrow`, `/api/v1/businesses`) and of integrators'
//! systems (`/api/v1/ca/issue`), defined once: the server writes the answers
//! and reads the requests, the assistant does the reverse. Serde only: no
//! I/O, no crypto, nothing that pulls a database into a desktop program.
//!
//! Binary values travel as base64 (signatures, DER) or PEM (certificates,
//! CSRs); times as RFC 3339.

mod assistant;
mod issue;

pub use assistant::*;
pub use issue::*;

use serde::{Deserialize, Serialize};

/// Every refusal: `{"error": "…"}`, in the language the client asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub error: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What older servers sent still reads, and what is written reads back.
    #[test]
    fn answers_read_as_the_assistant_reads_them() {
        let older: CertStatus = serde_json::from_str(
            r#"{"serial":"01","status":"valid","common_name":"张三","organization":null,
                "not_before":"2026-01-01T00:00:00Z","not_after":"2027-01-01T00:00:00Z",
                "applications":[{"id":"a","business":"change","business_name":"证书变更",
                "state":"APPROVED","state_label":"审核通过"}]}"#,
        )
        .unwrap();
        assert_eq!(older.renewal, None);
        assert_eq!(older.renewal_line(), None);
        assert!(!older.applications[0].issued_here);
        let again: CertStatus =
            serde_json::from_str(&serde_json::to_string(&older).unwrap()).unwrap();
        assert_eq!(again, older);

        let waiting: UnlockFinished =
            serde_json::from_str(r#"{"pending":true,"message":"等待审核"}"#).unwrap();
        assert!(waiting.pending && waiting.so_pin.is_none());
        let written = serde_json::to_string(&UnlockFinished {
            so_pin: Some("12345678".into()),
            pending: false,
            message: None,
        })
        .unwrap();
        assert_eq!(written, r#"{"so_pin":"12345678"}"#);
    }

    #[test]
    fn an_issue_request_with_an_unknown_field_is_refused() {
        let e = serde_json::from_str::<IssueRequest>(
            r#"{"csr":"x","profile":"enterprise","common_name":"a","colour":"red"}"#,
        )
        .unwrap_err();
        assert!(e.to_string().contains("unknown field `colour`"), "{e}");
    }
}

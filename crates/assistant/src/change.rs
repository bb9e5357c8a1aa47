//! 证书变更 and 在线延期 from the assistant (图 2.7 → 2.8, and 图 2.16).
//!
//! Run with no application for the certificate, it proves possession and opens
//! the business's form. With one under way, it shows its state. Once approved
//! (either business) it renews the key inside the token:
//!
//! 1. a new key pair, labelled `certhall-pending:<application>` under a CKA_ID
//!    derived from the application (so a rerun finds it again);
//! 2. a CSR signed by it, sent with a proof by the old key; the server issues
//!    the certificate with the new subject (and revokes the old one as
//!    superseded; a retry gets the same certificate);
//! 3. the certificate is checked against the new key and written next to it;
//! 4. the new objects get their final label;
//! 5. the e-seal of the old certificate, if any, is carried to the new one's
//!    id; the old certificate and key are removed;
//! 6. completion is reported, proved by the new key: 已完成.
//!
//! Stopped anywhere (crash, unplugged key, lost network), running it again
//! picks up where it stopped: the old key is removed only after the new
//! certificate is in the token, and the server never makes a second certificate
//! for the application.

use der::{Decode, Encode};
use sha2::{Digest, Sha256};

use crate::client::{AppStatus, CertStatus, Client, Prover};
use crate::error::Error;
use crate::token::{KeyKind, KeyRef, Token, TokenCert};

/// Label of a key pair made for an application and not yet in use.
pub const PENDING_PREFIX: &str = "certhall-pending:";

/// States after which an application needs nothing more.
const FINISHED: [&str; 4] = ["COMPLETED", "CANCELLED", "REJECTED", "REFUNDED"];

/// A certificate in the token with its private key.
pub struct Holder<'a> {
    pub token: &'a Token,
    pub cert: TokenCert,
    pub key: KeyRef,
}

impl Prover for Holder<'_> {
    fn certificate_der(&self) -> &[u8] {
        &self.cert.der
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, Error> {
        self.token.sign(&self.key, message)
    }
}

/// The serial as `openssl x509 -serial` prints it.
pub fn serial_of(der: &[u8]) -> Option<String> {
    let cert = x509_cert::Certificate::from_der(der).ok()?;
    domain::Serial::from_der_integer(cert.tbs_certificate().serial_number().as_bytes())
        .ok()
        .map(|s| s.to_string())
}

/// The certificates of the token that have their private key (logged in).
pub fn holders(token: &Token) -> Result<Vec<Holder<'_>>, Error> {
    let keys = token.keys()?;
    Ok(token
        .certificates()?
        .into_iter()
        .filter(|c| !c.id.is_empty())
        .filter_map(|cert| {
            let key = keys.iter().find(|k| k.id == cert.id)?.clone();
            Some(Holder { token, cert, key })
        })
        .collect())
}

/// How a run of the change flow ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// No application yet: the single-use link to the 基本信息 form.
    Opened { url: String },
    /// An application is under way.
    Pending {
        business: String,
        state_label: String,
    },
    /// The new certificate is in the token, the old one is gone: 已完成.
    Completed {
        application_id: String,
        /// 证书变更 or 在线延期.
        business: String,
        serial: String,
    },
}

/// Steps after which a test may stop the process, as a crash would.
pub(crate) fn checkpoint(step: &str) {
    if std::env::var("CERTHALL_ASSISTANT_STOP_AFTER").as_deref() == Ok(step) {
        eprintln!("stopped after {step} (CERTHALL_ASSISTANT_STOP_AFTER)");
        std::process::exit(75);
    }
}

/// The CKA_ID of the key pair made for an application.
pub fn key_id_for(application_id: &str) -> Vec<u8> {
    Sha256::digest(format!("certhall-key:{application_id}").as_bytes())[..16].to_vec()
}

fn final_label(serial: &str) -> String {
    format!("certhall {serial}")
}

/// The businesses carried out by a new key pair in the token.
pub const REKEYED: [&str; 2] = ["change", "renew"];

/// The unfinished application of the certificate that ends in a new key.
fn open_rekey(st: &CertStatus) -> Option<&AppStatus> {
    st.applications
        .iter()
        .find(|a| REKEYED.contains(&a.business.as_str()) && !FINISHED.contains(&a.state.as_str()))
}

/// The token's certificates to work from (`serial` picks one): not the keys
/// made for an application whose certificate is not finished yet.
pub(crate) fn candidates<'a>(
    token: &'a Token,
    serial: Option<&str>,
) -> Result<Vec<Holder<'a>>, Error> {
    let mut all = holders(token)?;
    if let Some(s) = serial {
        let s = s.to_ascii_uppercase();
        all.retain(|h| serial_of(&h.cert.der).as_deref() == Some(s.as_str()));
    }
    all.retain(|h| !h.key.label.starts_with(PENDING_PREFIX));
    Ok(all)
}

/// Runs the flow for the token's certificate (`serial` picks one when the token
/// holds several). An approved change or renewal is carried out whichever
/// `business` is asked for; with none under way, `business` (`change` or
/// `renew`) is the form opened.
pub fn run(
    token: &Token,
    client: &Client,
    serial: Option<&str>,
    kind: KeyKind,
    business: &str,
) -> Result<Outcome, Error> {
    let all = candidates(token, serial)?;
    if all.is_empty() {
        return Err(Error::Usage(
            "证书介质中没有可用的证书（或没有指定序列号的证书）".into(),
        ));
    }
    let mut seen = Vec::new();
    for h in all {
        let st = client.status(&h)?;
        seen.push((h, st));
    }
    // A certificate this flow wrote but did not report: finish it.
    // (The first of its applications issued here is the one to finish.)
    let written = seen.iter().enumerate().find_map(|(i, (_, st))| {
        let mut here = st.applications.iter().filter(|a| a.issued_here);
        let first = here.clone().next()?;
        here.any(|a| a.state == "APPROVED")
            .then(|| (i, first.clone()))
    });
    if let Some((i, app)) = written {
        let (new, st) = seen.swap_remove(i);
        return finish(token, client, new, &st.serial, &app, &seen);
    }
    // An approved change or renewal: renew the key.
    let approved = seen.iter().enumerate().find_map(|(i, (_, st))| {
        open_rekey(st)
            .filter(|a| a.state == "APPROVED" && !a.issued_here)
            .map(|a| (i, a.clone()))
    });
    if let Some((i, app)) = approved {
        let (old, _) = seen.swap_remove(i);
        return renew(token, client, old, &app, kind);
    }
    // One under way: say where it stands.
    if let Some(app) = seen.iter().find_map(|(_, st)| open_rekey(st)) {
        return Ok(Outcome::Pending {
            business: app.business_name.clone(),
            state_label: app.state_label.clone(),
        });
    }
    // None yet: prove possession and open the form (图 2.8).
    let h = match business {
        "renew" => {
            // An expired certificate may still be renewed within the window;
            // the server says whether it is open and why not.
            let (h, st) = seen
                .iter()
                .find(|(_, st)| st.status != "revoked")
                .ok_or_else(|| Error::Usage("证书已吊销，不能在线延期".into()))?;
            if let Some(r) = &st.renewal
                && !r.available
            {
                return Err(Error::Usage(format!(
                    "暂不能在线延期：{}",
                    r.reason.as_deref().unwrap_or("不在可办理期间")
                )));
            }
            h
        }
        _ => {
            &seen
                .iter()
                .find(|(_, st)| st.status == "valid")
                .ok_or_else(|| Error::Usage("证书已过期或已吊销，不能办理证书变更".into()))?
                .0
        }
    };
    Ok(Outcome::Opened {
        url: client.handoff(h, business)?,
    })
}

/// Proves possession of the token's valid certificate (`serial` picks one) and
/// returns the single-use link to `business`'s form: how 注销 starts for a
/// certificate the portal does not yet know as the holder's.
pub fn open_form(
    token: &Token,
    client: &Client,
    serial: Option<&str>,
    business: &str,
) -> Result<String, Error> {
    for h in &candidates(token, serial)? {
        if client.status(h)?.status == "valid" {
            return client.handoff(h, business);
        }
    }
    Err(Error::Usage(
        "证书介质中没有有效的证书（或没有指定序列号的证书）".into(),
    ))
}

/// Steps 1–6 for an approved application.
fn renew(
    token: &Token,
    client: &Client,
    old: Holder<'_>,
    app: &AppStatus,
    kind: KeyKind,
) -> Result<Outcome, Error> {
    let id = key_id_for(&app.id);
    let pending = format!("{PENDING_PREFIX}{}", app.id);
    let key = match token.key_by_id(&id)? {
        Some(k) => k,
        None => token.generate(kind, &id, &pending)?,
    };
    checkpoint("keygen");
    let csr = crate::csr::build(token, &key, "certhall-assistant")?;
    let issued = client.issue(&old, &csr)?;
    checkpoint("issue");
    let new = write_issued(token, &key, &issued)?;
    token.carry_seal(&old.cert.id, &new.cert.id)?;
    checkpoint("seal");
    token.delete_id(&old.cert.id)?;
    checkpoint("delete");
    client.complete(&new)?;
    Ok(Outcome::Completed {
        application_id: app.id.clone(),
        business: app.business_name.clone(),
        serial: issued.serial,
    })
}

/// Writes the certificate the server issued for `key` next to it, under its
/// final label. Nothing is written unless it certifies that very key; a
/// certificate already there (a rerun) is kept.
pub(crate) fn write_issued<'a>(
    token: &'a Token,
    key: &KeyRef,
    issued: &crate::client::Issued,
) -> Result<Holder<'a>, Error> {
    let (_, der) = der::pem::decode_vec(issued.certificate_pem.as_bytes())
        .map_err(|_| Error::Server("服务器返回的证书格式不正确".into()))?;
    let cert = x509_cert::Certificate::from_der(&der)
        .map_err(|_| Error::Server("服务器返回的证书格式不正确".into()))?;
    let spki = cert
        .tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .map_err(|_| Error::Server("服务器返回的证书格式不正确".into()))?;
    if spki != token.public_spki(key)? {
        return Err(Error::Server(
            "服务器返回的证书与证书介质中新生成的密钥不匹配，未写入".into(),
        ));
    }
    let label = final_label(&issued.serial);
    if !token.certificates()?.iter().any(|c| c.id == key.id) {
        // 双证书: the encryption pair first, so the signing certificate's
        // presence means the pair is there.
        crate::pair::import(token, key, issued)?;
        checkpoint("encryption");
        token.write_certificate(&key.id, &label, &der)?;
    }
    checkpoint("write");
    token.relabel(&key.id, &label)?;
    checkpoint("relabel");
    Ok(Holder {
        token,
        cert: TokenCert {
            id: key.id.clone(),
            label: label.clone(),
            der,
        },
        key: key.clone().with_label(label),
    })
}

/// The new certificate is written: label it, remove the old one, report.
fn finish(
    token: &Token,
    client: &Client,
    new: Holder<'_>,
    serial: &str,
    app: &AppStatus,
    others: &[(Holder<'_>, CertStatus)],
) -> Result<Outcome, Error> {
    let label = final_label(serial);
    token.relabel(&new.cert.id, &label)?;
    if let Some(from) = app.from_serial.as_deref() {
        for (h, st) in others {
            if st.serial == from {
                token.carry_seal(&h.cert.id, &new.cert.id)?;
                checkpoint("seal");
                token.delete_id(&h.cert.id)?;
            }
        }
    }
    client.complete(&new)?;
    Ok(Outcome::Completed {
        application_id: app.id.clone(),
        business: app.business_name.clone(),
        serial: serial.to_string(),
    })
}

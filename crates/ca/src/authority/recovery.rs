//! Asking the KMC for an escrowed encryption key back (GM/T 0014
//! RestoreKeyReq): enveloped to another public key than the one it was first
//! delivered to — a judicial recovery officer's (GM/T 0034 §12.5), or a
//! holder's new signing key. The KMC keeps what was asked and why in its own
//! audit chain (`record`, carried in `userName`).

use der::{Decode, Encode};
use domain::Serial;
use pki::envelope::KeyEnvelope;
use pki::gmt0014::{self, AppUserInfo, Request, Respond, RestoreKeyReq};
use spki::SubjectPublicKeyInfoOwned;
use store::{certificates, pairs};

use super::Authority;
use crate::{CaError, oids};

impl Authority {
    /// The escrowed key of the encryption certificate `encryption`,
    /// enveloped by the KMC to the SM2 key `recipient_spki` (DER), under the
    /// caller's task number (the same number asks the same again). `record`
    /// says why, for the KMC's audit chain (no secrets: it is logged).
    pub async fn restore_key(
        &self,
        encryption: &Serial,
        recipient_spki: &[u8],
        task_no: u64,
        record: &str,
    ) -> Result<KeyEnvelope, CaError> {
        let kmc = self
            .kmc()
            .ok_or_else(|| CaError::Kmc("no KMC is configured".into()))?;
        let hex = encryption.to_hex();
        let mut conn = self.db.conn().await?;
        let pair = pairs::by_encryption(&mut conn, &hex)
            .await?
            .ok_or_else(|| CaError::UnknownCertificate(hex.clone()))?;
        let cert = certificates::by_serial(&mut conn, &hex)
            .await?
            .ok_or_else(|| CaError::UnknownCertificate(hex.clone()))?;
        drop(conn);
        let restore = Request::RestoreKey(RestoreKeyReq {
            ret_asym_alg: gmt0014::algorithm(oids::SM2_ENCRYPT),
            ret_sym_alg: gmt0014::algorithm(oids::SM4_ECB),
            ret_hash_alg: gmt0014::algorithm(oids::SM3),
            app_user_info: AppUserInfo {
                user_cert_no: gmt0014::serial_int(encryption)?,
                user_pub_key: SubjectPublicKeyInfoOwned::from_der(recipient_spki)?,
                not_before: gmt0014::time(cert.not_before)?,
                not_after: gmt0014::time(cert.not_after)?,
                user_name: Some(der::asn1::OctetString::new(record.as_bytes())?),
                ds_code: None,
                extend_info: None,
            },
        });
        let answers = kmc
            .call(
                &self.issuer.cert_der,
                &*self.issuer.signer,
                task_no,
                self.clock.now_ms(),
                vec![restore],
            )
            .await?;
        let ret = match answers.as_slice() {
            [Respond::RestoreKey(ret)] => ret,
            [Respond::Error(e)] => {
                return Err(CaError::Kmc(format!("the KMC refused: {}", e.err_cause)));
            }
            _ => return Err(CaError::Kmc("the KMC answered something else".into())),
        };
        let public = pki::verify::sm2_point_of_spki(&ret.ret_pub_key.to_der()?)
            .map_err(|_| CaError::Kmc("the KMC's key pair is not SM2".into()))?;
        if pair.public_key.as_deref() != Some(public.as_slice()) {
            return Err(CaError::Kmc(
                "the KMC returned another key than the certificate's".into(),
            ));
        }
        Ok(pki::envelope::signed::read(&ret.ret_pri_key.to_der()?, &public)?.envelope)
    }
}

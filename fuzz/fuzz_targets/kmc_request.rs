//! What reaches a KMC run apart (`certhall kmc serve`, `POST /kmc/v1/tasks`)
//! from anyone who can connect: a GM/T 0014 CARequest, read strictly and
//! checked against a CA certificate; and the key envelopes the CA and the
//! assistant read from the KMC's answers (SignedAndEnvelopedData, the SKF
//! ENVELOPEDKEYBLOB, GB/T 35276 SM2EnvelopedKey, SM2Cipher, KMRespond).
#![no_main]
use libfuzzer_sys::fuzz_target;
use pki::envelope::{KeyEnvelope, Sm2Cipher, signed};
use pki::gmt0014::{CaRequest, KmRespond};
use std::sync::OnceLock;
use x509_cert::Certificate;

/// A self-signed SM2 certificate to check requests against.
fn ca() -> &'static Certificate {
    static CA: OnceLock<Certificate> = OnceLock::new();
    CA.get_or_init(|| {
        use der::Decode;
        Certificate::from_der(include_bytes!("../corpus/kmc_request/ca.der")).unwrap()
    })
}

fuzz_target!(|data: &[u8]| {
    if let Ok(request) = CaRequest::read(data) {
        let _ = request.ks_request.ca_name.names(ca());
        let _ = request.verify(ca());
    }
    if let Ok(answer) = KmRespond::read(data) {
        let _ = answer.verify(ca());
    }
    let _ = KeyEnvelope::from_skf_blob(data);
    let _ = KeyEnvelope::from_sm2_enveloped_key(data);
    let _ = Sm2Cipher::from_der(data);
    let mut point = [0u8; 65];
    point[0] = 4;
    let _ = signed::read(data, &point);
});

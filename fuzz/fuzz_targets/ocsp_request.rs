//! An OCSP request as a relying party sends it: DER (POST), or the base64 of
//! the DER in a GET path; then each CertID held against our issuer's hashes.
#![no_main]
use libfuzzer_sys::fuzz_target;

fn check(der: &[u8]) {
    if let Some(req) = ca::ocsp::parse_request(der) {
        let issuer = ca::ocsp::IssuerHashes::new(b"\x30\x00", b"issuer key bits");
        for id in &req.cert_ids {
            let _ = issuer.matches(id);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    check(data);
    if let Ok(path) = std::str::from_utf8(data) {
        check(&ca::ocsp::decode_get(path));
    }
});

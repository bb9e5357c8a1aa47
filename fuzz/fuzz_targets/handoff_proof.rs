//! A proof of possession as the assistant sends it: a certificate (PEM or
//! DER), a challenge and a signature. The certificate is read as the RA reads
//! it, the challenge checked against the installation's key, and the
//! signature verified with the certificate's key.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let split = data.len() / 2;
    let (certificate, rest) = data.split_at(split);
    if let Ok(nonce) = std::str::from_utf8(rest) {
        let _ = ra::proof::challenge_expiry(&[7; 32], nonce, 1_800_000_000_000);
    }
    if let Ok((cert, _serial, _der)) = ra::proof::read_certificate(certificate) {
        let spki = cert.tbs_certificate().subject_public_key_info();
        if ca::verify::classify(spki).is_ok() {
            let _ = ca::verify::verify(spki, cert.signature_algorithm(), rest, rest);
        }
    }
});

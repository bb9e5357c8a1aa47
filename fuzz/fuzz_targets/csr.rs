//! A CSR as the issuing API and the assistant send it: PEM or DER, checked
//! (parsed, its self-signature verified, its key held to policy) under each
//! kind of CA.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let allow_sm2 = data.first().is_some_and(|b| b & 1 == 1);
    for ca in [
        ca::KeyAlgorithm::P256,
        ca::KeyAlgorithm::Rsa2048,
        ca::KeyAlgorithm::Sm2,
    ] {
        let _ = ca::csr::check(data, ca, allow_sm2);
    }
});

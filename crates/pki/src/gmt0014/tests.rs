use der::Encode;
use der::asn1::OctetString;

use super::*;
use crate::KeyAlgorithm;
use crate::cert::tests_support::self_signed;
use crate::signer::SoftwareKey;

fn party(cn: &str) -> (SoftwareKey, Vec<u8>, Certificate) {
    let (key, _) = SoftwareKey::generate(KeyAlgorithm::Sm2).unwrap();
    let der = self_signed(&key, cn);
    let cert = Certificate::from_der(&der).unwrap();
    (key, der, cert)
}

fn apply(holder: &SoftwareKey) -> Request {
    Request::ApplyKey(ApplyKeyReq {
        app_key_type: algorithm(oids::CURVE_SM2),
        app_key_len: int(256).unwrap(),
        ret_asym_alg: algorithm(oids::SM2_ENCRYPT),
        ret_sym_alg: algorithm(oids::SM4_ECB),
        ret_hash_alg: algorithm(oids::SM3),
        app_user_info: AppUserInfo {
            user_cert_no: Int::new(&[0x01, 0x23]).unwrap(),
            user_pub_key: spki::SubjectPublicKeyInfoOwned::from_der(holder.spki_der()).unwrap(),
            not_before: time(1_800_000_000_000).unwrap(),
            not_after: time(1_830_000_000_000).unwrap(),
            user_name: None,
            ds_code: None,
            extend_info: Some(OctetString::new(vec![1, 2, 3]).unwrap()),
        },
    })
}

#[test]
fn a_signed_request_reads_back_and_verifies_with_its_ca_only() {
    let (ca_key, ca_der, ca_cert) = party("CA");
    let (holder, _) = SoftwareKey::generate(KeyAlgorithm::Sm2).unwrap();
    let ks = KsRequest {
        version: int(u64::from(VERSION)).unwrap(),
        ca_name: EntName::of_certificate(&ca_der).unwrap(),
        request_list: vec![
            apply(&holder),
            Request::RevokeKey(RevokeKeyReq {
                user_cert_no: int(0x99).unwrap(),
            }),
        ],
        request_time: time(1_800_000_000_123).unwrap(),
        task_no: int(u64::MAX).unwrap(),
    };
    let request = CaRequest::sign(ks, &ca_key).unwrap();
    let der = request.to_der().unwrap();
    let again = CaRequest::read(&der).unwrap();
    assert_eq!(again, request);
    assert!(again.ks_request.ca_name.names(&ca_cert));
    assert_eq!(int_value(&again.ks_request.task_no).unwrap(), u64::MAX);
    again.verify(&ca_cert).unwrap();

    let (_, _, other_cert) = party("Another CA");
    assert!(!again.ks_request.ca_name.names(&other_cert));
    assert_eq!(
        again.verify(&other_cert).unwrap_err().to_string(),
        "GM/T 0014 message: the signature does not verify"
    );

    let mut altered = again.clone();
    altered.ks_request.task_no = int(7).unwrap();
    assert!(altered.verify(&ca_cert).is_err());

    let err = CaRequest::read(&der[..der.len() - 1]).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("GM/T 0014 message: not a DER CARequest")
    );
}

#[test]
fn an_answer_verifies_with_the_configured_kmc_only() {
    let (kmc_key, kmc_der, kmc_cert) = party("KMC");
    let respond = KsRespond {
        version: int(1).unwrap(),
        km_name: EntName::of_certificate(&kmc_der).unwrap(),
        respond_list: vec![Respond::Error(ErrorPkgRespond {
            err_num: int(3).unwrap(),
            err_cause: "未知的 CA".into(),
        })],
        respond_time: time(1_800_000_000_000).unwrap(),
        task_no: int(0).unwrap(),
    };
    let answer = KmRespond::sign(respond, &kmc_key).unwrap();
    let again = KmRespond::read(&answer.to_der().unwrap()).unwrap();
    again.verify(&kmc_cert).unwrap();
    let (_, _, impostor) = party("KMC");
    assert_eq!(
        again.verify(&impostor).unwrap_err().to_string(),
        "GM/T 0014 message: the answer names another KMC"
    );
}

#[test]
fn numbers_and_serials_convert_both_ways() {
    for n in [0u64, 1, 0x7f, 0x80, 0xffff, u64::MAX] {
        assert_eq!(int_value(&int(n).unwrap()).unwrap(), n);
    }
    let serial = domain::Serial::parse("00F1E2").unwrap();
    assert_eq!(
        serial_hex(&serial_int(&serial).unwrap()).unwrap(),
        serial.to_hex()
    );
}

//! A CA of SM2 keys in memory, a KMC it certified on a random port, and
//! requests signed by that CA.

use std::sync::Arc;

use der::asn1::OctetString;
use der::{Decode, Encode};
use domain::Serial;
use kmc::{Kmc, Protection};
use pki::KeyAlgorithm;
use pki::cert::{TbsTemplate, name};
use pki::envelope::signed::IssuerAndSerialNumber;
use pki::gmt0014::{
    self, AppUserInfo, ApplyKeyReq, CaRequest, EntName, KmRespond, KsRequest, Request,
    RestoreKeyReq, RevokeKeyReq,
};
use pki::oids;
use pki::signer::{Signer, SoftwareKey};
use secrecy::SecretString;
use spki::SubjectPublicKeyInfoOwned;
use testkit::{Backend, TestDb};
use x509_cert::Certificate;

/// An SM2 key with a certificate.
pub struct Party {
    pub key: SoftwareKey,
    pub cert_der: Vec<u8>,
}

impl Party {
    pub fn cert(&self) -> Certificate {
        Certificate::from_der(&self.cert_der).unwrap()
    }
}

/// A certificate for `spki` named `cn`, signed by `issuer` (itself if None).
pub fn certify(
    issuer: Option<&Party>,
    key: &dyn Signer,
    spki: &[u8],
    cn: &str,
    serial: &str,
) -> Vec<u8> {
    let subject = name(&[(oids::AT_COMMON_NAME, cn)]).unwrap();
    let (issuer_name, signer): (_, &dyn Signer) = match issuer {
        Some(p) => (p.cert().tbs_certificate().subject().clone(), &p.key),
        None => (subject.clone(), key),
    };
    let tbs = TbsTemplate {
        serial: Serial::parse(serial).unwrap(),
        signature_algorithm: KeyAlgorithm::Sm2.signature_algorithm(),
        issuer: issuer_name,
        not_before_ms: 1_700_000_000_000,
        not_after_ms: 2_000_000_000_000,
        subject,
        spki: SubjectPublicKeyInfoOwned::from_der(spki).unwrap(),
        extensions: Vec::new(),
    }
    .encode()
    .unwrap();
    let signature = signer.sign(&tbs).unwrap();
    pki::derw::signed(
        &tbs,
        &KeyAlgorithm::Sm2.signature_algorithm_der(),
        &signature,
    )
}

pub fn sm2_key() -> SoftwareKey {
    SoftwareKey::generate(KeyAlgorithm::Sm2).unwrap().0
}

/// A self-signed SM2 CA.
pub fn ca(cn: &str) -> Party {
    let key = sm2_key();
    let cert_der = certify(None, &key, key.spki_der(), cn, "01");
    Party { key, cert_der }
}

/// A holder's software signing key with its certificate from `ca`, and the
/// private key as 32 bytes (for opening what the KMC sends).
pub struct Holder {
    pub party: Party,
    pub secret: [u8; 32],
}

pub fn holder(ca: &Party, serial: &str) -> Holder {
    use sm2::elliptic_curve::Generate;
    use sm2::pkcs8::EncodePrivateKey;
    let secret = sm2::SecretKey::try_generate().unwrap();
    let pkcs8 = secret.to_pkcs8_der().unwrap();
    let key = SoftwareKey::from_pkcs8(KeyAlgorithm::Sm2, pkcs8.as_bytes()).unwrap();
    let cert_der = certify(Some(ca), &key, key.spki_der(), "张三", serial);
    Holder {
        party: Party { key, cert_der },
        secret: secret.to_bytes().into(),
    }
}

/// A KMC certified by `ca`, on its own database, served on a random port.
pub struct Running {
    pub kmc: Arc<Kmc>,
    pub url: String,
    pub cert: Certificate,
    /// Kept for the test's length: dropping it drops the database.
    pub _db: TestDb,
}

pub async fn kmc(backend: Backend, ca: &Party) -> Running {
    let db = TestDb::new(backend).await;
    let store = store::Db::connect(&db.url).await.unwrap();
    store.migrate_kmc().await.unwrap();
    let protection = Protection::Passphrase(SecretString::from("kmc passphrase"));
    let kmc = Kmc::open(store, &protection, std::slice::from_ref(&ca.cert_der))
        .await
        .unwrap();
    let cert_der = certify(Some(ca), &ca.key, kmc.signing_spki(), "KMC", "0B");
    kmc.install_certificate(&cert_der).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/kmc/v1/tasks", listener.local_addr().unwrap());
    let router = kmc::http::router(kmc.clone());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    Running {
        kmc,
        url,
        cert: Certificate::from_der(&cert_der).unwrap(),
        _db: db,
    }
}

pub fn apply(holder: &Holder, enc_serial: &str) -> Request {
    Request::ApplyKey(ApplyKeyReq {
        app_key_type: gmt0014::algorithm(oids::CURVE_SM2),
        app_key_len: gmt0014::int(256).unwrap(),
        ret_asym_alg: gmt0014::algorithm(oids::SM2_ENCRYPT),
        ret_sym_alg: gmt0014::algorithm(oids::SM4_ECB),
        ret_hash_alg: gmt0014::algorithm(oids::SM3),
        app_user_info: user_info(holder, enc_serial),
    })
}

pub fn restore(holder: &Holder, enc_serial: &str) -> Request {
    Request::RestoreKey(RestoreKeyReq {
        ret_asym_alg: gmt0014::algorithm(oids::SM2_ENCRYPT),
        ret_sym_alg: gmt0014::algorithm(oids::SM4_ECB),
        ret_hash_alg: gmt0014::algorithm(oids::SM3),
        app_user_info: user_info(holder, enc_serial),
    })
}

pub fn revoke(enc_serial: &str) -> Request {
    Request::RevokeKey(RevokeKeyReq {
        user_cert_no: gmt0014::serial_int(&Serial::parse(enc_serial).unwrap()).unwrap(),
    })
}

fn user_info(holder: &Holder, enc_serial: &str) -> AppUserInfo {
    let recipient = IssuerAndSerialNumber::of_certificate(&holder.party.cert_der).unwrap();
    AppUserInfo {
        user_cert_no: gmt0014::serial_int(&Serial::parse(enc_serial).unwrap()).unwrap(),
        user_pub_key: SubjectPublicKeyInfoOwned::from_der(holder.party.key.spki_der()).unwrap(),
        not_before: gmt0014::time(1_800_000_000_000).unwrap(),
        not_after: gmt0014::time(1_830_000_000_000).unwrap(),
        user_name: None,
        ds_code: None,
        extend_info: Some(OctetString::new(recipient.to_der().unwrap()).unwrap()),
    }
}

/// A CARequest for `requests` under `task_no`, naming `named` and signed by
/// `signer`'s key.
pub fn request(named: &Party, signer: &Party, task_no: u64, requests: Vec<Request>) -> Vec<u8> {
    let ks = KsRequest {
        version: gmt0014::int(1).unwrap(),
        ca_name: EntName::of_certificate(&named.cert_der).unwrap(),
        request_list: requests,
        request_time: gmt0014::time(now_ms()).unwrap(),
        task_no: gmt0014::int(task_no).unwrap(),
    };
    CaRequest::sign(ks, &signer.key).unwrap().to_der().unwrap()
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// POSTs a request; the status and the verified answer.
pub async fn post(running: &Running, body: Vec<u8>) -> (u16, KmRespond) {
    let response = reqwest::Client::new()
        .post(&running.url)
        .header("content-type", "application/octet-stream")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let bytes = response.bytes().await.unwrap();
    let answer = KmRespond::read(&bytes)
        .unwrap_or_else(|e| panic!("{status}: {e}: {}", String::from_utf8_lossy(&bytes)));
    answer.verify(&running.cert).unwrap();
    (status, answer)
}

/// Row counts and the audit head of the KMC's database: equal snapshots
/// mean nothing was written.
pub async fn snapshot(running: &Running) -> String {
    use sqlx::Row;
    let pool = running.kmc.db().pool();
    let mut out = String::new();
    for sql in [
        "SELECT COUNT(*) FROM kmc_keys",
        "SELECT COUNT(*) FROM kmc_keys WHERE state = 'REVOKED'",
        "SELECT COUNT(*) FROM kmc_tasks",
        "SELECT COUNT(*) FROM kmc_secrets",
        "SELECT COUNT(*) FROM audit_log",
    ] {
        let v: i64 = sqlx::query(sql)
            .fetch_one(pool)
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
        out.push_str(&format!("{sql} = {v}\n"));
    }
    let head = sqlx::query("SELECT seq, hash FROM audit_head")
        .fetch_one(pool)
        .await
        .unwrap();
    let (seq, hash): (i64, String) = (head.try_get(0).unwrap(), head.try_get(1).unwrap());
    out.push_str(&format!("audit head {seq} {hash}\n"));
    out
}

/// The single answer of a task's list.
pub fn only(answer: &KmRespond) -> &gmt0014::Respond {
    let [one] = answer.ks_respond.respond_list.as_slice() else {
        panic!("one answer expected: {answer:?}");
    };
    one
}

/// The `errNum` and `errCause` of an `ErrorPkgRespond`.
pub fn error_of(respond: &gmt0014::Respond) -> (u64, String) {
    match respond {
        gmt0014::Respond::Error(e) => {
            (gmt0014::int_value(&e.err_num).unwrap(), e.err_cause.clone())
        }
        other => panic!("an error expected: {other:?}"),
    }
}

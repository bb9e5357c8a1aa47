//! The messages between a CA and its KMC (GM/T 0014-2012 §5.2.3.1; the
//! KMC's side in GM/T 0034-2014 §6.4), as DER types. `docs/kmc/gmt0014.asn1`
//! is the module with the source of every field; these types follow it.
//! Tags of the CHOICE alternatives are EXPLICIT, the module's default.

use der::asn1::{Any, GeneralizedTime, Int, OctetString};
use der::{Choice, Sequence};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::serial_number::SerialNumber;

/// Who a party is: its certificate's subject, the SM3 of its public key and
/// the certificate's serial.
#[derive(Debug, Clone, PartialEq, Eq, Sequence)]
pub struct EntName {
    /// sm3.
    pub hash_algorithm: AlgorithmIdentifierOwned,
    /// The certificate's subject, as a directoryName.
    pub ent_name: GeneralName,
    /// SM3 of the certificate's subjectPublicKey BIT STRING contents.
    pub ent_pub_key_hash: OctetString,
    pub serial_number: SerialNumber,
}

#[derive(Debug, Clone, PartialEq, Eq, Sequence)]
pub struct CaRequest {
    pub ks_request: KsRequest,
    /// sm2-with-sm3.
    pub signature_algorithm: AlgorithmIdentifierOwned,
    /// The CA's SM2 signature (DER) over the DER of `ks_request`.
    pub signature_value: OctetString,
}

#[derive(Debug, Clone, PartialEq, Eq, Sequence)]
pub struct KsRequest {
    /// 1.
    pub version: Int,
    pub ca_name: EntName,
    pub request_list: Vec<Request>,
    pub request_time: GeneralizedTime,
    /// The CA's number for this task: the same number asks the same again.
    pub task_no: Int,
}

#[derive(Debug, Clone, PartialEq, Eq, Choice)]
pub enum Request {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", constructed = "true")]
    ApplyKey(ApplyKeyReq),
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", constructed = "true")]
    RestoreKey(RestoreKeyReq),
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT", constructed = "true")]
    RevokeKey(RevokeKeyReq),
}

/// A new encryption key pair for a holder.
#[derive(Debug, Clone, PartialEq, Eq, Sequence)]
pub struct ApplyKeyReq {
    /// The pair to make: sm2 (id-ecPublicKey's SM2 curve OID, 1.2.156.10197.1.301).
    pub app_key_type: AlgorithmIdentifierOwned,
    /// 256.
    pub app_key_len: Int,
    /// How the key comes back: sm2-3 (1.2.156.10197.1.301.3) to the holder's key,
    pub ret_asym_alg: AlgorithmIdentifierOwned,
    /// under sm4 (1.2.156.10197.1.104.1, ECB),
    pub ret_sym_alg: AlgorithmIdentifierOwned,
    /// signed with sm3.
    pub ret_hash_alg: AlgorithmIdentifierOwned,
    pub app_user_info: AppUserInfo,
}

/// A holder's earlier encryption key, enveloped to their current signing key
/// (GM/T 0034 §12.4, user key recovery).
#[derive(Debug, Clone, PartialEq, Eq, Sequence)]
pub struct RestoreKeyReq {
    pub ret_asym_alg: AlgorithmIdentifierOwned,
    pub ret_sym_alg: AlgorithmIdentifierOwned,
    pub ret_hash_alg: AlgorithmIdentifierOwned,
    pub app_user_info: AppUserInfo,
}

#[derive(Debug, Clone, PartialEq, Eq, Sequence)]
pub struct RevokeKeyReq {
    /// The encryption certificate whose key is revoked.
    pub user_cert_no: Int,
}

#[derive(Debug, Clone, PartialEq, Eq, Sequence)]
pub struct AppUserInfo {
    /// The serial number of the encryption certificate the key is for.
    pub user_cert_no: Int,
    /// The holder's signing public key: the key is enveloped to it.
    pub user_pub_key: SubjectPublicKeyInfoOwned,
    pub not_before: GeneralizedTime,
    pub not_after: GeneralizedTime,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    pub user_name: Option<OctetString>,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    pub ds_code: Option<OctetString>,
    /// certhall puts the DER IssuerAndSerialNumber of the holder's signing
    /// certificate here: the recipient of the SignedAndEnvelopedData.
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT", optional = "true")]
    pub extend_info: Option<OctetString>,
}

#[derive(Debug, Clone, PartialEq, Eq, Sequence)]
pub struct KmRespond {
    pub ks_respond: KsRespond,
    pub signature_algorithm: AlgorithmIdentifierOwned,
    /// The KMC's SM2 signature (DER) over the DER of `ks_respond`.
    pub signature_value: OctetString,
}

#[derive(Debug, Clone, PartialEq, Eq, Sequence)]
pub struct KsRespond {
    pub version: Int,
    pub km_name: EntName,
    /// One answer per request, in the request's order.
    pub respond_list: Vec<Respond>,
    pub respond_time: GeneralizedTime,
    /// The request's task number (0 when the request could not be read).
    pub task_no: Int,
}

#[derive(Debug, Clone, PartialEq, Eq, Choice)]
pub enum Respond {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", constructed = "true")]
    RetKey(RetKeyRespond),
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", constructed = "true")]
    RestoreKey(RetKeyRespond),
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT", constructed = "true")]
    RevokeKey(RevokeKeyRespond),
    #[asn1(context_specific = "3", tag_mode = "EXPLICIT", constructed = "true")]
    Error(ErrorPkgRespond),
}

#[derive(Debug, Clone, PartialEq, Eq, Sequence)]
pub struct RetKeyRespond {
    pub user_cert_no: Int,
    /// The encryption key pair's public key.
    pub ret_pub_key: SubjectPublicKeyInfoOwned,
    /// The private key: a GB/T 35275 SignedAndEnvelopedData (see
    /// `envelope::signed`).
    pub ret_pri_key: Any,
}

#[derive(Debug, Clone, PartialEq, Eq, Sequence)]
pub struct RevokeKeyRespond {
    pub user_cert_no: Int,
}

#[derive(Debug, Clone, PartialEq, Eq, Sequence)]
pub struct ErrorPkgRespond {
    pub err_num: Int,
    pub err_cause: String,
}

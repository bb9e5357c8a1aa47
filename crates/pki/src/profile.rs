//! What goes into each kind of certificate: the CA hierarchy, the delegated OCSP
//! signer, and the holders' 机构证书 / 个人证书 (GM/T 0015 identity extensions).

use der::Encode;
use der::asn1::{Ia5String, Null, OctetString, PrintableStringRef};
use domain::SubjectInfo;
use spki::ObjectIdentifier;
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::crl::dp::DistributionPoint;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{
    AccessDescription, AuthorityInfoAccessSyntax, AuthorityKeyIdentifier, BasicConstraints,
    CertificatePolicies, CrlDistributionPoints, ExtendedKeyUsage, KeyUsage, KeyUsages,
    certpolicy::PolicyInformation,
};
use x509_cert::name::Name;

use crate::cert::name;
use crate::{PkiError, derw, oids};

/// The public URLs written into certificates (AIA, CDP). Built from the server's
/// public URL, so they point at this installation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PkiUrls {
    pub ocsp: String,
    pub ca_issuers: String,
    pub crl: String,
}

impl PkiUrls {
    pub fn from_public_url(public_url: &str) -> Self {
        let base = public_url.trim_end_matches('/');
        PkiUrls {
            ocsp: format!("{base}/pki/ocsp"),
            ca_issuers: format!("{base}/pki/issuing.crt"),
            crl: format!("{base}/pki/crl"),
        }
    }
}

/// Names and policy of this CA, from configuration.
#[derive(Debug, Clone)]
pub struct CaNaming {
    /// The operator's organisation name, O= of the CA certificates.
    pub organization: String,
    /// Prefix of the CAs' common names ("… Root CA", "… Issuing CA").
    pub common_name: String,
    /// The certificate policy OID of the operator's CP/CPS.
    pub policy_oid: ObjectIdentifier,
}

fn ext(oid: ObjectIdentifier, critical: bool, value: &impl Encode) -> Result<Extension, PkiError> {
    Ok(Extension {
        extn_id: oid,
        critical,
        extn_value: OctetString::new(value.to_der()?)?,
    })
}

fn ski(key_id: &[u8]) -> Result<Extension, PkiError> {
    ext(oids::EXT_SUBJECT_KEY_ID, false, &OctetString::new(key_id)?)
}

fn aki(issuer_key_id: &[u8]) -> Result<Extension, PkiError> {
    ext(
        oids::EXT_AUTHORITY_KEY_ID,
        false,
        &AuthorityKeyIdentifier {
            key_identifier: Some(OctetString::new(issuer_key_id)?),
            authority_cert_issuer: None,
            authority_cert_serial_number: None,
        },
    )
}

fn uri(s: &str) -> Result<GeneralName, PkiError> {
    Ok(GeneralName::UniformResourceIdentifier(Ia5String::new(s)?))
}

pub fn root_name(n: &CaNaming) -> Result<Name, PkiError> {
    name(&[
        (oids::AT_COUNTRY, "CN"),
        (oids::AT_ORGANIZATION, &n.organization),
        (oids::AT_COMMON_NAME, &format!("{} Root CA", n.common_name)),
    ])
}

pub fn issuing_name(n: &CaNaming) -> Result<Name, PkiError> {
    name(&[
        (oids::AT_COUNTRY, "CN"),
        (oids::AT_ORGANIZATION, &n.organization),
        (
            oids::AT_COMMON_NAME,
            &format!("{} Issuing CA", n.common_name),
        ),
    ])
}

pub fn ocsp_name(n: &CaNaming) -> Result<Name, PkiError> {
    name(&[
        (oids::AT_COUNTRY, "CN"),
        (oids::AT_ORGANIZATION, &n.organization),
        (
            oids::AT_COMMON_NAME,
            &format!("{} OCSP Responder", n.common_name),
        ),
    ])
}

/// Self-signed root: CA, no path length limit of its own, signs certificates and CRLs.
pub fn root_extensions(key_id: &[u8]) -> Result<Vec<Extension>, PkiError> {
    Ok(vec![
        ext(
            oids::EXT_BASIC_CONSTRAINTS,
            true,
            &BasicConstraints {
                ca: true,
                path_len_constraint: None,
            },
        )?,
        ext(
            oids::EXT_KEY_USAGE,
            true,
            &KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign),
        )?,
        ski(key_id)?,
    ])
}

/// The issuing CA under the root: may sign only end-entity certificates.
pub fn issuing_extensions(
    key_id: &[u8],
    root_key_id: &[u8],
    public_url: &str,
) -> Result<Vec<Extension>, PkiError> {
    let root_url = format!("{}/pki/root.crt", public_url.trim_end_matches('/'));
    Ok(vec![
        ext(
            oids::EXT_BASIC_CONSTRAINTS,
            true,
            &BasicConstraints {
                ca: true,
                path_len_constraint: Some(0),
            },
        )?,
        ext(
            oids::EXT_KEY_USAGE,
            true,
            &KeyUsage(KeyUsages::DigitalSignature | KeyUsages::KeyCertSign | KeyUsages::CRLSign),
        )?,
        ski(key_id)?,
        aki(root_key_id)?,
        ext(
            oids::EXT_AUTHORITY_INFO_ACCESS,
            false,
            &AuthorityInfoAccessSyntax(vec![AccessDescription {
                access_method: oids::AD_CA_ISSUERS,
                access_location: uri(&root_url)?,
            }]),
        )?,
        ext(
            oids::EXT_CERTIFICATE_POLICIES,
            false,
            &CertificatePolicies(vec![PolicyInformation {
                policy_identifier: ObjectIdentifier::new_unwrap("2.5.29.32.0"),
                policy_qualifiers: None,
            }]),
        )?,
    ])
}

/// The delegated OCSP signer (RFC 6960 §4.2.2.2): id-kp-OCSPSigning, and
/// id-pkix-ocsp-nocheck so clients do not ask about the responder itself.
pub fn ocsp_signer_extensions(
    key_id: &[u8],
    issuer_key_id: &[u8],
) -> Result<Vec<Extension>, PkiError> {
    let mut exts = service_extensions(key_id, issuer_key_id)?;
    exts.insert(
        2,
        ext(
            oids::EXT_EXTENDED_KEY_USAGE,
            false,
            &ExtendedKeyUsage(vec![oids::KP_OCSP_SIGNING]),
        )?,
    );
    exts.insert(3, ext(oids::OCSP_NOCHECK, false, &Null)?);
    Ok(exts)
}

/// A service of the CA's own that signs what it sends (the KMC, GM/T 0014):
/// digitalSignature only, no EKU.
pub fn service_extensions(key_id: &[u8], issuer_key_id: &[u8]) -> Result<Vec<Extension>, PkiError> {
    Ok(vec![
        ext(
            oids::EXT_BASIC_CONSTRAINTS,
            true,
            &BasicConstraints {
                ca: false,
                path_len_constraint: None,
            },
        )?,
        ext(
            oids::EXT_KEY_USAGE,
            true,
            &KeyUsage(KeyUsages::DigitalSignature.into()),
        )?,
        ski(key_id)?,
        aki(issuer_key_id)?,
    ])
}

/// The holder's subject name: C=CN, O (机构), CN.
pub fn holder_name(subject: &SubjectInfo) -> Result<Name, PkiError> {
    match subject.organization() {
        Some(org) => name(&[
            (oids::AT_COUNTRY, "CN"),
            (oids::AT_ORGANIZATION, org.as_str()),
            (oids::AT_COMMON_NAME, subject.common_name().as_str()),
        ]),
        None => name(&[
            (oids::AT_COUNTRY, "CN"),
            (oids::AT_COMMON_NAME, subject.common_name().as_str()),
        ]),
    }
}

/// What a holder's key is for. An SM2 CA issues both (GM/T 0015-2012 §7.2,
/// GM/T 0034 §6): the signing key is made in the holder's USB key, the
/// encryption key pair by the KMC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRole {
    /// digitalSignature + nonRepudiation.
    Signing,
    /// keyEncipherment + dataEncipherment + keyAgreement, no nonRepudiation.
    Encryption,
}

impl KeyRole {
    fn key_usages(self) -> der::flagset::FlagSet<KeyUsages> {
        match self {
            KeyRole::Signing => KeyUsages::DigitalSignature | KeyUsages::NonRepudiation,
            KeyRole::Encryption => {
                KeyUsages::KeyEncipherment | KeyUsages::DataEncipherment | KeyUsages::KeyAgreement
            }
        }
    }
}

/// The extensions of an encryption certificate issued with the signing
/// certificate whose extensions are `signing`: the same, but for the key
/// usage (GM/T 0015: keyEncipherment, dataEncipherment, keyAgreement) and
/// the subject key identifier of its own key.
pub fn encryption_extensions(
    signing: &[Extension],
    key_id: &[u8],
) -> Result<Vec<Extension>, PkiError> {
    signing
        .iter()
        .map(|e| {
            Ok(if e.extn_id == oids::EXT_KEY_USAGE {
                ext(
                    oids::EXT_KEY_USAGE,
                    true,
                    &KeyUsage(KeyRole::Encryption.key_usages()),
                )?
            } else if e.extn_id == oids::EXT_SUBJECT_KEY_ID {
                ski(key_id)?
            } else {
                e.clone()
            })
        })
        .collect()
}

/// End-entity extensions of 机构证书 and 个人证书: the key usage of its role
/// (`KeyRole`), client authentication and e-mail/document protection, the GM/T 0015
/// identity extension, and where to check status.
pub fn holder_extensions(
    subject: &SubjectInfo,
    role: KeyRole,
    key_id: &[u8],
    issuer_key_id: &[u8],
    urls: &PkiUrls,
    naming: &CaNaming,
) -> Result<Vec<Extension>, PkiError> {
    let mut exts = vec![
        ext(
            oids::EXT_BASIC_CONSTRAINTS,
            true,
            &BasicConstraints {
                ca: false,
                path_len_constraint: None,
            },
        )?,
        ext(oids::EXT_KEY_USAGE, true, &KeyUsage(role.key_usages()))?,
        ext(
            oids::EXT_EXTENDED_KEY_USAGE,
            false,
            &ExtendedKeyUsage(vec![oids::KP_CLIENT_AUTH, oids::KP_EMAIL_PROTECTION]),
        )?,
        ski(key_id)?,
        aki(issuer_key_id)?,
        ext(
            oids::EXT_AUTHORITY_INFO_ACCESS,
            false,
            &AuthorityInfoAccessSyntax(vec![
                AccessDescription {
                    access_method: oids::AD_OCSP,
                    access_location: uri(&urls.ocsp)?,
                },
                AccessDescription {
                    access_method: oids::AD_CA_ISSUERS,
                    access_location: uri(&urls.ca_issuers)?,
                },
            ]),
        )?,
        ext(
            oids::EXT_CRL_DISTRIBUTION_POINTS,
            false,
            &CrlDistributionPoints(vec![DistributionPoint {
                distribution_point: Some(DistributionPointName::FullName(vec![uri(&urls.crl)?])),
                reasons: None,
                crl_issuer: None,
            }]),
        )?,
        ext(
            oids::EXT_CERTIFICATE_POLICIES,
            false,
            &CertificatePolicies(vec![PolicyInformation {
                policy_identifier: naming.policy_oid,
                policy_qualifiers: None,
            }]),
        )?,
    ];
    if let Some(code) = subject.credit_code() {
        // OrganizationCode ::= PrintableString
        exts.push(ext(
            oids::GMT_ORGANIZATION_CODE,
            false,
            &PrintableStringRef::new(code.as_str())?,
        )?);
    }
    if let Some(id) = subject.id_number() {
        // IdentifyCode ::= CHOICE { residenterCardNumber [0] PrintableString, … }
        let inner = PrintableStringRef::new(id.expose())?.to_der()?;
        exts.push(Extension {
            extn_id: oids::GMT_IDENTITY_CODE,
            critical: false,
            extn_value: OctetString::new(derw::wrap(0xa0, &inner))?,
        });
    }
    Ok(exts)
}

/// The GM/T 0015 identity values in a certificate we issued: (身份证号,
/// 统一社会信用代码). Used to pre-fill a change form from the holder's own
/// certificate.
pub fn identity_values(cert_der: &[u8]) -> (Option<String>, Option<String>) {
    use der::Decode;
    let Ok(cert) = x509_cert::Certificate::from_der(cert_der) else {
        return (None, None);
    };
    let mut id = None;
    let mut code = None;
    for e in cert.tbs_certificate().extensions().into_iter().flatten() {
        let v = e.extn_value.as_bytes();
        if e.extn_id == oids::GMT_IDENTITY_CODE {
            // [0] { PrintableString }
            if let Some((0xa0, h, _)) = crate::tlv::element(v)
                && let Some((0x13, h2, t2)) = crate::tlv::element(&v[h..])
            {
                id = std::str::from_utf8(&v[h + h2..h + t2])
                    .ok()
                    .map(str::to_string);
            }
        } else if e.extn_id == oids::GMT_ORGANIZATION_CODE
            && let Some((0x13, h, t)) = crate::tlv::element(v)
        {
            code = std::str::from_utf8(&v[h..t]).ok().map(str::to_string);
        }
    }
    (id, code)
}

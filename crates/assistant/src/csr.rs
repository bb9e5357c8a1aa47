//! PKCS#10 requests signed inside the token. The CA takes only the key from a
//! request (the subject comes from the approved application), so the subject
//! here is just a name for the request.

use pki::derw::{self, SEQUENCE};

use crate::error::Error;
use crate::token::{KeyKind, KeyRef, Token};

/// `AlgorithmIdentifier` of the signature a key of `kind` makes.
pub fn signature_algorithm(kind: KeyKind) -> Vec<u8> {
    match kind {
        KeyKind::P256 => derw::wrap(
            SEQUENCE,
            &derw::wrap(0x06, pki::oids::ECDSA_WITH_SHA256.as_bytes()),
        ),
        KeyKind::Rsa2048 => derw::wrap(
            SEQUENCE,
            &[
                derw::wrap(0x06, pki::oids::SHA256_WITH_RSA.as_bytes()),
                vec![0x05, 0x00],
            ]
            .concat(),
        ),
        // SM3withSM2, no parameters (GM/T 0015).
        KeyKind::Sm2 => derw::wrap(
            SEQUENCE,
            &derw::wrap(0x06, pki::oids::SM3_WITH_SM2.as_bytes()),
        ),
    }
}

/// A DER CSR for `key`, signed by it inside the token.
pub fn build(token: &Token, key: &KeyRef, common_name: &str) -> Result<Vec<u8>, Error> {
    let spki = token.public_spki(key)?;
    // Name ::= SEQUENCE { SET { SEQUENCE { id-at-commonName, UTF8String } } }
    let cn = derw::wrap(
        SEQUENCE,
        &[
            derw::wrap(0x06, pki::oids::AT_COMMON_NAME.as_bytes()),
            derw::wrap(0x0c, common_name.as_bytes()),
        ]
        .concat(),
    );
    let name = derw::wrap(SEQUENCE, &derw::wrap(0x31, &cn));
    let info = derw::wrap(
        SEQUENCE,
        &[
            vec![0x02, 0x01, 0x00], // version 0
            name,
            spki,
            vec![0xa0, 0x00], // attributes: none
        ]
        .concat(),
    );
    let signature = token.sign(key, &info)?;
    Ok(derw::signed(
        &info,
        &signature_algorithm(key.kind),
        &signature,
    ))
}

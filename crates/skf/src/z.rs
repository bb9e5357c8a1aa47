//! The SM2 signing digest in software (GM/T 0009 / GB/T 32918.2), for
//! libraries without `SKF_DigestInit`/`SKF_Digest`:
//! `Z = SM3(ENTL ‖ ID ‖ a ‖ b ‖ xG ‖ yG ‖ xA ‖ yA)`, then `SM3(Z ‖ M)`.

use sm3::{Digest, Sm3};

use crate::SkfError;
use crate::ecc::Sm2PublicKey;

/// The signer ID everyone uses unless agreed otherwise (GM/T 0009).
pub const DEFAULT_ID: &[u8] = b"1234567812345678";

/// The longest ID: its length in bits must fit ENTL's 16 bits.
pub const ID_MAX: usize = 8191;

/// The curve's a, b and base point G (GB/T 32918.5).
const A: [u8; 32] = hex32("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC");
const B: [u8; 32] = hex32("28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93");
const GX: [u8; 32] = hex32("32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7");
const GY: [u8; 32] = hex32("BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0");

/// `Z` of `key` and `id`.
pub fn z_value(key: &Sm2PublicKey, id: &[u8]) -> Result<[u8; 32], SkfError> {
    check_id(id)?;
    let entl = (id.len() as u16 * 8).to_be_bytes();
    let mut sm3 = Sm3::new();
    for part in [&entl[..], id, &A, &B, &GX, &GY, &key.x, &key.y] {
        sm3.update(part);
    }
    Ok(sm3.finalize().into())
}

/// `SM3(Z ‖ message)`, the value `SKF_ECCSignData` signs.
pub fn digest_for_signing(
    key: &Sm2PublicKey,
    id: &[u8],
    message: &[u8],
) -> Result<[u8; 32], SkfError> {
    let z = z_value(key, id)?;
    let mut sm3 = Sm3::new();
    sm3.update(z);
    sm3.update(message);
    Ok(sm3.finalize().into())
}

/// `InvalidInput` for an ID ENTL cannot express.
pub(crate) fn check_id(id: &[u8]) -> Result<(), SkfError> {
    if id.len() > ID_MAX {
        Err(SkfError::InvalidInput(format!(
            "签名者 ID 最长 {ID_MAX} 字节"
        )))
    } else {
        Ok(())
    }
}

/// 64 hex digits as bytes, at compile time.
const fn hex32(hex: &str) -> [u8; 32] {
    const fn digit(c: u8) -> u8 {
        match c {
            b'0'..=b'9' => c - b'0',
            b'A'..=b'F' => c - b'A' + 10,
            _ => panic!("not an upper-case hex digit"),
        }
    }
    let hex = hex.as_bytes();
    assert!(hex.len() == 64);
    let mut out = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        out[i] = digit(hex[2 * i]) << 4 | digit(hex[2 * i + 1]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// GB/T 32918.2 appendix A's example is over another curve; this is the
    /// Z of the well-known SM2 test key (GM/T 0003.5 §A.2's public key,
    /// default ID), as GmSSL computes it.
    #[test]
    fn the_z_of_a_published_key() {
        let key = Sm2PublicKey {
            x: hex32("09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020"),
            y: hex32("CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13"),
        };
        let z = z_value(&key, DEFAULT_ID).unwrap();
        assert_eq!(
            hex::encode_upper(z),
            "B2E14C5C79C6DF5B85F4FE7ED8DB7A262B9DA7E07CCB0EA9F4747B8CCDA8A4F3"
        );
    }

    #[test]
    fn an_id_too_long_for_entl_is_refused() {
        let key = Sm2PublicKey {
            x: [1; 32],
            y: [2; 32],
        };
        assert!(z_value(&key, &[0; ID_MAX]).is_ok());
        assert!(matches!(
            z_value(&key, &[0; ID_MAX + 1]),
            Err(SkfError::InvalidInput(_))
        ));
    }
}

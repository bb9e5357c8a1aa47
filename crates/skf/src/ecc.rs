//! SM2 values as the rest of the program uses them: keys, signatures,
//! ciphertexts and a KMC's key envelope, without the standard's 64-byte
//! fields.

/// An SM2 public key: the point's coordinates, big-endian.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sm2PublicKey {
    pub x: [u8; 32],
    pub y: [u8; 32],
}

/// An SM2 signature: r and s, big-endian.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sm2Signature {
    pub r: [u8; 32],
    pub s: [u8; 32],
}

/// An SM2 ciphertext in the parts `ECCCIPHERBLOB` keeps: C1 (x, y), C3
/// (`hash`) and C2 (`cipher`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EccCipher {
    pub x: [u8; 32],
    pub y: [u8; 32],
    pub hash: [u8; 32],
    pub cipher: Vec<u8>,
}

/// A KMC's delivery of an encryption key pair (`ENVELOPEDKEYBLOB`): the
/// private key encrypted under a symmetric key (`encrypted_private_key`, the
/// 32-byte key right-aligned in 64 bytes), that symmetric key encrypted to
/// the container's signing key (`wrapped_key`), and the public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvelopedKey {
    /// 1.
    pub version: u32,
    /// `SGD_SM4_ECB` (0x401) in practice.
    pub symmetric_algorithm: u32,
    /// 256.
    pub bits: u32,
    pub encrypted_private_key: [u8; 64],
    pub public_key: Sm2PublicKey,
    pub wrapped_key: EccCipher,
}

impl Sm2PublicKey {
    /// `04 ‖ x ‖ y`, the SEC 1 uncompressed point of a SubjectPublicKeyInfo.
    pub fn to_sec1_uncompressed(&self) -> [u8; 65] {
        let mut point = [0u8; 65];
        point[0] = 0x04;
        point[1..33].copy_from_slice(&self.x);
        point[33..].copy_from_slice(&self.y);
        point
    }
}

impl Sm2Signature {
    /// `SEQUENCE { INTEGER r, INTEGER s }` (DER), the form X.509 and
    /// PKCS#10 carry in their signature BIT STRING.
    pub fn to_der(&self) -> Vec<u8> {
        let r = der_integer(&self.r);
        let s = der_integer(&self.s);
        // At most 2 × (2 + 33) = 70 bytes: the short length form always fits.
        let mut der = Vec::with_capacity(2 + r.len() + s.len());
        der.push(0x30);
        der.push((r.len() + s.len()) as u8);
        der.extend_from_slice(&r);
        der.extend_from_slice(&s);
        der
    }
}

/// A DER INTEGER of an unsigned big-endian value: leading zeros dropped,
/// one zero put back when the top bit is set (it would read as negative).
fn der_integer(value: &[u8; 32]) -> Vec<u8> {
    let start = value
        .iter()
        .position(|&b| b != 0)
        .unwrap_or(value.len() - 1);
    let digits = &value[start..];
    let pad = digits[0] & 0x80 != 0;
    let mut integer = vec![0x02, (digits.len() + usize::from(pad)) as u8];
    if pad {
        integer.push(0);
    }
    integer.extend_from_slice(digits);
    integer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_integers_are_minimal_and_positive() {
        let mut r = [0u8; 32];
        r[31] = 1;
        let mut s = [0xffu8; 32];
        s[0] = 0x80;
        let der = Sm2Signature { r, s }.to_der();
        assert_eq!(&der[..5], &[0x30, 3 + 35, 0x02, 0x01, 0x01]);
        assert_eq!(&der[5..8], &[0x02, 33, 0x00]);
        assert_eq!(der.len(), 2 + 3 + 35);
        let zero = Sm2Signature {
            r: [0; 32],
            s: [0; 32],
        };
        assert_eq!(zero.to_der(), [0x30, 6, 2, 1, 0, 2, 1, 0]);
    }
}

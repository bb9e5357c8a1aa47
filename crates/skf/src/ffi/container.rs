//! Calls on a container handle: keys, signatures, certificates (§7.5,
//! §7.6).

#![expect(unsafe_code, reason = "calls the vendor's container functions")]

use super::{ContainerHandle, len_u32, out_buf};
use crate::SkfError;
use crate::blobs::{EccPublicKeyBlob, EccSignatureBlob, Zeroed};

impl ContainerHandle<'_> {
    fn lib(&self) -> &super::Lib {
        self.app.dev.lib
    }

    /// `SKF_GenECCKeyPair`.
    pub(crate) fn gen_ecc_key_pair(&self, alg_id: u32) -> Result<EccPublicKeyBlob, SkfError> {
        let mut blob = EccPublicKeyBlob::zeroed();
        // SAFETY: a live handle and a blob of ours.
        let code =
            unsafe { (self.lib().required.gen_ecc_key_pair)(self.raw.as_ptr(), alg_id, &mut blob) };
        SkfError::check("SKF_GenECCKeyPair", code)?;
        Ok(blob)
    }

    /// `SKF_ExportPublicKey`: the claimed length written into `out`.
    pub(crate) fn export_public_key(&self, sign: bool, out: &mut [u8]) -> Result<usize, SkfError> {
        let (ptr, mut len) = out_buf(Some(out));
        // SAFETY: a live handle, an output of `len` bytes, a live u32.
        let code = unsafe {
            (self.lib().required.export_public_key)(
                self.raw.as_ptr(),
                i32::from(sign),
                ptr,
                &mut len,
            )
        };
        SkfError::check("SKF_ExportPublicKey", code)?;
        Ok(len as usize)
    }

    /// `SKF_ECCSignData` over a 32-byte digest.
    pub(crate) fn ecc_sign_data(&self, digest: &[u8; 32]) -> Result<EccSignatureBlob, SkfError> {
        let mut digest = *digest;
        let mut signature = EccSignatureBlob::zeroed();
        // SAFETY: a live handle, 32 bytes of ours, a blob of ours.
        let code = unsafe {
            (self.lib().required.ecc_sign_data)(
                self.raw.as_ptr(),
                digest.as_mut_ptr(),
                32,
                &mut signature,
            )
        };
        SkfError::check("SKF_ECCSignData", code)?;
        Ok(signature)
    }

    /// `SKF_ImportCertificate`.
    pub(crate) fn import_certificate(&self, sign: bool, der: &[u8]) -> Result<(), SkfError> {
        let mut der = der.to_vec();
        // SAFETY: a live handle and an input of ours of the length passed.
        let code = unsafe {
            (self.lib().required.import_certificate)(
                self.raw.as_ptr(),
                i32::from(sign),
                der.as_mut_ptr(),
                len_u32(der.len()),
            )
        };
        SkfError::check("SKF_ImportCertificate", code)
    }

    /// `SKF_ExportCertificate`: the claimed length (a size query if `buf`
    /// is `None`).
    pub(crate) fn export_certificate(
        &self,
        sign: bool,
        buf: Option<&mut [u8]>,
    ) -> Result<usize, SkfError> {
        let (ptr, mut len) = out_buf(buf);
        // SAFETY: a live handle; `ptr` null or a buffer of `len` bytes.
        let code = unsafe {
            (self.lib().required.export_certificate)(
                self.raw.as_ptr(),
                i32::from(sign),
                ptr,
                &mut len,
            )
        };
        SkfError::check("SKF_ExportCertificate", code)?;
        Ok(len as usize)
    }

    /// `SKF_ImportECCKeyPair` (optional), with a whole `ENVELOPEDKEYBLOB`
    /// as bytes.
    pub(crate) fn import_ecc_key_pair(&self, envelope: &[u8]) -> Result<(), SkfError> {
        const NAME: &str = "SKF_ImportECCKeyPair";
        let import = self
            .lib()
            .optional
            .import_ecc_key_pair
            .ok_or(SkfError::NotSupported(NAME))?;
        let mut envelope = envelope.to_vec();
        // SAFETY: a live handle and a complete ENVELOPEDKEYBLOB of ours (its
        // ECCCIPHERBLOB's CipherLen bytes included, see `blobs`).
        let code = unsafe { import(self.raw.as_ptr(), envelope.as_mut_ptr()) };
        SkfError::check(NAME, code)
    }

    /// `SKF_ECCPrvKeyDecrypt` (optional): the claimed length (a size query
    /// if `out` is `None`).
    pub(crate) fn ecc_prv_key_decrypt(
        &self,
        cipher_blob: &[u8],
        out: Option<&mut [u8]>,
    ) -> Result<usize, SkfError> {
        const NAME: &str = "SKF_ECCPrvKeyDecrypt";
        let decrypt = self
            .lib()
            .optional
            .ecc_prv_key_decrypt
            .ok_or(SkfError::NotSupported(NAME))?;
        let mut cipher_blob = cipher_blob.to_vec();
        let (ptr, mut len) = out_buf(out);
        // SAFETY: a live handle, a complete ECCCIPHERBLOB of ours, null or an
        // output of `len` bytes and a live u32.
        let code = unsafe { decrypt(self.raw.as_ptr(), cipher_blob.as_mut_ptr(), ptr, &mut len) };
        SkfError::check(NAME, code)?;
        Ok(len as usize)
    }

    /// `SKF_GetContainerType` (optional).
    pub(crate) fn get_container_type(&self) -> Result<u32, SkfError> {
        const NAME: &str = "SKF_GetContainerType";
        let get = self
            .lib()
            .optional
            .get_container_type
            .ok_or(SkfError::NotSupported(NAME))?;
        let mut kind = 0u32;
        // SAFETY: a live handle and a live u32.
        let code = unsafe { get(self.raw.as_ptr(), &mut kind) };
        SkfError::check(NAME, code)?;
        Ok(kind)
    }
}

//! Calls on the library and on a device handle (GM/T 0016 §7.1, §7.2,
//! §7.3's application functions that take a device, §7.6's device-level
//! cryptography).

#![expect(unsafe_code, reason = "calls the vendor's device functions")]

use std::ffi::c_void;
use std::ptr;

use super::{AppHandle, CText, DevHandle, Lib, SessionHandle, handle, len_u32, out_buf};
use crate::SkfError;
use crate::blobs::{BlockCipherParam, DevInfo, EccPublicKeyBlob, EccSignatureBlob, Zeroed};

impl Lib {
    /// `SKF_EnumDev(TRUE, …)`: the claimed length of the name list.
    pub(crate) fn enum_dev(&self, buf: Option<&mut [u8]>) -> Result<usize, SkfError> {
        let (ptr, mut len) = out_buf(buf);
        // SAFETY: `ptr` is null or a buffer of `len` bytes, `len` a live
        // u32 (see the module's rules).
        let code = unsafe { (self.required.enum_dev)(1, ptr.cast(), &mut len) };
        SkfError::check("SKF_EnumDev", code)?;
        Ok(len as usize)
    }

    /// `SKF_GetDevState`.
    pub(crate) fn get_dev_state(&self, name: &CText) -> Result<u32, SkfError> {
        let mut name = name.for_call();
        let mut state = 0u32;
        // SAFETY: a NUL-terminated string of ours and a live u32.
        let code = unsafe { (self.required.get_dev_state)(name.as_mut_ptr().cast(), &mut state) };
        SkfError::check("SKF_GetDevState", code)?;
        Ok(state)
    }

    /// `SKF_ConnectDev`.
    pub(crate) fn connect_dev(&self, name: &CText) -> Result<DevHandle<'_>, SkfError> {
        let mut name = name.for_call();
        let mut raw: *mut c_void = ptr::null_mut();
        // SAFETY: a NUL-terminated string of ours and a live handle slot.
        let code = unsafe { (self.required.connect_dev)(name.as_mut_ptr().cast(), &mut raw) };
        SkfError::check("SKF_ConnectDev", code)?;
        Ok(DevHandle {
            lib: self,
            raw: handle("SKF_ConnectDev", raw)?,
        })
    }

    /// `SKF_WaitForDevEvent`: blocks; the claimed name length (NUL
    /// included) and the event.
    pub(crate) fn wait_for_dev_event(&self, buf: &mut [u8]) -> Result<(usize, u32), SkfError> {
        const NAME: &str = "SKF_WaitForDevEvent";
        let wait = self
            .optional
            .wait_for_dev_event
            .ok_or(SkfError::NotSupported(NAME))?;
        let (ptr, mut len) = out_buf(Some(buf));
        let mut event = 0u32;
        // SAFETY: a buffer of `len` bytes and two live u32s.
        let code = unsafe { wait(ptr.cast(), &mut len, &mut event) };
        SkfError::check(NAME, code)?;
        Ok((len as usize, event))
    }
}

impl<'l> DevHandle<'l> {
    fn lib(&self) -> &'l Lib {
        self.lib
    }

    /// `SKF_GetDevInfo`.
    pub(crate) fn get_dev_info(&self) -> Result<DevInfo, SkfError> {
        let mut info = DevInfo::zeroed();
        // SAFETY: a live handle (module rules) and a DEVINFO of ours.
        let code = unsafe { (self.lib.required.get_dev_info)(self.raw.as_ptr(), &mut info) };
        SkfError::check("SKF_GetDevInfo", code)?;
        Ok(info)
    }

    /// `SKF_GenRandom`: fills `buf`.
    pub(crate) fn gen_random(&self, buf: &mut [u8]) -> Result<(), SkfError> {
        let len = len_u32(buf.len());
        // SAFETY: a live handle and a buffer of `len` bytes.
        let code =
            unsafe { (self.lib.required.gen_random)(self.raw.as_ptr(), buf.as_mut_ptr(), len) };
        SkfError::check("SKF_GenRandom", code)
    }

    /// `SKF_DevAuth`.
    pub(crate) fn dev_auth(&self, data: &[u8]) -> Result<(), SkfError> {
        let mut data = data.to_vec();
        let len = len_u32(data.len());
        // SAFETY: a live handle and a buffer of ours of `len` bytes.
        let code =
            unsafe { (self.lib.required.dev_auth)(self.raw.as_ptr(), data.as_mut_ptr(), len) };
        SkfError::check("SKF_DevAuth", code)
    }

    /// `SKF_SetSymmKey`: a session key of 16 bytes.
    pub(crate) fn set_symm_key(
        &self,
        key: &[u8; 16],
        alg_id: u32,
    ) -> Result<SessionHandle<'_>, SkfError> {
        let mut key = *key;
        let mut raw: *mut c_void = ptr::null_mut();
        // SAFETY: a live handle, 16 key bytes of ours, a live handle slot.
        let code = unsafe {
            (self.lib.required.set_symm_key)(self.raw.as_ptr(), key.as_mut_ptr(), alg_id, &mut raw)
        };
        SkfError::check("SKF_SetSymmKey", code)?;
        Ok(SessionHandle {
            dev: self,
            raw: handle("SKF_SetSymmKey", raw)?,
        })
    }

    /// `SKF_CreateApplication`.
    pub(crate) fn create_application(
        &self,
        name: &CText,
        admin_pin: &CText,
        admin_retries: u32,
        user_pin: &CText,
        user_retries: u32,
        create_file_rights: u32,
    ) -> Result<AppHandle<'_>, SkfError> {
        let (mut name, mut admin, mut user) =
            (name.for_call(), admin_pin.for_call(), user_pin.for_call());
        let mut raw: *mut c_void = ptr::null_mut();
        // SAFETY: a live handle, three NUL-terminated strings of ours, a
        // live handle slot.
        let code = unsafe {
            (self.lib.required.create_application)(
                self.raw.as_ptr(),
                name.as_mut_ptr().cast(),
                admin.as_mut_ptr().cast(),
                admin_retries,
                user.as_mut_ptr().cast(),
                user_retries,
                create_file_rights,
                &mut raw,
            )
        };
        SkfError::check("SKF_CreateApplication", code)?;
        Ok(AppHandle {
            dev: self,
            raw: handle("SKF_CreateApplication", raw)?,
        })
    }

    /// `SKF_EnumApplication`: the claimed length of the name list.
    pub(crate) fn enum_application(&self, buf: Option<&mut [u8]>) -> Result<usize, SkfError> {
        let (ptr, mut len) = out_buf(buf);
        // SAFETY: a live handle; `ptr` null or a buffer of `len` bytes.
        let code = unsafe {
            (self.lib.required.enum_application)(self.raw.as_ptr(), ptr.cast(), &mut len)
        };
        SkfError::check("SKF_EnumApplication", code)?;
        Ok(len as usize)
    }

    /// `SKF_OpenApplication`.
    pub(crate) fn open_application(&self, name: &CText) -> Result<AppHandle<'_>, SkfError> {
        let mut name = name.for_call();
        let mut raw: *mut c_void = ptr::null_mut();
        // SAFETY: a live handle, a NUL-terminated string of ours, a live
        // handle slot.
        let code = unsafe {
            (self.lib.required.open_application)(
                self.raw.as_ptr(),
                name.as_mut_ptr().cast(),
                &mut raw,
            )
        };
        SkfError::check("SKF_OpenApplication", code)?;
        Ok(AppHandle {
            dev: self,
            raw: handle("SKF_OpenApplication", raw)?,
        })
    }

    /// `SKF_DeleteApplication` (optional).
    pub(crate) fn delete_application(&self, name: &CText) -> Result<(), SkfError> {
        const NAME: &str = "SKF_DeleteApplication";
        let delete = self
            .lib()
            .optional
            .delete_application
            .ok_or(SkfError::NotSupported(NAME))?;
        let mut name = name.for_call();
        // SAFETY: a live handle and a NUL-terminated string of ours.
        let code = unsafe { delete(self.raw.as_ptr(), name.as_mut_ptr().cast()) };
        SkfError::check(NAME, code)
    }

    /// `SKF_DigestInit` (optional), with the signer's key and ID for Z.
    pub(crate) fn digest_init(
        &self,
        alg_id: u32,
        key: Option<EccPublicKeyBlob>,
        id: &[u8],
    ) -> Result<SessionHandle<'_>, SkfError> {
        const NAME: &str = "SKF_DigestInit";
        let init = self
            .lib()
            .optional
            .digest_init
            .ok_or(SkfError::NotSupported(NAME))?;
        let mut key = key;
        let key_ptr = key.as_mut().map_or(ptr::null_mut(), ptr::from_mut);
        let mut id = id.to_vec();
        let id_ptr = if id.is_empty() {
            ptr::null_mut()
        } else {
            id.as_mut_ptr()
        };
        let mut raw: *mut c_void = ptr::null_mut();
        // SAFETY: a live handle; a blob of ours or null; null or a buffer of
        // ours of the length passed; a live handle slot.
        let code = unsafe {
            init(
                self.raw.as_ptr(),
                alg_id,
                key_ptr,
                id_ptr,
                len_u32(id.len()),
                &mut raw,
            )
        };
        SkfError::check(NAME, code)?;
        Ok(SessionHandle {
            dev: self,
            raw: handle(NAME, raw)?,
        })
    }

    /// `SKF_ECCVerify`, or `SKF_ExtECCVerify` where only that one exists
    /// (both take a device, an outside key, a digest and a signature).
    pub(crate) fn ecc_verify(
        &self,
        key: EccPublicKeyBlob,
        digest: &[u8; 32],
        signature: EccSignatureBlob,
    ) -> Result<(), SkfError> {
        let optional = &self.lib().optional;
        let (verify, name) = match (optional.ecc_verify, optional.ext_ecc_verify) {
            (Some(verify), _) => (verify, "SKF_ECCVerify"),
            (None, Some(verify)) => (verify, "SKF_ExtECCVerify"),
            (None, None) => return Err(SkfError::NotSupported("SKF_ECCVerify")),
        };
        let (mut key, mut digest, mut signature) = (key, *digest, signature);
        // SAFETY: a live handle and values of ours of the sizes the
        // declaration gives.
        let code = unsafe {
            verify(
                self.raw.as_ptr(),
                &mut key,
                digest.as_mut_ptr(),
                32,
                &mut signature,
            )
        };
        SkfError::check(name, code)
    }

    /// `SKF_ExtECCEncrypt` (optional): writes an `ECCCIPHERBLOB` into `out`,
    /// which has room for its head and at least `plain.len()` bytes of C2.
    pub(crate) fn ext_ecc_encrypt(
        &self,
        key: EccPublicKeyBlob,
        plain: &[u8],
        out: &mut [u8],
    ) -> Result<(), SkfError> {
        const NAME: &str = "SKF_ExtECCEncrypt";
        let encrypt = self
            .lib()
            .optional
            .ext_ecc_encrypt
            .ok_or(SkfError::NotSupported(NAME))?;
        if out.len() < size_of::<crate::blobs::EccCipherBlobHead>() + plain.len() {
            return Err(SkfError::InvalidInput("密文缓冲区过小".into()));
        }
        let (mut key, mut plain) = (key, plain.to_vec());
        // SAFETY: a live handle, a blob and a plaintext of ours, and an
        // output buffer holding the head and C2 as long as the plaintext
        // (SM2's C2 is exactly the plaintext's length), checked just above.
        let code = unsafe {
            encrypt(
                self.raw.as_ptr(),
                &mut key,
                plain.as_mut_ptr(),
                len_u32(plain.len()),
                out.as_mut_ptr(),
            )
        };
        SkfError::check(NAME, code)
    }
}

impl SessionHandle<'_> {
    /// `SKF_EncryptInit`.
    pub(crate) fn encrypt_init(&self, param: BlockCipherParam) -> Result<(), SkfError> {
        // SAFETY: a live key handle; the parameters by value.
        let code = unsafe { (self.dev.lib.required.encrypt_init)(self.raw.as_ptr(), param) };
        SkfError::check("SKF_EncryptInit", code)
    }

    /// `SKF_Encrypt`: the claimed length written into `out`.
    pub(crate) fn encrypt(&self, data: &[u8], out: &mut [u8]) -> Result<usize, SkfError> {
        let mut data = data.to_vec();
        let (ptr, mut len) = out_buf(Some(out));
        // SAFETY: a live key handle, an input of ours of the length passed,
        // an output of `len` bytes and a live u32.
        let code = unsafe {
            (self.dev.lib.required.encrypt)(
                self.raw.as_ptr(),
                data.as_mut_ptr(),
                len_u32(data.len()),
                ptr,
                &mut len,
            )
        };
        SkfError::check("SKF_Encrypt", code)?;
        Ok(len as usize)
    }

    /// `SKF_Digest` (optional): the claimed length written into `out`.
    pub(crate) fn digest(&self, data: &[u8], out: &mut [u8]) -> Result<usize, SkfError> {
        const NAME: &str = "SKF_Digest";
        let digest = self
            .dev
            .lib()
            .optional
            .digest
            .ok_or(SkfError::NotSupported(NAME))?;
        let mut data = data.to_vec();
        let (ptr, mut len) = out_buf(Some(out));
        // SAFETY: a live hash handle, an input of ours of the length passed,
        // an output of `len` bytes and a live u32.
        let code = unsafe {
            digest(
                self.raw.as_ptr(),
                data.as_mut_ptr(),
                len_u32(data.len()),
                ptr,
                &mut len,
            )
        };
        SkfError::check(NAME, code)?;
        Ok(len as usize)
    }
}

//! Safe Rust faces of the handles: each method is one C call on buffers
//! Rust owns, returning the `SAR_*` code as the error.

use super::*;

/// A connected device.
#[derive(Debug, Clone, Copy)]
pub struct Dev(pub Handle);

/// An open application.
#[derive(Debug, Clone, Copy)]
pub struct App(pub Handle);

/// An open container.
#[derive(Debug, Clone, Copy)]
pub struct Container(pub Handle);

impl Dev {
    pub fn connect(name: &str) -> Result<Dev, u32> {
        let name = text(name);
        let mut handle = std::ptr::null_mut();
        // SAFETY: a NUL-terminated name and a live output handle.
        ok(unsafe { (skf().SKF_ConnectDev)(name.as_ptr(), &mut handle) })?;
        Ok(Dev(handle))
    }

    pub fn disconnect(self) -> Result<(), u32> {
        // SAFETY: handles are numbers; any value is safe to pass.
        ok(unsafe { (skf().SKF_DisConnectDev)(self.0) })
    }

    /// `DEVINFO`'s 294 bytes.
    pub fn info(self) -> Result<[u8; 294], u32> {
        let mut info = [0u8; 294];
        // SAFETY: a buffer of sizeof(DEVINFO).
        ok(unsafe { (skf().SKF_GetDevInfo)(self.0, info.as_mut_ptr()) })?;
        Ok(info)
    }

    pub fn random(self, len: usize) -> Result<Vec<u8>, u32> {
        let mut bytes = vec![0u8; len];
        // SAFETY: a buffer of `len` bytes.
        ok(unsafe { (skf().SKF_GenRandom)(self.0, bytes.as_mut_ptr(), len as u32) })?;
        Ok(bytes)
    }

    pub fn dev_auth(self, value: &[u8]) -> Result<(), u32> {
        // SAFETY: `value`'s bytes.
        ok(unsafe { (skf().SKF_DevAuth)(self.0, value.as_ptr(), value.len() as u32) })
    }

    /// Device authentication as middleware does it: an 8-byte challenge,
    /// zero-padded, encrypted here with SM4-ECB under the known key.
    pub fn authenticate(self) -> Result<(), u32> {
        let challenge = self.random(8)?;
        let mut block = [0u8; 16];
        block[..8].copy_from_slice(&challenge);
        self.dev_auth(&sm4_ecb(b"1234567812345678", block))
    }

    pub fn create_app_with(
        self,
        name: &str,
        admin_pin: &str,
        admin_retries: u32,
        user_pin: &str,
        user_retries: u32,
        rights: u32,
    ) -> Result<App, u32> {
        let (name, admin, user) = (text(name), text(admin_pin), text(user_pin));
        let mut app = std::ptr::null_mut();
        // SAFETY: NUL-terminated strings and a live output handle.
        ok(unsafe {
            (skf().SKF_CreateApplication)(
                self.0,
                name.as_ptr(),
                admin.as_ptr(),
                admin_retries,
                user.as_ptr(),
                user_retries,
                rights,
                &mut app,
            )
        })?;
        Ok(App(app))
    }

    pub fn open_app(self, name: &str) -> Result<App, u32> {
        let name = text(name);
        let mut app = std::ptr::null_mut();
        // SAFETY: a NUL-terminated name and a live output handle.
        ok(unsafe { (skf().SKF_OpenApplication)(self.0, name.as_ptr(), &mut app) })?;
        Ok(App(app))
    }

    pub fn apps(self) -> Result<Vec<String>, u32> {
        let list = fetch(|buf, len| {
            // SAFETY: `buf` is null or holds `*len` bytes; `len` is live.
            unsafe { (skf().SKF_EnumApplication)(self.0, buf.cast(), len) }
        })?;
        Ok(names(&list))
    }

    pub fn delete_app(self, name: &str) -> Result<(), u32> {
        let name = text(name);
        // SAFETY: a NUL-terminated name.
        ok(unsafe { (skf().SKF_DeleteApplication)(self.0, name.as_ptr()) })
    }

    /// `SKF_DigestInit` with `SGD_SM3`, a public key blob or none, an ID or
    /// none (the default).
    pub fn digest_init(self, key: Option<&[u8; 132]>, id: Option<&[u8]>) -> Result<Handle, u32> {
        let key = key.map_or(std::ptr::null(), |key| key.as_ptr());
        let (id_ptr, id_len) = id.map_or((std::ptr::null(), 0), |id| (id.as_ptr(), id.len()));
        let mut hash = std::ptr::null_mut();
        // SAFETY: a blob of 132 bytes or null, the ID's bytes or null, and a
        // live output handle.
        ok(unsafe {
            (skf().SKF_DigestInit)(self.0, SGD_SM3, key, id_ptr, id_len as u32, &mut hash)
        })?;
        Ok(hash)
    }

    /// The SKF digest of a signer: `SM3(Z ‖ message)`.
    pub fn signing_digest(self, key: &[u8; 132], message: &[u8]) -> Result<[u8; 32], u32> {
        let hash = self.digest_init(Some(key), None)?;
        let digest = digest(hash, message)?;
        close_handle(hash)?;
        Ok(digest)
    }

    pub fn verify(self, key: &[u8; 132], digest: &[u8], signature: &[u8; 128]) -> Result<(), u32> {
        // SAFETY: blobs of their sizes and the digest's bytes.
        ok(unsafe {
            (skf().SKF_ECCVerify)(
                self.0,
                key.as_ptr(),
                digest.as_ptr(),
                digest.len() as u32,
                signature.as_ptr(),
            )
        })
    }

    /// `SKF_ExtECCEncrypt`: the whole `ECCCIPHERBLOB` (164 + plaintext bytes).
    pub fn encrypt(self, key: &[u8; 132], plain: &[u8]) -> Result<Vec<u8>, u32> {
        let mut blob = vec![0u8; 164 + plain.len()];
        // SAFETY: a key blob, the plaintext's bytes, and room for the
        // cipher blob with as many cipher bytes as plaintext bytes.
        ok(unsafe {
            (skf().SKF_ExtECCEncrypt)(
                self.0,
                key.as_ptr(),
                plain.as_ptr(),
                plain.len() as u32,
                blob.as_mut_ptr(),
            )
        })?;
        Ok(blob)
    }
}

impl App {
    /// `SKF_VerifyPIN`'s code and `*pulRetryCount`.
    pub fn verify_pin(self, role: u32, pin: &str) -> (u32, u32) {
        let pin = text(pin);
        let mut retry = u32::MAX;
        // SAFETY: a NUL-terminated PIN and a live output count.
        let code = unsafe { (skf().SKF_VerifyPIN)(self.0, role, pin.as_ptr(), &mut retry) };
        (code, retry)
    }

    /// Verifies the user PIN, which must be right.
    pub fn login(self) -> App {
        assert_eq!(self.verify_pin(USER, USER_PIN).0, SAR_OK);
        self
    }

    pub fn change_pin(self, role: u32, old: &str, new: &str) -> (u32, u32) {
        let (old, new) = (text(old), text(new));
        let mut retry = u32::MAX;
        // SAFETY: NUL-terminated PINs and a live output count.
        let code =
            unsafe { (skf().SKF_ChangePIN)(self.0, role, old.as_ptr(), new.as_ptr(), &mut retry) };
        (code, retry)
    }

    pub fn unblock_pin(self, admin: &str, new_user: &str) -> (u32, u32) {
        let (admin, new_user) = (text(admin), text(new_user));
        let mut retry = u32::MAX;
        // SAFETY: NUL-terminated PINs and a live output count.
        let code = unsafe {
            (skf().SKF_UnblockPIN)(self.0, admin.as_ptr(), new_user.as_ptr(), &mut retry)
        };
        (code, retry)
    }

    /// `(max, remaining, default)`.
    pub fn pin_info(self, role: u32) -> Result<(u32, u32, bool), u32> {
        let (mut max, mut remaining, mut default) = (0u32, 0u32, -1i32);
        // SAFETY: three live outputs.
        ok(unsafe {
            (skf().SKF_GetPINInfo)(self.0, role, &mut max, &mut remaining, &mut default)
        })?;
        Ok((max, remaining, default != 0))
    }

    pub fn clear_secure_state(self) -> Result<(), u32> {
        // SAFETY: handles are numbers; any value is safe to pass.
        ok(unsafe { (skf().SKF_ClearSecureState)(self.0) })
    }

    pub fn close(self) -> Result<(), u32> {
        // SAFETY: as above.
        ok(unsafe { (skf().SKF_CloseApplication)(self.0) })
    }

    pub fn create_container(self, name: &str) -> Result<Container, u32> {
        let name = text(name);
        let mut container = std::ptr::null_mut();
        // SAFETY: a NUL-terminated name and a live output handle.
        ok(unsafe { (skf().SKF_CreateContainer)(self.0, name.as_ptr(), &mut container) })?;
        Ok(Container(container))
    }

    pub fn open_container(self, name: &str) -> Result<Container, u32> {
        let name = text(name);
        let mut container = std::ptr::null_mut();
        // SAFETY: a NUL-terminated name and a live output handle.
        ok(unsafe { (skf().SKF_OpenContainer)(self.0, name.as_ptr(), &mut container) })?;
        Ok(Container(container))
    }

    pub fn delete_container(self, name: &str) -> Result<(), u32> {
        let name = text(name);
        // SAFETY: a NUL-terminated name.
        ok(unsafe { (skf().SKF_DeleteContainer)(self.0, name.as_ptr()) })
    }

    pub fn containers(self) -> Result<Vec<String>, u32> {
        let list = fetch(|buf, len| {
            // SAFETY: `buf` is null or holds `*len` bytes; `len` is live.
            unsafe { (skf().SKF_EnumContainer)(self.0, buf.cast(), len) }
        })?;
        Ok(names(&list))
    }

    pub fn create_file(self, name: &str, size: u32, read: u32, write: u32) -> Result<(), u32> {
        let name = text(name);
        // SAFETY: a NUL-terminated name.
        ok(unsafe { (skf().SKF_CreateFile)(self.0, name.as_ptr(), size, read, write) })
    }

    pub fn delete_file(self, name: &str) -> Result<(), u32> {
        let name = text(name);
        // SAFETY: a NUL-terminated name.
        ok(unsafe { (skf().SKF_DeleteFile)(self.0, name.as_ptr()) })
    }

    pub fn files(self) -> Result<Vec<String>, u32> {
        let list = fetch(|buf, len| {
            // SAFETY: `buf` is null or holds `*len` bytes; `len` is live.
            unsafe { (skf().SKF_EnumFiles)(self.0, buf.cast(), len) }
        })?;
        Ok(names(&list))
    }

    /// `FILEATTRIBUTE`'s 44 bytes.
    pub fn file_info(self, name: &str) -> Result<[u8; 44], u32> {
        let name = text(name);
        let mut info = [0u8; 44];
        // SAFETY: a NUL-terminated name and a buffer of sizeof(FILEATTRIBUTE).
        ok(unsafe { (skf().SKF_GetFileInfo)(self.0, name.as_ptr(), info.as_mut_ptr()) })?;
        Ok(info)
    }

    pub fn read_file(self, name: &str, offset: u32, size: u32) -> Result<Vec<u8>, u32> {
        let name = text(name);
        let mut buf = vec![0u8; size as usize];
        let mut len = size;
        // SAFETY: a NUL-terminated name and a buffer of `len` bytes.
        ok(unsafe {
            (skf().SKF_ReadFile)(
                self.0,
                name.as_ptr(),
                offset,
                size,
                buf.as_mut_ptr(),
                &mut len,
            )
        })?;
        buf.truncate(len as usize);
        Ok(buf)
    }

    pub fn write_file(self, name: &str, offset: u32, data: &[u8]) -> Result<(), u32> {
        let name = text(name);
        // SAFETY: a NUL-terminated name and the data's bytes.
        ok(unsafe {
            (skf().SKF_WriteFile)(
                self.0,
                name.as_ptr(),
                offset,
                data.as_ptr(),
                data.len() as u32,
            )
        })
    }
}

impl Container {
    /// The signing key pair's public key blob.
    pub fn generate(self) -> Result<[u8; 132], u32> {
        let mut blob = [0u8; 132];
        // SAFETY: a buffer of sizeof(ECCPUBLICKEYBLOB).
        ok(unsafe { (skf().SKF_GenECCKeyPair)(self.0, SGD_SM2_1, blob.as_mut_ptr()) })?;
        Ok(blob)
    }

    pub fn public_key(self, sign: bool) -> Result<Vec<u8>, u32> {
        fetch(|buf, len| {
            // SAFETY: `buf` is null or holds `*len` bytes; `len` is live.
            unsafe { (skf().SKF_ExportPublicKey)(self.0, i32::from(sign), buf, len) }
        })
    }

    pub fn sign(self, digest: &[u8]) -> Result<[u8; 128], u32> {
        let mut signature = [0u8; 128];
        // SAFETY: the digest's bytes and a buffer of sizeof(ECCSIGNATUREBLOB).
        ok(unsafe {
            (skf().SKF_ECCSignData)(
                self.0,
                digest.as_ptr(),
                digest.len() as u32,
                signature.as_mut_ptr(),
            )
        })?;
        Ok(signature)
    }

    pub fn kind(self) -> Result<u32, u32> {
        let mut kind = u32::MAX;
        // SAFETY: a live output.
        ok(unsafe { (skf().SKF_GetContainerType)(self.0, &mut kind) })?;
        Ok(kind)
    }

    pub fn import_certificate(self, sign: bool, cert: &[u8]) -> Result<(), u32> {
        // SAFETY: the certificate's bytes.
        ok(unsafe {
            (skf().SKF_ImportCertificate)(self.0, i32::from(sign), cert.as_ptr(), cert.len() as u32)
        })
    }

    pub fn certificate(self, sign: bool) -> Result<Vec<u8>, u32> {
        fetch(|buf, len| {
            // SAFETY: `buf` is null or holds `*len` bytes; `len` is live.
            unsafe { (skf().SKF_ExportCertificate)(self.0, i32::from(sign), buf, len) }
        })
    }

    /// `SKF_ImportECCKeyPair` with an `ENVELOPEDKEYBLOB`'s bytes.
    pub fn import_key_pair(self, envelope: &[u8]) -> Result<(), u32> {
        assert!(envelope.len() >= 373);
        // SAFETY: a whole envelope, its cipher bytes included.
        ok(unsafe { (skf().SKF_ImportECCKeyPair)(self.0, envelope.as_ptr()) })
    }

    /// `SKF_ECCPrvKeyDecrypt` of an `ECCCIPHERBLOB`'s bytes.
    pub fn decrypt(self, cipher_blob: &[u8]) -> Result<Vec<u8>, u32> {
        fetch(|buf, len| {
            // SAFETY: a whole cipher blob; `buf` is null or holds `*len`
            // bytes.
            unsafe { (skf().SKF_ECCPrvKeyDecrypt)(self.0, cipher_blob.as_ptr(), buf, len) }
        })
    }

    pub fn close(self) -> Result<(), u32> {
        // SAFETY: handles are numbers; any value is safe to pass.
        ok(unsafe { (skf().SKF_CloseContainer)(self.0) })
    }
}

/// `SKF_Digest`: the data and the end of the hash.
pub fn digest(hash: Handle, data: &[u8]) -> Result<[u8; 32], u32> {
    let mut out = [0u8; 32];
    let mut len = 32u32;
    // SAFETY: the data's bytes and a 32-byte buffer.
    ok(unsafe {
        (skf().SKF_Digest)(
            hash,
            data.as_ptr(),
            data.len() as u32,
            out.as_mut_ptr(),
            &mut len,
        )
    })?;
    assert_eq!(len, 32);
    Ok(out)
}

pub fn close_handle(handle: Handle) -> Result<(), u32> {
    // SAFETY: handles are numbers; any value is safe to pass.
    ok(unsafe { (skf().SKF_CloseHandle)(handle) })
}

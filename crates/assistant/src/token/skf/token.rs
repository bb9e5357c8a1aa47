//! One SKF key: the login and PINs, its key pairs and certificates (one
//! container each), signing inside it. Every call runs on the library's
//! thread ([`super::driver`]).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use der::{Decode, Encode};
use secrecy::{ExposeSecret, SecretString};
use skf::{App, ContainerKind, PinRole, SkfError};

use super::driver::{APP_NAME, Call, Ctx, SkfDriver};
use super::names::{container_of, id_of};
use crate::error::Error;
use crate::token::types::{Interface, KeyHandle, KeyKind, KeyRef, KeySlot, TokenCert, TokenInfo};

/// The SM2 signer ID (GM/T 0009's default) the key signs with; the CA
/// verifies with it.
const SIGNER_ID: &[u8] = b"1234567812345678";

/// SM2 signing in `DEVINFO.AlgAsymCap`: 0x00020100 (`SGD_SM2` of GM/T 0006,
/// `SGD_SM2_1` in many vendors' headers) or 0x00020200 (GM/T 0006's
/// `SGD_SM2_1`).
const CAP_SM2: u32 = 0x0002_0100 | 0x0002_0200;

/// The retries of a new application's PINs: the administrator PIN (locked,
/// the key can no longer be unblocked) gets more than the user's.
const ADMIN_RETRIES: u32 = 10;
const USER_RETRIES: u32 = 6;

/// The shortest PIN GM/T 0016 keys take.
const PIN_MIN: usize = 6;

/// One SKF key (a device of a loaded library).
pub struct SkfToken {
    driver: SkfDriver,
    device: String,
    /// Tells this token's session from that of a key opened later.
    id: u64,
    /// This token logged in, so the library's thread holds its session.
    session: AtomicBool,
}

impl Drop for SkfToken {
    fn drop(&mut self) {
        if *self.session.get_mut() {
            let _ = self.driver.send(Call::Close { owner: self.id });
        }
    }
}

fn pin_of(s: &SecretString) -> SecretString {
    SecretString::from(s.expose_secret())
}

impl SkfDriver {
    /// The keys present that have an application (blank ones are for
    /// [`SkfDriver::blank`]), as the window and the command line list them.
    pub fn tokens(&self, driver: usize) -> Result<Vec<TokenInfo>, Error> {
        let devices = self.with_library(|lib| lib.devices())?;
        let mut out = Vec::new();
        for device in devices {
            let name = device.clone();
            let listed = self.on_device(&device, None, move |ctx| {
                let Some(app) = ctx.app else {
                    return Ok(None);
                };
                let info = ctx.dev.info()?;
                let pin = app.pin_info(PinRole::User)?;
                Ok(Some(TokenInfo {
                    slot: KeySlot::Skf {
                        driver,
                        device: name,
                    },
                    interface: Interface::Skf,
                    label: info.label,
                    serial: info.serial_number,
                    manufacturer: info.manufacturer,
                    model: info.issuer,
                    pin_count_low: pin.remaining < pin.max,
                    pin_final_try: pin.remaining == 1,
                    pin_locked: pin.remaining == 0,
                    pin_min: PIN_MIN,
                }))
            });
            match listed {
                Ok(Some(info)) => out.push(info),
                Ok(None) => {}
                // Pulled out while listed: not present.
                Err(Error::TokenRemoved) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    /// The first device without an application: a key as the vendor sells it.
    pub fn blank(&self) -> Result<Option<String>, Error> {
        for device in self.with_library(|lib| lib.devices())? {
            if self.on_device(&device, None, |ctx| Ok(ctx.app.is_none()))? {
                return Ok(Some(device));
            }
        }
        Ok(None)
    }

    /// Creates the assistant's application on a blank key (after the
    /// standard's device authentication), the administrator PIN `admin`.
    /// The user PIN is set to `admin` too until [`SkfToken::reset_user_pin`]
    /// sets the holder's.
    pub fn init(&self, device: &str, admin: &SecretString) -> Result<(), Error> {
        let admin = pin_of(admin);
        self.on_device(device, None, move |ctx| {
            if ctx.app.is_some() {
                return Err(SkfError::Sar {
                    function: "SKF_CreateApplication",
                    code: skf::sar::SAR_APPLICATION_EXISTS,
                });
            }
            ctx.dev.dev_auth_default()?;
            let pin = admin.expose_secret();
            ctx.dev
                .create_app(APP_NAME, pin, ADMIN_RETRIES, pin, USER_RETRIES)
                .map(drop)
        })
    }

    /// Deletes the assistant's application from a key it just initialised
    /// (after the standard's device authentication): blank again, as before
    /// an initialisation whose administrator PIN the CA could not take.
    pub fn wipe(&self, device: &str) -> Result<(), Error> {
        self.on_device(device, None, |ctx| {
            ctx.dev.dev_auth_default()?;
            ctx.dev.delete_app(APP_NAME)
        })
    }

    /// The serial of a device.
    pub fn serial_of(&self, device: &str) -> Result<String, Error> {
        self.on_device(device, None, |ctx| Ok(ctx.dev.info()?.serial_number))
    }

    pub fn open(&self, device: &str) -> SkfToken {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        SkfToken {
            driver: self.clone(),
            device: device.to_string(),
            id: NEXT.fetch_add(1, Ordering::Relaxed),
            session: AtomicBool::new(false),
        }
    }
}

/// The key pair in container `name`, if it holds an SM2 signing key.
fn key_in(app: &App<'_>, name: &str) -> Result<Option<KeyRef>, SkfError> {
    let container = app.open_container(name)?;
    let kind = match container.kind() {
        Ok(kind) => kind,
        // GetContainerType is optional: the public key says it.
        Err(SkfError::NotSupported(_)) => match container.public_key(true) {
            Ok(_) => ContainerKind::Ecc,
            Err(_) => ContainerKind::Empty,
        },
        Err(e) => return Err(e),
    };
    if kind != ContainerKind::Ecc {
        return Ok(None);
    }
    let has_cert = container.export_certificate(true)?.is_some();
    Ok(Some(KeyRef {
        handle: KeyHandle::Skf(name.to_string()),
        id: id_of(name),
        // SKF has no labels: a key with no certificate yet is one made for
        // an application (change::PENDING_PREFIX).
        label: if has_cert {
            "certhall".into()
        } else {
            format!("{}skf", crate::change::PENDING_PREFIX)
        },
        kind: KeyKind::Sm2,
    }))
}

fn container_name(key: &KeyRef) -> Result<String, Error> {
    match &key.handle {
        KeyHandle::Skf(name) => Ok(name.clone()),
        KeyHandle::Pkcs11(_) => Err(Error::Token("该密钥不在这个证书介质中".into())),
    }
}

impl SkfToken {
    fn call<R: Send + 'static>(
        &self,
        f: impl for<'a> FnOnce(&Ctx<'a>) -> Result<R, SkfError> + Send + 'static,
    ) -> Result<R, Error> {
        self.driver.on_device(&self.device, None, f)
    }

    /// Logs in with the user PIN; the library's thread keeps the session
    /// (the PIN is used for this call only).
    pub fn login(&self, pin: &SecretString) -> Result<(), Error> {
        let pin = pin_of(pin);
        self.driver
            .on_device(&self.device, Some(self.id), move |ctx| {
                ctx.app()?.verify_pin(PinRole::User, pin.expose_secret())
            })?;
        self.session.store(true, Ordering::Relaxed);
        Ok(())
    }

    pub fn change_pin(&self, old: &SecretString, new: &SecretString) -> Result<(), Error> {
        let (old, new) = (pin_of(old), pin_of(new));
        self.call(move |ctx| {
            ctx.app()?
                .change_pin(PinRole::User, old.expose_secret(), new.expose_secret())
        })
    }

    /// 找回密码: a new user PIN set with the administrator PIN.
    pub fn reset_user_pin(&self, admin: &SecretString, new: &SecretString) -> Result<(), Error> {
        let (admin, new) = (pin_of(admin), pin_of(new));
        self.call(move |ctx| {
            ctx.app()?
                .unblock_pin(admin.expose_secret(), new.expose_secret())
        })
    }

    /// Every signing certificate, under its container's id.
    pub fn certificates(&self) -> Result<Vec<TokenCert>, Error> {
        self.call(|ctx| {
            let app = ctx.app()?;
            let mut out = Vec::new();
            for name in app.containers()? {
                if let Some(der) = app.open_container(&name)?.export_certificate(true)? {
                    out.push(TokenCert {
                        id: id_of(&name),
                        label: "certhall".into(),
                        der,
                    });
                }
            }
            Ok(out)
        })
    }

    /// Every SM2 signing key (needs the login on most keys).
    pub fn keys(&self) -> Result<Vec<KeyRef>, Error> {
        self.call(|ctx| {
            let app = ctx.app()?;
            let mut out = Vec::new();
            for name in app.containers()? {
                out.extend(key_in(app, &name)?);
            }
            Ok(out)
        })
    }

    /// The key pair under `id`.
    pub fn key_by_id(&self, id: &[u8]) -> Result<Option<KeyRef>, Error> {
        let name = container_of(id);
        self.call(move |ctx| {
            let app = ctx.app()?;
            if !app.containers()?.contains(&name) {
                return Ok(None);
            }
            key_in(app, &name)
        })
    }

    /// An SM2 key pair made inside the key, in the container of `id`.
    pub fn generate(&self, kind: KeyKind, id: &[u8], _label: &str) -> Result<KeyRef, Error> {
        if kind != KeyKind::Sm2 {
            return Err(Error::Usage(
                "SKF 证书介质在此只生成 SM2 密钥，请按 SM2 办理".into(),
            ));
        }
        let name = container_of(id);
        let made = name.clone();
        let result = self.call(move |ctx| {
            let cap = ctx.dev.info()?.alg_asym_cap;
            if cap & CAP_SM2 == 0 {
                return Ok(Some(cap));
            }
            let app = ctx.app()?;
            let container = if app.containers()?.contains(&made) {
                app.open_container(&made)?
            } else {
                app.create_container(&made)?
            };
            container.gen_sm2_key()?;
            Ok(None)
        })?;
        if let Some(cap) = result {
            return Err(Error::Usage(format!(
                "该证书介质不支持 SM2 算法（AlgAsymCap 0x{cap:08X}），无法办理 SM2 证书，请更换支持国密的 USB Key"
            )));
        }
        Ok(KeyRef {
            handle: KeyHandle::Skf(name),
            id: id.to_vec(),
            label: format!("{}skf", crate::change::PENDING_PREFIX),
            kind: KeyKind::Sm2,
        })
    }

    /// The SubjectPublicKeyInfo of a key, as every checker reads SM2 keys.
    pub fn public_spki(&self, key: &KeyRef) -> Result<Vec<u8>, Error> {
        let name = container_name(key)?;
        let point = self.call(move |ctx| ctx.app()?.open_container(&name)?.public_key(true))?;
        Ok(pki::signer::sm2_spki(&point.to_sec1_uncompressed()))
    }

    /// SM2 over `message` with the signer ID (SM3 of Z and the message),
    /// inside the key; DER, as X.509 carries it.
    pub fn sign(&self, key: &KeyRef, message: &[u8]) -> Result<Vec<u8>, Error> {
        let name = container_name(key)?;
        let message = message.to_vec();
        self.call(move |ctx| {
            let container = ctx.app()?.open_container(&name)?;
            Ok(container.sign_message(SIGNER_ID, &message)?.to_der())
        })
    }

    /// Writes the signing certificate into the container of `id`.
    pub fn write_certificate(&self, id: &[u8], der: &[u8]) -> Result<(), Error> {
        x509_cert::Certificate::from_der(der)
            .and_then(|c| c.to_der())
            .map_err(|_| Error::Server("服务器返回的证书格式不正确".into()))?;
        let (name, der) = (container_of(id), der.to_vec());
        self.call(move |ctx| {
            ctx.app()?
                .open_container(&name)?
                .import_certificate(true, &der)
        })
    }

    /// Removes the container of `id` and its seal.
    pub fn delete_id(&self, id: &[u8]) -> Result<usize, Error> {
        let name = container_of(id);
        let prefix = super::names::seal_prefix(id);
        self.call(move |ctx| {
            let app = ctx.app()?;
            let mut n = 0;
            for file in app.files()? {
                if file.starts_with(&prefix) {
                    app.delete_file(&file)?;
                    n += 1;
                }
            }
            if app.containers()?.contains(&name) {
                app.delete_container(&name)?;
                n += 1;
            }
            Ok(n)
        })
    }

    /// The device this token is (for the seal's calls).
    pub(super) fn on_app<R: Send + 'static>(
        &self,
        f: impl for<'a> FnOnce(&App<'a>) -> Result<R, SkfError> + Send + 'static,
    ) -> Result<R, Error> {
        self.call(move |ctx| f(ctx.app()?))
    }
}

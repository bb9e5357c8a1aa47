//! The e-seal image: a data object bound by its label to the certificate
//! under one CKA_ID, written (replacing an earlier one), read back, and
//! carried to the new certificate's id when a re-key replaces the old one.

use cryptoki::object::{Attribute, AttributeType, ObjectClass, ObjectHandle};

use super::ck::ck;
use super::session::P11Token;
use crate::error::Error;

/// CKA_APPLICATION of the e-seal data objects.
pub const SEAL_APPLICATION: &str = "certhall-seal";

/// The label binding an e-seal data object to the certificate under `id`.
pub fn seal_label(id: &[u8]) -> String {
    format!("certhall-seal {}", hex::encode(id))
}

impl P11Token {
    /// Writes the e-seal image of the certificate under `id` as a data object,
    /// replacing an earlier one. PKCS#11 gives data objects no CKA_ID (SoftHSM
    /// refuses one), so the binding is the label, `certhall-seal <hex CKA_ID>`,
    /// under the application `certhall-seal`. The new object is made before the
    /// old ones go: stopped in between, the token still holds a seal.
    pub fn write_seal(&self, id: &[u8], png: &[u8]) -> Result<(), Error> {
        let old = self.seal_handles(id)?;
        self.session
            .create_object(&[
                Attribute::Class(ObjectClass::DATA),
                Attribute::Token(true),
                Attribute::Private(false),
                Attribute::Application(SEAL_APPLICATION.as_bytes().to_vec()),
                Attribute::Label(seal_label(id).into_bytes()),
                Attribute::Value(png.to_vec()),
            ])
            .map_err(ck)?;
        for h in old {
            self.session.destroy_object(h).map_err(ck)?;
        }
        Ok(())
    }

    /// The e-seal image of the certificate under `id`, if one is written.
    pub fn read_seal(&self, id: &[u8]) -> Result<Option<Vec<u8>>, Error> {
        let Some(h) = self.seal_handles(id)?.into_iter().next() else {
            return Ok(None);
        };
        let attrs = self
            .session
            .get_attributes(h, &[AttributeType::Value])
            .map_err(ck)?;
        Ok(attrs.into_iter().find_map(|a| match a {
            Attribute::Value(v) => Some(v),
            _ => None,
        }))
    }

    /// Carries the e-seal of the certificate under `from` to the one under
    /// `to`, when a re-key replaces the one by the other (证书变更, 在线延期):
    /// written under the new id first and removed from the old after, so a
    /// stop in between leaves the seal in the token and a rerun finishes.
    /// A seal the new certificate already has is kept.
    pub fn carry_seal(&self, from: &[u8], to: &[u8]) -> Result<(), Error> {
        let Some(png) = self.read_seal(from)? else {
            return Ok(());
        };
        if self.seal_handles(to)?.is_empty() {
            self.write_seal(to, &png)?;
        }
        for h in self.seal_handles(from)? {
            self.session.destroy_object(h).map_err(ck)?;
        }
        Ok(())
    }

    fn seal_handles(&self, id: &[u8]) -> Result<Vec<ObjectHandle>, Error> {
        self.session
            .find_objects(&[
                Attribute::Class(ObjectClass::DATA),
                Attribute::Application(SEAL_APPLICATION.as_bytes().to_vec()),
                Attribute::Label(seal_label(id).into_bytes()),
            ])
            .map_err(ck)
    }
}

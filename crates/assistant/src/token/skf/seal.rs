//! The e-seal image of a certificate as a file of the application, named by
//! the certificate's container and the image's digest
//! ([`super::names::seal_file`]). The new file is written before the old
//! ones go; a file a stop left short or half written is known by its name
//! and never shown.

use skf::access;

use super::names::{seal_file, seal_intact, seal_prefix};
use super::token::SkfToken;
use crate::error::Error;

impl SkfToken {
    /// Writes the e-seal of the certificate under `id`, replacing an earlier
    /// one (anyone may read it, as a PKCS#11 data object; writing needs the
    /// user PIN).
    pub fn write_seal(&self, id: &[u8], png: &[u8]) -> Result<(), Error> {
        let (prefix, name, png) = (seal_prefix(id), seal_file(id, png), png.to_vec());
        let size = u32::try_from(png.len()).map_err(|_| Error::Usage("印章图片过大".into()))?;
        self.on_app(move |app| {
            let files = app.files()?;
            let written = files.contains(&name) && seal_intact(&name, &app.read_file(&name)?);
            if !written {
                if files.contains(&name) {
                    app.delete_file(&name)?;
                }
                app.create_file(&name, size, access::ANYONE, access::USER)?;
                app.write_file(&name, &png)?;
            }
            for old in files
                .iter()
                .filter(|f| f.starts_with(&prefix) && **f != name)
            {
                app.delete_file(old)?;
            }
            Ok(())
        })
    }

    /// The e-seal of the certificate under `id`, if one is written whole.
    pub fn read_seal(&self, id: &[u8]) -> Result<Option<Vec<u8>>, Error> {
        let prefix = seal_prefix(id);
        self.on_app(move |app| {
            for file in app.files()? {
                if file.starts_with(&prefix) {
                    let data = app.read_file(&file)?;
                    if seal_intact(&file, &data) {
                        return Ok(Some(data));
                    }
                }
            }
            Ok(None)
        })
    }

    /// Carries the seal of the certificate under `from` to the one under
    /// `to` (a re-key): written under the new id first, removed from the old
    /// after; a seal the new certificate already has is kept.
    pub fn carry_seal(&self, from: &[u8], to: &[u8]) -> Result<(), Error> {
        let Some(png) = self.read_seal(from)? else {
            return Ok(());
        };
        if self.read_seal(to)?.is_none() {
            self.write_seal(to, &png)?;
        }
        let prefix = seal_prefix(from);
        self.on_app(move |app| {
            for file in app.files()? {
                if file.starts_with(&prefix) {
                    app.delete_file(&file)?;
                }
            }
            Ok(())
        })
    }
}

//! Every object under one CKA_ID (certificate, private and public key):
//! given a new label, or removed.

use cryptoki::object::Attribute;

use super::ck::ck;
use super::session::P11Token;
use crate::error::Error;

impl P11Token {
    /// Gives every object under `id` a new label.
    pub fn relabel(&self, id: &[u8], label: &str) -> Result<(), Error> {
        for h in self
            .session
            .find_objects(&[Attribute::Id(id.to_vec())])
            .map_err(ck)?
        {
            self.session
                .update_attributes(h, &[Attribute::Label(label.as_bytes().to_vec())])
                .map_err(ck)?;
        }
        Ok(())
    }

    /// Removes every object under `id` (certificate, private and public key).
    pub fn delete_id(&self, id: &[u8]) -> Result<usize, Error> {
        let handles = self
            .session
            .find_objects(&[Attribute::Id(id.to_vec())])
            .map_err(ck)?;
        let n = handles.len();
        for h in handles {
            self.session.destroy_object(h).map_err(ck)?;
        }
        Ok(n)
    }
}

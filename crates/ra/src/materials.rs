//! Materials: uploads checked by their content (PDF, JPEG, PNG), bounded in size,
//! kept in the blob store, replaceable while the application is editable, and
//! readable only by the application's holder (and, later, staff).

use bytes::Bytes;
use sha2::{Digest, Sha256};
use store::materials::MaterialRow;

use crate::{Msg, Ra, RaError, new_id};

/// The content type of an accepted file, recognised from its first bytes.
pub fn sniff(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if head.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some("image/png")
    } else {
        None
    }
}

/// The message for a file that is not one of ours.
/// 签章变更's seal image: checked by `domain::seal`, written into the key.
pub const SEAL_IMAGE: &str = "seal_image";

pub const WRONG_TYPE: &str = "只接受 PDF、JPEG、PNG 文件（按文件内容识别，改扩展名无效）";

/// The message for a file over the limit.
pub fn too_large(limit: usize) -> Msg {
    Msg::new("文件超过 {mb} MB 的上限").arg("mb", limit / (1024 * 1024))
}

/// A display name: no directories, no control characters, at most 100 characters.
fn display_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = base.chars().filter(|c| !c.is_control()).take(100).collect();
    if clean.trim().is_empty() {
        "upload".into()
    } else {
        clean
    }
}

impl Ra {
    /// Stores an upload as the application's material of `kind`, replacing the
    /// previous one of that kind.
    pub async fn upload_material(
        &self,
        holder_id: &str,
        application_id: &str,
        kind: &str,
        file_name: &str,
        bytes: Bytes,
    ) -> Result<MaterialRow, RaError> {
        let app = self.application(holder_id, application_id).await?;
        if !app.state.editable() {
            return Err(RaError::Conflict(Msg::new("申请当前状态不能修改材料")));
        }
        if !app.specs.iter().any(|s| s.kind == kind) {
            return Err(RaError::Invalid(
                Msg::new("未知的材料类型 `{kind}`").arg("kind", kind),
            ));
        }
        if bytes.is_empty() {
            return Err(RaError::Upload(Msg::new("文件为空")));
        }
        if bytes.len() > self.settings.upload_limit {
            return Err(RaError::Upload(too_large(self.settings.upload_limit)));
        }
        // The seal image is stamped over documents and written into the key:
        // a transparent PNG of a placeable size, nothing else.
        if kind == SEAL_IMAGE {
            domain::seal::check(&bytes).map_err(RaError::Upload)?;
        }
        let content_type = sniff(&bytes).ok_or_else(|| RaError::Upload(Msg::new(WRONG_TYPE)))?;
        let quota = self.settings.upload_quota;
        crate::ratelimit::take(
            &self.db,
            self.now_ms(),
            &[(
                &format!("upload:holder:{holder_id}"),
                crate::ratelimit::Limit {
                    max: quota.per_hour,
                    window_ms: 3_600_000,
                },
            )],
        )
        .await?;
        let id = new_id();
        let key = format!("materials/{application_id}/{id}");
        let row = MaterialRow {
            id,
            application_id: application_id.to_string(),
            kind: kind.to_string(),
            file_name: display_name(file_name),
            content_type: content_type.to_string(),
            size: bytes.len() as i64,
            sha256: hex::encode(Sha256::digest(&bytes)),
            blob_key: key.clone(),
            created_at: self.now_ms(),
            replaced_at: None,
        };
        self.blobs.put(&key, bytes).await?;
        match self.store_material(holder_id, &row).await {
            Ok(replaced) => {
                self.delete_blobs(&replaced).await;
                tracing::info!(application.id = %application_id, material.kind = kind, material.size = row.size, "material uploaded");
                Ok(row)
            }
            Err(e) => {
                self.delete_blobs(&[key]).await;
                Err(e)
            }
        }
    }

    /// Records a stored upload in place of the previous one of its kind,
    /// within the holder's quota (checked and written under the holder's
    /// lock, so parallel uploads cannot pass it together). Returns the blobs
    /// of what it replaced.
    async fn store_material(
        &self,
        holder_id: &str,
        row: &MaterialRow,
    ) -> Result<Vec<String>, RaError> {
        let quota = self.settings.upload_quota;
        let mut tx = self
            .db
            .begin_keyed(&[&format!("uploads:{holder_id}")])
            .await?;
        let replaced = store::materials::insert_replacing(&mut tx, row).await?;
        let (files, bytes) = store::materials::held_by_holder(&mut tx, holder_id).await?;
        if files > quota.files || bytes > quota.bytes {
            // Dropping the transaction undoes the replacement too.
            return Err(RaError::Upload(
                Msg::new(
                    "已上传的材料已达上限（未完成的申请共 {files} 个文件、{mb} MB），请先提交或撤销其他申请",
                )
                .arg("files", quota.files)
                .arg("mb", quota.bytes / (1024 * 1024)),
            ));
        }
        tx.commit().await.map_err(store::StoreError::from)?;
        Ok(replaced)
    }

    /// Deletes blobs whose rows are gone (after the commit). A blob that
    /// cannot be deleted now is left behind and logged: it is garbage, never
    /// read again.
    pub(crate) async fn delete_blobs(&self, keys: &[String]) {
        for key in keys {
            if let Err(e) = self.blobs.delete(key).await {
                tracing::warn!(blob = %key, error = ?e, "blob not deleted");
            }
        }
    }

    /// A material's bytes, for its holder only (`NotFound` for anyone else).
    pub async fn material_for_holder(
        &self,
        holder_id: &str,
        id: &str,
    ) -> Result<(MaterialRow, Bytes), RaError> {
        let found = store::materials::with_owner(&mut *self.db.conn().await?, id)
            .await?
            .ok_or(RaError::NotFound)?;
        if found.holder_id != holder_id {
            return Err(RaError::NotFound);
        }
        let row = found.material;
        let bytes = self.blobs.get(&row.blob_key).await?;
        Ok((row, bytes))
    }

    /// A material for the back office. Every view is audited: who saw which
    /// holder's document, and when.
    pub async fn material_for_staff(
        &self,
        who: &crate::staff::StaffMember,
        id: &str,
    ) -> Result<(MaterialRow, Bytes), RaError> {
        who.require(domain::Perm::ViewApplications)?;
        let found = store::materials::with_owner(&mut *self.db.conn().await?, id)
            .await?
            .ok_or(RaError::NotFound)?;
        let row = found.material;
        let bytes = self.blobs.get(&row.blob_key).await?;
        self.audit_view(
            who,
            "material.viewed",
            &row.application_id,
            serde_json::json!({ "material": row.id, "kind": row.kind }),
        )
        .await?;
        Ok((row, bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_decides_not_the_name() {
        assert_eq!(sniff(b"%PDF-1.7\n"), Some("application/pdf"));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(sniff(b"\x7fELF\x02\x01\x01"), None);
        assert_eq!(sniff(b"MZ\x90\x00"), None);
        assert_eq!(
            display_name("C:\\Users\\张三\\营业执照.pdf"),
            "营业执照.pdf"
        );
        assert_eq!(display_name("../../etc/passwd"), "passwd");
    }
}

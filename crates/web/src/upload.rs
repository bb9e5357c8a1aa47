//! Reading an uploaded file (a material, a bank receipt) from a multipart
//! body while it streams in: the field named `file`, refused as soon as its
//! first bytes are not PDF, JPEG or PNG, or as soon as it passes the limit,
//! without reading the rest. Everything a stranger's upload reaches first;
//! fuzzed (`fuzz/fuzz_targets/upload.rs`).

use axum::extract::Multipart;
use axum::http::StatusCode;
use bytes::BytesMut;
use ra::{Msg, RaError};

/// The file's name (as sent) and bytes.
pub async fn read_file(
    mut multipart: Multipart,
    limit: usize,
) -> Result<(String, bytes::Bytes), RaError> {
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(|e| upload_error(e.status(), limit))?
    {
        if field.name() != Some("file") {
            continue;
        }
        let name = field.file_name().unwrap_or("upload").to_string();
        let mut data = BytesMut::new();
        let mut sniffed = false;
        while let Some(chunk) = field
            .chunk()
            .await
            .map_err(|e| upload_error(e.status(), limit))?
        {
            if data.len() + chunk.len() > limit {
                return Err(RaError::Upload(ra::materials::too_large(limit)));
            }
            data.extend_from_slice(&chunk);
            if !sniffed && data.len() >= 8 {
                if ra::materials::sniff(&data).is_none() {
                    return Err(RaError::Upload(Msg::new(ra::materials::WRONG_TYPE)));
                }
                sniffed = true;
            }
        }
        if data.is_empty() {
            return Err(RaError::Upload(Msg::new("请选择要上传的文件")));
        }
        return Ok((name, data.freeze()));
    }
    Err(RaError::Upload(Msg::new("请选择要上传的文件")))
}

fn upload_error(status: StatusCode, limit: usize) -> RaError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        RaError::Upload(ra::materials::too_large(limit))
    } else {
        RaError::Upload(Msg::new("上传失败，请重试"))
    }
}

//! Materials as files: only their holder can fetch them (staff, later, through the
//! back office). Anyone else gets the same 404 as for an id that does not exist.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::SignedIn;
use crate::AppState;
use crate::WebError;
use crate::page::encode;

pub async fn material(
    State(state): State<AppState>,
    SignedIn(holder): SignedIn,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let (row, bytes) = state.ra.material_for_holder(&holder.id, &id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, row.content_type.clone()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename*=UTF-8''{}", encode(&row.file_name)),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}

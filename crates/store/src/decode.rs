//! Columns that hold a typed value (a state, a business, a channel) are
//! decoded here into their `domain` enum, so nothing above the store compares
//! their strings. A value no enum knows is a decode error naming the column: a
//! corrupt row is refused, never guessed at.

use std::str::FromStr;

use sqlx::Row;
use sqlx::any::AnyRow;

/// The column `col` parsed as `T`.
pub(crate) fn parsed<T>(row: &AnyRow, col: &str) -> Result<T, sqlx::Error>
where
    T: FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    let raw: String = row.try_get(col)?;
    raw.parse().map_err(|e| sqlx::Error::ColumnDecode {
        index: col.to_string(),
        source: Box::new(e),
    })
}

/// The nullable column `col` parsed as `T`.
pub(crate) fn parsed_opt<T>(row: &AnyRow, col: &str) -> Result<Option<T>, sqlx::Error>
where
    T: FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    let raw: Option<String> = row.try_get(col)?;
    raw.map(|s| {
        s.parse().map_err(|e| sqlx::Error::ColumnDecode {
            index: col.to_string(),
            source: Box::new(e),
        })
    })
    .transpose()
}

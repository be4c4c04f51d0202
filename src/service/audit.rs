//! The global audit log, for admins.

use crate::db::audit::{self, AuditFilter, AuditRow};
use crate::db::{campaigns, Conn};
use crate::domain::page::Cursor;
use crate::error::{ApiError, ApiResult};
use std::collections::HashMap;

/// One page of the log, newest first (one row more than `limit` when there are more), each
/// event with the slug of the campaign it names.
pub fn list(
    conn: &mut Conn,
    filter: &AuditFilter,
    cursor: Option<&Cursor>,
    limit: i64,
) -> ApiResult<Vec<(AuditRow, Option<String>)>> {
    let rows = audit::list(conn, filter, cursor, limit)?;
    let slugs: HashMap<String, String> = if rows.iter().any(|e| e.campaign_id.is_some()) {
        campaigns::slugs(conn)?.into_iter().collect()
    } else {
        HashMap::new()
    };
    rows.into_iter()
        .map(|e| match &e.campaign_id {
            None => Ok((e, None)),
            Some(id) => match slugs.get(id) {
                Some(slug) => Ok((e, Some(slug.clone()))),
                None => Err(ApiError::internal(format!("audit event {} names no campaign", e.id))),
            },
        })
        .collect()
}

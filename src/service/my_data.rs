//! Privacy rights: everything the registry holds about the caller, for `GET /me/export`:
//! the account with its profile, and each of its activities with its history as the owner
//! sees it and its sessions (no applicant's data).

use crate::db::accounts::{self, AccountRow};
use crate::db::activities::{self, WithSlug};
use crate::db::audit::{self, AuditRow};
use crate::db::events::{self, SessionRow};
use crate::db::Conn;
use crate::domain::page::Cursor;
use crate::error::ApiResult;

/// An activity of the caller's, with what belongs to it.
pub struct MyActivity {
    pub item: WithSlug,
    pub history: Vec<AuditRow>,
    pub sessions: Vec<SessionRow>,
}

pub struct MyData {
    pub account: AccountRow,
    pub activities: Vec<MyActivity>,
}

/// Rows read at a time.
const PAGE: i64 = 500;

pub fn my_data(conn: &mut Conn, account_id: &str) -> ApiResult<MyData> {
    let account = accounts::find(conn, account_id)?;
    let mut items: Vec<WithSlug> = Vec::new();
    let mut cursor: Option<Cursor> = None;
    loop {
        let mut page = activities::list_own(conn, account_id, (None, None), cursor.as_ref(), PAGE)?;
        let more = page.len() as i64 > PAGE;
        page.truncate(PAGE as usize);
        cursor = page.last().map(|(a, _)| Cursor {
            at: a.created_at,
            id: a.id.clone(),
        });
        items.extend(page);
        if !more {
            break;
        }
    }
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let mut history = Vec::new();
        let mut at: Option<Cursor> = None;
        loop {
            let mut page = audit::for_activity(conn, &item.0.id, false, at.as_ref(), PAGE)?;
            let more = page.len() as i64 > PAGE;
            page.truncate(PAGE as usize);
            at = page.last().map(|e| Cursor {
                at: e.created_at,
                id: e.id.clone(),
            });
            history.extend(page);
            if !more {
                break;
            }
        }
        let sessions = events::for_activity(conn, &item.0.id)?;
        out.push(MyActivity {
            item,
            history,
            sessions,
        });
    }
    Ok(MyData {
        account,
        activities: out,
    })
}

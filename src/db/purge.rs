//! After a campaign: who still has private data from it. The applicants to its sessions,
//! and the registrants whose activities are all in it or in campaigns before it.

use super::schema::{accounts, activities, application_tokens, applications, campaigns, event_sessions};
use super::{DbConn, Result};
use crate::domain::codes::Role;
use chrono::NaiveDate;
use diesel::prelude::*;

/// The name an erased applicant shows.
pub const ERASED_APPLICANT: &str = "削除済み";

/// The applications to the campaign's sessions whose applicant is not erased yet.
pub fn applicants(conn: &mut DbConn, campaign_id: &str) -> Result<Vec<String>> {
    Ok(applications::table
        .inner_join(event_sessions::table.inner_join(activities::table))
        .filter(activities::campaign_id.eq(campaign_id))
        .filter(applications::name.ne(ERASED_APPLICANT))
        .select(applications::id)
        .load(conn)?)
}

/// Erases the applicant of each application: name, address, organization and answers, and
/// the mail to them (kept without recipient, subject or body; its message ids returned);
/// the application (its status and times, and so the session's counts) stays.
pub fn erase_applicants(conn: &mut DbConn, ids: &[String], at: chrono::NaiveDateTime) -> Result<Vec<String>> {
    let mut mails = Vec::new();
    for part in ids.chunks(500) {
        let emails: Vec<String> = applications::table
            .filter(applications::id.eq_any(part))
            .select(applications::email)
            .load(conn)?;
        mails.extend(super::erasure::forget_mail_to(
            conn,
            &emails,
            "erased-applicant@erased.invalid",
            at,
        )?);
        diesel::delete(application_tokens::table.filter(application_tokens::application_id.eq_any(part)))
            .execute(conn)?;
    }
    for id in ids {
        diesel::update(applications::table.find(id))
            .set((
                applications::name.eq(ERASED_APPLICANT),
                applications::email.eq(format!("erased-{id}@erased.invalid")),
                applications::organization.eq(None::<String>),
                applications::answers.eq("[]"),
            ))
            .execute(conn)?;
    }
    Ok(mails)
}

/// Registrants with an activity in the campaign (which starts on `starts_on`) and none in a
/// campaign that starts later, not erased yet.
pub fn departed(conn: &mut DbConn, campaign_id: &str, starts_on: NaiveDate) -> Result<Vec<String>> {
    let later = activities::table
        .inner_join(campaigns::table)
        .filter(campaigns::starts_on.gt(starts_on))
        .select(activities::account_id);
    Ok(accounts::table
        .filter(accounts::role.eq(Role::Registrant.as_str()))
        .filter(accounts::email.not_like("erased-%@erased.invalid"))
        .filter(
            accounts::id.eq_any(
                activities::table
                    .filter(activities::campaign_id.eq(campaign_id))
                    .select(activities::account_id),
            ),
        )
        .filter(accounts::id.ne_all(later))
        .select(accounts::id)
        .load(conn)?)
}

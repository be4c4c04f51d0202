//! Decision notices: what a moderator's decision tells the activity's owner by mail. The
//! mail names the activity, the outcome and, for a refusal, the reason; never the moderator.

use crate::db::accounts::AccountRow;
use crate::db::activities::ActivityRow;
use crate::db::outbox::Mail;
use crate::domain::codes::{MailKind, ReasonCode};
use crate::domain::workflow::{Action, Status};
use crate::mail::compose::{self, Decision};
use crate::mail::Mailer;

/// The notice a step sends, given the status it started from; `None` for owner actions.
pub fn decision_kind(action: Action, from: Status) -> Option<MailKind> {
    match (action, from) {
        (Action::Approve, Status::Approved) => Some(MailKind::RevisionApproved),
        (Action::Approve, _) => Some(MailKind::ActivityApproved),
        (Action::Reject, Status::Approved) => Some(MailKind::RevisionRejected),
        (Action::Reject, _) => Some(MailKind::ActivityRejected),
        (Action::Unpublish, _) => Some(MailKind::ActivityUnpublished),
        _ => None,
    }
}

/// The notice of `kind` about `row` (as the decision left it) to `owner`, its owner.
pub fn compose(
    mailer: &Mailer,
    kind: MailKind,
    owner: &AccountRow,
    row: &ActivityRow,
    reason: Option<&(ReasonCode, String)>,
) -> Result<Mail, String> {
    let url = matches!(kind, MailKind::ActivityApproved | MailKind::RevisionApproved)
        .then(|| mailer.public_activity_url(&row.id));
    compose::decision(&Decision {
        kind,
        to: &owner.email,
        name: &owner.display_name,
        title: &row.title,
        url: url.as_deref(),
        reason: reason.map(|(code, text)| (*code, text.as_str())),
    })
    .map(|m| m.to_account(&owner.id))
}

//! Each mail the registry sends, built from typed facts: Japanese first, English below, plain
//! text. Nothing here names a moderator.

use super::templates::{render, Rendered};
use crate::db::outbox::Mail;
use crate::domain::codes::{MailKind, ReasonCode};
use minijinja::context;
use serde::Serialize;

fn mail(kind: MailKind, to: &str, secret: bool, r: Result<Rendered, String>) -> Result<Mail, String> {
    let r = r?;
    Ok(Mail {
        kind,
        recipient: to.to_owned(),
        subject: r.subject,
        body: r.body,
        secret,
        account_id: None,
    })
}

/// The link to confirm an address, at registration (`change` false) or for a new address.
pub fn verify_email(to: &str, name: &str, link: &str, hours: i64, change: bool) -> Result<Mail, String> {
    let r = render("verify_email.txt", context! { name, link, hours, change });
    mail(MailKind::VerifyEmail, to, true, r)
}

/// To the old address: a change to `new_email` was asked for.
pub fn email_change_notice(to: &str, name: &str, new_email: &str) -> Result<Mail, String> {
    let r = render("email_change_notice.txt", context! { name, new_email });
    mail(MailKind::EmailChangeNotice, to, false, r)
}

/// The one-time link to choose a new password.
pub fn password_reset(to: &str, name: &str, link: &str, minutes: i64) -> Result<Mail, String> {
    let r = render("password_reset.txt", context! { name, link, minutes });
    mail(MailKind::PasswordReset, to, true, r)
}

/// A moderator's decision, as the owner reads it.
#[derive(Debug, Clone)]
pub struct Decision<'a> {
    pub kind: MailKind,
    pub to: &'a str,
    pub name: &'a str,
    pub title: &'a str,
    /// The public page, for approvals.
    pub url: Option<&'a str>,
    /// The reason, for refusals.
    pub reason: Option<(ReasonCode, &'a str)>,
}

pub fn decision(d: &Decision) -> Result<Mail, String> {
    let template = match d.kind {
        MailKind::ActivityApproved => "activity_approved.txt",
        MailKind::ActivityRejected => "activity_rejected.txt",
        MailKind::ActivityUnpublished => "activity_unpublished.txt",
        MailKind::RevisionApproved => "revision_approved.txt",
        MailKind::RevisionRejected => "revision_rejected.txt",
        other => return Err(format!("{other} is not a decision notice")),
    };
    let (reason_ja, reason_en) = d.reason.map(|(code, _)| code.labels()).unwrap_or(("", ""));
    let r = render(
        template,
        context! {
            name => d.name,
            title => d.title,
            url => d.url,
            reason_ja,
            reason_en,
            reason => d.reason.map(|(_, text)| text),
        },
    );
    mail(d.kind, d.to, false, r)
}

/// One campaign's share of the queue, for the digest.
#[derive(Debug, Clone, Serialize)]
pub struct CampaignCount {
    pub slug: String,
    pub title: String,
    pub count: i64,
}

/// What the moderator digest reports.
#[derive(Debug, Clone)]
pub struct Digest {
    /// Items that arrived since the last digest.
    pub new: i64,
    pub total: i64,
    pub campaigns: Vec<CampaignCount>,
    pub oldest_hours: i64,
    /// Items waiting past the SLA (0: no reminder).
    pub overdue: i64,
    pub sla_hours: i64,
    pub queue_url: String,
}

pub fn digest(to: &str, name: &str, d: &Digest) -> Result<Mail, String> {
    let r = render(
        "moderation_digest.txt",
        context! {
            name,
            new => d.new,
            total => d.total,
            campaigns => minijinja::value::Serde(&d.campaigns),
            oldest_hours => d.oldest_hours,
            overdue => d.overdue,
            sla_hours => d.sla_hours,
            queue_url => &d.queue_url,
        },
    );
    mail(MailKind::ModerationDigest, to, false, r)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(m: &Mail) -> String {
        format!("To: {}\nSubject: {}\n\n{}", m.recipient, m.subject, m.body)
    }

    #[test]
    fn verification_mails() {
        let link = "https://telework.example.jp/verify-email#token=TOKEN";
        let m = verify_email("hanako@example.jp", "テレワーク 花子", link, 48, false).unwrap();
        assert!(m.secret);
        insta::assert_snapshot!("verify_email", snapshot(&m));
        let m = verify_email("new@example.jp", "株式会社テスト", link, 48, true).unwrap();
        insta::assert_snapshot!("verify_email_change", snapshot(&m));
        let m = email_change_notice("old@example.jp", "株式会社テスト", "new@example.jp").unwrap();
        assert!(!m.secret);
        insta::assert_snapshot!("email_change_notice", snapshot(&m));
    }

    #[test]
    fn password_reset_mail() {
        let link = "https://telework.example.jp/password-reset#token=TOKEN";
        let m = password_reset("hanako@example.jp", "テレワーク 花子", link, 30).unwrap();
        assert!(m.secret);
        insta::assert_snapshot!("password_reset", snapshot(&m));
    }

    #[test]
    fn decision_notices() {
        let url = "https://api.telework.example.jp/api/v1/public/activities/0192f1a0-0000-7000-8000-000000000000";
        let reason = Some((ReasonCode::Incomplete, "開催日を記入してください。"));
        for (kind, url, reason) in [
            (MailKind::ActivityApproved, Some(url), None),
            (MailKind::ActivityRejected, None, reason),
            (
                MailKind::ActivityUnpublished,
                None,
                Some((ReasonCode::Inappropriate, "外部サイトへの誘導が含まれています。")),
            ),
            (MailKind::RevisionApproved, Some(url), None),
            (MailKind::RevisionRejected, None, reason),
        ] {
            let d = Decision {
                kind,
                to: "owner@example.jp",
                name: "株式会社テスト",
                title: "全社テレワーク・デイ",
                url,
                reason,
            };
            insta::assert_snapshot!(kind.as_str(), snapshot(&decision(&d).unwrap()));
        }
        let d = Decision {
            kind: MailKind::PasswordReset,
            to: "x@example.jp",
            name: "x",
            title: "x",
            url: None,
            reason: None,
        };
        assert!(decision(&d).is_err());
    }

    #[test]
    fn digest_with_and_without_a_reminder() {
        let mut d = Digest {
            new: 3,
            total: 5,
            campaigns: vec![
                CampaignCount {
                    slug: "2026".into(),
                    title: "テレワーク月間 2026".into(),
                    count: 4,
                },
                CampaignCount {
                    slug: "demo".into(),
                    title: "デモ".into(),
                    count: 1,
                },
            ],
            oldest_hours: 12,
            overdue: 0,
            sla_hours: 48,
            queue_url: "https://telework.example.jp/moderation".into(),
        };
        insta::assert_snapshot!(
            "moderation_digest",
            snapshot(&digest("mod@example.jp", "モデレーター", &d).unwrap())
        );
        d.oldest_hours = 50;
        d.overdue = 2;
        insta::assert_snapshot!(
            "moderation_digest_overdue",
            snapshot(&digest("mod@example.jp", "モデレーター", &d).unwrap())
        );
    }
}

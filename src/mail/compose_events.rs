//! The mails to people who apply to event sessions: the confirmation link (double opt-in),
//! the outcome (confirmed, waitlisted, promoted), cancellations and the reminder. The
//! online URL is only ever in mails to a confirmed applicant.

use super::templates::render;
use crate::db::outbox::Mail;
use crate::domain::codes::{ActivityFormat, MailKind};
use crate::domain::event::{tokyo, ApplicationStatus};
use chrono::{Datelike, NaiveDateTime};
use minijinja::context;

/// The session a mail is about, as the applicant reads it.
#[derive(Debug, Clone)]
pub struct SessionFacts {
    pub title: String,
    pub organizer: String,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub format: ActivityFormat,
    pub venue: Option<String>,
    pub fee: String,
    /// Given only for mails to a confirmed applicant.
    pub online_url: Option<String>,
}

const WEEKDAYS: [&str; 7] = ["月", "火", "水", "木", "金", "土", "日"];

/// `2026年11月10日(火) 14:00〜15:30（日本時間）`, the end's date repeated when it differs.
pub fn when(starts_at: NaiveDateTime, ends_at: NaiveDateTime) -> String {
    let (s, e) = (tokyo(starts_at), tokyo(ends_at));
    let day = |t: &chrono::DateTime<chrono::FixedOffset>| {
        format!(
            "{}年{}月{}日({})",
            t.year(),
            t.month(),
            t.day(),
            WEEKDAYS[t.weekday().num_days_from_monday() as usize]
        )
    };
    let end = if s.date_naive() == e.date_naive() {
        e.format("%H:%M").to_string()
    } else {
        format!("{} {}", day(&e), e.format("%H:%M"))
    };
    format!("{} {}〜{}（日本時間 / JST）", day(&s), s.format("%H:%M"), end)
}

fn format_label(f: ActivityFormat) -> &'static str {
    match f {
        ActivityFormat::Online => "オンライン / Online",
        ActivityFormat::Onsite => "会場 / On site",
        ActivityFormat::Hybrid => "ハイブリッド / Hybrid",
    }
}

fn status_ja(s: ApplicationStatus) -> &'static str {
    match s {
        ApplicationStatus::Pending => "確認待ち",
        ApplicationStatus::Confirmed => "参加確定",
        ApplicationStatus::Waitlisted => "キャンセル待ち",
        ApplicationStatus::Cancelled => "取り消し済み",
        ApplicationStatus::Expired => "期限切れ",
    }
}

/// One mail to an applicant.
#[derive(Debug, Clone)]
pub struct ApplicantMail<'a> {
    pub kind: MailKind,
    pub to: &'a str,
    pub name: &'a str,
    pub session: &'a SessionFacts,
    pub confirm_link: Option<&'a str>,
    pub manage_link: Option<&'a str>,
    /// The application's status, for "you have already applied".
    pub status: Option<ApplicationStatus>,
    pub hours: i64,
}

pub fn applicant(m: &ApplicantMail) -> Result<Mail, String> {
    let template = match m.kind {
        MailKind::ApplicationConfirm => "application_confirm.txt",
        MailKind::ApplicationExists => "application_exists.txt",
        MailKind::ApplicationConfirmed => "application_confirmed.txt",
        MailKind::ApplicationWaitlisted => "application_waitlisted.txt",
        MailKind::ApplicationPromoted => "application_promoted.txt",
        MailKind::ApplicationCancelled => "application_cancelled.txt",
        MailKind::SessionCancelled => "session_cancelled.txt",
        MailKind::SessionReminder => "session_reminder.txt",
        other => return Err(format!("{other} is not a mail to an applicant")),
    };
    let s = m.session;
    let r = render(
        template,
        context! {
            name => m.name,
            title => &s.title,
            organizer => &s.organizer,
            when => when(s.starts_at, s.ends_at),
            format => format_label(s.format),
            venue => &s.venue,
            fee => &s.fee,
            online_url => &s.online_url,
            confirm_link => m.confirm_link,
            manage_link => m.manage_link,
            status => m.status.map(|s| s.as_str()),
            status_ja => m.status.map(status_ja),
            hours => m.hours,
        },
    )?;
    Ok(Mail {
        kind: m.kind,
        recipient: m.to.to_owned(),
        subject: r.subject,
        body: r.body,
        // A mail with a link that acts on the application is erased when it dies.
        secret: m.confirm_link.is_some() || m.manage_link.is_some(),
        account_id: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::event::instant;

    fn facts(online_url: Option<&str>) -> SessionFacts {
        SessionFacts {
            title: "テレワーク導入セミナー".into(),
            organizer: "テレワーク推進フォーラム".into(),
            starts_at: instant("t", "2026-11-10T14:00:00+09:00").unwrap(),
            ends_at: instant("t", "2026-11-10T15:30:00+09:00").unwrap(),
            format: ActivityFormat::Hybrid,
            venue: Some("東京都千代田区".into()),
            fee: "無料".into(),
            online_url: online_url.map(str::to_owned),
        }
    }

    fn mail(kind: MailKind, s: &SessionFacts, confirm: Option<&str>, manage: Option<&str>) -> Mail {
        applicant(&ApplicantMail {
            kind,
            to: "taro@example.jp",
            name: "山田 太郎",
            session: s,
            confirm_link: confirm,
            manage_link: manage,
            status: Some(ApplicationStatus::Waitlisted),
            hours: 48,
        })
        .unwrap()
    }

    #[test]
    fn times_read_in_japanese_in_tokyo_time() {
        let s = facts(None);
        assert_eq!(
            when(s.starts_at, s.ends_at),
            "2026年11月10日(火) 14:00〜15:30（日本時間 / JST）"
        );
        let late = instant("t", "2026-11-11T01:00:00+09:00").unwrap();
        assert_eq!(
            when(s.starts_at, late),
            "2026年11月10日(火) 14:00〜2026年11月11日(水) 01:00（日本時間 / JST）"
        );
    }

    #[test]
    fn applicant_mails() {
        let manage = "https://telework.example.jp/applications/manage#token=MANAGE";
        let confirm = "https://telework.example.jp/applications/confirm#token=CONFIRM";
        let plain = facts(None);
        let seated = facts(Some("https://meet.example.jp/room-1"));
        let m = mail(MailKind::ApplicationConfirm, &plain, Some(confirm), Some(manage));
        assert!(m.secret && m.body.contains(confirm) && m.body.contains(manage));
        insta::assert_snapshot!("application_confirm", m.body);
        let m = mail(MailKind::ApplicationExists, &plain, None, Some(manage));
        assert!(m.body.contains("キャンセル待ち") && !m.body.contains("#token=CONFIRM"));
        let m = mail(MailKind::ApplicationConfirmed, &seated, None, Some(manage));
        assert!(m.body.contains("https://meet.example.jp/room-1"));
        insta::assert_snapshot!("application_confirmed", m.body);
        for kind in [
            MailKind::ApplicationWaitlisted,
            MailKind::ApplicationCancelled,
            MailKind::SessionCancelled,
        ] {
            let m = mail(kind, &plain, None, None);
            assert!(!m.body.contains("meet.example.jp"), "{kind}");
            assert!(!m.secret);
        }
        let m = mail(MailKind::SessionReminder, &seated, None, Some(manage));
        assert!(m.subject.contains("Reminder") && m.body.contains("room-1"));
    }
}

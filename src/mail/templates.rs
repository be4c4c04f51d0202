//! The mail templates: plain-text minijinja files in `templates/` beside this file, built into
//! the binary. A template's first line is the subject; the body starts after the blank line
//! that follows it.

use minijinja::syntax::SyntaxConfig;
use minijinja::value::Serde;
use minijinja::Environment;
use serde::Serialize;
use std::sync::OnceLock;

const TEMPLATES: &[(&str, &str)] = &[
    ("footer.txt", include_str!("templates/footer.txt")),
    ("verify_email.txt", include_str!("templates/verify_email.txt")),
    (
        "email_change_notice.txt",
        include_str!("templates/email_change_notice.txt"),
    ),
    ("password_reset.txt", include_str!("templates/password_reset.txt")),
    ("activity_approved.txt", include_str!("templates/activity_approved.txt")),
    ("activity_rejected.txt", include_str!("templates/activity_rejected.txt")),
    (
        "activity_unpublished.txt",
        include_str!("templates/activity_unpublished.txt"),
    ),
    ("revision_approved.txt", include_str!("templates/revision_approved.txt")),
    ("revision_rejected.txt", include_str!("templates/revision_rejected.txt")),
    ("moderation_digest.txt", include_str!("templates/moderation_digest.txt")),
    ("event_session.txt", include_str!("templates/event_session.txt")),
    (
        "application_confirm.txt",
        include_str!("templates/application_confirm.txt"),
    ),
    (
        "application_exists.txt",
        include_str!("templates/application_exists.txt"),
    ),
    (
        "application_confirmed.txt",
        include_str!("templates/application_confirmed.txt"),
    ),
    (
        "application_waitlisted.txt",
        include_str!("templates/application_waitlisted.txt"),
    ),
    (
        "application_promoted.txt",
        include_str!("templates/application_promoted.txt"),
    ),
    (
        "application_cancelled.txt",
        include_str!("templates/application_cancelled.txt"),
    ),
    ("session_cancelled.txt", include_str!("templates/session_cancelled.txt")),
    ("session_reminder.txt", include_str!("templates/session_reminder.txt")),
];

fn environment() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        // Block tags take their line with them, so templates read like the mail they make.
        let syntax = SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(true)
            .build()
            .expect("the default delimiters are valid");
        env.set_syntax(syntax);
        // Plain text: nothing is HTML-escaped (a `.txt` name already means that).
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .unwrap_or_else(|e| panic!("mail template {name} does not parse: {e}"));
        }
        env
    })
}

/// A rendered mail: its subject line and its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub body: String,
}

/// Renders template `name` with `context`. A template that fails to render is a bug the
/// snapshot tests catch; the error says which.
pub fn render(name: &str, context: impl Serialize) -> Result<Rendered, String> {
    let text = environment()
        .get_template(name)
        .and_then(|t| t.render(Serde(context)))
        .map_err(|e| format!("mail template {name}: {e}"))?;
    let (subject, body) = text.split_once('\n').unwrap_or((&text, ""));
    Ok(Rendered {
        subject: subject.trim().to_owned(),
        body: body.trim_start_matches('\n').to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_parses() {
        for (name, _) in TEMPLATES {
            assert!(environment().get_template(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn subject_is_the_first_line() {
        let r = render(
            "password_reset.txt",
            minijinja::context! { name => "山田", link => "L", minutes => 30 },
        )
        .unwrap();
        assert_eq!(r.subject, "パスワードの再設定 / Reset your password");
        assert!(r.body.starts_with("山田 様\n"), "{}", r.body);
    }
}

//! The mail settings: where mail goes (`SMTP_URL` or files), who it is from, where its links
//! point, and how the outbox retries and the moderator digest are paced.

use super::{base_url, err, number, AppEnv, ConfigError, Secret};
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// Where the delivery worker hands mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailTransport {
    /// Each message an RFC 5322 `.eml` file in this folder.
    Files(PathBuf),
    /// An `smtp://` or `smtps://` URL (it may carry credentials, so it never prints).
    Smtp(Secret),
}

/// Everything about mail, from the environment.
#[derive(Debug, Clone)]
pub struct MailConfig {
    pub transport: MailTransport,
    /// The `From` mailbox, e.g. `テレワーク月間事務局 <noreply@telework.example.jp>`.
    pub from: String,
    /// Where the front end lives (`FRONTEND_BASE_URL`); verification and reset links start here.
    pub frontend_base_url: String,
    /// Whether `submit` needs a verified email (`REQUIRE_EMAIL_VERIFICATION`).
    pub require_email_verification: bool,
    /// Delivery attempts before a row is `dead` (`OUTBOX_MAX_ATTEMPTS`).
    pub max_attempts: u32,
    /// How often the delivery worker looks for due rows (`OUTBOX_POLL_MS`).
    pub poll: Duration,
    /// The first retry's delay; each later one doubles it, with jitter (`OUTBOX_BACKOFF_BASE_MS`).
    pub backoff_base: Duration,
    /// How long a claimed row stays with its worker before another may take it (`OUTBOX_LEASE_SECS`).
    pub lease: Duration,
    /// How often moderators get a digest (`DIGEST_INTERVAL_MINUTES`).
    pub digest_interval: Duration,
    /// A queue item waiting longer than this adds a reminder to the digest (`MODERATION_SLA_HOURS`).
    pub moderation_sla: Duration,
    /// Password reset and verification mails per address per hour
    /// (`MAIL_RATE_LIMIT_PER_ADDRESS_PER_HOUR`).
    pub per_address_per_hour: u32,
}

/// The `From` of a development setup that names none.
pub const DEFAULT_MAIL_FROM: &str = "telework-registry <noreply@localhost>";
pub const DEFAULT_MAIL_DIR: &str = "data/mail";

impl MailConfig {
    /// Reads the mail variables; `public_base_url` is the default of `FRONTEND_BASE_URL`.
    pub fn from_lookup(
        get: &impl Fn(&str) -> Option<String>,
        app_env: AppEnv,
        public_base_url: &str,
    ) -> Result<Self, ConfigError> {
        let smtp_url = match get("SMTP_URL") {
            Some(raw) => Some(smtp_url(&raw).map_err(|m| err("SMTP_URL", m))?),
            None => None,
        };
        let explicit = match get("MAIL_TRANSPORT").as_deref().map(str::trim) {
            None => None,
            Some("files") => Some(false),
            Some("smtp") => Some(true),
            Some(other) => return Err(err("MAIL_TRANSPORT", format!("`{other}` is not one of files, smtp"))),
        };
        let use_smtp = explicit.unwrap_or(smtp_url.is_some());
        let transport = match (use_smtp, smtp_url) {
            (true, Some(url)) => MailTransport::Smtp(url),
            (true, None) => {
                return Err(err(
                    "SMTP_URL",
                    "is required when MAIL_TRANSPORT=smtp; set it to smtp://HOST:PORT or smtps://USER:PASSWORD@HOST",
                ))
            }
            (false, _) if app_env == AppEnv::Production && explicit.is_none() => {
                return Err(err(
                    "SMTP_URL",
                    "is required when APP_ENV=production (mail would only be written to files); set it, or set MAIL_TRANSPORT=files to mean that",
                ))
            }
            (false, _) => MailTransport::Files(PathBuf::from(
                get("MAIL_DIR").unwrap_or_else(|| DEFAULT_MAIL_DIR.into()).trim(),
            )),
        };
        let from = match (get("MAIL_FROM"), &transport) {
            (Some(raw), _) => mailbox(&raw).map_err(|m| err("MAIL_FROM", m))?,
            (None, MailTransport::Smtp(_)) => {
                return Err(err(
                    "MAIL_FROM",
                    "is required when mail goes through SMTP; set the sender, e.g. `Registry <noreply@telework.example.jp>`",
                ))
            }
            (None, MailTransport::Files(_)) => DEFAULT_MAIL_FROM.to_owned(),
        };
        let frontend_base_url = match get("FRONTEND_BASE_URL") {
            Some(raw) => base_url(&raw).map_err(|m| err("FRONTEND_BASE_URL", m))?,
            None => public_base_url.to_owned(),
        };
        let require_email_verification = match get("REQUIRE_EMAIL_VERIFICATION").as_deref().map(str::trim) {
            None | Some("true") | Some("1") => true,
            Some("false") | Some("0") => false,
            Some(other) => {
                return Err(err(
                    "REQUIRE_EMAIL_VERIFICATION",
                    format!("must be true or false, got `{other}`"),
                ))
            }
        };
        Ok(Self {
            transport,
            from,
            frontend_base_url,
            require_email_verification,
            max_attempts: number(get, "OUTBOX_MAX_ATTEMPTS", 10, 1, 100)? as u32,
            poll: Duration::from_millis(number(get, "OUTBOX_POLL_MS", 1_000, 10, 600_000)?),
            backoff_base: Duration::from_millis(number(get, "OUTBOX_BACKOFF_BASE_MS", 30_000, 1, 3_600_000)?),
            lease: Duration::from_secs(number(get, "OUTBOX_LEASE_SECS", 120, 5, 3_600)?),
            digest_interval: Duration::from_secs(number(get, "DIGEST_INTERVAL_MINUTES", 60, 1, 10_080)? * 60),
            moderation_sla: Duration::from_secs(number(get, "MODERATION_SLA_HOURS", 48, 1, 8_760)? * 3_600),
            per_address_per_hour: number(get, "MAIL_RATE_LIMIT_PER_ADDRESS_PER_HOUR", 5, 1, 1_000_000)? as u32,
        })
    }

    /// The domain of the `From` address, for message ids (`<id@domain>`).
    pub fn from_domain(&self) -> &str {
        let addr = self.from.rsplit_once('<').map_or(self.from.as_str(), |(_, a)| a);
        addr.rsplit_once('@')
            .map_or("localhost", |(_, d)| d.trim_end_matches('>').trim())
    }
}

fn smtp_url(raw: &str) -> Result<Secret, String> {
    let raw = raw.trim();
    let url = url::Url::parse(raw).map_err(|e| format!("is not a URL ({e}); use smtp://HOST:PORT or smtps://HOST"))?;
    if !matches!(url.scheme(), "smtp" | "smtps") {
        return Err(format!(
            "has the scheme `{}`; use smtp://HOST:PORT or smtps://USER:PASSWORD@HOST",
            url.scheme()
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("names no host".into());
    }
    Ok(Secret::new(raw))
}

fn mailbox(raw: &str) -> Result<String, String> {
    let raw = raw.trim();
    lettre::message::Mailbox::from_str(raw)
        .map(|_| raw.to_owned())
        .map_err(|e| format!("is not a mailbox ({e}), e.g. `Registry <noreply@telework.example.jp>`"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn mail(env: AppEnv, vars: &[(&str, &str)]) -> Result<MailConfig, ConfigError> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        MailConfig::from_lookup(&|k| map.get(k).cloned(), env, "http://127.0.0.1:8080")
    }

    #[test]
    fn development_writes_files_by_default() {
        let c = mail(AppEnv::Development, &[]).unwrap();
        assert_eq!(c.transport, MailTransport::Files(PathBuf::from("data/mail")));
        assert_eq!(c.from, DEFAULT_MAIL_FROM);
        assert_eq!(c.from_domain(), "localhost");
        assert_eq!(c.frontend_base_url, "http://127.0.0.1:8080");
        assert!(c.require_email_verification);
        assert_eq!(c.max_attempts, 10);
        assert_eq!(c.digest_interval, Duration::from_secs(3600));
    }

    #[test]
    fn smtp_needs_a_sender_and_production_needs_smtp_or_an_explicit_choice() {
        let e = mail(AppEnv::Development, &[("SMTP_URL", "smtp://127.0.0.1:2525")]).unwrap_err();
        assert_eq!(e.variable, "MAIL_FROM");
        let c = mail(
            AppEnv::Development,
            &[
                ("SMTP_URL", "smtps://u:pw@mail.example.jp"),
                ("MAIL_FROM", "事務局 <office@example.jp>"),
            ],
        )
        .unwrap();
        assert!(matches!(c.transport, MailTransport::Smtp(_)));
        assert!(!format!("{c:?}").contains("pw@"), "the SMTP password printed");
        assert_eq!(c.from_domain(), "example.jp");
        assert_eq!(mail(AppEnv::Production, &[]).unwrap_err().variable, "SMTP_URL");
        assert!(mail(AppEnv::Production, &[("MAIL_TRANSPORT", "files")]).is_ok());
        assert_eq!(
            mail(AppEnv::Development, &[("MAIL_TRANSPORT", "smtp")])
                .unwrap_err()
                .variable,
            "SMTP_URL"
        );
    }

    #[test]
    fn bad_values_name_their_variable() {
        for (var, value) in [
            ("SMTP_URL", "http://mail.example.jp"),
            ("SMTP_URL", "not a url"),
            ("MAIL_FROM", "no address here"),
            ("MAIL_TRANSPORT", "pigeon"),
            ("FRONTEND_BASE_URL", "example.jp"),
            ("REQUIRE_EMAIL_VERIFICATION", "maybe"),
            ("OUTBOX_MAX_ATTEMPTS", "0"),
            ("DIGEST_INTERVAL_MINUTES", "0"),
            ("MODERATION_SLA_HOURS", "x"),
        ] {
            let e = mail(AppEnv::Development, &[(var, value)]).unwrap_err();
            assert_eq!(e.variable, var, "{var}={value}: {e}");
        }
    }
}

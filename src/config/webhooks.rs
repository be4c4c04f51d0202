//! Webhook settings from the environment.

use super::{flag, ConfigError};

/// What webhook URLs may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WebhookConfig {
    /// `WEBHOOK_ALLOW_HTTP=true`: plain http URLs are accepted (default: https only).
    pub allow_http: bool,
    /// `WEBHOOK_ALLOW_PRIVATE=true`: URLs may resolve to loopback, private and link-local
    /// addresses (default: refused at creation and at every delivery).
    pub allow_private: bool,
}

impl WebhookConfig {
    pub fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Ok(Self {
            allow_http: flag(get, "WEBHOOK_ALLOW_HTTP")?,
            allow_private: flag(get, "WEBHOOK_ALLOW_PRIVATE")?,
        })
    }
}

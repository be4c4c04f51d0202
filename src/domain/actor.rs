//! Who acts: the signed-in account behind a request, as the rules and the audit log see it.

use crate::domain::codes::{Kind, Role};

/// An account acting now, whose access token, role and enabled state have been checked.
#[derive(Debug, Clone)]
pub struct Actor {
    pub id: String,
    pub role: Role,
    /// Registrants only.
    pub kind: Option<Kind>,
    pub display_name: String,
    pub industry: Option<String>,
    /// Whether the account's email address is verified.
    pub email_verified: bool,
}

//! Closed sets of codes (roles, kinds, audit actions, reasons) as Rust enums, stored and
//! sent as their snake_case text. Reading an unknown text is an error, never a default.

/// A stored or sent code that is not one of its set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownCode {
    pub set: &'static str,
    pub text: String,
}

impl std::fmt::Display for UnknownCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`{}` is not a known {}", self.text, self.set)
    }
}

impl std::error::Error for UnknownCode {}

/// Declares an enum of codes with `ALL`, `as_str`, `parse`, `Display` and the conversions
/// to and from `String` that the database rows use.
macro_rules! codes {
    ($(#[$doc:meta])* $name:ident, $set:literal { $($(#[$vdoc:meta])* $variant:ident = $text:tt),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }

            /// Parses the request parameter `field`, if given; an unknown code is added to
            /// `errors` as `invalid_choice`, naming the codes allowed.
            pub fn parse_field(
                field: &str,
                raw: Option<&str>,
                errors: &mut Vec<$crate::domain::FieldError>,
            ) -> Option<Self> {
                let raw = raw?;
                let parsed = Self::parse(raw);
                if parsed.is_none() {
                    let allowed: Vec<&str> = Self::ALL.iter().map(|c| c.as_str()).collect();
                    errors.push($crate::domain::FieldError::new(
                        field,
                        "invalid_choice",
                        format!("must be one of {}", allowed.join(", ")),
                    ));
                }
                parsed
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl TryFrom<String> for $name {
            type Error = $crate::domain::codes::UnknownCode;

            fn try_from(text: String) -> Result<Self, Self::Error> {
                Self::parse(&text).ok_or($crate::domain::codes::UnknownCode { set: $set, text })
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.as_str().to_owned()
            }
        }
    };
}
pub(crate) use codes;

codes!(
    /// What an account may do.
    Role, "role" {
        Registrant = "registrant",
        Moderator = "moderator",
        Admin = "admin",
    }
);

impl Role {
    /// Moderators and admins work the queue.
    pub fn is_staff(self) -> bool {
        matches!(self, Role::Moderator | Role::Admin)
    }
}

codes!(
    /// Who did what an audit event records: an account's role, or `system` for the
    /// registry itself (a webhook disabled after days of failures).
    ActorRole, "actor role" {
        Registrant = "registrant",
        Moderator = "moderator",
        Admin = "admin",
        System = "system",
    }
);

impl ActorRole {
    /// Staff and the registry itself; their identity is hidden from registrants.
    pub fn is_staff(self) -> bool {
        self != ActorRole::Registrant
    }
}

codes!(
    /// What kind of registrant an account is.
    Kind, "account kind" {
        Organization = "organization",
        Individual = "individual",
    }
);

codes!(
    /// What an audit event records.
    AuditAction, "audit action" {
        Create = "create",
        Submit = "submit",
        Withdraw = "withdraw",
        Edit = "edit",
        EditRevision = "edit_revision",
        Delete = "delete",
        Approve = "approve",
        ApproveRevision = "approve_revision",
        Reject = "reject",
        RejectRevision = "reject_revision",
        Unpublish = "unpublish",
        AccountCreate = "account_create",
        AccountRole = "account_role",
        AccountDisable = "account_disable",
        AccountEnable = "account_enable",
        CampaignCreate = "campaign_create",
        CampaignUpdate = "campaign_update",
        PasswordReset = "password_reset",
        EmailChange = "email_change",
        OutboxRetry = "outbox_retry",
        WebhookCreate = "webhook_create",
        WebhookUpdate = "webhook_update",
        WebhookDelete = "webhook_delete",
        WebhookRotateSecret = "webhook_rotate_secret",
        WebhookDisable = "webhook_disable",
        WebhookReplay = "webhook_replay",
        WebhookTest = "webhook_test",
        SessionCreate = "session_create",
        SessionUpdate = "session_update",
        SessionDelete = "session_delete",
        SessionCancel = "session_cancel",
        Claim = "claim",
        ClaimRelease = "claim_release",
        ClaimOverride = "claim_override",
        Note = "note",
        /// An admin downloaded the secretariat's export of a campaign's registrations.
        ExportRegistrations = "export_registrations",
        /// An account's private data was erased (at its own request or an admin's).
        AccountErase = "account_erase",
        /// `telework-registry purge` erased the private data left from a past campaign.
        Purge = "purge",
    }
);

codes!(
    /// Which queue items a moderator wants by their claims.
    ClaimedFilter, "claimed filter" {
        /// Claimed by the caller.
        Mine = "mine",
        /// Claimed by another moderator.
        Others = "others",
        /// Not claimed by anyone.
        Unclaimed = "none",
    }
);

codes!(
    /// What the public statistics can be counted by.
    StatsDimension, "statistics dimension" {
        Category = "category",
        Kind = "kind",
        Prefecture = "prefecture",
        Industry = "industry",
    }
);

impl StatsDimension {
    /// Two different dimensions written `a,b`.
    pub fn pair(raw: &str) -> Option<(Self, Self)> {
        match raw
            .split(',')
            .map(|p| Self::parse(p.trim()))
            .collect::<Vec<_>>()
            .as_slice()
        {
            [Some(a), Some(b)] if a != b => Some((*a, *b)),
            _ => None,
        }
    }
}

codes!(
    /// The order of the moderation queue.
    QueueSort, "queue order" {
        /// The longest waiting first.
        Oldest = "oldest",
        /// The latest arrivals first.
        Newest = "newest",
        /// By campaign slug (A to Z), the longest waiting first within each.
        Campaign = "campaign",
    }
);

codes!(
    /// What a webhook event reports.
    EventType, "event type" {
        ActivitySubmitted = "activity.submitted",
        ActivityApproved = "activity.approved",
        ActivityRejected = "activity.rejected",
        ActivityUnpublished = "activity.unpublished",
        ActivityWithdrawn = "activity.withdrawn",
        RevisionSubmitted = "activity.revision_submitted",
        RevisionApproved = "activity.revision_approved",
        RevisionRejected = "activity.revision_rejected",
        /// Sent by `POST /admin/webhooks/{id}/test` only; not subscribable.
        WebhookTest = "webhook.test",
    }
);

impl EventType {
    /// Events whose `data` is the activity's public view (it is public after them).
    pub fn is_public(self) -> bool {
        matches!(self, EventType::ActivityApproved | EventType::RevisionApproved)
    }
}

codes!(
    /// What an outbox row carries: a mail, or an event for a webhook.
    OutboxChannel, "outbox channel" {
        Mail = "mail",
        Webhook = "webhook",
    }
);

impl AuditAction {
    /// Events that concern only staff: an owner's history leaves them out.
    pub fn is_staff_only(self) -> bool {
        matches!(
            self,
            AuditAction::Claim | AuditAction::ClaimRelease | AuditAction::ClaimOverride | AuditAction::Note
        )
    }

    /// The moderator decisions, for statistics.
    pub const DECISIONS: [AuditAction; 5] = [
        AuditAction::Approve,
        AuditAction::Reject,
        AuditAction::Unpublish,
        AuditAction::ApproveRevision,
        AuditAction::RejectRevision,
    ];
}

codes!(
    /// Why a moderator rejected or unpublished an activity.
    ReasonCode, "reason code" {
        Incomplete = "incomplete",
        OffTopic = "off_topic",
        Duplicate = "duplicate",
        Inappropriate = "inappropriate",
        Other = "other",
    }
);

impl ReasonCode {
    /// The labels shown to people: (Japanese, English).
    pub fn labels(self) -> (&'static str, &'static str) {
        match self {
            ReasonCode::Incomplete => ("記載内容が不十分", "Incomplete information"),
            ReasonCode::OffTopic => ("テレワークに関係しない内容", "Not about telework"),
            ReasonCode::Duplicate => ("重複した登録", "Duplicate registration"),
            ReasonCode::Inappropriate => ("公開に適さない内容", "Inappropriate for publication"),
            ReasonCode::Other => ("その他", "Other"),
        }
    }
}

codes!(
    /// An activity category (labels in `GET /categories`).
    Category, "category" {
        TryPractice = "try_practice",
        LearnDiscuss = "learn_discuss",
        SupportCooperate = "support_cooperate",
    }
);

codes!(
    /// What a mail in the outbox is.
    MailKind, "mail kind" {
        VerifyEmail = "verify_email",
        EmailChangeNotice = "email_change_notice",
        PasswordReset = "password_reset",
        ActivityApproved = "activity_approved",
        ActivityRejected = "activity_rejected",
        ActivityUnpublished = "activity_unpublished",
        RevisionApproved = "revision_approved",
        RevisionRejected = "revision_rejected",
        ModerationDigest = "moderation_digest",
        ApplicationConfirm = "application_confirm",
        ApplicationExists = "application_exists",
        ApplicationConfirmed = "application_confirmed",
        ApplicationWaitlisted = "application_waitlisted",
        ApplicationPromoted = "application_promoted",
        ApplicationCancelled = "application_cancelled",
        SessionCancelled = "session_cancelled",
        SessionReminder = "session_reminder",
    }
);

codes!(
    /// How an activity takes place.
    ActivityFormat, "activity format" {
        Online = "online",
        Onsite = "onsite",
        Hybrid = "hybrid",
    }
);

codes!(
    /// Where an outbox row stands: `pending` (due at `next_attempt_at`), `sending` (claimed by
    /// a worker until its lease ends), `sent`, or `dead` (out of attempts; an admin may retry).
    OutboxState, "outbox state" {
        Pending = "pending",
        Sending = "sending",
        Sent = "sent",
        Dead = "dead",
    }
);

codes!(
    /// What a mailed token is for.
    TokenPurpose, "token purpose" {
        VerifyEmail = "verify_email",
        PasswordReset = "password_reset",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_unknown_text_is_an_error() {
        for r in Role::ALL {
            assert_eq!(Role::try_from(String::from(*r)).unwrap(), *r);
        }
        for a in AuditAction::ALL {
            assert_eq!(AuditAction::parse(a.as_str()), Some(*a));
        }
        let err = Kind::try_from("company".to_owned()).unwrap_err();
        assert_eq!(err.to_string(), "`company` is not a known account kind");
        assert_eq!(serde_json::to_string(&ReasonCode::OffTopic).unwrap(), "\"off_topic\"");
    }

    /// The enums the spec shows for categories and formats are the reference lists.
    #[test]
    fn category_and_format_codes_match_the_reference_data() {
        use crate::domain::reference::{CATEGORIES, FORMATS};
        let codes = |items: &[crate::domain::reference::RefItem]| items.iter().map(|i| i.code).collect::<Vec<_>>();
        assert_eq!(
            Category::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
            codes(&CATEGORIES)
        );
        assert_eq!(
            ActivityFormat::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
            codes(&FORMATS)
        );
    }
}

//! The activity workflow, in one place: a pure function from a state and an action to the
//! next state and what happens to the activity's pending revision.
//!
//! ```text
//! draft ──submit──▶ pending ──approve──▶ approved ──unpublish──▶ suspended
//!                      │                  │  ▲ revision approve/reject
//!                      └──reject──▶ rejected
//! rejected | suspended | withdrawn ──submit──▶ pending
//! any but withdrawn ──withdraw──▶ withdrawn
//! ```

use crate::domain::codes::AuditAction;
use std::fmt;

crate::domain::codes::codes!(
    /// Where an activity stands. Only `approved` is public.
    Status, "activity status" {
        Draft = "draft",
        Pending = "pending",
        Approved = "approved",
        Rejected = "rejected",
        Suspended = "suspended",
        Withdrawn = "withdrawn",
    }
);

/// Everything that can be done to an activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Owner: put it in the queue.
    Submit,
    /// Owner: take it back.
    Withdraw,
    /// Owner: change its text.
    Edit,
    /// Owner: remove a draft.
    Delete,
    /// Moderator: publish a pending activity, or accept its pending revision.
    Approve,
    /// Moderator: refuse a pending activity, or its pending revision.
    Reject,
    /// Moderator: take an approved activity off the public listing.
    Unpublish,
}

impl Action {
    pub const ALL: [Action; 7] = [
        Action::Submit,
        Action::Withdraw,
        Action::Edit,
        Action::Delete,
        Action::Approve,
        Action::Reject,
        Action::Unpublish,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Submit => "submit",
            Action::Withdraw => "withdraw",
            Action::Edit => "edit",
            Action::Delete => "delete",
            Action::Approve => "approve",
            Action::Reject => "reject",
            Action::Unpublish => "unpublish",
        }
    }
}

/// What happens to the pending revision and the public text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEffect {
    /// The activity's own text changes (it is not public).
    EditText,
    /// The edit goes into the pending revision; the public text stays.
    EditRevision,
    /// Nothing changes in the text.
    Unchanged,
    /// The pending revision replaces the public text.
    ApplyRevision,
    /// The pending revision is dropped; the public text stays.
    DropRevision,
    /// The pending revision, if any, becomes the activity's (no longer public) text.
    MergeRevision,
    /// The activity is deleted.
    Remove,
}

/// The outcome of a legal action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    pub from: Status,
    pub to: Status,
    pub text: TextEffect,
    /// What the audit event records, e.g. `approve` or `approve_revision`.
    pub audit_action: AuditAction,
    /// Whether the item leaves (`Some(false)`) or enters (`Some(true)`) the moderation queue.
    pub queued: Option<bool>,
}

/// An action the diagram does not allow from this state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IllegalTransition {
    pub from: Status,
    pub action: Action,
}

impl fmt::Display for IllegalTransition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot {} an activity that is {}", self.action.as_str(), self.from)
    }
}

/// Decides an action. `has_revision` says whether an approved activity has a pending revision.
pub fn decide(from: Status, has_revision: bool, action: Action) -> Result<Transition, IllegalTransition> {
    use Action as A;
    use Status as S;
    let t = |to, text, audit_action, queued| Transition {
        from,
        to,
        text,
        audit_action,
        queued,
    };
    let illegal = Err(IllegalTransition { from, action });
    match (action, from) {
        (A::Submit, S::Draft | S::Rejected | S::Suspended | S::Withdrawn) => {
            Ok(t(S::Pending, TextEffect::Unchanged, AuditAction::Submit, Some(true)))
        }
        (A::Submit, _) => illegal,
        (A::Withdraw, S::Withdrawn) => illegal,
        (A::Withdraw, S::Approved) => Ok(t(
            S::Withdrawn,
            TextEffect::MergeRevision,
            AuditAction::Withdraw,
            Some(false),
        )),
        (A::Withdraw, S::Pending) => Ok(t(
            S::Withdrawn,
            TextEffect::Unchanged,
            AuditAction::Withdraw,
            Some(false),
        )),
        (A::Withdraw, _) => Ok(t(S::Withdrawn, TextEffect::Unchanged, AuditAction::Withdraw, None)),
        (A::Edit, S::Approved) => Ok(t(
            S::Approved,
            TextEffect::EditRevision,
            AuditAction::EditRevision,
            (!has_revision).then_some(true),
        )),
        (A::Edit, _) => Ok(t(from, TextEffect::EditText, AuditAction::Edit, None)),
        (A::Delete, S::Draft) => Ok(t(S::Draft, TextEffect::Remove, AuditAction::Delete, None)),
        (A::Delete, _) => illegal,
        (A::Approve, S::Pending) => Ok(t(S::Approved, TextEffect::Unchanged, AuditAction::Approve, Some(false))),
        (A::Approve, S::Approved) if has_revision => Ok(t(
            S::Approved,
            TextEffect::ApplyRevision,
            AuditAction::ApproveRevision,
            Some(false),
        )),
        (A::Approve, _) => illegal,
        (A::Reject, S::Pending) => Ok(t(S::Rejected, TextEffect::Unchanged, AuditAction::Reject, Some(false))),
        (A::Reject, S::Approved) if has_revision => Ok(t(
            S::Approved,
            TextEffect::DropRevision,
            AuditAction::RejectRevision,
            Some(false),
        )),
        (A::Reject, _) => illegal,
        (A::Unpublish, S::Approved) => Ok(t(
            S::Suspended,
            TextEffect::MergeRevision,
            AuditAction::Unpublish,
            Some(false),
        )),
        (A::Unpublish, _) => illegal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use Action as A;
    use Status as S;

    /// The diagram of PRODUCT.md as data: (from, action) → to, for activities without a
    /// pending revision.
    const DIAGRAM: &[(Status, Action, Status)] = &[
        (S::Draft, A::Submit, S::Pending),
        (S::Pending, A::Approve, S::Approved),
        (S::Pending, A::Reject, S::Rejected),
        (S::Approved, A::Unpublish, S::Suspended),
        (S::Rejected, A::Submit, S::Pending),
        (S::Suspended, A::Submit, S::Pending),
        (S::Withdrawn, A::Submit, S::Pending),
        (S::Draft, A::Withdraw, S::Withdrawn),
        (S::Pending, A::Withdraw, S::Withdrawn),
        (S::Approved, A::Withdraw, S::Withdrawn),
        (S::Rejected, A::Withdraw, S::Withdrawn),
        (S::Suspended, A::Withdraw, S::Withdrawn),
    ];

    #[test]
    fn state_actions_follow_the_diagram_exactly() {
        for &from in S::ALL {
            for action in [A::Submit, A::Withdraw, A::Approve, A::Reject, A::Unpublish] {
                let expected = DIAGRAM
                    .iter()
                    .find(|(f, a, _)| *f == from && *a == action)
                    .map(|(_, _, to)| *to);
                let got = decide(from, false, action).ok().map(|t| t.to);
                assert_eq!(got, expected, "{from} --{}-->", action.as_str());
            }
        }
    }

    #[test]
    fn revisions_are_decided_on_approved_activities_only() {
        let t = decide(S::Approved, true, A::Approve).unwrap();
        assert_eq!(
            (t.to, t.text, t.audit_action),
            (S::Approved, TextEffect::ApplyRevision, AuditAction::ApproveRevision)
        );
        let t = decide(S::Approved, true, A::Reject).unwrap();
        assert_eq!((t.to, t.text), (S::Approved, TextEffect::DropRevision));
        assert!(decide(S::Approved, false, A::Approve).is_err());
        assert!(decide(S::Approved, false, A::Reject).is_err());
        assert_eq!(
            decide(S::Approved, false, A::Edit).unwrap().text,
            TextEffect::EditRevision
        );
    }

    #[test]
    fn only_drafts_are_deleted() {
        for &from in S::ALL {
            assert_eq!(decide(from, false, A::Delete).is_ok(), from == S::Draft);
        }
    }

    /// A model of one activity: its state, its own text, its pending revision and what the
    /// public sees; texts are numbers, each edit makes a new one.
    #[derive(Debug, Clone)]
    struct Model {
        status: Status,
        text: u32,
        revision: Option<u32>,
        public: Option<u32>,
        next_text: u32,
    }

    impl Model {
        fn apply(&mut self, action: Action) -> Result<Transition, IllegalTransition> {
            let t = decide(self.status, self.revision.is_some(), action)?;
            match t.text {
                TextEffect::EditText => {
                    self.next_text += 1;
                    self.text = self.next_text;
                }
                TextEffect::EditRevision => {
                    self.next_text += 1;
                    self.revision = Some(self.next_text);
                }
                TextEffect::ApplyRevision | TextEffect::MergeRevision => {
                    if let Some(r) = self.revision.take() {
                        self.text = r;
                    }
                }
                TextEffect::DropRevision => self.revision = None,
                TextEffect::Unchanged | TextEffect::Remove => {}
            }
            self.status = t.to;
            self.public = (self.status == S::Approved).then_some(self.text);
            Ok(t)
        }
    }

    fn any_action() -> impl Strategy<Value = Action> {
        prop::sample::select(Action::ALL.to_vec())
    }

    proptest! {
        #[test]
        fn no_sequence_leaves_the_diagram(actions in prop::collection::vec(any_action(), 0..60)) {
            let mut m = Model { status: S::Draft, text: 0, revision: None, public: None, next_text: 0 };
            for action in actions {
                let before = m.clone();
                match m.apply(action) {
                    Ok(t) => {
                        let in_diagram = DIAGRAM.iter().any(|(f, a, to)| *f == before.status && *a == action && *to == t.to)
                            || (t.to == before.status && matches!(action, A::Edit | A::Delete))
                            || (before.status == S::Approved && before.revision.is_some()
                                && matches!(action, A::Approve | A::Reject) && t.to == S::Approved);
                        prop_assert!(in_diagram, "{:?} --{:?}--> {:?}", before.status, action, t.to);
                        // The public text changes only through an approval.
                        if m.public.is_some() && m.public != before.public {
                            prop_assert!(action == A::Approve, "public text changed by {:?}", action);
                        }
                        // A revision exists only on an approved activity.
                        prop_assert!(m.revision.is_none() || m.status == S::Approved);
                    }
                    Err(_) => {
                        prop_assert_eq!(m.status, before.status);
                        prop_assert_eq!(m.public, before.public);
                    }
                }
            }
        }
    }
}

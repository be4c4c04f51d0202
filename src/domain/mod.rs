//! Rules that span tables and roles: reference data, text and field validation, the workflow
//! state machine. Nothing here touches the database or HTTP.

pub mod account;
pub mod activity;
pub mod actor;
pub mod badge;
pub mod clock;
pub mod codes;
pub mod corporate_number;
pub mod duplicate;
pub mod event;
pub mod page;
pub mod reference;
pub mod text;
pub mod webhook;
pub mod workflow;

use serde::Serialize;
use utoipa::ToSchema;

/// One invalid field of a request, as listed in a `validation_failed` problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// The field or parameter at fault, e.g. `title` or `profile.prefecture`.
    pub field: String,
    /// A stable machine code, e.g. `too_long`, `required`, `invalid_format`.
    pub code: String,
    /// A sentence for people.
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            code: code.to_owned(),
            message: message.into(),
        }
    }
}

//! Rules that span tables and roles: reference data, text and field validation, the workflow
//! state machine. Nothing here touches the database or HTTP.

pub mod account;
pub mod activity;
pub mod corporate_number;
pub mod reference;
pub mod text;
pub mod workflow;

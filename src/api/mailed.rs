//! Shapes shared by the requests whose answer goes out by mail and by the tokens that mails
//! carry (account mail and applications to event sessions).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The answer to a request whose mail goes out later (or not at all, for an unknown address).
#[derive(Debug, Serialize, ToSchema)]
pub struct Accepted {
    /// Always `accepted`.
    pub status: &'static str,
    pub detail: &'static str,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenBody {
    /// The token from the mailed link's fragment (`#token=…`).
    pub token: String,
}

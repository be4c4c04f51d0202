//! Credentials: access tokens (JWT), password hashing and the sign-in rate limiter. Who may
//! call a handler is said by the extractors in `api::caller`.

pub mod jwt;
pub mod password;
pub mod rate_limit;

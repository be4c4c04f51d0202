//! Liveness and readiness probes.

use crate::error::ApiResult;
use crate::service;
use crate::state::State;
use actix_web::{get, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok` for liveness, `ready` for readiness.
    pub status: &'static str,
}

/// Liveness: the process answers. Touches nothing else.
#[utoipa::path(
    operation_id = "get_health",tag = "health", responses((status = 200, body = Health)))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(Health { status: "ok" })
}

/// Readiness: the database answers a query within the pool timeout (else 503).
#[utoipa::path(
    operation_id = "get_readiness",tag = "health", responses((status = 200, body = Health)))]
#[get("/readyz")]
pub async fn readyz(state: State) -> ApiResult<HttpResponse> {
    service::ping(&state.pool).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(Health { status: "ready" }))
}

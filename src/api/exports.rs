//! The exports: the open data of a campaign as CSV and JSON (public, with the licence in a
//! `Link` header and an ETag like the rest of `/public`) and the secretariat's registrations
//! (admin, audited). Each is read from one snapshot and streamed.

use crate::api::caller::Admin;
use crate::api::export_csv::{PublicCsv, PublicJson, RegistrationsCsv};
use crate::api::extract::Query;
use crate::cache::{etag, none_match};
use crate::error::{ApiError, ApiResult, FieldError, Problem};
use crate::service::export::{self, Streamed};
use crate::state::State;
use actix_web::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE, ETAG, IF_NONE_MATCH, LINK};
use actix_web::{get, HttpRequest, HttpResponse, HttpResponseBuilder};
use serde::Deserialize;
use serde_json::json;
use utoipa::IntoParams;

/// The licence's name, in the JSON envelope.
pub const LICENSE_NAME: &str = "公共データ利用規約（第1.0版） / Public Data License 1.0 (PDL1.0)";

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// Campaign slug (required).
    pub campaign: Option<String>,
    /// CSV only: start with a byte order mark, for Excel.
    pub bom: Option<bool>,
}

fn campaign(q: &ExportQuery) -> ApiResult<String> {
    match q.campaign.as_deref().map(str::trim) {
        Some(c) if !c.is_empty() => Ok(c.to_owned()),
        _ => Err(ApiError::validation(vec![FieldError::new(
            "campaign",
            "required",
            "name the campaign to export (its slug)",
        )])),
    }
}

/// The response of a public export: 304 on a matching `If-None-Match`, else the stream.
fn public_response(state: &State, req: &HttpRequest, s: Streamed, content_type: &str, file: String) -> HttpResponse {
    let tag = tag_of(req, s.generation);
    if none_match(req, &tag, true) {
        // Dropping the body stops the export.
        return headed(HttpResponse::NotModified(), state, tag).finish();
    }
    body(headed(HttpResponse::Ok(), state, tag), s, content_type, file)
}

/// A revalidation of the data this process last saw (ETag in hand) is answered 304 before
/// an export starts, so it needs none of the `EXPORT_CONCURRENCY` slots. `*` is left to
/// [`public_response`], which knows whether the campaign exists.
async fn revalidated(state: &State, req: &HttpRequest) -> ApiResult<Option<HttpResponse>> {
    if !req.headers().contains_key(IF_NONE_MATCH) {
        return Ok(None);
    }
    let tag = tag_of(req, state.public.generation(&state.pool).await?);
    Ok(none_match(req, &tag, false).then(|| headed(HttpResponse::NotModified(), state, tag).finish()))
}

fn tag_of(req: &HttpRequest, generation: i64) -> String {
    etag(generation, &format!("{}?{}", req.path(), req.query_string()))
}

/// The headers of every answer of a public export, 200 or 304.
fn headed(mut res: HttpResponseBuilder, state: &State, tag: String) -> HttpResponseBuilder {
    res.insert_header((ETAG, tag))
        .insert_header((CACHE_CONTROL, "public, max-age=0, must-revalidate"))
        .insert_header((
            LINK,
            format!("<{}>; rel=\"license\"", state.config.public_data_license_url),
        ));
    res
}

fn body(mut res: HttpResponseBuilder, s: Streamed, content_type: &str, file: String) -> HttpResponse {
    // A failure after the first byte breaks the response off (logged where it happened).
    let chunks = futures_util::stream::unfold(s.body, |mut rx| async move {
        rx.recv()
            .await
            .map(|c| (c.map_err(|_| std::io::Error::other("the export broke off")), rx))
    });
    res.insert_header((CONTENT_TYPE, content_type.to_owned()))
        .insert_header((CONTENT_DISPOSITION, format!("attachment; filename=\"{file}\"")))
        .streaming(chunks)
}

/// Every approved activity of a campaign as CSV: UTF-8, a header row of Japanese column
/// names (`ID`, `キャンペーン`, `カテゴリ`, … `承認日時`), categories joined with `;`, times
/// in Asia/Tokyo (`+09:00`); `bom=true` starts with a byte order mark for Excel. A cell
/// that starts with `=`, `+`, `-`, `@`, a tab or a CR gets a leading `'`. Licensed under
/// the Public Data License 1.0 (`Link: <…>; rel="license"`).
#[utoipa::path(
    operation_id = "public_export_csv",
    tag = "public",
    params(ExportQuery),
    responses(
        (status = 200, description = "CSV, UTF-8", content_type = "text/csv", body = String,
            headers(("ETag" = String), ("Link" = String, description = "The licence: `<URL>; rel=\"license\"`"))),
        (status = 304, description = "Not modified: `If-None-Match` names the current data; answered without starting an export, so even while every `EXPORT_CONCURRENCY` slot is taken (except `If-None-Match: *`, which is answered once the export has found the campaign)"),
        (status = 400, description = "`validation_failed` (no campaign) or `unknown_campaign`", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`exports_busy`: as many public exports as the server runs at once (`EXPORT_CONCURRENCY`) are under way; or, as everywhere, `service_unavailable` or `statement_timeout`. Retry after `Retry-After` seconds", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = String)))
    )
)]
#[get("/public/export.csv")]
pub async fn public_csv(state: State, req: HttpRequest, q: Query<ExportQuery>) -> ApiResult<HttpResponse> {
    let q = q.into_inner()?;
    let slug = campaign(&q)?;
    let file = format!("telework-{slug}.csv");
    if let Some(res) = revalidated(&state, &req).await? {
        return Ok(res);
    }
    let slot = state.exports.take()?;
    let s = export::public(&state.pool, slot, slug, false, PublicCsv::new(q.bom.unwrap_or(false))).await?;
    Ok(public_response(&state, &req, s, "text/csv; charset=utf-8", file))
}

/// Every approved activity of a campaign in the public view, as one JSON document:
/// `{campaign: {slug, title}, license: {name, url}, items: [...], total}`.
#[utoipa::path(
    operation_id = "public_export_json",
    tag = "public",
    params(ExportQuery),
    responses(
        (status = 200, description = "`{campaign, license, items, total}`, items in the public view", content_type = "application/json", body = Object,
            headers(("ETag" = String), ("Link" = String, description = "The licence: `<URL>; rel=\"license\"`"))),
        (status = 304, description = "Not modified: `If-None-Match` names the current data; answered without starting an export, so even while every `EXPORT_CONCURRENCY` slot is taken (except `If-None-Match: *`, which is answered once the export has found the campaign)"),
        (status = 400, description = "`validation_failed` (no campaign, or `bom`) or `unknown_campaign`", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`exports_busy`: as many public exports as the server runs at once (`EXPORT_CONCURRENCY`) are under way; or, as everywhere, `service_unavailable` or `statement_timeout`. Retry after `Retry-After` seconds", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = String)))
    )
)]
#[get("/public/export.json")]
pub async fn public_json(state: State, req: HttpRequest, q: Query<ExportQuery>) -> ApiResult<HttpResponse> {
    let q = q.into_inner()?;
    let slug = campaign(&q)?;
    if q.bom.is_some() {
        return Err(ApiError::validation(vec![FieldError::new(
            "bom",
            "not_allowed",
            "only the CSV export takes a byte order mark",
        )]));
    }
    let file = format!("telework-{slug}.json");
    let license = json!({"name": LICENSE_NAME, "url": state.config.public_data_license_url});
    if let Some(res) = revalidated(&state, &req).await? {
        return Ok(res);
    }
    let slot = state.exports.take()?;
    let s = export::public(&state.pool, slot, slug, true, PublicJson::new(license)).await?;
    Ok(public_response(&state, &req, s, "application/json", file))
}

/// The secretariat's export: every activity of a campaign, whatever its status, with its
/// owner's account (contact data and profile), as CSV with a byte order mark. Each download
/// is audited (`export_registrations`: who, which campaign, how many rows).
#[utoipa::path(
    operation_id = "admin_export_registrations",
    tag = "admin",
    security(("bearer" = [])),
    params(ExportQuery),
    responses(
        (status = 200, description = "CSV, UTF-8 with a byte order mark", content_type = "text/csv", body = String),
        (status = 400, description = "`validation_failed` (no campaign) or `unknown_campaign`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/admin/export/registrations.csv")]
pub async fn registrations(state: State, admin: Admin, q: Query<ExportQuery>) -> ApiResult<HttpResponse> {
    let q = q.into_inner()?;
    let slug = campaign(&q)?;
    let file = format!("registrations-{slug}.csv");
    let s = export::registrations(&state.pool, admin.0, slug, RegistrationsCsv::default()).await?;
    let mut res = HttpResponse::Ok();
    res.insert_header((CACHE_CONTROL, "no-store"));
    Ok(body(res, s, "text/csv; charset=utf-8", file))
}

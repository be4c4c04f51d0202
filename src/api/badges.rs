//! Participation badges: the hosted Open Badges 2.0 assertion and the badge image (public,
//! while the activity is approved; 410 after), and the HTML an owner puts on their site.

use crate::api::caller::Registrant;
use crate::db::badges::BadgeView;
use crate::domain::badge;
use crate::domain::clock::utc;
use crate::error::{ApiResult, Problem};
use crate::service::{self, badges};
use crate::state::State;
use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use actix_web::{get, web, HttpResponse};
use chrono::Datelike;
use serde::Serialize;
use serde_json::{json, Value};
use utoipa::ToSchema;

fn assertion_url(state: &State, id: &str) -> String {
    format!("{}/api/v1/public/badges/{id}", state.config.public_base_url)
}

fn image_url(state: &State, id: &str) -> String {
    format!("{}/api/v1/public/badges/{id}.svg", state.config.public_base_url)
}

/// The hosted assertion, its badge class (the campaign) and issuer embedded.
fn assertion(state: &State, b: &BadgeView) -> Value {
    let year = b.campaign_starts_on.year();
    let picture = image_url(state, &b.badge_id);
    json!({
        "@context": "https://w3id.org/openbadges/v2",
        "type": "Assertion",
        "id": assertion_url(state, &b.badge_id),
        "recipient": {"type": "name", "hashed": false, "identity": b.organizer_name},
        "issuedOn": b.approved_at.map(utc),
        "image": picture,
        "verification": {"type": "hosted"},
        "badge": {
            "type": "BadgeClass",
            "id": format!("urn:uuid:{}", b.campaign_id),
            "name": badge::caption(year),
            "description": format!("{}（{}）に参加登録し、公開された活動。", b.campaign_title, b.campaign_slug),
            "image": picture,
            "criteria": {"narrative": format!("{} の登録受付に活動を登録し、事務局の審査を経て公開されたこと。", b.campaign_title)},
            "issuer": {
                "type": "Profile",
                "id": state.config.public_base_url,
                "name": "テレワーク月間 登録受付",
                "url": state.config.public_base_url,
                "email": state.config.mail.from,
            },
        },
    })
}

fn public_headers(res: &mut actix_web::HttpResponseBuilder) {
    res.insert_header((CACHE_CONTROL, "public, max-age=60"));
}

/// A participation badge as an Open Badges 2.0 hosted assertion (recipient: the organizer
/// name; issued on: the approval; badge class: the campaign, embedded). 410
/// `badge_withdrawn` once the activity is withdrawn, unpublished or rejected.
#[utoipa::path(
    operation_id = "public_get_badge",
    tag = "public",
    params(("id" = String, Path, description = "The badge id (32 hex digits; not the activity's)")),
    responses(
        (status = 200, description = "Open Badges 2.0 Assertion (JSON-LD)", content_type = "application/json", body = Object),
        (status = 404, description = "No such badge", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "`badge_withdrawn`: the activity is no longer public", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/public/badges/{id}")]
pub async fn get_one(state: State, path: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let b = service::run(&state.pool, move |conn| badges::public(conn, &id)).await?;
    let mut res = HttpResponse::Ok();
    public_headers(&mut res);
    Ok(res.json(assertion(&state, &b)))
}

/// The badge image: "テレワーク月間 {year} 参加" and the organizer name (our own design, no
/// official mark). 410 `badge_withdrawn` once the activity is no longer public.
#[utoipa::path(
    operation_id = "public_get_badge_image",
    tag = "public",
    params(("id" = String, Path, description = "The badge id")),
    responses(
        (status = 200, description = "SVG", content_type = "image/svg+xml", body = String),
        (status = 404, description = "No such badge", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "`badge_withdrawn`", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/public/badges/{id}.svg")]
pub async fn image(state: State, path: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let b = service::run(&state.pool, move |conn| badges::public(conn, &id)).await?;
    let mut res = HttpResponse::Ok();
    public_headers(&mut res);
    Ok(res
        .insert_header((CONTENT_TYPE, "image/svg+xml"))
        .insert_header((
            "Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'",
        ))
        .body(badge::svg(b.campaign_starts_on.year(), &b.organizer_name)))
}

/// An owner's badge: where it is and the HTML for their site.
#[derive(Debug, Serialize, ToSchema)]
pub struct BadgeOut {
    /// The badge id (not the activity's).
    pub id: String,
    /// The hosted assertion.
    pub assertion_url: String,
    pub image_url: String,
    /// `<a href="…"><img src="…" alt="…"></a>`, escaped.
    pub html: String,
}

/// The badge of an approved activity of one's own, for one's site (its id is made on the
/// first request and stays the same).
#[utoipa::path(
    operation_id = "get_own_badge",
    tag = "activities",
    security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses(
        (status = 200, body = BadgeOut),
        (status = 403, description = "Not a registrant", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such activity of yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`not_approved`: only an approved activity has a badge", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/activities/{id}/badge")]
pub async fn own(state: State, user: Registrant, path: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = crate::api::extract::parse_id("id", &path)?;
    let b = service::run(&state.pool, move |conn| badges::of_own(conn, &user.0, id)).await?;
    let (assertion_url, image_url) = (assertion_url(&state, &b.badge_id), image_url(&state, &b.badge_id));
    let html = badge::snippet(
        &assertion_url,
        &image_url,
        b.campaign_starts_on.year(),
        &b.organizer_name,
    );
    Ok(HttpResponse::Ok().json(BadgeOut {
        id: b.badge_id,
        assertion_url,
        image_url,
        html,
    }))
}

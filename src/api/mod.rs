//! HTTP only: handlers per resource, their DTOs and status codes. Every handler is
//! registered with `.service()` inside a `utoipa_actix_web` scope, so it is in the spec.

pub mod account;
pub mod activities;
pub mod activity;
pub mod admin_accounts;
pub mod admin_audit;
pub mod atom;
pub mod audit_view;
pub mod auth;
pub mod campaigns;
pub mod extract;
pub mod health;
pub mod me;
pub mod moderation;
pub mod page;
pub mod public;
pub mod reference;

use crate::error::ApiError;
use crate::openapi;
use actix_web::HttpRequest;
use std::sync::OnceLock;
use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

/// Registers every route: health at the root, the API under `/api/v1`.
///
/// A request is matched against the routes in this order, and each route with a path
/// parameter costs a regular-expression match, so the public routes, which take most of the
/// traffic, come first.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(health::healthz).service(health::readyz);
    cfg.service(
        scope("/api/v1")
            .service(public::list)
            .service(public::get_one)
            .service(public::stats)
            .service(public::feed)
            .service(auth::register)
            .service(auth::login)
            .service(auth::refresh)
            .service(auth::logout)
            .service(me::get_me)
            .service(me::patch_me)
            .service(me::change_password)
            .service(reference::categories)
            .service(reference::prefectures)
            .service(reference::industries)
            .service(admin_accounts::list)
            .service(admin_accounts::create)
            .service(admin_accounts::update)
            .service(admin_audit::list)
            .service(campaigns::list)
            .service(campaigns::create)
            .service(campaigns::update)
            .service(activities::create)
            .service(activities::list)
            .service(activities::get_one)
            .service(activities::edit)
            .service(activities::remove)
            .service(activities::submit)
            .service(activities::withdraw)
            .service(activities::history)
            .service(moderation::queue)
            .service(moderation::get_one)
            .service(moderation::reasons)
            .service(moderation::approve)
            .service(moderation::reject)
            .service(moderation::unpublish)
            .service(moderation::stats),
    );
}

/// Answers requests no route took: 405 with `Allow` when the path exists under another
/// method, else 404 — both as problems.
pub async fn fallback(req: HttpRequest) -> Result<actix_web::HttpResponse, ApiError> {
    let allowed = allowed_methods(req.path());
    Err(if allowed.is_empty() {
        ApiError::not_found(format!("There is no resource at {}.", req.path()))
    } else {
        ApiError::method_not_allowed(&allowed.join(", "))
    })
}

/// The methods the spec lists for the path template that matches `path`.
fn allowed_methods(path: &str) -> Vec<&'static str> {
    static TABLE: OnceLock<Vec<(Vec<String>, Vec<&'static str>)>> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        openapi::spec()
            .paths
            .paths
            .iter()
            .map(|(template, item)| {
                let segments = template.trim_matches('/').split('/').map(str::to_owned).collect();
                let mut methods = Vec::new();
                if item.get.is_some() {
                    methods.extend(["GET", "HEAD"]);
                }
                if item.post.is_some() {
                    methods.push("POST");
                }
                if item.put.is_some() {
                    methods.push("PUT");
                }
                if item.patch.is_some() {
                    methods.push("PATCH");
                }
                if item.delete.is_some() {
                    methods.push("DELETE");
                }
                (segments, methods)
            })
            .collect()
    });
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    table
        .iter()
        .filter(|(segments, _)| {
            segments.len() == parts.len()
                && segments
                    .iter()
                    .zip(&parts)
                    .all(|(s, p)| (s.starts_with('{') && !p.is_empty()) || s == p)
        })
        .flat_map(|(_, methods)| methods.iter().copied())
        .collect()
}

//! Reference data: code lists with Japanese and English labels.

use crate::api::page::Page;
use crate::domain::reference::{RefItem, CATEGORIES, INDUSTRIES, PREFECTURES};
use actix_web::http::header::{CACHE_CONTROL, ETAG};
use actix_web::{get, HttpRequest, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

/// One code with its labels.
#[derive(Debug, Serialize, ToSchema)]
pub struct RefEntry {
    pub code: &'static str,
    pub name_ja: &'static str,
    pub name_en: &'static str,
}

fn respond(req: &HttpRequest, name: &str, items: &[RefItem]) -> HttpResponse {
    // Code lists change only with a new release.
    let etag = format!("\"{name}-{}\"", env!("CARGO_PKG_VERSION"));
    let cache = "public, max-age=86400";
    if crate::cache::none_match(req, &etag, true) {
        return HttpResponse::NotModified()
            .insert_header((ETAG, etag))
            .insert_header((CACHE_CONTROL, cache))
            .finish();
    }
    let page = Page {
        items: items
            .iter()
            .map(|i| RefEntry {
                code: i.code,
                name_ja: i.name_ja,
                name_en: i.name_en,
            })
            .collect(),
        next_cursor: None,
    };
    HttpResponse::Ok()
        .insert_header((ETAG, etag))
        .insert_header((CACHE_CONTROL, cache))
        .json(page)
}

/// The three activity categories.
#[utoipa::path(
    operation_id = "list_categories",tag = "reference", responses((status = 200, body = Page<RefEntry>), (status = 304, description = "Not modified")))]
#[get("/categories")]
pub async fn categories(req: HttpRequest) -> HttpResponse {
    respond(&req, "categories", &CATEGORIES)
}

/// The 47 prefectures with their JIS X 0401 codes.
#[utoipa::path(
    operation_id = "list_prefectures",tag = "reference", responses((status = 200, body = Page<RefEntry>), (status = 304, description = "Not modified")))]
#[get("/prefectures")]
pub async fn prefectures(req: HttpRequest) -> HttpResponse {
    respond(&req, "prefectures", &PREFECTURES)
}

/// JSIC major industry divisions A–T.
#[utoipa::path(
    operation_id = "list_industries",tag = "reference", responses((status = 200, body = Page<RefEntry>), (status = 304, description = "Not modified")))]
#[get("/industries")]
pub async fn industries(req: HttpRequest) -> HttpResponse {
    respond(&req, "industries", &INDUSTRIES)
}

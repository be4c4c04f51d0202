//! What the binary serves to people rather than programs: `GET /widget.js` (the
//! `<telework-activities>` custom element for partner pages), `GET /embed` (the widget as a
//! page, for hosts that allow only iframes) and `GET /` (a landing page). They are not part
//! of the JSON API, so they stay out of its spec and its generated clients.

use crate::domain::reference::{CATEGORIES, PREFECTURES};
use crate::domain::text::escape_markup as escape;
use crate::error::ApiError;
use crate::state::State;
use actix_web::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG};
use actix_web::web::{self, ServiceConfig};
use actix_web::{HttpRequest, HttpResponse};
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

const SCRIPT_SOURCE: &str = include_str!("widget.js");
const REFERENCE_SLOT: &str = "/*REFERENCE*/ { categories: [], prefectures: {} }";
const LANDING: &str = include_str!("landing.html");
const EMBED: &str = include_str!("embed.html");

/// The widget's attributes, which `/embed` takes as query parameters.
pub const WIDGET_ATTRIBUTES: [&str; 7] = ["campaign", "category", "prefecture", "kind", "q", "limit", "lang"];

/// Registers the three routes (HEAD is answered as GET for all routes in `app`).
pub fn configure(cfg: &mut ServiceConfig) {
    for (path, handler) in [
        ("/", Page::Landing),
        ("/embed", Page::Embed),
        ("/widget.js", Page::Script),
    ] {
        cfg.service(
            web::resource(path)
                .route(web::get().to(move |state: State, req: HttpRequest| serve(handler, state, req)))
                .default_service(web::to(|| async {
                    Err::<HttpResponse, _>(ApiError::method_not_allowed("GET, HEAD"))
                })),
        );
    }
}

#[derive(Clone, Copy)]
enum Page {
    Landing,
    Embed,
    Script,
}

async fn serve(page: Page, state: State, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    match page {
        Page::Script => Ok(script_response(&req)),
        Page::Landing => Ok(html(landing(&state.config.public_base_url), "'none'")),
        Page::Embed => {
            let pairs: Vec<(String, String)> = serde_html_form::from_str(req.query_string())
                .map_err(|_| ApiError::bad_request("malformed_query", "The query string is not valid."))?;
            Ok(html(embed(&pairs), &state.config.embed_frame_ancestors))
        }
    }
}

/// The widget script with the reference labels it shows, and its ETag.
pub fn script() -> &'static (String, String) {
    static SCRIPT: OnceLock<(String, String)> = OnceLock::new();
    SCRIPT.get_or_init(|| {
        let categories: Vec<[&str; 3]> = CATEGORIES.iter().map(|c| [c.code, c.name_ja, c.name_en]).collect();
        let prefectures: serde_json::Map<String, serde_json::Value> = PREFECTURES
            .iter()
            .map(|p| (p.code.to_owned(), serde_json::json!([p.name_ja, p.name_en])))
            .collect();
        let reference = serde_json::json!({ "categories": categories, "prefectures": prefectures });
        let body = SCRIPT_SOURCE.replace(REFERENCE_SLOT, &reference.to_string());
        let digest = Sha256::digest(body.as_bytes());
        let tag = format!(
            "\"{}\"",
            digest[..12].iter().map(|b| format!("{b:02x}")).collect::<String>()
        );
        (body, tag)
    })
}

fn script_response(req: &HttpRequest) -> HttpResponse {
    let (body, tag) = script();
    let fresh = crate::cache::none_match(req, tag, false);
    let mut res = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    res.insert_header((ETAG, tag.as_str()))
        .insert_header((CACHE_CONTROL, "public, max-age=3600"))
        .insert_header(("Cross-Origin-Resource-Policy", "cross-origin"));
    if fresh {
        return res.finish();
    }
    res.insert_header((CONTENT_TYPE, "text/javascript; charset=utf-8"))
        .body(body.clone())
}

/// An HTML page that may run only its own script, fetch only this server, and be framed by
/// `frame_ancestors`.
fn html(body: String, frame_ancestors: &str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((CACHE_CONTROL, "public, max-age=300"))
        .insert_header((
            CONTENT_SECURITY_POLICY,
            format!(
                "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors {frame_ancestors}"
            ),
        ))
        .body(body)
}

fn landing(base: &str) -> String {
    let snippet = format!(
        "<script src=\"{base}/widget.js\" async></script>\n<telework-activities campaign=\"2026\" lang=\"ja\"></telework-activities>"
    );
    let iframe = format!(
        "<iframe src=\"{base}/embed?campaign=2026&lang=ja\" title=\"テレワーク月間の登録取組\" width=\"100%\" height=\"720\"></iframe>"
    );
    LANDING
        .replace("{snippet}", &escape(&snippet))
        .replace("{iframe}", &escape(&iframe))
}

/// The embed page: the widget element with the widget's attributes taken from the query
/// (repeated `category` values joined; other names ignored; each value at most 200
/// characters), every value escaped.
pub fn embed(pairs: &[(String, String)]) -> String {
    let mut attrs = String::new();
    let mut lang = "ja";
    for name in WIDGET_ATTRIBUTES {
        let values: Vec<&str> = pairs.iter().filter(|(k, _)| k == name).map(|(_, v)| v.trim()).collect();
        let value: String = values.join(",").chars().take(200).collect();
        if value.is_empty() {
            continue;
        }
        if name == "lang" {
            lang = if value == "en" { "en" } else { "ja" };
            continue;
        }
        attrs.push_str(&format!(" {name}=\"{}\"", escape(&value)));
    }
    let title = if lang == "en" {
        "Telework Month activities"
    } else {
        "テレワーク月間の登録取組"
    };
    let widget = format!("<telework-activities{attrs} lang=\"{lang}\"></telework-activities>");
    EMBED
        .replace("{lang}", lang)
        .replace("{title}", title)
        .replace("{widget}", &widget)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(q: &[(&str, &str)]) -> Vec<(String, String)> {
        q.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn the_script_carries_the_reference_labels() {
        let (body, tag) = script();
        assert!(!body.contains("/*REFERENCE*/"), "the reference slot was not filled");
        assert!(body.contains("テレワークを学ぶ/議論する") && body.contains("\"13\":[\"東京都\",\"Tokyo\"]"));
        assert!(tag.starts_with('"') && tag.len() == 26);
    }

    #[test]
    fn embed_escapes_every_value_and_ignores_unknown_names() {
        let page = embed(&pairs(&[
            ("q", "\"><script>alert(1)</script>"),
            ("category", "try_practice"),
            ("category", "learn_discuss"),
            ("lang", "en"),
            ("onload", "x"),
        ]));
        assert!(page.contains(
            "<telework-activities category=\"try_practice,learn_discuss\" q=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\" lang=\"en\">"
        ));
        assert!(!page.contains("<script>alert") && !page.contains("onload"));
        assert!(page.starts_with("<!doctype html>\n<html lang=\"en\">"));
        assert!(embed(&pairs(&[("lang", "fr")])).contains("lang=\"ja\""));
    }
}

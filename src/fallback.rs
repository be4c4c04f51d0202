//! Requests no route took: 405 with `Allow` when the path exists under another method, else
//! 404, both as problems. The methods come from the spec, so they cannot drift from it.

use crate::error::ApiError;
use crate::openapi;
use actix_web::HttpRequest;
use std::sync::OnceLock;

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
    // Only the leading slash goes: `/api/v1/activities/` is no path of the spec's.
    let parts: Vec<&str> = path.strip_prefix('/').unwrap_or(path).split('/').collect();
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

#[cfg(test)]
mod tests {
    use super::allowed_methods;

    #[test]
    fn a_trailing_slash_names_no_path_of_the_spec() {
        assert_eq!(allowed_methods("/api/v1/activities"), ["GET", "HEAD", "POST"]);
        assert!(allowed_methods("/api/v1/activities/").is_empty());
        assert!(allowed_methods("/api/v1/activities//").is_empty());
        assert!(!allowed_methods("/api/v1/public/activities/0192f1a0-0000-7000-8000-000000000000").is_empty());
    }
}

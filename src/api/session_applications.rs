//! A session's applications for its organizer and staff: a paged list and a CSV (UTF-8
//! with a BOM, so that Excel reads Japanese; one column per question).

use crate::api::caller::CurrentUser;
use crate::api::event_view::ApplicationOut;
use crate::api::extract::parse_id;
use crate::api::page::{Listed, PageParams};
use crate::db::applications::ApplicationRow;
use crate::domain::event::{tokyo, ApplicationStatus};
use crate::domain::page::{try_finish, Cursor, Page};
use crate::domain::text;
use crate::error::{ApiError, ApiResult, Problem};
use crate::service::{self, events};
use crate::state::State;
use actix_web::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use actix_web::{get, web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ApplicationFilters {
    #[param(value_type = Option<ApplicationStatus>)]
    pub status: Option<String>,
}

fn ids(path: &(String, String)) -> ApiResult<(String, String)> {
    Ok((parse_id("id", &path.0)?, parse_id("sid", &path.1)?))
}

fn row_cursor(a: &ApplicationRow) -> Cursor {
    Cursor {
        at: a.created_at,
        id: a.id.clone(),
    }
}

/// The applications to a session, in the order they arrived (owner and staff).
#[utoipa::path(
    operation_id = "session_applications_list",
    tag = "sessions",
    security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), ("sid" = String, Path, format = Uuid), ApplicationFilters, PageParams),
    responses(
        (status = 200, body = Page<ApplicationOut>),
        (status = 404, description = "No such session of your activity", body = Problem, content_type = "application/problem+json"),
        (status = 400, description = "`validation_failed`", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/activities/{id}/sessions/{sid}/applications")]
pub async fn list(
    state: State,
    user: CurrentUser,
    path: web::Path<(String, String)>,
    query: Listed<ApplicationFilters>,
) -> ApiResult<HttpResponse> {
    let ids = ids(&path)?;
    let (filters, paging) = query.into_parts()?;
    let mut errors = Vec::new();
    let status = ApplicationStatus::parse_field("status", filters.status.as_deref(), &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let limit = paging.limit;
    let rows = service::run(&state.pool, move |conn| {
        events::applications(conn, user, ids, status, paging.cursor.as_ref(), limit)
    })
    .await?;
    let page = try_finish(rows, limit, row_cursor, ApplicationOut::new)?;
    Ok(HttpResponse::Ok().json(page))
}

const HEADER: [&str; 9] = [
    "申込ID",
    "状態",
    "氏名",
    "メールアドレス",
    "所属",
    "申込日時",
    "確認日時",
    "繰り上げ日時",
    "取消日時",
];

/// Every application to a session as CSV: UTF-8 with a BOM, a header row, one column per
/// question after the fixed ones, times in Asia/Tokyo.
#[utoipa::path(
    operation_id = "session_applications_csv",
    tag = "sessions",
    security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), ("sid" = String, Path, format = Uuid)),
    responses(
        (status = 200, description = "CSV, UTF-8 with a byte order mark", content_type = "text/csv", body = String),
        (status = 404, description = "No such session of your activity", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/activities/{id}/sessions/{sid}/applications.csv")]
pub async fn csv(state: State, user: CurrentUser, path: web::Path<(String, String)>) -> ApiResult<HttpResponse> {
    let ids = ids(&path)?;
    let sid = ids.1.clone();
    let (questions, rows) = service::run(&state.pool, move |conn| events::all_applications(conn, user, ids)).await?;
    let body = write_csv(&questions, &rows)?;
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((
            CONTENT_DISPOSITION,
            format!("attachment; filename=\"applications-{sid}.csv\""),
        ))
        .body(body))
}

fn write_csv(questions: &[String], rows: &[ApplicationRow]) -> ApiResult<Vec<u8>> {
    let failed = |e: ::csv::Error| ApiError::internal(format!("csv: {e}"));
    let mut out = ::csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    let header = HEADER.iter().map(|h| h.to_string()).chain(questions.iter().cloned());
    out.write_record(header).map_err(failed)?;
    let time = |t: Option<chrono::NaiveDateTime>| t.map(|t| tokyo(t).to_rfc3339()).unwrap_or_default();
    for a in rows {
        let mut record = vec![
            a.id.clone(),
            a.status.as_str().to_owned(),
            a.name.clone(),
            a.email.clone(),
            a.organization.clone().unwrap_or_default(),
            time(Some(a.created_at)),
            time(a.confirmed_at),
            time(a.promoted_at),
            time(a.cancelled_at),
        ];
        record.extend(a.answers()?);
        let record: Vec<String> = record.into_iter().map(text::csv_inert).collect();
        out.write_record(&record).map_err(failed)?;
    }
    out.into_inner().map_err(|e| ApiError::internal(format!("csv: {e}")))
}

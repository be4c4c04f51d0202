//! Privacy rights: erasing an account leaves none of its private values anywhere in the
//! database, withdraws its activities from the public listing and keeps the audit log.

use crate::common::{settle, world, TestApp, User, World, PASSWORD};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use serde_json::json;
use telework_registry::db::DbConn;

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct N {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Every (table, text column) of the database.
fn text_columns(conn: &mut DbConn) -> Vec<(String, String)> {
    let mut out = Vec::new();
    match conn {
        DbConn::Sqlite(c) => {
            let tables: Vec<Name> = diesel::sql_query("SELECT name FROM sqlite_master WHERE type = 'table'")
                .load(c)
                .unwrap();
            for t in tables {
                #[derive(QueryableByName)]
                struct Col {
                    #[diesel(sql_type = Text)]
                    name: String,
                    #[diesel(sql_type = Text)]
                    #[diesel(column_name = type_)]
                    type_: String,
                }
                let cols: Vec<Col> = diesel::sql_query(format!(
                    "SELECT name, type AS type_ FROM pragma_table_info('{}')",
                    t.name
                ))
                .load(c)
                .unwrap();
                for col in cols {
                    // FTS5 tables' columns have no type; their text is the activities'.
                    if col.type_.is_empty() || col.type_.to_uppercase().contains("TEXT") {
                        out.push((t.name.clone(), col.name));
                    }
                }
            }
        }
        DbConn::Pg(c) => {
            #[derive(QueryableByName)]
            struct Col {
                #[diesel(sql_type = Text)]
                table_name: String,
                #[diesel(sql_type = Text)]
                column_name: String,
            }
            let cols: Vec<Col> = diesel::sql_query(
                "SELECT table_name::text, column_name::text FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND data_type IN ('text', 'character varying')",
            )
            .load(c)
            .unwrap();
            out.extend(cols.into_iter().map(|c| (c.table_name, c.column_name)));
        }
    }
    out
}

/// Where `value` occurs: (table, column, rows).
pub(crate) fn occurrences(w: &World, value: &str) -> Vec<(String, String, i64)> {
    let mut conn = w.app.pool.get().unwrap();
    let mut found = Vec::new();
    for (table, column) in text_columns(&mut conn) {
        let sql =
            format!("SELECT COUNT(*) AS n FROM \"{table}\" WHERE CAST(\"{column}\" AS TEXT) LIKE '%' || $1 || '%'");
        let sql = if matches!(&*conn, DbConn::Sqlite(_)) {
            sql.replace("$1", "?")
        } else {
            sql
        };
        let n: N = diesel::sql_query(sql)
            .bind::<Text, _>(value)
            .get_result(&mut *conn)
            .unwrap();
        if n.n > 0 {
            found.push((table, column, n.n));
        }
    }
    found
}

/// A registrant with every private field set to a value found nowhere else, and an
/// approved, a pending and a draft activity.
async fn full_registrant(w: &World) -> (User, Vec<&'static str>, Vec<String>) {
    let u = w.app.registrant("organization").await;
    let values = vec![
        "消去 対象者",
        "090-7777-4321",
        "ケシサレル",
        "消される商事株式会社",
        "https://erase-me.example.jp",
        "1180301018771",
    ];
    let r = w
        .app
        .patch(
            "/api/v1/me",
            Some(&u.token),
            json!({"contact_name": values[0], "phone": values[1], "name_kana": values[2], "legal_name": values[3],
                   "website": values[4], "corporate_number": values[5]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let approved = w
        .app
        .approved(&u, &w.moderator, &w.campaign, "消える前の公開活動")
        .await;
    let pending = w.app.draft(&u, &w.campaign, "消える前の審査待ち").await;
    let pid = pending["id"].as_str().unwrap();
    w.app
        .act(&u, &format!("/api/v1/activities/{pid}/submit"), json!({"version": 1}))
        .await;
    let draft = w.app.draft(&u, &w.campaign, "消える前の下書き").await;
    let ids = [approved, pending, draft]
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .collect();
    (u, values, ids)
}

/// `DELETE /me` of `u` with `password`.
pub(crate) async fn delete_me(app: &TestApp, u: &User, password: &str) -> crate::common::Resp {
    app.call(
        actix_web::http::Method::DELETE,
        "/api/v1/me",
        Some(&u.token),
        Some(json!({ "password": password })),
    )
    .await
}

pub(crate) fn audit_count(w: &World) -> i64 {
    let mut conn = w.app.pool.get().unwrap();
    diesel::sql_query("SELECT COUNT(*) AS n FROM audit_events")
        .get_result::<N>(&mut *conn)
        .unwrap()
        .n
}

pub(crate) async fn assert_erased(w: &World, u: &User, values: &[&str], ids: &[String], audit_before: i64) {
    for v in values.iter().copied().chain([u.email.as_str()]) {
        assert_eq!(occurrences(w, v), Vec::new(), "{v} is still in the database");
    }
    settle().await;
    let public = w
        .app
        .get(&format!("/api/v1/public/activities?campaign={}", w.campaign), None)
        .await;
    for item in public.body["items"].as_array().unwrap() {
        assert!(!ids.iter().any(|id| item["id"] == id.as_str()), "still public: {item}");
    }
    // Every event stays; the withdrawals and the erasure are added.
    let after = audit_count(w);
    assert!(after >= audit_before + 4, "{audit_before} -> {after}");
    let log = w
        .app
        .get("/api/v1/admin/audit?action=account_erase", Some(&w.admin.token))
        .await;
    assert_eq!(log.status, 200, "{}", log.body);
    let mine = log.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["subject_account_id"] == u.id.as_str())
        .count();
    assert!(mine >= 1, "{}", log.body);
    // Nobody signs in as it any more.
    assert_eq!(w.app.get("/api/v1/me", Some(&u.token)).await.status, 401);
    assert_eq!(w.app.login(&u.email, PASSWORD).await.status, 401);
}

#[actix_web::test]
async fn after_delete_me_no_private_value_is_left_anywhere() {
    let w = world().await;
    let (u, values, ids) = full_registrant(&w).await;
    // The values are there before, in the account and the corporate number history.
    assert!(!occurrences(&w, values[1]).is_empty());
    assert!(!occurrences(&w, &u.email).is_empty());
    let wrong = delete_me(&w.app, &u, "not the password").await;
    assert_eq!(
        (wrong.status, wrong.body["code"].as_str()),
        (403, Some("wrong_password"))
    );
    assert!(
        !occurrences(&w, values[1]).is_empty(),
        "a wrong password erases nothing"
    );
    let before = audit_count(&w);
    let r = delete_me(&w.app, &u, PASSWORD).await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_erased(&w, &u, &values, &ids, before).await;
}

#[actix_web::test]
async fn an_admin_erases_an_account_for_a_request_received_by_other_means() {
    let w = world().await;
    let (u, values, ids) = full_registrant(&w).await;
    let path = format!("/api/v1/admin/accounts/{}/erase", u.id);
    let m = w.app.post(&path, Some(&w.moderator.token), json!({})).await;
    assert_eq!(m.status, 403);
    let staff = w
        .app
        .post(
            &format!("/api/v1/admin/accounts/{}/erase", w.moderator.id),
            Some(&w.admin.token),
            json!({}),
        )
        .await;
    assert_eq!(
        (staff.status, staff.body["code"].as_str()),
        (409, Some("not_a_registrant"))
    );
    let before = audit_count(&w);
    let r = w.app.post(&path, Some(&w.admin.token), json!({})).await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_erased(&w, &u, &values, &ids, before).await;
    // Erasing again changes nothing and still answers.
    assert_eq!(w.app.post(&path, Some(&w.admin.token), json!({})).await.status, 204);
}

#[actix_web::test]
async fn me_export_has_the_account_its_activities_and_no_applicant() {
    let (w, id) = crate::event_util::with_activity().await;
    let s = crate::event_util::session(&w.app, &w.org, &id, json!({"capacity": 5})).await;
    let sid = s["id"].as_str().unwrap();
    let applied = crate::event_util::apply(&w.app, sid, "applicant-of-theirs@example.jp").await;
    assert_eq!(applied.status, 202, "{}", applied.body);
    let draft = w.app.draft(&w.org, &w.campaign, "二つ目").await;
    let r = w.app.get("/api/v1/me/export", Some(&w.org.token)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let d = &r.body;
    assert_eq!(d["account"]["email"], w.org.email.as_str());
    assert_eq!(d["account"]["phone"], "03-1234-5678");
    let acts = d["activities"].as_array().unwrap();
    let ids: Vec<&str> = acts.iter().map(|a| a["activity"]["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&id.as_str()) && ids.contains(&draft["id"].as_str().unwrap()));
    let approved = acts.iter().find(|a| a["activity"]["id"] == id.as_str()).unwrap();
    let actions: Vec<&str> = approved["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["create", "submit", "approve", "session_create"]);
    // The moderator who approved is not named to the owner.
    assert!(approved["history"][2]["actor_id"].is_null());
    assert_eq!(approved["sessions"].as_array().unwrap().len(), 1);
    assert_eq!(approved["sessions"][0]["id"], sid);
    let text = String::from_utf8_lossy(&r.raw);
    assert!(
        !text.contains("applicant-of-theirs@example.jp"),
        "an applicant's data is theirs"
    );
    assert!(!text.contains("password"), "{text}");
    // Another registrant's export has none of it.
    let other = w.app.get("/api/v1/me/export", Some(&w.ind.token)).await;
    assert_eq!(other.body["activities"].as_array().unwrap().len(), 0);
}

/// The token of the newest link mailed to `to` (read from the outbox row's body).
fn mailed_token(w: &World, to: &str) -> String {
    let mut conn = w.app.pool.get().unwrap();
    #[derive(QueryableByName)]
    struct Body {
        #[diesel(sql_type = Text)]
        body: String,
    }
    let sql = "SELECT body FROM outbox WHERE recipient = $1 AND body LIKE '%#token=%' ORDER BY created_at DESC LIMIT 1";
    let sql = if matches!(&*conn, DbConn::Sqlite(_)) {
        sql.replace("$1", "?")
    } else {
        sql.to_owned()
    };
    let row: Body = diesel::sql_query(sql)
        .bind::<Text, _>(to)
        .get_result(&mut *conn)
        .unwrap();
    let start = row.body.find("#token=").unwrap() + "#token=".len();
    row.body[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

/// Moves `u` to a new address (changed and confirmed), which does not contain its old one.
async fn move_address(w: &World, u: &User) -> String {
    let new = u.email.replacen('@', ".moved@", 1);
    let r = w.app.patch("/api/v1/me", Some(&u.token), json!({"email": new})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let token = mailed_token(w, &new);
    let r = w
        .app
        .post("/api/v1/auth/verify-email", None, json!({"token": token}))
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(w.app.login(&new, PASSWORD).await.status, 200);
    new
}

/// Mail already queued to an address the account had before (its decision notices, the
/// notice of the change itself) goes with the account's data, not only mail to the address
/// it has when it is erased.
#[actix_web::test]
async fn erasure_reaches_the_mail_to_the_accounts_earlier_addresses() {
    let w = world().await;
    let (u, values, ids) = full_registrant(&w).await;
    let old = u.email.clone();
    let new = move_address(&w, &u).await;
    // The outbox holds mail to both addresses before.
    assert!(!occurrences(&w, &old).is_empty());
    assert!(!occurrences(&w, &new).is_empty());
    let before = audit_count(&w);
    let path = format!("/api/v1/admin/accounts/{}/erase", u.id);
    let r = w.app.post(&path, Some(&w.admin.token), json!({})).await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(
        occurrences(&w, &new),
        Vec::new(),
        "the current address is still in the database"
    );
    assert_erased(&w, &u, &values, &ids, before).await;
}

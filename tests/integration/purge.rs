//! `purge` after a campaign: the applicants to its sessions and the registrants who did not
//! come back lose their private data; those with an activity in a later campaign keep theirs.

use crate::common::{settle, PASSWORD};
use crate::event_util::{apply, session, with_activity};
use diesel::prelude::*;
use serde_json::json;
use telework_registry::db::schema::{accounts, applications, audit_events};
use telework_registry::service::erasure::{purge, Purged};

#[actix_web::test]
async fn purge_erases_what_is_left_from_a_past_campaign_and_only_that() {
    let (w, id) = with_activity().await;
    let s = session(&w.app, &w.org, &id, json!({"capacity": 5})).await;
    let sid = s["id"].as_str().unwrap();
    assert_eq!(apply(&w.app, sid, "past-applicant@example.jp").await.status, 202);
    // `ind` registered only in this campaign; `org` comes back next year.
    let d = w.app.draft(&w.ind, &w.campaign, "去年だけの活動").await;
    assert_eq!(d["status"], "draft");
    let next = w.app.open_campaign(&w.admin).await;
    let c = w.app.get("/api/v1/campaigns", None).await;
    let version = c.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["slug"] == w.campaign.as_str())
        .unwrap()["version"]
        .clone();
    let r = w
        .app
        .patch(
            &format!("/api/v1/admin/campaigns/{}", w.campaign),
            Some(&w.admin.token),
            json!({"version": version, "starts_on": "2025-11-01", "ends_on": "2025-11-30",
                   "registration_opens_at": "2025-09-01T00:00:00Z", "registration_closes_at": "2025-11-30T00:00:00Z"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    w.app.draft(&w.org, &next, "今年も参加").await;
    settle().await;

    let pool = w.app.pool.clone();
    let slug = w.campaign.clone();
    let mailer = telework_registry::mail::Mailer::new(&w.app.config);
    let run = move |days: i64, apply: bool| {
        let mut conn = pool.get().unwrap();
        purge(&mut conn, &mailer, &slug, days, apply)
    };
    // Too recent for a long retention: refused, nothing changed.
    let recent = run(100_000, true).unwrap_err();
    assert_eq!(recent.code(), "campaign_too_recent");
    // A dry run counts and changes nothing.
    assert_eq!(
        run(30, false).unwrap(),
        Purged {
            applicants: 1,
            accounts: 1,
            applied: false
        }
    );
    let mut conn = w.app.pool.get().unwrap();
    let emails: Vec<String> = applications::table
        .select(applications::email)
        .load(&mut *conn)
        .unwrap();
    assert_eq!(emails, ["past-applicant@example.jp"]);
    let audits = |conn: &mut telework_registry::db::Conn| -> i64 {
        audit_events::table
            .filter(audit_events::action.eq("purge"))
            .count()
            .get_result(&mut **conn)
            .unwrap()
    };
    assert_eq!(audits(&mut conn), 0);
    drop(conn);

    assert_eq!(
        run(30, true).unwrap(),
        Purged {
            applicants: 1,
            accounts: 1,
            applied: true
        }
    );
    let mut conn = w.app.pool.get().unwrap();
    let emails: Vec<String> = applications::table
        .select(applications::email)
        .load(&mut *conn)
        .unwrap();
    assert!(emails[0].ends_with("@erased.invalid"), "{emails:?}");
    use telework_registry::db::schema::outbox;
    let mail: i64 = outbox::table
        .filter(outbox::recipient.eq("past-applicant@example.jp"))
        .count()
        .get_result(&mut *conn)
        .unwrap();
    assert_eq!(mail, 0, "the mail to the applicant keeps no address");
    let ind: (String, Option<String>) = accounts::table
        .find(&w.ind.id)
        .select((accounts::email, accounts::phone))
        .first(&mut *conn)
        .unwrap();
    assert_eq!(ind, (format!("erased-{}@erased.invalid", w.ind.id), None));
    // Its activities stay as they are, organizer name and all.
    let organizer: String = telework_registry::db::schema::activities::table
        .find(d["id"].as_str().unwrap())
        .select(telework_registry::db::schema::activities::organizer_name)
        .first(&mut *conn)
        .unwrap();
    assert_eq!(organizer, d["organizer_name"].as_str().unwrap());
    let org: String = accounts::table
        .find(&w.org.id)
        .select(accounts::email)
        .first(&mut *conn)
        .unwrap();
    assert_eq!(org, w.org.email, "a registrant who came back keeps their data");
    assert_eq!(audits(&mut conn), 1);
    drop(conn);
    assert_eq!(w.app.login(&w.org.email, PASSWORD).await.status, 200);
    // Once more: nothing left to erase.
    assert_eq!(
        run(30, true).unwrap(),
        Purged {
            applicants: 0,
            accounts: 0,
            applied: true
        }
    );
}

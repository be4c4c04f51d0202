//! Links the API writes start from `PUBLIC_BASE_URL`, never from what a request says about
//! the host: one forged request must not poison a cached body for everyone.

use crate::common::TestApp;
use actix_web::test::TestRequest;

const BASE: &str = "https://telework.example.jp/registry";

#[actix_web::test]
async fn feed_links_come_from_the_configured_base_not_the_request() {
    let app = TestApp::with(|c| c.public_base_url = BASE.into()).await;
    let admin = app.admin().await;
    let campaign = app.open_campaign(&admin).await;
    let org = app.registrant("organization").await;
    let moderator = app.staff(&admin, "moderator").await;
    app.approved(&org, &moderator, &campaign, "フィードのリンク").await;

    let feed = "/api/v1/public/feed.atom";
    let forged = TestRequest::get()
        .uri(feed)
        .insert_header(("host", "evil.example"))
        .insert_header(("x-forwarded-host", "evil.example"))
        .insert_header(("x-forwarded-proto", "gopher"))
        .insert_header(("forwarded", "host=evil.example;proto=https"));
    let with_query = format!("{feed}?campaign={campaign}");
    let forged_query = TestRequest::get()
        .uri(&with_query)
        .insert_header(("x-forwarded-host", "evil.example"));
    // An absolute-form request target names a host too.
    let absolute = TestRequest::get().uri("http://evil.example/api/v1/public/feed.atom");
    let bodies = [
        (feed.to_owned(), app.send(forged).await),
        (feed.to_owned(), app.send(absolute).await),
        (feed.to_owned(), app.get(feed, None).await),
        (with_query.clone(), app.send(forged_query).await),
        (with_query.clone(), app.get(&with_query, None).await),
    ];
    let mut wrong = Vec::new();
    for (i, (path, r)) in bodies.into_iter().enumerate() {
        assert_eq!(r.status, 200);
        let text = String::from_utf8(r.raw.to_vec()).unwrap();
        let parsed = feed_rs::parser::parse(r.raw.as_ref()).expect("a valid feed");
        let self_url = format!("{BASE}{path}");
        let rel_self = parsed.links.iter().find(|l| l.rel.as_deref() == Some("self"));
        if text.contains("evil.example")
            || text.contains("gopher")
            || parsed.id != self_url
            || rel_self.map(|l| l.href.as_str()) != Some(self_url.as_str())
        {
            wrong.push(format!(
                "response {i} ({path}): id {} self {:?}",
                parsed.id,
                rel_self.map(|l| &l.href)
            ));
        }
    }
    assert!(wrong.is_empty(), "feeds not linked from {BASE}:\n{}", wrong.join("\n"));
}

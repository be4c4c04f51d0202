use super::*;

fn at(s: &str) -> NaiveDateTime {
    instant("t", s).unwrap()
}

fn input() -> SessionInput {
    SessionInput {
        starts_at: Some("2026-11-10T14:00:00+09:00".into()),
        ends_at: Some("2026-11-10T15:30:00+09:00".into()),
        format: Some("online".into()),
        ..Default::default()
    }
}

#[test]
fn a_session_needs_times_and_a_format_and_gets_defaults() {
    let s = build_session(None, input()).unwrap();
    assert_eq!(s.starts_at, at("2026-11-10T05:00:00Z"));
    assert_eq!(s.fee, DEFAULT_FEE);
    assert!(!s.waitlist && s.capacity.is_none() && s.questions.is_empty());
    let errors = build_session(None, SessionInput::default()).unwrap_err();
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["starts_at", "ends_at", "format"]);
}

#[test]
fn times_need_an_offset_and_must_fit_together() {
    let mut i = input();
    i.starts_at = Some("2026-11-10T14:00:00".into());
    assert_eq!(build_session(None, i).unwrap_err()[0].code, "invalid_datetime");
    let mut i = input();
    i.starts_at = Some("+10000-01-01T00:00:00+09:00".into());
    assert_eq!(build_session(None, i).unwrap_err()[0].code, "invalid_datetime");
    let mut i = input();
    i.ends_at = Some("2026-11-10T13:00:00+09:00".into());
    assert_eq!(build_session(None, i).unwrap_err()[0].code, "before_start");
    let mut i = input();
    i.applications_open_at = Some(Some("2026-11-10T14:00:00+09:00".into()));
    assert_eq!(build_session(None, i).unwrap_err()[0].code, "after_close");
    let mut i = input();
    i.applications_close_at = Some(Some("2026-11-11T00:00:00+09:00".into()));
    assert_eq!(build_session(None, i).unwrap_err()[0].code, "after_end");
}

#[test]
fn onsite_sessions_need_a_venue_and_capacity_has_bounds() {
    let mut i = input();
    i.format = Some("onsite".into());
    assert_eq!(build_session(None, i.clone()).unwrap_err()[0].field, "venue");
    i.venue = Some(Some("東京都千代田区霞が関1-2-2".into()));
    i.capacity = Some(Some(0));
    assert_eq!(build_session(None, i.clone()).unwrap_err()[0].code, "out_of_range");
    i.capacity = Some(Some(200));
    assert_eq!(build_session(None, i).unwrap().capacity, Some(200));
    let mut online = input();
    online.venue = Some(Some("ignored".into()));
    assert_eq!(build_session(None, online).unwrap().venue, None);
}

#[test]
fn a_patch_keeps_what_it_does_not_name_and_clears_what_it_nulls() {
    let mut i = input();
    i.capacity = Some(Some(10));
    i.questions = Some(vec!["ご所属".into()]);
    let base = build_session(None, i).unwrap();
    let patched = build_session(
        Some(&base),
        SessionInput {
            capacity: Some(None),
            fee: Some("1,000円".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(patched.capacity, None);
    assert_eq!(patched.fee, "1,000円");
    assert_eq!(patched.questions, ["ご所属"]);
    assert_eq!(patched.starts_at, base.starts_at);
    let six = SessionInput {
        questions: Some(vec!["q".into(); 6]),
        ..Default::default()
    };
    assert_eq!(build_session(Some(&base), six).unwrap_err()[0].code, "too_many");
}

#[test]
fn the_window_decides_the_open_status() {
    let w = Window {
        starts_at: at("2026-11-10T05:00:00Z"),
        open_at: Some(at("2026-11-01T00:00:00Z")),
        close_at: None,
        capacity: Some(2),
        confirmed: 1,
        waitlist: false,
        cancelled: false,
    };
    assert_eq!(w.status(at("2026-10-31T00:00:00Z")), OpenStatus::Preopen);
    assert_eq!(w.status(at("2026-11-02T00:00:00Z")), OpenStatus::Open);
    assert_eq!(
        Window { confirmed: 2, ..w }.status(at("2026-11-02T00:00:00Z")),
        OpenStatus::Full
    );
    let waiting = Window {
        confirmed: 2,
        waitlist: true,
        ..w
    };
    assert_eq!(waiting.status(at("2026-11-02T00:00:00Z")), OpenStatus::Waitlist);
    assert_eq!(w.status(at("2026-11-10T05:00:00Z")), OpenStatus::Closed);
    assert_eq!(
        Window { cancelled: true, ..w }.status(at("2026-11-02T00:00:00Z")),
        OpenStatus::Cancelled
    );
    assert_eq!(
        Window {
            capacity: None,
            confirmed: 500,
            ..w
        }
        .status(at("2026-11-02T00:00:00Z")),
        OpenStatus::Open
    );
}

#[test]
fn addresses_compare_across_case_and_width() {
    assert_eq!(applicant_email("Taro@Example.JP").unwrap(), "taro@example.jp");
    assert_eq!(
        applicant_email("ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ").unwrap(),
        "taro@example.jp"
    );
    assert!(applicant_email("taro").is_err());
}

#[test]
fn an_application_answers_each_question() {
    let qs = vec!["ご所属".to_owned(), "ご質問".to_owned()];
    let ok = build_applicant(
        "山田 太郎",
        "taro@example.jp",
        Some(""),
        &["総務部".into(), "".into()],
        &qs,
    )
    .unwrap();
    assert_eq!(ok.organization, None);
    assert_eq!(ok.answers, ["総務部", ""]);
    let bad = build_applicant("", "x", None, &["one".into()], &qs).unwrap_err();
    let codes: Vec<&str> = bad.iter().map(|e| e.code.as_str()).collect();
    assert_eq!(codes, ["required", "invalid_email", "answer_count"]);
}

#[test]
fn times_are_shown_in_tokyo() {
    assert_eq!(
        tokyo(at("2026-11-10T05:00:00Z")).to_rfc3339(),
        "2026-11-10T14:00:00+09:00"
    );
    let d = NaiveDate::from_ymd_opt(2026, 11, 10).unwrap();
    assert_eq!(tokyo_midnight(d), at("2026-11-09T15:00:00Z"));
}

//! An activity's text and its validation: what a registrant may write, checked once here for
//! creation, edits and revisions alike.

use crate::domain::reference;
use crate::domain::text::{self, Lines};
use crate::domain::FieldError;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

pub const TITLE_MAX: usize = 80;
pub const DESCRIPTION_MAX: usize = 2000;
pub const ORGANIZER_MAX: usize = 100;
pub const URL_MAX: usize = 2000;

/// Category codes and their bits in `category_mask`.
pub const CATEGORY_BITS: [(&str, i32); 3] = [("try_practice", 1), ("learn_discuss", 2), ("support_cooperate", 4)];

pub fn category_bit(code: &str) -> Option<i32> {
    CATEGORY_BITS.iter().find(|(c, _)| *c == code).map(|(_, b)| *b)
}

/// The codes in a mask, in catalogue order.
pub fn category_codes(mask: i32) -> Vec<String> {
    CATEGORY_BITS
        .iter()
        .filter(|(_, bit)| mask & bit != 0)
        .map(|(c, _)| (*c).to_owned())
        .collect()
}

/// The editable text of an activity (also the shape of a stored pending revision).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityText {
    pub category_mask: i32,
    pub title: String,
    pub description: String,
    pub organizer_name: String,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub format: Option<String>,
    pub prefecture: Option<String>,
    pub url: Option<String>,
}

impl ActivityText {
    /// Title, description and organizer in search form, for substring matching.
    pub fn search_text(&self) -> String {
        text::search_form(&format!(
            "{}\n{}\n{}",
            self.title, self.description, self.organizer_name
        ))
    }

    /// The fields that differ from `older`, as `{field, old, new}`.
    pub fn changes_from(&self, older: &ActivityText) -> Vec<(String, Value, Value)> {
        let mut out = Vec::new();
        let mut cmp = |field: &str, old: Value, new: Value| {
            if old != new {
                out.push((field.to_owned(), old, new));
            }
        };
        cmp(
            "categories",
            json!(category_codes(older.category_mask)),
            json!(category_codes(self.category_mask)),
        );
        cmp("title", json!(older.title), json!(self.title));
        cmp("description", json!(older.description), json!(self.description));
        cmp(
            "organizer_name",
            json!(older.organizer_name),
            json!(self.organizer_name),
        );
        cmp("starts_on", json!(older.starts_on), json!(self.starts_on));
        cmp("ends_on", json!(older.ends_on), json!(self.ends_on));
        cmp("format", json!(older.format), json!(self.format));
        cmp("prefecture", json!(older.prefecture), json!(self.prefecture));
        cmp("url", json!(older.url), json!(self.url));
        out
    }
}

/// Raw input for an activity's text: every field as the client sent it. `None` means "not
/// given"; `Some(None)` means "clear" for optional fields.
#[derive(Debug, Clone, Default)]
pub struct TextInput {
    pub categories: Option<Vec<String>>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub organizer_name: Option<Option<String>>,
    pub starts_on: Option<Option<String>>,
    pub ends_on: Option<Option<String>>,
    pub format: Option<Option<String>>,
    pub prefecture: Option<Option<String>>,
    pub url: Option<Option<String>>,
}

/// Applies `input` over `base` (or over nothing, for a new activity, where the required
/// fields must be present) and validates the result. Every invalid field is reported.
pub fn build(
    base: Option<&ActivityText>,
    input: TextInput,
    default_organizer: &str,
) -> Result<ActivityText, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut required = |field: &str, v: Option<String>, base: Option<&String>, max: usize, lines: Lines| -> String {
        match v {
            Some(v) => text::clean(field, &v, max, lines).unwrap_or_else(|e| {
                errors.push(e);
                String::new()
            }),
            None => base.cloned().unwrap_or_else(|| {
                errors.push(FieldError::new(field, "required", "is required"));
                String::new()
            }),
        }
    };
    let title = required("title", input.title, base.map(|b| &b.title), TITLE_MAX, Lines::Single);
    let description = required(
        "description",
        input.description,
        base.map(|b| &b.description),
        DESCRIPTION_MAX,
        Lines::Multi,
    );

    let category_mask = match input.categories {
        Some(codes) => {
            let mut mask = 0;
            for (i, code) in codes.iter().enumerate() {
                match category_bit(code) {
                    Some(bit) => mask |= bit,
                    None => errors.push(FieldError::new(
                        format!("categories[{i}]"),
                        "invalid_choice",
                        format!("`{code}` is not one of try_practice, learn_discuss, support_cooperate"),
                    )),
                }
            }
            if codes.is_empty() {
                errors.push(FieldError::new(
                    "categories",
                    "required",
                    "must name at least one category",
                ));
            }
            mask
        }
        None => match base {
            Some(b) => b.category_mask,
            None => {
                errors.push(FieldError::new("categories", "required", "is required"));
                0
            }
        },
    };

    let organizer_name = match input.organizer_name {
        Some(Some(v)) => text::clean("organizer_name", &v, ORGANIZER_MAX, Lines::Single).unwrap_or_else(|e| {
            errors.push(e);
            String::new()
        }),
        Some(None) => default_organizer.to_owned(),
        None => base.map_or_else(|| default_organizer.to_owned(), |b| b.organizer_name.clone()),
    };

    let mut optional = |field: &str,
                        v: Option<Option<String>>,
                        base: Option<Option<String>>,
                        check: &dyn Fn(&str) -> Result<String, FieldError>|
     -> Option<String> {
        match v {
            Some(Some(raw)) => match check(&raw) {
                Ok(s) => Some(s),
                Err(e) => {
                    errors.push(FieldError::new(field, &e.code, e.message));
                    None
                }
            },
            Some(None) => None,
            None => base.flatten(),
        }
    };
    let date = |raw: &str| {
        NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
            .ok()
            .filter(super::clock::in_years)
            .map(|d| d.to_string())
            .ok_or_else(|| {
                FieldError::new(
                    "",
                    "invalid_format",
                    format!("`{raw}` is not a date in YYYY-MM-DD form in the years 2000–2999"),
                )
            })
    };
    let starts_on = optional(
        "starts_on",
        input.starts_on,
        base.map(|b| b.starts_on.map(|d| d.to_string())),
        &date,
    );
    let ends_on = optional(
        "ends_on",
        input.ends_on,
        base.map(|b| b.ends_on.map(|d| d.to_string())),
        &date,
    );
    let format = optional("format", input.format, base.map(|b| b.format.clone()), &|raw| {
        choice(raw, reference::is_format, "online, onsite or hybrid")
    });
    let prefecture = optional(
        "prefecture",
        input.prefecture,
        base.map(|b| b.prefecture.clone()),
        &|raw| choice(raw, reference::is_prefecture, "a JIS X 0401 code from \"01\" to \"47\""),
    );
    let url = optional("url", input.url, base.map(|b| b.url.clone()), &|raw| http_url(raw));

    let starts_on = starts_on.and_then(|s| s.parse::<NaiveDate>().ok());
    let ends_on = ends_on.and_then(|s| s.parse::<NaiveDate>().ok());
    if let (Some(s), Some(e)) = (starts_on, ends_on) {
        if e < s {
            errors.push(FieldError::new(
                "ends_on",
                "before_start",
                "must be on or after starts_on",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(ActivityText {
        category_mask,
        title,
        description,
        organizer_name,
        starts_on,
        ends_on,
        format,
        prefecture,
        url,
    })
}

fn choice(raw: &str, valid: fn(&str) -> bool, expected: &str) -> Result<String, FieldError> {
    if valid(raw) {
        Ok(raw.to_owned())
    } else {
        Err(FieldError::new(
            "",
            "invalid_choice",
            format!("`{raw}` is not {expected}"),
        ))
    }
}

/// An absolute http or https URL with a host, no spaces or control characters.
pub fn http_url(raw: &str) -> Result<String, FieldError> {
    let url = raw.trim();
    let bad = |msg: &str| Err(FieldError::new("", "invalid_url", msg.to_owned()));
    if url.chars().count() > URL_MAX {
        return bad("is too long");
    }
    let rest = match url.split_once("://") {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https") => rest,
        _ => return bad("must be an http:// or https:// URL"),
    };
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return bad("must not contain spaces or control characters");
    }
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = host.rsplit('@').next().unwrap_or("");
    if host.is_empty() || host.starts_with(':') {
        return bad("must name a host");
    }
    Ok(url.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full() -> TextInput {
        TextInput {
            categories: Some(vec!["try_practice".into(), "support_cooperate".into()]),
            title: Some("  全社テレワークデー  ".into()),
            description: Some("毎週金曜日は全社員がテレワーク。\n成果を共有します。".into()),
            ..Default::default()
        }
    }

    #[test]
    fn builds_a_new_text_with_defaults() {
        let t = build(None, full(), "株式会社サンプル").unwrap();
        assert_eq!(t.title, "全社テレワークデー");
        assert_eq!(t.organizer_name, "株式会社サンプル");
        assert_eq!(t.category_mask, 5);
        assert_eq!(
            category_codes(t.category_mask),
            vec!["try_practice", "support_cooperate"]
        );
    }

    #[test]
    fn reports_every_bad_field() {
        let input = TextInput {
            categories: Some(vec!["nope".into()]),
            title: Some("x".repeat(81)),
            description: None,
            starts_on: Some(Some("2026-11-30".into())),
            ends_on: Some(Some("2026-11-01".into())),
            format: Some(Some("tv".into())),
            prefecture: Some(Some("48".into())),
            url: Some(Some("javascript:alert(1)".into())),
            ..Default::default()
        };
        let errs = build(None, input, "x").unwrap_err();
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            vec![
                "title",
                "description",
                "categories[0]",
                "format",
                "prefecture",
                "url",
                "ends_on"
            ]
        );
    }

    #[test]
    fn patches_keep_what_is_not_given_and_clear_nulls() {
        let mut input = full();
        input.url = Some(Some("https://example.jp/tw".into()));
        let base = build(None, input, "org").unwrap();
        let patch = TextInput {
            title: Some("新しい題".into()),
            url: Some(None),
            ..Default::default()
        };
        let next = build(Some(&base), patch, "org").unwrap();
        assert_eq!(next.title, "新しい題");
        assert_eq!(next.description, base.description);
        assert_eq!(next.url, None);
        let changed: Vec<String> = next.changes_from(&base).into_iter().map(|c| c.0).collect();
        assert_eq!(changed, vec!["title", "url"]);
    }

    #[test]
    fn urls_must_be_http() {
        assert!(http_url("https://example.jp/a?b=c").is_ok());
        assert!(http_url("HTTP://example.jp").is_ok());
        assert!(http_url("ftp://example.jp").is_err());
        assert!(http_url("https://").is_err());
        assert!(http_url("https://exa mple.jp").is_err());
    }
}

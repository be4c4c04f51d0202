//! Account rules: email, password, display name and the registrant profile.

use crate::domain::activity::http_url;
use crate::domain::codes::Kind;
use crate::domain::text::{self, Lines};
use crate::domain::FieldError;
use crate::domain::{corporate_number, reference};

pub const PASSWORD_MIN: usize = 10;
pub const PASSWORD_MAX: usize = 128;
pub const DISPLAY_NAME_MAX: usize = 100;

/// A trimmed, lower-cased email address of a plausible shape.
pub fn email(raw: &str) -> Result<String, FieldError> {
    let e = raw.trim().to_lowercase();
    let bad = |m: &str| Err(FieldError::new("email", "invalid_email", m.to_owned()));
    if e.is_empty() {
        return Err(FieldError::new("email", "required", "must not be empty"));
    }
    if e.chars().count() > 254 || e.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return bad("is not an email address");
    }
    let Some((local, domain)) = e.rsplit_once('@') else {
        return bad("must contain @");
    };
    if local.is_empty() || local.len() > 64 || local.contains('@') {
        return bad("has an invalid part before @");
    }
    if !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
        || domain.contains("..")
        || domain
            .split('.')
            .any(|l| l.is_empty() || l.starts_with('-') || l.ends_with('-'))
    {
        return bad("has an invalid domain");
    }
    // Reserved never to exist (RFC 2606); erased accounts are left with such addresses.
    if domain.ends_with(".invalid") {
        return bad("has a domain that cannot receive mail");
    }
    Ok(e)
}

/// 10–128 characters; any characters (no trimming: spaces count).
pub fn password(field: &str, raw: &str) -> Result<(), FieldError> {
    let n = raw.chars().count();
    if n < PASSWORD_MIN {
        return Err(FieldError::new(
            field,
            "too_short",
            format!("must be at least {PASSWORD_MIN} characters"),
        ));
    }
    if n > PASSWORD_MAX {
        return Err(FieldError::new(
            field,
            "too_long",
            format!("must be at most {PASSWORD_MAX} characters"),
        ));
    }
    if raw.chars().any(char::is_control) {
        return Err(FieldError::new(
            field,
            "invalid_characters",
            "must not contain control characters",
        ));
    }
    Ok(())
}

pub fn display_name(raw: &str) -> Result<String, FieldError> {
    text::clean("display_name", raw, DISPLAY_NAME_MAX, Lines::Single)
}

/// The registrant profile (organization fields are `None` for individuals).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    pub legal_name: Option<String>,
    pub name_kana: Option<String>,
    pub industry: Option<String>,
    pub prefecture: Option<String>,
    pub employee_band: Option<String>,
    pub website: Option<String>,
    pub corporate_number: Option<String>,
    pub contact_name: Option<String>,
    pub phone: Option<String>,
}

/// Profile input: `None` not given, `Some(None)` clear, `Some(Some(v))` set.
#[derive(Debug, Clone, Default)]
pub struct ProfileInput {
    pub legal_name: Option<Option<String>>,
    pub name_kana: Option<Option<String>>,
    pub industry: Option<Option<String>>,
    pub prefecture: Option<Option<String>>,
    pub employee_band: Option<Option<String>>,
    pub website: Option<Option<String>>,
    pub corporate_number: Option<Option<String>>,
    pub contact_name: Option<Option<String>>,
    pub phone: Option<Option<String>>,
}

/// Applies `input` over `base` and validates every field; organization-only fields are
/// refused for individuals.
pub fn build_profile(base: &Profile, input: ProfileInput, kind: Kind) -> Result<Profile, Vec<FieldError>> {
    let mut errors = Vec::new();
    let is_org = kind == Kind::Organization;
    let mut field = |name: &str,
                     v: Option<Option<String>>,
                     base: &Option<String>,
                     org_only: bool,
                     check: &dyn Fn(&str) -> Result<String, FieldError>|
     -> Option<String> {
        match v {
            None => base.clone(),
            Some(None) => None,
            Some(Some(_)) if org_only && !is_org => {
                errors.push(FieldError::new(
                    name,
                    "not_applicable",
                    "applies to organization accounts only",
                ));
                None
            }
            Some(Some(raw)) => match check(&raw) {
                Ok(s) => Some(s),
                Err(e) => {
                    errors.push(FieldError::new(name, &e.code, e.message));
                    None
                }
            },
        }
    };
    let line = |max: usize| move |raw: &str| text::clean("", raw, max, Lines::Single);
    let profile = Profile {
        legal_name: field("legal_name", input.legal_name, &base.legal_name, true, &line(200)),
        name_kana: field("name_kana", input.name_kana, &base.name_kana, true, &|raw| {
            let s = text::clean("", raw, 200, Lines::Single)?;
            if s.chars().all(is_kana_char) {
                Ok(s)
            } else {
                Err(FieldError::new("", "invalid_characters", "must be written in kana"))
            }
        }),
        industry: field("industry", input.industry, &base.industry, true, &|raw| {
            pick(raw, reference::is_industry, "a JSIC major division letter from A to T")
        }),
        prefecture: field("prefecture", input.prefecture, &base.prefecture, false, &|raw| {
            pick(raw, reference::is_prefecture, "a JIS X 0401 code from \"01\" to \"47\"")
        }),
        employee_band: field(
            "employee_band",
            input.employee_band,
            &base.employee_band,
            true,
            &|raw| {
                pick(
                    raw,
                    reference::is_employee_band,
                    "one of 1-9, 10-49, 50-99, 100-299, 300-999, 1000+",
                )
            },
        ),
        website: field("website", input.website, &base.website, false, &http_url),
        corporate_number: field(
            "corporate_number",
            input.corporate_number,
            &base.corporate_number,
            true,
            &|raw| {
                let digits = raw.trim();
                if corporate_number::is_valid(digits) {
                    Ok(digits.to_owned())
                } else {
                    Err(FieldError::new(
                        "",
                        "invalid_corporate_number",
                        "must be 13 digits with a valid check digit",
                    ))
                }
            },
        ),
        contact_name: field(
            "contact_name",
            input.contact_name,
            &base.contact_name,
            false,
            &line(100),
        ),
        phone: field("phone", input.phone, &base.phone, false, &|raw| {
            let p = raw.trim();
            let digits = p.chars().filter(char::is_ascii_digit).count();
            if (6..=20).contains(&digits)
                && p.len() <= 30
                && p.chars().all(|c| c.is_ascii_digit() || "+-() ".contains(c))
            {
                Ok(p.to_owned())
            } else {
                Err(FieldError::new(
                    "",
                    "invalid_phone",
                    "must be a phone number of digits, spaces, +, - and ()",
                ))
            }
        }),
    };
    if errors.is_empty() {
        Ok(profile)
    } else {
        Err(errors)
    }
}

fn pick(raw: &str, valid: fn(&str) -> bool, expected: &str) -> Result<String, FieldError> {
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

fn is_kana_char(c: char) -> bool {
    matches!(c, '\u{3041}'..='\u{3096}' | '\u{30A1}'..='\u{30FA}' | 'ー' | '・' | ' ' | '\u{3000}' | '゛' | '゜')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalized_and_checked() {
        assert_eq!(email("  Taro.Yamada@Example.JP ").unwrap(), "taro.yamada@example.jp");
        // An erased account's address (`erased-…@erased.invalid`) cannot be taken.
        for bad in [
            "",
            "no-at",
            "a@b",
            "a@.jp",
            "a b@c.jp",
            "@c.jp",
            "a@c..jp",
            "a@-c.jp",
            "erased-x@erased.invalid",
        ] {
            assert!(email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_are_bounded() {
        assert!(password("password", "123456789").is_err());
        assert!(password("password", "1234567890").is_ok());
        assert!(password("password", &"x".repeat(129)).is_err());
        assert!(password("password", "パスワードは十文字以上").is_ok());
    }

    #[test]
    fn individuals_cannot_set_organization_fields() {
        let input = ProfileInput {
            corporate_number: Some(Some("1180301018771".into())),
            prefecture: Some(Some("13".into())),
            ..Default::default()
        };
        let errs = build_profile(&Profile::default(), input.clone(), Kind::Individual).unwrap_err();
        assert_eq!(errs[0].field, "corporate_number");
        let p = build_profile(&Profile::default(), input, Kind::Organization).unwrap();
        assert_eq!(p.corporate_number.as_deref(), Some("1180301018771"));
    }

    #[test]
    fn every_profile_rule_reports_its_field() {
        let input = ProfileInput {
            legal_name: Some(Some("a\u{0}".into())),
            name_kana: Some(Some("Kabushiki".into())),
            industry: Some(Some("U".into())),
            prefecture: Some(Some("00".into())),
            employee_band: Some(Some("5".into())),
            website: Some(Some("ftp://x.jp".into())),
            corporate_number: Some(Some("1180301018772".into())),
            contact_name: Some(Some("".into())),
            phone: Some(Some("call me".into())),
        };
        let errs = build_profile(&Profile::default(), input, Kind::Organization).unwrap_err();
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            vec![
                "legal_name",
                "name_kana",
                "industry",
                "prefecture",
                "employee_band",
                "website",
                "corporate_number",
                "contact_name",
                "phone"
            ]
        );
    }
}

//! What makes two registrations look like the same one, for the moderation queue's
//! duplicate flags. Each rule is a key kept on the activity row (and indexed), so finding
//! the look-alikes of an item is an index lookup, never a scan.

use crate::domain::text::search_form;
use serde::Serialize;
use utoipa::ToSchema;

/// Why another activity may be the same registration as this one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DuplicateReason {
    /// The same account registered a near-identical title in the same campaign.
    SameAccountTitle,
    /// Another account whose profile holds or held the same corporate number registered in
    /// the same campaign.
    SameCorporateNumber,
    /// Another account registered under the same organizer name in the same campaign.
    SameOrganizerName,
}

/// The letters and digits of `s` in search form (NFKC, lower case): spaces, punctuation and
/// symbols do not tell two titles apart. `None` when nothing is left.
fn letters(s: &str) -> Option<String> {
    let key: String = search_form(s).chars().filter(|c| c.is_alphanumeric()).collect();
    (!key.is_empty()).then_some(key)
}

/// The form in which two titles are near-identical: equal after NFKC, lower case and
/// without spaces, punctuation and symbols ("テレワーク体験会！" and "ﾃﾚﾜｰｸ 体験会" match;
/// "第1回" and "第2回" do not).
pub fn title_key(title: &str) -> Option<String> {
    letters(title)
}

/// Forms of a company type that say nothing about which company it is. NFKC has already
/// turned ㈱ into (株) and full-width parentheses into ASCII ones.
const COMPANY_FORMS: [&str; 6] = ["株式会社", "(株)", "有限会社", "(有)", "合同会社", "(同)"];

/// The form in which two organizer names are the same: as [`title_key`], and without the
/// company type, wherever it stands ("株式会社テレワーク", "テレワーク㈱" and
/// "(株) テレワーク" match).
pub fn organizer_key(name: &str) -> Option<String> {
    let mut s = search_form(name);
    for form in COMPANY_FORMS {
        s = s.replace(form, " ");
    }
    letters(&s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_match_across_width_case_spaces_and_punctuation() {
        let key = title_key("テレワーク体験会 2026").unwrap();
        for same in [
            "ﾃﾚﾜｰｸ体験会２０２６",
            "テレワーク 体験会・2026！",
            "  テレワーク体験会2026 ",
        ] {
            assert_eq!(title_key(same).as_deref(), Some(key.as_str()), "{same}");
        }
        assert_eq!(title_key("Telework Day").unwrap(), title_key("TELEWORK-DAY").unwrap());
    }

    #[test]
    fn titles_that_differ_in_a_word_or_number_do_not_match() {
        let key = title_key("テレワーク体験会 第1回").unwrap();
        for other in ["テレワーク体験会 第2回", "テレワーク相談会 第1回", "テレワーク体験会"]
        {
            assert_ne!(title_key(other).as_deref(), Some(key.as_str()), "{other}");
        }
        assert_eq!(title_key("・！ 　"), None);
    }

    #[test]
    fn organizer_names_match_without_the_company_type() {
        let key = organizer_key("株式会社テレワーク商事").unwrap();
        for same in [
            "テレワーク商事株式会社",
            "㈱テレワーク商事",
            "（株）テレワーク商事",
            "(株) テレワーク商事",
            "ﾃﾚﾜｰｸ商事 ㈱",
        ] {
            assert_eq!(organizer_key(same).as_deref(), Some(key.as_str()), "{same}");
        }
        assert_eq!(organizer_key("ACME Inc.").unwrap(), organizer_key("acme inc").unwrap());
    }

    #[test]
    fn organizer_names_that_differ_do_not_match() {
        let key = organizer_key("株式会社テレワーク商事").unwrap();
        for other in ["株式会社テレワーク商会", "テレワーク", "株式会社テレワーク商事東京"]
        {
            assert_ne!(organizer_key(other).as_deref(), Some(key.as_str()), "{other}");
        }
        assert_eq!(organizer_key("株式会社"), None);
    }
}

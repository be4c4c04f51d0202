//! Text rules shared by every field: trimming, character counts (not bytes), control
//! characters, and the normalisation used for search.

use crate::domain::FieldError;
use unicode_normalization::UnicodeNormalization;

/// Whether newlines may appear in a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    Single,
    Multi,
}

/// Trims `value` and checks its length in Unicode characters and its characters.
pub fn clean(field: &str, value: &str, max_chars: usize, lines: Lines) -> Result<String, FieldError> {
    let trimmed = value.trim();
    if let Some(bad) = trimmed.chars().find(|&c| is_forbidden(c, lines)) {
        let what = if matches!(bad, '\n' | '\r') {
            "must be a single line".to_owned()
        } else {
            format!("must not contain the control character U+{:04X}", bad as u32)
        };
        return Err(FieldError::new(field, "invalid_characters", what));
    }
    let count = trimmed.chars().count();
    if count == 0 {
        return Err(FieldError::new(field, "required", "must not be empty"));
    }
    if count > max_chars {
        return Err(FieldError::new(
            field,
            "too_long",
            format!("must be at most {max_chars} characters (got {count})"),
        ));
    }
    Ok(trimmed.to_owned())
}

fn is_forbidden(c: char, lines: Lines) -> bool {
    match c {
        '\n' | '\r' => lines == Lines::Single,
        // Unicode "Cc" controls, plus the line/paragraph separators and bidi overrides that
        // can disguise text.
        c if c.is_control() => true,
        '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => true,
        _ => false,
    }
}

/// The form used for matching: NFKC (full-width ASCII and half-width katakana become their
/// ordinary forms) then lower case. Stored text keeps the form it was entered in.
pub fn search_form(s: &str) -> String {
    s.nfkc().flat_map(char::to_lowercase).collect()
}

/// The tokens of the short-query search index for a text in search form: every character
/// and every pair of adjacent characters, each written as the lower-case hex of its UTF-8
/// bytes, separated by spaces. UTF-8 is self-delimiting, so a pair's token never equals a
/// character's, and the tokens hold nothing a tokenizer could split or fold.
pub fn search_grams(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 5);
    let mut prev: Option<char> = None;
    for c in s.chars() {
        push_token(&mut out, &[c]);
        if let Some(p) = prev {
            push_token(&mut out, &[p, c]);
        }
        prev = Some(c);
    }
    out
}

/// The index token of a query of one or two characters (in search form), the same one
/// [`search_grams`] writes for them; `None` for any other length.
pub fn search_gram(q: &str) -> Option<String> {
    let chars: Vec<char> = q.chars().collect();
    if chars.is_empty() || chars.len() > 2 {
        return None;
    }
    let mut out = String::new();
    push_token(&mut out, &chars);
    Some(out)
}

fn push_token(out: &mut String, chars: &[char]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    if !out.is_empty() {
        out.push(' ');
    }
    let mut buf = [0u8; 4];
    for c in chars {
        for b in c.encode_utf8(&mut buf).bytes() {
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 0xf)] as char);
        }
    }
}

/// Text made safe for XML and HTML content and quoted attribute values; control characters
/// other than tab and line breaks, which XML 1.0 does not allow, are dropped.
pub fn escape_markup(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A cell a spreadsheet will not run as a formula: text a person typed that starts with
/// `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'` (OWASP's advice for CSV
/// injection), which Excel shows as text.
pub fn csv_inert(cell: String) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_counts_characters_not_bytes() {
        assert_eq!(clean("t", "  テレワーク  ", 5, Lines::Single).unwrap(), "テレワーク");
        let e = clean("t", "テレワーク月間", 5, Lines::Single).unwrap_err();
        assert_eq!(e.code, "too_long");
        assert_eq!(clean("t", "   ", 5, Lines::Single).unwrap_err().code, "required");
    }

    #[test]
    fn control_characters_are_refused_but_newlines_allowed_where_multiline() {
        assert_eq!(
            clean("t", "a\u{0007}b", 9, Lines::Multi).unwrap_err().code,
            "invalid_characters"
        );
        assert_eq!(
            clean("t", "a\nb", 9, Lines::Single).unwrap_err().code,
            "invalid_characters"
        );
        assert_eq!(clean("d", "一行目\n二行目", 9, Lines::Multi).unwrap(), "一行目\n二行目");
        assert_eq!(
            clean("t", "a\u{202E}b", 9, Lines::Multi).unwrap_err().code,
            "invalid_characters"
        );
    }

    #[test]
    fn search_form_folds_width_and_case() {
        assert_eq!(search_form("ＤＸ推進"), "dx推進");
        assert_eq!(search_form("ｄｘ"), search_form("DX"));
        assert_eq!(search_form("ﾃﾚﾜｰｸ"), "テレワーク");
    }

    #[test]
    fn grams_are_every_character_and_every_adjacent_pair() {
        // テ = e3 83 86, レ = e3 83 ac, a = 61
        assert_eq!(search_grams("テレa"), "e38386 e383ac e38386e383ac 61 e383ac61");
        assert_eq!(search_grams(""), "");
        assert_eq!(search_gram("テ").as_deref(), Some("e38386"));
        assert_eq!(search_gram("テレ").as_deref(), Some("e38386e383ac"));
        assert_eq!(search_gram(""), None);
        assert_eq!(search_gram("テレワ"), None);
        // Every 1- and 2-character substring of a text is one of its tokens.
        let text = search_form("ＤＸ推進\nｶﾞ😀 x");
        let tokens = search_grams(&text);
        let grams: Vec<&str> = tokens.split(' ').collect();
        let chars: Vec<char> = text.chars().collect();
        for len in 1..=2 {
            for w in chars.windows(len) {
                let q: String = w.iter().collect();
                assert!(grams.contains(&search_gram(&q).unwrap().as_str()), "{q:?}");
            }
        }
    }

    #[test]
    fn cells_that_look_like_formulas_stay_text() {
        assert_eq!(
            csv_inert("=HYPERLINK(\"https://evil.example/\")".into()),
            "'=HYPERLINK(\"https://evil.example/\")"
        );
        for c in ["+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert!(csv_inert(c.into()).starts_with('\''), "{c:?}");
        }
        assert_eq!(csv_inert("山田 太郎".into()), "山田 太郎");
        assert_eq!(csv_inert("a=b".into()), "a=b");
    }
}

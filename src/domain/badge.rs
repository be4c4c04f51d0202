//! Participation badges: their ids, their image (an SVG of our own design: no official
//! mark), and the HTML an owner puts on their site.

use super::text::escape_markup as escape;

/// A new badge id: 128 bits from the operating system's random source, as 32 hex digits.
pub fn new_id() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `raw` has the shape of a badge id (anything else is a 404 without a query).
pub fn is_id(raw: &str) -> bool {
    raw.len() == 32 && raw.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The badge's words: "テレワーク月間 {year} 参加".
pub fn caption(year: i32) -> String {
    format!("テレワーク月間 {year} 参加")
}

/// The organizer name as it fits on the badge: at most 18 characters, then "…".
fn fitted(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    if chars.len() <= 18 {
        name.to_owned()
    } else {
        chars[..17].iter().collect::<String>() + "…"
    }
}

/// The badge image: a square of 240 × 240 with the caption and the organizer name.
pub fn svg(year: i32, organizer: &str) -> String {
    let caption = escape(&caption(year));
    let name = escape(&fitted(organizer));
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="240" height="240" viewBox="0 0 240 240" role="img" aria-label="{caption} {name}">
<rect x="4" y="4" width="232" height="232" rx="28" fill="#f4f9ff" stroke="#1f5fa8" stroke-width="6"/>
<circle cx="120" cy="78" r="34" fill="#1f5fa8"/>
<path d="M100 78h40M120 58v40" stroke="#ffffff" stroke-width="6" stroke-linecap="round"/>
<text x="120" y="142" font-family="sans-serif" font-size="19" font-weight="bold" fill="#1f5fa8" text-anchor="middle">テレワーク月間</text>
<text x="120" y="170" font-family="sans-serif" font-size="17" fill="#1f5fa8" text-anchor="middle">{year} 参加</text>
<text x="120" y="204" font-family="sans-serif" font-size="12" fill="#333333" text-anchor="middle">{name}</text>
</svg>
"##
    )
}

/// The HTML for an owner's site: the image, linked to the badge's hosted assertion.
pub fn snippet(assertion_url: &str, image_url: &str, year: i32, organizer: &str) -> String {
    format!(
        r#"<a href="{}"><img src="{}" width="120" height="120" alt="{}"></a>"#,
        escape(assertion_url),
        escape(image_url),
        escape(&format!("{} {organizer}", caption(year)))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_random_and_of_one_shape() {
        let (a, b) = (new_id(), new_id());
        assert!(is_id(&a) && is_id(&b), "{a} {b}");
        assert_ne!(a, b);
        assert!(!is_id("0192f1a0-0000-7000-8000-000000000001"));
        assert!(!is_id(&a.to_uppercase()));
    }

    #[test]
    fn text_in_the_image_and_the_snippet_is_escaped() {
        let s = svg(2026, "<script>&\"株式会社テスト\"");
        assert!(s.contains("&lt;script&gt;&amp;&quot;株式会社テスト&quot;"), "{s}");
        assert!(!s.contains("<script>"));
        assert!(s.contains("2026 参加"));
        let h = snippet("https://x.example/b?a=1&b=2", "https://x.example/b.svg", 2026, "O'Neil");
        assert!(h.contains("a=1&amp;b=2") && h.contains("O&#39;Neil"), "{h}");
    }

    #[test]
    fn long_names_are_cut_to_fit() {
        let s = svg(2026, &"長".repeat(40));
        assert!(s.contains(&format!("{}…", "長".repeat(17))));
        assert!(!s.contains(&"長".repeat(18)));
    }
}

//! Atom 1.0 (RFC 4287) rendering of public activities.

use crate::service::public::PublicActivity;
use chrono::{DateTime, Utc};
use std::fmt::Write;

/// Escapes text for XML content and attributes.
pub fn escape(s: &str) -> String {
    crate::domain::text::escape_markup(s)
}

/// A feed whose `updated` is the newest approval (or the epoch when empty).
pub fn render(self_url: &str, items: &[PublicActivity]) -> String {
    let updated = items
        .iter()
        .filter_map(|a| a.approved_at)
        .max()
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
    let mut x = String::with_capacity(1024 + items.len() * 1024);
    x.push_str(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"ja\">\n",
    );
    let _ = writeln!(x, "  <id>{}</id>", escape(self_url));
    x.push_str("  <title>テレワーク月間 登録活動 / Telework Month activities</title>\n");
    let _ = writeln!(x, "  <updated>{}</updated>", updated.to_rfc3339());
    let _ = writeln!(x, "  <link rel=\"self\" href=\"{}\"/>", escape(self_url));
    x.push_str("  <author><name>telework-registry</name></author>\n");
    for a in items {
        let when = a.approved_at.unwrap_or(updated).to_rfc3339();
        x.push_str("  <entry>\n");
        let _ = writeln!(x, "    <id>urn:uuid:{}</id>", a.id);
        let _ = writeln!(x, "    <title>{}</title>", escape(&a.title));
        let _ = writeln!(x, "    <updated>{when}</updated>");
        let _ = writeln!(x, "    <published>{when}</published>");
        let _ = writeln!(x, "    <author><name>{}</name></author>", escape(&a.organizer_name));
        for c in &a.categories {
            let _ = writeln!(x, "    <category term=\"{}\"/>", escape(c));
        }
        if let Some(url) = &a.url {
            let _ = writeln!(x, "    <link rel=\"alternate\" href=\"{}\"/>", escape(url));
        }
        let _ = writeln!(x, "    <summary type=\"text\">{}</summary>", escape(&a.description));
        x.push_str("  </entry>\n");
    }
    x.push_str("</feed>\n");
    x
}

/// The feed's own URL (its `<id>` and `rel="self"`): the configured base, the route and the
/// validated filters. Nothing of it comes from the request's host, scheme or target form.
pub fn feed_url(base: &str, campaign: Option<&str>, categories: &[String]) -> String {
    let filters: Vec<(&str, &str)> = campaign
        .map(|c| ("campaign", c))
        .into_iter()
        .chain(categories.iter().map(|c| ("category", c.as_str())))
        .collect();
    let query = serde_html_form::to_string(&filters).unwrap_or_default();
    let sep = if query.is_empty() { "" } else { "?" };
    format!("{base}/api/v1/public/feed.atom{sep}{query}")
}

#[cfg(test)]
mod tests {
    use super::{escape, feed_url};

    #[test]
    fn escapes_markup() {
        assert_eq!(escape("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
        // Line breaks stay; other control characters, which XML 1.0 forbids, do not.
        assert_eq!(escape("a\nb\u{1}c"), "a\nbc");
    }

    #[test]
    fn feed_urls_start_from_the_base_and_encode_filters() {
        let base = "https://telework.example.jp";
        assert_eq!(
            feed_url(base, None, &[]),
            "https://telework.example.jp/api/v1/public/feed.atom"
        );
        assert_eq!(
            feed_url(base, Some("2026 秋"), &["try_practice".into(), "a&b".into()]),
            "https://telework.example.jp/api/v1/public/feed.atom?campaign=2026+%E7%A7%8B&category=try_practice&category=a%26b"
        );
    }
}

//! Webhook rules: which URLs and event types a subscription may name, which addresses a
//! delivery may reach, the signing secret's format and the Standard Webhooks signature.

use crate::domain::codes::{AuditAction, EventType};
use crate::domain::workflow::{Status, Transition};
use crate::domain::FieldError;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The prefix of a signing secret; the rest is base64 of the key.
pub const SECRET_PREFIX: &str = "whsec_";
/// Random bytes in a new signing key.
pub const SECRET_BYTES: usize = 32;
/// The longest URL a subscription may name.
pub const MAX_URL: usize = 2000;

/// Checks a subscription's URL: absolute https (or http when `allow_http`), with a host, no
/// credentials and no fragment. Returns it as parsed.
pub fn url(raw: &str, allow_http: bool) -> Result<url::Url, FieldError> {
    let bad = |msg: &str| FieldError::new("url", "invalid_url", msg);
    if raw.len() > MAX_URL {
        return Err(FieldError::new(
            "url",
            "too_long",
            format!("must be at most {MAX_URL} characters"),
        ));
    }
    let u = url::Url::parse(raw.trim()).map_err(|_| bad("must be an absolute URL"))?;
    match u.scheme() {
        "https" => {}
        "http" if allow_http => {}
        "http" => return Err(bad("must be https (http is allowed only when WEBHOOK_ALLOW_HTTP=true)")),
        _ => return Err(bad("must be an https URL")),
    }
    if u.host_str().is_none_or(str::is_empty) {
        return Err(bad("must name a host"));
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err(bad("must not carry credentials"));
    }
    if u.fragment().is_some() {
        return Err(bad("must not have a fragment"));
    }
    Ok(u)
}

/// Checks a subscription's event types: a non-empty set of subscribable types, deduplicated
/// and in the catalogue's order.
pub fn event_types(raw: &[String]) -> Result<Vec<EventType>, FieldError> {
    let field = "event_types";
    if raw.is_empty() {
        return Err(FieldError::new(field, "required", "name at least one event type"));
    }
    let mut out = Vec::new();
    for t in raw {
        match EventType::parse(t) {
            Some(EventType::WebhookTest) | None => {
                let allowed: Vec<&str> = subscribable().map(|e| e.as_str()).collect();
                return Err(FieldError::new(
                    field,
                    "invalid_choice",
                    format!("`{t}` is not one of {}", allowed.join(", ")),
                ));
            }
            Some(e) if !out.contains(&e) => out.push(e),
            Some(_) => {}
        }
    }
    out.sort();
    Ok(out)
}

/// The event types a webhook may subscribe to.
pub fn subscribable() -> impl Iterator<Item = EventType> {
    EventType::ALL.iter().copied().filter(|e| *e != EventType::WebhookTest)
}

/// The event a workflow step reports, if any (drafts and their edits report none).
pub fn event_for(t: &Transition) -> Option<EventType> {
    Some(match t.audit_action {
        AuditAction::Submit => EventType::ActivitySubmitted,
        AuditAction::EditRevision => EventType::RevisionSubmitted,
        AuditAction::Approve => EventType::ActivityApproved,
        AuditAction::ApproveRevision => EventType::RevisionApproved,
        AuditAction::Reject => EventType::ActivityRejected,
        AuditAction::RejectRevision => EventType::RevisionRejected,
        AuditAction::Unpublish => EventType::ActivityUnpublished,
        // A draft's withdrawal: partners never heard of it.
        AuditAction::Withdraw if t.from != Status::Draft => EventType::ActivityWithdrawn,
        _ => return None,
    })
}

/// Whether a delivery must not reach `ip`: loopback, private, link-local (the cloud metadata
/// address 169.254.169.254 among them), carrier-grade NAT, unspecified, broadcast,
/// multicast, documentation and reserved ranges, and IPv6 forms of them.
pub fn is_forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4_forbidden(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return v4_forbidden(v4);
            }
            let s = v6.segments();
            // NAT64 (64:ff9b::/96) embeds an IPv4 address.
            if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
                let [a, b] = s[6].to_be_bytes();
                let [c, d] = s[7].to_be_bytes();
                return v4_forbidden(Ipv4Addr::new(a, b, c, d));
            }
            // 6to4 (2002::/16) embeds an IPv4 address in its second and third groups.
            if s[0] == 0x2002 {
                let [a, b] = s[1].to_be_bytes();
                let [c, d] = s[2].to_be_bytes();
                return v4_forbidden(Ipv4Addr::new(a, b, c, d));
            }
            // IPv4-compatible (::a.b.c.d, deprecated but still routed by some stacks).
            if s[..6] == [0, 0, 0, 0, 0, 0] && !v6.is_loopback() && !v6.is_unspecified() {
                let [a, b] = s[6].to_be_bytes();
                let [c, d] = s[7].to_be_bytes();
                return v4_forbidden(Ipv4Addr::new(a, b, c, d));
            }
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local
                || (s[0] & 0xffc0) == 0xfe80 // link-local
                || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
                || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
                || (s[0] == 0x2001 && s[1] == 0) // Teredo
                || (s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1) // local-use NAT64
                || (s[0] == 0x100 && s[1..4] == [0, 0, 0]) // discard-only
                || v6 == Ipv6Addr::UNSPECIFIED
        }
    }
}

fn v4_forbidden(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT
        || (a == 192 && b == 0 && ip.octets()[2] == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240 // reserved
}

/// A new signing secret: `whsec_` and the base64 of [`SECRET_BYTES`] random bytes.
pub fn new_secret() -> String {
    let mut key = [0u8; SECRET_BYTES];
    getrandom::fill(&mut key).expect("the operating system's random source");
    format!("{SECRET_PREFIX}{}", STANDARD.encode(key))
}

/// The `v1,` signature of one message under `secret`: base64 of HMAC-SHA256 with the
/// decoded key over `{id}.{timestamp}.{body}`. `None` for a secret that is not ours.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &str) -> Option<String> {
    let key = STANDARD.decode(secret.strip_prefix(SECRET_PREFIX)?).ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body.as_bytes());
    Some(format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forbidden_addresses() {
        for a in [
            "127.0.0.1",
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd00:ec2::254",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a00:1",
            "64:ff9b:1::1",
            "::7f00:1",
            "::a00:1",
            "2002:7f00:1::1",
            "2002:a9fe:a9fe::1",
            "2001::1",
            "fec0::1",
            "100::1",
        ] {
            assert!(is_forbidden(a.parse().unwrap()), "{a} must be refused");
        }
        for a in [
            "93.184.216.34",
            "8.8.8.8",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
            "2002:808:808::1",
        ] {
            assert!(!is_forbidden(a.parse().unwrap()), "{a} must be allowed");
        }
    }

    #[test]
    fn urls() {
        assert!(url("https://example.jp/hook", false).is_ok());
        assert!(url("http://example.jp/hook", false).is_err());
        assert!(url("http://example.jp/hook", true).is_ok());
        assert!(url("ftp://example.jp/", true).is_err());
        assert!(url("https://user:pw@example.jp/", false).is_err());
        assert!(url("https://example.jp/#x", false).is_err());
        assert!(url("/relative", false).is_err());
    }

    #[test]
    fn event_types_are_checked_and_deduplicated() {
        let t = |v: &[&str]| event_types(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(
            t(&["activity.rejected", "activity.approved", "activity.approved"]).unwrap(),
            vec![EventType::ActivityApproved, EventType::ActivityRejected]
        );
        assert!(t(&[]).is_err());
        assert!(t(&["webhook.test"]).is_err());
        assert!(t(&["activity.nope"]).is_err());
    }

    #[test]
    fn signature_matches_the_specification_example() {
        // The example of the Standard Webhooks specification.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(
            sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body).unwrap(),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
        assert!(sign("nope", "a", 1, "b").is_none());
        let s = new_secret();
        assert!(s.starts_with(SECRET_PREFIX));
        assert_eq!(STANDARD.decode(&s[SECRET_PREFIX.len()..]).unwrap().len(), SECRET_BYTES);
    }
}

//! HTTP only: handlers per resource, their DTOs and status codes. Every handler is
//! registered with `.service()` inside a `utoipa_actix_web` scope, so it is in the spec.

pub mod account;
pub mod account_mail;
pub mod activities;
pub mod activity;
pub mod admin_accounts;
pub mod admin_audit;
pub mod admin_outbox;
pub mod admin_webhooks;
pub mod atom;
pub mod audit_view;
pub mod auth;
pub mod badges;
pub mod bulk;
pub mod caller;
pub mod campaigns;
pub mod claims;
pub mod event_sessions;
pub mod event_view;
pub mod export_csv;
pub mod exports;
pub mod extract;
pub mod health;
pub mod mailed;
pub mod me;
pub mod moderation;
pub mod moderation_notes;
pub mod moderation_stats;
pub mod moderation_view;
pub mod page;
pub mod public;
pub mod public_sessions;
pub mod reference;
pub mod session_applications;
pub mod webhook_view;

use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

/// Registers every route: health at the root, the API under `/api/v1`.
///
/// A request is matched against the routes in this order, and each route with a path
/// parameter costs a regular-expression match, so the public routes, which take most of the
/// traffic, come first.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(health::healthz).service(health::readyz);
    cfg.service(
        scope("/api/v1")
            .service(public::list)
            .service(public::get_one)
            .service(public::stats)
            .service(public::feed)
            .service(exports::public_csv)
            .service(exports::public_json)
            .service(badges::image)
            .service(badges::get_one)
            .service(public_sessions::list)
            .service(public_sessions::apply)
            .service(public_sessions::confirm)
            .service(public_sessions::view)
            .service(public_sessions::cancel)
            .service(auth::register)
            .service(auth::login)
            .service(auth::refresh)
            .service(auth::logout)
            .service(account_mail::verify_email)
            .service(account_mail::resend_verification)
            .service(account_mail::request_password_reset)
            .service(account_mail::confirm_password_reset)
            .service(me::get_me)
            .service(me::patch_me)
            .service(me::change_password)
            .service(me::erase_me)
            .service(me::export_me)
            .service(reference::categories)
            .service(reference::prefectures)
            .service(reference::industries)
            .service(admin_accounts::list)
            .service(admin_accounts::create)
            .service(admin_accounts::update)
            .service(admin_accounts::erase)
            .service(admin_audit::list)
            .service(exports::registrations)
            .service(admin_outbox::list)
            .service(admin_outbox::retry)
            .service(admin_webhooks::list)
            .service(admin_webhooks::create)
            .service(admin_webhooks::get_one)
            .service(admin_webhooks::update)
            .service(admin_webhooks::remove)
            .service(admin_webhooks::rotate_secret)
            .service(admin_webhooks::deliveries)
            .service(admin_webhooks::replay)
            .service(admin_webhooks::test)
            .service(campaigns::list)
            .service(campaigns::create)
            .service(campaigns::update)
            .service(activities::create)
            .service(activities::copy)
            .service(badges::own)
            .service(activities::list)
            .service(activities::get_one)
            .service(activities::edit)
            .service(activities::remove)
            .service(activities::submit)
            .service(activities::withdraw)
            .service(activities::history)
            .service(event_sessions::create)
            .service(event_sessions::list)
            .service(event_sessions::update)
            .service(event_sessions::remove)
            .service(event_sessions::cancel)
            .service(session_applications::csv)
            .service(session_applications::list)
            .service(moderation_notes::queue_count)
            .service(moderation::queue)
            .service(moderation::get_one)
            .service(moderation::reasons)
            .service(moderation::approve)
            .service(moderation::reject)
            .service(moderation::unpublish)
            .service(bulk::decide)
            .service(moderation_notes::add)
            .service(moderation_notes::list)
            .service(claims::claim)
            .service(claims::release)
            .service(moderation_stats::stats),
    );
}

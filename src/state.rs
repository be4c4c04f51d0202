//! What every handler shares: the pool, the configuration and the per-process helpers.

use crate::auth::jwt::JwtKeys;
use crate::auth::password::Hasher;
use crate::auth::rate_limit::RateLimiter;
use crate::cache::{MedianWait, PublicCache};
use crate::config::Config;
use crate::db::Pool;
use crate::mail::Mailer;
use crate::service::export::Slots;

/// Shared application state, handed to handlers as `web::Data<AppState>`.
#[derive(Debug)]
pub struct AppState {
    pub pool: Pool,
    pub config: Config,
    pub jwt: JwtKeys,
    pub hasher: Hasher,
    pub auth_limiter: RateLimiter,
    /// Mailed links (password reset, verification) per email address and hour.
    pub mail_limiter: RateLimiter<String>,
    /// Writes mail to the outbox, with links from the configured base URLs.
    pub mailer: Mailer,
    pub public: PublicCache,
    /// The median wait of recent decisions, recomputed at most every few seconds.
    pub median_wait: MedianWait,
    /// The public exports running at once (`EXPORT_CONCURRENCY`).
    pub exports: Slots,
}

impl AppState {
    pub fn new(config: Config, pool: Pool) -> Self {
        let public = PublicCache::new(config.public_cache_refresh);
        // The generation watcher keeps one connection of its own, outside the pool.
        public.watch(config.database.clone());
        Self {
            jwt: JwtKeys::from_config(&config),
            hasher: Hasher::new(config.password_cost),
            auth_limiter: RateLimiter::new(config.auth_rate_limit_per_minute),
            mail_limiter: RateLimiter::per(config.mail.per_address_per_hour, std::time::Duration::from_secs(3600)),
            mailer: Mailer::new(&config),
            public,
            median_wait: Default::default(),
            exports: Slots::new(config.export_concurrency),
            pool,
            config,
        }
    }
}

pub type State = actix_web::web::Data<AppState>;

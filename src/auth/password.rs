//! Password hashing with argon2id. Hashing is slow on purpose, so callers run it inside
//! `db::run`/`web::block`, never on an async worker.

use crate::config::PasswordCost;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::OnceLock;

/// Hashes and verifies passwords with one argon2id setting.
#[derive(Debug, Clone, Copy)]
pub struct Hasher {
    cost: PasswordCost,
}

impl Hasher {
    pub fn new(cost: PasswordCost) -> Self {
        Self { cost }
    }

    fn argon2(&self) -> Argon2<'static> {
        let params = Params::new(self.cost.memory_kib, self.cost.iterations, self.cost.parallelism, None)
            .expect("argon2 parameters are constants checked by tests");
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
    }

    /// A PHC string (`$argon2id$v=19$m=…`) holding salt and parameters.
    pub fn hash(&self, password: &str) -> String {
        let salt = SaltString::generate(&mut OsRng);
        self.argon2()
            .hash_password(password.as_bytes(), &salt)
            .expect("argon2 hashing cannot fail for in-range inputs")
            .to_string()
    }

    /// Checks a password against a stored hash (whatever cost it was made with).
    pub fn verify(&self, stored: &str, password: &str) -> bool {
        match PasswordHash::new(stored) {
            Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
            Err(_) => false,
        }
    }

    /// Spends the same time as a real verification, for logins with an unknown email, so the
    /// answer's timing does not tell whether the account exists.
    pub fn verify_dummy(&self, password: &str) {
        static DUMMY: OnceLock<String> = OnceLock::new();
        let hash = DUMMY.get_or_init(|| self.hash("a dummy password nobody has"));
        let _ = self.verify(hash, password);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHEAP: PasswordCost = PasswordCost {
        memory_kib: 1024,
        iterations: 1,
        parallelism: 1,
    };

    #[test]
    fn hash_then_verify() {
        let h = Hasher::new(CHEAP);
        let stored = h.hash("correct horse battery");
        assert!(stored.starts_with("$argon2id$"));
        assert!(!stored.contains("correct horse"));
        assert!(h.verify(&stored, "correct horse battery"));
        assert!(!h.verify(&stored, "correct horse battery!"));
        assert!(!h.verify("not a hash", "x"));
    }

    #[test]
    fn default_cost_is_valid() {
        let h = Hasher::new(PasswordCost::DEFAULT);
        let _ = h.argon2();
    }
}

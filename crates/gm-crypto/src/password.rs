//! Staff passwords: Argon2id (memory-hard), with a random salt, stored as a PHC string
//! (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`).

use argon2::{Argon2, PasswordHasher, PasswordVerifier};

/// Why a password could not be hashed.
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed")]
pub struct PasswordHashError;

/// Hashes a password with Argon2id and the recommended parameters.
pub fn hash_password(password: &str) -> Result<String, PasswordHashError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|_| PasswordHashError)
}

/// Does the password match the stored PHC string? A malformed string never matches.
pub fn verify_password(password: &str, stored: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), stored)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only_and_salts_differ() {
        let a = hash_password("正确的密码 horse battery").unwrap();
        let b = hash_password("正确的密码 horse battery").unwrap();
        assert!(a.starts_with("$argon2id$"), "{a}");
        assert_ne!(a, b, "a fresh salt each time");
        assert!(verify_password("正确的密码 horse battery", &a));
        assert!(!verify_password("正确的密码 horse batterY", &a));
        assert!(!verify_password("anything", "not a phc string"));
    }
}

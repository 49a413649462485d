//! Random values: keys and tokens from the operating system RNG, nonces from a user-space CSPRNG.

use rand::Rng as _;
use rand::TryRng as _;
use rand::rngs::SysRng;

/// Fills `buf` from the operating system RNG.
///
/// # Panics
///
/// If the operating system RNG fails. There is no safe fallback for key or
/// nonce generation, and on Linux this does not happen once the kernel pool
/// is initialised.
pub(crate) fn fill(buf: &mut [u8]) {
    if let Err(err) = SysRng.try_fill_bytes(buf) {
        panic!("operating system RNG failed: {err}");
    }
}

/// Returns `N` bytes from the operating system RNG.
///
/// # Panics
///
/// If the operating system RNG fails (see the crate docs).
#[must_use]
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    fill(&mut out);
    out
}

/// Returns `N` bytes for a nonce from the thread's CSPRNG (rand's `ThreadRng`: ChaCha12, seeded
/// from the operating system RNG and reseeded from it periodically). A nonce needs to be
/// unpredictable and unique, not secret key material; drawing it in user space spares a system
/// call per encrypted value, which the case engine makes several times per step.
pub(crate) fn nonce<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    rand::rng().fill_bytes(&mut out);
    out
}

/// Returns 32 random bytes (256 bits) as 64 lowercase hex characters.
///
/// # Panics
///
/// If the operating system RNG fails (see the crate docs).
#[must_use]
pub fn random_token() -> String {
    hex::encode(random_bytes::<32>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_is_64_lowercase_hex_chars() {
        let token = random_token();
        assert_eq!(token.len(), 64);
        assert!(
            token
                .chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
        );
    }

    #[test]
    fn tokens_differ() {
        assert_ne!(random_token(), random_token());
    }

    #[test]
    fn random_bytes_has_requested_length_and_is_not_constant() {
        let a = random_bytes::<16>();
        let b = random_bytes::<16>();
        assert_ne!(a, b);
        assert_ne!(a, [0u8; 16]);
        assert_eq!(random_bytes::<0>(), [0u8; 0]);
    }

    #[test]
    fn nonces_differ() {
        let a = nonce::<12>();
        assert_ne!(a, nonce::<12>());
        assert_ne!(a, [0u8; 12]);
    }
}

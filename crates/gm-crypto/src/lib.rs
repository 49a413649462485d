//! 国密 (SM3 / HMAC-SM3 / SM4-GCM) primitives behind a small, contractual API.
//!
//! This is the only crate in the workspace that touches cryptographic crates.
//!
//! - [`sm3()`], [`Sm3Hasher`]: SM3 hashing (GB/T 32905-2016).
//! - [`hmac_sm3`]: HMAC (RFC 2104) over SM3.
//! - [`BlindIndexKey`], [`BlindIndex`]: deterministic HMAC-SM3 lookup values
//!   for encrypted columns.
//! - [`DataKey`], [`Keyring`]: SM4-GCM (GB/T 32907-2016 block cipher in GCM
//!   mode, as in RFC 8998) envelopes with key rotation.
//! - [`hash_password`], [`verify_password`]: Argon2id for staff passwords.
//! - [`random_bytes`], [`random_token`]: values from the operating system RNG.
//!
//! `Debug` output of key types never contains key material.
//!
//! # Panics
//!
//! Functions that draw randomness ([`random_bytes`], [`random_token`],
//! `generate`, [`Keyring::seal`]) panic if the operating system RNG fails:
//! there is no safe fallback for keys and nonces. `seal` also panics beyond the
//! 64 GiB GCM plaintext limit. Nothing else panics, whatever the input.

mod blind;
mod hash;
mod key;
mod keyring;
mod password;
mod random;

pub use blind::{BlindIndex, BlindIndexKey};
pub use hash::{Sm3Hasher, hmac_sm3, sm3};
pub use key::{DataKey, InvalidKeyLength, KeyFileError, KeyId, KeyIdError};
pub use keyring::{DuplicateKeyId, Keyring, OpenError, envelope_key_id};
pub use password::{PasswordHashError, hash_password, verify_password};
pub use random::{random_bytes, random_token};

/// Bytes as lower-case hexadecimal (digests, hashes, random names).
#[must_use]
pub fn to_hex(bytes: &[u8]) -> String {
    // By hand: `hex::encode` goes through a char iterator at ten times the cost, and the audit
    // chain's writer formats a hash for every entry.
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = Vec::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)]);
        out.push(DIGITS[usize::from(b & 0x0f)]);
    }
    String::from_utf8(out).unwrap_or_else(|_| unreachable!("hex digits are ASCII"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn to_hex_is_lower_case_hex_of_every_byte() {
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(super::to_hex(&all), hex::encode(&all));
        assert_eq!(super::to_hex(&[]), "");
    }
}

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

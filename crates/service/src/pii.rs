//! The one place personal data is sealed for storage: SM4-GCM under the current data key (the
//! key id travels with each value, so rotated keys keep old values readable), and a keyed blind
//! index (HMAC-SM3, a separate key) for finding a person by ID number and for naming uploaded
//! files by their content.
//!
//! Each sealed value is bound to where it is stored (table, column, record id) as associated
//! data, so a ciphertext copied to another row or column does not open.

use std::fmt;

use domain::ids::IdNumber;
use gm_crypto::{BlindIndexKey, Keyring, OpenError};

/// Seals and opens personal data; computes blind indexes.
pub struct Vault {
    keyring: Keyring,
    blind: BlindIndexKey,
}

impl fmt::Debug for Vault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Vault")
            .field("current_key", &self.keyring.current_id().as_str())
            .finish_non_exhaustive()
    }
}

/// Where a sealed value lives; becomes the associated data.
#[derive(Debug, Clone, Copy)]
pub struct Place<'a> {
    pub table: &'a str,
    pub column: &'a str,
    pub id: &'a str,
}

impl Place<'_> {
    fn aad(&self) -> Vec<u8> {
        [self.table, "|", self.column, "|", self.id]
            .concat()
            .into_bytes()
    }
}

/// A sealed value that would not open.
#[derive(Debug, thiserror::Error)]
#[error("个人信息密文无法解密（{0}）")]
pub struct SealError(#[from] pub OpenError);

impl Vault {
    pub fn new(keyring: Keyring, blind: BlindIndexKey) -> Self {
        Self { keyring, blind }
    }

    pub fn current_key_id(&self) -> &str {
        self.keyring.current_id().as_str()
    }

    /// The id of the key a sealed value was sealed under (read from its header).
    pub fn key_id_of(sealed: &[u8]) -> Option<String> {
        gm_crypto::envelope_key_id(sealed)
            .ok()
            .map(|k| k.as_str().to_owned())
    }

    /// Does the vault hold the key with this id (current or retired)?
    pub fn has_key(&self, id: &str) -> bool {
        gm_crypto::KeyId::new(id).is_ok_and(|k| self.keyring.contains(&k))
    }

    pub fn seal(&self, place: Place<'_>, plaintext: &[u8]) -> Vec<u8> {
        self.keyring.seal(plaintext, &place.aad())
    }

    pub fn seal_str(&self, place: Place<'_>, text: &str) -> Vec<u8> {
        self.seal(place, text.as_bytes())
    }

    pub fn open(&self, place: Place<'_>, sealed: &[u8]) -> Result<Vec<u8>, SealError> {
        Ok(self.keyring.open(sealed, &place.aad())?)
    }

    pub fn open_string(&self, place: Place<'_>, sealed: &[u8]) -> Result<String, SealError> {
        let bytes = self.open(place, sealed)?;
        String::from_utf8(bytes).map_err(|_| SealError(OpenError::Authentication))
    }

    /// The blind index of an ID number (its normalized 18-character form), as hex.
    pub fn id_index(&self, id: &IdNumber) -> String {
        self.blind.index(&["id:", id.as_str()].concat()).to_hex()
    }

    /// The id of a file's content, as hex: HMAC-SM3 under the blind-index key over `file:`
    /// followed by the bytes. Equal bytes give equal ids (a file is stored once); without the
    /// key, someone who guesses a file's content cannot confirm the guess from its id. The
    /// `file:` prefix keeps these ids apart from ID-number indexes (`id:`).
    pub fn content_id(&self, bytes: &[u8]) -> String {
        self.blind.index_parts(&[b"file:", bytes]).to_hex()
    }
}

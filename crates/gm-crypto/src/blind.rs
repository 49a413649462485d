//! Blind indexes: HMAC-SM3 of a normalized value, for equality lookups on
//! encrypted columns without decrypting them.

use crate::hash::HmacSm3;
use crate::key::{InvalidKeyLength, KeyFileError, decode_key, key_array, parse_fields};
use crate::random;
use std::fmt;

/// First line of a [`BlindIndexKey`] key file.
const BLIND_INDEX_KEY_HEADER: &str = "yijianshi-blind-index-key v1";

/// 256-bit HMAC-SM3 key for [`BlindIndex`] values.
#[derive(Clone)]
pub struct BlindIndexKey {
    key: [u8; 32],
    /// The HMAC with the key's inner and outer blocks already hashed: an index then costs two
    /// SM3 blocks instead of four.
    mac: HmacSm3,
}

impl BlindIndexKey {
    /// A fresh key from the operating system RNG.
    ///
    /// # Panics
    ///
    /// If the operating system RNG fails (see the crate docs).
    #[must_use]
    pub fn generate() -> Self {
        Self::from_array(random::random_bytes())
    }

    fn from_array(key: [u8; 32]) -> Self {
        Self {
            mac: HmacSm3::new(&key),
            key,
        }
    }

    /// A key from existing bytes.
    ///
    /// # Errors
    ///
    /// [`InvalidKeyLength`] unless `key` is exactly 32 bytes.
    pub fn from_bytes(key: &[u8]) -> Result<Self, InvalidKeyLength> {
        Ok(Self::from_array(key_array(key)?))
    }

    /// `HMAC-SM3(key, normalized_value)` over the UTF-8 bytes. Deterministic:
    /// the caller must normalize first (e.g. trim, upper-case an ID-card `x`),
    /// because any byte difference gives an unrelated index.
    #[must_use]
    pub fn index(&self, normalized_value: &str) -> BlindIndex {
        BlindIndex(self.mac.of(&[normalized_value.as_bytes()]))
    }

    /// `HMAC-SM3(key, parts[0] || parts[1] || …)` over raw bytes, for values that are not text
    /// (file contents). The caller puts a fixed domain prefix first (e.g. `b"file:"`), so that
    /// an index of one kind of value never equals an index of another kind.
    #[must_use]
    pub fn index_parts(&self, parts: &[&[u8]]) -> BlindIndex {
        BlindIndex(self.mac.of(parts))
    }

    /// The key file text: `yijianshi-blind-index-key v1`, `key=<64 lowercase hex>`,
    /// one per line, ending with a newline. The text contains the key: store it as a secret.
    #[must_use]
    pub fn to_key_file_string(&self) -> String {
        format!("{BLIND_INDEX_KEY_HEADER}\nkey={}\n", hex::encode(self.key))
    }

    /// Parses the text written by [`to_key_file_string`](Self::to_key_file_string),
    /// with the same leniency as [`DataKey::parse_key_file`](crate::DataKey::parse_key_file).
    ///
    /// # Errors
    ///
    /// [`KeyFileError`] if the header is not the first line, the `key` field is
    /// missing or repeated, another field or a malformed line is present, or the
    /// key is not 64 hex digits.
    pub fn parse_key_file(text: &str) -> Result<Self, KeyFileError> {
        let [key] = parse_fields(text, BLIND_INDEX_KEY_HEADER, &["key"])?;
        Ok(Self::from_array(decode_key::<32>(key)?))
    }
}

impl fmt::Debug for BlindIndexKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlindIndexKey")
            .field("key", &"<redacted>")
            .finish()
    }
}

/// A 32-byte blind index value (not secret: it is what gets stored and compared).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BlindIndex([u8; 32]);

impl BlindIndex {
    /// 64 lowercase hex characters.
    #[must_use]
    pub fn to_hex(&self) -> String {
        crate::to_hex(&self.0)
    }

    /// The raw 32 bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for BlindIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlindIndex({})", self.to_hex())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hmac_sm3;

    #[test]
    fn index_is_hmac_sm3_of_the_utf8_value() {
        let key = BlindIndexKey::from_bytes(&[0x11; 32]).unwrap();
        let value = "32130219800101123X";
        assert_eq!(
            key.index(value).as_bytes(),
            &hmac_sm3(&[0x11; 32], value.as_bytes())
        );
        assert_eq!(
            key.index(value).to_hex(),
            hex::encode(key.index(value).as_bytes())
        );
        assert_eq!(
            key.index("张三").as_bytes(),
            &hmac_sm3(&[0x11; 32], "张三".as_bytes())
        );
    }

    #[test]
    fn index_parts_is_hmac_sm3_of_the_concatenation() {
        let key = BlindIndexKey::from_bytes(&[0x11; 32]).unwrap();
        let data: Vec<u8> = (0u8..=255).cycle().take(1000).collect();
        assert_eq!(
            key.index_parts(&[b"file:", &data]).as_bytes(),
            &hmac_sm3(&[0x11; 32], &[b"file:".as_slice(), &data].concat())
        );
        assert_eq!(key.index_parts(&[b"id:", b"x"]), key.index("id:x"));
        assert_eq!(key.index_parts(&[]), key.index(""));
        assert_ne!(key.index_parts(&[b"file:", b"x"]), key.index("id:x"));
    }

    #[test]
    fn index_is_deterministic_and_key_dependent() {
        let a = BlindIndexKey::generate();
        let b = BlindIndexKey::generate();
        assert_eq!(a.index("v"), a.index("v"));
        assert_ne!(a.index("v"), a.index("w"));
        assert_ne!(a.index("v"), b.index("v"));
    }

    #[test]
    fn from_bytes_requires_32_bytes() {
        for len in [0, 16, 31, 33] {
            assert_eq!(
                BlindIndexKey::from_bytes(&vec![0; len]).unwrap_err(),
                InvalidKeyLength {
                    expected: 32,
                    actual: len
                }
            );
        }
    }

    #[test]
    fn key_file_round_trip_and_exact_format() {
        let key = BlindIndexKey::from_bytes(&[0xa5; 32]).unwrap();
        let text = key.to_key_file_string();
        assert_eq!(
            text,
            format!("yijianshi-blind-index-key v1\nkey={}\n", "a5".repeat(32))
        );
        let parsed = BlindIndexKey::parse_key_file(&text).unwrap();
        assert_eq!(parsed.index("x"), key.index("x"));

        let generated = BlindIndexKey::generate();
        let parsed = BlindIndexKey::parse_key_file(&generated.to_key_file_string()).unwrap();
        assert_eq!(parsed.key, generated.key);
    }

    #[test]
    fn key_file_errors() {
        let header_err = KeyFileError::BadHeader {
            expected: BLIND_INDEX_KEY_HEADER,
        };
        let good = format!("key={}", "00".repeat(32));
        assert_eq!(
            BlindIndexKey::parse_key_file(&format!("yijianshi-sm4-key v1\n{good}\n")).unwrap_err(),
            header_err
        );
        assert_eq!(
            BlindIndexKey::parse_key_file("yijianshi-blind-index-key v1\n").unwrap_err(),
            KeyFileError::MissingField("key")
        );
        assert_eq!(
            BlindIndexKey::parse_key_file(&format!("yijianshi-blind-index-key v1\nid=a\n{good}\n"))
                .unwrap_err(),
            KeyFileError::UnknownField(2)
        );
        assert_eq!(
            BlindIndexKey::parse_key_file(&format!(
                "yijianshi-blind-index-key v1\nkey={}\n",
                "00".repeat(16)
            ))
            .unwrap_err(),
            KeyFileError::InvalidLength(InvalidKeyLength {
                expected: 32,
                actual: 16
            })
        );
    }

    #[test]
    fn debug_does_not_show_key_bytes() {
        let key = BlindIndexKey::from_bytes(&[0xcd; 32]).unwrap();
        let shown = format!("{key:?} {key:#?}");
        assert!(shown.contains("redacted"));
        assert!(!shown.to_lowercase().contains("cdcd"), "{shown}");
        assert!(!shown.contains("205"), "{shown}");
    }
}

//! Key identifiers, SM4 data keys and their text key files.

use crate::random;
use std::fmt;
use std::str::FromStr;

/// Maximum length of a [`KeyId`] in bytes (it must fit the envelope's one-byte length).
const KEY_ID_MAX_LEN: usize = 32;

/// Name of a key: 1–32 characters of `[A-Za-z0-9_.-]`. Not secret.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyId(String);

/// Why a string is not a valid [`KeyId`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyIdError {
    /// The id is empty.
    #[error("key id is empty")]
    Empty,
    /// The id is longer than 32 characters.
    #[error("key id is {0} characters long; at most 32 are allowed")]
    TooLong(usize),
    /// The id contains a character outside `[A-Za-z0-9_.-]`.
    #[error("key id may contain only A-Z, a-z, 0-9, '_', '.' and '-'")]
    InvalidCharacter,
}

impl KeyId {
    /// Validates `id`.
    ///
    /// # Errors
    ///
    /// [`KeyIdError`] if `id` is empty, longer than 32 characters, or contains
    /// a character outside `[A-Za-z0-9_.-]`.
    pub fn new(id: &str) -> Result<Self, KeyIdError> {
        Self::validate(id.as_bytes())?;
        Ok(Self(id.to_owned()))
    }

    /// Validates raw bytes (as stored in an envelope).
    pub(crate) fn from_ascii(bytes: &[u8]) -> Result<Self, KeyIdError> {
        Self::validate(bytes)?;
        // Validation admits ASCII only, so this is lossless.
        Ok(Self(bytes.iter().map(|&b| char::from(b)).collect()))
    }

    fn validate(bytes: &[u8]) -> Result<(), KeyIdError> {
        if bytes.is_empty() {
            return Err(KeyIdError::Empty);
        }
        if !bytes
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
        {
            return Err(KeyIdError::InvalidCharacter);
        }
        if bytes.len() > KEY_ID_MAX_LEN {
            return Err(KeyIdError::TooLong(bytes.len()));
        }
        Ok(())
    }

    /// The id as a string.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for KeyId {
    type Err = KeyIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl TryFrom<&str> for KeyId {
    type Error = KeyIdError;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Self::new(s)
    }
}

impl AsRef<str> for KeyId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({:?})", self.0)
    }
}

/// Key bytes of the wrong length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("key must be {expected} bytes, got {actual}")]
pub struct InvalidKeyLength {
    /// Required length in bytes.
    pub expected: usize,
    /// Length supplied.
    pub actual: usize,
}

pub(crate) fn key_array<const N: usize>(bytes: &[u8]) -> Result<[u8; N], InvalidKeyLength> {
    bytes.try_into().map_err(|_| InvalidKeyLength {
        expected: N,
        actual: bytes.len(),
    })
}

/// A named 128-bit SM4 key for [`Keyring`](crate::Keyring) envelopes.
#[derive(Clone)]
pub struct DataKey {
    id: KeyId,
    key: [u8; 16],
}

/// First line of a [`DataKey`] key file.
pub(crate) const DATA_KEY_HEADER: &str = "yijianshi-sm4-key v1";

impl DataKey {
    /// A fresh key from the operating system RNG.
    ///
    /// # Panics
    ///
    /// If the operating system RNG fails (see the crate docs).
    #[must_use]
    pub fn generate(id: KeyId) -> Self {
        Self {
            id,
            key: random::random_bytes(),
        }
    }

    /// A key from existing bytes.
    ///
    /// # Errors
    ///
    /// [`InvalidKeyLength`] unless `key` is exactly 16 bytes.
    pub fn from_bytes(id: KeyId, key: &[u8]) -> Result<Self, InvalidKeyLength> {
        Ok(Self {
            id,
            key: key_array(key)?,
        })
    }

    /// The key's id.
    #[must_use]
    pub fn id(&self) -> &KeyId {
        &self.id
    }

    pub(crate) fn bytes(&self) -> &[u8; 16] {
        &self.key
    }

    /// The key file text: `yijianshi-sm4-key v1`, `id=<id>`, `key=<32 lowercase hex>`,
    /// one per line, ending with a newline. The text contains the key: store it as a secret.
    #[must_use]
    pub fn to_key_file_string(&self) -> String {
        format!(
            "{DATA_KEY_HEADER}\nid={}\nkey={}\n",
            self.id,
            hex::encode(self.key)
        )
    }

    /// Parses the text written by [`to_key_file_string`](Self::to_key_file_string).
    ///
    /// Blank lines, lines starting with `#`, surrounding whitespace and CRLF line
    /// ends are ignored; hex may be upper or lower case. Errors never quote key material.
    ///
    /// # Errors
    ///
    /// [`KeyFileError`] if the header is not the first line, a field is missing,
    /// repeated or unknown, a line is not `name=value`, the id is invalid, or the
    /// key is not 32 hex digits.
    pub fn parse_key_file(text: &str) -> Result<Self, KeyFileError> {
        let fields = parse_fields(text, DATA_KEY_HEADER, &["id", "key"])?;
        let id = KeyId::new(fields[0]).map_err(KeyFileError::InvalidId)?;
        let key = decode_key::<16>(fields[1])?;
        Ok(Self { id, key })
    }
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DataKey")
            .field("id", &self.id)
            .field("key", &"<redacted>")
            .finish()
    }
}

/// Why a key file could not be parsed. Never contains key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyFileError {
    /// The first non-comment line is not the expected header.
    #[error("key file must start with the line `{expected}`")]
    BadHeader {
        /// The header this key type requires.
        expected: &'static str,
    },
    /// A line (1-based number) is not of the form `name=value`.
    #[error("key file line {0} is not of the form name=value")]
    MalformedLine(usize),
    /// A line (1-based number) names a field this format does not define.
    #[error("key file line {0} has an unknown field name")]
    UnknownField(usize),
    /// A field given more than once.
    #[error("key file has field `{0}` more than once")]
    DuplicateField(&'static str),
    /// A required field is absent.
    #[error("key file lacks field `{0}`")]
    MissingField(&'static str),
    /// The `id` field is not a valid [`KeyId`].
    #[error("key file has an invalid id: {0}")]
    InvalidId(KeyIdError),
    /// The `key` field is not hex.
    #[error("key file `key` is not hexadecimal")]
    InvalidHex,
    /// The `key` field decodes to the wrong number of bytes.
    #[error("key file `key` has the wrong length: {0}")]
    InvalidLength(InvalidKeyLength),
}

/// Parses a key file: header line, then exactly the fields in `names`
/// (any order). Returns the values in the order of `names`.
pub(crate) fn parse_fields<'a, const N: usize>(
    text: &'a str,
    header: &'static str,
    names: &[&'static str; N],
) -> Result<[&'a str; N], KeyFileError> {
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line.trim()))
        .filter(|(_, line)| !line.is_empty() && !line.starts_with('#'));
    match lines.next() {
        Some((_, line)) if line == header => {}
        _ => return Err(KeyFileError::BadHeader { expected: header }),
    }
    let mut values: [Option<&str>; N] = [None; N];
    for (number, line) in lines {
        let (name, value) = line
            .split_once('=')
            .ok_or(KeyFileError::MalformedLine(number))?;
        let (name, value) = (name.trim(), value.trim());
        let slot = names
            .iter()
            .position(|&known| known == name)
            .ok_or(KeyFileError::UnknownField(number))?;
        if values[slot].replace(value).is_some() {
            return Err(KeyFileError::DuplicateField(names[slot]));
        }
    }
    let mut out = [""; N];
    for (slot, value) in values.into_iter().enumerate() {
        out[slot] = value.ok_or(KeyFileError::MissingField(names[slot]))?;
    }
    Ok(out)
}

pub(crate) fn decode_key<const N: usize>(value: &str) -> Result<[u8; N], KeyFileError> {
    // `hex` errors name the offending character, which would leak key material.
    let bytes = hex::decode(value).map_err(|_| KeyFileError::InvalidHex)?;
    key_array(&bytes).map_err(KeyFileError::InvalidLength)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> KeyId {
        KeyId::new(s).unwrap()
    }

    #[test]
    fn key_id_accepts_allowed_characters_and_lengths() {
        for ok in ["a", "dk-2025.01_A", "Z9", &"x".repeat(32)] {
            assert_eq!(KeyId::new(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn key_id_rejects_bad_input() {
        assert_eq!(KeyId::new(""), Err(KeyIdError::Empty));
        assert_eq!(KeyId::new(&"x".repeat(33)), Err(KeyIdError::TooLong(33)));
        for bad in ["a b", "a/b", "a=b", "é", "键", "a\n", "a\0"] {
            assert_eq!(
                KeyId::new(bad),
                Err(KeyIdError::InvalidCharacter),
                "{bad:?}"
            );
        }
        assert_eq!(
            KeyId::from_ascii(&[0xff]),
            Err(KeyIdError::InvalidCharacter)
        );
        assert_eq!("k1".parse::<KeyId>(), Ok(id("k1")));
        assert_eq!(KeyId::try_from("k 1"), Err(KeyIdError::InvalidCharacter));
    }

    #[test]
    fn data_key_from_bytes_requires_16_bytes() {
        for len in [0, 15, 17, 32] {
            assert_eq!(
                DataKey::from_bytes(id("k"), &vec![0u8; len]).unwrap_err(),
                InvalidKeyLength {
                    expected: 16,
                    actual: len
                }
            );
        }
        let key = DataKey::from_bytes(id("k"), &[7u8; 16]).unwrap();
        assert_eq!(key.id(), &id("k"));
        assert_eq!(key.bytes(), &[7u8; 16]);
    }

    #[test]
    fn generated_keys_differ() {
        assert_ne!(
            DataKey::generate(id("a")).bytes(),
            DataKey::generate(id("a")).bytes()
        );
    }

    #[test]
    fn key_file_round_trip_and_exact_format() {
        let bytes: Vec<u8> = (0u8..16).collect();
        let key = DataKey::from_bytes(id("dk-1"), &bytes).unwrap();
        let text = key.to_key_file_string();
        assert_eq!(
            text,
            "yijianshi-sm4-key v1\nid=dk-1\nkey=000102030405060708090a0b0c0d0e0f\n"
        );
        let parsed = DataKey::parse_key_file(&text).unwrap();
        assert_eq!(parsed.id(), key.id());
        assert_eq!(parsed.bytes(), key.bytes());

        let generated = DataKey::generate(id("g"));
        let parsed = DataKey::parse_key_file(&generated.to_key_file_string()).unwrap();
        assert_eq!(parsed.bytes(), generated.bytes());
    }

    #[test]
    fn key_file_tolerates_comments_crlf_order_and_case() {
        let text = "# demo key\r\n\r\n yijianshi-sm4-key v1 \r\nkey = 000102030405060708090A0B0C0D0E0F\r\nid=dk-1\r\n";
        let parsed = DataKey::parse_key_file(text).unwrap();
        assert_eq!(parsed.id(), &id("dk-1"));
        assert_eq!(parsed.bytes().to_vec(), (0u8..16).collect::<Vec<_>>());
    }

    #[test]
    fn key_file_errors() {
        let good_key = "key=000102030405060708090a0b0c0d0e0f";
        let cases: Vec<(String, KeyFileError)> = vec![
            (
                String::new(),
                KeyFileError::BadHeader {
                    expected: DATA_KEY_HEADER,
                },
            ),
            (
                format!("yijianshi-sm4-key v2\nid=a\n{good_key}\n"),
                KeyFileError::BadHeader {
                    expected: DATA_KEY_HEADER,
                },
            ),
            (
                format!("yijianshi-blind-index-key v1\nid=a\n{good_key}\n"),
                KeyFileError::BadHeader {
                    expected: DATA_KEY_HEADER,
                },
            ),
            (
                format!("yijianshi-sm4-key v1\n{good_key}\n"),
                KeyFileError::MissingField("id"),
            ),
            (
                "yijianshi-sm4-key v1\nid=a\n".to_owned(),
                KeyFileError::MissingField("key"),
            ),
            (
                format!("yijianshi-sm4-key v1\nid=a\nid=b\n{good_key}\n"),
                KeyFileError::DuplicateField("id"),
            ),
            (
                format!("yijianshi-sm4-key v1\nid=a\n{good_key}\nalg=sm4\n"),
                KeyFileError::UnknownField(4),
            ),
            (
                format!("yijianshi-sm4-key v1\nid=a\n{good_key}\ngarbage\n"),
                KeyFileError::MalformedLine(4),
            ),
            (
                format!("yijianshi-sm4-key v1\nid=a b\n{good_key}\n"),
                KeyFileError::InvalidId(KeyIdError::InvalidCharacter),
            ),
            (
                format!("yijianshi-sm4-key v1\nid=\n{good_key}\n"),
                KeyFileError::InvalidId(KeyIdError::Empty),
            ),
            (
                "yijianshi-sm4-key v1\nid=a\nkey=000102030405060708090a0b0c0d0e0g\n".to_owned(),
                KeyFileError::InvalidHex,
            ),
            (
                "yijianshi-sm4-key v1\nid=a\nkey=0001020\n".to_owned(),
                KeyFileError::InvalidHex,
            ),
            (
                "yijianshi-sm4-key v1\nid=a\nkey=00010203\n".to_owned(),
                KeyFileError::InvalidLength(InvalidKeyLength {
                    expected: 16,
                    actual: 4,
                }),
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(
                DataKey::parse_key_file(&text).unwrap_err(),
                expected,
                "{text:?}"
            );
        }
    }

    #[test]
    fn key_file_error_messages_do_not_quote_the_key() {
        let err = DataKey::parse_key_file(
            "yijianshi-sm4-key v1\nid=a\nkey=5ec2e75ec2e75ec2e75ec2e75ec2e7zz\n",
        )
        .unwrap_err();
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains("5ec2e7"), "{shown}");
        assert!(!shown.contains('z'), "{shown}");
    }

    #[test]
    fn debug_does_not_show_key_bytes() {
        let key = DataKey::from_bytes(id("dk-1"), &[0xab; 16]).unwrap();
        let shown = format!("{key:?} {key:#?}");
        assert!(shown.contains("dk-1"));
        assert!(shown.contains("redacted"));
        assert!(!shown.to_lowercase().contains("abab"), "{shown}");
        assert!(!shown.contains("171"), "{shown}");
    }
}

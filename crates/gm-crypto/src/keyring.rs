//! SM4-GCM envelopes under a set of named keys.
//!
//! Envelope layout (version 1):
//!
//! | bytes  | content                                  |
//! |--------|------------------------------------------|
//! | 1      | version, `0x01`                          |
//! | 1      | key id length `L` (1–32)                 |
//! | `L`    | key id, ASCII                            |
//! | 12     | random nonce                             |
//! | n + 16 | SM4-GCM ciphertext, then the 16-byte tag |
//!
//! The GCM associated data is exactly the caller's `aad`; the header is not
//! authenticated (as in Tink), but a changed key id or nonce fails the tag check.

use crate::key::{DataKey, KeyId, KeyIdError};
use crate::random;
use aes_gcm::aead::consts::U12;
use aes_gcm::aead::{Aead as _, KeyInit as _, Payload};
use aes_gcm::{AesGcm, Nonce};
use std::fmt;

/// SM4 in GCM mode with a 96-bit nonce and a 128-bit tag (RFC 8998).
pub(crate) type Sm4Gcm = AesGcm<sm4::Sm4, U12>;

const VERSION: u8 = 0x01;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// Why an envelope could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    /// Too short for its header, nonce and tag.
    #[error("envelope is truncated")]
    Truncated,
    /// The version byte is not `0x01`.
    #[error("envelope has unknown version {0:#04x}")]
    UnknownVersion(u8),
    /// The stored key id is not a valid [`KeyId`].
    #[error("envelope has a malformed key id: {0}")]
    MalformedKeyId(KeyIdError),
    /// The keyring has no key with the stored id.
    #[error("envelope was sealed under unknown key `{0}`")]
    UnknownKey(KeyId),
    /// Tag mismatch: wrong key bytes, wrong `aad`, or tampered envelope.
    #[error("envelope failed authentication")]
    Authentication,
}

/// A key id already present in the [`Keyring`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("keyring already has a key with id `{0}`")]
pub struct DuplicateKeyId(pub KeyId);

struct Entry {
    key: DataKey,
    cipher: Sm4Gcm,
}

impl Entry {
    fn new(key: DataKey) -> Self {
        let cipher = Sm4Gcm::new(key.bytes().into());
        Self { key, cipher }
    }
}

/// The current [`DataKey`], which seals, plus retired keys, which only open.
pub struct Keyring {
    current: Entry,
    /// Ids are unique across `current` and `retired`.
    retired: Vec<Entry>,
}

/// Parsed view of an envelope.
struct Envelope<'a> {
    key_id: KeyId,
    nonce: &'a [u8; NONCE_LEN],
    ciphertext_and_tag: &'a [u8],
}

fn parse(envelope: &[u8]) -> Result<Envelope<'_>, OpenError> {
    let (&version, rest) = envelope.split_first().ok_or(OpenError::Truncated)?;
    if version != VERSION {
        return Err(OpenError::UnknownVersion(version));
    }
    let (&id_len, rest) = rest.split_first().ok_or(OpenError::Truncated)?;
    let (id, rest) = rest
        .split_at_checked(usize::from(id_len))
        .ok_or(OpenError::Truncated)?;
    let key_id = KeyId::from_ascii(id).map_err(OpenError::MalformedKeyId)?;
    let (nonce, ciphertext_and_tag) = rest
        .split_first_chunk::<NONCE_LEN>()
        .ok_or(OpenError::Truncated)?;
    if ciphertext_and_tag.len() < TAG_LEN {
        return Err(OpenError::Truncated);
    }
    Ok(Envelope {
        key_id,
        nonce,
        ciphertext_and_tag,
    })
}

/// The id of the key an envelope was sealed under, without decrypting it
/// (e.g. to find values still sealed under a retired key).
///
/// # Errors
///
/// [`OpenError::Truncated`], [`OpenError::UnknownVersion`] or
/// [`OpenError::MalformedKeyId`] if the envelope is not well formed.
pub fn envelope_key_id(envelope: &[u8]) -> Result<KeyId, OpenError> {
    parse(envelope).map(|parsed| parsed.key_id)
}

impl Keyring {
    /// A keyring that seals under `current`.
    #[must_use]
    pub fn new(current: DataKey) -> Self {
        Self {
            current: Entry::new(current),
            retired: Vec::new(),
        }
    }

    /// Adds a key that [`open`](Self::open) accepts but [`seal`](Self::seal) never uses.
    ///
    /// # Errors
    ///
    /// [`DuplicateKeyId`] if a key with the same id is already present (current or retired).
    pub fn add_retired(&mut self, key: DataKey) -> Result<(), DuplicateKeyId> {
        if self.find(key.id()).is_some() {
            return Err(DuplicateKeyId(key.id().clone()));
        }
        self.retired.push(Entry::new(key));
        Ok(())
    }

    /// Id of the key [`seal`](Self::seal) uses.
    #[must_use]
    pub fn current_id(&self) -> &KeyId {
        self.current.key.id()
    }

    /// Whether a key with this id (current or retired) is present.
    #[must_use]
    pub fn contains(&self, id: &KeyId) -> bool {
        self.find(id).is_some()
    }

    fn find(&self, id: &KeyId) -> Option<&Entry> {
        std::iter::once(&self.current)
            .chain(&self.retired)
            .find(|entry| entry.key.id() == id)
    }

    /// Encrypts `plaintext` under the current key with a fresh random nonce (from a CSPRNG seeded
    /// by the operating system),
    /// authenticating `aad` too (pass the same `aad` to [`open`](Self::open);
    /// e.g. table, column and row id, so envelopes cannot be swapped between cells).
    ///
    /// Random 96-bit nonces are safe for up to 2³² seals per key; rotate keys
    /// well before that.
    ///
    /// # Panics
    ///
    /// If the operating system RNG fails to seed the CSPRNG (see the crate docs), or if `plaintext`
    /// exceeds the GCM limit of 2³⁶ − 32 bytes (64 GiB).
    #[must_use]
    pub fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Vec<u8> {
        let nonce = random::nonce::<NONCE_LEN>();
        self.seal_with_nonce(&nonce, plaintext, aad)
    }

    fn seal_with_nonce(&self, nonce: &[u8; NONCE_LEN], plaintext: &[u8], aad: &[u8]) -> Vec<u8> {
        let current = &self.current;
        let id = current.key.id().as_str().as_bytes();
        let Ok(ciphertext) = current.cipher.encrypt(
            &Nonce::<U12>::from(*nonce),
            Payload {
                msg: plaintext,
                aad,
            },
        ) else {
            panic!("plaintext exceeds the SM4-GCM length limit");
        };
        let id_len =
            u8::try_from(id.len()).unwrap_or_else(|_| unreachable!("KeyId is at most 32 bytes"));
        let mut out = Vec::with_capacity(2 + id.len() + NONCE_LEN + ciphertext.len());
        out.push(VERSION);
        out.push(id_len);
        out.extend_from_slice(id);
        out.extend_from_slice(nonce);
        out.extend_from_slice(&ciphertext);
        out
    }

    /// Decrypts an envelope from [`seal`](Self::seal), using the key named in it
    /// (so envelopes sealed under a retired key still open).
    ///
    /// # Errors
    ///
    /// [`OpenError`]: malformed envelope, unknown key id, or
    /// [`OpenError::Authentication`] for a wrong key, wrong `aad` or tampering.
    pub fn open(&self, envelope: &[u8], aad: &[u8]) -> Result<Vec<u8>, OpenError> {
        let parsed = parse(envelope)?;
        let entry = self
            .find(&parsed.key_id)
            .ok_or_else(|| OpenError::UnknownKey(parsed.key_id.clone()))?;
        entry
            .cipher
            .decrypt(
                &Nonce::<U12>::from(*parsed.nonce),
                Payload {
                    msg: parsed.ciphertext_and_tag,
                    aad,
                },
            )
            .map_err(|_| OpenError::Authentication)
    }
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("current", self.current_id())
            .field(
                "retired",
                &self
                    .retired
                    .iter()
                    .map(|entry| entry.key.id())
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: &str, byte: u8) -> DataKey {
        DataKey::from_bytes(KeyId::new(id).unwrap(), &[byte; 16]).unwrap()
    }

    #[test]
    fn round_trip_including_empty_values() {
        let ring = Keyring::new(DataKey::generate(KeyId::new("k1").unwrap()));
        for plaintext in [
            &b""[..],
            b"x",
            "残疾人证 32130219800101123X".as_bytes(),
            &[0u8; 1000],
        ] {
            for aad in [&b""[..], b"person.id_number:42"] {
                let sealed = ring.seal(plaintext, aad);
                assert_eq!(ring.open(&sealed, aad).unwrap(), plaintext);
            }
        }
    }

    /// RFC 8998 Appendix A.1 through the sealing path (fixed nonce).
    #[test]
    fn seal_matches_rfc8998_sm4_gcm_vector() {
        let unhex = |s: &str| hex::decode(s).unwrap();
        let ring = Keyring::new(
            DataKey::from_bytes(
                KeyId::new("r").unwrap(),
                &unhex("0123456789ABCDEFFEDCBA9876543210"),
            )
            .unwrap(),
        );
        let nonce: [u8; 12] = unhex("00001234567800000000ABCD").try_into().unwrap();
        let plaintext = unhex(
            "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD\
             EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA",
        );
        let aad = unhex("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2");
        let sealed = ring.seal_with_nonce(&nonce, &plaintext, &aad);
        assert_eq!(&sealed[..3], b"\x01\x01r");
        assert_eq!(sealed[3..15], nonce);
        assert_eq!(
            hex::encode_upper(&sealed[15..]),
            "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735\
             D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D\
             83DE3541E4C2B58177E065A9BF7B62EC"
        );
        assert_eq!(ring.open(&sealed, &aad).unwrap(), plaintext);
    }

    #[test]
    fn envelope_layout() {
        let ring = Keyring::new(key("dk-1", 1));
        let nonce = [9u8; 12];
        let sealed = ring.seal_with_nonce(&nonce, b"hello", b"aad");
        assert_eq!(sealed[0], 0x01);
        assert_eq!(sealed[1], 4);
        assert_eq!(&sealed[2..6], b"dk-1");
        assert_eq!(&sealed[6..18], &nonce);
        assert_eq!(sealed.len(), 18 + 5 + 16);
        assert_eq!(ring.seal(b"hello", b"aad").len(), sealed.len());
        assert_eq!(envelope_key_id(&sealed).unwrap().as_str(), "dk-1");
        assert_eq!(ring.open(&sealed, b"aad").unwrap(), b"hello");
    }

    #[test]
    fn parse_errors() {
        let ring = Keyring::new(key("k", 1));
        let sealed = ring.seal(b"v", b"");
        // 1 + 1 + "k" + nonce + 1-byte ciphertext + tag.
        assert_eq!(sealed.len(), 32);
        // Shorter than header + nonce + tag: truncated.
        for len in 0..31 {
            assert_eq!(
                ring.open(&sealed[..len], b""),
                Err(OpenError::Truncated),
                "prefix of length {len}"
            );
        }
        // Long enough to parse, but the "tag" is now the wrong bytes.
        assert_eq!(
            ring.open(&sealed[..31], b""),
            Err(OpenError::Authentication)
        );
        // Shortest well-formed envelope: empty plaintext, just the tag.
        assert_eq!(ring.seal(b"", b"").len(), 2 + 1 + 12 + 16);

        let mut bad_version = sealed.clone();
        bad_version[0] = 0x02;
        assert_eq!(
            ring.open(&bad_version, b""),
            Err(OpenError::UnknownVersion(2))
        );
        assert_eq!(
            envelope_key_id(&bad_version),
            Err(OpenError::UnknownVersion(2))
        );

        let mut zero_len_id = sealed.clone();
        zero_len_id[1] = 0;
        assert_eq!(
            ring.open(&zero_len_id, b""),
            Err(OpenError::MalformedKeyId(KeyIdError::Empty))
        );
        let mut bad_id_char = sealed.clone();
        bad_id_char[2] = b'/';
        assert_eq!(
            envelope_key_id(&bad_id_char),
            Err(OpenError::MalformedKeyId(KeyIdError::InvalidCharacter))
        );
        let mut long_id = vec![0x01, 40];
        long_id.extend_from_slice(&[b'a'; 40]);
        long_id.extend_from_slice(&[0; 28]);
        assert_eq!(
            envelope_key_id(&long_id),
            Err(OpenError::MalformedKeyId(KeyIdError::TooLong(40)))
        );
        // Length byte pointing past the end.
        assert_eq!(
            envelope_key_id(&[0x01, 32, b'a']),
            Err(OpenError::Truncated)
        );
    }

    #[test]
    fn duplicate_ids_are_rejected() {
        let mut ring = Keyring::new(key("a", 1));
        assert_eq!(
            ring.add_retired(key("a", 2)),
            Err(DuplicateKeyId(KeyId::new("a").unwrap()))
        );
        ring.add_retired(key("b", 2)).unwrap();
        assert_eq!(
            ring.add_retired(key("b", 3)),
            Err(DuplicateKeyId(KeyId::new("b").unwrap()))
        );
        assert!(ring.contains(&KeyId::new("b").unwrap()));
        assert!(!ring.contains(&KeyId::new("c").unwrap()));
        assert_eq!(ring.current_id().as_str(), "a");
    }

    #[test]
    fn keyring_can_be_shared_across_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Keyring>();
        assert_send_sync::<DataKey>();
    }

    #[test]
    fn debug_shows_ids_only() {
        let mut ring = Keyring::new(key("cur", 0xee));
        ring.add_retired(key("old", 0xef)).unwrap();
        let shown = format!("{ring:?}");
        assert_eq!(
            shown,
            r#"Keyring { current: KeyId("cur"), retired: [KeyId("old")] }"#
        );
    }
}

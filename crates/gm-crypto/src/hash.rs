//! SM3 (GB/T 32905-2016) and HMAC-SM3 (RFC 2104 over SM3).

use hmac::{KeyInit as _, Mac as _};
use sm3::{Digest as _, Sm3};
use std::fmt;

/// SM3 digest of `data`.
#[must_use]
pub fn sm3(data: &[u8]) -> [u8; 32] {
    Sm3::digest(data).into()
}

/// Incremental SM3: `update` in pieces, then `finalize`. Same result as [`sm3()`]
/// over the concatenated input.
#[derive(Clone, Default)]
pub struct Sm3Hasher {
    inner: Sm3,
}

impl Sm3Hasher {
    /// A hasher over the empty input.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends `data` to the hashed input.
    pub fn update(&mut self, data: &[u8]) {
        self.inner.update(data);
    }

    /// The SM3 digest of everything passed to [`update`](Self::update).
    #[must_use]
    pub fn finalize(self) -> [u8; 32] {
        self.inner.finalize().into()
    }
}

impl fmt::Debug for Sm3Hasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sm3Hasher").finish_non_exhaustive()
    }
}

/// HMAC-SM3 of `data` under `key` (any key length; keys longer than the
/// 64-byte block are hashed first, as RFC 2104 specifies).
#[must_use]
pub fn hmac_sm3(key: &[u8], data: &[u8]) -> [u8; 32] {
    HmacSm3::new(key).of(&[data])
}

/// HMAC-SM3 keyed once: the key's inner and outer padded blocks are hashed when it is made, so
/// each MAC then hashes only the message and the outer block.
#[derive(Clone)]
pub(crate) struct HmacSm3(hmac::Hmac<Sm3>);

impl HmacSm3 {
    pub(crate) fn new(key: &[u8]) -> Self {
        Self(
            hmac::Hmac::<Sm3>::new_from_slice(key)
                .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length")),
        )
    }

    /// `HMAC-SM3(key, parts[0] || parts[1] || …)`.
    pub(crate) fn of(&self, parts: &[&[u8]]) -> [u8; 32] {
        let mut mac = self.0.clone();
        for part in parts {
            mac.update(part);
        }
        mac.finalize().into_bytes().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 2104 written out by hand over [`sm3()`], independent of the `hmac` crate.
    fn reference_hmac_sm3(key: &[u8], data: &[u8]) -> [u8; 32] {
        const BLOCK: usize = 64;
        let mut block_key = [0u8; BLOCK];
        if key.len() > BLOCK {
            block_key[..32].copy_from_slice(&sm3(key));
        } else {
            block_key[..key.len()].copy_from_slice(key);
        }
        let mut inner = Vec::with_capacity(BLOCK + data.len());
        inner.extend(block_key.iter().map(|b| b ^ 0x36));
        inner.extend_from_slice(data);
        let inner_hash = sm3(&inner);
        let mut outer = Vec::with_capacity(BLOCK + 32);
        outer.extend(block_key.iter().map(|b| b ^ 0x5c));
        outer.extend_from_slice(&inner_hash);
        sm3(&outer)
    }

    #[test]
    fn sm3_of_empty_input() {
        // GmSSL / OpenSSL `sm3` of the empty string.
        assert_eq!(
            hex::encode(sm3(b"")),
            "1ab21d8355cfa17f8e61194831e81a8f22bec8c728fefb747ed035eb5082aa2b"
        );
    }

    #[test]
    fn streaming_matches_one_shot_at_every_split() {
        let data: Vec<u8> = (0u8..=200).collect();
        let expected = sm3(&data);
        for split in 0..=data.len() {
            let mut hasher = Sm3Hasher::new();
            hasher.update(&data[..split]);
            hasher.update(&data[split..]);
            assert_eq!(hasher.finalize(), expected, "split at {split}");
        }
    }

    #[test]
    fn hmac_matches_hand_rolled_rfc2104() {
        let data: Vec<u8> = (0u8..=255).cycle().take(300).collect();
        // Key lengths around the 64-byte block boundary, including the
        // hash-the-key-first path.
        for key_len in [0, 1, 16, 32, 63, 64, 65, 128, 200] {
            let key: Vec<u8> = (0..key_len).map(|i| (i * 7 + 3) as u8).collect();
            for data_len in [0, 1, 55, 56, 64, 119, 300] {
                assert_eq!(
                    hmac_sm3(&key, &data[..data_len]),
                    reference_hmac_sm3(&key, &data[..data_len]),
                    "key_len={key_len} data_len={data_len}"
                );
            }
        }
    }

    #[test]
    fn hmac_depends_on_key_and_data() {
        assert_ne!(hmac_sm3(b"k1", b"m"), hmac_sm3(b"k2", b"m"));
        assert_ne!(hmac_sm3(b"k", b"m1"), hmac_sm3(b"k", b"m2"));
        assert_ne!(hmac_sm3(b"k", b"m"), sm3(b"m"));
    }

    #[test]
    fn hasher_debug_is_opaque() {
        assert_eq!(format!("{:?}", Sm3Hasher::new()), "Sm3Hasher { .. }");
    }
}

//! Published test vectors and end-to-end behaviour through the public API.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

use gm_crypto::{
    BlindIndexKey, DataKey, KeyId, Keyring, OpenError, Sm3Hasher, envelope_key_id, hmac_sm3, sm3,
};

fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

fn id(s: &str) -> KeyId {
    KeyId::new(s).unwrap()
}

// ---------------------------------------------------------------- SM3

/// GB/T 32905-2016 Appendix A, examples 1 and 2.
const SM3_VECTORS: [(&str, &str); 2] = [
    (
        "abc",
        "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0",
    ),
    (
        "abcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcd",
        "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732",
    ),
];

#[test]
fn sm3_gbt_32905_vectors() {
    for (input, expected) in SM3_VECTORS {
        assert_eq!(hex::encode(sm3(input.as_bytes())), expected, "{input}");
    }
}

#[test]
fn sm3_streaming_gbt_32905_vectors() {
    for (input, expected) in SM3_VECTORS {
        let mut hasher = Sm3Hasher::new();
        for byte in input.as_bytes() {
            hasher.update(std::slice::from_ref(byte));
        }
        assert_eq!(hex::encode(hasher.finalize()), expected, "{input}");
    }
}

// ---------------------------------------------------------------- HMAC-SM3

/// GM/T 0042-2015 Appendix D.3 (also in OpenSSL's evpmac tests and Linux testmgr.h).
#[test]
fn hmac_sm3_gmt_0042_vectors() {
    let range_key = |n: u8| (1..=n).collect::<Vec<u8>>();
    let cases: [(Vec<u8>, Vec<u8>, &str); 4] = [
        (
            range_key(32),
            b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".repeat(2),
            "ca05e144ed05d1857840d1f318a4a8669e559fc8391f414485bfdf7bb408963a",
        ),
        (
            range_key(37),
            vec![0xcd; 50],
            "220bf579ded555393f0159f66c99877822a3ecf610d1552154b41d44b94db3ae",
        ),
        (
            vec![0x0b; 32],
            b"Hi There".to_vec(),
            "c0ba18c68b90c88bc07de794bfc7d2c8d19ec31ed8773bc2b390c9604e0be11e",
        ),
        (
            b"Jefe".to_vec(),
            b"what do ya want for nothing?".to_vec(),
            "2e87f1d16862e6d964b50a5200bf2b10b764faa9680a296a2405f24bec39f882",
        ),
    ];
    for (key, data, expected) in cases {
        assert_eq!(hex::encode(hmac_sm3(&key, &data)), expected);
    }
}

#[test]
fn blind_index_matches_hmac_sm3_vector() {
    let key = BlindIndexKey::from_bytes(&[0x0b; 32]).unwrap();
    assert_eq!(
        key.index("Hi There").to_hex(),
        "c0ba18c68b90c88bc07de794bfc7d2c8d19ec31ed8773bc2b390c9604e0be11e"
    );
}

// ---------------------------------------------------------------- SM4 block

/// GB/T 32907-2016 Appendix A, example 1, through the `sm4` crate this crate uses.
#[test]
fn sm4_gbt_32907_block_vector() {
    use sm4::cipher::{BlockCipherDecrypt as _, BlockCipherEncrypt as _, KeyInit as _};
    let key: [u8; 16] = unhex("0123456789abcdeffedcba9876543210")
        .try_into()
        .unwrap();
    let cipher = sm4::Sm4::new(&key.into());
    let mut block = key.into();
    cipher.encrypt_block(&mut block);
    assert_eq!(hex::encode(block), "681edf34d206965e86b3e94f536e4246");
    cipher.decrypt_block(&mut block);
    assert_eq!(block.as_slice(), key);
}

// ---------------------------------------------------------------- SM4-GCM

/// RFC 8998 Appendix A.1 (SM4-GCM).
struct Rfc8998;

impl Rfc8998 {
    const KEY: &str = "0123456789ABCDEFFEDCBA9876543210";
    const IV: &str = "00001234567800000000ABCD";
    const AAD: &str = "FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2";
    const PLAINTEXT: &str = "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD\
                             EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA";
    const CIPHERTEXT: &str = "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735\
                              D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D";
    const TAG: &str = "83DE3541E4C2B58177E065A9BF7B62EC";

    fn keyring() -> Keyring {
        Keyring::new(DataKey::from_bytes(id("rfc8998"), &unhex(Self::KEY)).unwrap())
    }

    /// The RFC's ciphertext wrapped in a version-1 envelope by hand.
    fn envelope() -> Vec<u8> {
        let mut envelope = vec![0x01, 7];
        envelope.extend_from_slice(b"rfc8998");
        envelope.extend(unhex(Self::IV));
        envelope.extend(unhex(Self::CIPHERTEXT));
        envelope.extend(unhex(Self::TAG));
        envelope
    }
}

#[test]
fn sm4_gcm_rfc8998_vector_opens_through_keyring() {
    let ring = Rfc8998::keyring();
    let envelope = Rfc8998::envelope();
    assert_eq!(envelope_key_id(&envelope).unwrap(), id("rfc8998"));
    assert_eq!(
        ring.open(&envelope, &unhex(Rfc8998::AAD)).unwrap(),
        unhex(Rfc8998::PLAINTEXT)
    );
}

#[test]
fn sm4_gcm_rfc8998_vector_rejects_every_flipped_bit_after_the_header() {
    let ring = Rfc8998::keyring();
    let aad = unhex(Rfc8998::AAD);
    let envelope = Rfc8998::envelope();
    let header_len = 2 + 7;
    for index in header_len..envelope.len() {
        for bit in 0..8 {
            let mut damaged = envelope.clone();
            damaged[index] ^= 1 << bit;
            assert_eq!(
                ring.open(&damaged, &aad),
                Err(OpenError::Authentication),
                "byte {index} bit {bit}"
            );
        }
    }
}

#[test]
fn sm4_gcm_rfc8998_vector_rejects_wrong_aad() {
    let ring = Rfc8998::keyring();
    let envelope = Rfc8998::envelope();
    let mut aad = unhex(Rfc8998::AAD);
    aad[0] ^= 1;
    assert_eq!(ring.open(&envelope, &aad), Err(OpenError::Authentication));
    assert_eq!(ring.open(&envelope, b""), Err(OpenError::Authentication));
    let mut longer = unhex(Rfc8998::AAD);
    longer.push(0);
    assert_eq!(
        ring.open(&envelope, &longer),
        Err(OpenError::Authentication)
    );
}

// ---------------------------------------------------------------- keyring behaviour

#[test]
fn seal_open_round_trip() {
    let ring = Keyring::new(DataKey::generate(id("k1")));
    let sealed = ring.seal("张三 32130219800101123X".as_bytes(), b"person:1:name");
    assert_eq!(
        ring.open(&sealed, b"person:1:name").unwrap(),
        "张三 32130219800101123X".as_bytes()
    );
    assert_eq!(envelope_key_id(&sealed).unwrap(), id("k1"));
}

#[test]
fn seals_of_the_same_plaintext_differ() {
    let ring = Keyring::new(DataKey::generate(id("k1")));
    let a = ring.seal(b"same", b"aad");
    let b = ring.seal(b"same", b"aad");
    assert_ne!(a, b);
    // Different nonces (bytes 4..16 after the 1+1+2 header).
    assert_ne!(a[4..16], b[4..16]);
    assert_eq!(
        ring.open(&a, b"aad").unwrap(),
        ring.open(&b, b"aad").unwrap()
    );
}

#[test]
fn wrong_key_with_the_same_id_fails_authentication() {
    let sealer = Keyring::new(DataKey::generate(id("k1")));
    let other = Keyring::new(DataKey::generate(id("k1")));
    let sealed = sealer.seal(b"secret", b"");
    assert_eq!(other.open(&sealed, b""), Err(OpenError::Authentication));
}

#[test]
fn wrong_aad_fails_authentication() {
    let ring = Keyring::new(DataKey::generate(id("k1")));
    let sealed = ring.seal(b"secret", b"person:1:name");
    assert_eq!(
        ring.open(&sealed, b"person:2:name"),
        Err(OpenError::Authentication)
    );
    assert_eq!(ring.open(&sealed, b""), Err(OpenError::Authentication));
}

#[test]
fn tampered_envelope_fails() {
    let ring = Keyring::new(DataKey::generate(id("k1")));
    let sealed = ring.seal(b"secret value", b"aad");
    // Layout: 0x01, 2, "k1", nonce (12), ciphertext (12), tag (16).
    assert_eq!(sealed.len(), 4 + 12 + 12 + 16);
    for index in 0..sealed.len() {
        let mut damaged = sealed.clone();
        damaged[index] ^= 0x01;
        let result = ring.open(&damaged, b"aad");
        match index {
            0 => assert_eq!(result, Err(OpenError::UnknownVersion(0x00))),
            // Id length 3 takes the first (random) nonce byte into the id.
            1 => assert!(
                matches!(
                    result,
                    Err(OpenError::UnknownKey(_) | OpenError::MalformedKeyId(_))
                ),
                "{result:?}"
            ),
            2 => assert_eq!(result, Err(OpenError::UnknownKey(id("j1")))),
            3 => assert_eq!(result, Err(OpenError::UnknownKey(id("k0")))),
            _ => assert_eq!(result, Err(OpenError::Authentication), "byte {index}"),
        }
    }
}

#[test]
fn rotation_keeps_old_envelopes_readable() {
    let key_a = DataKey::generate(id("key-a"));
    let key_b = DataKey::generate(id("key-b"));

    let ring_a = Keyring::new(key_a.clone());
    let sealed_under_a = ring_a.seal(b"old value", b"row:1");

    let mut ring_b = Keyring::new(key_b);
    assert_eq!(
        ring_b.open(&sealed_under_a, b"row:1"),
        Err(OpenError::UnknownKey(id("key-a")))
    );
    ring_b.add_retired(key_a).unwrap();
    assert_eq!(ring_b.current_id(), &id("key-b"));
    assert_eq!(
        ring_b.open(&sealed_under_a, b"row:1").unwrap(),
        b"old value"
    );

    // New seals use the current key; the old envelope is identifiable for re-encryption.
    let resealed = ring_b.seal(b"old value", b"row:1");
    assert_eq!(envelope_key_id(&resealed).unwrap(), id("key-b"));
    assert_eq!(envelope_key_id(&sealed_under_a).unwrap(), id("key-a"));
    assert_eq!(
        ring_a.open(&resealed, b"row:1"),
        Err(OpenError::UnknownKey(id("key-b")))
    );
}

#[test]
fn malformed_envelopes_are_typed_errors() {
    let ring = Keyring::new(DataKey::generate(id("k1")));
    assert_eq!(ring.open(b"", b""), Err(OpenError::Truncated));
    assert_eq!(ring.open(&[0x01], b""), Err(OpenError::Truncated));
    assert_eq!(
        ring.open(&[0x02, 2, b'k', b'1'], b""),
        Err(OpenError::UnknownVersion(2))
    );
    let sealed = ring.seal(b"", b"");
    assert_eq!(
        ring.open(&sealed[..sealed.len() - 1], b""),
        Err(OpenError::Truncated)
    );
    assert_eq!(envelope_key_id(&sealed[..3]), Err(OpenError::Truncated));
    assert_eq!(envelope_key_id(b"\x01\x02k1"), Err(OpenError::Truncated));
}

// ---------------------------------------------------------------- key files and Debug

#[test]
fn key_files_round_trip_and_keep_working() {
    let key = DataKey::generate(id("demo-2025"));
    let text = key.to_key_file_string();
    assert!(text.starts_with("yijianshi-sm4-key v1\nid=demo-2025\nkey="));
    let sealed = Keyring::new(key).seal(b"v", b"");
    let reloaded = DataKey::parse_key_file(&text).unwrap();
    assert_eq!(Keyring::new(reloaded).open(&sealed, b"").unwrap(), b"v");

    let index_key = BlindIndexKey::generate();
    let reloaded = BlindIndexKey::parse_key_file(&index_key.to_key_file_string()).unwrap();
    assert_eq!(reloaded.index("v"), index_key.index("v"));
}

#[test]
fn debug_never_shows_key_material() {
    let bytes = unhex("0123456789abcdeffedcba9876543210");
    let key = DataKey::from_bytes(id("dk"), &bytes).unwrap();
    let index_key = BlindIndexKey::from_bytes(&[0x5a; 32]).unwrap();
    let mut ring = Keyring::new(key.clone());
    ring.add_retired(DataKey::from_bytes(id("old"), &[0x5a; 16]).unwrap())
        .unwrap();
    for shown in [
        format!("{key:?}"),
        format!("{key:#?}"),
        format!("{index_key:?}"),
        format!("{index_key:#?}"),
        format!("{ring:?}"),
        format!("{ring:#?}"),
    ] {
        let lower = shown.to_lowercase();
        assert!(!lower.contains("0123456789abcdef"), "{shown}");
        assert!(!lower.contains("5a5a"), "{shown}");
        assert!(!lower.contains("90"), "{shown}");
        assert!(!lower.contains("[1, 35"), "{shown}");
    }
}

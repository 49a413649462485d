use chrono::NaiveDate;
use proptest::prelude::*;

use super::*;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn id(s: &str) -> IdNumber {
    IdNumber::parse(s).unwrap()
}

// Check characters below were computed independently of this module.
#[test]
fn parse_table() {
    use IdNumberError as E;
    let ok = |s: &'static str| -> Result<&'static str, IdNumberError> { Ok(s) };
    let cases: Vec<(&str, Result<&str, IdNumberError>)> = vec![
        // Valid, inside and outside Jiangsu, including check character X.
        ("321302199003071230", ok("321302199003071230")),
        ("321322198506153212", ok("321322198506153212")),
        ("11010519491231002X", ok("11010519491231002X")),
        ("440304199912310015", ok("440304199912310015")),
        ("650102195611121234", ok("650102195611121234")),
        ("810000199001010027", ok("810000199001010027")),
        ("32130220000229004X", ok("32130220000229004X")),
        ("321302190001010011", ok("321302190001010011")),
        // Normalization.
        ("11010519491231002x", ok("11010519491231002X")),
        ("110105 19491231 002X", ok("11010519491231002X")),
        ("110105-19491231-002x", ok("11010519491231002X")),
        ("\t321302\u{3000}19900307－1230 ", ok("321302199003071230")),
        (
            "３２１３０２１９９００３０７１２３０",
            ok("321302199003071230"),
        ),
        (
            "１１０１０５１９４９１２３１００２ｘ",
            ok("11010519491231002X"),
        ),
        (
            "１１０１０５１９４９１２３１００２Ｘ",
            ok("11010519491231002X"),
        ),
        // Checksum.
        (
            "321302199003071231",
            Err(E::BadChecksum {
                expected: '0',
                found: '1',
            }),
        ),
        (
            "110105194912310021",
            Err(E::BadChecksum {
                expected: 'X',
                found: '1',
            }),
        ),
        (
            "32130219900307123X",
            Err(E::BadChecksum {
                expected: '0',
                found: 'X',
            }),
        ),
        // Impossible dates: 2001 is not a leap year, 1900 is not either, month 13, day 0, 1899.
        (
            "320302200102290011",
            Err(E::ImpossibleDate {
                date: "20010229".into(),
            }),
        ),
        (
            "321302190002290019",
            Err(E::ImpossibleDate {
                date: "19000229".into(),
            }),
        ),
        (
            "321302199013071234",
            Err(E::ImpossibleDate {
                date: "19901307".into(),
            }),
        ),
        (
            "321302199003001232",
            Err(E::ImpossibleDate {
                date: "19900300".into(),
            }),
        ),
        (
            "321302189912310017",
            Err(E::ImpossibleDate {
                date: "18991231".into(),
            }),
        ),
        // Address codes: leading 0, unknown province.
        ("02130219900307123X", Err(E::InvalidAddressCode)),
        ("191302199003071236", Err(E::InvalidAddressCode)),
        ("921302199003071232", Err(E::InvalidAddressCode)),
        // Length.
        ("32130219900307123", Err(E::InvalidLength { length: 17 })),
        ("3213021990030712301", Err(E::InvalidLength { length: 19 })),
        ("1", Err(E::InvalidLength { length: 1 })),
        (
            "三二一三〇二一九九〇〇三〇七一二三〇",
            Err(E::InvalidCharacter {
                position: 1,
                character: '三',
            }),
        ),
        // Characters.
        (
            "3213021990A3071230",
            Err(E::InvalidCharacter {
                position: 11,
                character: 'A',
            }),
        ),
        (
            "32130219900307X230",
            Err(E::InvalidCharacter {
                position: 15,
                character: 'X',
            }),
        ),
        (
            "x21302199003071230",
            Err(E::InvalidCharacter {
                position: 1,
                character: 'X',
            }),
        ),
        (
            "32130219900307123一",
            Err(E::InvalidCharacter {
                position: 18,
                character: '一',
            }),
        ),
        // Empty.
        ("", Err(E::Empty)),
        (" - \u{3000}\t", Err(E::Empty)),
        // 15 characters.
        ("130503670401001", Err(E::LegacyFormat)),
        (
            "13050367040100X",
            Err(E::InvalidCharacter {
                position: 15,
                character: 'X',
            }),
        ),
        (
            "130503670231001",
            Err(E::ImpossibleDate {
                date: "19670231".into(),
            }),
        ),
    ];
    for (input, expected) in cases {
        let actual = IdNumber::parse(input);
        match expected {
            Ok(normalized) => assert_eq!(
                actual.as_ref().map(IdNumber::as_str),
                Ok(normalized),
                "input {input:?}"
            ),
            Err(error) => assert_eq!(actual, Err(error), "input {input:?}"),
        }
    }
}

#[test]
fn legacy_conversion() {
    let parsed = IdNumber::parse_allowing_legacy("130503670401001").unwrap();
    assert_eq!(parsed.id.as_str(), "130503196704010016");
    assert_eq!(
        parsed.converted_from.as_ref().unwrap().as_str(),
        "130503670401001"
    );
    assert_eq!(parsed.id.birth_date(), date(1967, 4, 1));
    assert_eq!(parsed.id.sex(), Sex::Male);

    let parsed = IdNumber::parse_allowing_legacy(" 130503-670401-001 ").unwrap();
    assert_eq!(parsed.id.as_str(), "130503196704010016");

    let parsed = IdNumber::parse_allowing_legacy("11010519491231002x").unwrap();
    assert_eq!(parsed.id.as_str(), "11010519491231002X");
    assert_eq!(parsed.converted_from, None);
}

#[test]
fn legacy_conversion_errors() {
    use IdNumberError as E;
    let cases = [
        (
            "13050367040100X",
            E::InvalidCharacter {
                position: 15,
                character: 'X',
            },
        ),
        (
            "13050367040100x",
            E::InvalidCharacter {
                position: 15,
                character: 'X',
            },
        ),
        (
            "130503670229001",
            E::ImpossibleDate {
                date: "19670229".into(),
            },
        ),
        ("030503670401001", E::InvalidAddressCode),
        ("1305036704010", E::InvalidLength { length: 13 }),
        ("", E::Empty),
    ];
    for (input, expected) in cases {
        assert_eq!(
            IdNumber::parse_allowing_legacy(input),
            Err(expected),
            "input {input:?}"
        );
    }
}

#[test]
fn check_character_examples() {
    assert_eq!(check_character("11010519491231002"), Some('X'));
    assert_eq!(check_character("13050319670401001"), Some('6'));
    assert_eq!(check_character("32130219900307123"), Some('0'));
    assert_eq!(check_character("3213021990030712"), None);
    assert_eq!(check_character("321302199003071230"), None);
    assert_eq!(check_character("3213021990030712X"), None);
    assert_eq!(check_character("３２１３０２１９９００３０７１２３"), None);
}

#[test]
fn accessors() {
    let n = id("321302199003071230");
    assert_eq!(n.address_code(), "321302");
    assert_eq!(n.birth_date(), date(1990, 3, 7));
    // 17th digit 3: odd.
    assert_eq!(n.sex(), Sex::Male);
    assert_eq!(n.sex().label(), "男");

    let n = id("32130220000229004X");
    // 17th digit 4: even.
    assert_eq!(n.sex(), Sex::Female);
    assert_eq!(n.sex().label(), "女");
    assert_eq!(n.birth_date(), date(2000, 2, 29));

    let n = id("11010519491231002X");
    assert_eq!(n.address_code(), "110105");
    assert_eq!(n.birth_date(), date(1949, 12, 31));
    // 17th digit 2: even.
    assert_eq!(n.sex(), Sex::Female);
}

#[test]
fn age_on_counts_full_years() {
    let n = id("321302199003071230"); // born 1990-03-07
    let cases = [
        (date(1990, 3, 6), 0),
        (date(1990, 3, 7), 0),
        (date(1991, 3, 6), 0),
        (date(1991, 3, 7), 1),
        (date(2024, 3, 6), 33),
        (date(2024, 3, 7), 34),
        (date(2025, 1, 1), 34),
        (date(1900, 1, 1), 0),
    ];
    for (on, age) in cases {
        assert_eq!(n.age_on(on), age, "on {on}");
    }
}

#[test]
fn age_on_for_leap_day_birthday() {
    let n = id("32130220000229004X"); // born 2000-02-29
    let cases = [
        (date(2001, 2, 28), 0),
        (date(2001, 3, 1), 1),
        (date(2003, 2, 28), 2),
        (date(2003, 3, 1), 3),
        (date(2004, 2, 28), 3),
        (date(2004, 2, 29), 4),
        (date(2018, 2, 28), 17),
        (date(2018, 3, 1), 18),
    ];
    for (on, age) in cases {
        assert_eq!(n.age_on(on), age, "on {on}");
    }
}

#[test]
fn masked_and_debug_hide_the_number() {
    let n = id("321302199003071230");
    assert_eq!(n.masked(), "321302********1230");
    let debug = format!("{n:?}");
    assert!(debug.contains("321302********1230"), "{debug}");
    assert!(!debug.contains("19900307"), "{debug}");

    let parsed = IdNumber::parse_allowing_legacy("130503670401001").unwrap();
    let debug = format!("{parsed:?}");
    assert!(!debug.contains("130503670401001"), "{debug}");
    assert!(!debug.contains("130503196704010016"), "{debug}");
    assert!(!debug.contains("670401"), "{debug}");
    assert_eq!(parsed.converted_from.unwrap().masked(), "130503*****1001");
}

#[test]
fn errors_have_codes_and_messages_without_personal_data() {
    let cases = [
        ("", "id_number.empty"),
        ("123", "id_number.invalid_length"),
        ("32130219900307X230", "id_number.invalid_character"),
        ("021302199003071230", "id_number.invalid_address_code"),
        ("320302200102290011", "id_number.impossible_date"),
        ("321302199003071231", "id_number.bad_checksum"),
        ("130503670401001", "id_number.legacy_format"),
    ];
    for (input, code) in cases {
        let error = IdNumber::parse(input).unwrap_err();
        assert_eq!(error.code(), code, "input {input:?}");
        let message = error.to_string();
        assert!(message.contains("身份证号码"), "{message}");
        assert!(!message.contains("19900307"), "{message}");
        assert!(!message.contains("20010229"), "{message}");
    }
}

#[test]
fn serde_round_trip_and_validation() {
    let n = id("11010519491231002X");
    let json = serde_json::to_string(&n).unwrap();
    assert_eq!(json, r#""11010519491231002X""#);
    assert_eq!(serde_json::from_str::<IdNumber>(&json).unwrap(), n);
    // Deserialization normalizes like parse.
    assert_eq!(
        serde_json::from_str::<IdNumber>(r#""110105 19491231 002x""#).unwrap(),
        n
    );
    assert!(serde_json::from_str::<IdNumber>(r#""110105194912310021""#).is_err());
    assert!(serde_json::from_str::<IdNumber>(r#""130503670401001""#).is_err());
    assert!(serde_json::from_str::<IdNumber>("110105194912310021").is_err());

    assert_eq!(serde_json::to_string(&Sex::Male).unwrap(), r#""male""#);
    assert_eq!(
        serde_json::from_str::<Sex>(r#""female""#).unwrap(),
        Sex::Female
    );
}

#[test]
fn from_str_matches_parse() {
    assert_eq!(
        "11010519491231002x".parse::<IdNumber>(),
        IdNumber::parse("11010519491231002X")
    );
}

// ---- property tests ----

const PROVINCES: [u32; 36] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83, 91,
];

fn province() -> impl Strategy<Value = u32> {
    prop::sample::select(PROVINCES.to_vec())
}

/// A date in `first ..= last`.
fn date_between(first: NaiveDate, last: NaiveDate) -> impl Strategy<Value = NaiveDate> {
    (0..=(last - first).num_days()).prop_map(move |d| first + chrono::Duration::days(d))
}

fn birth_date_strategy() -> impl Strategy<Value = NaiveDate> {
    date_between(date(1900, 1, 1), date(2099, 12, 31))
}

/// A valid 17-digit body: province, 4 more address digits, birth date, sequence.
fn body17() -> impl Strategy<Value = String> {
    (province(), 0..10_000u32, birth_date_strategy(), 0..1000u32).prop_map(
        |(p, rest, born, seq)| format!("{p:02}{rest:04}{}{seq:03}", born.format("%Y%m%d")),
    )
}

fn valid_id() -> impl Strategy<Value = String> {
    body17().prop_map(|body| {
        let check = check_character(&body).unwrap();
        format!("{body}{check}")
    })
}

proptest! {
    #[test]
    fn valid_body_with_check_character_parses_and_round_trips(body in body17()) {
        let check = check_character(&body).unwrap();
        let full = format!("{body}{check}");
        let n = IdNumber::parse(&full).unwrap();
        prop_assert_eq!(n.as_str(), full.as_str());
        prop_assert_eq!(n.birth_date().format("%Y%m%d").to_string(), &body[6..14]);
        let json = serde_json::to_string(&n).unwrap();
        prop_assert_eq!(serde_json::from_str::<IdNumber>(&json).unwrap(), n);
    }

    #[test]
    fn any_single_digit_change_is_rejected(
        full in valid_id(),
        position in 0..18usize,
        replacement in 0..10u8,
    ) {
        let original = full.as_bytes()[position];
        let replacement = b'0' + replacement;
        prop_assume!(original != replacement);
        let mut bytes = full.into_bytes();
        bytes[position] = replacement;
        let changed = String::from_utf8(bytes).unwrap();
        prop_assert!(IdNumber::parse(&changed).is_err(), "accepted {}", changed);
    }

    #[test]
    fn parse_is_idempotent(full in valid_id()) {
        let once = IdNumber::parse(&full).unwrap();
        let twice = IdNumber::parse(once.as_str()).unwrap();
        prop_assert_eq!(once, twice);
    }

    #[test]
    fn separators_do_not_change_the_result(
        full in valid_id(),
        inserts in prop::collection::vec(
            (0..=18usize, prop::sample::select(vec![" ", "-", "\u{3000}", "\t", "－", "  "])),
            0..6,
        ),
    ) {
        let mut noisy = full.clone();
        // Insert from the back so earlier byte offsets stay on ASCII boundaries.
        let mut inserts = inserts;
        inserts.sort_by_key(|insert| std::cmp::Reverse(insert.0));
        for (at, sep) in inserts {
            noisy.insert_str(at, sep);
        }
        prop_assert_eq!(IdNumber::parse(&noisy), IdNumber::parse(&full));
    }

    #[test]
    fn debug_never_contains_the_number(full in valid_id()) {
        let n = IdNumber::parse(&full).unwrap();
        let debug = format!("{n:?}");
        prop_assert!(!debug.contains(&full), "{}", debug);
        prop_assert!(!debug.contains(&full[6..14]), "{}", debug);
        prop_assert!(debug.contains(&n.masked()));
    }

    #[test]
    fn legacy_conversion_yields_a_19xx_number(
        p in province(),
        rest in 0..10_000u32,
        born in date_between(date(1900, 1, 1), date(1999, 12, 31)),
        seq in 0..1000u32,
    ) {
        let legacy = format!("{p:02}{rest:04}{}{seq:03}", born.format("%y%m%d"));
        let parsed = IdNumber::parse_allowing_legacy(&legacy).unwrap();
        prop_assert_eq!(parsed.converted_from.as_ref().map(LegacyIdNumber::as_str), Some(legacy.as_str()));
        prop_assert_eq!(parsed.id.birth_date(), born);
        prop_assert_eq!(&parsed.id.as_str()[..6], &legacy[..6]);
        prop_assert_eq!(&parsed.id.as_str()[6..8], "19");
        prop_assert_eq!(&parsed.id.as_str()[8..17], &legacy[6..15]);
        // The converted number stands on its own.
        prop_assert_eq!(IdNumber::parse(parsed.id.as_str()).unwrap(), parsed.id.clone());
        prop_assert_eq!(IdNumber::parse(&legacy), Err(IdNumberError::LegacyFormat));
    }
}

use proptest::prelude::*;

use super::*;
use crate::ids::id_number::check_character;

const ID: &str = "321302199003071230";

fn id() -> IdNumber {
    IdNumber::parse(ID).unwrap()
}

fn grade(n: u8) -> DisabilityGrade {
    DisabilityGrade::new(n).unwrap()
}

fn cert(s: &str) -> CertificateNumber {
    CertificateNumber::parse(s).unwrap()
}

#[test]
fn new_and_parse_round_trip() {
    let made = CertificateNumber::new(&id(), DisabilityCategory::Physical, grade(2));
    assert_eq!(made.as_string(), "32130219900307123042");
    let parsed = cert("32130219900307123042");
    assert_eq!(parsed, made);
    assert_eq!(parsed.id_number(), &id());
    assert_eq!(parsed.category(), DisabilityCategory::Physical);
    assert_eq!(parsed.grade(), grade(2));
    assert_eq!(parsed.reissue(), None);
}

#[test]
fn parse_table() {
    use CertificateNumberError as E;
    let cases: Vec<(&str, Result<&str, CertificateNumberError>)> = vec![
        ("32130219900307123011", Ok("32130219900307123011")),
        ("32130219900307123074", Ok("32130219900307123074")),
        ("11010519491231002X61", Ok("11010519491231002X61")),
        ("11010519491231002x61", Ok("11010519491231002X61")),
        ("321302 19900307 1230 42", Ok("32130219900307123042")),
        ("321302-19900307-1230-42-B1", Ok("32130219900307123042B1")),
        ("32130219900307123042b2", Ok("32130219900307123042B2")),
        (
            "３２１３０２１９９００３０７１２３０４２Ｂ１２",
            Ok("32130219900307123042B12"),
        ),
        ("", Err(E::Empty)),
        ("  ", Err(E::Empty)),
        (ID, Err(E::InvalidLength { length: 18 })),
        ("3213021990030712304", Err(E::InvalidLength { length: 19 })),
        (
            "32130219900307123142",
            Err(E::InvalidId(IdNumberError::BadChecksum {
                expected: '0',
                found: '1',
            })),
        ),
        (
            "32130219901307123442",
            Err(E::InvalidId(IdNumberError::ImpossibleDate {
                date: "19901307".into(),
            })),
        ),
        (
            "3213021990030712X042",
            Err(E::InvalidId(IdNumberError::InvalidCharacter {
                position: 17,
                character: 'X',
            })),
        ),
        (
            "32130219900307123002",
            Err(E::InvalidCategory { digit: '0' }),
        ),
        (
            "32130219900307123082",
            Err(E::InvalidCategory { digit: '8' }),
        ),
        (
            "32130219900307123092",
            Err(E::InvalidCategory { digit: '9' }),
        ),
        (
            "321302199003071230A2",
            Err(E::InvalidCategory { digit: 'A' }),
        ),
        ("32130219900307123040", Err(E::InvalidGrade { digit: '0' })),
        ("32130219900307123045", Err(E::InvalidGrade { digit: '5' })),
        ("3213021990030712304B", Err(E::InvalidGrade { digit: 'B' })),
        ("32130219900307123042B0", Err(E::InvalidReissueSuffix)),
        ("32130219900307123042B01", Err(E::InvalidReissueSuffix)),
        ("32130219900307123042B", Err(E::InvalidReissueSuffix)),
        ("32130219900307123042C1", Err(E::InvalidReissueSuffix)),
        ("32130219900307123042B1B", Err(E::InvalidReissueSuffix)),
        ("32130219900307123042B-1", Ok("32130219900307123042B1")),
        ("321302199003071230421", Err(E::InvalidReissueSuffix)),
        (
            "32130219900307123042B4294967296",
            Err(E::InvalidReissueSuffix),
        ),
    ];
    for (input, expected) in cases {
        let actual = CertificateNumber::parse(input);
        match expected {
            Ok(normalized) => assert_eq!(
                actual.as_ref().map(CertificateNumber::as_string),
                Ok(normalized.to_owned()),
                "input {input:?}"
            ),
            Err(error) => assert_eq!(actual, Err(error), "input {input:?}"),
        }
    }
}

#[test]
fn reissue_sequence() {
    let first = CertificateNumber::new(&id(), DisabilityCategory::Hearing, grade(3));
    let b1 = first.reissued();
    assert_eq!(b1.as_string(), "32130219900307123023B1");
    assert_eq!(b1.reissue(), Some(1));
    let b2 = b1.reissued();
    assert_eq!(b2.as_string(), "32130219900307123023B2");
    assert_eq!(b2.reissue(), Some(2));
    assert_eq!(
        cert("32130219900307123023B9").reissued().as_string(),
        "32130219900307123023B10"
    );
    assert_eq!(
        cert("32130219900307123023B4294967295").reissue(),
        Some(u32::MAX)
    );
    // Reissue keeps holder, category and grade.
    assert_eq!(b2.id_number(), first.id_number());
    assert_eq!(b2.category(), first.category());
    assert_eq!(b2.grade(), first.grade());
}

#[test]
fn with_category_grade_drops_reissue() {
    let old = cert("32130219900307123023B2");
    let new = old.with_category_grade(DisabilityCategory::Multiple, grade(1));
    assert_eq!(new.as_string(), "32130219900307123071");
    assert_eq!(new.reissue(), None);
    assert_eq!(new.id_number(), old.id_number());
}

#[test]
fn masked_hides_id_middle_and_health_digits() {
    assert_eq!(
        cert("32130219900307123042").masked(),
        "321302********1230**"
    );
    assert_eq!(
        cert("32130219900307123042B1").masked(),
        "321302********1230**B1"
    );
    let c = cert("32130219900307123042B1");
    let debug = format!("{c:?}");
    assert!(debug.contains("321302********1230**B1"), "{debug}");
    assert!(!debug.contains("19900307"), "{debug}");
    assert!(!debug.contains("Physical"), "{debug}");
    assert!(!debug.contains("42"), "{debug}");
}

#[test]
fn error_codes_and_messages() {
    let cases = [
        ("", "certificate_number.empty"),
        ("123", "certificate_number.invalid_length"),
        ("32130219900307123142", "certificate_number.invalid_id"),
        (
            "32130219900307123082",
            "certificate_number.invalid_category",
        ),
        ("32130219900307123045", "certificate_number.invalid_grade"),
        (
            "32130219900307123042B0",
            "certificate_number.invalid_reissue_suffix",
        ),
    ];
    for (input, code) in cases {
        let error = CertificateNumber::parse(input).unwrap_err();
        assert_eq!(error.code(), code, "input {input:?}");
        let message = error.to_string();
        assert!(message.contains("残疾人证号"), "{message}");
        assert!(!message.contains("19900307"), "{message}");
    }
    let nested = CertificateNumber::parse("32130219900307123142").unwrap_err();
    assert!(nested.to_string().contains("校验位"), "{nested}");
}

#[test]
fn serde_round_trip_and_validation() {
    let c = cert("11010519491231002X61B3");
    let json = serde_json::to_string(&c).unwrap();
    assert_eq!(json, r#""11010519491231002X61B3""#);
    assert_eq!(serde_json::from_str::<CertificateNumber>(&json).unwrap(), c);
    assert!(serde_json::from_str::<CertificateNumber>(r#""11010519491231002161""#).is_err());
    assert!(serde_json::from_str::<CertificateNumber>(r#""11010519491231002X81""#).is_err());
    assert!(serde_json::from_str::<CertificateNumber>(r#""11010519491231002X61B0""#).is_err());
}

fn certificate() -> impl Strategy<Value = CertificateNumber> {
    (
        "(11|32|44|65|81)[0-9]{4}(19[0-9]{2}|20[01][0-9])(0[1-9]|1[0-2])(0[1-9]|1[0-9]|2[0-8])[0-9]{3}",
        prop::sample::select(DisabilityCategory::ALL.to_vec()),
        prop::sample::select(DisabilityGrade::ALL.to_vec()),
        prop::option::of(1..=u32::MAX),
    )
        .prop_map(|(body, category, grade, reissue)| {
            let check = check_character(&body).unwrap();
            let id = IdNumber::parse(&format!("{body}{check}")).unwrap();
            let mut c = CertificateNumber::new(&id, category, grade);
            c.reissue = reissue.and_then(NonZeroU32::new);
            c
        })
}

proptest! {
    #[test]
    fn string_and_serde_round_trip(c in certificate()) {
        prop_assert_eq!(CertificateNumber::parse(&c.as_string()).unwrap(), c.clone());
        let json = serde_json::to_string(&c).unwrap();
        prop_assert_eq!(serde_json::from_str::<CertificateNumber>(&json).unwrap(), c);
    }

    #[test]
    fn masked_never_shows_hidden_parts(c in certificate()) {
        let masked = c.masked();
        let full = c.as_string();
        prop_assert_eq!(masked.chars().count(), full.chars().count());
        prop_assert_eq!(&masked[..6], &full[..6]);
        prop_assert_eq!(&masked[6..14], "********");
        prop_assert_eq!(&masked[14..18], &full[14..18]);
        prop_assert_eq!(&masked[18..20], "**");
        prop_assert_eq!(&masked[20..], &full[20..]);
    }
}

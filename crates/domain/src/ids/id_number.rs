//! 居民身份证号码 (GB 11643-1999): 6-digit address code, 8-digit birth date, 3-digit sequence
//! (odd = male), check character.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::mask::mask_id_like;

/// GB 11643-1999 weights of the first 17 digits.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// Check character indexed by the weighted sum mod 11.
const CHECK_CHARACTERS: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

const LENGTH: usize = 18;
const LEGACY_LENGTH: usize = 15;
const EARLIEST_BIRTH_YEAR: i32 = 1900;

/// A valid 18-character resident ID number, always in normalized form (17 ASCII digits and a
/// final digit or `X`).
///
/// `Debug` shows only the masked form and there is no `Display`: call [`IdNumber::as_str`]
/// deliberately where the full number is needed. Serializes as the plain 18-character string;
/// deserializing validates through [`IdNumber::parse`].
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdNumber {
    value: String,
    // Derived from `value` at parse time, so the accessor needs no fallible re-parse.
    birth_date: NaiveDate,
}

/// The outcome of [`IdNumber::parse_allowing_legacy`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedIdNumber {
    /// The valid 18-character number.
    pub id: IdNumber,
    /// The 15-digit number it was converted from, if any, so the conversion can be recorded.
    pub converted_from: Option<LegacyIdNumber>,
}

/// A valid legacy 15-digit ID number (6 address + YYMMDD + 3 sequence, no check character),
/// kept only to record a conversion. `Debug` shows only the masked form.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct LegacyIdNumber(String);

/// Sex as encoded by the parity of the 17th digit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sex {
    /// Odd 17th digit.
    Male,
    /// Even 17th digit.
    Female,
}

/// Why an input is not a valid ID number. `position` and `character` refer to the input after
/// normalization (separators removed, full-width characters converted).
///
/// `Display` is a Chinese message for people and never repeats the number or its birth date;
/// [`IdNumberError::code`] is the stable machine code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdNumberError {
    /// Nothing but separators was entered.
    #[error("请输入身份证号码")]
    Empty,
    /// Not 18 characters (nor 15 where legacy numbers are allowed).
    #[error("身份证号码应为18位，实际为{length}位")]
    InvalidLength {
        /// Number of characters after normalization.
        length: usize,
    },
    /// A character other than a digit, or an `X` anywhere but the last position of an
    /// 18-character number.
    #[error("身份证号码第{position}位的“{character}”无效：只能是数字，仅18位号码的最后一位可以是X")]
    InvalidCharacter {
        /// 1-based position.
        position: usize,
        /// The offending character.
        character: char,
    },
    /// The first two digits are not a province-level code.
    #[error("身份证号码前6位不是有效的地址码")]
    InvalidAddressCode,
    /// The birth date is not a calendar date or lies before 1900.
    #[error("身份证号码中的出生日期不是有效日期（须为1900年以后真实存在的日期）")]
    ImpossibleDate {
        /// The 8 digits YYYYMMDD (for a legacy number: after inserting "19").
        date: String,
    },
    /// The check character does not match the first 17 digits.
    #[error("身份证号码校验位不符，号码中可能有录入错误，请逐位核对")]
    BadChecksum {
        /// The check character the first 17 digits call for.
        expected: char,
        /// The check character entered.
        found: char,
    },
    /// A legacy 15-digit number where an 18-character one is required.
    #[error("这是15位旧版身份证号码，请使用旧号码转换（升位）功能转换为18位号码")]
    LegacyFormat,
}

impl IdNumberError {
    /// Stable machine code, e.g. `"id_number.bad_checksum"`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "id_number.empty",
            Self::InvalidLength { .. } => "id_number.invalid_length",
            Self::InvalidCharacter { .. } => "id_number.invalid_character",
            Self::InvalidAddressCode => "id_number.invalid_address_code",
            Self::ImpossibleDate { .. } => "id_number.impossible_date",
            Self::BadChecksum { .. } => "id_number.bad_checksum",
            Self::LegacyFormat => "id_number.legacy_format",
        }
    }
}

impl IdNumber {
    /// Parses an 18-character ID number. Normalization first drops ASCII and full-width spaces,
    /// tabs and hyphens, converts full-width digits and `Ｘ`/`ｘ` to ASCII, and `x` to `X`.
    /// A valid 15-digit legacy number is rejected with [`IdNumberError::LegacyFormat`].
    pub fn parse(input: &str) -> Result<Self, IdNumberError> {
        let normalized = normalize(input);
        match normalized.chars().count() {
            0 => Err(IdNumberError::Empty),
            LENGTH => Self::from_normalized(&normalized),
            // Report what is wrong with a broken legacy number rather than pointing people to
            // a conversion that would fail too.
            LEGACY_LENGTH => convert_legacy(&normalized).and(Err(IdNumberError::LegacyFormat)),
            length => Err(IdNumberError::InvalidLength { length }),
        }
    }

    /// Like [`IdNumber::parse`], but also accepts a valid 15-digit legacy number and converts it
    /// (inserting "19" before the birth date and computing the check character).
    pub fn parse_allowing_legacy(input: &str) -> Result<ParsedIdNumber, IdNumberError> {
        let normalized = normalize(input);
        match normalized.chars().count() {
            0 => Err(IdNumberError::Empty),
            LENGTH => Ok(ParsedIdNumber {
                id: Self::from_normalized(&normalized)?,
                converted_from: None,
            }),
            LEGACY_LENGTH => {
                let id = convert_legacy(&normalized)?;
                Ok(ParsedIdNumber {
                    id,
                    converted_from: Some(LegacyIdNumber(normalized)),
                })
            }
            length => Err(IdNumberError::InvalidLength { length }),
        }
    }

    /// Validates an already normalized 18-character string.
    pub(super) fn from_normalized(s: &str) -> Result<Self, IdNumberError> {
        for (index, character) in s.chars().enumerate() {
            let allowed = character.is_ascii_digit() || (character == 'X' && index == LENGTH - 1);
            if !allowed {
                return Err(IdNumberError::InvalidCharacter {
                    position: index + 1,
                    character,
                });
            }
        }
        // From here on `s` is 18 ASCII characters, so byte offsets are character offsets.
        let bytes = s.as_bytes();
        if !is_province_code(decimal(&bytes[0..2])) {
            return Err(IdNumberError::InvalidAddressCode);
        }
        let birth_date =
            birth_date_from_digits(&bytes[6..14]).ok_or_else(|| IdNumberError::ImpossibleDate {
                date: s[6..14].to_owned(),
            })?;
        let expected = check_character_of(&bytes[..17]);
        let found = char::from(bytes[17]);
        if expected != found {
            return Err(IdNumberError::BadChecksum { expected, found });
        }
        Ok(Self {
            value: s.to_owned(),
            birth_date,
        })
    }

    /// The normalized 18-character number. Personal data: do not log it.
    pub fn as_str(&self) -> &str {
        &self.value
    }

    /// The 6-digit administrative division code of the place of first registration.
    pub fn address_code(&self) -> &str {
        &self.value[0..6]
    }

    /// The birth date encoded in digits 7–14.
    pub fn birth_date(&self) -> NaiveDate {
        self.birth_date
    }

    /// The sex encoded by the parity of the 17th digit.
    pub fn sex(&self) -> Sex {
        if (self.value.as_bytes()[16] - b'0') % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    /// Full years of age on `date`; 0 if `date` is before the birth date. Someone born on
    /// 29 February turns a year older on 1 March in non-leap years.
    pub fn age_on(&self, date: NaiveDate) -> u32 {
        let birth = self.birth_date;
        if date < birth {
            return 0;
        }
        // Comparing (month, day) pairs makes a 29 February birthday fall after 28 February
        // and before 1 March in every year.
        let birthday_not_reached = (date.month(), date.day()) < (birth.month(), birth.day());
        let years = date.year() - birth.year() - i32::from(birthday_not_reached);
        u32::try_from(years).unwrap_or(0)
    }

    /// The masked form for display: first 6 + `********` + last 4.
    pub fn masked(&self) -> String {
        mask_id_like(&self.value)
    }
}

impl fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("IdNumber").field(&self.masked()).finish()
    }
}

impl FromStr for IdNumber {
    type Err = IdNumberError;

    /// Same as [`IdNumber::parse`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for IdNumber {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.value)
    }
}

impl<'de> Deserialize<'de> for IdNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        // The error's Display never contains the number, so it is safe in serde messages.
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

impl LegacyIdNumber {
    /// The original 15 digits. Personal data: do not log it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The masked form for display: first 6 + `*****` + last 4.
    pub fn masked(&self) -> String {
        mask_id_like(&self.0)
    }
}

impl fmt::Debug for LegacyIdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("LegacyIdNumber")
            .field(&self.masked())
            .finish()
    }
}

impl Sex {
    /// "男" or "女".
    pub fn label(self) -> &'static str {
        match self {
            Self::Male => "男",
            Self::Female => "女",
        }
    }
}

/// The GB 11643-1999 check character for the first 17 digits; `None` unless `first17` is
/// exactly 17 ASCII digits.
pub fn check_character(first17: &str) -> Option<char> {
    let bytes = first17.as_bytes();
    (bytes.len() == 17 && bytes.iter().all(u8::is_ascii_digit)).then(|| check_character_of(bytes))
}

/// Maps one input character to its normalized form, or `None` for a separator to drop:
/// ASCII and full-width spaces, tabs and hyphens are dropped; full-width digits and `Ｘ`/`ｘ`
/// become ASCII; `x` becomes `X`. Anything else is kept for validation to report.
pub(super) fn normalize_char(c: char) -> Option<char> {
    match c {
        ' ' | '\u{3000}' | '\t' | '-' | '\u{FF0D}' => None,
        'x' | 'Ｘ' | 'ｘ' => Some('X'),
        '０'..='９' => char::from_u32(u32::from(c) - u32::from('０') + u32::from('0')),
        _ => Some(c),
    }
}

fn normalize(input: &str) -> String {
    input.chars().filter_map(normalize_char).collect()
}

/// Converts a normalized 15-character legacy number to the 18-character form, validating it.
fn convert_legacy(s: &str) -> Result<IdNumber, IdNumberError> {
    if let Some((index, character)) = s.chars().enumerate().find(|(_, c)| !c.is_ascii_digit()) {
        return Err(IdNumberError::InvalidCharacter {
            position: index + 1,
            character,
        });
    }
    // Legacy numbers were issued to people born in the 1900s only.
    let mut body = String::with_capacity(LENGTH);
    body.push_str(&s[0..6]);
    body.push_str("19");
    body.push_str(&s[6..15]);
    body.push(check_character_of(body.as_bytes()));
    IdNumber::from_normalized(&body)
}

/// Weighted sum mod 11; `digits` must be 17 ASCII digits.
fn check_character_of(digits: &[u8]) -> char {
    let sum: u32 = digits
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    CHECK_CHARACTERS[(sum % 11) as usize]
}

/// The decimal value of ASCII digits (at most 9 of them, so no overflow).
fn decimal(digits: &[u8]) -> u32 {
    digits
        .iter()
        .fold(0, |acc, d| acc * 10 + u32::from(d - b'0'))
}

/// Province-level codes of GB/T 2260, plus 81–83 (Hong Kong, Macao and Taiwan residence
/// permits) and 91 (foreigners' permanent residence). Any province is valid here: the platform
/// must never reject a number for not being from 宿迁 (3213).
fn is_province_code(code: u32) -> bool {
    matches!(
        code,
        11..=15 | 21..=23 | 31..=37 | 41..=46 | 50..=54 | 61..=65 | 71 | 81..=83 | 91
    )
}

/// YYYYMMDD as a real date on or after 1900-01-01.
fn birth_date_from_digits(digits: &[u8]) -> Option<NaiveDate> {
    let year = i32::try_from(decimal(&digits[0..4])).ok()?;
    if year < EARLIEST_BIRTH_YEAR {
        return None;
    }
    NaiveDate::from_ymd_opt(year, decimal(&digits[4..6]), decimal(&digits[6..8]))
}

#[cfg(test)]
mod tests;

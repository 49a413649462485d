//! 残疾人证号: the holder's 18-character ID number + category digit + grade digit, and for a
//! reissue `B1`, `B2`, ….

use std::fmt;
use std::num::NonZeroU32;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::disability::{DisabilityCategory, DisabilityGrade};
use super::id_number::{IdNumber, IdNumberError, normalize_char};

const BASE_LENGTH: usize = 20;
const ID_LENGTH: usize = 18;

/// A valid disability certificate number.
///
/// `Debug` shows only the masked form and there is no `Display`: call
/// [`CertificateNumber::as_string`] deliberately. Serializes as the plain string; deserializing
/// validates through [`CertificateNumber::parse`]. Orders by ID number, category, grade, reissue.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CertificateNumber {
    id: IdNumber,
    category: DisabilityCategory,
    grade: DisabilityGrade,
    reissue: Option<NonZeroU32>,
}

/// Why an input is not a valid certificate number. `Display` is a Chinese message for people
/// and never repeats the number; [`CertificateNumberError::code`] is the stable machine code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertificateNumberError {
    /// Nothing but separators was entered.
    #[error("请输入残疾人证号")]
    Empty,
    /// Shorter than 20 characters.
    #[error("残疾人证号应为20位（补发证另加B和序号），实际为{length}位")]
    InvalidLength {
        /// Number of characters after normalization.
        length: usize,
    },
    /// The first 18 characters are not a valid ID number.
    // Not marked as `source`: the message already includes it, and reporters would repeat it.
    #[error("残疾人证号前18位不是有效的身份证号码：{0}")]
    InvalidId(IdNumberError),
    /// The 19th character is not a category digit 1–7.
    #[error("残疾人证号第19位“{digit}”不是有效的残疾类别（应为1至7）")]
    InvalidCategory {
        /// The character found.
        digit: char,
    },
    /// The 20th character is not a grade digit 1–4.
    #[error("残疾人证号第20位“{digit}”不是有效的残疾等级（应为1至4）")]
    InvalidGrade {
        /// The character found.
        digit: char,
    },
    /// Characters after the 20th are not `B` and a positive number without leading zero.
    #[error("残疾人证号的补发序号应为B加不以0开头的数字，如B1、B2")]
    InvalidReissueSuffix,
}

impl CertificateNumberError {
    /// Stable machine code, e.g. `"certificate_number.invalid_category"`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "certificate_number.empty",
            Self::InvalidLength { .. } => "certificate_number.invalid_length",
            Self::InvalidId(_) => "certificate_number.invalid_id",
            Self::InvalidCategory { .. } => "certificate_number.invalid_category",
            Self::InvalidGrade { .. } => "certificate_number.invalid_grade",
            Self::InvalidReissueSuffix => "certificate_number.invalid_reissue_suffix",
        }
    }
}

impl CertificateNumber {
    /// The first-issue number for this holder, category and grade.
    pub fn new(id: &IdNumber, category: DisabilityCategory, grade: DisabilityGrade) -> Self {
        Self {
            id: id.clone(),
            category,
            grade,
            reissue: None,
        }
    }

    /// Parses a certificate number, normalizing like [`IdNumber::parse`] (and `b`/`Ｂ`/`ｂ` to
    /// `B`). The embedded ID number must pass the full ID validation including its checksum.
    pub fn parse(input: &str) -> Result<Self, CertificateNumberError> {
        let chars: Vec<char> = input
            .chars()
            .filter_map(normalize_char)
            .map(|c| match c {
                'b' | 'Ｂ' | 'ｂ' => 'B',
                other => other,
            })
            .collect();
        match chars.len() {
            0 => return Err(CertificateNumberError::Empty),
            length if length < BASE_LENGTH => {
                return Err(CertificateNumberError::InvalidLength { length });
            }
            _ => {}
        }
        let id_text: String = chars[..ID_LENGTH].iter().collect();
        let id = IdNumber::from_normalized(&id_text).map_err(CertificateNumberError::InvalidId)?;
        let category = chars[ID_LENGTH];
        let category = digit_value(category)
            .and_then(DisabilityCategory::from_digit)
            .ok_or(CertificateNumberError::InvalidCategory { digit: category })?;
        let grade = chars[ID_LENGTH + 1];
        let grade = digit_value(grade)
            .and_then(DisabilityGrade::new)
            .ok_or(CertificateNumberError::InvalidGrade { digit: grade })?;
        let reissue = match &chars[BASE_LENGTH..] {
            [] => None,
            suffix => {
                Some(parse_reissue(suffix).ok_or(CertificateNumberError::InvalidReissueSuffix)?)
            }
        };
        Ok(Self {
            id,
            category,
            grade,
            reissue,
        })
    }

    /// The holder's ID number.
    pub fn id_number(&self) -> &IdNumber {
        &self.id
    }

    /// The disability category (19th character).
    pub fn category(&self) -> DisabilityCategory {
        self.category
    }

    /// The disability grade (20th character).
    pub fn grade(&self) -> DisabilityGrade {
        self.grade
    }

    /// The reissue number n of a `Bn` suffix; `None` for a first issue.
    pub fn reissue(&self) -> Option<u32> {
        self.reissue.map(NonZeroU32::get)
    }

    /// The number of the next reissue: no suffix → `B1`, `Bn` → `Bn+1` (saturating at
    /// `u32::MAX`, which no real certificate reaches).
    pub fn reissued(&self) -> Self {
        let next = self
            .reissue
            .map_or(NonZeroU32::MIN, |n| n.saturating_add(1));
        Self {
            reissue: Some(next),
            ..self.clone()
        }
    }

    /// The number after a change of category or grade: same holder, new digits, and no
    /// reissue suffix because it is a new certificate.
    pub fn with_category_grade(
        &self,
        category: DisabilityCategory,
        grade: DisabilityGrade,
    ) -> Self {
        Self::new(&self.id, category, grade)
    }

    /// The full number. Personal and health data: do not log it.
    pub fn as_string(&self) -> String {
        let mut out = String::with_capacity(BASE_LENGTH + 4);
        out.push_str(self.id.as_str());
        out.push(char::from(b'0' + self.category.digit()));
        out.push(char::from(b'0' + self.grade.get()));
        out.push_str(&self.suffix());
        out
    }

    /// The masked form for display: the ID number masked as usual, the category and grade
    /// digits hidden (health data), the reissue suffix kept (`321302********1234**B1`).
    pub fn masked(&self) -> String {
        format!("{}**{}", self.id.masked(), self.suffix())
    }

    fn suffix(&self) -> String {
        self.reissue.map_or_else(String::new, |n| format!("B{n}"))
    }
}

/// `B` followed by a positive decimal without leading zero that fits in `u32`.
fn parse_reissue(suffix: &[char]) -> Option<NonZeroU32> {
    let (first, digits) = suffix.split_first()?;
    let well_formed = *first == 'B'
        && digits.first().is_some_and(|d| ('1'..='9').contains(d))
        && digits.iter().all(char::is_ascii_digit);
    if !well_formed {
        return None;
    }
    digits.iter().collect::<String>().parse().ok()
}

fn digit_value(c: char) -> Option<u8> {
    c.is_ascii_digit().then(|| c as u8 - b'0')
}

impl fmt::Debug for CertificateNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("CertificateNumber")
            .field(&self.masked())
            .finish()
    }
}

impl FromStr for CertificateNumber {
    type Err = CertificateNumberError;

    /// Same as [`CertificateNumber::parse`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for CertificateNumber {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.as_string())
    }
}

impl<'de> Deserialize<'de> for CertificateNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests;

//! Case numbers (办件编号): `YJS-321302-20261129-0001` — the handling unit's region code, the
//! Asia/Shanghai date of submission, and a daily sequence of at least four digits that widens past
//! 9999. The store allocates the sequence in the submission's transaction, so there are no gaps.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::region::RegionCode;

#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CaseNumber {
    pub region: RegionCode,
    pub date: NaiveDate,
    pub seq: u32,
}

/// Why a case number was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("办件编号格式错误，应形如 YJS-321302-20261129-0001")]
pub struct CaseNumberError;

impl CaseNumber {
    pub fn parse(input: &str) -> Result<Self, CaseNumberError> {
        let mut parts = input.trim().split('-');
        let (Some("YJS"), Some(region), Some(date), Some(seq), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(CaseNumberError);
        };
        let region = RegionCode::parse(region).map_err(|_| CaseNumberError)?;
        let date = NaiveDate::parse_from_str(date, "%Y%m%d").map_err(|_| CaseNumberError)?;
        // At least four digits; wider only when the number needs it (no leading zero then).
        if seq.len() < 4
            || !seq.bytes().all(|b| b.is_ascii_digit())
            || (seq.len() > 4 && seq.starts_with('0'))
        {
            return Err(CaseNumberError);
        }
        let seq: u32 = seq.parse().map_err(|_| CaseNumberError)?;
        if seq == 0 {
            return Err(CaseNumberError);
        }
        Ok(Self { region, date, seq })
    }
}

impl fmt::Display for CaseNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The date's digits as integers: chrono's `format` parses its pattern on every call.
        write!(
            f,
            "YJS-{}-{:04}{:02}{:02}-{:04}",
            self.region,
            self.date.year(),
            self.date.month(),
            self.date.day(),
            self.seq
        )
    }
}

impl fmt::Debug for CaseNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl TryFrom<String> for CaseNumber {
    type Error = CaseNumberError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<CaseNumber> for String {
    fn from(value: CaseNumber) -> Self {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_at_least_four_digits_and_widens() {
        let n = CaseNumber {
            region: RegionCode::parse("321302").unwrap(),
            date: NaiveDate::from_ymd_opt(2026, 11, 29).unwrap(),
            seq: 1,
        };
        assert_eq!(n.to_string(), "YJS-321302-20261129-0001");
        assert_eq!(
            CaseNumber {
                seq: 12345,
                ..n.clone()
            }
            .to_string(),
            "YJS-321302-20261129-12345"
        );
        assert_eq!(CaseNumber::parse("YJS-321302-20261129-0001").unwrap(), n);
        assert_eq!(
            CaseNumber::parse("YJS-321302-20261129-12345").unwrap().seq,
            12345
        );
        for bad in [
            "YJS-321302-20261129-1",
            "YJS-321302-20261131-0001",
            "ABC-321302-20261129-0001",
            "YJS-321302-20261129-0000",
            "YJS-321302-20261129-00012",
        ] {
            assert!(CaseNumber::parse(bad).is_err(), "{bad}");
        }
    }
}

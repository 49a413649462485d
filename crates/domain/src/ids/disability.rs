//! Disability category and grade as encoded in the 残疾人证号 (GB/T 26341-2010).
//! Both are health data, i.e. sensitive personal information when tied to a person.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Disability category; the discriminant is the certificate digit.
/// Serializes as its stable English [`key`](DisabilityCategory::key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DisabilityCategory {
    /// 视力残疾
    Visual = 1,
    /// 听力残疾
    Hearing = 2,
    /// 言语残疾
    Speech = 3,
    /// 肢体残疾
    Physical = 4,
    /// 智力残疾
    Intellectual = 5,
    /// 精神残疾
    Mental = 6,
    /// 多重残疾
    Multiple = 7,
}

impl DisabilityCategory {
    /// All categories in digit order.
    pub const ALL: [Self; 7] = [
        Self::Visual,
        Self::Hearing,
        Self::Speech,
        Self::Physical,
        Self::Intellectual,
        Self::Mental,
        Self::Multiple,
    ];

    /// The category for a certificate digit 1–7.
    pub fn from_digit(digit: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.digit() == digit)
    }

    /// The certificate digit 1–7.
    pub fn digit(self) -> u8 {
        self as u8
    }

    /// Chinese label, e.g. "视力".
    pub fn label(self) -> &'static str {
        match self {
            Self::Visual => "视力",
            Self::Hearing => "听力",
            Self::Speech => "言语",
            Self::Physical => "肢体",
            Self::Intellectual => "智力",
            Self::Mental => "精神",
            Self::Multiple => "多重",
        }
    }

    /// Stable English key, e.g. "visual"; the serde form.
    pub fn key(self) -> &'static str {
        match self {
            Self::Visual => "visual",
            Self::Hearing => "hearing",
            Self::Speech => "speech",
            Self::Physical => "physical",
            Self::Intellectual => "intellectual",
            Self::Mental => "mental",
            Self::Multiple => "multiple",
        }
    }

    /// The category for its English key or its Chinese label.
    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|c| c.key() == key || c.label() == key)
    }
}

/// Disability grade 1–4; 一级 is the most severe. Orders by number, so the most severe sorts
/// first. Serializes as the integer; deserializing validates the range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DisabilityGrade(u8);

impl DisabilityGrade {
    /// All grades, most severe first.
    pub const ALL: [Self; 4] = [Self(1), Self(2), Self(3), Self(4)];

    /// The grade for 1–4.
    pub const fn new(grade: u8) -> Option<Self> {
        match grade {
            1..=4 => Some(Self(grade)),
            _ => None,
        }
    }

    /// The number 1–4.
    pub fn get(self) -> u8 {
        self.0
    }

    /// "一级" … "四级".
    pub fn label(self) -> &'static str {
        match self.0 {
            1 => "一级",
            2 => "二级",
            3 => "三级",
            _ => "四级",
        }
    }

    /// 重度残疾: grade 1 or 2.
    pub fn is_severe(self) -> bool {
        self.0 <= 2
    }
}

impl Serialize for DisabilityGrade {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u8(self.0)
    }
}

impl<'de> Deserialize<'de> for DisabilityGrade {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let grade = u8::deserialize(deserializer)?;
        Self::new(grade).ok_or_else(|| serde::de::Error::custom("残疾等级应为1至4"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn category_table() {
        let table = [
            (1, DisabilityCategory::Visual, "视力", "visual"),
            (2, DisabilityCategory::Hearing, "听力", "hearing"),
            (3, DisabilityCategory::Speech, "言语", "speech"),
            (4, DisabilityCategory::Physical, "肢体", "physical"),
            (5, DisabilityCategory::Intellectual, "智力", "intellectual"),
            (6, DisabilityCategory::Mental, "精神", "mental"),
            (7, DisabilityCategory::Multiple, "多重", "multiple"),
        ];
        assert_eq!(DisabilityCategory::ALL.len(), table.len());
        for (i, (digit, category, label, key)) in table.into_iter().enumerate() {
            assert_eq!(DisabilityCategory::ALL[i], category);
            assert_eq!(category.digit(), digit);
            assert_eq!(DisabilityCategory::from_digit(digit), Some(category));
            assert_eq!(category.label(), label);
            assert_eq!(category.key(), key);
            assert_eq!(DisabilityCategory::from_key(key), Some(category));
            assert_eq!(DisabilityCategory::from_key(label), Some(category));
            let json = serde_json::to_string(&category).unwrap();
            assert_eq!(json, format!("\"{key}\""));
            assert_eq!(
                serde_json::from_str::<DisabilityCategory>(&json).unwrap(),
                category
            );
        }
    }

    #[test]
    fn category_rejects_unknown() {
        for digit in [0, 8, 9, 255] {
            assert_eq!(DisabilityCategory::from_digit(digit), None, "{digit}");
        }
        for key in ["", "Visual", "视力残疾", "blind"] {
            assert_eq!(DisabilityCategory::from_key(key), None, "{key}");
        }
        assert!(serde_json::from_str::<DisabilityCategory>(r#""blind""#).is_err());
        assert!(serde_json::from_str::<DisabilityCategory>("1").is_err());
    }

    #[test]
    fn grade_table() {
        let table = [
            (1, "一级", true),
            (2, "二级", true),
            (3, "三级", false),
            (4, "四级", false),
        ];
        for (i, (n, label, severe)) in table.into_iter().enumerate() {
            let grade = DisabilityGrade::new(n).unwrap();
            assert_eq!(DisabilityGrade::ALL[i], grade);
            assert_eq!(grade.get(), n);
            assert_eq!(grade.label(), label);
            assert_eq!(grade.is_severe(), severe);
            let json = serde_json::to_string(&grade).unwrap();
            assert_eq!(json, n.to_string());
            assert_eq!(
                serde_json::from_str::<DisabilityGrade>(&json).unwrap(),
                grade
            );
        }
        for n in [0, 5, 9, 255] {
            assert_eq!(DisabilityGrade::new(n), None, "{n}");
        }
        for json in ["0", "5", "-1", "\"1\"", "1.5"] {
            assert!(
                serde_json::from_str::<DisabilityGrade>(json).is_err(),
                "{json}"
            );
        }
    }
}

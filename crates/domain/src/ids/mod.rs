//! Identifiers of people and certificates: 居民身份证号码, 残疾人证号, disability category and
//! grade, and masking of personal data for display (product.md Appendix B, §11).
//!
//! Values are parsed at the edge into these types; their `Debug` output is masked so that logs
//! never carry an ID number.

mod certificate_number;
mod disability;
mod id_number;
mod mask;

pub use certificate_number::{CertificateNumber, CertificateNumberError};
pub use disability::{DisabilityCategory, DisabilityGrade};
pub use id_number::{
    IdNumber, IdNumberError, LegacyIdNumber, ParsedIdNumber, Sex, check_character,
};
pub use mask::{mask_account, mask_address, mask_id_like, mask_name, mask_phone};

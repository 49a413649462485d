//! Masking of personal data for display, lists and 公示 (product.md §11, Appendix B).
//!
//! All functions count characters, not bytes, and never panic. They mask what they are
//! given; normalize the value first (e.g. through [`IdNumber`](super::IdNumber)).

/// Masks an ID-like value: first 6 + `*` for the middle + last 4 characters
/// (`321302********1234`). Values of 10 characters or fewer become all `*`, because keeping
/// 6 + 4 would show all of it.
pub fn mask_id_like(s: &str) -> String {
    keep_ends(s, 6, 4)
}

/// Masks a phone number. An 11-digit mainland mobile number keeps its first 3 and last 4
/// digits (`138****5678`); any other value keeps its first 3 and last 2 characters, and a value
/// of 5 characters or fewer becomes all `*`.
pub fn mask_phone(s: &str) -> String {
    let is_mobile = s.len() == 11 && s.bytes().all(|b| b.is_ascii_digit());
    if is_mobile {
        keep_ends(s, 3, 4)
    } else {
        keep_ends(s, 3, 2)
    }
}

/// Masks a person's name: keeps the first character (usually the surname) and replaces each
/// further character with `*` (`张三` → `张*`, `欧阳娜娜` → `欧***`). Empty stays empty.
pub fn mask_name(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        None => String::new(),
        Some(first) => std::iter::once(first).chain(chars.map(|_| '*')).collect(),
    }
}

/// Masks an address: keeps the first 6 characters (roughly province/city/district) and
/// appends a fixed `****`, so the masked text does not reveal the address's length. A value of
/// 6 characters or fewer keeps its first 2 characters and stars the rest.
pub fn mask_address(s: &str) -> String {
    let count = s.chars().count();
    if count > 6 {
        let mut out: String = s.chars().take(6).collect();
        out.push_str("****");
        out
    } else {
        s.chars()
            .enumerate()
            .map(|(i, c)| if i < 2 { c } else { '*' })
            .collect()
    }
}

/// Masks a bank or card number: every character but the last 4 becomes `*`
/// (`6222021234561234` → `************1234`). A value of 4 characters or fewer becomes all `*`.
/// Expects the number without separators.
pub fn mask_account(s: &str) -> String {
    keep_ends(s, 0, 4)
}

/// Keeps `head` leading and `tail` trailing characters and stars the rest; stars everything
/// when that would leave nothing hidden.
fn keep_ends(s: &str, head: usize, tail: usize) -> String {
    let count = s.chars().count();
    if count <= head + tail {
        return "*".repeat(count);
    }
    s.chars()
        .enumerate()
        .map(|(i, c)| {
            if i < head || i >= count - tail {
                c
            } else {
                '*'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_like_keeps_first_six_and_last_four() {
        let cases = [
            ("321302199003071234", "321302********1234"),
            ("130503670401001", "130503*****1001"),
            ("12345678901", "123456*8901"),
            ("1234567890", "**********"),
            ("123", "***"),
            ("", ""),
            // Characters, not bytes: multi-byte input must not split or panic.
            ("一二三四五六七八九十甲", "一二三四五六*八九十甲"),
        ];
        for (input, expected) in cases {
            assert_eq!(mask_id_like(input), expected, "input {input:?}");
        }
    }

    #[test]
    fn phone_masks_mobile_and_other_lengths() {
        let cases = [
            ("13812345678", "138****5678"),
            ("052784361234", "052*******34"),
            ("84361234", "843***34"),
            ("123456", "123*56"),
            ("12345", "*****"),
            ("", ""),
            // 11 characters but not all digits: not treated as a mobile number.
            ("+8613812345", "+86******45"),
        ];
        for (input, expected) in cases {
            assert_eq!(mask_phone(input), expected, "input {input:?}");
        }
    }

    #[test]
    fn name_keeps_first_character() {
        let cases = [
            ("张三", "张*"),
            ("欧阳娜娜", "欧***"),
            ("李", "李"),
            ("", ""),
            ("阿卜杜·热合曼", "阿******"),
        ];
        for (input, expected) in cases {
            assert_eq!(mask_name(input), expected, "input {input:?}");
        }
    }

    #[test]
    fn address_keeps_district_prefix() {
        let cases = [
            ("江苏省宿迁市宿城区幸福街道1号", "江苏省宿迁市****"),
            ("宿迁市宿城区项王路8号", "宿迁市宿城区****"),
            ("宿迁市宿城区", "宿迁****"),
            ("宿城区", "宿城*"),
            ("宿迁", "宿迁"),
            ("", ""),
        ];
        for (input, expected) in cases {
            assert_eq!(mask_address(input), expected, "input {input:?}");
        }
    }

    #[test]
    fn account_keeps_last_four() {
        let cases = [
            ("6222021234561234", "************1234"),
            ("62220212345612345678", "****************5678"),
            ("12345", "*2345"),
            ("1234", "****"),
            ("", ""),
        ];
        for (input, expected) in cases {
            assert_eq!(mask_account(input), expected, "input {input:?}");
        }
    }
}

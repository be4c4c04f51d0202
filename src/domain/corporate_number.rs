//! 法人番号 (corporate number): 13 digits whose leading digit checks the other twelve.

/// Whether `s` is a valid corporate number: 13 ASCII digits with a correct check digit.
///
/// The check digit is `9 - (Σ Pn × Qn mod 9)` over the twelve base digits, where `Pn` is the
/// n-th digit counted from the right and `Qn` is 1 for odd n and 2 for even n.
pub fn is_valid(s: &str) -> bool {
    let bytes = s.as_bytes();
    if bytes.len() != 13 || !bytes.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let digits: Vec<u32> = bytes.iter().map(|b| u32::from(b - b'0')).collect();
    let sum: u32 = digits[1..]
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| if i % 2 == 0 { *d } else { d * 2 })
        .sum();
    digits[0] == 9 - sum % 9
}

#[cfg(test)]
mod tests {
    use super::is_valid;

    #[test]
    fn known_numbers_pass() {
        assert!(is_valid("1180301018771"));
        assert!(is_valid("5010401067252"));
    }

    #[test]
    fn wrong_check_digit_or_shape_fails() {
        assert!(!is_valid("2180301018771"));
        assert!(!is_valid("118030101877"));
        assert!(!is_valid("11803010187710"));
        assert!(!is_valid("118030101877a"));
        assert!(!is_valid("１180301018771"));
    }
}

//! Enterprises as enforcement names them: the 统一社会信用代码 (unified
//! social credit code, GB 32100-2015) that links a penalty, a disclosure
//! and the cases about one enterprise.

/// The code's alphabet: digits and capitals without I, O, S, V, Z, each
/// worth its position.
const ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";

/// The weights of the first 17 characters (3^i mod 31).
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// Why a credit code is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreditCodeError {
    /// Not 18 characters of the code's alphabet.
    Malformed,
    /// The 18th character is not the check character of the first 17.
    CheckDigit,
}

impl std::fmt::Display for CreditCodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CreditCodeError::Malformed => {
                "a unified social credit code (统一社会信用代码) is 18 digits and capitals (no I, O, S, V or Z)"
            }
            CreditCodeError::CheckDigit => {
                "the last character is not this code's check character (GB 32100): a character was mistyped"
            }
        })
    }
}

/// The code in capitals, when it is well formed and its check character
/// (the 18th) is right: 31 − (Σ value × weight mod 31), 31 read as 0.
pub fn credit_code(s: &str) -> Result<String, CreditCodeError> {
    let code = s.trim().to_ascii_uppercase();
    let values: Vec<u32> = code
        .chars()
        .map(|c| ALPHABET.find(c).map(|i| i as u32))
        .collect::<Option<_>>()
        .ok_or(CreditCodeError::Malformed)?;
    if values.len() != 18 {
        return Err(CreditCodeError::Malformed);
    }
    let sum: u32 = values.iter().zip(WEIGHTS).map(|(v, w)| v * w).sum();
    let check = (31 - sum % 31) % 31;
    if values[17] != check {
        return Err(CreditCodeError::CheckDigit);
    }
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_codes_pass_and_a_mistyped_character_fails() {
        // Codes printed on business licences and in public registers.
        for code in [
            "91330100716105852F",
            "914403001922038216",
            "91110000802100433B",
        ] {
            assert_eq!(credit_code(code).as_deref(), Ok(code), "{code}");
        }
        assert_eq!(
            credit_code(" 91330100716105852f ").as_deref(),
            Ok("91330100716105852F")
        );
        assert_eq!(
            credit_code("91330100716105853F"),
            Err(CreditCodeError::CheckDigit)
        );
        for bad in [
            "",
            "123",
            "91330100716105852I",
            "91330100716105852FX",
            "9133010071610585２F",
        ] {
            assert_eq!(credit_code(bad), Err(CreditCodeError::Malformed), "{bad}");
        }
    }
}

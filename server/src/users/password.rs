//! Password policy and hashing (ASVS 2.1, 2.4): 12 to 128 characters,
//! argon2id with the crate's defaults (m=19 MiB, t=2, p=1, OWASP's minimum),
//! stored as a PHC string that carries its own salt and parameters.
//! Hashing costs tens of milliseconds: callers on the async runtime run it
//! on the blocking pool.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::rngs::OsRng;

pub const MIN_LEN: usize = 12;
pub const MAX_LEN: usize = 128;

fn argon2id() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::default())
}

/// Checks the policy; the message is for the person choosing the password.
pub fn check_policy(password: &str) -> Result<(), String> {
    let chars = password.chars().count();
    if chars < MIN_LEN {
        return Err(format!("the password must have at least {MIN_LEN} characters"));
    }
    if chars > MAX_LEN {
        return Err(format!("the password must have at most {MAX_LEN} characters"));
    }
    if password.chars().all(|c| c == password.chars().next().unwrap_or(' ')) {
        return Err("the password must not repeat one character".to_owned());
    }
    Ok(())
}

pub fn hash(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(argon2id().hash_password(password.as_bytes(), &salt)?.to_string())
}

/// True when `password` matches the stored PHC string.
pub fn verify(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|parsed| argon2id().verify_password(password.as_bytes(), &parsed).is_ok())
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_is_argon2id_and_verifies_only_its_password() {
        let phc = hash("correct horse battery").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify("correct horse battery", &phc));
        assert!(!verify("correct horse battery!", &phc));
    }

    #[test]
    fn two_hashes_of_one_password_differ_by_their_salt() {
        assert_ne!(hash("correct horse battery").unwrap(), hash("correct horse battery").unwrap());
    }

    #[test]
    fn the_policy_refuses_short_long_and_repetitive_passwords() {
        assert!(check_policy("short").is_err());
        assert!(check_policy(&"ab".repeat(65)).is_err());
        assert!(check_policy("aaaaaaaaaaaaaaa").is_err());
        assert!(check_policy("长城是一道很长的墙壁啊呀").is_ok());
    }

    #[test]
    fn a_malformed_stored_hash_never_verifies() {
        assert!(!verify("anything at all", "not a phc string"));
    }
}

//! SHA-256 in lower-case hex: photo content keys, the stored form of
//! secrets, session tokens and API keys.

use sha2::{Digest, Sha256};

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

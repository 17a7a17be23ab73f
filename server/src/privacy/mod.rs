//! Personal data (个人信息): reporters' identities are encrypted at rest and
//! never leave through a public page, feed or API answer.

pub mod cipher;
pub mod keys;

pub use cipher::PiiCipher;

use std::path::Path;

/// Whether a key is given by its variable or kept in its file, so that
/// loading it would not generate a new one.
pub fn given(env: &str, file: &Path) -> bool {
    std::env::var_os(env).is_some() || file.exists()
}

/// Where a key comes from on this machine: its variable when set, else its
/// file in the data directory.
pub fn source(env: &str, file: &Path) -> String {
    if std::env::var_os(env).is_some() {
        format!("the variable {env}")
    } else {
        format!("the file {}", file.display())
    }
}

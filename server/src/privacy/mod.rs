//! Personal data (个人信息): reporters' identities are encrypted at rest and
//! never leave through a public page, feed or API answer.

pub mod cipher;
pub mod keys;

pub use cipher::PiiCipher;

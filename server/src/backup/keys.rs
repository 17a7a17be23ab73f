//! The keys, which a backup deliberately leaves out.
//!
//! Reporters' names, phones and payout accounts are encrypted with the
//! personal-data key (`SHANSHUI_PII_KEY`, else `<data-dir>/pii.key`), which
//! also derives the blind index and the departments' webhook secrets; Web
//! Push signs with the VAPID key (`SHANSHUI_VAPID_KEY`, else
//! `<data-dir>/vapid.key`). Sessions, tracking secrets and API keys live in
//! the database as hashes and need no key. A backup that held the data and
//! the key together would give whoever finds one copy everything, so the
//! keys stay apart, as the usual practice is: the manifest keeps only a
//! fingerprint, and `restore` uses it to refuse a key that would leave the
//! identities unreadable.

use crate::notify::webpush::{self, VapidKey};
use crate::privacy::{PiiCipher, cipher, given, source};
use std::path::Path;

/// The personal-data key's fingerprint, if there is a key (from the
/// variable or the data directory); never creates one.
pub fn pii_fingerprint(data_dir: &Path) -> Result<Option<String>, crate::config::ConfigError> {
    if !PiiCipher::exists(data_dir) {
        return Ok(None);
    }
    Ok(Some(PiiCipher::load_or_create(data_dir)?.fingerprint()))
}

/// The VAPID public key, if there is a key; never creates one.
pub fn vapid_public_key(data_dir: &Path) -> Result<Option<String>, crate::config::ConfigError> {
    if !given(webpush::KEY_ENV, &data_dir.join(webpush::KEY_FILE)) {
        return Ok(None);
    }
    Ok(Some(VapidKey::load_or_create(data_dir)?.public_key()))
}

/// The reminder printed after a backup and written to its `README.txt`.
pub fn reminder(data_dir: &Path, pii_fingerprint: Option<&str>) -> String {
    let pii = source(cipher::KEY_ENV, &data_dir.join(cipher::KEY_FILE));
    let vapid = source(webpush::KEY_ENV, &data_dir.join(webpush::KEY_FILE));
    let fingerprint = pii_fingerprint.map_or_else(
        || "no key was found when this backup was made".to_owned(),
        |f| format!("fingerprint {f}"),
    );
    format!(
        "THE KEYS ARE NOT IN THIS BACKUP — on purpose.

Reporters' names, phones and payout accounts are encrypted with the
personal-data key ({fingerprint}). Here it comes from
    {pii}
Without that same key a restored server runs, but no one can read who
reported what, phone numbers no longer match, and every department's
webhook secret changes. Web Push signs with the VAPID key, here from
    {vapid}
With another key every browser's push subscription stops working.

A backup holding the data and its key together would hand both to whoever
finds one copy, so keep the keys apart from the backups: in a secrets
store, a password manager or a sealed envelope, not beside these files.
Before starting a server on restored data, give it the same keys: set
{pii_env} and {vapid_env}, or copy pii.key and vapid.key into its
data directory with mode 0600. `shanshui restore` refuses a personal-data
key whose fingerprint differs from the backup's.",
        pii_env = cipher::KEY_ENV,
        vapid_env = webpush::KEY_ENV,
    )
}

//! Files that hold personal data or evidence, on the local disk: folders
//! and files made owner-only when private (0700 and 0600), created new
//! (never over an existing file), and renames made durable. The photo
//! store and the backups write the same way, through these.

use std::path::Path;

/// Creates `dir` and its parents; a private one is 0700 (the parents too,
/// as the store makes them).
#[cfg(unix)]
pub fn create_dir(dir: &Path, private: bool) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt as _;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(if private { 0o700 } else { 0o755 })
        .create(dir)
}

#[cfg(not(unix))]
pub fn create_dir(dir: &Path, _private: bool) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

/// Opens a new file (never an existing one); a private one is 0600.
#[cfg(unix)]
pub fn open_new(path: &Path, private: bool) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(if private { 0o600 } else { 0o644 })
        .open(path)
}

#[cfg(not(unix))]
pub fn open_new(path: &Path, _private: bool) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

/// Sets a file's or folder's mode (owner-only for what is private).
#[cfg(unix)]
pub fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
pub fn set_mode(_path: &Path, _mode: u32) -> std::io::Result<()> {
    Ok(())
}

/// Makes a rename or a new entry in `dir` durable.
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    std::fs::File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

//! What the unit tests share.

/// Property tests run 10,000 cases each on a developer's machine and 500
/// in CI (where `CI` is set), so that CI stays within its time; set
/// `PROPTEST_CASES` to choose another number.
pub fn proptest_config() -> proptest::test_runner::Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(if std::env::var_os("CI").is_some() {
            500
        } else {
            10_000
        });
    proptest::test_runner::Config {
        cases,
        failure_persistence: None,
        ..proptest::test_runner::Config::default()
    }
}

//! A server never runs with a personal-data key other than the one the
//! database was written with (`privacy::keys`): neither a replica given
//! another key nor a server that lost its key file and would generate a
//! new one over a database full of encrypted identities.

use shanshui_tests::{TestApp, file_report, test_settings};

/// Starts a server on `app`'s database from another data directory,
/// holding `key` (none: no key file); answers the refusal, if any.
async fn start_beside(app: &TestApp, key: Option<&str>) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    if let Some(key) = key {
        std::fs::write(data.join("pii.key"), key).unwrap();
    }
    let mut settings = test_settings(data, app.database_url.clone());
    settings.clock = app.clock.clone();
    match server::Application::build(settings).await {
        Ok(other) => {
            drop(other);
            Ok(())
        }
        Err(e) => Err(e.to_string()),
    }
}

async fn another_key_or_a_lost_one_stops_the_start(app: &TestApp) {
    file_report(
        app,
        "noise_construction",
        29.3752,
        106.5101,
        &[("name", "王小明"), ("phone", "13800138000")],
    )
    .await;
    let lost = start_beside(app, None).await.unwrap_err();
    assert!(
        lost.contains("there is no personal-data key")
            && lost.contains("put the original key back"),
        "{lost}"
    );
    // Another valid key: 32 bytes of 7s.
    let other = "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=";
    let wrong = start_beside(app, Some(other)).await.unwrap_err();
    assert!(
        wrong.contains("is not the one this database was written with"),
        "{wrong}"
    );
    assert!(!wrong.contains(other), "the key itself is never printed");
    // The same key starts.
    let same = std::fs::read_to_string(app.data_dir.join("pii.key")).unwrap();
    start_beside(app, Some(&same)).await.unwrap();
}
shanshui_tests::demo_test!(another_key_or_a_lost_one_stops_the_start);

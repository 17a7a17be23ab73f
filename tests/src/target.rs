//! An empty place for a server: a data directory and, on PostgreSQL, a new
//! database, with no server started and nothing migrated yet — where every
//! test server starts (`TestApp::spawn`), and where a backup is restored
//! before one does (a server would fill it before the restore could).

use super::{Backend, PgDatabase, TestApp, postgres_url, test_settings};
use server::config::Settings;
use std::path::PathBuf;

pub struct EmptyTarget {
    pub backend: Backend,
    pub data_dir: PathBuf,
    pub database_url: String,
    postgres: Option<PgDatabase>,
    dir: tempfile::TempDir,
}

impl EmptyTarget {
    /// None for PostgreSQL when `TEST_DATABASE_URL` is unset.
    pub async fn new(backend: Backend) -> Option<EmptyTarget> {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let data_dir = dir.path().join("data");
        let (database_url, postgres) = match backend {
            Backend::Sqlite => (
                format!("sqlite://{}/shanshui.db?mode=rwc", data_dir.display()),
                None,
            ),
            Backend::Postgres => {
                let db = PgDatabase::create(postgres_url()?).await;
                (db.url(), Some(db))
            }
        };
        Some(EmptyTarget {
            backend,
            data_dir,
            database_url,
            postgres,
            dir,
        })
    }

    /// The settings `shanshui restore` (and then the server) runs with here.
    pub fn settings(&self) -> Settings {
        test_settings(self.data_dir.clone(), self.database_url.clone())
    }

    /// Starts a server on what was restored here; its shutdown drops the
    /// PostgreSQL database.
    pub async fn start(self) -> TestApp {
        self.start_with(|_| {}).await
    }

    /// Starts a server here with its settings adjusted first.
    pub async fn start_with(self, adjust: impl FnOnce(&mut Settings)) -> TestApp {
        let mut settings = self.settings();
        adjust(&mut settings);
        TestApp::start(settings, self.backend, self.postgres, self.dir).await
    }
}

//! What every handler can reach.

use crate::config::Settings;
use crate::middleware::rate_limit::Limiter;
use crate::photos::PhotoPipeline;
use crate::privacy::PiiCipher;
use crate::storage::PhotoStore;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use sea_orm::DatabaseConnection;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub settings: Arc<Settings>,
    pub leptos: LeptosOptions,
    pub pii: Arc<PiiCipher>,
    /// Signs webhook notifications, with a key derived from the PII secret.
    pub signer: Arc<crate::outbox::WebhookSigner>,
    pub pipeline: Arc<PhotoPipeline>,
    /// The upload memory all requests share (`reports::upload`).
    pub uploads: crate::reports::upload::UploadBudget,
    pub photos: Arc<dyn PhotoStore>,
    pub limits: Limits,
    /// Push, SMS and the key that reads phones: the reporter's messages.
    pub channels: Arc<crate::notify::Channels>,
    /// Whether demo cases exist, for the pages' banner.
    pub demo: crate::demo::flag::DemoFlag,
    /// The public micro-cache; its generation moves with every change to
    /// what the public reads.
    pub public_cache: Arc<crate::middleware::public_cache::PublicCache>,
    /// The categories, areas and departments, held in memory.
    pub directory: Arc<crate::directory::held::HeldDirectory>,
    /// The public statistics, held in memory (`stats::held`).
    pub stats: Arc<crate::held::Held<shared::info::Stats>>,
}

#[derive(Clone)]
pub struct Limits {
    pub submit: Arc<Limiter>,
    pub track: Arc<Limiter>,
    pub nearby: Arc<Limiter>,
    /// Sign-in attempts per client address (accounts are also locked after
    /// repeated failures, in the database).
    pub sign_in: Arc<Limiter>,
    /// 找回 per client address (each phone also has its own limits, in the
    /// database).
    pub recover: Arc<Limiter>,
}

impl AppState {
    /// The intake service, wired to this server's parts.
    pub fn reports(&self) -> crate::reports::service::Reports<'_> {
        crate::reports::service::Reports {
            db: &self.db,
            pii: &self.pii,
            pipeline: &self.pipeline,
            store: self.photos.as_ref(),
            deadlines: self.settings.deadlines,
            clock: &self.settings.clock,
        }
    }

    /// The evidence service (photos and documents staff attach to cases).
    pub fn evidence(&self) -> crate::evidence::service::Evidence<'_> {
        crate::evidence::service::Evidence {
            db: &self.db,
            pipeline: &self.pipeline,
            store: self.photos.as_ref(),
            clock: &self.settings.clock,
        }
    }

    /// The public record (公开信息), wired to this server's parts.
    pub fn public_cases(&self) -> crate::disclosure::service::PublicCases<'_> {
        crate::disclosure::service::PublicCases {
            db: &self.db,
            directory: &self.directory,
        }
    }

    /// The case service, wired to this server's parts.
    pub fn cases(&self) -> crate::cases::service::Cases<'_> {
        crate::cases::service::Cases {
            db: &self.db,
            pii: &self.pii,
            deadlines: self.settings.deadlines,
            clock: &self.settings.clock,
        }
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos.clone()
    }
}

impl FromRef<AppState> for DatabaseConnection {
    fn from_ref(state: &AppState) -> Self {
        state.db.clone()
    }
}

//! What the database knows, read at each scrape into a registry of its own:
//! the outboxes' waiting messages, open and overdue cases, and the pool.
//! One aggregate query each (on the outboxes' "due" indexes), so a scrape
//! stays cheap however many rows there are, and no write keeps a count up
//! to date. A query that fails leaves its metrics out and is counted in
//! `shanshui_metrics_query_errors`; the pool's numbers need no query.

use crate::cases::service::counts_in;
use crate::cases::workflow::Scope;
use crate::db::entities::{message_outbox, webhook_outbox};
use chrono::{DateTime, Utc};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::{Registry, Unit};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, QueryFilter, QuerySelect,
};
use std::sync::atomic::AtomicU64;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Outbox {
    /// `webhook` (to departments), `push` or `sms` (to reporters).
    outbox: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct State {
    state: &'static str,
}

/// The metrics read from `db` now.
pub(super) async fn read(db: &DatabaseConnection, now: DateTime<Utc>) -> Registry {
    let mut registry = Registry::with_prefix(super::PREFIX);
    let mut errors = 0;
    match waiting(db).await {
        Ok(queues) => register_outboxes(&mut registry, &queues, now),
        Err(e) => {
            tracing::warn!(error = %e, "metrics: cannot read the outboxes");
            errors += 1;
        }
    }
    match counts_in(db, Scope::All, now).await {
        Ok(counts) => {
            let open = Family::<State, Gauge>::default();
            for (state, n) in counts.by_state.iter().filter(|(s, _)| s.is_open()) {
                open.get_or_create(&State {
                    state: state.as_str(),
                })
                .set(i64::try_from(*n).unwrap_or(i64::MAX));
            }
            registry.register("cases_open", "Open cases, by state", open);
            registry.register(
                "cases_overdue",
                "Open cases past their deadline",
                gauge(counts.overdue),
            );
        }
        Err(e) => {
            tracing::warn!(error = %e, "metrics: cannot count the cases");
            errors += 1;
        }
    }
    register_pool(&mut registry, db);
    registry.register(
        "metrics_query_errors",
        "Queries of this scrape that failed (their metrics are missing)",
        gauge(errors),
    );
    registry
}

/// An outbox's waiting messages: how many, and since when the oldest.
struct Waiting {
    outbox: &'static str,
    count: i64,
    oldest: Option<DateTime<Utc>>,
}

/// Webhooks not yet delivered (retrying ones included), and reporters'
/// messages still `queued`, by channel.
async fn waiting(db: &DatabaseConnection) -> Result<Vec<Waiting>, DbErr> {
    let (count, oldest): (i64, Option<DateTime<Utc>>) = webhook_outbox::Entity::find()
        .select_only()
        .column_as(webhook_outbox::Column::Id.count(), "n")
        .column_as(webhook_outbox::Column::CreatedAt.min(), "oldest")
        .filter(webhook_outbox::Column::DeliveredAt.is_null())
        .into_tuple()
        .one(db)
        .await?
        .unwrap_or((0, None));
    let messages: Vec<(String, i64, Option<DateTime<Utc>>)> = message_outbox::Entity::find()
        .select_only()
        .column(message_outbox::Column::Channel)
        .column_as(message_outbox::Column::Id.count(), "n")
        .column_as(message_outbox::Column::CreatedAt.min(), "oldest")
        .filter(message_outbox::Column::Status.eq(crate::notify::QUEUED))
        .group_by(message_outbox::Column::Channel)
        .into_tuple()
        .all(db)
        .await?;
    let mut queues = vec![Waiting {
        outbox: "webhook",
        count,
        oldest,
    }];
    for channel in [crate::notify::PUSH, crate::notify::SMS] {
        let row = messages.iter().find(|(c, _, _)| c == channel);
        queues.push(Waiting {
            outbox: channel,
            count: row.map(|(_, n, _)| *n).unwrap_or(0),
            oldest: row.and_then(|(_, _, t)| *t),
        });
    }
    Ok(queues)
}

fn register_outboxes(registry: &mut Registry, queues: &[Waiting], now: DateTime<Utc>) {
    let depth = Family::<Outbox, Gauge>::default();
    let age = Family::<Outbox, Gauge<f64, AtomicU64>>::default();
    for q in queues {
        let labels = Outbox { outbox: q.outbox };
        depth.get_or_create(&labels).set(q.count);
        let seconds = q
            .oldest
            .map(|t| std::cmp::max((now - t).num_milliseconds(), 0) as f64 / 1000.0)
            .unwrap_or(0.0);
        age.get_or_create(&labels).set(seconds);
    }
    registry.register(
        "outbox_waiting",
        "Messages waiting to be sent: webhooks to departments, push and SMS to reporters",
        depth,
    );
    registry.register_with_unit(
        "outbox_oldest_waiting_age",
        "Age of the oldest message waiting (0 when none waits)",
        Unit::Seconds,
        age,
    );
}

/// The sqlx pool under sea-orm: connections in use, idle, and the most.
fn register_pool(registry: &mut Registry, db: &DatabaseConnection) {
    let (size, idle, max) = match db.get_database_backend() {
        DbBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            (
                pool.size(),
                pool.num_idle(),
                pool.options().get_max_connections(),
            )
        }
        DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (
                pool.size(),
                pool.num_idle(),
                pool.options().get_max_connections(),
            )
        }
        _ => return,
    };
    let idle = u32::try_from(idle).unwrap_or(u32::MAX);
    let connections = Family::<State, Gauge>::default();
    connections
        .get_or_create(&State { state: "in_use" })
        .set(i64::from(size.saturating_sub(idle)));
    connections
        .get_or_create(&State { state: "idle" })
        .set(i64::from(idle));
    registry.register(
        "db_connections",
        "Database pool connections, in use and idle",
        connections,
    );
    registry.register(
        "db_connections_max",
        "The most connections the database pool opens",
        gauge(u64::from(max)),
    );
}

fn gauge(value: u64) -> Gauge {
    let g = Gauge::default();
    g.set(i64::try_from(value).unwrap_or(i64::MAX));
    g
}
